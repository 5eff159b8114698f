package rdbfile

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// blobHex decodes space-separated hex, panicking on bad test input.
func blobHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func packEntryEq(a, b packEntry) bool {
	if a.IsInt != b.IsInt {
		return false
	}
	if a.IsInt {
		return a.Int == b.Int
	}
	return bytes.Equal(a.Str, b.Str)
}

func packEntryString(e packEntry) string {
	if e.IsInt {
		return strconv.FormatInt(e.Int, 10)
	}
	return strconv.Quote(string(e.Str))
}

func intEntry(v int64) packEntry  { return packEntry{Int: v, IsInt: true} }
func strEntry(s string) packEntry { return packEntry{Str: []byte(s)} }

// lpRaw wraps element bytes in a listpack header (correct total_bytes, the
// given count) and end marker.
func lpRaw(count int, body ...byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(lpHdrSize+len(body)+1))
	b = binary.LittleEndian.AppendUint16(b, uint16(count))
	b = append(b, body...)
	return append(b, lpEOF)
}

// lpDecodeAll walks b fully, returning its entries or the first error.
func lpDecodeAll(b []byte) ([]packEntry, error) {
	it, err := lpOpen(b)
	if err != nil {
		return nil, err
	}
	var out []packEntry
	for {
		e, ok, err := it.Next()
		if err != nil {
			return out, err
		}
		if !ok {
			break
		}
		out = append(out, e)
	}
	return out, it.Done()
}

func checkEntries(t *testing.T, name string, got, want []packEntry) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d entries, want %d", name, len(got), len(want))
	}
	for i := range got {
		if !packEntryEq(got[i], want[i]) {
			t.Fatalf("%s: entry %d = %s, want %s", name, i, packEntryString(got[i]), packEntryString(want[i]))
		}
	}
}

func TestListpackExample(t *testing.T) {
	// FORMATS.md §1.13 / §2.2.
	b := blobHex("1c 00 00 00 07 00 81 61 02 81 62 02 01 01 02 01 c1 2c 02 d0 00 02 f2 70 11 01 04 ff")
	want := []packEntry{strEntry("a"), strEntry("b"), intEntry(1), intEntry(2), intEntry(300), intEntry(-4096), intEntry(70000)}
	got, err := lpDecodeAll(b)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, "example", got, want)
	it, _ := lpOpen(b)
	if it.Count() != 7 {
		t.Errorf("Count = %d", it.Count())
	}
	// Redis's writer produces the same bytes from the strings.
	strs := [][]byte{[]byte("a"), []byte("b"), []byte("1"), []byte("2"), []byte("300"), []byte("-4096"), []byte("70000")}
	if got := lpBuildStrings(nil, strs...); !bytes.Equal(got, b) {
		t.Errorf("lpBuildStrings = % x", got)
	}
	if got := lpBuild(nil, want...); !bytes.Equal(got, b) {
		t.Errorf("lpBuild = % x", got)
	}
	// Empty listpack.
	empty := blobHex("07 00 00 00 00 00 ff")
	if got, err := lpDecodeAll(empty); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
	if got := lpBuild(nil); !bytes.Equal(got, empty) {
		t.Errorf("lpBuild() = % x", got)
	}
}

// lpEncodingCases pin the element bytes Redis writes (listpack.c
// lpEncodeIntegerGetType, lpEncodeString, lpEncodeBacklen).
var lpEncodingCases = []struct {
	in   string // logical string value
	elem string // encoding+data+backlen, hex
}{
	{"0", "00 01"},
	{"127", "7f 01"},
	{"128", "c0 80 02"},
	{"-1", "df ff 02"},
	{"4095", "cf ff 02"},
	{"-4096", "d0 00 02"},
	{"4096", "f1 00 10 03"},
	{"-4097", "f1 ff ef 03"},
	{"32767", "f1 ff 7f 03"},
	{"-32768", "f1 00 80 03"},
	{"32768", "f2 00 80 00 04"},
	{"8388607", "f2 ff ff 7f 04"},
	{"-8388608", "f2 00 00 80 04"},
	{"8388608", "f3 00 00 80 00 05"},
	{"2147483647", "f3 ff ff ff 7f 05"},
	{"-2147483648", "f3 00 00 00 80 05"},
	{"2147483648", "f4 00 00 00 80 00 00 00 00 09"},
	{"9223372036854775807", "f4 ff ff ff ff ff ff ff 7f 09"},
	{"-9223372036854775808", "f4 00 00 00 00 00 00 00 80 09"},
	{"9223372036854775808", "93 39 32 32 33 33 37 32 30 33 36 38 35 34 37 37 35 38 30 38 14"},
	{"", "80 01"},
	{"007", "83 30 30 37 04"},
	{"-0", "82 2d 30 03"},
	{"+1", "82 2b 31 03"},
	{" 1", "82 20 31 03"},
}

func TestLpAppendEncodings(t *testing.T) {
	for _, tc := range lpEncodingCases {
		want := blobHex(tc.elem)
		if got := lpAppendString(nil, []byte(tc.in)); !bytes.Equal(got, want) {
			t.Errorf("lpAppendString(%q) = % x, want % x", tc.in, got, want)
		}
		got, err := lpDecodeAll(lpRaw(1, want...))
		if err != nil || len(got) != 1 || string(got[0].appendText(nil)) != tc.in {
			t.Errorf("decode %q: %v %v", tc.in, got, err)
		}
	}
	// String length forms and backlen sizes around the boundaries,
	// including the strict < (16383 takes 3 backlen bytes).
	for _, n := range []int{63, 64, 125, 126, 127, 4093, 4094, 4095, 4096, 16377, 16378, 16379, 2097145, 2097146} {
		s := bytes.Repeat([]byte("x"), n)
		elem := lpAppendString(nil, s)
		var hdr int
		switch {
		case n < 64:
			hdr = 1
		case n < 4096:
			hdr = 2
		default:
			hdr = 5
		}
		size := uint64(hdr + n)
		if got, want := len(elem)-hdr-n, lpBacklenSize(size); got != want {
			t.Errorf("len %d: backlen %d bytes, want %d", n, got, want)
		}
		got, err := lpDecodeAll(lpRaw(1, elem...))
		if err != nil || len(got) != 1 || !bytes.Equal(got[0].Str, s) {
			t.Errorf("len %d: decode failed: %v", n, err)
		}
	}
	for _, tc := range []struct {
		l    uint64
		want string
	}{
		{1, "01"}, {127, "7f"}, {128, "01 80"}, {16382, "7f fe"}, {16383, "00 ff ff"},
		{2097150, "7f ff fe"}, {2097151, "00 ff ff ff"}, {268435454, "7f ff ff fe"},
		{268435455, "00 ff ff ff ff"}, {1<<32 - 1, "0f ff ff ff ff"},
	} {
		if got := lpAppendBacklen(nil, tc.l); !bytes.Equal(got, blobHex(tc.want)) {
			t.Errorf("backlen(%d) = % x, want %s", tc.l, got, tc.want)
		}
		if !lpBacklenIs(blobHex(tc.want), tc.l) {
			t.Errorf("lpBacklenIs(%s, %d) = false", tc.want, tc.l)
		}
	}
}

func TestIsCanonicalInt(t *testing.T) {
	good := []string{"0", "1", "-1", "9", "10", "-10", "123456789", "9223372036854775807", "-9223372036854775808"}
	bad := []string{"", "-", "00", "01", "-0", "-01", "+1", " 1", "1 ", "1a", "a", "9223372036854775808",
		"-9223372036854775809", "18446744073709551616", "99999999999999999999", "100000000000000000000",
		"1.0", "1e3", "0x10", "\x001"}
	for _, s := range good {
		v, ok := isCanonicalInt([]byte(s))
		if !ok || strconv.FormatInt(v, 10) != s {
			t.Errorf("isCanonicalInt(%q) = %d, %v", s, v, ok)
		}
	}
	for _, s := range bad {
		if v, ok := isCanonicalInt([]byte(s)); ok {
			t.Errorf("isCanonicalInt(%q) = %d, true", s, v)
		}
	}
	// Agrees with "ParseInt and format back" on random short strings.
	r := rand.New(rand.NewPCG(7, 8))
	const alpha = "-0123456789+ "
	for range 100000 {
		n := 1 + r.IntN(21)
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[r.IntN(len(alpha))]
		}
		v, err := strconv.ParseInt(string(b), 10, 64)
		want := err == nil && strconv.FormatInt(v, 10) == string(b)
		gv, got := isCanonicalInt(b)
		if got != want || (got && gv != v) {
			t.Fatalf("isCanonicalInt(%q) = %d, %v; want %d, %v", b, gv, got, v, want)
		}
	}
}

// lpCorruptCases are malformed listpacks and the blob position of the error.
var lpCorruptCases = []struct {
	name string
	b    []byte
	pos  int
}{
	{"too short", blobHex("06 00 00 00 00 00"), 0},
	{"total_bytes mismatch", blobHex("08 00 00 00 00 00 ff"), 0},
	{"total_bytes huge", blobHex("ff ff ff ff 00 00 ff"), 0},
	{"no end marker", blobHex("07 00 00 00 00 00 fe"), 6},
	{"end marker early", lpRaw(0, 0xff), 6},
	{"end marker early after entry", lpRaw(1, 0x01, 0x01, 0xff, 0x00), 8},
	{"6-bit string past end", lpRaw(1, 0x81), 6},
	{"6-bit string past end long", lpRaw(1, 0xbf, 'a', 'b'), 6},
	{"13-bit int past end", lpRaw(1, 0xc1), 6},
	{"12-bit string length past end", lpRaw(1, 0xe0), 6},
	{"12-bit string past end", lpRaw(1, 0xe0, 0x05, 'a', 0x03), 6},
	{"32-bit string length past end", lpRaw(1, 0xf0, 0x01, 0x00), 6},
	{"32-bit string past end", lpRaw(1, 0xf0, 0xff, 0xff, 0xff, 0xff, 'a'), 6},
	{"int16 past end", lpRaw(1, 0xf1, 0x01), 6},
	{"int64 past end", lpRaw(1, 0xf4, 1, 2, 3, 4, 5, 6, 7), 6},
	{"unknown encoding f5", lpRaw(1, 0xf5, 0x01), 6},
	{"unknown encoding fe", lpRaw(1, 0xfe, 0x01), 6},
	{"backlen missing", lpRaw(1, 0x01), 7},
	{"backlen wrong", lpRaw(1, 0x01, 0x02), 7},
	{"backlen high bit", lpRaw(1, 0x01, 0x81), 7},
	{"backlen too long", lpRaw(1, 0x01, 0x00, 0x81), 7},
	{"backlen is end marker", lpRaw(1, 0x81, 'a', 0xff), 8},
	{"second entry bad", lpRaw(2, 0x01, 0x01, 0xf6), 8},
	{"count mismatch", lpRaw(2, 0x01, 0x01), 4},
	{"count mismatch zero", lpRaw(0, 0x01, 0x01), 4},
	// A 16383-byte element with a 2-byte backlen: readers that only decode
	// backwards accept it, Redis's validator (and this one) do not.
	{"backlen 16383 in 2 bytes", lpRaw(1, append(append([]byte{0xf0}, binary.LittleEndian.AppendUint32(nil, 16378)...),
		append(make([]byte, 16378), 0x7f, 0xff)...)...), 6 + 16383},
}

func TestListpackCorrupt(t *testing.T) {
	for _, tc := range lpCorruptCases {
		_, err := lpDecodeAll(tc.b)
		var be *blobError
		if !errors.As(err, &be) {
			t.Errorf("%s: err = %v, want *blobError", tc.name, err)
			continue
		}
		if be.Pos != tc.pos {
			t.Errorf("%s: Pos = %d, want %d (%v)", tc.name, be.Pos, tc.pos, err)
		}
	}
	// Sticky errors, and Done before the end.
	it, _ := lpOpen(lpRaw(1, 0xf5))
	_, _, err1 := it.Next()
	_, _, err2 := it.Next()
	if err1 == nil || err2 != err1 || it.Done() != err1 {
		t.Errorf("errors not sticky: %v %v %v", err1, err2, it.Done())
	}
	it, _ = lpOpen(lpRaw(1, 0x01, 0x01))
	if it.Done() == nil {
		t.Error("Done before the end returned nil")
	}
	// Count 65535 means unknown.
	if _, err := lpDecodeAll(lpRaw(lpCountUnknown, 0x01, 0x01)); err != nil {
		t.Errorf("count 65535: %v", err)
	}
}

func randPackEntries(r *rand.Rand, n int) []packEntry {
	es := make([]packEntry, n)
	for i := range es {
		switch r.IntN(8) {
		case 0:
			es[i] = intEntry(int64(r.IntN(300)) - 150)
		case 1:
			es[i] = intEntry(int64(r.Uint64()) >> r.IntN(64))
		case 2:
			es[i] = intEntry([]int64{0, 12, 13, 127, 128, -128, -129, 4095, -4096, 32767, -32768, 8388607, -8388608,
				math.MaxInt32, math.MinInt32, math.MaxInt64, math.MinInt64}[r.IntN(17)])
		case 3:
			es[i] = strEntry(strconv.Itoa(r.IntN(1000))) // canonical text kept as a string
		case 4:
			n := []int{0, 1, 63, 64, 253, 254, 4095, 4096, 16379}[r.IntN(9)]
			es[i] = packEntry{Str: bytes.Repeat([]byte{byte('a' + r.IntN(26))}, n)}
		default:
			s := make([]byte, r.IntN(100))
			for j := range s {
				s[j] = byte(r.Uint32())
			}
			es[i] = packEntry{Str: s}
		}
	}
	return es
}

func TestListpackRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	for i := range 500 {
		es := randPackEntries(r, r.IntN(40))
		b := lpBuild(nil, es...)
		got, err := lpDecodeAll(b)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		checkEntries(t, "round trip", got, es)
		// The Redis-style build from logical texts decodes to the same texts,
		// with canonical integers turned into integers.
		strs := make([][]byte, len(es))
		for j, e := range es {
			strs[j] = e.appendText(nil)
		}
		got, err = lpDecodeAll(lpBuildStrings(nil, strs...))
		if err != nil {
			t.Fatalf("case %d strings: %v", i, err)
		}
		for j := range got {
			if !bytes.Equal(got[j].appendText(nil), strs[j]) {
				t.Fatalf("case %d entry %d: %q, want %q", i, j, got[j].appendText(nil), strs[j])
			}
			if _, canon := isCanonicalInt(strs[j]); got[j].IsInt != canon {
				t.Fatalf("case %d entry %d: IsInt %v for %q", i, j, got[j].IsInt, strs[j])
			}
		}
	}
	// 65535 or more elements: header count unknown, still walks.
	many := make([]packEntry, 70000)
	for i := range many {
		many[i] = intEntry(int64(i))
	}
	b := lpBuild(nil, many...)
	if it, _ := lpOpen(b); it.Count() != lpCountUnknown {
		t.Errorf("Count = %d, want 65535", it.Count())
	}
	got, err := lpDecodeAll(b)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, "70000 entries", got, many)
	// A 32-bit string element.
	big := strEntry(strings.Repeat("z", 70000))
	got, err = lpDecodeAll(lpBuild(nil, big, intEntry(1)))
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, "big string", got, []packEntry{big, intEntry(1)})
}

func TestListpackAllocs(t *testing.T) {
	b := lpBuild(nil, randPackEntries(rand.New(rand.NewPCG(11, 12)), 50)...)
	n := testing.AllocsPerRun(100, func() {
		it, err := lpOpen(b)
		if err != nil {
			panic(err)
		}
		for {
			_, ok, err := it.Next()
			if err != nil {
				panic(err)
			}
			if !ok {
				break
			}
		}
		if err := it.Done(); err != nil {
			panic(err)
		}
	})
	if n != 0 {
		t.Errorf("walking a listpack allocates %v times", n)
	}
}

func BenchmarkListpackNext(b *testing.B) {
	lp := lpBuild(nil, randPackEntries(rand.New(rand.NewPCG(13, 14)), 200)...)
	b.SetBytes(int64(len(lp)))
	for b.Loop() {
		it, _ := lpOpen(lp)
		for {
			_, ok, _ := it.Next()
			if !ok {
				break
			}
		}
	}
}

func TestLpZlIsZmFailedOpen(t *testing.T) {
	// Failed-open and zero-value iterators never panic and keep failing.
	lp, err := lpOpen(nil)
	if _, ok, e := lp.Next(); ok || e != err || lp.Done() != err || lp.Count() != 0 {
		t.Error("listpack failed open")
	}
	zl, err := zlOpen(nil)
	if _, ok, e := zl.Next(); ok || e != err || zl.Done() != err || zl.Count() != 0 {
		t.Error("ziplist failed open")
	}
	is, err := isOpen(nil)
	if _, ok, e := is.Next(); ok || e != err || is.Done() != err || is.Count() != 0 {
		t.Error("intset failed open")
	}
	zm, err := zmOpen(nil)
	if _, _, ok, e := zm.Next(); ok || e != err || zm.Done() != err || zm.Count() != 0 {
		t.Error("zipmap failed open")
	}
	var (
		lp0 lpIter
		zl0 zlIter
		is0 isIter
		zm0 zmIter
	)
	_, _, _ = lp0.Next()
	_, _, _ = zl0.Next()
	_, _, _ = is0.Next()
	_, _, _, _ = zm0.Next()
	if lp0.Done() == nil || zl0.Done() == nil || is0.Done() == nil || zm0.Done() == nil {
		t.Error("Done on a zero iterator returned nil")
	}
}
