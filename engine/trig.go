package engine

import (
	"math"
	"math/big"
	"sync"
)

// Trigonometry for GEO distances.
//
// The server computes a distance (geohashGetDistance in
// src/geohash_helper.c) with its C library's sin, cos and asin, so a
// STOREDIST score carries the bits of that library. glibc's are not
// correctly rounded: since 2.28 its sin and cos (sysdeps/ieee754/dbl-64/
// s_sin.c) err by up to ~0.55 ulp and, since its slow paths were removed
// (2.33, 2.34), so does asin (e_asin.c, ~0.52 ulp). On uniformly random
// inputs of the ranges geo uses, a correctly rounded result differs from
// glibc 2.36's (x86-64 with FMA) in about 0.1–0.16 % of calls, one ulp
// each: for example
// GEORADIUS g 68.266910 74.573082 12000 km STOREDIST d around the member of
// score 2112221594809405 stores 5743.162436976555 on every server, and
// 5743.162436976554 with a correctly rounded sin. Neither a correctly
// rounded implementation nor Go's math package (which differs from glibc on
// 15–30 % of inputs) can give the server's bits, and reproducing glibc's
// table-driven code bit for bit would mean carrying its tables.
//
// So the engine calls the C library itself (trig_libm.go, built with cgo
// on Unix): its distances are the server's, bit for bit, when rdbkit runs
// on the same C library as the server (glibc 2.35 or later, whose sin, cos
// and asin have not changed since, as on Debian 12 and Ubuntu 22.04+, or
// musl as in Alpine images) and on the same kind of CPU: on x86-64, glibc
// picks builds of these functions that use FMA instructions when the CPU
// has them (sysdeps/x86_64/fpu/multiarch), which can round differently.
// Running rdbkit on the server's host, or one like it, gives both.
//
// Built without cgo (CGO_ENABLED=0), the engine falls back to correctly
// rounded sin, cos and asin evaluated below in 160-bit big.Float arithmetic
// and rounded once, which differ from glibc on the fraction of calls above.
// TrigFromLibm says which is in use.

// trigFuncs is a set of sin, cos and asin.
type trigFuncs struct{ sin, cos, asin func(float64) float64 }

// libm holds the C library's functions when the engine is built with cgo,
// else nil.
var libm *trigFuncs

// TrigFromLibm reports whether GEO distances use the C library's sin, cos
// and asin (a cgo build) rather than correctly rounded ones.
func TrigFromLibm() bool { return libm != nil }

const trigPrec = 160

// piText is π to 60 decimal places.
const piText = "3.141592653589793238462643383279502884197169399375105820974944"

var (
	trigMu    sync.Mutex
	trigCache = map[[2]uint64]float64{}
	bigPi, _  = new(big.Float).SetPrec(trigPrec).SetString(piText)
)

func trigMemo(fn uint64, x float64, f func(float64) float64) float64 {
	k := [2]uint64{fn, math.Float64bits(x)}
	trigMu.Lock()
	v, ok := trigCache[k]
	trigMu.Unlock()
	if ok {
		return v
	}
	v = f(x)
	trigMu.Lock()
	if len(trigCache) >= 1<<16 {
		clear(trigCache)
	}
	trigCache[k] = v
	trigMu.Unlock()
	return v
}

// cSin, cCos and cAsin are the sin, cos and asin of the distance
// computation: the C library's, else correctly rounded (memoized: GEO
// searches call them repeatedly for the same points).
func cSin(x float64) float64 {
	if libm != nil {
		return libm.sin(x)
	}
	return trigMemo(1, x, exactSin)
}

func cCos(x float64) float64 {
	if libm != nil {
		return libm.cos(x)
	}
	return trigMemo(2, x, exactCos)
}

func cAsin(x float64) float64 {
	if libm != nil {
		return libm.asin(x)
	}
	return trigMemo(3, x, exactAsin)
}

func bf(x float64) *big.Float { return new(big.Float).SetPrec(trigPrec).SetFloat64(x) }

// sinCosSeries sums x^start/start! - x^(start+2)/(start+2)! + ... (start 1:
// sin, 0: cos) for a moderate |x|.
func sinCosSeries(x *big.Float, start int) *big.Float {
	x2 := new(big.Float).SetPrec(trigPrec).Mul(x, x)
	term := bf(1)
	if start == 1 {
		term.Set(x)
	}
	sum := new(big.Float).SetPrec(trigPrec).Set(term)
	eps := new(big.Float).SetPrec(trigPrec).SetMantExp(bf(1), -trigPrec-8)
	for n := start + 1; ; n += 2 {
		term.Mul(term, x2)
		term.Quo(term, bf(float64(n*(n+1))))
		term.Neg(term)
		sum.Add(sum, term)
		if new(big.Float).Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	return sum
}

// reduce returns x - k·2π with k chosen so that the result is within
// [-π, π].
func reduce(x float64) *big.Float {
	bx := bf(x)
	if math.Abs(x) <= 3 {
		return bx
	}
	twoPi := new(big.Float).SetPrec(trigPrec).Mul(bigPi, bf(2))
	k := math.Round(x / (2 * math.Pi))
	return bx.Sub(bx, new(big.Float).SetPrec(trigPrec).Mul(twoPi, bf(k)))
}

func exactSin(x float64) float64 {
	if x == 0 || math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1e9 {
		return math.Sin(x)
	}
	f, _ := sinCosSeries(reduce(x), 1).Float64()
	return f
}

func exactCos(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) || math.Abs(x) > 1e9 {
		return math.Cos(x)
	}
	f, _ := sinCosSeries(reduce(x), 0).Float64()
	return f
}

// bigAtan returns atan(t) for t ≥ 0.
func bigAtan(t *big.Float) *big.Float {
	one := bf(1)
	invert := t.Cmp(one) > 0
	if invert {
		t = new(big.Float).SetPrec(trigPrec).Quo(one, t)
	}
	// atan(t) = 2·atan(t / (1 + sqrt(1 + t²))), until t is small.
	doublings := 0
	for t.Cmp(bf(0.05)) > 0 {
		s := new(big.Float).SetPrec(trigPrec).Mul(t, t)
		s.Add(s, one)
		s.Sqrt(s)
		s.Add(s, one)
		t = new(big.Float).SetPrec(trigPrec).Quo(t, s)
		doublings++
	}
	t2 := new(big.Float).SetPrec(trigPrec).Mul(t, t)
	term := new(big.Float).SetPrec(trigPrec).Set(t)
	sum := new(big.Float).SetPrec(trigPrec).Set(t)
	eps := new(big.Float).SetPrec(trigPrec).SetMantExp(bf(1), -trigPrec-8)
	for n := 3; ; n += 2 {
		term.Mul(term, t2)
		term.Neg(term)
		q := new(big.Float).SetPrec(trigPrec).Quo(term, bf(float64(n)))
		sum.Add(sum, q)
		if new(big.Float).Abs(q).Cmp(eps) < 0 {
			break
		}
	}
	sum.SetMantExp(sum, doublings)
	if invert {
		half := new(big.Float).SetPrec(trigPrec).Quo(bigPi, bf(2))
		sum = half.Sub(half, sum)
	}
	return sum
}

func exactAsin(x float64) float64 {
	if x == 0 || math.IsNaN(x) || x > 1 || x < -1 {
		return math.Asin(x)
	}
	neg := x < 0
	bx := bf(math.Abs(x))
	var r *big.Float
	if x == 1 || x == -1 {
		r = new(big.Float).SetPrec(trigPrec).Quo(bigPi, bf(2))
	} else {
		// asin(x) = atan(x / sqrt(1 - x²)); 1 - x² is exact at this precision.
		d := new(big.Float).SetPrec(trigPrec).Mul(bx, bx)
		d.Sub(bf(1), d)
		d.Sqrt(d)
		r = bigAtan(new(big.Float).SetPrec(trigPrec).Quo(bx, d))
	}
	if neg {
		r.Neg(r)
	}
	f, _ := r.Float64()
	return f
}
