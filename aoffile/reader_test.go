package aoffile

import (
	"bytes"
	"errors"
	"fmt"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// record is a test-side copy of a Command.
type record struct {
	kind             Kind
	args             []string
	text             string
	off, size, line  int64
	ts               int64
	isTS             bool
	inMulti          bool
	okOffAfterRecord int64
}

func (r record) String() string {
	if r.kind == KindAnnotation {
		return "#" + r.text
	}
	return strings.Join(r.args, " ")
}

// readAll reads src to the end and returns the records and the final error
// (nil for a clean io.EOF).
func readAll(src io.Reader, opts *Options) ([]record, *Reader, error) {
	return readRecords(src, opts, true)
}

// readRecords is readAll; without copyArgs it keeps only positions.
func readRecords(src io.Reader, opts *Options, copyArgs bool) ([]record, *Reader, error) {
	r := NewReader(src, opts)
	var out []record
	for {
		c, err := r.Next()
		if err == io.EOF {
			return out, r, nil
		}
		if err != nil {
			return out, r, err
		}
		rec := record{kind: c.Kind, off: c.Offset, size: c.Size, line: c.Line, ts: c.Timestamp, inMulti: r.InMulti()}
		if !copyArgs {
			out = append(out, rec)
			continue
		}
		rec.text = string(c.Text)
		_, rec.isTS = c.TS()
		for _, a := range c.Args {
			rec.args = append(rec.args, string(a))
		}
		rec.okOffAfterRecord = r.OKUpTo().Offset
		out = append(out, rec)
	}
}

func cmd(args ...string) string {
	s := fmt.Sprintf("*%d\r\n", len(args))
	for _, a := range args {
		s += fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)
	}
	return s
}

func TestReaderCases(t *testing.T) {
	set := cmd("SET", "k", "v")
	multi, exec := cmd("MULTI"), cmd("EXEC")
	tests := []struct {
		name    string
		in      string
		opts    Options
		want    []string // records as "ARG ARG" or "#text"
		wantErr error    // nil, ErrTruncated, ErrFormat, ErrTooLarge
		detail  string   // substring of SyntaxError.Detail
		ok      Position // OKUpTo at the end
		errOff  int64
	}{
		{name: "empty", in: "", ok: Position{0, 1}},
		{name: "one", in: cmd("PING"), want: []string{"PING"}, ok: Position{14, 4}},
		{name: "binary", in: cmd("SET", "a\r\nb", "\x00\xff"), want: []string{"SET a\r\nb \x00\xff"}, ok: Position{int64(len(cmd("SET", "a\r\nb", "\x00\xff"))), 8}},
		{name: "empty arg", in: cmd("SET", "", ""), want: []string{"SET  "}, ok: Position{int64(len(cmd("SET", "", ""))), 8}},
		{name: "annotations", in: "#TS:100\r\n" + cmd("SELECT", "0") + "#hello\r\n", want: []string{"#TS:100", "SELECT 0", "#hello"},
			ok: Position{int64(9 + len(cmd("SELECT", "0")) + 8), 6}},
		{name: "skip annotations", in: "#TS:100\r\n" + cmd("PING"), opts: Options{SkipAnnotations: true}, want: []string{"PING"}, ok: Position{23, 4}},
		{name: "multi exec", in: multi + set + exec, want: []string{"MULTI", "SET k v", "EXEC"}, ok: Position{int64(len(multi + set + exec)), 14}},
		{name: "lower-case multi", in: cmd("multi") + set + cmd("exec"), want: []string{"multi", "SET k v", "exec"}, ok: Position{int64(len(multi + set + exec)), 14}},
		{name: "EOF in multi", in: set + multi + set, want: []string{"SET k v", "MULTI", "SET k v"}, wantErr: ErrTruncated,
			detail: "Reached EOF before reading EXEC for MULTI", ok: Position{int64(len(set)), 1 + 7 + 3 + 7}, errOff: int64(len(set + multi + set))},
		{name: "nested multi", in: multi + set + multi, want: []string{"MULTI", "SET k v"}, wantErr: ErrFormat, detail: "Unexpected MULTI",
			ok: Position{0, 1 + 3 + 7 + 3}, errOff: int64(len(multi+set)) + 8},
		{name: "exec without multi", in: set + exec, want: []string{"SET k v"}, wantErr: ErrFormat, detail: "Unexpected EXEC",
			ok: Position{int64(len(set)), 1 + 7 + 3}, errOff: int64(len(set)) + 8},
		{name: "garbage in multi", in: set + multi + "this is garbage\r\n", want: []string{"SET k v", "MULTI"}, wantErr: ErrFormat,
			ok: Position{int64(len(set)), 11}, errOff: int64(len(set + multi))},
		{name: "zero count", in: "*0\r\n", wantErr: ErrFormat, detail: "invalid argument count 0"},
		{name: "negative count", in: "*-1\r\n", wantErr: ErrFormat, detail: "invalid argument count -1"},
		{name: "bulk at top", in: "$3\r\nabc\r\n", wantErr: ErrFormat, detail: "a record must start with '*' or '#', got '$'"},
		{name: "bad crlf", in: "*1\r\n$3\r\nabcX\n", wantErr: ErrFormat, detail: `Expected \r\n, got: 580a`, ok: Position{0, 3}, errOff: 8},
		{name: "short data", in: "*1\r\n$3\r\nab", wantErr: ErrTruncated, detail: "Expected to read 5 bytes, got 2 bytes", ok: Position{0, 3}, errOff: 8},
		{name: "short data sized", in: "*1\r\n$3\r\nab", opts: Options{Size: 10}, wantErr: ErrTruncated, detail: "Expected to read 5 bytes, got 2 bytes", ok: Position{0, 3}, errOff: 8},
		{name: "huge length", in: "*1\r\n$1099511627776\r\nabc", wantErr: ErrTruncated, detail: "Expected to read 1099511627778 bytes, got 3 bytes", ok: Position{0, 3}, errOff: 20},
		{name: "max length", in: "*1\r\n$9223372036854775805\r\nabc", wantErr: ErrTruncated, detail: "got 3 bytes", ok: Position{0, 3}, errOff: 26},
		{name: "overflow length", in: "*1\r\n$99999999999999999999999\r\nabc", wantErr: ErrFormat, detail: "not in the suitable range", ok: Position{0, 3}, errOff: 4},
		{name: "huge count", in: "*1099511627776\r\n$1\r\na\r\n", wantErr: ErrTruncated, detail: "unexpected end of file", ok: Position{0, 4}, errOff: 23},
		{name: "negative length", in: "*1\r\n$-1\r\n", wantErr: ErrFormat, detail: "not in the suitable range", ok: Position{0, 3}, errOff: 4},
		{name: "bad prefix", in: "*1\r\nX3\r\n", wantErr: ErrFormat, detail: "Expected prefix '$', got: 'X'", ok: Position{0, 2}, errOff: 4},
		{name: "junk after length", in: "*1\r\n$3x\r\n", wantErr: ErrFormat, detail: `Expected \r\n, got: 780d`, ok: Position{0, 2}, errOff: 4},
		{name: "count cut", in: "*2", wantErr: ErrTruncated, detail: `Expected \r\n, got: 0000`},
		{name: "count cut at CR", in: "*2\r", wantErr: ErrTruncated},
		{name: "star only", in: "*", wantErr: ErrTruncated},
		{name: "star junk", in: "*x", wantErr: ErrFormat},
		{name: "length cut", in: "*1\r\n$", wantErr: ErrTruncated, detail: `Expected \r\n, got: 0000`, ok: Position{0, 2}, errOff: 4},
		{name: "strtol forms", in: "*+1\r\n$ 4\r\nPING\r\n", want: []string{"PING"}, ok: Position{16, 4}},
		{name: "long count line", in: "*" + strings.Repeat("0", 200) + "1\r\n" + cmd("PING")[4:], wantErr: ErrFormat, detail: `Expected \r\n`},
		{name: "cut annotation at end", in: cmd("PING") + "#TS:12", want: []string{"PING", "#TS:12"}, ok: Position{20, 4}},
		{name: "annotation LF only", in: "#TS:5\n" + cmd("PING"), want: []string{"#TS:5", "PING"}, ok: Position{20, 4}},
		{name: "long annotation", in: "#" + strings.Repeat("a", 2000) + "\r\n", want: []string{"#" + strings.Repeat("a", 1022)},
			wantErr: ErrFormat, detail: "got 'a'", ok: Position{1023, 1}, errOff: 1023},
		{name: "start line", in: cmd("PING") + cmd("PING"), opts: Options{Line: 100}, want: []string{"PING", "PING"}, ok: Position{28, 106}},
		{name: "no preamble", in: "REDIS0009\xff", opts: Options{NoPreamble: true}, wantErr: ErrFormat, detail: "got 'R'"},
		{name: "too large", in: cmd("SET", "k", strings.Repeat("v", 100)), opts: Options{MaxCommandSize: 50}, wantErr: ErrTooLarge},
		{name: "rdb preamble", in: "REDIS0009\xff\x00\x00\x00\x00\x00\x00\x00\x00" + cmd("PING"), want: []string{"PING"}, ok: Position{32, 4}},
		{name: "valkey preamble", in: "VALKEY080\xff\x00\x00\x00\x00\x00\x00\x00\x00" + cmd("PING"), want: []string{"PING"}, ok: Position{32, 4}},
		{name: "rdb only", in: "REDIS0009\xff\x00\x00\x00\x00\x00\x00\x00\x00", ok: Position{18, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, mode := range []string{"whole", "onebyte"} {
				var src io.Reader = strings.NewReader(tc.in)
				if mode == "onebyte" {
					src = iotest.OneByteReader(src)
				}
				opts := tc.opts
				recs, r, err := readAll(src, &opts)
				var got []string
				for _, rc := range recs {
					got = append(got, rc.String())
				}
				if strings.Join(got, "|") != strings.Join(tc.want, "|") {
					t.Errorf("%s: records %q, want %q", mode, got, tc.want)
				}
				if tc.wantErr == nil {
					if err != nil {
						t.Fatalf("%s: unexpected error %v", mode, err)
					}
				} else {
					var se *SyntaxError
					if !errors.As(err, &se) || !errors.Is(err, tc.wantErr) {
						t.Fatalf("%s: error %v, want %v", mode, err, tc.wantErr)
					}
					if !strings.Contains(se.Detail, tc.detail) {
						t.Errorf("%s: detail %q, want %q", mode, se.Detail, tc.detail)
					}
					if tc.errOff != 0 && se.Offset != tc.errOff {
						t.Errorf("%s: error offset %d, want %d", mode, se.Offset, tc.errOff)
					}
					if se.OKUpTo != r.OKUpTo() {
						t.Errorf("%s: error OKUpTo %v, reader %v", mode, se.OKUpTo, r.OKUpTo())
					}
					if _, err2 := r.Next(); err2 != err {
						t.Errorf("%s: error not sticky: %v", mode, err2)
					}
				}
				if (tc.ok != Position{}) && r.OKUpTo() != tc.ok {
					t.Errorf("%s: OKUpTo %+v, want %+v", mode, r.OKUpTo(), tc.ok)
				}
			}
		})
	}
}

func TestRecordFields(t *testing.T) {
	in := "REDIS0009\xff\x00\x00\x00\x00\x00\x00\x00\x00" + "#TS:1700000000\r\n" + cmd("SELECT", "0") + "#TS:bad\r\n" + cmd("SET", "k", "v")
	recs, _, err := readAll(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []record{
		{kind: KindAnnotation, text: "TS:1700000000", off: 18, size: 16, line: 1, ts: 1700000000, isTS: true},
		{kind: KindCommand, args: []string{"SELECT", "0"}, off: 34, size: 23, line: 1, ts: 1700000000},
		{kind: KindAnnotation, text: "TS:bad", off: 57, size: 9, line: 6, ts: 1700000000},
		{kind: KindCommand, args: []string{"SET", "k", "v"}, off: 66, size: 29, line: 6, ts: 1700000000},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records", len(recs))
	}
	for i := range want {
		g := recs[i]
		g.okOffAfterRecord = 0
		if fmt.Sprint(g) != fmt.Sprint(want[i]) {
			t.Errorf("record %d: %+v, want %+v", i, g, want[i])
		}
	}
}

func TestParseTimestamp(t *testing.T) {
	for _, tc := range []struct {
		in string
		v  int64
		ok bool
	}{
		{"TS:1795236325", 1795236325, true},
		{"TS:0", 0, true},
		{"TS:-5", -5, true},
		{"TS: 12", 12, true}, // strtol skips white space, as the checker does
		{"TS:", 0, false},
		{"TS:12x", 0, false},
		{"TS:99999999999999999999", 0, false},
		{"TX:12", 0, false},
		{"", 0, false},
	} {
		v, ok := ParseTimestamp([]byte(tc.in))
		if v != tc.v || ok != tc.ok {
			t.Errorf("ParseTimestamp(%q) = %d, %v; want %d, %v", tc.in, v, ok, tc.v, tc.ok)
		}
	}
}

func TestArgsAliasAndCapacity(t *testing.T) {
	r := NewReader(strings.NewReader(cmd("SET", "key", "value")+cmd("GET", "key")), nil)
	c, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if cap(c.Args[1]) != len(c.Args[1]) {
		t.Errorf("argument capacity %d exceeds length %d", cap(c.Args[1]), len(c.Args[1]))
	}
	if !bytes.Equal(c.Name(), []byte("SET")) {
		t.Errorf("Name() = %q", c.Name())
	}
}

type errAfter struct {
	data []byte
	err  error
}

func (e *errAfter) Read(p []byte) (int, error) {
	if len(e.data) == 0 {
		return 0, e.err
	}
	n := copy(p, e.data)
	e.data = e.data[n:]
	return n, nil
}

func TestIOErrorPassedThrough(t *testing.T) {
	boom := errors.New("disk on fire")
	for _, in := range []string{"", cmd("PING"), cmd("SET", "k", "v")[:10], "#TS:1"} {
		_, _, err := readAll(&errAfter{data: []byte(in), err: boom}, nil)
		if err != boom {
			t.Errorf("input %q: error %v, want the I/O error", in, err)
		}
	}
}

// TestHugeLengthsDoNotAllocate checks that lengths from the input never size
// an allocation.
func TestHugeLengthsDoNotAllocate(t *testing.T) {
	for _, in := range []string{
		"*1\r\n$1099511627776\r\nabc",
		"*1099511627776\r\n$1\r\na\r\n",
		"*2147483647\r\n" + strings.Repeat("$0\r\n\r\n", 1000),
	} {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for range 10 {
			readAll(strings.NewReader(in), nil)
		}
		runtime.ReadMemStats(&after)
		if d := after.TotalAlloc - before.TotalAlloc; d > 10*(initBuf+64<<10) {
			t.Errorf("%.30q: allocated %d bytes for 10 reads", in, d)
		}
	}
}

// TestSmallReads checks that one-byte and half reads give the same records
// and verdict as whole reads, on corpus files and on damaged inputs.
func TestSmallReads(t *testing.T) {
	inputs := map[string][]byte{
		"handmade":  []byte(cmd("MULTI") + "#TS:7\r\n" + cmd("SET", "k", strings.Repeat("x", 300)) + cmd("EXEC") + cmd("SET", "a")[:9]),
		"truncated": []byte(cmd("SET", "k", "v") + cmd("SET", "k", "v")[:15]),
	}
	if _, err := os.Stat(corpusDirNoSkip()); err == nil {
		for _, fn := range corpusAOFFiles(t) {
			if b, err := os.ReadFile(fn); err == nil && len(b) < 64<<10 {
				inputs[fn] = b
			}
		}
	}
	for name, data := range inputs {
		want, wr, werr := readAll(bytes.NewReader(data), nil)
		for _, mk := range []func(io.Reader) io.Reader{iotest.OneByteReader, iotest.HalfReader, iotest.DataErrReader} {
			got, gr, gerr := readAll(mk(bytes.NewReader(data)), nil)
			if fmt.Sprint(got) != fmt.Sprint(want) || fmt.Sprint(gerr) != fmt.Sprint(werr) || gr.OKUpTo() != wr.OKUpTo() {
				t.Errorf("%s: small reads differ: %v / %v", name, gerr, werr)
			}
		}
	}
}

func corpusDirNoSkip() string { return testcorpus.Path() }

// checkPrefixes reads data[:n] for n = 0, step, 2*step, ... and every record
// boundary, and checks the EOF contract.
func checkPrefixes(t *testing.T, name string, data []byte, step int) {
	t.Helper()
	full, _, err := readRecords(bytes.NewReader(data), nil, false)
	if err != nil {
		t.Fatalf("%s: full read: %v", name, err)
	}
	respStart := int64(0)
	if p, _ := NewReader(bytes.NewReader(data), nil).Preamble(); p != nil {
		if len(full) > 0 {
			respStart = full[0].off
		} else {
			respStart = int64(len(data))
		}
	}
	bound := map[int64]bool{respStart: true}
	for _, rc := range full {
		bound[rc.off] = true
		bound[rc.off+rc.size] = true
	}
	cuts := map[int]bool{len(data): true}
	for n := 0; n < len(data); n += step {
		cuts[n] = true
	}
	for i, rc := range full {
		if step > 1 && i%50 != 0 && i < len(full)-20 {
			continue // big files: a sample of the record boundaries
		}
		for _, b := range []int64{rc.off, rc.off + rc.size} {
			for _, d := range []int64{-1, 0, 1} {
				if n := b + d; n >= 0 && n <= int64(len(data)) {
					cuts[int(n)] = true
				}
			}
		}
	}
	for n := range cuts {
		opts := &Options{}
		if n%2 == 0 {
			opts.Size = int64(n)
		}
		recs, r, err := readRecords(bytes.NewReader(data[:n]), opts, false)
		for i, rc := range recs {
			if i >= len(full) || rc.off != full[i].off || (rc.size != full[i].size && i != len(recs)-1) {
				t.Fatalf("%s[:%d]: record %d differs from the full read", name, n, i)
			}
		}
		if n == 0 {
			if err != nil || len(recs) != 0 {
				t.Fatalf("%s[:0]: %v", name, err)
			}
			continue
		}
		if int64(n) < respStart {
			if n < 6 && errors.Is(err, ErrFormat) {
				continue // "REDI": not an RDB magic, read as RESP, like the server does
			}
			var ce *rdbfile.CorruptError
			if !errors.As(err, &ce) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("%s[:%d]: inside the RDB part: %v", name, n, err)
			}
			continue
		}
		ok := r.OKUpTo()
		switch {
		case err == nil:
			last := len(recs) - 1
			partialAnnotation := last >= 0 && recs[last].kind == KindAnnotation && recs[last].off+recs[last].size == int64(n)
			if !bound[int64(n)] && !partialAnnotation {
				t.Fatalf("%s[:%d]: clean EOF inside a record", name, n)
			}
			if ok.Offset != int64(n) {
				t.Fatalf("%s[:%d]: OKUpTo %d at clean EOF", name, n, ok.Offset)
			}
		case errors.Is(err, ErrTruncated):
			if ok.Offset > int64(n) || !bound[ok.Offset] {
				t.Fatalf("%s[:%d]: OKUpTo %d is not a boundary before the cut", name, n, ok.Offset)
			}
		default:
			t.Fatalf("%s[:%d]: %v, want a truncation", name, n, err)
		}
	}
}

func TestPrefixesHandmade(t *testing.T) {
	data := []byte("#TS:1\r\n" + cmd("SELECT", "0") + cmd("MULTI") + cmd("SET", "k", "v\r\n") + "#TS:2\r\n" + cmd("EXEC") +
		cmd("DEL", "k") + "#a comment\r\n" + cmd("XADD", "s", "1-1", "f", "v"))
	checkPrefixes(t, "handmade", data, 1)
	pre := append([]byte("REDIS0009\xfa\x09redis-ver\x057.0.0\xff\x00\x00\x00\x00\x00\x00\x00\x00"), data...)
	checkPrefixes(t, "preamble", pre, 1)
}

// TestAppendCommand: what AppendCommand writes, the Reader reads back
// argument for argument, binary and empty arguments included.
func TestAppendCommand(t *testing.T) {
	cmds := [][][]byte{{[]byte("SET"), []byte("k"), []byte("a\r\nb\x00")}, {[]byte("PING")}, {[]byte("SET"), []byte(""), []byte("")}}
	var buf []byte
	for _, c := range cmds {
		buf = AppendCommand(buf, c...)
	}
	if got := string(AppendCommand(nil, []byte("PING"))); got != "*1\r\n$4\r\nPING\r\n" {
		t.Fatalf("AppendCommand(PING) = %q", got)
	}
	r := NewReader(bytes.NewReader(buf), nil)
	for i, want := range cmds {
		c, err := r.Next()
		if err != nil {
			t.Fatalf("command %d: %v", i, err)
		}
		if len(c.Args) != len(want) {
			t.Fatalf("command %d: %q, want %q", i, c.Args, want)
		}
		for j := range want {
			if !bytes.Equal(c.Args[j], want[j]) {
				t.Fatalf("command %d: %q, want %q", i, c.Args, want)
			}
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the commands: %v, want io.EOF", err)
	}
}
