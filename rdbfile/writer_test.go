package rdbfile_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// goodRDBs lists the readable RDB files of the corpus and of testdata.
func goodRDBs(t testing.TB) []string { return testcorpus.GoodRDBs(t) }

type keyRec struct {
	db  int
	h   rdbfile.KeyHeader
	typ rdbfile.Type
	val *rdbfile.Value
}

type fileRecs struct {
	hdr   *rdbfile.Header
	keys  []keyRec
	funcs []string
	sum   rdbfile.ChecksumStatus
}

func readRecs(t *testing.T, name string, data []byte) *fileRecs {
	t.Helper()
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	hdr, err := r.Header()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	res := &fileRecs{hdr: hdr}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		switch e.Kind {
		case rdbfile.EntryFunction:
			res.funcs = append(res.funcs, string(e.Data))
		case rdbfile.EntryKey:
			h := rdbfile.HeaderOf(e)
			h.Key = bytes.Clone(h.Key)
			v, err := e.Value()
			if err != nil && !errors.Is(err, rdbfile.ErrInvalid) {
				t.Fatalf("%s: key %q: %v", name, e.Key, err)
			}
			res.keys = append(res.keys, keyRec{db: e.DB, h: h, typ: e.Type, val: v})
		}
	}
	res.sum = r.Checksum()
	return res
}

// normalize puts a value in a canonical order: sets, sorted sets and
// hashes are unordered, and a writer may pick an encoding that orders them.
func normalize(v *rdbfile.Value) *rdbfile.Value {
	if v == nil {
		return nil
	}
	c := *v
	switch v.Kind {
	case rdbfile.KindSet:
		c.Set = slices.Clone(v.Set)
		sort.Slice(c.Set, func(i, j int) bool { return bytes.Compare(c.Set[i], c.Set[j]) < 0 })
	case rdbfile.KindZSet:
		c.ZSet = slices.Clone(v.ZSet)
		sort.Slice(c.ZSet, func(i, j int) bool { return bytes.Compare(c.ZSet[i].Member, c.ZSet[j].Member) < 0 })
	case rdbfile.KindHash:
		c.Hash = slices.Clone(v.Hash)
		sort.Slice(c.Hash, func(i, j int) bool { return bytes.Compare(c.Hash[i].Field, c.Hash[j].Field) < 0 })
	case rdbfile.KindArray:
		a := *v.Array
		a.Elements = slices.Clone(a.Elements)
		for i := range a.Elements {
			if a.Elements[i].Str == nil {
				a.Elements[i].Str = []byte{}
			}
		}
		c.Array = &a
	case rdbfile.KindStream:
		st := *v.Stream
		st.Groups = slices.Clone(st.Groups)
		for gi := range st.Groups {
			g := &st.Groups[gi]
			g.Consumers = slices.Clone(g.Consumers)
			for ci := range g.Consumers {
				if g.Consumers[ci].ActiveTime == -1 {
					g.Consumers[ci].ActiveTime = g.Consumers[ci].SeenTime
				}
			}
		}
		if m := st.IDMP; m != nil && m.Duration == 100 && m.MaxEntries == 100 && len(m.Producers) == 0 && m.IIDsAdded == 0 && m.IIDsDuplicates == 0 {
			st.IDMP = nil // the defaults: what a stream without IDMP state is saved with
		}
		if !st.HasV2Meta {
			st.HasV2Meta, st.EntriesAdded = true, st.Length
			if len(st.Entries) > 0 {
				st.FirstID = st.Entries[0].ID
			}
		}
		c.Stream = &st
	}
	return &c
}

// rewrite reads data and writes every record to opts' target: keys by
// WriteKey (re-encoded) or, with raw, by CopyEntry where the target allows.
func rewrite(t *testing.T, name string, data []byte, opts *rdbfile.WriterOptions, raw bool) []byte {
	t.Helper()
	return rewriteWith(t, name, data, opts, raw, false)
}

// rewriteWith is rewrite; with reuse the Writer takes the Reader's LZF
// bytes (Writer.ReuseLZF).
func rewriteWith(t *testing.T, name string, data []byte, opts *rdbfile.WriterOptions, raw, reuse bool) []byte {
	t.Helper()
	var out bytes.Buffer
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	hdr, err := r.Header()
	if err != nil {
		t.Fatal(err)
	}
	w := rdbfile.NewWriter(&out, opts)
	if reuse {
		w.ReuseLZF(r)
	}
	for _, a := range hdr.Aux {
		if err := w.WriteAux(a.Name, a.Value); err != nil {
			t.Fatalf("%s: aux: %v", name, err)
		}
	}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: read: %v", name, err)
		}
		if raw || e.Kind != rdbfile.EntryKey || e.ValueKind == rdbfile.KindModule {
			if err := w.CopyEntry(e); err != nil {
				t.Fatalf("%s: copy %s %q: %v", name, e.Kind, e.Key, err)
			}
			continue
		}
		h := rdbfile.HeaderOf(e)
		v, err := e.Value()
		if err != nil {
			t.Fatalf("%s: key %q: %v", name, e.Key, err)
		}
		if err := w.WriteKey(h, v); err != nil {
			t.Fatalf("%s: write key %q: %v", name, e.Key, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("%s: close: %v", name, err)
	}
	return out.Bytes()
}

func sameTarget(h *rdbfile.Header, sum bool) *rdbfile.WriterOptions {
	return &rdbfile.WriterOptions{Dialect: h.Dialect, Version: h.Version, NoChecksum: !sum}
}

// trailerZero reports whether the file ends with an all-zero CRC trailer.
func trailerZero(data []byte) bool {
	return len(data) >= 8 && bytes.Equal(data[len(data)-8:], make([]byte, 8))
}

func compareRecs(t *testing.T, name string, a, b *fileRecs) {
	t.Helper()
	if len(a.keys) != len(b.keys) {
		t.Fatalf("%s: %d keys, read back %d", name, len(a.keys), len(b.keys))
	}
	for i := range a.keys {
		x, y := a.keys[i], b.keys[i]
		if x.db != y.db || !bytes.Equal(x.h.Key, y.h.Key) || x.h.ExpireAt != y.h.ExpireAt || x.h.Idle != y.h.Idle || x.h.Freq != y.h.Freq {
			t.Errorf("%s: key %d: header %+v, read back %+v", name, i, x.h, y.h)
			continue
		}
		if x.val != nil && x.val.Kind == rdbfile.KindModule {
			if !reflect.DeepEqual(x.val.Module, y.val.Module) {
				t.Errorf("%s: key %q: module %+v, read back %+v", name, x.h.Key, x.val.Module, y.val.Module)
			}
			continue
		}
		if nx, ny := normalize(x.val), normalize(y.val); !reflect.DeepEqual(nx, ny) {
			t.Errorf("%s: key %q (%s -> %s): value differs\n got  %s\n want %s", name, x.h.Key, x.typ, y.typ, show(ny), show(nx))
		}
	}
	if !slices.Equal(a.funcs, b.funcs) {
		t.Errorf("%s: functions %q, read back %q", name, a.funcs, b.funcs)
	}
}

var showArray func(*rdbfile.Value) string

func show(v *rdbfile.Value) string {
	s := fmt.Sprintf("%+v", v)
	if v != nil && v.Stream != nil {
		s += fmt.Sprintf(" stream %+v", *v.Stream)
	}
	s += showArray(v)
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}

// TestWriterRoundTripCorpus: every readable RDB, read, re-encoded to its
// own target, read back: same keys, values, TTLs, LRU/LFU and functions.
func TestWriterRoundTripCorpus(t *testing.T) {
	for _, p := range goodRDBs(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(p)))+"/"+filepath.Base(p), func(t *testing.T) {
			src := readRecs(t, p, data)
			for _, nocomp := range []bool{false, true} {
				opts := sameTarget(src.hdr, !trailerZero(data))
				opts.NoCompression = nocomp
				out := rewrite(t, p, data, opts, false)
				back := readRecs(t, p+" (rewritten)", out)
				compareRecs(t, p, src, back)
				if back.hdr.Version != src.hdr.Version || back.hdr.Dialect != src.hdr.Dialect {
					t.Errorf("header %+v, want %+v", back.hdr, src.hdr)
				}
			}
		})
	}
}

// TestWriterRawCopyIdentical: copying every record raw to the file's own
// target gives the input byte for byte.
func TestWriterRawCopyIdentical(t *testing.T) {
	for _, p := range goodRDBs(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src := readRecs(t, p, data)
		out := rewrite(t, p, data, sameTarget(src.hdr, !trailerZero(data)), true)
		if !bytes.Equal(out, data) {
			i := 0
			for i < len(out) && i < len(data) && out[i] == data[i] {
				i++
			}
			t.Errorf("%s: raw copy differs from the input at byte %d (%d vs %d bytes)", p, i, len(out), len(data))
		}
	}
}

// TestDumpRoundTrip: every key of every readable RDB as a DUMP payload of
// the file's own version, read back equal; a flipped byte fails the CRC.
func TestDumpRoundTrip(t *testing.T) {
	n := 0
	for _, p := range goodRDBs(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src := readRecs(t, p, data)
		opts := &rdbfile.WriterOptions{Dialect: src.hdr.Dialect, Version: src.hdr.Version}
		for _, k := range src.keys {
			if k.val == nil || k.val.Kind == rdbfile.KindModule {
				continue
			}
			payload, err := rdbfile.AppendDump([]byte("prefix"), k.val, opts)
			if err != nil {
				t.Fatalf("%s: key %q: %v", p, k.h.Key, err)
			}
			if string(payload[:6]) != "prefix" {
				t.Fatalf("AppendDump overwrote dst")
			}
			payload = payload[6:]
			v, ver, err := rdbfile.ReadDump(payload, 0)
			if err != nil {
				t.Fatalf("%s: key %q: ReadDump: %v", p, k.h.Key, err)
			}
			if ver != src.hdr.Version {
				t.Errorf("version %d, want %d", ver, src.hdr.Version)
			}
			if !reflect.DeepEqual(normalize(v), normalize(k.val)) {
				t.Errorf("%s: key %q: DUMP round trip differs:\n got  %s\n want %s", p, k.h.Key, show(v), show(k.val))
			}
			if _, _, err := rdbfile.ReadDump(payload, src.hdr.Version-1); !errors.Is(err, rdbfile.ErrUnsupportedVersion) {
				t.Errorf("ReadDump with an older maxVersion: %v", err)
			}
			bad := slices.Clone(payload)
			bad[len(bad)/2] ^= 0x20
			if _, _, err := rdbfile.ReadDump(bad, 0); !errors.Is(err, rdbfile.ErrChecksum) {
				t.Errorf("ReadDump of a flipped payload: %v", err)
			}
			n++
		}
	}
	if n < 100 {
		t.Errorf("only %d values checked", n)
	}
}

func TestFunctionDump(t *testing.T) {
	libs := []string{"#!lua name=a\nredis.register_function('f', function() return 1 end)", "#!lua name=b\nreturn"}
	var body []byte
	for _, l := range libs {
		body = append(body, 0xF5, 0x40|byte(len(l)>>8), byte(len(l)))
		body = append(body, l...)
	}
	got, err := rdbfile.ReadFunctionDump(rdbfile.AppendDumpFooter(body, 11), 11)
	if err != nil || len(got) != 2 || string(got[0]) != libs[0] || string(got[1]) != libs[1] {
		t.Fatalf("ReadFunctionDump: %q %v", got, err)
	}
	if _, err := rdbfile.ReadFunctionDump(rdbfile.AppendDumpFooter(body, 11), 10); !errors.Is(err, rdbfile.ErrUnsupportedVersion) {
		t.Errorf("too new: %v", err)
	}
	if got, err := rdbfile.ReadFunctionDump(rdbfile.AppendDumpFooter(nil, 10), 10); err != nil || len(got) != 0 {
		t.Errorf("empty FUNCTION DUMP: %q %v", got, err)
	}
}

// diffValues describes the first difference between two normalized values.
func diffValues(a, b *rdbfile.Value) string {
	a, b = normalize(a), normalize(b)
	if a == nil || b == nil {
		return fmt.Sprintf("%v vs %v", a, b)
	}
	switch a.Kind {
	case rdbfile.KindZSet:
		if len(a.ZSet) != len(b.ZSet) {
			return fmt.Sprintf("%d vs %d members", len(a.ZSet), len(b.ZSet))
		}
		for i := range a.ZSet {
			if !reflect.DeepEqual(a.ZSet[i], b.ZSet[i]) {
				return fmt.Sprintf("member %d: %q %v vs %q %v", i, a.ZSet[i].Member, a.ZSet[i].Score, b.ZSet[i].Member, b.ZSet[i].Score)
			}
		}
	case rdbfile.KindHash:
		if len(a.Hash) != len(b.Hash) {
			return fmt.Sprintf("%d vs %d fields", len(a.Hash), len(b.Hash))
		}
		for i := range a.Hash {
			if !reflect.DeepEqual(a.Hash[i], b.Hash[i]) {
				return fmt.Sprintf("field %d: %q=%q@%d vs %q=%q@%d", i, a.Hash[i].Field, a.Hash[i].Value, a.Hash[i].ExpireAt, b.Hash[i].Field, b.Hash[i].Value, b.Hash[i].ExpireAt)
			}
		}
	case rdbfile.KindList, rdbfile.KindSet:
		x, y := a.List, b.List
		if a.Kind == rdbfile.KindSet {
			x, y = a.Set, b.Set
		}
		if len(x) != len(y) {
			return fmt.Sprintf("%d vs %d elements", len(x), len(y))
		}
		for i := range x {
			if !bytes.Equal(x[i], y[i]) {
				return fmt.Sprintf("element %d: %q vs %q", i, x[i], y[i])
			}
		}
	}
	return show(a) + "\n vs " + show(b)
}

func init() {
	showArray = func(v *rdbfile.Value) string {
		if v == nil || v.Array == nil {
			return ""
		}
		return fmt.Sprintf(" array %+v", *v.Array)
	}
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// TestWriterStreamsBigValues: a value too big for a compact encoding, with
// a known Count, goes out element by element: the bytes reach the
// underlying writer before the value is closed.
func TestWriterStreamsBigValues(t *testing.T) {
	for _, kind := range []rdbfile.Kind{rdbfile.KindHash, rdbfile.KindSet, rdbfile.KindZSet} {
		for _, tg := range []rdbfile.WriterOptions{{Version: 6}, {Version: 10}, {Version: 12}, {Dialect: rdbfile.DialectValkey, Version: 80}} {
			var cw countWriter
			tg.NoCompression = true // the repeated bytes would shrink to nothing
			w := rdbfile.NewWriter(&cw, &tg)
			const n = 20000
			vw, err := w.BeginKey(rdbfile.KeyHeader{Key: []byte("big"), Kind: kind, ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1, Count: n})
			if err != nil {
				t.Fatal(err)
			}
			val := bytes.Repeat([]byte("v"), 100)
			for i := range n {
				el := rdbfile.Element{Member: []byte(fmt.Sprintf("member-%07d", i)), Value: val, Score: float64(i), ExpireAt: rdbfile.NoExpire}
				el.Member = append(el.Member, val...)
				if err := vw.Add(&el); err != nil {
					t.Fatal(err)
				}
			}
			if cw.n < n*100*9/10 {
				t.Errorf("%s to %+v: only %d bytes written before Close: the value was buffered", kind, tg, cw.n)
			}
			if err := vw.Close(); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestWriterModuleValue: a module value read with Value keeps its body
// (ModuleValue.Raw) and is written back byte for byte, to a file of
// another version and as a DUMP payload; targets before RDB 8 refuse it.
func TestWriterModuleValue(t *testing.T) {
	// A module value of type id 0x123456789 << 10 | 3: one unsigned 42
	// (opcode 2), one string "ab" (opcode 5), then the EOF tag 0.
	id := uint64(0x123456789)<<10 | 3
	body := []byte{0x02, 42, 0x05, 0x02, 'a', 'b', 0x00}
	var src bytes.Buffer
	src.WriteString("REDIS0009\xfe\x00\x07\x03mod\x81")
	src.Write(binary.BigEndian.AppendUint64(nil, id))
	src.Write(body)
	src.WriteString("\xff")
	src.Write(make([]byte, 8))
	recs := readRecs(t, "module", src.Bytes())
	v := recs.keys[0].val
	if v.Module == nil || !bytes.Equal(v.Module.Raw, body) {
		t.Fatalf("module value %+v", v.Module)
	}
	for _, ver := range []int{8, 11, 15} {
		var out bytes.Buffer
		w := rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Version: ver})
		if err := w.WriteKey(recs.keys[0].h, v); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		back := readRecs(t, "module out", out.Bytes())
		if !reflect.DeepEqual(back.keys[0].val.Module, v.Module) {
			t.Errorf("RDB %d: module %+v, want %+v", ver, back.keys[0].val.Module, v.Module)
		}
	}
	p, err := rdbfile.AppendDump(nil, v, &rdbfile.WriterOptions{Version: 10})
	if err != nil {
		t.Fatal(err)
	}
	if d, _, err := rdbfile.ReadDump(p, 0); err != nil || !reflect.DeepEqual(d.Module, v.Module) {
		t.Errorf("DUMP: %+v %v", d, err)
	}
	w := rdbfile.NewWriter(io.Discard, &rdbfile.WriterOptions{Version: 7})
	if err := w.WriteKey(recs.keys[0].h, v); !errors.Is(err, rdbfile.ErrUnsupported) {
		t.Errorf("module value to RDB 7: %v", err)
	}
}

// TestWriterReleaseOptions: every release of the release table maps onto
// a target the Writer writes, with that release's magic, RDB version and
// encoding limits.
func TestWriterReleaseOptions(t *testing.T) {
	for _, r := range release.All() {
		o := rdbfile.ReleaseOptions(r)
		var out bytes.Buffer
		w := rdbfile.NewWriter(&out, &o)
		if err := w.SelectDB(0); err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		if err := w.Close(); err != nil {
			t.Fatalf("%s: %v", r.Name, err)
		}
		h := readRecs(t, r.Name, out.Bytes()).hdr
		if h.Magic != r.Magic || h.Version != r.RDB {
			t.Errorf("%s: wrote %s %d, want %s %d", r.Name, h.Magic, h.Version, r.Magic, r.RDB)
		}
		l := *o.Limits
		if l.HashMaxListpackEntries != r.Limits.HashMaxListpackEntries || l.SetMaxListpackEntries != r.Limits.SetMaxListpackEntries ||
			l.ZSetMaxListpackValue != r.Limits.ZSetMaxListpackValue || l.ListMaxListpackSize != r.Limits.ListMaxListpackSize ||
			l.StreamNodeMaxEntries != r.Limits.StreamNodeMaxEntries {
			t.Errorf("%s: limits %+v, release %+v", r.Name, l, r.Limits)
		}
		if d := rdbfile.DefaultLimits(o.Dialect, o.Version); d.SetMaxListpackEntries != l.SetMaxListpackEntries {
			t.Errorf("%s: DefaultLimits %+v differ from the release's", r.Name, d)
		}
	}
}

// TestWriterReuseLZF: re-encoding every key of every good corpus RDB gives
// the same bytes whether the Writer compresses its strings itself or takes
// the input's LZF bytes (and plain verdicts) with ReuseLZF, to the file's
// own version and to RDB 11; and the reuse is exercised (some file has LZF
// strings whose bytes are taken).
func TestWriterReuseLZF(t *testing.T) {
	lzfSeen := false
	for _, path := range testcorpus.GoodRDBs(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		r := rdbfile.NewReader(bytes.NewReader(data), nil)
		hdr, err := r.Header()
		if err != nil {
			t.Fatal(err)
		}
		for {
			e, err := r.Next()
			if err != nil {
				break
			}
			if e.Kind == rdbfile.EntryKey {
				e.Skip()
				if c, _ := e.LZFBytes(); c > 0 {
					lzfSeen = true
				}
			}
		}
		targets := []*rdbfile.WriterOptions{sameTarget(hdr, true)}
		if hdr.Dialect == rdbfile.DialectRedis && hdr.Version <= 11 {
			targets = append(targets, &rdbfile.WriterOptions{Version: 11})
		}
		for _, tg := range targets {
			name := filepath.Base(path)
			a := rewriteWith(t, name, data, tg, false, false)
			b := rewriteWith(t, name, data, tg, false, true)
			if !bytes.Equal(a, b) {
				t.Errorf("%s -> %d: output differs with ReuseLZF (%d vs %d bytes)", name, tg.Version, len(a), len(b))
			}
		}
	}
	if !lzfSeen {
		t.Fatal("no corpus file has an LZF string: the reuse is not exercised")
	}
}

// TestCopyEntryCorruptValueTakenBack: a value that Skip finds corrupt while
// CopyEntry copies it (a listpack whose header disagrees with its size,
// the string framing intact) is reported, and since none of its bytes left
// the Writer's buffer, the record is taken back out: the Writer goes on and
// its output reads back clean, without the key.
func TestCopyEntryCorruptValueTakenBack(t *testing.T) {
	var src bytes.Buffer
	w := rdbfile.NewWriter(&src, &rdbfile.WriterOptions{Version: 10, NoCompression: true, NoChecksum: true})
	w.SelectDB(0)
	hdr := func(k string) rdbfile.KeyHeader {
		return rdbfile.KeyHeader{Key: []byte(k), ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteKey(hdr("a"), &rdbfile.Value{Kind: rdbfile.KindString, String: []byte("x")}))
	must(w.WriteKey(hdr("b"), &rdbfile.Value{Kind: rdbfile.KindHash, Hash: []rdbfile.HashField{
		{Field: []byte("f1"), Value: []byte("v1"), ExpireAt: rdbfile.NoExpire},
		{Field: []byte("f2"), Value: []byte("v2"), ExpireAt: rdbfile.NoExpire}}}))
	must(w.WriteKey(hdr("c"), &rdbfile.Value{Kind: rdbfile.KindString, String: []byte("y")}))
	must(w.Close())
	data := src.Bytes()
	i := bytes.Index(data, []byte{byte(rdbfile.TypeHashListpack), 1, 'b'})
	if i < 0 || data[i+3] >= 0x40 {
		t.Fatalf("HASH_LISTPACK record of b not found as expected in %x", data)
	}
	data[i+4]++ // the listpack's total-bytes header: one more than its size

	var out bytes.Buffer
	r := rdbfile.NewReader(bytes.NewReader(data), nil)
	if _, err := r.Header(); err != nil {
		t.Fatal(err)
	}
	cw := rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Version: 10})
	bad := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := cw.CopyEntry(e); err != nil {
			if errors.Is(err, rdbfile.ErrUnsupported) || string(e.Key) != "b" {
				t.Fatalf("CopyEntry %q: %v", e.Key, err)
			}
			bad++
		}
	}
	if bad != 1 {
		t.Fatalf("corrupt value of b reported %d times, want 1", bad)
	}
	if err := cw.Close(); err != nil {
		t.Fatalf("Close after a taken-back record: %v", err)
	}
	keys, rr := readKeys(t, out.Bytes())
	if all, _ := rr.FindingCount(); all != 0 || !rr.Checksum().Verified || !slices.Equal(keys, []string{"a", "c"}) {
		t.Fatalf("output: findings %d, checksum verified %v, keys %q; want clean, verified, [a c]", all, rr.Checksum().Verified, keys)
	}
}

// TestWriterReuseLZFPlain: with ReuseLZF, a string longer than 20 bytes
// that the input holds plain is written plain again (no second LZF
// attempt) only once the input has shown an LZF string that is not a
// quicklist node, i.e. that its writer compressed strings
// (rdbcompression yes). The plain string here compresses well, so each
// case shows which way it went.
func TestWriterReuseLZFPlain(t *testing.T) {
	hdr := len("REDIS0010") + 2 // magic, SELECTDB 0 (no aux fields)
	records := func(nocomp bool, write func(w *rdbfile.Writer) error) []byte {
		var b bytes.Buffer
		w := rdbfile.NewWriter(&b, &rdbfile.WriterOptions{Version: 10, NoCompression: nocomp, NoChecksum: true})
		if err := w.SelectDB(0); err != nil {
			t.Fatal(err)
		}
		if err := write(w); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	hk := func(k string, kind rdbfile.Kind) rdbfile.KeyHeader {
		return rdbfile.KeyHeader{Key: []byte(k), Kind: kind, ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1, Count: -1}
	}
	plainVal := bytes.Repeat([]byte("x"), 40)
	lzfString := records(false, func(w *rdbfile.Writer) error { // LZF: 40 times "y"
		return w.WriteKey(hk("a", rdbfile.KindString), &rdbfile.Value{Kind: rdbfile.KindString, String: bytes.Repeat([]byte("y"), 40)})
	})
	var items [][]byte
	for range 10 {
		items = append(items, bytes.Repeat([]byte("z"), 30))
	}
	lzfNode := records(false, func(w *rdbfile.Writer) error { // a quicklist whose one node is LZF
		return w.WriteKey(hk("l", rdbfile.KindList), &rdbfile.Value{Kind: rdbfile.KindList, List: items})
	})
	plain := records(true, func(w *rdbfile.Writer) error {
		return w.WriteKey(hk("b", rdbfile.KindString), &rdbfile.Value{Kind: rdbfile.KindString, String: plainVal})
	})
	if !bytes.Contains(plain, plainVal) || bytes.Contains(lzfString, bytes.Repeat([]byte("y"), 40)) || bytes.Contains(lzfNode, items[0]) {
		t.Fatal("the inputs are not built as meant: b plain, a and the list node LZF")
	}
	// body returns the records of a one-database file (no header, no EOF).
	body := func(f []byte) []byte { return f[hdr : len(f)-9] }
	file := func(parts ...[]byte) []byte {
		f := append([]byte(nil), plain[:hdr]...)
		for _, p := range parts {
			f = append(f, body(p)...)
		}
		return append(f, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	tg := &rdbfile.WriterOptions{Version: 10, NoChecksum: true}
	for _, c := range []struct {
		name      string
		in        []byte
		keptPlain bool
	}{
		{"rdbcompression no (no LZF string)", file(plain), false},
		{"an LZF quicklist node only", file(lzfNode, plain), false},
		{"an LZF string before", file(lzfString, plain), true},
	} {
		without := rewriteWith(t, c.name, c.in, tg, false, false)
		with := rewriteWith(t, c.name, c.in, tg, false, true)
		if bytes.Contains(without, plainVal) {
			t.Errorf("%s: without ReuseLZF the plain string was not compressed", c.name)
		}
		if got := bytes.Contains(with, plainVal); got != c.keptPlain {
			t.Errorf("%s: with ReuseLZF the string is kept plain: %v, want %v", c.name, got, c.keptPlain)
		}
	}
}

// TestWriterReusedValueWriter: BeginKey hands out the Writer's one
// ValueWriter and keeps the key in a buffer reused by the next key, so a
// refusal must name its key by a copy: the error of a refused hash (field
// TTLs on RDB 9) still names it after the next keys were written, and the
// keys written after it read back as written.
func TestWriterReusedValueWriter(t *testing.T) {
	var out bytes.Buffer
	w := rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Version: 9})
	if err := w.SelectDB(0); err != nil {
		t.Fatal(err)
	}
	hdr := func(k string) rdbfile.KeyHeader {
		return rdbfile.KeyHeader{Key: []byte(k), ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1}
	}
	err := w.WriteKey(hdr("refused-hash"), &rdbfile.Value{Kind: rdbfile.KindHash, Hash: []rdbfile.HashField{
		{Field: []byte("f"), Value: []byte("v"), ExpireAt: 4102444800000}}})
	var ue *rdbfile.UnsupportedError
	if !errors.As(err, &ue) {
		t.Fatalf("hash with a field TTL on RDB 9: %v, want an UnsupportedError", err)
	}
	for _, k := range []string{"zzzzzzzzzzzz-1", "zzzzzzzzzzzz-2"} {
		if err := w.WriteKey(hdr(k), &rdbfile.Value{Kind: rdbfile.KindSet, Set: [][]byte{[]byte("a"), []byte("b")}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if string(ue.Key) != "refused-hash" {
		t.Errorf("the refusal names %q after two more keys, want %q", ue.Key, "refused-hash")
	}
	if keys, _ := readKeys(t, out.Bytes()); !slices.Equal(keys, []string{"zzzzzzzzzzzz-1", "zzzzzzzzzzzz-2"}) {
		t.Errorf("keys read back: %q, want [zzzzzzzzzzzz-1 zzzzzzzzzzzz-2]", keys)
	}
}

// readKeys reads an RDB file to its end, each value checked (Skip), and
// returns its keys in file order and the Reader, for its findings and
// checksum.
func readKeys(t *testing.T, data []byte) ([]string, *rdbfile.Reader) {
	t.Helper()
	r := rdbfile.NewReader(bytes.NewReader(data), nil)
	var keys []string
	for {
		e, err := r.Next()
		if err == io.EOF {
			return keys, r
		}
		if err != nil {
			t.Fatalf("output: %v", err)
		}
		if e.Kind == rdbfile.EntryKey {
			if err := e.Skip(); err != nil {
				t.Fatalf("output key %q: %v", e.Key, err)
			}
			keys = append(keys, string(e.Key))
		}
	}
}
