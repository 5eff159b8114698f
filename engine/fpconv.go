package engine

import (
	"math"
	"math/bits"
	"strconv"
)

// This file reproduces, bit for bit, the double-to-text conversion that
// Redis 7.2+ and every Valkey release use for sorted-set scores in DEBUG
// DIGEST, in AOF rewrites (ZADD) and, after an integer fast path, in
// d2string: fpconv_dtoa from deps/fpconv (night-shift/fpconv, Boost licence),
// an implementation of Florian Loitsch's Grisu2 ("Printing floating-point
// numbers quickly and accurately with integers", PLDI 2010).
//
// Grisu2 does not always find the shortest representation that round-trips
// (Go's strconv does), so strconv cannot stand in for it: the digits are
// generated here with the same 64-bit fixed-point arithmetic, the same
// cached powers of ten and the same digit-weeding loop as the C code, and
// then laid out with fpconv's own rules (Redis deps/fpconv/fpconv_dtoa.c
// emit_digits).

// fp is a "do-it-yourself" floating-point number f × 2^e with a 64-bit
// significand.
type fp struct {
	f uint64
	e int
}

const (
	fpFracMask = 1<<52 - 1
	fpExpMask  = 0x7FF << 52
	fpHidden   = 1 << 52
	fpSignMask = 1 << 63
	fpExpBias  = 1023 + 52

	// The cache holds 10^k for k = cacheFirstK, cacheFirstK+8, ...; a
	// product of a normalized boundary and the chosen power must have a
	// binary exponent in [cacheMinExp, cacheMaxExp].
	cacheFirstK = -348
	cacheStepK  = 8
	cacheMinExp = -60
	cacheMaxExp = -32
)

// pow10Cache[i] is 10^(cacheFirstK + 8i) rounded to nearest as a normalized
// 64-bit fp (top bit set). TestPow10Cache regenerates it with math/big.
var pow10Cache = [87]fp{
	{0xfa8fd5a0081c0288, -1220}, {0xbaaee17fa23ebf76, -1193}, {0x8b16fb203055ac76, -1166},
	{0xcf42894a5dce35ea, -1140}, {0x9a6bb0aa55653b2d, -1113}, {0xe61acf033d1a45df, -1087},
	{0xab70fe17c79ac6ca, -1060}, {0xff77b1fcbebcdc4f, -1034}, {0xbe5691ef416bd60c, -1007},
	{0x8dd01fad907ffc3c, -980}, {0xd3515c2831559a83, -954}, {0x9d71ac8fada6c9b5, -927},
	{0xea9c227723ee8bcb, -901}, {0xaecc49914078536d, -874}, {0x823c12795db6ce57, -847},
	{0xc21094364dfb5637, -821}, {0x9096ea6f3848984f, -794}, {0xd77485cb25823ac7, -768},
	{0xa086cfcd97bf97f4, -741}, {0xef340a98172aace5, -715}, {0xb23867fb2a35b28e, -688},
	{0x84c8d4dfd2c63f3b, -661}, {0xc5dd44271ad3cdba, -635}, {0x936b9fcebb25c996, -608},
	{0xdbac6c247d62a584, -582}, {0xa3ab66580d5fdaf6, -555}, {0xf3e2f893dec3f126, -529},
	{0xb5b5ada8aaff80b8, -502}, {0x87625f056c7c4a8b, -475}, {0xc9bcff6034c13053, -449},
	{0x964e858c91ba2655, -422}, {0xdff9772470297ebd, -396}, {0xa6dfbd9fb8e5b88f, -369},
	{0xf8a95fcf88747d94, -343}, {0xb94470938fa89bcf, -316}, {0x8a08f0f8bf0f156b, -289},
	{0xcdb02555653131b6, -263}, {0x993fe2c6d07b7fac, -236}, {0xe45c10c42a2b3b06, -210},
	{0xaa242499697392d3, -183}, {0xfd87b5f28300ca0e, -157}, {0xbce5086492111aeb, -130},
	{0x8cbccc096f5088cc, -103}, {0xd1b71758e219652c, -77}, {0x9c40000000000000, -50},
	{0xe8d4a51000000000, -24}, {0xad78ebc5ac620000, 3}, {0x813f3978f8940984, 30},
	{0xc097ce7bc90715b3, 56}, {0x8f7e32ce7bea5c70, 83}, {0xd5d238a4abe98068, 109},
	{0x9f4f2726179a2245, 136}, {0xed63a231d4c4fb27, 162}, {0xb0de65388cc8ada8, 189},
	{0x83c7088e1aab65db, 216}, {0xc45d1df942711d9a, 242}, {0x924d692ca61be758, 269},
	{0xda01ee641a708dea, 295}, {0xa26da3999aef774a, 322}, {0xf209787bb47d6b85, 348},
	{0xb454e4a179dd1877, 375}, {0x865b86925b9bc5c2, 402}, {0xc83553c5c8965d3d, 428},
	{0x952ab45cfa97a0b3, 455}, {0xde469fbd99a05fe3, 481}, {0xa59bc234db398c25, 508},
	{0xf6c69a72a3989f5c, 534}, {0xb7dcbf5354e9bece, 561}, {0x88fcf317f22241e2, 588},
	{0xcc20ce9bd35c78a5, 614}, {0x98165af37b2153df, 641}, {0xe2a0b5dc971f303a, 667},
	{0xa8d9d1535ce3b396, 694}, {0xfb9b7cd9a4a7443c, 720}, {0xbb764c4ca7a44410, 747},
	{0x8bab8eefb6409c1a, 774}, {0xd01fef10a657842c, 800}, {0x9b10a4e5e9913129, 827},
	{0xe7109bfba19c0c9d, 853}, {0xac2820d9623bf429, 880}, {0x80444b5e7aa7cf85, 907},
	{0xbf21e44003acdd2d, 933}, {0x8e679c2f5e44ff8f, 960}, {0xd433179d9c8cb841, 986},
	{0x9e19db92b4e31ba9, 1013}, {0xeb96bf6ebadf77d9, 1039}, {0xaf87023b9bf0ee6b, 1066},
}

// decPow[i] is 10^(19-i).
var decPow = [20]uint64{
	1e19, 1e18, 1e17, 1e16, 1e15, 1e14, 1e13, 1e12, 1e11, 1e10,
	1e9, 1e8, 1e7, 1e6, 1e5, 1e4, 1e3, 100, 10, 1,
}

// unpack splits a finite, non-zero double into significand and exponent
// (denormals keep their small significand).
func unpack(d float64) fp {
	b := math.Float64bits(d)
	be := int(b & fpExpMask >> 52)
	if be == 0 {
		return fp{b & fpFracMask, 1 - fpExpBias}
	}
	return fp{b&fpFracMask + fpHidden, be - fpExpBias}
}

// normalized shifts w left until bit 63 is set.
func (w fp) normalized() fp {
	for w.f&fpHidden == 0 {
		w.f <<= 1
		w.e--
	}
	return fp{w.f << 11, w.e - 11}
}

// boundaries returns the midpoints between w and its neighbours, both with
// the exponent of the normalized upper one.
func boundaries(w fp) (lo, hi fp) {
	hi = fp{w.f<<1 + 1, w.e - 1}
	for hi.f&(fpHidden<<1) == 0 {
		hi.f <<= 1
		hi.e--
	}
	hi.f <<= 10
	hi.e -= 10
	// The gap below a power of two is half the gap above it.
	shift := 1
	if w.f == fpHidden {
		shift = 2
	}
	lo = fp{w.f<<uint(shift) - 1, w.e - shift}
	lo.f <<= uint(lo.e - hi.e)
	lo.e = hi.e
	return lo, hi
}

// times multiplies two fps keeping the upper 64 bits of the product,
// rounded half up.
func (w fp) times(o fp) fp {
	hi, lo := bits.Mul64(w.f, o.f)
	return fp{hi + lo>>63, w.e + o.e + 64}
}

// cachedPow10 picks the cached power of ten c = 10^k that brings a number
// with binary exponent e into the digit-generation window.
func cachedPow10(e int) (c fp, k int) {
	const log10of2 = 0.30102999566398114
	approx := int(float64(-(e + len(pow10Cache))) * log10of2)
	i := (approx - cacheFirstK) / cacheStepK
	for {
		x := e + pow10Cache[i].e + 64
		switch {
		case x < cacheMinExp:
			i++
		case x > cacheMaxExp:
			i--
		default:
			return pow10Cache[i], cacheFirstK + i*cacheStepK
		}
	}
}

// weed lowers the last generated digit while that moves the result closer
// to the scaled value without leaving the safe interval (Grisu2's round_weed
// in fpconv's simplified form). delta is the interval width, rest the
// distance from the generated number to the upper bound, ten the weight of
// one unit of the last digit and wDist the distance from the value to the
// upper bound, all in the same scale.
func weed(digits []byte, delta, rest, ten, wDist uint64) {
	last := len(digits) - 1
	for rest < wDist && delta-rest >= ten &&
		(rest+ten < wDist || wDist-rest > rest+ten-wDist) {
		digits[last]--
		rest += ten
	}
}

// grisu2 writes the digits of d (finite, non-zero, sign ignored) to buf and
// returns how many there are and the decimal exponent K: |d| ≈ digits × 10^K.
func grisu2(d float64, buf *[32]byte) (n, K int) {
	w := unpack(d)
	lo, hi := boundaries(w)
	w = w.normalized()
	c, k := cachedPow10(hi.e)
	w, hi, lo = w.times(c), hi.times(c), lo.times(c)
	// Shrink the interval by one unit on each side to cover the rounding
	// error of the multiplications.
	lo.f++
	hi.f--
	K = -k

	wDist := hi.f - w.f
	delta := hi.f - lo.f
	shift := uint(-hi.e) // 32..60
	one := uint64(1) << shift
	intPart := hi.f >> shift // < 2^32
	frac := hi.f & (one - 1)

	// Integral digits, from the 10^9 position down.
	for kappa := 10; kappa > 0; {
		div := decPow[20-kappa]
		digit := intPart / div
		if digit != 0 || n != 0 {
			buf[n] = byte('0' + digit)
			n++
		}
		intPart -= digit * div
		kappa--
		if rest := intPart<<shift + frac; rest <= delta {
			weed(buf[:n], delta, rest, div<<shift, wDist)
			return n, K + kappa
		}
	}
	// Fractional digits; wDist is scaled along with delta through unit.
	kappa := 0
	for unit := 18; ; unit-- {
		frac *= 10
		delta *= 10
		kappa--
		digit := frac >> shift
		if digit != 0 || n != 0 {
			buf[n] = byte('0' + digit)
			n++
		}
		frac &= one - 1
		if frac < delta {
			weed(buf[:n], delta, frac, one, wDist*decPow[unit])
			return n, K + kappa
		}
	}
}

// AppendDoubleFpconv appends the text fpconv_dtoa produces for f (see
// FormatDoubleFpconv) to dst.
func AppendDoubleFpconv(dst []byte, f float64) []byte {
	b := math.Float64bits(f)
	neg := b&fpSignMask != 0
	if neg {
		dst = append(dst, '-')
	}
	switch {
	case f == 0:
		return append(dst, '0')
	case b&fpExpMask == fpExpMask:
		if b&fpFracMask != 0 {
			return append(dst, "nan"...)
		}
		return append(dst, "inf"...)
	}
	var buf [32]byte
	n, K := grisu2(f, &buf)
	digits := buf[:n]

	exp := K + n - 1 // decimal exponent of the first digit
	absExp := exp
	if absExp < 0 {
		absExp = -absExp
	}
	switch {
	case K >= 0 && absExp < n+7:
		// Integer: the digits then K zeros.
		dst = append(dst, digits...)
		for range K {
			dst = append(dst, '0')
		}
		return dst
	case K < 0 && (K > -7 || absExp < 4):
		// Plain decimal with the point inside or before the digits.
		point := n + K
		if point <= 0 {
			dst = append(dst, '0', '.')
			for range -point {
				dst = append(dst, '0')
			}
			return append(dst, digits...)
		}
		dst = append(dst, digits[:point]...)
		dst = append(dst, '.')
		return append(dst, digits[point:]...)
	}
	// Scientific. fpconv keeps at most 18 characters of mantissa digits
	// including the minus sign, truncating (never rounding) the rest, and
	// takes the exponent's sign from the truncated count but its magnitude
	// from the full one; neither quirk is reachable with Grisu2's output
	// lengths, but both are kept for parity.
	limit := 18
	if neg {
		limit = 17
	}
	if n > limit {
		n = limit
	}
	dst = append(dst, digits[0])
	if n > 1 {
		dst = append(dst, '.')
		dst = append(dst, digits[1:n]...)
	}
	dst = append(dst, 'e')
	if K+n-1 < 0 {
		dst = append(dst, '-')
	} else {
		dst = append(dst, '+')
	}
	return strconv.AppendInt(dst, int64(absExp), 10)
}

// FormatDoubleFpconv returns f as Redis 7.2+ and Valkey's fpconv_dtoa
// (deps/fpconv/fpconv_dtoa.c) prints it: an optional "-" for a set sign bit, then
// "0", "inf", "nan", or the Grisu2 digits laid out as an integer
// ("32792251825612128"), a plain decimal ("6522.3997660000005", "0.0001")
// or scientific notation with an unpadded exponent ("1e+100", "5e-324").
// The digits always parse back to f but are not always the shortest such
// string, so the result can differ from strconv's.
func FormatDoubleFpconv(f float64) string {
	var b [32]byte
	return string(AppendDoubleFpconv(b[:0], f))
}

// FormatDoubleG17 returns f as C printf("%.17g", f) prints it with glibc,
// the score format of Redis 7.0 and older: 17 significant digits, trailing
// zeros removed, scientific notation for decimal exponents < -4 or >= 17
// with at least two exponent digits ("1e+100", "1.0000000000000001e-05"),
// "inf", "-inf", "nan" and "-nan".
func FormatDoubleG17(f float64) string {
	var b [32]byte
	return string(AppendDoubleG17(b[:0], f))
}

// AppendDoubleG17 appends the text of FormatDoubleG17 to dst.
func AppendDoubleG17(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		if math.Signbit(f) {
			dst = append(dst, '-')
		}
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	// strconv's 'g' with an explicit precision rounds correctly (ties to
	// even, like glibc), drops trailing zeros and writes two-digit minimum
	// exponents, which is what glibc does.
	return strconv.AppendFloat(dst, f, 'g', 17, 64)
}

// FormatScore returns the text a server of version v hashes for a sorted-set
// score in DEBUG DIGEST and writes for it in an AOF rewrite (ZADD): fpconv
// on Redis 7.2+ and Valkey, "%.17g" on older Redis. There is no integer fast
// path: 1e17 is "1e+17".
func FormatScore(v ServerVersion, f float64) string {
	var b [32]byte
	return string(AppendScore(b[:0], v, f))
}

// AppendScore appends the text of FormatScore to dst.
func AppendScore(dst []byte, v ServerVersion, f float64) []byte {
	if v.UsesFpconv() {
		return AppendDoubleFpconv(dst, f)
	}
	return AppendDoubleG17(dst, f)
}

// D2String returns f as the d2string function of a server of version v
// prints it (Redis src/util.c; used for scores kept as text in listpacks and
// for old-style RDB string doubles): "nan", "inf", "-inf", "0", "-0";
// integral values in the server's safe range as plain integers (Redis 7.0+
// and Valkey: -2^62 <= f <= 2^62; older: |f| < 2^52); anything else as
// FormatScore does.
func D2String(v ServerVersion, f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case f == 0:
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	if v.Valkey || v.AtLeast(7, 0) {
		// double2ll: -LLONG_MAX/2 and LLONG_MAX/2 convert to ∓2^62.
		if f >= -0x1p62 && f <= 0x1p62 && float64(int64(f)) == f {
			return strconv.FormatInt(int64(f), 10)
		}
	} else if f > -4503599627370495 && f < 4503599627370496 && float64(int64(f)) == f {
		return strconv.FormatInt(int64(f), 10)
	}
	return FormatScore(v, f)
}
