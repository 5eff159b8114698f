package testserver

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
)

// Releases returns the server binaries a test can compare with: the
// installed redis-server (PATH, else /usr/bin; Debian 12 ships 7.0.15), if
// any, then one binary per release folder of the directory named by the
// RDBKIT_SERVERS environment variable: <dir>/<release>/ holding
// redis-server or valkey-server (directly, or under src/ or bin/), in
// folder-name order. Without RDBKIT_SERVERS it logs that the other
// releases are not run; the list may be empty.
func Releases(tb testing.TB) []string {
	tb.Helper()
	var bins []string
	if p, err := exec.LookPath("redis-server"); err == nil {
		bins = append(bins, p)
	} else if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		bins = append(bins, "/usr/bin/redis-server")
	}
	root := os.Getenv("RDBKIT_SERVERS")
	if root == "" {
		tb.Log("RDBKIT_SERVERS is not set (one folder per release, each holding redis-server or valkey-server): only the installed redis-server is run")
		return bins
	}
	dirs, err := os.ReadDir(root)
	if err != nil {
		tb.Fatalf("RDBKIT_SERVERS: %v", err)
	}
	sort.Slice(dirs, func(i, j int) bool { return dirs[i].Name() < dirs[j].Name() })
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		found := false
		for _, rel := range []string{"redis-server", "valkey-server", "src/redis-server", "src/valkey-server", "bin/redis-server", "bin/valkey-server"} {
			p := filepath.Join(root, d.Name(), rel)
			if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
				bins = append(bins, p)
				found = true
				break
			}
		}
		if !found {
			tb.Logf("RDBKIT_SERVERS: %s holds no redis-server or valkey-server (yet): skipped", d.Name())
		}
	}
	return bins
}
