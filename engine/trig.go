package engine

import (
	"math"
	"math/big"
	"sync"
)

// Trigonometry for GEO distances. The server computes them with glibc's
// sin, cos and asin, which are (all but always) correctly rounded; Go's
// math package is not (it differs from glibc on 15–30 % of random inputs,
// enough to change STOREDIST scores and so the digest). These functions
// evaluate the series in 160-bit big.Float arithmetic and round once, and
// memoize results (GEO searches call them repeatedly for the same points).

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

func cSin(x float64) float64 { return trigMemo(1, x, exactSin) }
func cCos(x float64) float64 { return trigMemo(2, x, exactCos) }
func cAsin(x float64) float64 {
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
