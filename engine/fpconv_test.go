package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"math"
	"math/big"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPow10Cache regenerates the cached powers of ten: 10^k for k = -348,
// -340, ..., 340, rounded to nearest into a 64-bit significand with the top
// bit set.
func TestPow10Cache(t *testing.T) {
	for i, c := range pow10Cache {
		k := cacheFirstK + i*cacheStepK
		p := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(max(k, -k))), nil)
		num, den := big.NewInt(1), big.NewInt(1)
		if k >= 0 {
			num = p
		} else {
			den = p
		}
		// Find e with 2^63 <= 10^k / 2^e < 2^64 after rounding.
		e := num.BitLen() - den.BitLen() - 64
		for {
			n, d := new(big.Int).Set(num), new(big.Int).Set(den)
			if e >= 0 {
				d.Lsh(d, uint(e))
			} else {
				n.Lsh(n, uint(-e))
			}
			q, r := new(big.Int).QuoRem(n, d, new(big.Int))
			if r.Lsh(r, 1).Cmp(d) >= 0 {
				q.Add(q, big.NewInt(1))
			}
			switch {
			case q.BitLen() > 64:
				e++
				continue
			case q.BitLen() < 64:
				e--
				continue
			}
			if q.Uint64() != c.f || e != c.e {
				t.Errorf("pow10Cache[%d] (10^%d) = {%#x, %d}, want {%#x, %d}", i, k, c.f, c.e, q.Uint64(), e)
			}
			break
		}
	}
}

func TestFpconvPitfalls(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		// Where Grisu2 is not the shortest round trip (FORMATS.md §6.3).
		{6522.399766, "6522.3997660000005"},
		{3.279225182561213e16, "32792251825612128"},
		{1234567890123456.75, "1234567890123456.7"},
		// Layout rules.
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
		{math.Float64frombits(0xfff8000000000000), "-nan"},
		{1, "1"},
		{-1.5, "-1.5"},
		{0.1, "0.1"},
		{3.14159, "3.14159"},
		{1e-6, "0.000001"},
		{1e-7, "1e-7"},
		{1.5e-7, "1.5e-7"},
		{1.23e-5, "1.23e-5"},
		{1e15, "1e+15"},
		{1e16, "1e+16"},
		{1e17, "1e+17"},
		{1e21, "1e+21"},
		{1e23, "99999999999999990000000"},
		{123456789012345678, "123456789012345680"},
		{1e100, "1e+100"},
		{5e-324, "5e-324"},
		{-2.5e-10, "-2.5e-10"},
		{math.MaxFloat64, "1.7976931348623157e+308"},
		{4611686018427387904, "4611686018427388000"},
	} {
		if got := FormatDoubleFpconv(c.in); got != c.want {
			t.Errorf("FormatDoubleFpconv(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestFpconvGolden compares with outputs of the C reference (see the header
// of testdata/fpconv.golden).
func TestFpconvGolden(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "fpconv.golden"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n, grisuNotShortest := 0, 0
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("bad line %q", line)
		}
		b, err := strconv.ParseUint(fs[0], 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		x := math.Float64frombits(b)
		if got := FormatDoubleFpconv(x); got != fs[1] {
			t.Errorf("FormatDoubleFpconv(%#016x) = %q, want %q", b, got, fs[1])
		}
		if got := FormatDoubleG17(x); got != fs[2] {
			t.Errorf("FormatDoubleG17(%#016x) = %q, want %q", b, got, fs[2])
		}
		if sigDigits(fs[1]) != sigDigits(strconv.FormatFloat(x, 'e', -1, 64)) {
			grisuNotShortest++
		}
		n++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 3000 || grisuNotShortest < 1500 {
		t.Fatalf("golden file too small: %d values, %d not shortest", n, grisuNotShortest)
	}
	t.Logf("%d reference values, %d where fpconv is not the shortest round trip", n, grisuNotShortest)
}

// sigDigits returns the significant digits of a formatted number.
func sigDigits(s string) string {
	s = strings.TrimLeft(s, "-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	s = strings.Replace(s, ".", "", 1)
	return strings.Trim(s, "0")
}

// randomDouble draws from several distributions: all bit patterns,
// decimals with few digits, large integers, denormals, wide magnitudes.
func randomDouble(r *rand.Rand, i int) float64 {
	switch i % 6 {
	case 0:
		return math.Float64frombits(r.Uint64())
	case 1:
		return float64(r.Int64N(1e10)) / 1e6
	case 2:
		return float64(r.Int64N(1<<62)) * math.Pow(2, float64(r.IntN(80)-40))
	case 3:
		return math.Float64frombits(r.Uint64() & (1<<52 - 1))
	case 4:
		return (r.Float64() - 0.5) * math.Pow(10, float64(r.IntN(80)-40))
	default:
		return -r.Float64() * 1e4
	}
}

// checkFpconv checks the properties every fpconv output has: it parses
// back to x exactly (Grisu2 stays inside the rounding interval) and has at
// most 18 significant digits.
func checkFpconv(t testing.TB, x float64) string {
	s := FormatDoubleFpconv(x)
	if math.IsNaN(x) {
		if s != "nan" && s != "-nan" {
			t.Fatalf("NaN %#x: %q", math.Float64bits(x), s)
		}
		return s
	}
	y, err := strconv.ParseFloat(s, 64)
	if err != nil || math.Float64bits(y) != math.Float64bits(x) {
		t.Fatalf("FormatDoubleFpconv(%#016x) = %q parses to %v (%v)", math.Float64bits(x), s, y, err)
	}
	if d := sigDigits(s); len(d) > 18 {
		t.Fatalf("FormatDoubleFpconv(%#016x) = %q: %d significant digits", math.Float64bits(x), s, len(d))
	}
	return s
}

func TestFpconvRoundTrip(t *testing.T) {
	n := 1_000_000
	if testing.Short() {
		n = 50_000
	}
	r := rand.New(rand.NewPCG(1, 2))
	notShortest, maxDigits := 0, 0
	for i := range n {
		x := randomDouble(r, i)
		s := checkFpconv(t, x)
		if math.IsNaN(x) || math.IsInf(x, 0) {
			continue
		}
		d := sigDigits(s)
		maxDigits = max(maxDigits, len(d))
		if d != sigDigits(strconv.FormatFloat(x, 'e', -1, 64)) {
			notShortest++
		}
	}
	t.Logf("%d doubles round-trip; %d (%.2f%%) not the shortest representation; at most %d digits",
		n, notShortest, 100*float64(notShortest)/float64(n), maxDigits)
}

func FuzzFpconv(f *testing.F) {
	for _, x := range []float64{0, 1, -1, 0.1, 6522.399766, 3.279225182561213e16, 5e-324, math.MaxFloat64, 1e21, 1e-7, math.Inf(1)} {
		f.Add(math.Float64bits(x))
	}
	f.Fuzz(func(t *testing.T, b uint64) {
		x := math.Float64frombits(b)
		checkFpconv(t, x)
		g := FormatDoubleG17(x)
		if y, err := strconv.ParseFloat(g, 64); !math.IsNaN(x) && (err != nil || math.Float64bits(y) != b) {
			t.Fatalf("FormatDoubleG17(%#016x) = %q does not round-trip", b, g)
		}
	})
}

func TestFormatDoubleG17(t *testing.T) {
	for _, c := range []struct {
		in   float64
		want string
	}{
		{0, "0"},
		{math.Copysign(0, -1), "-0"},
		{0.1, "0.10000000000000001"},
		{3.14159, "3.1415899999999999"},
		{1e-5, "1.0000000000000001e-05"},
		{1e-4, "0.0001"},
		{1e16, "10000000000000000"},
		{1e17, "1e+17"},
		{1e100, "1e+100"},
		{5e-324, "4.9406564584124654e-324"},
		{1234567890123456.75, "1234567890123456.8"}, // exact tie: to even
		{math.Inf(1), "inf"},
		{math.Inf(-1), "-inf"},
		{math.NaN(), "nan"},
	} {
		if got := FormatDoubleG17(c.in); got != c.want {
			t.Errorf("FormatDoubleG17(%v) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFormatScoreAndD2String(t *testing.T) {
	v70 := ServerVersion{Major: 7, Minor: 0, Patch: 15}
	v72 := ServerVersion{Major: 7, Minor: 2, Patch: 6}
	v62 := ServerVersion{Major: 6, Minor: 2}
	vk := ServerVersion{Major: 8, Valkey: true}
	for _, c := range []struct {
		v     ServerVersion
		in    float64
		score string
		d2s   string
	}{
		{v72, 1e17, "1e+17", "100000000000000000"},
		{v70, 1e17, "1e+17", "100000000000000000"},
		{v62, 1e17, "1e+17", "1e+17"},
		{v62, 4503599627370495, "4503599627370495", "4503599627370495"},
		{v62, 4503599627370496, "4503599627370496", "4503599627370496"}, // %.17g prints it whole
		{v62, -4503599627370495, "-4503599627370495", "-4503599627370495"},
		{v72, 0x1p62, "4611686018427388000", "4611686018427387904"},
		{v72, 0x1p62 + 1024, "4611686018427389000", "4611686018427389000"},
		{v70, 0x1p62 + 1024, "4.6116860184273889e+18", "4.6116860184273889e+18"},
		{v72, -0x1p62, "-4611686018427388000", "-4611686018427387904"},
		{vk, 6522.399766, "6522.3997660000005", "6522.3997660000005"},
		{v70, 6522.399766, "6522.3997660000005", "6522.3997660000005"},
		{v70, 0.1, "0.10000000000000001", "0.10000000000000001"},
		{v72, 0.1, "0.1", "0.1"},
		{v72, math.Copysign(0, -1), "-0", "-0"},
		{v72, math.NaN(), "nan", "nan"},
		{v72, math.Float64frombits(0xfff8000000000000), "-nan", "nan"},
		{v70, math.Inf(-1), "-inf", "-inf"},
	} {
		if got := FormatScore(c.v, c.in); got != c.score {
			t.Errorf("FormatScore(%v, %v) = %q, want %q", c.v, c.in, got, c.score)
		}
		if got := D2String(c.v, c.in); got != c.d2s {
			t.Errorf("D2String(%v, %v) = %q, want %q", c.v, c.in, got, c.d2s)
		}
	}
}

func TestParseServerVersion(t *testing.T) {
	for _, c := range []struct {
		in   string
		want ServerVersion
		bad  bool
	}{
		{in: "7.2.6", want: ServerVersion{7, 2, 6, false}},
		{in: "7.9.224", want: ServerVersion{7, 9, 224, false}},
		{in: "8.0", want: ServerVersion{8, 0, 0, false}},
		{in: "255.255.255", want: ServerVersion{255, 255, 255, false}},
		{in: "8.8.0-dev", want: ServerVersion{8, 8, 0, false}},
		{in: "redis-8.0-m01", want: ServerVersion{8, 0, 0, false}},
		{in: "valkey-8.0.1", want: ServerVersion{8, 0, 1, true}},
		{in: "Valkey 9.0.0", want: ServerVersion{9, 0, 0, true}},
		{in: "redis 7.0.15", want: ServerVersion{7, 0, 15, false}},
		{in: "", bad: true},
		{in: "x7", bad: true},
		{in: "7..1", bad: true},
	} {
		got, err := ParseServerVersion(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("ParseServerVersion(%q) = %v, want error", c.in, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseServerVersion(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		if back, err := ParseServerVersion(got.String()); err != nil || back != got {
			t.Errorf("ParseServerVersion(%q) = %v, %v", got.String(), back, err)
		}
	}
	if !(ServerVersion{Major: 7, Minor: 9, Patch: 224}).DigestsFieldTTL() || (ServerVersion{Major: 9, Valkey: true}).DigestsFieldTTL() {
		t.Error("DigestsFieldTTL")
	}
	if (ServerVersion{Major: 7, Minor: 0, Patch: 15}).UsesFpconv() || !(ServerVersion{Major: 7, Minor: 2}).UsesFpconv() || !(ServerVersion{Major: 7, Valkey: true}).UsesFpconv() {
		t.Error("UsesFpconv")
	}
}

// TestScoresCorpus checks score texts written by real servers: every zset
// score of gt-dataset.json (ZRANGE WITHSCORES replies: fpconv on 7.2+ and
// Valkey, %.17g on 7.0) and every ZADD score of the RESP AOF base files
// (AOF rewrite: FormatScore of the writing server).
func TestScoresCorpus(t *testing.T) {
	dir := corpusDir(t)
	total := 0
	for _, s := range corpusServers {
		v := gtServerVersion(t, filepath.Join(dir, s, "rdb", "gt-dataset.json"))
		// ZRANGE WITHSCORES replies captured in the ground truth.
		gt := loadGT(t, filepath.Join(dir, s, "rdb", "gt-dataset.json"))
		n := 0
		for _, db := range gt.DBs {
			for _, k := range db.Keys {
				if k.Type != "zset" {
					continue
				}
				var pairs [][2]json.RawMessage
				if err := json.Unmarshal(k.Value, &pairs); err != nil {
					t.Fatal(err)
				}
				for _, p := range pairs {
					var text string
					if err := json.Unmarshal(p[1], &text); err != nil {
						t.Fatal(err)
					}
					checkScoreText(t, s+" ZRANGE reply", v, text)
					n++
				}
			}
		}
		// ZADD arguments of AOF rewrites.
		for _, variant := range []string{"aof-nopreamble", "aof-timestamp"} {
			p := filepath.Join(dir, s, variant, "appendonlydir", "appendonly.aof.2.base.aof")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			cmds, err := scanRESP(data)
			if err != nil {
				t.Fatalf("%s: %v", relPath(dir, p), err)
			}
			for _, c := range cmds {
				if !strings.EqualFold(string(c[0]), "ZADD") {
					continue
				}
				for i := 2; i < len(c); i += 2 {
					checkScoreText(t, relPath(dir, p), v, string(c[i]))
					n++
				}
			}
		}
		if n < 600 {
			t.Errorf("%s: only %d scores found", s, n)
		}
		total += n
	}
	t.Logf("%d server-formatted scores match", total)
}

func checkScoreText(t *testing.T, where string, v ServerVersion, text string) {
	t.Helper()
	x, err := strconv.ParseFloat(text, 64)
	if err != nil {
		t.Errorf("%s: score %q: %v", where, text, err)
		return
	}
	if got := FormatScore(v, x); got != text {
		t.Errorf("%s (%v): FormatScore(%v) = %q, server wrote %q", where, v, x, got, text)
	}
}

// scanRESP splits an AOF made of RESP arrays of bulk strings and "#..."
// annotation lines into commands.
func scanRESP(data []byte) ([][][]byte, error) {
	var cmds [][][]byte
	line := func() ([]byte, error) {
		i := bytes.Index(data, []byte("\r\n"))
		if i < 0 {
			return nil, strconv.ErrSyntax
		}
		l := data[:i]
		data = data[i+2:]
		return l, nil
	}
	for len(data) > 0 {
		l, err := line()
		if err != nil {
			return nil, err
		}
		if len(l) > 0 && l[0] == '#' {
			continue
		}
		if len(l) < 2 || l[0] != '*' {
			return nil, strconv.ErrSyntax
		}
		n, err := strconv.Atoi(string(l[1:]))
		if err != nil {
			return nil, err
		}
		var args [][]byte
		for range n {
			h, err := line()
			if err != nil {
				return nil, err
			}
			if len(h) < 2 || h[0] != '$' {
				return nil, strconv.ErrSyntax
			}
			m, err := strconv.Atoi(string(h[1:]))
			if err != nil || m < 0 || m+2 > len(data) {
				return nil, strconv.ErrSyntax
			}
			args = append(args, data[:m])
			data = data[m+2:]
		}
		if len(args) > 0 {
			cmds = append(cmds, args)
		}
	}
	return cmds, nil
}

func BenchmarkFormatDoubleFpconv(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 1024)
	for i := range xs {
		xs[i] = randomDouble(r, i)
	}
	var buf []byte
	i := 0
	for b.Loop() {
		buf = AppendDoubleFpconv(buf[:0], xs[i&1023])
		i++
	}
}
