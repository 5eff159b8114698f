package rdbfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// spillBudget is the memory budget of the tests that force a value's body
// to the temporary file; noSpill is one no value of the tests reaches.
const (
	spillBudget = 64 << 10
	noSpill     = 1 << 40
)

// writeWith writes the records of fn to a Writer of opts with the given
// value budget and temp directory, and returns the file.
func writeWith(t *testing.T, opts rdbfile.WriterOptions, budget int, dir string, fn func(w *rdbfile.Writer) error) ([]byte, error) {
	t.Helper()
	var out bytes.Buffer
	opts.ValueMemory, opts.TempDir = budget, dir
	w := rdbfile.NewWriter(&out, &opts)
	if err := fn(w); err != nil {
		return out.Bytes(), err
	}
	err := w.Close()
	return out.Bytes(), err
}

// spillSame writes fn's records with a budget that forces the spill and
// with one that keeps every value in memory, checks that both files are
// the same bytes and that the spill was used (a temp directory that does
// not exist fails the write), and returns the file.
func spillSame(t *testing.T, opts rdbfile.WriterOptions, fn func(w *rdbfile.Writer) error) []byte {
	t.Helper()
	mem, err := writeWith(t, opts, noSpill, "", fn)
	if err != nil {
		t.Fatalf("%+v, in memory: %v", opts, err)
	}
	spilled, err := writeWith(t, opts, spillBudget, t.TempDir(), fn)
	if err != nil {
		t.Fatalf("%+v, spilled: %v", opts, err)
	}
	if !bytes.Equal(mem, spilled) {
		i := 0
		for i < len(mem) && i < len(spilled) && mem[i] == spilled[i] {
			i++
		}
		t.Fatalf("%+v: spilled output differs from the in-memory one at byte %d (%d and %d bytes)", opts, i, len(spilled), len(mem))
	}
	_, err = writeWith(t, opts, spillBudget, filepath.Join(t.TempDir(), "missing"), fn)
	var se *rdbfile.SpillError
	if !errors.As(err, &se) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("%+v: with a missing temp dir: %v, want a *SpillError (the value was not spilled?)", opts, err)
	}
	return mem
}

// readValues reads every key of data back, with its type.
func readValues(t *testing.T, data []byte) ([]*rdbfile.Value, []rdbfile.Type) {
	t.Helper()
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	var vals []*rdbfile.Value
	var types []rdbfile.Type
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		if e.Kind != rdbfile.EntryKey {
			continue
		}
		v, err := e.Value()
		if err != nil {
			t.Fatalf("reading back %q: %v", e.Key, err)
		}
		vals, types = append(vals, v), append(types, e.Type)
	}
	if st := r.Checksum(); st.Present && !st.Disabled && !st.Verified {
		t.Fatalf("checksum not verified: %+v", st)
	}
	return vals, types
}

func hdr(key string, kind rdbfile.Kind, count int64) rdbfile.KeyHeader {
	return rdbfile.KeyHeader{Key: []byte(key), Kind: kind, ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1, Count: count}
}

// addAll writes v element by element (BeginKey, Add, Close), the path
// whose Add bytes are valid only during the call.
func addAll(w *rdbfile.Writer, h rdbfile.KeyHeader, v *rdbfile.Value) error {
	vw, err := w.BeginKey(h)
	if err != nil {
		return err
	}
	var el rdbfile.Element
	buf := []byte{}
	scratch := func(b []byte) []byte { buf = append(buf[:0], b...); return buf }
	switch v.Kind {
	case rdbfile.KindList:
		for _, m := range v.List {
			el = rdbfile.Element{Member: scratch(m), ExpireAt: rdbfile.NoExpire}
			if err = vw.Add(&el); err != nil {
				break
			}
		}
	case rdbfile.KindHash:
		for _, f := range v.Hash {
			el = rdbfile.Element{Member: bytes.Clone(f.Field), Value: scratch(f.Value), ExpireAt: f.ExpireAt}
			if err = vw.Add(&el); err != nil {
				break
			}
		}
	case rdbfile.KindStream:
		vw.SetStreamMeta(v.Stream)
		for i := range v.Stream.Entries {
			se := rdbfile.StreamEntry{ID: v.Stream.Entries[i].ID}
			for _, f := range v.Stream.Entries[i].Fields {
				se.Fields = append(se.Fields, bytes.Clone(f))
			}
			el = rdbfile.Element{Stream: &se}
			err = vw.Add(&el)
			clear(se.Fields[0]) // the Writer must have copied it
			if err != nil {
				break
			}
		}
	}
	if cerr := vw.Close(); err == nil {
		err = cerr
	}
	return err
}

// bigList is a list of n items of varied sizes (a few MB for n = 100k):
// integers, short and long strings, and with plain every 5000th item of
// 70 KB (a plain node with a packed threshold of 64 KiB).
func bigList(n int, plain bool) *rdbfile.Value {
	rng := rand.New(rand.NewPCG(1, 2))
	v := &rdbfile.Value{Kind: rdbfile.KindList}
	for i := range n {
		var m []byte
		switch {
		case plain && i%5000 == 4999:
			m = bytes.Repeat([]byte{byte('a' + i%26)}, 70000)
		case i%3 == 0:
			m = []byte(fmt.Sprint(rng.Int64N(1 << 40)))
		default:
			m = fmt.Appendf(nil, "item-%d-%s", i, bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(60)))
		}
		v.List = append(v.List, m)
	}
	return v
}

// TestWriterSpillList: a quicklist list far over the budget (several MB,
// 64 KiB budget) is written the same bytes as in memory, and reads back
// equal: ziplist nodes (RDB 7-9) and listpack nodes with plain ones (RDB
// 10+), node sizes and counts, compressed inner nodes, with whole values
// (WriteKey) and element by element.
func TestWriterSpillList(t *testing.T) {
	type tc struct {
		version       int
		size, depth   int
		packed        int
		plain, nocomp bool
	}
	for _, c := range []tc{
		{version: 11, size: -2},
		{version: 11, size: -1, depth: -1}, // a negative depth compresses nothing
		{version: 11, size: -2, depth: 1, plain: true, packed: 64 << 10},
		{version: 12, size: 128, depth: 3, plain: true, packed: 64 << 10, nocomp: true},
		{version: 9, size: -2, depth: 2},
		{version: 7, size: 100},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			l := rdbfile.DefaultLimits(rdbfile.DialectRedis, c.version)
			l.ListMaxListpackSize, l.ListCompressDepth, l.ListPackedThreshold = c.size, c.depth, c.packed
			opts := rdbfile.WriterOptions{Version: c.version, Limits: &l, NoCompression: c.nocomp}
			v := bigList(100000, c.plain)
			data := spillSame(t, opts, func(w *rdbfile.Writer) error {
				if err := w.SelectDB(0); err != nil {
					return err
				}
				if err := w.WriteKey(hdr("whole", rdbfile.KindList, -1), v); err != nil {
					return err
				}
				return addAll(w, hdr("added", rdbfile.KindList, int64(len(v.List))), v)
			})
			got, types := readValues(t, data)
			if len(got) != 2 {
				t.Fatalf("%d keys read back, want 2", len(got))
			}
			for i := range got {
				if types[i] != rdbfile.TypeListQuicklist && types[i] != rdbfile.TypeListQuicklist2 {
					t.Errorf("key %d: type %s, want a quicklist", i, types[i])
				}
				if !reflect.DeepEqual(got[i].List, v.List) {
					t.Errorf("key %d: list read back differs (%d items, want %d)", i, len(got[i].List), len(v.List))
				}
			}
			if len(data) < 2<<20 {
				t.Errorf("file of %d bytes: the value is not over the budget", len(data))
			}
		})
	}
}

// bigStream is a stream of n entries, the field names changing every 700
// entries (entries with and without the master's fields), with a consumer
// group.
func bigStream(n int) *rdbfile.Value {
	st := &rdbfile.Stream{}
	for i := range n {
		id := rdbfile.StreamID{Ms: 1700000000000 + uint64(i/3), Seq: uint64(i % 3)}
		f := []byte("field")
		if (i/700)%2 == 1 {
			f = fmt.Appendf(nil, "f%d", i%4)
		}
		st.Entries = append(st.Entries, rdbfile.StreamEntry{ID: id, Fields: [][]byte{
			f, fmt.Appendf(nil, "value-%d-%s", i, bytes.Repeat([]byte("x"), i%50)),
			[]byte("n"), fmt.Append(nil, i*7),
		}})
	}
	st.Length = uint64(n)
	st.LastID = st.Entries[n-1].ID
	st.FirstID = st.Entries[0].ID
	st.EntriesAdded = uint64(n)
	st.HasV2Meta = true
	st.Groups = []rdbfile.StreamGroup{{Name: []byte("g"), LastID: st.Entries[10].ID, EntriesRead: 11,
		PEL:       []rdbfile.StreamPending{{ID: st.Entries[10].ID, DeliveryTime: 1700000000000, DeliveryCount: 1}},
		Consumers: []rdbfile.StreamConsumer{{Name: []byte("c"), SeenTime: 1700000000000, ActiveTime: -1, PEL: []rdbfile.StreamID{st.Entries[10].ID}}}}}
	return &rdbfile.Value{Kind: rdbfile.KindStream, Stream: st}
}

// TestWriterSpillStream: a stream far over the budget (several MB of
// node listpacks) is written the same bytes as in memory and reads back
// equal, for each stream type, by WriteKey and element by element.
func TestWriterSpillStream(t *testing.T) {
	for _, opts := range []rdbfile.WriterOptions{
		{Version: 9}, {Version: 11}, {Version: 12, NoCompression: true},
		{Dialect: rdbfile.DialectValkey, Version: 80}, {Version: 14},
	} {
		t.Run(fmt.Sprintf("%+v", opts), func(t *testing.T) {
			v := bigStream(60000)
			if opts.Version == 9 {
				v.Stream.Groups[0].EntriesRead = -1 // STREAM_LISTPACKS has no entries-read
			}
			data := spillSame(t, opts, func(w *rdbfile.Writer) error {
				if err := w.SelectDB(0); err != nil {
					return err
				}
				if err := w.WriteKey(hdr("whole", rdbfile.KindStream, -1), v); err != nil {
					return err
				}
				return addAll(w, hdr("added", rdbfile.KindStream, int64(len(v.Stream.Entries))), v)
			})
			got, _ := readValues(t, data)
			if len(got) != 2 {
				t.Fatalf("%d keys read back, want 2", len(got))
			}
			for i := range got {
				g, want := normalize(got[i]).Stream, normalize(v).Stream
				if !reflect.DeepEqual(g.Entries, want.Entries) {
					t.Errorf("key %d: stream entries read back differ", i)
				}
				g.Entries, want.Entries = nil, nil
				if !reflect.DeepEqual(g, want) {
					t.Errorf("key %d: stream read back: %+v, want %+v", i, g, want)
				}
			}
			if len(data) < 2<<20 {
				t.Errorf("file of %d bytes: the value is not over the budget", len(data))
			}
		})
	}
}

// bigHash is a hash of n fields, every other one with a TTL.
func bigHash(n int, ttl bool) *rdbfile.Value {
	v := &rdbfile.Value{Kind: rdbfile.KindHash}
	for i := range n {
		f := rdbfile.HashField{Field: fmt.Appendf(nil, "field-%d", i), Value: fmt.Appendf(nil, "%d-%s", i*3, bytes.Repeat([]byte("v"), i%90)), ExpireAt: rdbfile.NoExpire}
		if ttl && i%2 == 1 {
			f.ExpireAt = 1800000000000 + int64(n-i)*1000
		}
		v.Hash = append(v.Hash, f)
	}
	return v
}

// TestWriterSpillHashFieldTTL: a hash with field TTLs far over the
// budget (HASH_METADATA to Redis, whose smallest TTL comes first; HASH_2
// to Valkey when the Count is unknown) is written the same bytes as in
// memory and reads back equal; so is a hash announced with field TTLs
// that has none (plain HASH).
func TestWriterSpillHashFieldTTL(t *testing.T) {
	type tc struct {
		opts  rdbfile.WriterOptions
		ttl   bool
		count bool // announce the Count (element by element)
		want  rdbfile.Type
	}
	for _, c := range []tc{
		{opts: rdbfile.WriterOptions{Version: 12}, ttl: true, count: true, want: rdbfile.TypeHashMetadata},
		{opts: rdbfile.WriterOptions{Version: 13, NoCompression: true}, ttl: true, want: rdbfile.TypeHashMetadata},
		{opts: rdbfile.WriterOptions{Version: 12}, ttl: false, count: true, want: rdbfile.TypeHash},
		{opts: rdbfile.WriterOptions{Version: 11}, ttl: false, count: true, want: rdbfile.TypeHash},
		{opts: rdbfile.WriterOptions{Dialect: rdbfile.DialectValkey, Version: 80}, ttl: true, want: rdbfile.TypeHash2},
	} {
		t.Run(fmt.Sprintf("%+v", c), func(t *testing.T) {
			v := bigHash(80000, c.ttl)
			count := int64(-1)
			if c.count {
				count = int64(len(v.Hash))
			}
			h := hdr("added", rdbfile.KindHash, count)
			h.FieldTTL = true
			data := spillSame(t, c.opts, func(w *rdbfile.Writer) error {
				if err := w.SelectDB(0); err != nil {
					return err
				}
				if err := w.WriteKey(hdr("whole", rdbfile.KindHash, -1), v); err != nil {
					return err
				}
				return addAll(w, h, v)
			})
			got, types := readValues(t, data)
			if len(got) != 2 {
				t.Fatalf("%d keys read back, want 2", len(got))
			}
			for i := range got {
				if types[i] != c.want {
					t.Errorf("key %d: type %s, want %s", i, types[i], c.want)
				}
				if !reflect.DeepEqual(normalize(got[i]), normalize(v)) {
					t.Errorf("key %d: hash read back differs: %s", i, diffValues(normalize(got[i]), normalize(v)))
				}
			}
			if len(data) < 2<<20 {
				t.Errorf("file of %d bytes: the value is not over the budget", len(data))
			}
		})
	}
}

// TestWriterSpillRefusals: a value refused at Close after its body was
// spilled leaves nothing of its record in the output, and the Writer
// goes on; a target without field TTLs refuses the first field with one
// at once.
func TestWriterSpillRefusals(t *testing.T) {
	opts := &rdbfile.WriterOptions{Version: 12, ValueMemory: spillBudget, TempDir: t.TempDir()}
	var out bytes.Buffer
	w := rdbfile.NewWriter(&out, opts)
	if err := w.SelectDB(0); err != nil {
		t.Fatal(err)
	}
	before := w.Offset()

	// A TTL outside 0..2^48-1 is known to be refused only at Close.
	v := bigHash(40000, true)
	v.Hash[len(v.Hash)-1].ExpireAt = 1 << 50
	h := hdr("badttl", rdbfile.KindHash, int64(len(v.Hash)))
	h.FieldTTL = true
	err := addAll(w, h, v)
	if !errors.Is(err, rdbfile.ErrUnsupported) {
		t.Fatalf("TTL 2^50: %v, want a refusal", err)
	}
	if w.Offset() != before {
		t.Fatalf("refused hash wrote %d bytes", w.Offset()-before)
	}
	// Stream entries out of order, seen after the nodes were spilled.
	s := bigStream(40000)
	s.Stream.Entries[39000].ID, s.Stream.Entries[39001].ID = s.Stream.Entries[39001].ID, s.Stream.Entries[39000].ID
	if err := w.WriteKey(hdr("badstream", rdbfile.KindStream, -1), s); !errors.Is(err, rdbfile.ErrUnsupported) {
		t.Fatalf("stream out of order: %v, want a refusal", err)
	}
	if w.Offset() != before {
		t.Fatalf("refused values wrote %d bytes", w.Offset()-before)
	}
	if err := w.WriteKey(hdr("ok", rdbfile.KindList, -1), bigList(50000, false)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := readValues(t, out.Bytes())
	if len(got) != 1 || len(got[0].List) != 50000 {
		t.Fatalf("read back %d keys, want the list only", len(got))
	}

	// RDB 11: the first field with a TTL is refused by Add, nothing written.
	out.Reset()
	w = rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Version: 11, ValueMemory: spillBudget, TempDir: t.TempDir()})
	w.SelectDB(0)
	before = w.Offset()
	h = hdr("ttl", rdbfile.KindHash, 40000)
	h.FieldTTL = true
	vw, err := w.BeginKey(h)
	if err != nil {
		t.Fatal(err)
	}
	v = bigHash(40000, true)
	var addErr error
	for i := range v.Hash {
		f := v.Hash[i]
		if addErr = vw.Add(&rdbfile.Element{Member: f.Field, Value: f.Value, ExpireAt: f.ExpireAt}); addErr != nil {
			if i != 1 {
				t.Errorf("refused at field %d, want 1 (the first with a TTL)", i)
			}
			break
		}
	}
	if !errors.Is(addErr, rdbfile.ErrUnsupported) || !errors.Is(vw.Close(), rdbfile.ErrUnsupported) {
		t.Fatalf("field TTL to RDB 11: %v, want a refusal", addErr)
	}
	if w.Offset() != before {
		t.Fatalf("refused value wrote %d bytes", w.Offset()-before)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestWriterSpillHold: a spilled value written during a Hold is taken
// back whole by Release(false), and kept by Release(true) as written
// without the hold.
func TestWriterSpillHold(t *testing.T) {
	list := bigList(100000, false)
	write := func(hold, keep bool) []byte {
		var out bytes.Buffer
		w := rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Version: 11, ValueMemory: spillBudget, TempDir: t.TempDir()})
		w.SelectDB(0)
		if err := w.WriteKey(hdr("a", rdbfile.KindList, -1), list); err != nil {
			t.Fatal(err)
		}
		if hold {
			if err := w.Hold(func() rdbfile.HoldState { return rdbfile.HoldUndecided }); err != nil {
				t.Fatal(err)
			}
		}
		if err := addAll(w, hdr("b", rdbfile.KindList, int64(len(list.List))), list); err != nil {
			t.Fatal(err)
		}
		if hold {
			if err := w.Release(keep); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	plain, kept, dropped := write(false, false), write(true, true), write(true, false)
	if !bytes.Equal(plain, kept) {
		t.Errorf("kept hold: %d bytes, want the %d written without it", len(kept), len(plain))
	}
	if got, _ := readValues(t, dropped); len(got) != 1 || !reflect.DeepEqual(got[0].List, list.List) {
		t.Errorf("dropped hold: %d keys read back, want the first list only", len(got))
	}
}

// TestWriterSpillCorpus: every readable RDB of the corpus, re-encoded to
// its own target and to RDB 9, 11 and VALKEY 80, with and without the
// Reader's LZF bytes, is the same bytes with a budget of 1 byte (every
// value held until Close spilled) as with none.
func TestWriterSpillCorpus(t *testing.T) {
	for _, p := range goodRDBs(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src := readRecs(t, p, data)
		for _, tg := range []rdbfile.WriterOptions{*sameTarget(src.hdr, !trailerZero(data)), {Version: 9}, {Version: 11}, {Dialect: rdbfile.DialectValkey, Version: 80}} {
			for _, reuse := range []bool{false, true} {
				a, aerr := transcode(t, data, tg, noSpill, reuse)
				b, berr := transcode(t, data, tg, 1, reuse)
				if (aerr == nil) != (berr == nil) || (aerr != nil && aerr.Error() != berr.Error()) {
					t.Fatalf("%s to %+v: in memory: %v; spilled: %v", p, tg, aerr, berr)
				}
				if !bytes.Equal(a, b) {
					t.Fatalf("%s to %+v (reuse %v): spilled output differs (%d and %d bytes)", p, tg, reuse, len(b), len(a))
				}
			}
		}
	}
}

// transcode re-encodes every key of data to tg, skipping the keys tg
// refuses, with the given value budget.
func transcode(t *testing.T, data []byte, tg rdbfile.WriterOptions, budget int, reuse bool) ([]byte, error) {
	var out bytes.Buffer
	tg.ValueMemory, tg.TempDir = budget, t.TempDir()
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	w := rdbfile.NewWriter(&out, &tg)
	if reuse {
		w.ReuseLZF(r)
	}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if e.Kind != rdbfile.EntryKey || e.ValueKind == rdbfile.KindModule {
			continue
		}
		if e.DB != 0 {
			continue // keys of one db: no SELECTDB to write
		}
		h := rdbfile.HeaderOf(e)
		if e.ValueKind == rdbfile.KindStream || e.ValueKind == rdbfile.KindArray || e.ValueKind == rdbfile.KindGCRA {
			v, err := e.Value()
			if err != nil {
				return nil, err
			}
			err = w.WriteKey(h, v)
			if err != nil && !errors.Is(err, rdbfile.ErrUnsupported) {
				return nil, err
			}
			continue
		}
		h.Count = e.Count()
		var vw *rdbfile.ValueWriter
		err = e.Walk(func(el *rdbfile.Element) error {
			if vw == nil {
				var err error
				if vw, err = w.BeginKey(h); err != nil {
					return err
				}
			}
			return vw.Add(el)
		})
		if vw != nil {
			if cerr := vw.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil && !errors.Is(err, rdbfile.ErrUnsupported) {
			return nil, err
		}
	}
	err := w.Close()
	return out.Bytes(), err
}

// BenchmarkWriterBigList writes one list of 2 M items element by element
// (BeginKey, Add, Close) to a quicklist target, with the default value
// budget and with none; held-MB is the heap in use just before Close, the
// point where the whole list was held before the spill.
func BenchmarkWriterBigList(b *testing.B) {
	const n = 2_000_000
	for _, c := range []struct {
		name   string
		budget int
	}{{"budget=default", 0}, {"budget=none", noSpill}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var held float64
			item := make([]byte, 0, 32)
			for b.Loop() {
				var ms runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&ms)
				base := ms.HeapInuse
				w := rdbfile.NewWriter(io.Discard, &rdbfile.WriterOptions{Version: 11, ValueMemory: c.budget, TempDir: b.TempDir()})
				vw, err := w.BeginKey(hdr("list", rdbfile.KindList, n))
				if err != nil {
					b.Fatal(err)
				}
				for i := range n {
					item = strconv.AppendInt(append(item[:0], "element:"...), int64(i), 10)
					if err := vw.Add(&rdbfile.Element{Member: item, ExpireAt: rdbfile.NoExpire}); err != nil {
						b.Fatal(err)
					}
				}
				runtime.ReadMemStats(&ms)
				held = max(held, float64(ms.HeapInuse-min(base, ms.HeapInuse))/(1<<20))
				if err := vw.Close(); err != nil {
					b.Fatal(err)
				}
				if err := w.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(held, "held-MB")
		})
	}
}
