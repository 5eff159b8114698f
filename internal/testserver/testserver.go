// Package testserver starts a real redis-server for tests: on 127.0.0.1, a
// free port, a directory of the test's choosing and a log file of its own,
// stopped (SHUTDOWN NOSAVE, then killed if need be) when the test ends.
// Tests skip with a message when no redis-server is installed; CI installs
// one (.ci/run).
package testserver

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/internal/serverproc"
)

// Bin returns the redis-server binary from PATH (else /usr/bin), or skips
// the test with a message naming what is missing.
func Bin(tb testing.TB) string {
	tb.Helper()
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/bin/redis-server"); err == nil {
		return "/usr/bin/redis-server"
	}
	tb.Skip("redis-server is not installed (PATH, /usr/bin): test against the real server skipped; .ci/run installs it")
	return ""
}

// Version returns the major and minor version of redis-server binary bin
// and its full version text ("7.0.15"), from `redis-server --version`.
func Version(tb testing.TB, bin string) (major, minor int, text string) {
	tb.Helper()
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		tb.Fatalf("%s --version: %v", bin, err)
	}
	m := regexp.MustCompile(`v=(\d+)\.(\d+)\.(\d+)`).FindSubmatch(out)
	if m == nil {
		tb.Fatalf("%s --version: cannot parse %q", bin, out)
	}
	major, _ = strconv.Atoi(string(m[1]))
	minor, _ = strconv.Atoi(string(m[2]))
	return major, minor, string(m[1]) + "." + string(m[2]) + "." + string(m[3])
}

// Server is a redis-server process started by Start (the process control
// of internal/serverproc, failing the test instead of returning errors).
type Server struct {
	*serverproc.Process
}

// Start runs redis-server binary bin with --port (a free one), --bind
// 127.0.0.1, --dir dir, --save "", --daemonize no and --logfile (a file in
// a temporary directory of the test), then extra arguments, which may
// override those. It returns once the server answers PING with PONG (it
// retries while the server is loading), and fails the test with the
// server's log if the server exits or has not answered within 30 s. The
// server is stopped (Stop) when the test ends.
func Start(tb testing.TB, bin, dir string, extra ...string) *Server {
	tb.Helper()
	p, err := serverproc.Start(context.Background(), bin, serverproc.Options{Dir: dir,
		LogFile: filepath.Join(tb.TempDir(), "redis-server.log"), Args: extra})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(p.Stop)
	return &Server{p}
}
