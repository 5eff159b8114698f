// Package testserver starts a real redis-server for tests: on 127.0.0.1, a
// free port, a directory of the test's choosing and a log file of its own,
// stopped (SHUTDOWN NOSAVE, then killed if need be) when the test ends.
// Tests skip with a message when no redis-server is installed; CI installs
// one (.ci/run).
package testserver

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
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

// Server is a redis-server process started by Start.
type Server struct {
	Port int
	Dir  string // the server's --dir
	log  string
	cmd  *exec.Cmd
	done chan error // the process's exit; the value is put back after reading
}

// Start runs redis-server binary bin with --port (a free one), --bind
// 127.0.0.1, --dir dir, --save "", --daemonize no and --logfile (a file in
// a temporary directory of the test), then extra arguments, which may
// override those. It returns once the server answers PING with PONG (it
// retries while the server is loading), and fails the test with the
// server's log if the server exits or has not answered within 30 s.
func Start(tb testing.TB, bin, dir string, extra ...string) *Server {
	tb.Helper()
	s := &Server{Port: freePort(tb), Dir: dir, log: filepath.Join(tb.TempDir(), "redis-server.log"), done: make(chan error, 1)}
	args := append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--daemonize", "no", "--logfile", s.log}, extra...)
	s.cmd = exec.Command(bin, args...)
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("starting %s: %v", bin, err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	tb.Cleanup(s.Stop)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if s.Exited() {
			tb.Fatalf("redis-server exited at start\n%s", s.Log())
		}
		if s.ping() {
			return s
		}
		if time.Now().After(deadline) {
			tb.Fatalf("redis-server did not answer PING on port %d\n%s", s.Port, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// PID is the server's process id.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Addr is the server's host:port.
func (s *Server) Addr() string { return "127.0.0.1:" + strconv.Itoa(s.Port) }

// Log returns the server's log so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.log)
	return string(b)
}

// Exited reports whether the process has ended.
func (s *Server) Exited() bool {
	select {
	case err := <-s.done:
		s.done <- err
		return true
	default:
		return false
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (s *Server) Kill() error {
	if s.Exited() {
		return nil
	}
	if err := s.cmd.Process.Kill(); err != nil {
		return err
	}
	err := <-s.done
	s.done <- err
	return nil
}

// Stop asks the server for SHUTDOWN NOSAVE and kills it if it has not
// exited 10 s later. Start registers it as a cleanup; calling it again is
// harmless.
func (s *Server) Stop() {
	if s.Exited() {
		return
	}
	if conn, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write([]byte("*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n"))
		bufio.NewReader(conn).ReadString('\n') // the server closes the connection
		conn.Close()
	}
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(10 * time.Second):
		s.Kill()
	}
}

// ping sends one PING on a fresh connection and reports whether the reply
// was PONG (a loading server answers -LOADING).
func (s *Server) ping() bool {
	conn, err := net.DialTimeout("tcp", s.Addr(), 200*time.Millisecond)
	if err != nil {
		return false
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	return err == nil && strings.TrimRight(line, "\r\n") == "+PONG"
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Skip("no local TCP listener: ", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
