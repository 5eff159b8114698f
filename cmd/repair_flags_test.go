package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/repair"
)

// TestTornTailIsAWarning: the corpus's truncated AOF sets load on a server
// with the default aof-load-truncated yes, so verify and inspect warn and
// exit 0; --strict, or a --config with aof-load-truncated no, exit 3.
func TestTornTailIsAWarning(t *testing.T) {
	c := corpusDir(t)
	conf := filepath.Join(t.TempDir(), "redis.conf")
	os.WriteFile(conf, []byte("appendonly yes\naof-load-truncated no\n"), 0o644)
	confYes := filepath.Join(t.TempDir(), "redis.conf")
	os.WriteFile(confYes, []byte("aof-load-truncated yes\n"), 0o644)
	for _, srv := range aofServers {
		p := filepath.Join(c, srv, "damaged/aof-incr-truncated/appendonlydir")
		t.Run(srv, func(t *testing.T) {
			r := run(t, nil, "verify", p)
			if r.code != 0 || !strings.Contains(r.out, "the server loads this with aof-load-truncated yes (the default) and drops 46 bytes") ||
				!strings.Contains(r.out, "verdict:\ttruncated") || !strings.Contains(r.out, "stop the server first") {
				t.Errorf("verify: exit %d\n%s", r.code, r.out)
			}
			if r := run(t, nil, "inspect", p); r.code != 0 || !strings.Contains(r.out, "drops 46 bytes") {
				t.Errorf("inspect: exit %d\n%s", r.code, r.out)
			}
			if r := run(t, nil, "verify", "--strict", p); r.code != 3 || !strings.Contains(r.out, "--strict counts it as damage") {
				t.Errorf("verify --strict: exit %d\n%s", r.code, r.out)
			}
			if r := run(t, nil, "verify", "--config", conf, p); r.code != 3 || !strings.Contains(r.out, "aof-load-truncated no") {
				t.Errorf("verify --config (aof-load-truncated no): exit %d\n%s", r.code, r.out)
			}
			if r := run(t, nil, "verify", "--config", confYes, p); r.code != 0 {
				t.Errorf("verify --config (aof-load-truncated yes): exit %d\n%s", r.code, r.out)
			}
			r = run(t, nil, "verify", "--json", p)
			set := byType(jsonLines(t, r.out), "aof_set")[0]
			if set["status"] != "truncated" || set["dropped_bytes"] != 46.0 || set["exit_code"] != 0.0 || len(set["warnings"].([]any)) != 1 {
				t.Errorf("verify --json: %v", set)
			}
			files := byType(jsonLines(t, r.out), "aof_file")
			if files[len(files)-1]["status"] != "truncated" {
				t.Errorf("last aof_file: %v", files[len(files)-1]["status"])
			}
		})
	}
	// Damage in the middle is still damage, and its suggestion says to
	// stop the server first.
	r := run(t, nil, "verify", filepath.Join(c, "redis-7.0.15/damaged/aof-incr-garbage/appendonlydir"))
	if r.code != 3 || !strings.Contains(r.out, "repair:\tstop the server first, then: rdbkit repair --skip-corrupt --yes") {
		t.Errorf("garbage: exit %d\n%s", r.code, r.out)
	}
}

// TestRepairFlagConflicts: flags that do not go together are usage errors
// (exit 2), before anything is read.
func TestRepairFlagConflicts(t *testing.T) {
	p := filepath.Join(corpusDir(t), "redis-7.0.15/damaged/aof-incr-garbage/appendonlydir")
	for _, args := range [][]string{
		{"--skip-corrupt", "--drop-after", "--dry-run", p},
		{"--dry-run", "--yes", p},
		{"--output", "x", "--backup-dir", "y", "--yes", p},
		{"--force", "--dry-run", p},
		{"--undo", "x", p},
		{"--undo", "x", "--skip-corrupt"},
		{"--undo", "x", "--dry-run"},
		{"--to-timestamp", "yesterday", "--dry-run", p},
		{"--to-timestamp", "-5", "--dry-run", p},
		{"--now", "0", "--dry-run", p},
		{},
	} {
		r := run(t, nil, append([]string{"repair"}, args...)...)
		if r.code != 2 {
			t.Errorf("repair %v: exit %d, want 2\n%s", args, r.code, r.err)
		}
	}
}

// TestRepairDryRunNeverExits4: a dry run that would drop commands exits 0
// (4 means "repaired"); the plan says data_dropped.
func TestRepairDryRunNeverExits4(t *testing.T) {
	p := filepath.Join(corpusDir(t), "redis-7.0.15/damaged/aof-incr-garbage/appendonlydir")
	r := run(t, nil, "repair", "--dry-run", "--json", "--skip-corrupt", p)
	rec := byType(jsonLines(t, r.out), "repair")[0]
	if r.code != 0 || rec["exit_code"] != 0.0 || rec["plan"].(map[string]any)["data_dropped"] != true {
		t.Errorf("--dry-run --skip-corrupt: exit %d\n%s", r.code, r.out)
	}
	out := filepath.Join(t.TempDir(), "out")
	if r := run(t, nil, "repair", "--yes", "--skip-corrupt", "--output", out, p); r.code != 4 {
		t.Errorf("--yes --skip-corrupt: exit %d, want 4", r.code)
	}
}

// TestRepairToTimestampForms: --to-timestamp takes the forms of replay
// --until (one parser): RFC 3339, unix seconds and unix ms give one plan.
func TestRepairToTimestampForms(t *testing.T) {
	p := filepath.Join(corpusDir(t), "redis-7.0.15/aof-timestamp/appendonlydir")
	var plans []string
	for _, ts := range []string{"1795236558", "2026-11-21T04:49:18Z", "2026-11-21T05:49:18.5+01:00", "1795236558999"} {
		r := run(t, nil, "repair", "--dry-run", "--json", "--to-timestamp", ts, p)
		if r.code != 0 {
			t.Fatalf("--to-timestamp %s: exit %d\n%s", ts, r.code, r.err)
		}
		plans = append(plans, r.out)
	}
	for i := 1; i < len(plans); i++ {
		if plans[i] != plans[0] {
			t.Errorf("plan %d differs from the unix-seconds one:\n%s\n%s", i, plans[i], plans[0])
		}
	}
	if !strings.Contains(plans[0], `"action":"truncate","truncate_at":945`) {
		t.Errorf("the plan does not cut at the first #TS after the time:\n%s", plans[0])
	}
}

// TestLeftoversWarnedAndRemoved: a temp file of a killed run is named by
// verify and inspect, and removed by the next repair --yes, which says so;
// one that is newer than the run is kept.
func TestLeftoversWarnedAndRemoved(t *testing.T) {
	src := filepath.Join(corpusDir(t), "redis-7.0.15/damaged/aof-incr-truncated/appendonlydir")
	dir := filepath.Join(copyTree(t, src), "appendonlydir")
	old := filepath.Join(dir, repair.TempPrefix+"123")
	bak := repair.BackupDirName(dir, fixedNow.Add(-time.Hour))
	os.MkdirAll(bak, 0o755)
	oldBak := filepath.Join(bak, repair.TempPrefix+"456")
	newer := filepath.Join(dir, repair.TempPrefix+"789")
	for _, p := range []string{old, oldBak, newer} {
		os.WriteFile(p, make([]byte, 1000), 0o644)
	}
	for _, p := range []string{old, oldBak} {
		os.Chtimes(p, fixedNow.Add(-time.Hour), fixedNow.Add(-time.Hour))
	}
	os.Chtimes(newer, fixedNow.Add(time.Hour), fixedNow.Add(time.Hour))
	for _, cmd := range []string{"verify", "inspect"} {
		r := run(t, nil, cmd, dir)
		if !strings.Contains(r.out, "warning:\tleftover "+old+" (1000 bytes)") || !strings.Contains(r.out, oldBak) {
			t.Errorf("%s does not warn about the leftovers:\n%s", cmd, r.out)
		}
	}
	r := run(t, nil, "repair", "--yes", "--json", dir)
	if r.code != 0 || !strings.Contains(r.err, "removed "+old+" (1000 bytes)") || !strings.Contains(r.err, "removed "+oldBak) {
		t.Fatalf("repair: exit %d\n%s", r.code, r.err)
	}
	rec := byType(jsonLines(t, r.out), "repair")[0]
	if n := len(rec["leftovers"].([]any)); n != 3 {
		t.Errorf("JSON leftovers: %v", rec["leftovers"])
	}
	for p, want := range map[string]bool{old: false, oldBak: false, newer: true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", p, err == nil, want)
		}
	}
}

// TestVerifyQuietManyFiles: verify --quiet over several inputs prints one
// line per input with a problem and a summary, nothing per intact input.
func TestVerifyQuietManyFiles(t *testing.T) {
	c := corpusDir(t)
	inputs := []string{
		sample,
		filepath.Join(c, "redis-7.0.15/damaged/rdb-trunc-midvalue.rdb"),
		filepath.Join(c, "redis-7.0.15/damaged/rdb-bad-checksum.rdb"),
		filepath.Join(c, "redis-7.0.15/aof-preamble/appendonlydir"),
		filepath.Join(c, "redis-7.0.15/damaged/aof-incr-garbage/appendonlydir"),
	}
	r := run(t, nil, append([]string{"verify", "--quiet"}, inputs...)...)
	lines := strings.Split(strings.TrimSpace(r.out), "\n")
	if r.code != 3 || len(lines) != 4 || !strings.HasPrefix(lines[3], "summary:\t5 files: 2 intact, 3 damaged") {
		t.Fatalf("exit %d, %d lines:\n%s", r.code, len(lines), r.out)
	}
	for _, in := range inputs[1:3] {
		if !strings.Contains(r.out, in+":\tDAMAGED") {
			t.Errorf("no line for %s:\n%s", in, r.out)
		}
	}
	if !strings.Contains(r.out, inputs[4]+":\tdamaged: ") {
		t.Errorf("no line for the damaged AOF set:\n%s", r.out)
	}
}

// TestRepairFailureJSON: every failure after the flags are read still
// writes the repair record, with the error and what was not changed.
func TestRepairFailureJSON(t *testing.T) {
	c := corpusDir(t)
	for _, tc := range []struct {
		path string
		code int
	}{
		{filepath.Join(t.TempDir(), "missing"), 1},
		{filepath.Join(c, "redis-7.0.15/damaged/aof-manifest-bad-line/appendonlydir"), 3},
	} {
		r := run(t, nil, "repair", "--yes", "--json", tc.path)
		recs := byType(jsonLines(t, r.out), "repair")
		if r.code != tc.code || len(recs) != 1 || recs[0]["error"] == "" || recs[0]["exit_code"] != float64(tc.code) {
			t.Errorf("%s: exit %d, want %d\n%s%s", tc.path, r.code, tc.code, r.out, r.err)
		}
		if !strings.Contains(r.err, "nothing was changed") {
			t.Errorf("%s: stderr does not say nothing was changed:\n%s", tc.path, r.err)
		}
	}
}
