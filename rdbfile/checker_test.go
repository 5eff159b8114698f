package rdbfile

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// checkerTrace reads data as a checker does, with one goroutine (Next,
// then Skip; jobs 1) or with a Checker of jobs workers, and writes down
// everything a caller can see: per record the entry's fields, what Skip
// returned, the offset and the finding counts after it; at the end Next's
// error, the offset, every finding kept and the checksum status. budget,
// when not 0, shrinks the Checker's budget to that many bytes (and values)
// so that its limits are met by small files too. chunk, when not 0, makes
// the input return at most that many bytes per Read.
func checkerTrace(data []byte, opts *Options, jobs, budget, chunk int) string {
	var src io.Reader = bytes.NewReader(data)
	if chunk > 0 {
		src = &chunkReader{b: data, n: chunk}
	}
	r := NewReader(src, opts)
	var out strings.Builder
	if _, err := r.Header(); err != nil {
		fmt.Fprintf(&out, "header: %v\n", err)
	}
	next := func() (*Entry, error, error) {
		e, err := r.Next()
		if err != nil {
			return nil, nil, err
		}
		return e, e.Skip(), nil
	}
	offset, count, findings, checksum := r.Offset, r.FindingCount, r.Findings, r.Checksum
	if jobs > 1 {
		c := NewChecker(r, jobs)
		defer func() {
			checkerSent += c.sent
			checkerRefused += c.refused
			c.Close()
		}()
		if budget > 0 {
			c.maxValues, c.maxBytes, c.maxValue = max(budget/64, 1), budget, budget
		}
		next = func() (*Entry, error, error) {
			e, err := c.Next()
			return e, c.ValueErr(), err
		}
		offset, count, findings, checksum = c.Offset, c.FindingCount, c.Findings, c.Checksum
	}
	for {
		e, verr, err := next()
		if err != nil {
			fmt.Fprintf(&out, "end: %v\n", err)
			break
		}
		in, un := e.LZFBytes()
		fmt.Fprintf(&out, "%v db %d off %d size %d key %q type %s/%d enc %v exp %d idle %d freq %d meta %v voff %d len %d count %d lzf %d/%d value error %v",
			e.Kind, e.DB, e.Offset, e.Size, e.Key, e.TypeName, e.Type, e.Encoding, e.ExpireAt, e.Idle, e.Freq, e.KeyMeta,
			e.ValueOffset, e.Len, e.Count(), in, un, verr)
		if m := e.Module; m != nil {
			fmt.Fprintf(&out, " module %s %d %d", m.TypeName, m.EncVer, m.Size)
		}
		if st := e.StreamMeta(); st != nil {
			fmt.Fprintf(&out, " stream %d %v %v %v %d groups %d", st.Length, st.LastID, st.FirstID, st.MaxDeletedID, st.EntriesAdded, len(st.Groups))
			for _, g := range st.Groups {
				fmt.Fprintf(&out, " %q %v %d pel %d cons %d", g.Name, g.LastID, g.EntriesRead, len(g.PEL), len(g.Consumers))
			}
		}
		if e.Kind != EntryKey {
			fmt.Fprintf(&out, " data %q dbsize %d/%d slot %d", e.Data, e.DBSize, e.ExpiresSize, e.Slot)
		}
		all, errs := count()
		fmt.Fprintf(&out, " at %d findings %d/%d\n", offset(), all, errs)
	}
	all, errs := count()
	fmt.Fprintf(&out, "offset %d findings %d/%d checksum %+v\n", offset(), all, errs, checksum())
	for _, f := range findings() {
		fmt.Fprintf(&out, "finding %v: %v\n", f.Severity, f.Err)
	}
	return out.String()
}

// checkerSent and checkerRefused add up Checker.sent and Checker.refused
// over the traces of a test.
var checkerSent, checkerRefused int

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	b []byte
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

// checkCheckerEqualsSkip compares a Checker (2, 3 and 4 workers, the
// default budget and tiny ones, whole and chunked input) with one
// goroutine calling Next and Skip, on data: every line must be the same.
func checkCheckerEqualsSkip(t *testing.T, data []byte) {
	t.Helper()
	for _, opts := range []*Options{nil, {Size: int64(len(data)), MaxFindings: 3}} {
		want := checkerTrace(data, opts, 1, 0, 0)
		for _, v := range []struct{ jobs, budget, chunk int }{{2, 0, 0}, {4, 64, 0}, {3, 300, 7}} {
			got := checkerTrace(data, opts, v.jobs, v.budget, v.chunk)
			if got != want {
				a, b := strings.Split(want, "\n"), strings.Split(got, "\n")
				for i := range min(len(a), len(b)) {
					if a[i] != b[i] {
						t.Fatalf("jobs %d budget %d chunk %d differs from one goroutine at line %d:\n want %.600s\n got  %.600s", v.jobs, v.budget, v.chunk, i, a[i], b[i])
					}
				}
				t.Fatalf("jobs %d budget %d chunk %d: %d lines, want %d", v.jobs, v.budget, v.chunk, len(b), len(a))
			}
		}
	}
}

// TestCheckerEqualsSkip: on every file of testdata/ and of the corpus (its
// damaged copies included), on every record seed with 12 random one-byte
// changes each, and on every prefix of a few files, a Checker reports
// exactly what one goroutine reading with Next and Skip reports.
func TestCheckerEqualsSkip(t *testing.T) {
	checkerSent, checkerRefused = 0, 0
	files := corpusRDBs(t)
	for _, b := range files {
		checkCheckerEqualsSkip(t, b)
	}
	n := eachRecordAndDamaged(t, 14, func(b []byte) { checkCheckerEqualsSkip(t, b) })
	// Prefixes and bit flips of the files with the most key records.
	rng := rand.New(rand.NewPCG(14, 2))
	prefixes := 0
	for _, b := range files {
		if len(b) < 4<<10 || len(b) > 64<<10 {
			continue
		}
		for cut := 9; cut < len(b); cut += 1 + len(b)/97 {
			checkCheckerEqualsSkip(t, b[:cut])
			prefixes++
		}
		m := bytes.Clone(b)
		for range 8 {
			i := 9 + rng.IntN(len(b)-9)
			m[i] ^= 1 << rng.IntN(8)
			checkCheckerEqualsSkip(t, m)
			m[i] = b[i]
		}
		if prefixes > 2000 {
			break
		}
	}
	t.Logf("%d files, %d records and damaged copies, %d prefixes; %d values checked by workers, %d framed and then checked in place",
		len(files), n, prefixes, checkerSent, checkerRefused)
	if checkerSent < 1000 || checkerRefused < 100 {
		t.Errorf("too few values went to the workers (%d) or back to the reading goroutine (%d): the comparison proves little", checkerSent, checkerRefused)
	}
}

// TestCheckerLZFKeys: the LZF bytes of a record count its key's too when a
// worker checks its value (the worker used to count the value's alone, so
// inspect and estimate at --jobs 2 lost every compressed key's bytes).
func TestCheckerLZFKeys(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf, &WriterOptions{Dialect: DialectRedis, Version: 10})
	for i := range 50 {
		key := fmt.Appendf(nil, "%s:%d", strings.Repeat("user:session:", 4), i) // over 20 bytes: compressed
		h := KeyHeader{Key: key, ExpireAt: NoExpire, Idle: -1, Freq: -1}
		v := &Value{Kind: KindString, String: []byte(strings.Repeat("value ", 10))}
		if i%2 == 1 {
			v = &Value{Kind: KindSet}
			for j := range 300 { // a hashtable set: a value the workers check
				v.Set = append(v.Set, fmt.Appendf(nil, "%s%d", strings.Repeat("m", 30), j))
			}
		}
		h.Kind = v.Kind
		if err := w.WriteKey(h, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	r := NewReader(bytes.NewReader(data), nil)
	keys := 0
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if in, _ := e.LZFBytes(); in > 0 { // before the value: the key's
			keys++
		}
		_ = e.Skip()
	}
	if keys != 50 {
		t.Fatalf("%d of 50 keys LZF-compressed", keys)
	}
	sent := checkerSent
	checkCheckerEqualsSkip(t, data)
	if checkerSent == sent {
		t.Fatal("no value went to a worker")
	}
}
