package engine

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// releaseBins lists the server binaries to test against: the installed
// redis-server (Debian 12: 7.0.15), if any, and one per release folder of
// RDBKIT_SERVERS (<dir>/<release>/redis-server or valkey-server, also
// under src/). Without RDBKIT_SERVERS the other releases are skipped with
// a message, and the tests' hand-derived expectations (from each release's
// source) stand in for them.
func releaseBins(t *testing.T) []string {
	t.Helper()
	var bins []string
	if p, err := exec.LookPath("redis-server"); err == nil {
		bins = append(bins, p)
	} else if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		bins = append(bins, "/usr/bin/redis-server")
	}
	root := os.Getenv("RDBKIT_SERVERS")
	if root == "" {
		t.Log("RDBKIT_SERVERS is not set: releases other than the installed redis-server are checked against expectations derived from their source only")
		return bins
	}
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatalf("RDBKIT_SERVERS: %v", err)
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name() < dirs[j].Name() })
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		for _, rel := range []string{"redis-server", "valkey-server", "src/redis-server", "src/valkey-server", "bin/redis-server", "bin/valkey-server"} {
			p := filepath.Join(root, d.Name(), rel)
			if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
				bins = append(bins, p)
				break
			}
		}
	}
	return bins
}
