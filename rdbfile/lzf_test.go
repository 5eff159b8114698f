package rdbfile

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// lzfRedisExample is the payload of FORMATS.md §1.13's "lzf" key
// (c3 09 40 64 | 01 61 61 e0 57 00 01 61 61): 100 × 'a'.
var lzfRedisExample = []byte{0x01, 0x61, 0x61, 0xe0, 0x57, 0x00, 0x01, 0x61, 0x61}

func TestLZFDecompressExample(t *testing.T) {
	got, err := lzfDecompress(nil, lzfRedisExample, 100)
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Repeat("a", 100); string(got) != want {
		t.Fatalf("got %q", got)
	}
}

// lzfRedisGolden are strings and the LZF bytes Redis wrote for them.
var lzfRedisGolden = []struct {
	name, plain string
	lzf         []byte
}{
	{"FORMATS.md §1.13", strings.Repeat("a", 100), lzfRedisExample},
	// From redis-7.0.15/rdb/dump.rdb at offset 591 (an intset); the final
	// 3-byte match is one liblzf 3.6 takes and older liblzf did not.
	{"redis-7.0.15 intset",
		"\b\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\x00\x00\x00\xfc\xff\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00",
		[]byte{0x4, 0x8, 0x0, 0x0, 0x0, 0x3, 0x20, 0x3, 0x80, 0x0, 0x2, 0xfc, 0xff, 0x1, 0x80, 0x8, 0x80, 0x0, 0x20, 0xc}},
	// From redis-7.0.15/rdb/dump.rdb at offset 21901 (a stream listpack).
	{"redis-7.0.15 stream listpack",
		"F\x00\x00\x00\x1e\x00\x05\x01\x00\x01\x01\x01\x83seq\x04\x00\x01\x02\x01\x00\x01\x00\x01\x00\x01\x04\x01\x02\x01\x00\x01\x01\x01\x01\x01\x04\x01\x02\x01\x00\x01\x02\x01\x02\x01\x04\x01\x02\x01\x00\x01\x03\x01\x03\x01\x04\x01\x02\x01\x01\x01\x00\x01\x04\x01\x04\x01\xff",
		[]byte{0x13, 0x46, 0x0, 0x0, 0x0, 0x1e, 0x0, 0x5, 0x1, 0x0, 0x1, 0x1, 0x1, 0x83, 0x73, 0x65, 0x71, 0x4, 0x0, 0x1, 0x2, 0x20, 0xc, 0x40, 0x1, 0x0, 0x4, 0x60, 0x9, 0x40, 0x0, 0x80, 0x9, 0x0, 0x2, 0x20, 0x1, 0x80, 0x9, 0x0, 0x3, 0x20, 0x1, 0x40, 0x9, 0x0, 0x1, 0x20, 0x27, 0x0, 0x4, 0x20, 0x1, 0x0, 0xff}},
}

func TestLZFCompressMatchesRedis(t *testing.T) {
	for _, g := range lzfRedisGolden {
		got := lzfCompress(nil, []byte(g.plain))
		if !bytes.Equal(got, g.lzf) {
			t.Errorf("%s: lzfCompress = % x, want % x", g.name, got, g.lzf)
		}
		dec, err := lzfDecompress(nil, g.lzf, len(g.plain))
		if err != nil || string(dec) != g.plain {
			t.Errorf("%s: lzfDecompress = %q, %v", g.name, dec, err)
		}
	}
}

// lzfCorruptCases are malformed streams; each must fail with the given Pos.
var lzfCorruptCases = []struct {
	name string
	src  []byte
	ulen int
	pos  int
}{
	{"literal past input", []byte{0x05, 'a'}, 6, 0},
	{"literal overflows output", []byte{0x01, 'a', 'a'}, 1, 0},
	{"backref missing offset", []byte{0x00, 'a', 0x20}, 4, 2},
	{"long backref missing length", []byte{0x00, 'a', 0xe0}, 20, 2},
	{"long backref missing offset", []byte{0x00, 'a', 0xe0, 0x05}, 20, 2},
	{"backref before start", []byte{0x20, 0x00}, 3, 0},
	{"backref distance too far", []byte{0x00, 'a', 0x20, 0x01}, 4, 2},
	{"backref overflows output", []byte{0x00, 'a', 0x20, 0x00}, 2, 2},
	{"output short", []byte{0x00, 'a'}, 2, 2},
	{"empty input nonzero ulen", nil, 1, 0},
	{"ulen beyond expansion", []byte{0x00, 'a'}, 1000, 0},
	{"negative ulen", []byte{0x00, 'a'}, -1, 0},
	{"nonempty input zero ulen", []byte{0x00, 'a'}, 0, 0},
}

func TestLZFCorrupt(t *testing.T) {
	for _, tc := range lzfCorruptCases {
		_, err := lzfDecompress(nil, tc.src, tc.ulen)
		var be *blobError
		if !errors.As(err, &be) {
			t.Errorf("%s: err = %v, want *blobError", tc.name, err)
			continue
		}
		if be.Pos != tc.pos {
			t.Errorf("%s: Pos = %d, want %d (%v)", tc.name, be.Pos, tc.pos, err)
		}
	}
}

func TestLZFEdgeCases(t *testing.T) {
	// Empty stream, zero length.
	if got, err := lzfDecompress(nil, nil, 0); err != nil || len(got) != 0 {
		t.Fatalf("empty: %q, %v", got, err)
	}
	// Longest back reference, overlapping by one byte, and a far one.
	src := []byte{0x00, 'x', 0xe0, 0xff, 0x00}
	got, err := lzfDecompress(nil, src, 1+264)
	if err != nil || string(got) != strings.Repeat("x", 265) {
		t.Fatalf("long backref: %q, %v", got, err)
	}
	// The maximal expansion ratio is accepted: 3 input bytes -> 264 output.
	src = []byte{0x00, 'x', 0xe0, 0xff, 0x00, 0xe0, 0xff, 0x00}
	if _, err := lzfDecompress(nil, src, 1+2*264); err != nil {
		t.Fatal(err)
	}
	// dst capacity is reused.
	dst := make([]byte, 5, 200)
	got, err = lzfDecompress(dst, lzfRedisExample, 100)
	if err != nil || &got[0] != &dst[0] {
		t.Fatalf("dst not reused (err %v)", err)
	}
	if n := testing.AllocsPerRun(20, func() { _, _ = lzfDecompress(dst, lzfRedisExample, 100) }); n != 0 {
		t.Errorf("lzfDecompress with capacity allocates %v times", n)
	}
}

func TestLZFRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	inputs := [][]byte{
		[]byte(loremIpsum),
		bytes.Repeat([]byte("a"), 21),
		bytes.Repeat([]byte("abc"), 10000),
		bytes.Repeat([]byte{0}, 70000),
	}
	for range 300 {
		n := r.IntN(3000)
		if r.IntN(10) == 0 {
			n = r.IntN(40000)
		}
		b := make([]byte, 0, n)
		alpha := 1 + r.IntN(255)
		for len(b) < n {
			if len(b) > 10 && r.IntN(4) == 0 { // repeat an earlier stretch, sometimes far back
				j := r.IntN(len(b))
				for k := r.IntN(300); k > 0 && len(b) < n; k-- {
					b = append(b, b[j])
					j++
				}
				continue
			}
			b = append(b, byte(r.IntN(alpha)))
		}
		inputs = append(inputs, b)
	}
	compressed := 0
	var dec []byte
	for _, in := range inputs {
		c := lzfCompress(nil, in)
		if c == nil {
			if len(in) > 4000 && bytes.Equal(in[:4000], bytes.Repeat(in[:1], 4000)) {
				t.Errorf("len %d: compressible input not compressed", len(in))
			}
			continue
		}
		compressed++
		if len(c) > len(in)-4 {
			t.Fatalf("len %d: compressed to %d > len-4", len(in), len(c))
		}
		lzfCheckStream(t, c)
		var err error
		dec, err = lzfDecompress(dec, c, len(in))
		if err != nil {
			t.Fatalf("len %d: %v", len(in), err)
		}
		if !bytes.Equal(dec, in) {
			t.Fatalf("len %d: round trip differs", len(in))
		}
	}
	if compressed < len(inputs)/2 {
		t.Errorf("only %d of %d inputs compressed", compressed, len(inputs))
	}
	for _, in := range [][]byte{nil, []byte("abcd"), []byte("aaaa")} {
		if c := lzfCompress(nil, in); c != nil {
			t.Errorf("lzfCompress(%q) = % x, want nil", in, c)
		}
	}
	if c := lzfCompress(nil, []byte("abcdefghijklmnopqrstuvwxyz")); c != nil {
		t.Errorf("incompressible text compressed to % x", c)
	}
}

// lzfCheckStream checks the liblzf stream constraints: literal runs of 1..32,
// match lengths 3..264, distances 1..8192 (the encoding allows no other), and
// that no back reference reaches before the start.
func lzfCheckStream(t *testing.T, c []byte) {
	t.Helper()
	out := 0
	for ip := 0; ip < len(c); {
		ctrl := int(c[ip])
		ip++
		if ctrl < 32 {
			ip += ctrl + 1
			out += ctrl + 1
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			n += int(c[ip])
			ip++
		}
		off := (ctrl&0x1f)<<8 | int(c[ip])
		ip++
		if off+1 > out {
			t.Fatalf("backref distance %d at output %d", off+1, out)
		}
		out += n + 2
	}
}

func TestLZFCompressTableReuse(t *testing.T) {
	// Stale slots from earlier calls are ignored, and the table is cleared
	// when its position base would wrap.
	in := bytes.Repeat([]byte(loremIpsum), 2)
	want := lzfCompress(nil, in)
	tab := &lzfTable{base: 1}
	for _, base := range []uint32{1, 1 << 20, math.MaxUint32 - uint32(len(in)), math.MaxUint32 - 9} {
		tab.base = base
		got := tab.compress(make([]byte, len(in)-4+1), in)
		if !bytes.Equal(got, want) {
			t.Fatalf("base %#x: output differs", base)
		}
	}
	if tab.base != 1+uint32(len(in)) {
		t.Errorf("table not reset on wrap: base %#x", tab.base)
	}
	// Literal runs of exactly 32 bytes in the final stretch.
	for k := 1; k <= 70; k++ {
		in := bytes.Repeat([]byte("a"), 100)
		for i := range k {
			in = append(in, byte(i+1))
		}
		c := lzfCompress(nil, in)
		lzfCheckStream(t, c)
		if got, err := lzfDecompress(nil, c, len(in)); err != nil || !bytes.Equal(got, in) {
			t.Fatalf("tail %d: %v", k, err)
		}
	}
}

func BenchmarkLZFDecompress(b *testing.B) {
	in := bytes.Repeat([]byte(loremIpsum), 100)
	c := lzfCompress(nil, in)
	dst := make([]byte, len(in))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		_, _ = lzfDecompress(dst, c, len(in))
	}
}

func BenchmarkLZFCompress(b *testing.B) {
	in := bytes.Repeat([]byte(loremIpsum), 100)
	dst := make([]byte, len(in))
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		_ = lzfCompress(dst, in)
	}
}

// TestLZFValidateAgrees: lzfValidate accepts and rejects exactly what
// lzfDecompress does, with the same error position, on random mutations of
// real compressed data.
func TestLZFValidateAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	base := lzfCompress(nil, bytes.Repeat([]byte("lorem ipsum dolor sit amet 12345 "), 40))
	if base == nil {
		t.Fatal("no compression")
	}
	for i := 0; i < 20000; i++ {
		src := append([]byte(nil), base...)
		for k := r.IntN(3); k >= 0; k-- {
			src[r.IntN(len(src))] ^= byte(1 + r.IntN(255))
		}
		ulen := 33 * 40
		if i%5 == 0 {
			ulen += r.IntN(9) - 4
		}
		_, e1 := lzfDecompress(nil, src, ulen)
		e2 := lzfValidate(src, ulen)
		if (e1 == nil) != (e2 == nil) {
			t.Fatalf("case %d: decompress %v, validate %v", i, e1, e2)
		}
		if e1 != nil && e1.(*blobError).Pos != e2.(*blobError).Pos {
			t.Fatalf("case %d: positions %v vs %v", i, e1, e2)
		}
	}
}

// BenchmarkLZFDecompressBlobs decompresses every listpack and ziplist blob of
// the samples and the corpus, compressed as Redis would: short literal runs
// and short references, the shape the RDB reader meets.
func BenchmarkLZFDecompressBlobs(b *testing.B) {
	seeds := corpusSeeds(b)
	type pair struct {
		c []byte
		n int
	}
	var in []pair
	total := 0
	for _, set := range [][][]byte{seeds.listpacks, seeds.ziplists} {
		for _, blob := range set {
			if len(blob) <= 20 {
				continue
			}
			if c := lzfCompress(nil, blob); c != nil {
				in = append(in, pair{c, len(blob)})
				total += len(blob)
			}
		}
	}
	if len(in) == 0 {
		b.Skip("no compressible blobs")
	}
	b.SetBytes(int64(total))
	dst := make([]byte, 0, 1<<20)
	for b.Loop() {
		for _, p := range in {
			if _, err := lzfDecompress(dst, p.c, p.n); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// lzfDecompressNaive is the reference decoder of the format comment in
// lzf.go, one byte at a time and without checks: only for streams that
// lzfDecompress accepted.
func lzfDecompressNaive(src []byte) []byte {
	var out []byte
	for ip := 0; ip < len(src); {
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 {
			out = append(out, src[ip:ip+ctrl+1]...)
			ip += ctrl + 1
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			n += int(src[ip])
			ip++
		}
		ref := len(out) - (ctrl&0x1f)<<8 - int(src[ip]) - 1
		ip++
		for i := 0; i < n+2; i++ {
			out = append(out, out[ref+i])
		}
	}
	return out
}
