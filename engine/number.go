package engine

import (
	"math"
	"math/big"
	"strconv"
)

// Number parsing and formatting with the server's exact rules (Redis
// src/util.c: string2ll, string2d, string2ld, ld2string).

// parseInt is string2ll: optional '-', no '+', no leading zeros, no
// spaces, at most 20 characters, within int64.
func parseInt(b []byte) (int64, bool) {
	n := len(b)
	if n == 0 || n >= 21 {
		return 0, false
	}
	if n == 1 && b[0] == '0' {
		return 0, true
	}
	i, neg := 0, false
	if b[0] == '-' {
		neg, i = true, 1
		if n == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		d := uint64(c - '0')
		if v > math.MaxUint64-d {
			return 0, false
		}
		v += d
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// cNumberKind classifies b by the C strtod grammar, requiring that all of b
// is consumed: 0 not a number, 1 decimal, 2 hexadecimal, 3 infinity, 4 NaN.
// nonzero reports whether the mantissa has a non-zero digit.
func cNumberKind(b []byte) (kind int, nonzero bool) {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	rest := b[i:]
	lowerEq := func(p []byte, s string) bool { return eq(p, s) }
	switch {
	case lowerEq(rest, "inf") || lowerEq(rest, "infinity"):
		return 3, true
	case len(rest) >= 3 && lowerEq(rest[:3], "nan"):
		r := rest[3:]
		if len(r) == 0 {
			return 4, false
		}
		if r[0] != '(' || r[len(r)-1] != ')' {
			return 0, false
		}
		for _, c := range r[1 : len(r)-1] {
			if !(c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				return 0, false
			}
		}
		return 4, false
	}
	hex := len(rest) >= 2 && rest[0] == '0' && (rest[1] == 'x' || rest[1] == 'X')
	isDigit := func(c byte) bool { return '0' <= c && c <= '9' }
	if hex {
		isDigit = func(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }
		i += 2
	}
	digits := 0
	for i < len(b) && isDigit(b[i]) {
		if b[i] != '0' {
			nonzero = true
		}
		i, digits = i+1, digits+1
	}
	if i < len(b) && b[i] == '.' {
		i++
		for i < len(b) && isDigit(b[i]) {
			if b[i] != '0' {
				nonzero = true
			}
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(b) && ((!hex && (b[i] == 'e' || b[i] == 'E')) || (hex && (b[i] == 'p' || b[i] == 'P'))) {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		ed := 0
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i, ed = i+1, ed+1
		}
		if ed == 0 {
			return 0, false
		}
	}
	if i != len(b) {
		return 0, false
	}
	if hex {
		return 2, nonzero
	}
	return 1, nonzero
}

// parseDouble is string2d (getDoubleFromObject): strtod over the whole
// argument, no leading space, overflow and underflow to zero refused, NaN
// refused; "inf" and "-inf" are accepted.
func parseDouble(b []byte) (float64, bool) {
	kind, nonzero := cNumberKind(b)
	var s string
	switch kind {
	case 0, 4:
		return 0, false
	case 3:
		if b[0] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	case 2:
		s = string(b)
		if !hasHexExp(b) {
			s += "p0"
		}
	default:
		s = string(b)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return 0, false
	}
	if math.IsInf(f, 0) || (f == 0 && nonzero) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

func hasHexExp(b []byte) bool {
	for _, c := range b {
		if c == 'p' || c == 'P' {
			return true
		}
	}
	return false
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// Long doubles: x87 80-bit extended precision (64-bit mantissa), as used by
// INCRBYFLOAT and HINCRBYFLOAT on x86-64 Linux.
const (
	ldPrec   = 64
	ldMaxExp = 16384  // |x| < 2^16384
	ldMinExp = -16444 // smallest subnormal 2^-16445 has MantExp exponent -16444
)

func newLD() *big.Float { return new(big.Float).SetPrec(ldPrec).SetMode(big.ToNearestEven) }

// parseLongDouble is string2ld: strtold over the whole argument (an
// embedded NUL byte makes it invalid, as checked on Redis 7.0.15), at most
// 5119 bytes.
func parseLongDouble(b []byte) (*big.Float, bool) {
	if len(b) == 0 || len(b) >= 5*1024 {
		return nil, false
	}
	kind, nonzero := cNumberKind(b)
	x := newLD()
	switch kind {
	case 0, 4:
		return nil, false
	case 3:
		return x.SetInf(b[0] == '-'), true
	}
	s := string(b)
	if kind == 2 && !hasHexExp(b) {
		s += "p0"
	}
	if _, _, err := x.Parse(s, 0); err != nil {
		return nil, false
	}
	if x.Sign() == 0 {
		if nonzero {
			return nil, false
		}
		return x, true
	}
	exp := x.MantExp(nil)
	if exp > ldMaxExp || exp < ldMinExp {
		return nil, false
	}
	return x, true
}

// ldAdd returns a+b in long double precision; ok is false if the result is
// infinite or NaN (the commands refuse it).
func ldAdd(a, b *big.Float) (*big.Float, bool) {
	if a.IsInf() || b.IsInf() {
		return nil, false // inf + x is inf or NaN
	}
	z := newLD().Add(a, b)
	if z.Sign() != 0 && z.MantExp(nil) > ldMaxExp {
		return nil, false
	}
	return z, true
}

// formatLongDouble is ld2string(..., LD_STR_HUMAN): "%.17Lf" with trailing
// zeros (and a trailing dot) removed, "-0" printed as "0".
func formatLongDouble(x *big.Float) []byte {
	s := []byte(x.Text('f', 17))
	for len(s) > 0 && s[len(s)-1] == '0' {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	if string(s) == "-0" {
		s = []byte("0")
	}
	return s
}

// parseFloatLenient is strtod without the range checks: overflow gives
// infinity, underflow zero.
func parseFloatLenient(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return 0, err
	}
	return f, nil
}
