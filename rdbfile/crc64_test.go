package rdbfile

import (
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"
)

const loremIpsum = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod " +
	"tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud " +
	"exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor " +
	"in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur " +
	"sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est " +
	"laborum."

// crc64Slow is the byte-at-a-time reference from FORMATS.md §1.6.
func crc64Slow(crc uint64, p []byte) uint64 {
	for _, b := range p {
		crc ^= uint64(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ crc64JonesPoly
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func TestCRC64Vectors(t *testing.T) {
	if len(loremIpsum) != 445 {
		t.Fatalf("lorem ipsum text is %d bytes, want 445", len(loremIpsum))
	}
	tests := []struct {
		name string
		in   string
		want uint64
	}{
		{"empty", "", 0},
		{"check", "123456789", 0xE9C6D914C4B8D9CA},
		{"lorem+NUL", loremIpsum + "\x00", 0xC7794709E69683B3},
		{"lorem", loremIpsum, 0x912D89C65CD3C415},
	}
	for _, tc := range tests {
		if got := crc64Update(0, []byte(tc.in)); got != tc.want {
			t.Errorf("%s: crc64Update = %#016x, want %#016x", tc.name, got, tc.want)
		}
		if got := crc64UpdateGeneric(0, []byte(tc.in)); got != tc.want {
			t.Errorf("%s: crc64UpdateGeneric = %#016x, want %#016x", tc.name, got, tc.want)
		}
		if got := crc64Slow(0, []byte(tc.in)); got != tc.want {
			t.Errorf("%s: reference = %#016x, want %#016x", tc.name, got, tc.want)
		}
	}
	// The hash/crc64 identity of FORMATS.md §1.6.
	tab := crc64.MakeTable(crc64JonesPoly)
	if got := ^crc64.Update(^uint64(0), tab, []byte("123456789")); got != 0xE9C6D914C4B8D9CA {
		t.Errorf("hash/crc64 identity = %#016x", got)
	}
}

func TestCRC64MatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 5000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for n := 0; n <= 300; n++ {
		for _, off := range []int{0, 1, 3, 7} {
			p := buf[off : off+n]
			seed := r.Uint64()
			if got, want := crc64Update(seed, p), crc64Slow(seed, p); got != want {
				t.Fatalf("len %d off %d: %#x, want %#x", n, off, got, want)
			}
		}
	}
	for _, n := range []int{511, 512, 1023, 4096, 4999} {
		if got, want := crc64Update(0, buf[:n]), crc64Slow(0, buf[:n]); got != want {
			t.Fatalf("len %d: %#x, want %#x", n, got, want)
		}
	}
}

func TestCRC64Incremental(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 3000)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	want := crc64Update(0, buf)
	for range 200 {
		var crc uint64
		for p := buf; len(p) > 0; {
			n := min(len(p), r.IntN(70))
			crc = crc64Update(crc, p[:n])
			p = p[n:]
		}
		if crc != want {
			t.Fatalf("incremental %#x, one-shot %#x", crc, want)
		}
	}
}

// polyDivMod divides the GF(2) polynomial a by b (bit i of a big.Int is the
// coefficient of x^i) and returns quotient and remainder.
func polyDivMod(a, b *big.Int) (q, r *big.Int) {
	q, r = new(big.Int), new(big.Int).Set(a)
	db := b.BitLen() - 1
	for r.BitLen()-1 >= db {
		s := r.BitLen() - 1 - db
		q.SetBit(q, s, 1)
		r.Xor(r, new(big.Int).Lsh(b, uint(s)))
	}
	return q, r
}

// crc64JonesFull is the full degree-64 generator polynomial P in normal
// (unreflected) form.
func crc64JonesFull() *big.Int {
	p := new(big.Int).SetUint64(bits.Reverse64(crc64JonesPoly))
	return p.SetBit(p, 64, 1)
}

// reflect64 returns the polynomial p of degree < 64 in bit-reflected form
// (bit i = coefficient of x^(63-i)).
func reflect64(p *big.Int) uint64 {
	if p.BitLen() > 64 {
		panic("degree >= 64")
	}
	return bits.Reverse64(p.Uint64())
}

// TestCRC64FoldConsts recomputes crc64FoldConsts from the polynomial.
func TestCRC64FoldConsts(t *testing.T) {
	P := crc64JonesFull()
	xpow := func(n int) *big.Int { return new(big.Int).Lsh(big.NewInt(1), uint(n)) }
	xmod := func(n int) uint64 { _, r := polyDivMod(xpow(n), P); return reflect64(r) }
	var want []uint64
	for _, d := range []int{1024, 512, 384, 256, 128} {
		want = append(want, xmod(d+63), xmod(d-1))
	}
	mu, _ := polyDivMod(xpow(127), P) // floor(x^127 / P)
	// (P - x^64 - 1) / x: the low coefficients of P without x^0.
	low := new(big.Int).Xor(P, xpow(64))
	low.Rsh(low.SetBit(low, 0, 0), 1)
	want = append(want, reflect64(mu), reflect64(low))
	if len(want) != len(crc64FoldConsts) {
		t.Fatalf("%d constants, want %d", len(crc64FoldConsts), len(want))
	}
	for i, w := range want {
		if crc64FoldConsts[i] != w {
			t.Errorf("crc64FoldConsts[%d] = %#016x, want %#016x", i, crc64FoldConsts[i], w)
		}
	}
}

// clmul64 is PCLMULQDQ in software: the 128-bit carry-less product of a and
// b, returned as its high and low qwords.
func clmul64(a, b uint64) (hi, lo uint64) {
	for i := range 64 {
		if b>>i&1 != 0 {
			lo ^= a << i
			hi ^= a >> (64 - i) // a>>64 == 0 for i == 0
		}
	}
	return hi, lo
}

// crc64FoldModel is a pure-Go, one-lane model of the amd64 kernel (16-byte
// folding with the d=128 pair, then the 128->64 fold and the Barrett
// reduction), so that the meaning of the constants is checked on every
// architecture. len(p) must be a positive multiple of 16.
func crc64FoldModel(crc uint64, p []byte) uint64 {
	k := &crc64FoldConsts
	lo := binary.LittleEndian.Uint64(p) ^ crc
	hi := binary.LittleEndian.Uint64(p[8:])
	for p = p[16:]; len(p) >= 16; p = p[16:] {
		h1, l1 := clmul64(lo, k[8])
		h2, l2 := clmul64(hi, k[9])
		lo = l1 ^ l2 ^ binary.LittleEndian.Uint64(p)
		hi = h1 ^ h2 ^ binary.LittleEndian.Uint64(p[8:])
	}
	ah, al := clmul64(lo, k[9])
	al ^= hi
	_, q := clmul64(al, k[10])
	th, _ := clmul64(q, k[11])
	return ah ^ q ^ th
}

func TestCRC64FoldModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	buf := make([]byte, 1024)
	for i := range buf {
		buf[i] = byte(r.Uint32())
	}
	for n := 16; n <= len(buf); n += 16 {
		seed := r.Uint64()
		if got, want := crc64FoldModel(seed, buf[:n]), crc64UpdateGeneric(seed, buf[:n]); got != want {
			t.Fatalf("len %d: model %#016x, generic %#016x", n, got, want)
		}
	}
}

func randomBytes(r *rand.Rand, n int) []byte {
	p := make([]byte, n)
	for i := 0; i < n; i += 8 {
		var w [8]byte
		binary.LittleEndian.PutUint64(w[:], r.Uint64())
		copy(p[i:], w[:])
	}
	return p
}

// TestCRC64CLMULLengths compares crc64Update (the CLMUL kernel plus the
// table-driven tail on amd64) with crc64UpdateGeneric for every length up to
// 2048 bytes at every misalignment 0..15, and the kernel itself for every
// multiple of 16.
func TestCRC64CLMULLengths(t *testing.T) {
	if !crc64HasCLMUL {
		t.Log("no CLMUL kernel on this CPU/architecture; checking the fallback only")
	}
	r := rand.New(rand.NewPCG(7, 8))
	buf := randomBytes(r, 2048+16)
	for off := range 16 {
		for n := 0; n <= 2048; n++ {
			p := buf[off : off+n]
			seed := r.Uint64()
			if n%64 == 0 {
				seed = 0
			}
			want := crc64UpdateGeneric(seed, p)
			if got := crc64Update(seed, p); got != want {
				t.Fatalf("off %d len %d: crc64Update %#016x, generic %#016x", off, n, got, want)
			}
			if crc64HasCLMUL && n%16 == 0 {
				if got := crc64CLMUL(seed, p); got != want {
					t.Fatalf("off %d len %d: crc64CLMUL %#016x, generic %#016x", off, n, got, want)
				}
			}
		}
	}
	// The kernel ignores a remainder of less than 16 bytes.
	if crc64HasCLMUL {
		p := buf[:300]
		if got, want := crc64CLMUL(42, p), crc64UpdateGeneric(42, p[:288]); got != want {
			t.Fatalf("crc64CLMUL with remainder: %#016x, want %#016x", got, want)
		}
	}
}

// TestCRC64Chunked checks that random chunkings of a 1 MiB buffer, from a
// few bytes to hundreds of KiB per chunk, give the one-shot result.
func TestCRC64Chunked(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	buf := randomBytes(r, 1<<20)
	want := crc64UpdateGeneric(0, buf)
	if got := crc64Update(0, buf); got != want {
		t.Fatalf("one-shot %#016x, generic %#016x", got, want)
	}
	for i := range 60 {
		maxChunk := []int{20, 100, 300, 5000, 70000, 400000}[i%6]
		var crc uint64
		chunks := 0
		for p := buf; len(p) > 0; chunks++ {
			n := min(len(p), r.IntN(maxChunk+1))
			crc = crc64Update(crc, p[:n])
			p = p[n:]
		}
		if crc != want {
			t.Fatalf("run %d (chunks <= %d bytes, %d chunks): %#016x, want %#016x", i, maxChunk, chunks, crc, want)
		}
	}
}

// FuzzCRC64 checks crc64Update against crc64UpdateGeneric for arbitrary
// data, an arbitrary initial value and an arbitrary split point.
func FuzzCRC64(f *testing.F) {
	r := rand.New(rand.NewPCG(11, 12))
	f.Add([]byte("123456789"), uint64(0), 4)
	f.Add([]byte(loremIpsum), uint64(0xE9C6D914C4B8D9CA), 200)
	f.Add(randomBytes(r, 64), uint64(1), 0)
	f.Add(randomBytes(r, 255), r.Uint64(), 17)
	f.Add(randomBytes(r, 1000), r.Uint64(), 999)
	f.Add(make([]byte, 4096), ^uint64(0), 2048)
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, split int) {
		want := crc64UpdateGeneric(seed, data)
		if got := crc64Update(seed, data); got != want {
			t.Fatalf("len %d: crc64Update %#016x, generic %#016x", len(data), got, want)
		}
		k := 0
		if len(data) > 0 {
			k = int(uint(split) % uint(len(data)+1))
		}
		if got := crc64Update(crc64Update(seed, data[:k]), data[k:]); got != want {
			t.Fatalf("len %d split %d: %#016x, want %#016x", len(data), k, got, want)
		}
	})
}

func BenchmarkCRC64(b *testing.B) {
	p := make([]byte, 1<<20)
	for i := range p {
		p[i] = byte(i * 7)
	}
	impls := []struct {
		name string
		fn   func(uint64, []byte) uint64
	}{
		{"generic", crc64UpdateGeneric},
		{"clmul", crc64Update},
	}
	for _, impl := range impls {
		for _, n := range []int{8, 64, 256, 1 << 10, 64 << 10, 1 << 20} {
			name := fmt.Sprintf("%s/%dB", impl.name, n)
			if n >= 1<<10 {
				name = fmt.Sprintf("%s/%dKiB", impl.name, n>>10)
			}
			b.Run(name, func(b *testing.B) {
				if impl.name == "clmul" && !crc64HasCLMUL {
					b.Skip("no CLMUL kernel on this CPU/architecture")
				}
				b.SetBytes(int64(n))
				var crc uint64
				for b.Loop() {
					crc = impl.fn(crc, p[:n])
				}
				_ = crc
			})
		}
	}
}
