package estimate_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/estimate"
)

// FuzzEstimateRDB runs the statistics pass over any bytes and the model
// over what it counted, with the built-in coefficients, for each
// allocator and THP case, at a write rate and a maxmemory taken from the
// input: no panic, and every figure of the report finite and not negative,
// so that --json can always encode it (encoding/json refuses NaN and ±Inf).
// Seeded with the repository's sample RDB files.
func FuzzEstimateRDB(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/rdb/*.rdb")
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, 20000.0, int64(1<<20))
	}
	f.Add([]byte("REDIS0011\xff"), 0.0, int64(0))
	c := estimate.DefaultCoefficients()
	f.Fuzz(func(t *testing.T, data []byte, rate float64, maxmem int64) {
		p := &estimate.Part{Name: "fuzz.rdb", Role: estimate.RoleRDB, Format: "rdb", Size: int64(len(data))}
		_ = estimate.ReadRDB(bytes.NewReader(data), p) // a damaged file's counts so far
		if math.IsNaN(rate) || math.IsInf(rate, 0) || rate < 0 {
			rate = 0
		}
		rate = math.Min(rate, 1e9)
		for _, alloc := range []string{"", "libc"} {
			rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: "redis-7.4", Allocator: alloc, WriteRate: rate, MaxMemory: max(maxmem, 0)})
			checkFinite(t, rep)
		}
	})
}

// FuzzFit fits the model on samples made from the input (counts, times,
// memory, forks, huge pages and saves, 8 bytes each) and estimates with
// the result: no panic, and every coefficient and figure finite and not
// negative.
func FuzzFit(f *testing.F) {
	f.Add(make([]byte, 8*12*6))
	seed := new(bytes.Buffer)
	for i := range 6 {
		for _, v := range []uint64{400000 << i, 16, 1 << 20, 1e6 << i, 30000 << i, 70 << 20, 2000 << i, 0, 3, 50, 1 << 30, 100} {
			binary.Write(seed, binary.LittleEndian, v)
		}
	}
	f.Add(seed.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		num := func(i int) float64 {
			if 8*i+8 > len(data) {
				return 0
			}
			return float64(binary.LittleEndian.Uint64(data[8*i:]) % (1 << 30)) // products of two stay in int64
		}
		var samples []estimate.Sample
		for s := 0; 12*s+12 <= len(data)/8 && s < 16; s++ {
			n := func(i int) float64 { return num(12*s + i) }
			var p *estimate.Part
			switch int(n(7)) % 4 {
			case 0:
				p = &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{estimate.StringClass: {Keys: int64(n(0)), Elements: int64(n(0)), Payload: int64(n(0) * n(1)), Bytes: int64(n(0) * n(1))}}}
			case 1:
				p = &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{"hash/hashtable": {Keys: int64(n(0)), Elements: int64(n(0) * n(1)), Payload: int64(n(2)), Bytes: int64(n(2))}}}
			case 2:
				p = &estimate.Part{Commands: map[string]*estimate.CommandStats{"HSET": {Commands: int64(n(0)), ArgBytes: int64(n(2)), Keys: int64(n(1)), Elements: int64(n(0))}}}
			default: // SETs of new keys: samples of many keys give the rehash figure
				p = &estimate.Part{Commands: map[string]*estimate.CommandStats{"SET": {Commands: int64(n(0)), ArgBytes: int64(n(2)), Keys: int64(n(1)), Elements: int64(n(0))}}}
			}
			samples = append(samples, estimate.Sample{Parts: []*estimate.Part{p}, LoadSeconds: n(3) / 1e9, UsedMemory: int64(n(4)), EmptyMemory: 1 << 20,
				RSS: int64(n(5)), ForkUsec: n(6), FirstForkUsec: n(8), AnonHugeBytes: int64(n(9)) << 20, SaveSeconds: n(11) / 1e6})
		}
		c, err := estimate.Fit(samples, *estimate.DefaultCoefficients())
		if err != nil {
			return // samples that do not determine the model
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatalf("coefficients do not encode: %v (%+v)", err, c)
		}
		if _, err := estimate.ReadCoefficients(bytes.NewReader(b)); err != nil {
			t.Fatalf("written coefficients do not read back: %v", err)
		}
		for _, s := range samples {
			checkFinite(t, estimate.Estimate(s.Parts, c, estimate.Options{Server: "redis-7.0", WriteRate: 1000, Calibrated: true}))
		}
	})
}

// checkFinite fails t when a number of rep is NaN, infinite or negative, or
// rep does not encode as JSON.
func checkFinite(t *testing.T, rep *estimate.Report) {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatalf("report does not encode: %v", err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				walk(path+"."+k, x)
			}
		case []any:
			for i, x := range v {
				walk(path+"["+strconv.Itoa(i)+"]", x)
			}
		case float64:
			// window_seconds −1 is "everything since the last snapshot"
			// (docs/json.md); behind_seconds is negative for a proof
			// after --now.
			if v < 0 && path != ".loss.behind_seconds" && (path != ".loss.window_seconds" || v != -1) {
				t.Errorf("%s = %g: negative", path, v)
			}
		}
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	walk("", m)
}
