package rdbfile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// gen turns fuzz bytes into values; past the end it yields zeros.
type gen struct {
	b []byte
	i int
}

func (g *gen) byte() byte {
	if g.i >= len(g.b) {
		return 0
	}
	c := g.b[g.i]
	g.i++
	return c
}

func (g *gen) u64() uint64 {
	var x [8]byte
	for i := range x {
		x[i] = g.byte()
	}
	return binary.LittleEndian.Uint64(x[:])
}

// str returns a string: small or large integers as text (integer
// encodings), short or long bytes (LZF above 20), or empty.
func (g *gen) str() []byte {
	switch c := g.byte(); c % 8 {
	case 0:
		return strconv.AppendInt(nil, int64(int8(g.byte())), 10)
	case 1:
		return strconv.AppendInt(nil, int64(g.u64())>>uint(g.byte()%64), 10)
	case 2:
		return []byte{}
	case 3: // long and compressible
		n := 20 + int(g.byte())*3
		return bytes.Repeat([]byte{'a' + g.byte()%3}, n)
	default:
		n := int(g.byte() % 70)
		out := make([]byte, n)
		for i := range out {
			out[i] = g.byte()
		}
		return out
	}
}

func (g *gen) count() int {
	c := g.byte()
	if c > 245 {
		return 129 + int(g.byte())*3 // past the compact limits
	}
	return 1 + int(c%24)
}

// value builds a random value of a kind picked by the input.
func (g *gen) value(withTTL bool) *rdbfile.Value {
	seen := map[string]bool{}
	uniq := func(b []byte) bool {
		if seen[string(b)] {
			return false
		}
		seen[string(b)] = true
		return true
	}
	switch g.byte() % 7 {
	case 0:
		return &rdbfile.Value{Kind: rdbfile.KindString, String: g.str()}
	case 1:
		v := &rdbfile.Value{Kind: rdbfile.KindList}
		for range g.count() {
			v.List = append(v.List, g.str())
		}
		return v
	case 2:
		v := &rdbfile.Value{Kind: rdbfile.KindSet}
		ints := g.byte()%2 == 0
		for range g.count() {
			m := g.str()
			if ints {
				m = strconv.AppendInt(nil, int64(g.u64())>>uint(g.byte()%64), 10)
			}
			if uniq(m) {
				v.Set = append(v.Set, m)
			}
		}
		return v
	case 3:
		v := &rdbfile.Value{Kind: rdbfile.KindZSet}
		for range g.count() {
			m := g.str()
			var s float64
			switch g.byte() % 4 {
			case 0:
				s = float64(int8(g.byte()))
			case 1:
				s = math.Float64frombits(g.u64())
			case 2:
				s = math.Inf(1 - 2*int(g.byte()%2))
			default:
				s = float64(g.byte()) / 7
			}
			if math.IsNaN(s) {
				s = 1.5
			}
			if uniq(m) {
				v.ZSet = append(v.ZSet, rdbfile.ZMember{Member: m, Score: s})
			}
		}
		return v
	case 4:
		v := &rdbfile.Value{Kind: rdbfile.KindHash}
		for range g.count() {
			f, val := g.str(), g.str()
			exp := rdbfile.NoExpire
			if withTTL && g.byte()%3 == 0 {
				exp = int64(g.u64() & 0xFFFFFFFFFFFF)
			}
			if uniq(f) {
				v.Hash = append(v.Hash, rdbfile.HashField{Field: f, Value: val, ExpireAt: exp})
			}
		}
		return v
	case 5:
		st := &rdbfile.Stream{HasV2Meta: true}
		id := rdbfile.StreamID{Ms: g.u64() >> 20, Seq: uint64(g.byte())}
		fields := [][]byte{[]byte("f"), []byte("g")}
		for range g.count() {
			if g.byte()%2 == 0 {
				id.Ms += uint64(g.byte())
			}
			id.Seq++
			e := rdbfile.StreamEntry{ID: id}
			if g.byte()%3 == 0 {
				fields = [][]byte{g.str()}
			}
			for _, f := range fields {
				e.Fields = append(e.Fields, f, g.str())
			}
			st.Entries = append(st.Entries, e)
		}
		st.Length, st.EntriesAdded, st.LastID = uint64(len(st.Entries)), uint64(len(st.Entries)), id
		st.FirstID = st.Entries[0].ID
		if g.byte()%2 == 0 {
			grp := rdbfile.StreamGroup{Name: []byte("grp"), LastID: id, EntriesRead: -1}
			cons := rdbfile.StreamConsumer{Name: []byte("c"), SeenTime: int64(g.u64() >> 20), ActiveTime: -1}
			for i, e := range st.Entries {
				if i%3 == 0 {
					grp.PEL = append(grp.PEL, rdbfile.StreamPending{ID: e.ID, DeliveryTime: int64(g.u64() >> 20), DeliveryCount: uint64(g.byte())})
					cons.PEL = append(cons.PEL, e.ID)
				}
			}
			grp.Consumers = append(grp.Consumers, cons)
			st.Groups = append(st.Groups, grp)
		}
		return &rdbfile.Value{Kind: rdbfile.KindStream, Stream: st}
	default:
		a := &rdbfile.Array{}
		idx := uint64(0)
		for range g.count() {
			idx += 1 + uint64(g.byte())
			el := rdbfile.ArrayElement{Index: idx, Tag: int(g.byte() % 4)}
			switch el.Tag {
			case rdbfile.ArraySDS:
				el.Str = g.str()
			case rdbfile.ArraySmallStr:
				el.Str = append([]byte{}, "abc"[:g.byte()%4]...)
			case rdbfile.ArrayInt:
				el.Int = int64(g.u64())
			case rdbfile.ArrayFloat:
				el.Float = float64(int16(g.u64()))
			}
			a.Elements = append(a.Elements, el)
		}
		if g.byte()%2 == 0 {
			a.HasCursor, a.InsertIdx = true, idx+1
		}
		return &rdbfile.Value{Kind: rdbfile.KindArray, Array: a}
	}
}

var fuzzTargets = func() []rdbfile.WriterOptions {
	var out []rdbfile.WriterOptions
	for v := 1; v <= 15; v++ {
		out = append(out, rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: v})
	}
	return append(out, rdbfile.WriterOptions{Dialect: rdbfile.DialectValkey, Version: 80})
}()

// FuzzWriterRoundTrip writes random values of every type to a random
// target with random encoding limits and compression, as whole values and
// element by element, and reads them back: every value the Writer accepts
// must read back equal, and the Writer may refuse only with an
// *UnsupportedError. Seeds: the corpus and testdata RDB files (their bytes
// drive the generator).
func FuzzWriterRoundTrip(f *testing.F) {
	for _, p := range goodRDBs(f) {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
			f.Add(b)
		}
	}
	f.Add([]byte{3, 1, 0, 4, 255, 7, 2})
	f.Fuzz(fuzzBody)
}

func fuzzBody(t *testing.T, data []byte) {
	{
		g := &gen{b: data}
		opts := fuzzTargets[int(g.byte())%len(fuzzTargets)]
		opts.NoCompression = g.byte()%2 == 0
		if g.byte()%2 == 0 {
			l := rdbfile.DefaultLimits(opts.Dialect, opts.Version)
			l.HashMaxListpackEntries, l.HashMaxListpackValue = int(g.byte()%8), int(g.byte()%80)
			l.SetMaxIntsetEntries, l.SetMaxListpackEntries, l.SetMaxListpackValue = int(g.byte()%8), int(g.byte()%8), int(g.byte()%80)
			l.ZSetMaxListpackEntries, l.ZSetMaxListpackValue = int(g.byte()%8), int(g.byte()%80)
			l.ListMaxListpackSize, l.ListCompressDepth = int(int8(g.byte())%6), int(g.byte()%3)
			l.ListMaxZiplistEntries, l.ListMaxZiplistValue = int(g.byte()%8), int(g.byte()%80)
			l.StreamNodeMaxBytes, l.StreamNodeMaxEntries = int(g.byte())*4, int(g.byte()%8)
			opts.Limits = &l
		}
		var out, spilled bytes.Buffer
		w := rdbfile.NewWriter(&out, &opts)
		// The same keys to a Writer whose tiny value budget sends every
		// list, stream and hash held until Close to its temporary file:
		// the bytes must be the same.
		sopts := opts
		sopts.ValueMemory = 1 + int(g.byte()%64)
		sw := rdbfile.NewWriter(&spilled, &sopts)
		var want []*rdbfile.Value
		var exps []int64
		for i := range 1 + int(g.byte()%6) {
			v := g.value(g.byte()%2 == 0)
			h := rdbfile.KeyHeader{Key: []byte("k" + strconv.Itoa(i)), ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1, Count: -1}
			if g.byte()%4 == 0 {
				h.ExpireAt = int64(g.u64() >> 24)
			}
			var err, serr error
			if g.byte()%2 == 0 {
				err, serr = w.WriteKey(h, v), sw.WriteKey(h, v)
			} else {
				err, serr = streamKey(w, h, v), streamKey(sw, h, v)
			}
			if (err == nil) != (serr == nil) || (err != nil && err.Error() != serr.Error()) {
				t.Fatalf("key %d (%s) to %+v: %v; with a spill: %v", i, v.Kind, opts, err, serr)
			}
			if err != nil {
				if !errors.Is(err, rdbfile.ErrUnsupported) {
					t.Fatalf("key %d (%s) to %+v: %v", i, v.Kind, opts, err)
				}
				var ue *rdbfile.UnsupportedError
				if !errors.As(err, &ue) {
					t.Fatalf("refusal is not an *UnsupportedError: %v", err)
				}
				continue
			}
			want = append(want, v)
			exps = append(exps, h.ExpireAt)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if err := sw.Close(); err != nil {
			t.Fatalf("close, with a spill: %v", err)
		}
		if !bytes.Equal(out.Bytes(), spilled.Bytes()) {
			t.Fatalf("to %+v: %d bytes, %d with a spill: not the same", opts, out.Len(), spilled.Len())
		}
		data2 := out.Bytes()
		r := rdbfile.NewReader(bytes.NewReader(data2), &rdbfile.Options{Size: int64(len(data2))})
		i := 0
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("reading back %+v: %v", opts, err)
			}
			if e.Kind != rdbfile.EntryKey {
				continue
			}
			got, err := e.Value()
			if err != nil && !emptyAggregate(want[i]) {
				t.Fatalf("key %q: %v", e.Key, err)
			}
			if i >= len(want) {
				t.Fatalf("more keys read than written")
			}
			exp := exps[i]
			if exp != rdbfile.NoExpire && opts.Dialect == rdbfile.DialectRedis && opts.Version < 3 {
				exp = (exp + 999) / 1000 * 1000
			}
			if e.ExpireAt != exp {
				t.Errorf("key %q: expire %d, want %d", e.Key, e.ExpireAt, exp)
			}
			if !emptyAggregate(want[i]) && !reflect.DeepEqual(normalize(got), normalize(want[i])) {
				t.Fatalf("key %q (%s) to %+v: got vs want: %s", e.Key, e.TypeName, opts, diffValues(got, want[i]))
			}
			i++
		}
		if i != len(want) {
			t.Fatalf("%d keys read back, %d written", i, len(want))
		}
	}
}

func emptyAggregate(v *rdbfile.Value) bool {
	switch v.Kind {
	case rdbfile.KindList:
		return len(v.List) == 0
	case rdbfile.KindSet:
		return len(v.Set) == 0
	case rdbfile.KindZSet:
		return len(v.ZSet) == 0
	case rdbfile.KindHash:
		return len(v.Hash) == 0
	}
	return false
}

// streamKey writes v through BeginKey/Add/Close with a known Count, the
// element-by-element path.
func streamKey(w *rdbfile.Writer, h rdbfile.KeyHeader, v *rdbfile.Value) error {
	if v.Kind == rdbfile.KindString || v.Kind == rdbfile.KindStream || v.Kind == rdbfile.KindArray {
		return w.WriteKey(h, v)
	}
	var els []rdbfile.Element
	switch v.Kind {
	case rdbfile.KindList:
		for _, m := range v.List {
			els = append(els, rdbfile.Element{Member: m, ExpireAt: rdbfile.NoExpire})
		}
	case rdbfile.KindSet:
		for _, m := range v.Set {
			els = append(els, rdbfile.Element{Member: m, ExpireAt: rdbfile.NoExpire})
		}
	case rdbfile.KindZSet:
		for _, m := range v.ZSet {
			els = append(els, rdbfile.Element{Member: m.Member, Score: m.Score, ExpireAt: rdbfile.NoExpire})
		}
	case rdbfile.KindHash:
		for _, f := range v.Hash {
			els = append(els, rdbfile.Element{Member: f.Field, Value: f.Value, ExpireAt: f.ExpireAt})
			if f.ExpireAt != rdbfile.NoExpire {
				h.FieldTTL = true
			}
		}
	}
	h.Kind, h.Count = v.Kind, int64(len(els))
	vw, err := w.BeginKey(h)
	if err != nil {
		return err
	}
	for i := range els {
		if err := vw.Add(&els[i]); err != nil {
			vw.Close()
			return err
		}
	}
	return vw.Close()
}
