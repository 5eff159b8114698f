package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func gtDigest(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Digest string `json:"debug_digest"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g.Digest
}

// TestReplayDigest: rdbkit replay --digest prints the DEBUG DIGEST the live
// server printed after the workload, for every AOF variant of every server
// and for the RDB dumps.
func TestReplayDigest(t *testing.T) {
	dir := corpusDir(t)
	versions := map[string]string{"redis-7.0.15": "7.0.15", "redis-7.2.6": "7.2.6", "redis-7.4.1": "7.4.1",
		"redis-8.0-m01": "7.9.224", "valkey-8.0.1": "valkey-8.0.1"}
	for srv, ver := range versions {
		for _, v := range []string{"aof-preamble", "aof-nopreamble", "aof-timestamp", "aof-timestamp-preamble"} {
			r := run(t, nil, "replay", "--digest", "--server-version", ver, filepath.Join(dir, srv, v, "appendonlydir"))
			want := gtDigest(t, filepath.Join(dir, srv, v, "gt.json"))
			if r.code != 0 || !strings.Contains(r.out, "digest:\t"+want) {
				t.Errorf("%s/%s: exit %d, want digest %s:\n%s%s", srv, v, r.code, want, r.out, r.err)
			}
		}
		r := run(t, nil, "replay", "--digest", filepath.Join(dir, srv, "rdb", "dump.rdb"))
		if want := gtDigest(t, filepath.Join(dir, srv, "rdb", "gt-dataset.json")); r.code != 0 || !strings.Contains(r.out, "digest:\t"+want) {
			t.Errorf("%s dump.rdb: exit %d, want %s:\n%s%s", srv, r.code, want, r.out, r.err)
		}
	}
}

func TestReplayUntilGetJSON(t *testing.T) {
	dir := corpusDir(t)
	set := filepath.Join(dir, "redis-7.4.1", "aof-timestamp", "appendonlydir")
	// The digest redis-server 7.4.1 printed after loading the set cut by
	// redis-check-aof --truncate-to-timestamp 1795236580 (verdicts.json).
	r := run(t, nil, "replay", "--until", "1795236580", "--digest", "--server-version", "7.4.1", set)
	if r.code != 0 || !strings.Contains(r.out, "digest:\t2352d747677dfbe4b6329157cf82a3abb81ad7c8") || !strings.Contains(r.out, "stopped at:\t#TS:1795236581") {
		t.Errorf("--until: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = run(t, nil, "replay", "--until", "2026-11-21T04:49:40Z", "--server-version", "7.4.1", set)
	if r.code != 0 || !strings.Contains(r.out, "stopped at:\t#TS:1795236581") {
		t.Errorf("--until RFC3339: exit %d\n%s", r.code, r.out)
	}
	r = run(t, nil, "replay", "--get", "0:hash:hfe:small", filepath.Join(dir, "redis-7.4.1", "aof-preamble", "appendonlydir"))
	if r.code != 0 || !strings.Contains(r.out, "type:\thash") || !strings.Contains(r.out, "\"d\":\t\"no-ttl\"") {
		t.Errorf("--get: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = run(t, nil, "replay", "--get", "0:no-such-key", filepath.Join(dir, "redis-7.4.1", "rdb", "dump.rdb"))
	if r.code != 5 || r.out != "" || !strings.Contains(r.err, `key "no-such-key" does not exist in db 0`) {
		t.Errorf("--get of a missing key: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	r = run(t, nil, "replay", "--json", "--digest-keys", filepath.Join(dir, "redis-7.4.1", "rdb", "dump.rdb"))
	if r.code != 0 {
		t.Fatalf("--json: exit %d %s", r.code, r.err)
	}
	recs := jsonLines(t, r.out)
	keys := 0
	for _, rec := range recs[:len(recs)-1] {
		if rec["type"] != "key" || rec["digest"] == "" || rec["kind"] == nil || rec["value"] == nil {
			t.Fatalf("bad key record %v", rec)
		}
		keys++
	}
	sum := recs[len(recs)-1]
	if sum["type"] != "summary" || sum["digest"] != gtDigest(t, filepath.Join(dir, "redis-7.4.1", "rdb", "gt-dataset.json")) || keys != 74 {
		t.Errorf("summary %v after %d keys", sum, keys)
	}
}

// TestReplayUnknownCommand: a command the engine cannot execute stops the
// replay naming file, offset and line; --skip-unknown reports and skips it.
func TestReplayUnknownCommand(t *testing.T) {
	aof := filepath.Join(t.TempDir(), "appendonly.aof")
	data := "*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n" +
		"*2\r\n$6\r\nFOOBAR\r\n$1\r\nx\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n"
	if err := os.WriteFile(aof, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "replay", "--server-version", "7.2.4", aof)
	if r.code != 1 || !strings.Contains(r.err, "offset 50") || !strings.Contains(r.err, "line 13") || !strings.Contains(strings.ToLower(r.err), "foobar") {
		t.Errorf("unknown command: exit %d, stderr %q", r.code, r.err)
	}
	r = run(t, nil, "replay", "--server-version", "7.2.4", "--skip-unknown", "--keys", aof)
	if r.code != 0 || !strings.Contains(r.err, "skipped") || !strings.Contains(r.out, "\"a\"") || !strings.Contains(r.out, "\"b\"") {
		t.Errorf("--skip-unknown: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

// TestReplayExpired: replay of an RDB file drops the keys whose TTL is
// before --now, as a restarting primary does, and --digest is then the
// digest of the dataset without them; --as-replica keeps them (counted as
// already expired), and so does an AOF set's RDB preamble. None are before
// the test clock (the corpus TTLs are in 2100).
func TestReplayExpired(t *testing.T) {
	dir := corpusDir(t)
	f := filepath.Join(dir, "redis-7.4.1", "rdb", "dump.rdb")
	full := gtDigest(t, filepath.Join(dir, "redis-7.4.1", "rdb", "gt-dataset.json"))
	r := run(t, nil, "replay", "--digest", "--now", "2200-01-01T00:00:00Z", f)
	if r.code != 0 || !strings.Contains(r.out, "keys expired:\t9 not loaded") || !strings.Contains(r.out, "\nkeys:\t65\n") ||
		strings.Contains(r.out, "already expired") || strings.Contains(r.out, full) {
		t.Errorf("primary: exit %d:\n%s", r.code, r.out)
	}
	r = run(t, nil, "replay", "--digest", "--as-replica", "--now", "2200-01-01T00:00:00Z", f)
	if r.code != 0 || !strings.Contains(r.out, "already expired:\t9 ") || !strings.Contains(r.out, "\nkeys:\t74\n") ||
		strings.Contains(r.out, "keys expired") || !strings.Contains(r.out, "digest:\t"+full) {
		t.Errorf("--as-replica: exit %d:\n%s", r.code, r.out)
	}
	r = run(t, nil, "replay", "--now", "2200-01-01T00:00:00Z", filepath.Join(dir, "redis-7.4.1", "aof-preamble", "appendonlydir"))
	if r.code != 0 || !strings.Contains(r.out, "already expired:") || strings.Contains(r.out, "keys expired") {
		t.Errorf("AOF preamble: exit %d:\n%s", r.code, r.out)
	}
	r = run(t, nil, "replay", "--as-replica", filepath.Join(dir, "redis-7.4.1", "aof-preamble", "appendonlydir"))
	if r.code != 2 || !strings.Contains(r.err, "--as-replica changes how an RDB file loads") {
		t.Errorf("--as-replica on an AOF: exit %d, stderr %q", r.code, r.err)
	}
	r = run(t, nil, "replay", "--digest", f)
	if r.code != 0 || strings.Contains(r.out, "expired") || !strings.Contains(r.out, "digest:\t"+full) {
		t.Errorf("exit %d:\n%s", r.code, r.out)
	}
}

// TestReplayDigestNotesUndigestedKeys: the Redis 8.8 RDB 14 sample (two
// arrays, a v5 stream) replays to the DEBUG DIGEST its server reported,
// with no key left out; the far-index array file (five arrays with indices
// up to 2^64-2, whose digest the server never finishes) gets a note on
// five keys left out, and --json reports undigested_keys 5.
func TestReplayDigestNotesUndigestedKeys(t *testing.T) {
	dir := corpusDir(t)
	path := filepath.Join(dir, "newer", "redis-8.8dev-rdb14.rdb")
	r := run(t, nil, "replay", "--digest", path)
	if r.code != 0 || strings.Contains(r.out, "digest note") || !strings.Contains(r.out, "71dcc288816511f511cf2da7e5eb62631453128f") {
		t.Errorf("exit %d, want digest 71dcc288816511f511cf2da7e5eb62631453128f and no note:\n%s%s", r.code, r.out, r.err)
	}
	far := filepath.Join(dir, "redis-unstable-2026-06-09", "rdb", "dump-array-far.rdb")
	r = run(t, nil, "replay", "--digest", far)
	if r.code != 0 || !strings.Contains(r.out, "digest note:\t5 keys left out") {
		t.Errorf("exit %d, want a digest note on 5 keys:\n%s%s", r.code, r.out, r.err)
	}
	r = run(t, nil, "--json", "replay", "--keys", far)
	if r.code != 0 || !strings.Contains(r.out, `"undigested_keys":5`) {
		t.Errorf("--json: exit %d, want undigested_keys 5:\n%s%s", r.code, r.out, r.err)
	}
	r = run(t, nil, "replay", "--digest", sample)
	if r.code != 0 || strings.Contains(r.out, "digest note") {
		t.Errorf("%s: exit %d, want no digest note:\n%s", sample, r.code, r.out)
	}
}

// TestReplayFailuresSayWhy: every way replay fails on damaged input prints
// the reason on stderr and exits 3 (the server refuses these too); a torn
// tail of the last file is a warning and exit 0; empty keys are skipped
// with a warning, and verify keeps reporting them.
func TestReplayFailuresSayWhy(t *testing.T) {
	dir := corpusDir(t)
	dmg := filepath.Join(dir, "redis-7.0.15", "damaged")
	for _, c := range []struct{ set, want string }{
		{"aof-manifest-missing-file", `missing file "appendonly.aof.2.incr.aof"`},
		{"aof-manifest-missing-base", `missing file "appendonly.aof.2.base.rdb"`},
		{"aof-manifest-bad-line", "Invalid AOF manifest file format at line 2"},
		{"aof-manifest-bad-type", "Unknown AOF file type"},
		{"aof-incr-garbage", "format error: a record must start with '*' or '#'"},
		{"aof-base-rdb-truncated", "appendonly.aof.2.base.rdb: rdbfile:"},
		{"aof-base-aof-truncated", "the truncated file is not the last file of the set"},
	} {
		r := run(t, nil, "replay", "--digest", filepath.Join(dmg, c.set, "appendonlydir"))
		if r.code != 3 || r.out != "" || !strings.Contains(r.err, c.want) {
			t.Errorf("%s: exit %d, stdout %q, stderr %q; want exit 3 and %q", c.set, r.code, r.out, r.err, c.want)
		}
	}
	for _, f := range []string{"rdb-trunc-midvalue.rdb", "rdb-bad-checksum.rdb", "rdb-trunc-header.rdb"} {
		r := run(t, nil, "replay", filepath.Join(dmg, f))
		if r.code != 3 || r.out != "" || !strings.Contains(r.err, "rdbfile:") {
			t.Errorf("%s: exit %d, stdout %q, stderr %q", f, r.code, r.out, r.err)
		}
	}
	r := run(t, nil, "replay", filepath.Join(t.TempDir(), "missing.rdb"))
	if r.code != 1 || !strings.Contains(r.err, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", r.code, r.err)
	}

	r = run(t, nil, "replay", "--digest", filepath.Join(dmg, "aof-incr-truncated", "appendonlydir"))
	if r.code != 0 || !strings.Contains(r.out, "digest:\t21ab347c4196c11e3d6e4c080e3f373f4d474544") ||
		!strings.Contains(r.err, "rdbkit: warning: appendonly.aof.2.incr.aof: torn tail at offset 2025") ||
		!strings.Contains(r.err, "the server loads this with aof-load-truncated yes (the default) and drops 46 bytes") {
		t.Errorf("torn tail: exit %d\n%s%s", r.code, r.out, r.err)
	}
	conf := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(conf, []byte("appendonly yes\naof-load-truncated no\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "replay", "--config", conf, filepath.Join(dmg, "aof-incr-truncated", "appendonlydir"))
	if r.code != 3 || r.out != "" || !strings.Contains(r.err, "torn tail refused (aof-load-truncated no)") {
		t.Errorf("torn tail with aof-load-truncated no: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = run(t, nil, "--json", "replay", filepath.Join(dmg, "aof-incr-truncated", "appendonlydir"))
	recs := jsonLines(t, r.out)
	sum := recs[len(recs)-1]
	res := sum["result"].(map[string]any)
	if r.code != 0 || res["truncated"].(map[string]any)["bytes"] != 46.0 || len(sum["warnings"].([]any)) != 1 || r.err != "" {
		t.Errorf("torn tail --json: exit %d, summary %v, stderr %q", r.code, sum, r.err)
	}

	empty := filepath.Join(dir, "upstream-assets", "redis", "corrupt_empty_keys.rdb")
	r = run(t, nil, "replay", "--keys", empty)
	if r.code != 0 || r.out != "" || strings.Count(r.err, "rdbkit: warning:") != 9 || !strings.Contains(r.err, `key "list_quicklist_empty_ziplist": empty list skipped`) {
		t.Errorf("empty keys: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = run(t, nil, "verify", empty)
	if r.code != 3 || strings.Count(r.out, "empty ") < 8 {
		t.Errorf("verify of empty keys: exit %d\n%s", r.code, r.out)
	}
}
