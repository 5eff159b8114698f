package rdbfile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
)

type zmPairT struct{ f, v []byte }

func zmDecodeAll(b []byte) ([]zmPairT, error) {
	it, err := zmOpen(b)
	if err != nil {
		return nil, err
	}
	var out []zmPairT
	for {
		f, v, ok, err := it.Next()
		if err != nil {
			return out, err
		}
		if !ok {
			break
		}
		out = append(out, zmPairT{f, v})
	}
	return out, it.Done()
}

func zmPairsEq(a, b []zmPairT) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].f, b[i].f) || !bytes.Equal(a[i].v, b[i].v) {
			return false
		}
	}
	return true
}

func TestZipmapExample(t *testing.T) {
	// {"foo": "bar", "hello": "world"} as Redis 2.x wrote it (zipmap.c's
	// header comment example, with free bytes 0).
	b := blobHex("02 03 66 6f 6f 03 00 62 61 72 05 68 65 6c 6c 6f 05 00 77 6f 72 6c 64 ff")
	got, err := zmDecodeAll(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []zmPairT{{[]byte("foo"), []byte("bar")}, {[]byte("hello"), []byte("world")}}
	if !zmPairsEq(got, want) {
		t.Fatalf("got %q", got)
	}
	if it, _ := zmOpen(b); it.Count() != 2 {
		t.Errorf("Count = %d", it.Count())
	}
	if got := zmBuild(nil, []byte("foo"), []byte("bar"), []byte("hello"), []byte("world")); !bytes.Equal(got, b) {
		t.Errorf("zmBuild = % x", got)
	}
	// Free bytes after a value are skipped; zmlen 254 means unknown.
	b = []byte{zmBigLen}
	b = zmAppendPair(b, []byte("k"), []byte("v"), 3)
	b = zmAppendPair(b, []byte(""), []byte(""), 0)
	b = append(b, zmEnd)
	got, err = zmDecodeAll(b)
	if err != nil || !zmPairsEq(got, []zmPairT{{[]byte("k"), []byte("v")}, {nil, nil}}) {
		t.Fatalf("free bytes: %q %v", got, err)
	}
	// 5-byte lengths (254 + uint32 LE).
	long := bytes.Repeat([]byte("L"), 300)
	b = zmBuild(nil, long, []byte("x"), []byte("y"), bytes.Repeat([]byte("V"), 254))
	if b[1] != zmBigLen || b[2] != 44 || b[3] != 1 {
		t.Errorf("long length encoded as % x", b[1:6])
	}
	got, err = zmDecodeAll(b)
	if err != nil || !zmPairsEq(got, []zmPairT{{long, []byte("x")}, {[]byte("y"), bytes.Repeat([]byte("V"), 254)}}) {
		t.Errorf("long lengths: %v", err)
	}
}

var zmCorruptCases = []struct {
	name string
	b    []byte
	pos  int
}{
	{"too short", blobHex("ff"), 0},
	{"no end marker", blobHex("00 00"), 1},
	{"field 5-byte length past end", blobHex("01 fe 00 ff"), 1},
	{"field past end", blobHex("01 05 61 ff"), 1},
	{"field to end", blobHex("01 01 61 ff"), 3},
	{"value 5-byte length past end", blobHex("01 01 61 fe 00 ff"), 3},
	{"value 5-byte length no free byte", blobHex("01 01 61 fe 00 00 00 ff"), 3},
	{"value past end", blobHex("01 01 61 05 00 62 ff"), 3},
	{"free past end", blobHex("01 01 61 01 05 62 ff"), 3},
	{"free byte is end marker", blobHex("01 01 61 00 ff"), 3},
	{"end marker early", blobHex("01 01 61 01 00 62 ff ff"), 6},
	{"empty", blobHex("00 ff"), 0},
	{"empty zmlen 254", blobHex("fe ff"), 0},
	{"zmlen mismatch", blobHex("02 01 61 01 00 62 ff"), 0},
	{"zmlen 255 mismatch", blobHex("ff 01 61 01 00 62 ff"), 0},
	{"second pair bad", blobHex("02 01 61 01 00 62 07 ff"), 6},
}

func TestZipmapCorrupt(t *testing.T) {
	for _, tc := range zmCorruptCases {
		_, err := zmDecodeAll(tc.b)
		var be *blobError
		if !errors.As(err, &be) {
			t.Errorf("%s: err = %v, want *blobError", tc.name, err)
			continue
		}
		if be.Pos != tc.pos {
			t.Errorf("%s: Pos = %d, want %d (%v)", tc.name, be.Pos, tc.pos, err)
		}
	}
	it, _ := zmOpen(blobHex("01 01 61 01 00 62 ff"))
	if it.Done() == nil {
		t.Error("Done before the end returned nil")
	}
	it, _ = zmOpen(blobHex("01 05 61 ff"))
	_, _, _, err1 := it.Next()
	if _, _, _, err2 := it.Next(); err1 == nil || err2 != err1 || it.Done() != err1 {
		t.Error("errors not sticky")
	}
}

func TestZipmapRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	randBytes := func() []byte {
		n := r.IntN(20)
		if r.IntN(10) == 0 {
			n = 250 + r.IntN(300)
		}
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	for i := range 300 {
		n := 1 + r.IntN(300)
		var kv [][]byte
		var want []zmPairT
		for range n {
			f, v := randBytes(), randBytes()
			kv = append(kv, f, v)
			want = append(want, zmPairT{f, v})
		}
		b := zmBuild(nil, kv...)
		got, err := zmDecodeAll(b)
		if err != nil || !zmPairsEq(got, want) {
			t.Fatalf("case %d (%d pairs): %v", i, n, err)
		}
		if it, _ := zmOpen(b); it.Count() != min(n, zmBigLen) {
			t.Fatalf("case %d: Count %d for %d pairs", i, it.Count(), n)
		}
	}
	b := zmBuild(nil, []byte("a"), []byte("b"), []byte("c"), []byte("d"))
	n := testing.AllocsPerRun(100, func() {
		it, _ := zmOpen(b)
		for {
			_, _, ok, err := it.Next()
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
		t.Errorf("walking a zipmap allocates %v times", n)
	}
}
