package estimate

import (
	"encoding/binary"
	"math"
	"math/bits"
)

// sketchBits is the precision of keySketch: 2^14 one-byte registers (16 KiB),
// a standard error of 1.04/√16384 = 0.8 % above the linear-counting range
// (2.5 × 16384 keys), and less in it.
const sketchBits = 14

// keySketch counts distinct byte strings in fixed memory: a HyperLogLog
// (Flajolet, Fusy, Gandouet, Meunier 2007) with linear counting for small
// counts. The estimate is kept up to date as registers change, so that
// reading it costs nothing.
type keySketch struct {
	reg   [1 << sketchBits]uint8
	sum   float64 // Σ 2^-reg
	zeros int     // registers still 0
}

func newKeySketch() *keySketch {
	return &keySketch{sum: 1 << sketchBits, zeros: 1 << sketchBits}
}

// add counts b and reports whether the estimate may have changed.
func (s *keySketch) add(b []byte) bool {
	// Eight bytes at a time, each word folded in by the 128-bit multiply
	// of wyhash (hi ^ lo of the product), which spreads every input bit
	// over the whole word.
	mum := func(a, b uint64) uint64 { hi, lo := bits.Mul64(a, b); return hi ^ lo }
	h := uint64(len(b)) ^ 0xa0761d6478bd642f
	for len(b) >= 8 {
		h = mum(h^binary.LittleEndian.Uint64(b), 0xe7037ed1a0b428db)
		b = b[8:]
	}
	var tail uint64
	for i, c := range b {
		tail |= uint64(c) << (8 * i)
	}
	h = mum(h^tail^0x8ebc6af09c88c6e3, 0x589965cc75374cc3)
	h = mum(h, 0x1d8e4e27c47d124f)
	i := h >> (64 - sketchBits)
	r := uint8(bits.LeadingZeros64(h<<sketchBits|1<<(sketchBits-1))) + 1
	old := s.reg[i]
	if r <= old {
		return false
	}
	if old == 0 {
		s.zeros--
	}
	s.sum += math.Ldexp(1, -int(r)) - math.Ldexp(1, -int(old))
	s.reg[i] = r
	return true
}

// count returns the estimated number of distinct strings added.
func (s *keySketch) count() int64 {
	const m = float64(1 << sketchBits)
	if s.zeros == 1<<sketchBits {
		return 0
	}
	if s.zeros > 0 {
		// Linear counting up to 2.5 × the registers (Flajolet et al.'s
		// small-range correction), where the raw estimate is biased.
		if lc := m * math.Log(m/float64(s.zeros)); lc <= 2.5*m {
			return int64(math.Round(lc))
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	return int64(math.Round(alpha * m * m / s.sum))
}
