package estimate_test

import (
	"bytes"
	"testing"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// TestCalibrationShapes writes every calibration shape, small, for Redis
// 7.0 and 7.4 and Valkey 8.0, reads it back with the statistics pass, and
// checks that each holds the keys or commands of its one class, in the
// encoding the server would choose (the class names the calibration
// fits).
func TestCalibrationShapes(t *testing.T) {
	want := map[string]string{
		"strings-small": "string/string", "strings-large": "string/string",
		"hash-listpack": "hash/listpack", "hash-hashtable": "hash/hashtable",
		"list-quicklist": "list/quicklist", "set-intset": "set/intset", "set-hashtable": "set/hashtable",
		"zset-listpack": "zset/listpack", "zset-skiplist": "zset/skiplist", "stream-groups": "stream/stream",
		"aof-set": "SET", "aof-hset": "HSET", "aof-xadd": "XADD", "aof-hset-wide": "HSET", "aof-xadd-long": "XADD",
	}
	for _, name := range []string{"redis-7.0", "redis-7.4", "valkey-8.0"} {
		rel, err := release.Parse(name)
		if err != nil {
			t.Fatal(err)
		}
		opts := rdbfile.ReleaseOptions(rel)
		for _, sh := range estimate.CalibrationShapes(0.01) {
			var buf bytes.Buffer
			p := &estimate.Part{}
			if sh.AOF() {
				if err := sh.WriteAOF(&buf); err != nil {
					t.Fatal(err)
				}
				if err := estimate.ReadAOF(&buf, p); err != nil {
					t.Fatalf("%s %s: %v", name, sh.Name, err)
				}
				if len(p.Commands) != 1 || p.Commands[want[sh.Name]] == nil || p.Commands[want[sh.Name]].Commands != int64(sh.N) {
					t.Errorf("%s %s: commands %v, want %d %s", name, sh.Name, p.Commands, sh.N, want[sh.Name])
				}
				continue
			}
			if err := sh.WriteRDB(&buf, &opts, [2]string{"redis-ver", "7.0.15"}); err != nil {
				t.Fatalf("%s %s: %v", name, sh.Name, err)
			}
			if err := estimate.ReadRDB(&buf, p); err != nil {
				t.Fatalf("%s %s: %v", name, sh.Name, err)
			}
			cl := estimate.Class(want[sh.Name])
			if len(p.Classes) != 1 || p.Classes[cl] == nil || p.Classes[cl].Keys != int64(sh.N) || p.Keys != int64(sh.N) {
				t.Errorf("%s %s: classes %v, want %d keys of %s", name, sh.Name, p.ClassNames(), sh.N, cl)
			}
			if p.Server != "redis-7.0" {
				t.Errorf("%s %s: writer %q from the AUX fields", name, sh.Name, p.Server)
			}
		}
	}
	if err := (estimate.Shape{Name: "nope", N: 1}).WriteRDB(&bytes.Buffer{}, nil); err == nil {
		t.Error("an unknown shape was written")
	}
}

// TestFitForkPrior: samples of one size keep the prior fork line's shape,
// scaled to them; samples that span sizes get their own line.
func TestFitForkPrior(t *testing.T) {
	part := func(keys, payload int64) []*estimate.Part {
		return []*estimate.Part{{Classes: map[estimate.Class]*estimate.ClassStats{estimate.StringClass: {Keys: keys, Elements: keys, Payload: payload, Bytes: payload}}}}
	}
	samples := []estimate.Sample{
		{Parts: part(1000, 16000), LoadSeconds: 0.001, UsedMemory: 2e6, EmptyMemory: 1e6, RSS: 20 << 20, ForkUsec: 4000},
		{Parts: part(100, 200000), LoadSeconds: 0.002, UsedMemory: 3e6, EmptyMemory: 1e6, RSS: 24 << 20, ForkUsec: 4400},
	}
	meta := estimate.Coefficients{Server: "redis-7.0", Error: 0.2}
	meta.Fork = estimate.ForkCoefficients{BaseUsec: 1000, UsecPerPageTableMiB: 20000}
	c, err := estimate.Fit(samples, meta)
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Fork.UsecPerPageTableMiB / c.Fork.BaseUsec; r < 19.99 || r > 20.01 {
		t.Errorf("fork line %+v: not the prior's shape", c.Fork)
	}
	samples[1].RSS, samples[1].ForkUsec = 400<<20, 40000
	if c, err = estimate.Fit(samples, meta); err != nil {
		t.Fatal(err)
	}
	if r := c.Fork.UsecPerPageTableMiB / max(c.Fork.BaseUsec, 1); r > 19.99 && r < 20.01 {
		t.Errorf("fork line %+v: the prior's shape despite samples of 20 and 400 MiB", c.Fork)
	}
}
