package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/internal/testserver"
)

// Focused comparisons with the local redis-server (skipped without one):
// the exact bytes of HyperLogLog strings, INCRBYFLOAT/HINCRBYFLOAT texts,
// and how often GEO STOREDIST distances agree bit for bit.

// both sends a command to the server and executes it in the engine; it
// fails the test if exactly one of them returns an error.
func both(t *testing.T, c *respConn, e *Engine, args ...string) {
	t.Helper()
	c.send(args...)
	if err := c.w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := c.reply()
	if err != nil {
		t.Fatal(err)
	}
	_, serr := r.(respError)
	eerr := e.Exec(toArgv(args))
	if serr != (eerr != nil) {
		t.Fatalf("%q: server %v, engine %v", abbrevS(args), r, eerr)
	}
}

func TestHLLRedisServer(t *testing.T) {
	c, v, _ := startRedis(t)
	e := New(v)
	r := rand.New(rand.NewPCG(21, 22))
	keys := []string{"h0", "h1", "h2", "h3", "h4"}
	sparseSeen := 0
	ops := 600
	if testing.Short() {
		ops = 100
	}
	for i := 0; i < ops; i++ {
		k := keys[r.IntN(len(keys))]
		switch r.IntN(6) {
		case 0, 1, 2:
			args := []string{"PFADD", k}
			// Sparse HLLs first (up to hll-sparse-max-bytes), then dense.
			n := r.IntN(40)
			if i > ops/2 && r.IntN(10) == 0 {
				n = r.IntN(3000)
			}
			for j := 0; j < n; j++ {
				args = append(args, strconv.Itoa(r.IntN(60000)))
			}
			both(t, c, e, args...)
		case 3:
			both(t, c, e, "PFCOUNT", k)
		case 4:
			both(t, c, e, "PFMERGE", k, keys[r.IntN(len(keys))], keys[r.IntN(len(keys))])
		default:
			both(t, c, e, "PFCOUNT", k, keys[r.IntN(len(keys))])
		}
		// Every intermediate state, sparse ones included, must be identical.
		want, _ := c.do(t, "GET", k).(string)
		if got := getStr(t, e, k); got != want && !(want == "" && got == "<nil>") {
			t.Fatalf("op %d: %s: engine %d bytes, server %d bytes", i, k, len(got), len(want))
		}
		if len(want) > 4 && want[4] == hllSparse {
			sparseSeen++
		}
	}
	dense := 0
	for _, k := range keys {
		want, _ := c.do(t, "GET", k).(string)
		got := getStr(t, e, k)
		if got != want {
			t.Errorf("%s: engine %d bytes (encoding %d), server %d bytes", k, len(got), got[4], len(want))
		}
		if len(want) > 4 && want[4] == hllDense {
			dense++
		}
	}
	t.Logf("%v: %d HLL operations, every state identical (%d sparse states), %d of %d keys dense at the end", v, ops, sparseSeen, dense, len(keys))
}

func TestFloatRedisServer(t *testing.T) {
	c, v, _ := startRedis(t)
	e := New(v)
	r := rand.New(rand.NewPCG(31, 32))
	num := func() string {
		switch r.IntN(6) {
		case 0:
			return strconv.FormatFloat(r.NormFloat64()*1e6, 'g', -1, 64)
		case 1:
			return strconv.FormatFloat(r.Float64(), 'f', 1+r.IntN(25), 64)
		case 2:
			return strconv.Itoa(r.IntN(1000000) - 500000)
		case 3:
			return fmt.Sprintf("%de%d", r.IntN(100000), r.IntN(80)-40)
		case 4:
			return strconv.FormatFloat(r.NormFloat64(), 'e', r.IntN(20), 64)
		}
		return fmt.Sprintf("%.30f", r.Float64()*1000)
	}
	n := 3000
	if testing.Short() {
		n = 500
	}
	for i := 0; i < n; i++ {
		k := "f" + strconv.Itoa(r.IntN(20))
		if r.IntN(2) == 0 {
			both(t, c, e, "INCRBYFLOAT", k, num())
		} else {
			both(t, c, e, "HINCRBYFLOAT", "h", k, num())
		}
		if r.IntN(50) == 0 {
			both(t, c, e, "SET", k, num())
		}
	}
	for i := 0; i < 20; i++ {
		k := "f" + strconv.Itoa(i)
		if want, _ := c.do(t, "GET", k).(string); want != getStr(t, e, k) {
			t.Errorf("%s: engine %q, server %q", k, getStr(t, e, k), want)
		}
	}
	want := c.do(t, "HGETALL", "h").([]any)
	got := map[string]string{}
	for _, f := range value(t, e, "h").Hash {
		got[string(f.Field)] = string(f.Value)
	}
	for i := 0; i+1 < len(want); i += 2 {
		if got[want[i].(string)] != want[i+1].(string) {
			t.Errorf("h %s: engine %q, server %q", want[i], got[want[i].(string)], want[i+1])
		}
	}
	t.Logf("%v: %d INCRBYFLOAT/HINCRBYFLOAT results identical", v, n)
}

// TestGeoDistRedisServer: STOREDIST distances of GEOSEARCHSTORE against the
// installed server and every release of RDBKIT_SERVERS. With the C
// library's sin, cos and asin (a cgo build; trig.go) every distance has the
// server's bits; with the correctly rounded fallback about 0.2 % differ by
// one ulp.
func TestGeoDistRedisServer(t *testing.T) {
	bins := testserver.Releases(t)
	if len(bins) == 0 {
		t.Skip("no redis-server installed and RDBKIT_SERVERS unset")
	}
	for _, bin := range bins {
		c, v, _ := startServerBin(t, bin)
		e := New(v)
		r := rand.New(rand.NewPCG(41, 42))
		args := []string{"GEOADD", "g"}
		for i := 0; i < 300; i++ {
			args = append(args, strconv.FormatFloat(r.Float64()*360-180, 'f', 6, 64), strconv.FormatFloat(r.Float64()*170-85, 'f', 6, 64), "p"+strconv.Itoa(i))
		}
		both(t, c, e, args...)
		total, equal := 0, 0
		queries := 30
		if testing.Short() {
			queries = 10
		}
		for q := 0; q < queries; q++ {
			lon, lat := strconv.FormatFloat(r.Float64()*360-180, 'f', 4, 64), strconv.FormatFloat(r.Float64()*170-85, 'f', 4, 64)
			both(t, c, e, "GEOSEARCHSTORE", "d", "g", "FROMLONLAT", lon, lat, "BYRADIUS", "25000", "km", "STOREDIST")
			rep := c.do(t, "ZRANGE", "d", "0", "-1", "WITHSCORES").([]any)
			mine := map[string]float64{}
			if val := value(t, e, "d"); val != nil {
				for _, z := range val.ZSet {
					mine[string(z.Member)] = z.Score
				}
			}
			if len(mine) != len(rep)/2 {
				t.Errorf("%v: query %d: engine found %d members, server %d", v, q, len(mine), len(rep)/2)
			}
			for i := 0; i+1 < len(rep); i += 2 {
				want, _ := strconv.ParseFloat(rep[i+1].(string), 64)
				got := mine[rep[i].(string)]
				total++
				if got == want {
					equal++
				} else if TrigFromLibm() || math.Abs(got-want) > math.Abs(want)*0x1p-47 { // one ulp of sin, cos or asin grows by a few ulp
					t.Errorf("%v: %s: engine %v, server %v", v, rep[i], got, want)
				}
			}
		}
		if total < 1000 || float64(equal) < 0.99*float64(total) {
			t.Errorf("%v: only %d of %d distances equal", v, equal, total)
		}
		t.Logf("%v: %d of %d STOREDIST distances equal (C library trig: %v)", v, equal, total, TrigFromLibm())
	}
}
