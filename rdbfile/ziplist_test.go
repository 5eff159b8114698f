package rdbfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/rand/v2"
	"strconv"
	"testing"
)

// zlRaw wraps entry bytes in a ziplist header (correct zlbytes, the given
// zllen and zltail) and end byte.
func zlRaw(count, tail int, body ...byte) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(zlHdrSize+len(body)+1))
	b = binary.LittleEndian.AppendUint32(b, uint32(tail))
	b = binary.LittleEndian.AppendUint16(b, uint16(count))
	b = append(b, body...)
	return append(b, zlEnd)
}

func zlDecodeAll(b []byte) ([]packEntry, error) {
	it, err := zlOpen(b)
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

func TestZiplistExample(t *testing.T) {
	// FORMATS.md §2.1.
	b := blobHex("0f 00 00 00 0c 00 00 00 02 00 00 f3 02 f6 ff")
	got, err := zlDecodeAll(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []packEntry{intEntry(2), intEntry(5)}
	checkEntries(t, "example", got, want)
	if got := zlBuild(nil, want...); !bytes.Equal(got, b) {
		t.Errorf("zlBuild = % x", got)
	}
	empty := blobHex("0b 00 00 00 0a 00 00 00 00 00 ff")
	if got, err := zlDecodeAll(empty); err != nil || len(got) != 0 {
		t.Errorf("empty: %v %v", got, err)
	}
	if got := zlBuild(nil); !bytes.Equal(got, empty) {
		t.Errorf("zlBuild() = % x", got)
	}
}

// zlEncodingCases pin the entry bytes (after a 1-byte prevlen of 0) that
// Redis's ziplist.c writes for a string value (zipTryEncoding).
var zlEncodingCases = []struct {
	in    string
	entry string
}{
	{"0", "00 f1"},
	{"12", "00 fd"},
	{"13", "00 fe 0d"},
	{"-1", "00 fe ff"},
	{"127", "00 fe 7f"},
	{"-128", "00 fe 80"},
	{"128", "00 c0 80 00"},
	{"-32768", "00 c0 00 80"},
	{"32768", "00 f0 00 80 00"},
	{"-8388608", "00 f0 00 00 80"},
	{"8388608", "00 d0 00 00 80 00"},
	{"-2147483648", "00 d0 00 00 00 80"},
	{"2147483648", "00 e0 00 00 00 80 00 00 00 00"},
	{"-9223372036854775808", "00 e0 00 00 00 00 00 00 00 80"},
	{"", "00 00"},
	{"a", "00 01 61"},
	{"007", "00 03 30 30 37"},
}

func TestZlAppendEncodings(t *testing.T) {
	for _, tc := range zlEncodingCases {
		want := blobHex(tc.entry)
		got, n := zlAppendEntry(nil, 0, packEntryOf([]byte(tc.in)))
		if !bytes.Equal(got, want) || n != len(want) {
			t.Errorf("zlAppendEntry(%q) = % x, want % x", tc.in, got, want)
		}
		es, err := zlDecodeAll(zlRaw(1, zlHdrSize, want...))
		if err != nil || len(es) != 1 || string(es[0].appendText(nil)) != tc.in {
			t.Errorf("decode %q: %v %v", tc.in, es, err)
		}
	}
	// Length forms: 6-bit up to 63, 14-bit big-endian up to 16383, then
	// 32-bit big-endian; prevlen switches to 5 bytes at 254.
	for _, n := range []int{63, 64, 251, 252, 253, 254, 16383, 16384} {
		s := bytes.Repeat([]byte("q"), n)
		b := zlBuild(nil, packEntry{Str: s}, intEntry(7))
		es, err := zlDecodeAll(b)
		if err != nil {
			t.Fatalf("len %d: %v", n, err)
		}
		checkEntries(t, "len "+strconv.Itoa(n), es, []packEntry{{Str: s}, intEntry(7)})
		first := b[zlHdrSize+1]
		switch {
		case n <= 63 && first != byte(n),
			n > 63 && n <= 16383 && first != 0x40|byte(n>>8),
			n > 16383 && first != 0x80:
			t.Errorf("len %d: encoding byte %#x", n, first)
		}
	}
	// A 14-bit length is big-endian.
	if es, err := zlDecodeAll(zlRaw(1, zlHdrSize, append([]byte{0x00, 0x41, 0x02}, make([]byte, 258)...)...)); err != nil || len(es[0].Str) != 258 {
		t.Errorf("14-bit big-endian: %v", err)
	}
}

var zlCorruptCases = []struct {
	name string
	b    []byte
	pos  int
}{
	{"too short", blobHex("0a 00 00 00 0a 00 00 00 00 00"), 0},
	{"zlbytes mismatch", blobHex("0c 00 00 00 0a 00 00 00 00 00 ff"), 0},
	{"zltail outside", blobHex("0b 00 00 00 0b 00 00 00 00 00 ff"), 4},
	{"no end byte", blobHex("0b 00 00 00 0a 00 00 00 00 00 fe"), 10},
	{"end byte early", zlRaw(0, 10, 0xff), 10},
	{"prevlen past end", zlRaw(1, 10, 0xfe, 0x00, 0x00), 10},
	{"first prevlen not 0", zlRaw(1, 10, 0x01, 0xf1), 10},
	{"second prevlen wrong", zlRaw(2, 12, 0x00, 0xf1, 0x03, 0xf2), 12},
	{"second prevlen wrong 5-byte", zlRaw(2, 12, 0x00, 0xf1, 0xfe, 0x03, 0, 0, 0, 0xf2), 12},
	{"unknown encoding c1", zlRaw(1, 10, 0x00, 0xc1), 11},
	{"unknown encoding ff", zlRaw(1, 10, 0x00, 0xff, 0x00), 11},
	{"int16 past end", zlRaw(1, 10, 0x00, 0xc0, 0x01), 11},
	{"int64 past end", zlRaw(1, 10, 0x00, 0xe0, 1, 2, 3, 4, 5, 6, 7), 11},
	{"string past end", zlRaw(1, 10, 0x00, 0x05, 'a'), 11},
	{"string over end byte", zlRaw(1, 10, 0x00, 0x01), 11},
	{"14-bit string past end", zlRaw(1, 10, 0x00, 0x40, 0x05, 'a'), 11},
	{"32-bit length past end", zlRaw(1, 10, 0x00, 0x80, 0x00, 0x00), 11},
	{"32-bit string past end", zlRaw(1, 10, 0x00, 0x80, 0xff, 0xff, 0xff, 0xff), 11},
	{"zltail not last entry", zlRaw(2, 10, 0x00, 0xf1, 0x02, 0xf2), 4},
	{"zltail empty not end", zlRaw(0, 0), 4},
	{"zllen mismatch", zlRaw(2, 10, 0x00, 0xf1), 8},
	{"zllen mismatch zero", zlRaw(0, 10, 0x00, 0xf1), 8},
}

func TestZiplistCorrupt(t *testing.T) {
	for _, tc := range zlCorruptCases {
		_, err := zlDecodeAll(tc.b)
		var be *blobError
		if !errors.As(err, &be) {
			t.Errorf("%s: err = %v, want *blobError", tc.name, err)
			continue
		}
		if be.Pos != tc.pos {
			t.Errorf("%s: Pos = %d, want %d (%v)", tc.name, be.Pos, tc.pos, err)
		}
	}
	it, _ := zlOpen(zlRaw(1, 10, 0x00, 0xf1))
	if it.Done() == nil {
		t.Error("Done before the end returned nil")
	}
	it, _ = zlOpen(zlRaw(1, 10, 0x00, 0xc1))
	_, _, err1 := it.Next()
	if _, _, err2 := it.Next(); err1 == nil || err2 != err1 || it.Done() != err1 {
		t.Error("errors not sticky")
	}
	// Accepted oddities: zllen 65535, and a 5-byte prevlen holding a small
	// value (Redis's cascade update can leave one).
	valid := [][]byte{
		zlRaw(zlCountUnknown, 10, 0x00, 0xf1),
		zlRaw(2, 12, 0x00, 0xf1, 0xfe, 0x02, 0, 0, 0, 0xf2),
	}
	for _, b := range valid {
		if _, err := zlDecodeAll(b); err != nil {
			t.Errorf("% x: %v", b, err)
		}
	}
}

func TestZiplistRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	for i := range 500 {
		es := randPackEntries(r, r.IntN(40))
		b := zlBuild(nil, es...)
		got, err := zlDecodeAll(b)
		if err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
		checkEntries(t, "round trip", got, es)
	}
	many := make([]packEntry, 66000)
	for i := range many {
		many[i] = intEntry(int64(i) - 100)
	}
	b := zlBuild(nil, many...)
	if it, _ := zlOpen(b); it.Count() != zlCountUnknown {
		t.Errorf("Count = %d, want 65535", it.Count())
	}
	got, err := zlDecodeAll(b)
	if err != nil {
		t.Fatal(err)
	}
	checkEntries(t, "66000 entries", got, many)
}

func TestZiplistAllocs(t *testing.T) {
	b := zlBuild(nil, randPackEntries(rand.New(rand.NewPCG(17, 18)), 50)...)
	n := testing.AllocsPerRun(100, func() {
		it, err := zlOpen(b)
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
		t.Errorf("walking a ziplist allocates %v times", n)
	}
}
