package manifest

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseGrammar(t *testing.T) {
	base := "file appendonly.aof.1.base.rdb seq 1 type b\n"
	incr := "file appendonly.aof.1.incr.aof seq 1 type i\n"
	tests := []struct {
		name    string
		in      string
		err     error
		line    int
		text    string
		check   func(*testing.T, *Manifest)
		noRound bool // Format refuses it
	}{
		{name: "server output", in: base + incr, check: func(t *testing.T, m *Manifest) {
			if m.Base.Name != "appendonly.aof.1.base.rdb" || m.Base.Seq != 1 || len(m.Incr) != 1 || m.Incr[0].StartOffset != NoOffset {
				t.Errorf("%+v", m)
			}
		}},
		{name: "empty file", in: "", err: ErrEmpty},
		{name: "comments only", in: "# nothing\n#\n", check: func(t *testing.T, m *Manifest) {
			if m.Base != nil || len(m.Incr)+len(m.History) != 0 {
				t.Errorf("%+v", m)
			}
		}},
		{name: "comment without newline at end", in: base + "# tail"},
		{name: "comment between", in: base + "# x\n" + incr},
		{name: "blank line", in: base + "\n" + incr, err: ErrFormat, line: 2},
		{name: "spaces line", in: base + "  \t\r\n", err: ErrFormat, line: 2},
		{name: "no final newline", in: base + strings.TrimSuffix(incr, "\n"), err: ErrLineTooLong, line: 2},
		{name: "CRLF", in: strings.ReplaceAll(base+incr, "\n", "\r\n"), check: func(t *testing.T, m *Manifest) {
			if m.Base.Type != TypeBase || m.Incr[0].Name != "appendonly.aof.1.incr.aof" {
				t.Errorf("%+v", m)
			}
		}},
		{name: "tabs and padding", in: "  file\tx seq 3\ttype b  \n", check: func(t *testing.T, m *Manifest) {
			if m.Base.Name != "x" || m.Base.Seq != 3 {
				t.Errorf("%+v", m.Base)
			}
		}},
		{name: "long line", in: "file " + strings.Repeat("a", 1100) + " seq 1 type b\n", err: ErrLineTooLong, line: 1},
		{name: "1024 bytes is fine", in: "file " + strings.Repeat("a", 1024-19) + " seq 1 type b\n"},
		{name: "1025 bytes is not", in: "file " + strings.Repeat("a", 1025-19) + " seq 1 type b\n", err: ErrLineTooLong, line: 1},
		{name: "long comment spills", in: "#" + strings.Repeat("c", 1100) + "\n" + base, err: ErrFormat, line: 2},
		{name: "NUL byte", in: "file a\x00 seq 1 type b\n", err: ErrLineTooLong, line: 1},
		{name: "bad line", in: base + "this-is-not-a-manifest-line\n", err: ErrFormat, line: 2, text: "this-is-not-a-manifest-line"},
		{name: "five tokens", in: "file a seq 1 type\n", err: ErrFormat, line: 1},
		{name: "seven tokens", in: "file a seq 1 type b x\n", err: ErrFormat, line: 1},
		{name: "unknown keys kept", in: "file a seq 1 type b Color red size \"x y\"\n", check: func(t *testing.T, m *Manifest) {
			if !reflect.DeepEqual(m.Base.Extra, []KV{{"Color", "red"}, {"size", "x y"}}) {
				t.Errorf("%+v", m.Base.Extra)
			}
		}},
		{name: "keys any case", in: "FILE a SEQ 1 TYPE b\n"},
		{name: "missing file key", in: "name a seq 1 type b\n", err: ErrFormat, line: 1},
		{name: "seq zero", in: "file a seq 0 type b\n", err: ErrFormat, line: 1},
		{name: "seq not a number", in: "file a seq abc type b\n", err: ErrFormat, line: 1},
		{name: "seq atoll prefix", in: "file a seq 12abc type b\n", check: func(t *testing.T, m *Manifest) {
			if m.Base.Seq != 12 {
				t.Errorf("seq %d", m.Base.Seq)
			}
		}},
		{name: "negative base seq", in: "file a seq -3 type b\n"},
		{name: "negative incr seq", in: "file a seq -3 type i\n", err: ErrNonMonotonic, line: 1},
		{name: "type x", in: base + "file appendonly.aof.2.incr.aof seq 2 type x\n", err: ErrUnknownType, line: 2,
			text: "file appendonly.aof.2.incr.aof seq 2 type x"},
		{name: "empty type", in: "file a seq 1 type \"\"\n", err: ErrFormat, line: 1},
		{name: "type first byte", in: "file a seq 1 type base\n"},
		{name: "duplicate base", in: base + "file b seq 2 type b\n", err: ErrDuplicateBase, line: 2},
		{name: "incr not increasing", in: incr + incr, err: ErrNonMonotonic, line: 2},
		{name: "incr decreasing", in: "file a seq 3 type i\nfile b seq 2 type i\n", err: ErrNonMonotonic, line: 2},
		{name: "history any order", in: "file a seq 3 type h\nfile b seq 1 type h\n" + base},
		{name: "slash", in: "file a/b seq 1 type b\n", err: ErrPath, line: 1},
		{name: "backslash", in: "file a\\b seq 1 type b\n", err: ErrPath, line: 1},
		{name: "dot dot allowed by the server", in: "file .. seq 1 type b\n"},
		{name: "double quotes", in: "file \"a b\\x41\\n\\\"\\t\\q\" seq 1 type b\n", check: func(t *testing.T, m *Manifest) {
			if m.Base.Name != "a bA\n\"\tq" {
				t.Errorf("%q", m.Base.Name)
			}
		}},
		{name: "escaped backslash is a path", in: "file \"a\\\\b\" seq 1 type b\n", err: ErrPath, line: 1},
		{name: "leading single quote", in: "file \"'x\" seq 1 type b\n", noRound: true},
		{name: "single quotes", in: "file 'it\\'s x' seq 1 type b\n", check: func(t *testing.T, m *Manifest) {
			if m.Base.Name != "it's x" {
				t.Errorf("%q", m.Base.Name)
			}
		}},
		{name: "quote glued", in: "file \"a\"b seq 1 type b\n", err: ErrFormat, line: 1},
		{name: "unterminated quote", in: "file \"abc seq 1 type b\n", err: ErrFormat, line: 1},
		{name: "quote inside bare token", in: "file ab\"c d\" seq 1 type b\n", check: func(t *testing.T, m *Manifest) {
			if m.Base.Name != "abc d" {
				t.Errorf("%q", m.Base.Name)
			}
		}},
		{name: "escaped NUL cuts the name", in: "file \"ab\\x00cd\" seq 1 type b\n", check: func(t *testing.T, m *Manifest) {
			if m.Base.Name != "ab" {
				t.Errorf("%q", m.Base.Name)
			}
		}},
		{name: "redis 8 offsets", in: base + "file appendonly.aof.1.incr.aof seq 1 type i startoffset 0 endoffset 238129\n", check: func(t *testing.T, m *Manifest) {
			if m.Incr[0].StartOffset != 0 || m.Incr[0].EndOffset != 238129 || m.Base.StartOffset != NoOffset {
				t.Errorf("%+v", m.Incr[0])
			}
		}},
		{name: "duplicate keys even", in: "file a seq 1 type b seq 5 file z\n", check: func(t *testing.T, m *Manifest) {
			if m.Base.Name != "z" || m.Base.Seq != 5 {
				t.Errorf("%+v", m.Base)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse([]byte(tc.in))
			if tc.err != nil {
				var pe *ParseError
				if !errors.As(err, &pe) || !errors.Is(err, tc.err) {
					t.Fatalf("error %v, want %v", err, tc.err)
				}
				if pe.Line != tc.line {
					t.Errorf("line %d, want %d", pe.Line, tc.line)
				}
				if tc.text != "" && pe.Text != tc.text {
					t.Errorf("text %q, want %q", pe.Text, tc.text)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %v", err)
			}
			if tc.check != nil {
				tc.check(t, m)
			}
			out, err := Format(m)
			if tc.noRound {
				if err == nil {
					t.Errorf("Format accepted %q", out)
				}
				return
			}
			if err != nil {
				if m.Base == nil && len(m.Incr) == 0 && len(m.History) == 0 {
					return
				}
				t.Fatalf("Format: %v", err)
			}
			m2, err := Parse(out)
			if len(out) == 0 {
				return // an empty manifest formats as nothing
			}
			if err != nil {
				t.Fatalf("re-Parse of %q: %v", out, err)
			}
			if !equalIgnoringLines(m, m2) {
				t.Errorf("round trip changed the manifest:\n%q\n%+v\n%+v", out, m, m2)
			}
		})
	}
}

func equalIgnoringLines(a, b *Manifest) bool {
	norm := func(m *Manifest) Manifest {
		c := Manifest{}
		if m.Base != nil {
			e := *m.Base
			e.Line = 0
			c.Base = &e
		}
		for _, e := range m.History {
			e.Line = 0
			c.History = append(c.History, e)
		}
		for _, e := range m.Incr {
			e.Line = 0
			c.Incr = append(c.Incr, e)
		}
		return c
	}
	return reflect.DeepEqual(norm(a), norm(b))
}

func TestFormat(t *testing.T) {
	e := func(name string, seq int64, typ Type) Entry {
		return Entry{Name: name, Seq: seq, Type: typ, StartOffset: NoOffset, EndOffset: NoOffset}
	}
	b := e("appendonly.aof.2.base.rdb", 2, TypeBase)
	m := &Manifest{
		Base:    &b,
		History: []Entry{e("appendonly.aof.1.incr.aof", 1, TypeHistory)},
		Incr:    []Entry{e("a b", 2, TypeIncr), e("caf\xc3\xa9\"", 3, TypeIncr), e("", 4, TypeIncr)},
	}
	m.Incr[0].StartOffset, m.Incr[0].EndOffset = 10, 20
	m.Incr[1].Extra = []KV{{"note", "x y"}}
	out, err := Format(m)
	if err != nil {
		t.Fatal(err)
	}
	want := "file appendonly.aof.2.base.rdb seq 2 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file \"a b\" seq 2 type i startoffset 10 endoffset 20\n" +
		"file \"caf\\xc3\\xa9\\\"\" seq 3 type i note \"x y\"\n" +
		"file \"\" seq 4 type i\n"
	if string(out) != want {
		t.Errorf("Format:\n%s\nwant:\n%s", out, want)
	}
	m2, err := Parse(out)
	if err != nil || !equalIgnoringLines(m, m2) {
		t.Errorf("round trip: %v\n%+v", err, m2)
	}
	for _, bad := range []*Manifest{
		{Base: &Entry{Name: "'quoted", Seq: 1, Type: TypeBase}},
		{Base: &Entry{Name: "a/b", Seq: 1, Type: TypeBase}},
		{Base: &Entry{Name: "a", Seq: 0, Type: TypeBase}},
		{Base: &Entry{Name: "a", Seq: 1, Type: TypeIncr}},
		{Incr: []Entry{e("a", 2, TypeIncr), e("b", 2, TypeIncr)}},
		{Incr: []Entry{{Name: "a", Seq: 1, Type: TypeIncr, Extra: []KV{{"SEQ", "3"}}}}},
	} {
		if out, err := Format(bad); err == nil {
			t.Errorf("Format accepted %q", out)
		}
	}
}

func TestSplitArgs(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
		ok   bool
	}{
		{"", nil, true},
		{"  a  b ", []string{"a", "b"}, true},
		{`"a\x4a\x4" b`, []string{"aJx4", "b"}, true},
		{`"trailing\"`, nil, false},
		{`'a\"b'`, []string{`a\"b`}, true},
		{`'a'b`, nil, false},
		{"a\vb", []string{"a\vb"}, true},
		{"\"\"", []string{""}, true},
	} {
		got, ok := SplitArgs(tc.in)
		if ok != tc.ok || (ok && !reflect.DeepEqual(got, tc.want)) {
			t.Errorf("SplitArgs(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
