package rdbfile

import (
	"hash/crc64"
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

func BenchmarkCRC64(b *testing.B) {
	p := make([]byte, 64<<10)
	for i := range p {
		p[i] = byte(i * 7)
	}
	b.SetBytes(int64(len(p)))
	var crc uint64
	for b.Loop() {
		crc = crc64Update(crc, p)
	}
	_ = crc
}
