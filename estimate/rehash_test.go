package estimate_test

import (
	"math"
	"testing"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/release"
)

// setPart is a RESP part of n SETs of n new keys, 30 argument bytes each.
func setPart(n int64) *estimate.Part {
	return &estimate.Part{Role: estimate.RoleIncr, Format: "resp",
		Commands: map[string]*estimate.CommandStats{"SET": {Commands: n, ArgBytes: 30 * n, Keys: n, Elements: n}}}
}

// TestRehash: the keys moved at each growth of the key table, and the
// growths a replay that ends early has not finished.
func TestRehash(t *testing.T) {
	dict, _ := release.Lookup("redis-7.0")
	ht, _ := release.Lookup("valkey-9.0")
	for _, x := range []struct {
		name                          string
		t                             release.KeyTable
		keys0, added, commands, above float64
		moved, work                   float64
	}{
		// Every growth past 200 k keys, each table's keys moved whole.
		{"dict", dict.KeyTable, 0, 3e6, 3e6, 2e5, 262144 + 524288 + 1048576 + 2097152,
			262144*math.Log2(262144/2e5) + 524288*math.Log2(524288/2e5) + 1048576*math.Log2(1048576/2e5) + 2097152*math.Log2(2097152/2e5)},
		{"hashtable", ht.KeyTable, 0, 3e6, 3e6, 2e5, 229376 + 458752 + 917504 + 1835008,
			229376*math.Log2(229376/2e5) + 458752*math.Log2(458752/2e5) + 917504*math.Log2(917504/2e5) + 1835008*math.Log2(1835008/2e5)},
		// 52,848 commands after the growth at 2^21 move 4.5 keys each.
		{"dict, the last rehash unfinished", dict.KeyTable, 0, 2.15e6, 2.15e6, 1.5e6, 4.5 * (2.15e6 - 2097152),
			4.5 * (2.15e6 - 2097152) * math.Log2(2097152/1.5e6)},
		// A table sized for 3 M keys (an RDB preamble's) grows at 2^22.
		{"pre-sized, no growth", dict.KeyTable, 3e6, 1e6, 1e6, 2e5, 0, 0},
		{"pre-sized, a growth", dict.KeyTable, 3e6, 3e6, 3e6, 2e5, 4194304, 4194304 * math.Log2(4194304/2e5)},
	} {
		moved, work := estimate.Rehash(x.t, x.keys0, x.added, x.commands, x.above)
		if math.Abs(moved-x.moved) > 1e-6*x.moved+1e-9 || math.Abs(work-x.work) > 1e-6*x.work+1e-9 {
			t.Errorf("%s: moved %.0f keys, work %.0f; want %.0f, %.0f", x.name, moved, work, x.moved, x.work)
		}
	}
}

// TestFitRehash: an AOF sample of many more new keys than the SET sample
// lets Fit price the rehashes of the key table, so that a base of 3 M SETs
// and an incr file of 1 M more (make bench-data's AOF set) are predicted
// within 2 % from samples of at most 3 M keys; without that sample the
// prediction misses by more than 10 %. The server's figures are made up by
// a law: 1 µs a SET, and at each growth of the table past 100 k keys
// 150 ns × log2(size / 100 k) a key it held, on each table.
func TestFitRehash(t *testing.T) {
	const empty = 1 << 20
	for _, server := range []string{"redis-7.0", "valkey-9.0"} {
		r, _ := release.Lookup(server)
		slots := float64(r.KeyTable.Slots)
		// law: the ns of replaying n new keys onto a table of keys0.
		law := func(keys0, n float64) float64 {
			ns := 1000 * n
			for size := slots; size < keys0+n; size *= 2 {
				if size >= keys0 && size > 1e5 {
					ns += 150 * size * math.Log2(size/1e5)
				}
			}
			return ns
		}
		strs := func(keys, size int64) estimate.Sample {
			p := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{estimate.StringClass: {Keys: keys, Elements: keys, Payload: keys * size, Bytes: keys * size}}}
			return estimate.Sample{Parts: []*estimate.Part{p}, LoadSeconds: float64(keys*900+5*keys*size) / 1e9, UsedMemory: empty + keys*(70+size), EmptyMemory: empty}
		}
		set := func(n int64) estimate.Sample {
			return estimate.Sample{Parts: []*estimate.Part{setPart(n)}, LoadSeconds: law(0, float64(n)) / 1e9, UsedMemory: empty + n*100, EmptyMemory: empty}
		}
		base, incr := setPart(3_000_000), setPart(1_000_000)
		base.Role = estimate.RoleBase
		held := (law(0, 3e6) + law(3e6, 1e6)) / 1e9
		for _, x := range []struct {
			name    string
			samples []estimate.Sample
			within  bool
		}{
			{"with 3 M SETs", []estimate.Sample{strs(400000, 16), strs(30000, 2048), set(100000), set(3_000_000)}, true},
			{"without", []estimate.Sample{strs(400000, 16), strs(30000, 2048), set(100000)}, false},
		} {
			c, err := estimate.Fit(x.samples, estimate.Coefficients{Server: server, Error: 0.2})
			if err != nil {
				t.Fatal(err)
			}
			rep := estimate.Estimate([]*estimate.Part{base, incr}, c, estimate.Options{Server: server, Calibrated: true})
			e := rep.Recovery.Seconds.Value/held - 1
			if x.within && math.Abs(e) > 0.02 {
				t.Errorf("%s, %s: base + incr load error %+.1f %% (%+v)", server, x.name, 100*e, c.Load)
			}
			if !x.within && math.Abs(e) < 0.1 {
				t.Errorf("%s, %s: error only %+.1f %%: the test's law is not what it thinks", server, x.name, 100*e)
			}
			if x.within {
				var rehash bool
				for _, cl := range rep.Recovery.Classes {
					rehash = rehash || cl.Kind == "rehash" && cl.Class == "keyspace" && cl.Verb() == "rehashing"
				}
				if !rehash {
					t.Errorf("%s: no rehash cost class in %+v", server, rep.Recovery.Classes)
				}
			}
		}
	}
}

// TestFitKeepsPriorGrowth: samples too small to measure the growth of a
// key's cost (a calibration's) keep meta's growth figures, scaled by the
// ratio of the per-key costs; samples that measure them replace them.
func TestFitKeepsPriorGrowth(t *testing.T) {
	const empty = 1 << 20
	strs := func(keys, size int64, perKey float64) estimate.Sample {
		p := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{estimate.StringClass: {Keys: keys, Elements: keys, Payload: keys * size, Bytes: keys * size}}}
		return estimate.Sample{Parts: []*estimate.Part{p}, LoadSeconds: (float64(keys)*perKey + 5*float64(keys*size)) / 1e9, UsedMemory: empty + keys*(70+size), EmptyMemory: empty}
	}
	prior := estimate.LoadCoefficients{NsPerKey: 500, NsPerKeyDoubling: 50, NsPerKeyAtKeys: 400000, NsPerRehashDoubling: 80, RehashAboveKeys: 200000}
	c, err := estimate.Fit([]estimate.Sample{strs(20000, 16, 1000), strs(3000, 2048, 1000)}, estimate.Coefficients{Server: "redis-7.0", Error: 0.2, Load: prior})
	if err != nil {
		t.Fatal(err)
	}
	l := c.Load
	if math.Abs(l.NsPerKey-1000) > 1 || math.Abs(l.NsPerKeyDoubling-100) > 0.1 || l.NsPerKeyAtKeys != 400000 ||
		math.Abs(l.NsPerRehashDoubling-160) > 0.1 || l.RehashAboveKeys != 200000 {
		t.Errorf("fitted %+v from a prior %+v: want the growth figures doubled with the per-key cost", l, prior)
	}
	c, err = estimate.Fit([]estimate.Sample{strs(400000, 16, 1000), strs(30000, 2048, 1000), strs(3200000, 16, 1000)}, estimate.Coefficients{Server: "redis-7.0", Error: 0.2, Load: prior})
	if err != nil {
		t.Fatal(err)
	}
	if c.Load.NsPerKeyDoubling > 1 {
		t.Errorf("a flat cost per key measured at 3.2 M keys kept the prior's growth: %+v", c.Load)
	}
}
