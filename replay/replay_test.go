package replay

import (
	"context"
	"encoding/json"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/engine"
	"github.com/rdbkit/rdbkit/manifest"
)

var servers = []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"}

func corpus(t *testing.T) string { t.Helper(); return testcorpus.Dir(t) }

type gt struct {
	Digest string `json:"debug_digest"`
}

func loadGT(t *testing.T, path string) gt {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g gt
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func replaySet(t *testing.T, dir string, o Options) (*engine.Engine, *Result) {
	t.Helper()
	set, err := manifest.Resolve(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	e, res, err := Set(context.Background(), set, o)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return e, res
}

// TestCorpusSets replays every good AOF set of every server (base + incr)
// and compares the digest with the ground truth captured from the live
// server after the workload (gt.json).
func TestCorpusSets(t *testing.T) {
	dir := corpus(t)
	n := 0
	for _, srv := range servers {
		for _, v := range []string{"aof-preamble", "aof-nopreamble", "aof-timestamp", "aof-timestamp-preamble"} {
			n++
			t.Run(srv+"/"+v, func(t *testing.T) {
				want := loadGT(t, filepath.Join(dir, srv, v, "gt.json"))
				e, res := replaySet(t, filepath.Join(dir, srv, v, "appendonlydir"), Options{Until: -1, Fallback: fallback(srv)})
				if got := e.Digest(); got != want.Digest {
					t.Errorf("digest %s, want %s (%+v)", got, want.Digest, res)
				}
				if res.Commands == 0 || res.Skipped != 0 || res.OpenMulti {
					t.Errorf("result %+v", res)
				}
			})
		}
	}
	// The legacy single files of 7.0.15 hold the same data as their variants.
	for f, g := range map[string]string{"legacy-aof/appendonly.aof": "aof-nopreamble/gt.json",
		"legacy-aof-preamble/appendonly.aof": "aof-preamble/gt.json"} {
		want := loadGT(t, filepath.Join(dir, "redis-7.0.15", g))
		e, _ := replaySet(t, filepath.Join(dir, "redis-7.0.15", f), Options{Until: -1, Fallback: fallback("redis-7.0.15")})
		if got := e.Digest(); got != want.Digest {
			t.Errorf("%s: digest %s, want %s", f, got, want.Digest)
		}
	}
	if n != 20 {
		t.Fatalf("%d sets", n)
	}
}

// fallback is the version for a RESP-only set, which names no version.
func fallback(srv string) engine.ServerVersion {
	v, err := engine.ParseServerVersion(regexp.MustCompile(`[0-9.]+.*`).FindString(srv))
	if err != nil {
		panic(err)
	}
	if srv == "redis-8.0-m01" {
		v, _ = engine.ParseServerVersion("7.9.224")
	}
	v.Valkey = srv[:6] == "valkey"
	return v
}

// TestUntilMatchesTruncateToTimestamp: replaying aof-timestamp up to T gives
// the state the real server loaded after redis-check-aof
// --truncate-to-timestamp T (verdicts.json: checker cmd and server digest),
// and the same digest as replaying the truncated set itself.
func TestUntilMatchesTruncateToTimestamp(t *testing.T) {
	dir := corpus(t)
	re := regexp.MustCompile(`--truncate-to-timestamp (\d+)`)
	for _, srv := range servers {
		b, err := os.ReadFile(filepath.Join(dir, srv, "verdicts.json"))
		if err != nil {
			t.Fatal(err)
		}
		var vd struct {
			Verdicts []struct {
				Artifact string
				Checker  struct{ Cmd string }
				Server   struct {
					Digest string `json:"debug_digest"`
				} `json:"server_start"`
			}
		}
		if err := json.Unmarshal(b, &vd); err != nil {
			t.Fatal(err)
		}
		for _, v := range vd.Verdicts {
			if v.Artifact != "damaged/aof-timestamp-truncated-to-ts/appendonlydir" {
				continue
			}
			m := re.FindStringSubmatch(v.Checker.Cmd)
			if m == nil || v.Server.Digest == "" {
				t.Fatalf("%s: no timestamp or digest in %q", srv, v.Checker.Cmd)
			}
			until, _ := strconv.ParseInt(m[1], 10, 64)
			e, res := replaySet(t, filepath.Join(dir, srv, "aof-timestamp", "appendonlydir"), Options{Until: until, Fallback: fallback(srv)})
			if res.StoppedAt == nil || res.StoppedTS <= until {
				t.Errorf("%s: did not stop after %d: %+v", srv, until, res)
			}
			if got := e.Digest(); got != v.Server.Digest {
				t.Errorf("%s: --until %d digest %s, server loaded the truncated set as %s", srv, until, got, v.Server.Digest)
			}
			e2, _ := replaySet(t, filepath.Join(dir, srv, "damaged", "aof-timestamp-truncated-to-ts", "appendonlydir"), Options{Until: -1, Fallback: fallback(srv)})
			if e2.Digest() != e.Digest() {
				t.Errorf("%s: truncated set digest %s, --until %s", srv, e2.Digest(), e.Digest())
			}
		}
	}
}

// TestRDBFile replays a plain RDB to its ground-truth digest.
func TestRDBFile(t *testing.T) {
	dir := corpus(t)
	for _, srv := range servers {
		want := loadGT(t, filepath.Join(dir, srv, "rdb", "gt-dataset.json"))
		e, res, err := File(context.Background(), filepath.Join(dir, srv, "rdb", "dump.rdb"), Options{Until: -1})
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Digest(); got != want.Digest || res.VersionSource != "aux" {
			t.Errorf("%s: digest %s (version %s from %s), want %s", srv, got, res.Version, res.VersionSource, want.Digest)
		}
	}
}
