package rdbscan_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/serverproc"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/rdbscan"
)

// TestCompatServers checks the verdicts of `verify --target` against the
// servers themselves. Every distinct good RDB of testdata/ and the corpus
// is given, as dump.rdb, to every server of testserver.Releases (Debian's
// 7.0.15 in CI; the releases of RDBKIT_SERVERS locally) at its start, with
// the default configuration. Where Compat says the server's release line
// loads the file, the server must start; where it says refused or
// conditional, the server must refuse the file and exit. A conditional
// verdict whose conditions are all settings (rdb-version-check relaxed,
// databases) is then tried with those settings, and the server must load
// the file. It logs a table of server x verdict x files.
func TestCompatServers(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: one server start per file and server")
	}
	bins := testserver.Releases(t)
	if len(bins) == 0 {
		t.Skip("no redis-server installed and RDBKIT_SERVERS names none: the verdicts are not checked against a server")
	}
	files := testcorpus.DistinctGoodRDBs(t)
	var table []string
	for _, bin := range bins {
		rel := testserver.ReleaseOf(t, bin)
		name := filepath.Base(filepath.Dir(bin))
		if root := os.Getenv("RDBKIT_SERVERS"); root == "" || !strings.HasPrefix(bin, filepath.Clean(root)+string(filepath.Separator)) {
			name = "installed " + filepath.Base(bin)
		}
		var n [3]int
		relaxed := 0
		for _, p := range files {
			v := compatOf(t, p, rel.Name)
			n[v.Status]++
			what := fmt.Sprintf("%s (%s): %s: verdict %s", name, rel.Name, filepath.Base(p), v.Status)
			loaded, log := startWith(t, bin, p)
			switch {
			case v.Status == rdbscan.CompatLoads && !loaded:
				t.Errorf("%s, but the server refused it:\n%s", what, log)
			case v.Status != rdbscan.CompatLoads && loaded:
				t.Errorf("%s (%v), but the server loaded it", what, describe(v))
			}
			if v.Status != rdbscan.CompatConditional {
				continue
			}
			args, ok := settings(t, v)
			if !ok {
				continue // a module: not a setting
			}
			if ok, log := startWith(t, bin, p, args...); !ok {
				t.Errorf("%s: the server refused it with %q:\n%s", what, args, log)
			}
			relaxed++
		}
		table = append(table, fmt.Sprintf("| %s | %s | %d | %d | %d (%d loaded with their settings) |", name, rel.Name, n[rdbscan.CompatLoads], n[rdbscan.CompatRefused], n[rdbscan.CompatConditional], relaxed))
	}
	t.Logf("%d files\n| server | release line | loads: started | refused: exited | conditional: exited |\n|---|---|---|---|---|\n%s", len(files), strings.Join(table, "\n"))
}

// settings returns the server arguments that meet every condition of a
// conditional verdict, and false when one is not a setting (a module).
func settings(t *testing.T, v rdbscan.CompatVerdict) ([]string, bool) {
	var args []string
	for _, pr := range v.Problems {
		switch c := pr.Condition; {
		case c == "rdb-version-check relaxed":
			args = append(args, "--rdb-version-check", "relaxed")
		case strings.HasPrefix(c, "config databases > "):
			d, err := strconv.Atoi(strings.TrimPrefix(c, "config databases > "))
			if err != nil {
				t.Fatalf("condition %q", c)
			}
			args = append(args, "--databases", strconv.Itoa(d+1))
		default:
			return nil, false
		}
	}
	return args, true
}

// startWith starts bin on a copy of the RDB file p (its dump.rdb) with the
// default configuration and args, and reports whether it loaded the file
// (it answered PING) or exited, with the tail of its log. The server is
// stopped.
func startWith(t *testing.T, bin, p string, args ...string) (bool, string) {
	t.Helper()
	dir := t.TempDir()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "server.log")
	srv, err := serverproc.Start(context.Background(), bin, serverproc.Options{Dir: dir, LogFile: logFile, Args: args, Timeout: time.Minute})
	log, _ := os.ReadFile(logFile)
	if len(log) > 1500 {
		log = log[len(log)-1500:]
	}
	if err != nil {
		if !errors.Is(err, serverproc.ErrExited) {
			t.Fatal(err)
		}
		return false, string(log)
	}
	srv.Stop()
	return true, string(log)
}

func describe(v rdbscan.CompatVerdict) string {
	var s []string
	for _, p := range v.Problems {
		s = append(s, p.Describe())
	}
	return strings.Join(s, "; ")
}
