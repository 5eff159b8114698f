// Package serverproc starts and stops a real redis-server or valkey-server
// process and talks to it: on 127.0.0.1, a free port, a directory of the
// caller's choosing and a log file of its own, stopped by its process id
// (SHUTDOWN NOSAVE, then SIGKILL if it has not exited). It is what
// "rdbkit estimate --calibrate" and the tests (internal/testserver) use;
// it holds no format logic.
package serverproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/rdbkit/rdbkit/aoffile"
)

// Build is what `<server> --version` says about a binary.
type Build struct {
	Server  string // "Redis" or "Valkey"
	Version string // "7.0.15"
	Malloc  string // "jemalloc-5.3.0", "libc"
	Text    string // the whole line, trimmed
}

var versionLine = regexp.MustCompile(`^(Redis|Valkey|KeyDB) server v=(\d+\.\d+\.\d+)`)

// Version runs `bin --version` and parses its line ("Redis server
// v=7.0.15 sha=... malloc=jemalloc-5.3.0 bits=64 build=...").
func Version(bin string) (Build, error) {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return Build{}, fmt.Errorf("%s --version: %w", bin, err)
	}
	line := strings.TrimSpace(string(out))
	m := versionLine.FindStringSubmatch(line)
	if m == nil {
		return Build{}, fmt.Errorf("%s --version: not a Redis or Valkey server: %q", bin, line)
	}
	b := Build{Server: m[1], Version: m[2], Text: line}
	for _, f := range strings.Fields(line) {
		if v, ok := strings.CutPrefix(f, "malloc="); ok {
			b.Malloc = v
		}
	}
	return b, nil
}

// Options choose how Start runs the server.
type Options struct {
	Dir     string   // the server's --dir (required)
	LogFile string   // the server's --logfile (required)
	Args    []string // more arguments, after (and overriding) Start's own
	// Timeout bounds the wait for the first PONG (0: 30 s).
	Timeout time.Duration
}

// Process is a server started by Start.
type Process struct {
	Port    int
	Dir     string
	LogFile string
	cmd     *exec.Cmd
	done    chan error // the process's exit; the value is put back after reading
}

// ErrExited is matched (errors.Is) by the error Start returns when the
// server exited before it answered.
var ErrExited = errors.New("serverproc: the server exited")

// Start runs bin with --port (a free one), --bind 127.0.0.1, --dir,
// --save "", --daemonize no and --logfile, then o.Args. It returns once the
// server answers PING with PONG (a loading server answers -LOADING, and
// Start keeps asking), or an error, with the server stopped, when it
// exited (ErrExited), ctx ended or o.Timeout passed.
func Start(ctx context.Context, bin string, o Options) (*Process, error) {
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p := &Process{Port: port, Dir: o.Dir, LogFile: o.LogFile, done: make(chan error, 1)}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", o.Dir, "--save", "",
		"--daemonize", "no", "--logfile", o.LogFile}, o.Args...)
	p.cmd = exec.Command(bin, args...)
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	timeout := o.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	deadline := time.Now().Add(timeout)
	for {
		if p.Exited() {
			return nil, fmt.Errorf("%w at start (%s); its log:\n%s", ErrExited, bin, p.Log())
		}
		if p.ping() {
			return p, nil
		}
		if err := ctx.Err(); err != nil {
			p.Kill()
			return nil, err
		}
		if time.Now().After(deadline) {
			p.Kill()
			return nil, fmt.Errorf("%s did not answer PING on port %d within %s; its log:\n%s", bin, port, timeout, p.Log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// PID is the server's process id.
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Addr is the server's host:port.
func (p *Process) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.Port) }

// Log returns the server's log so far ("" if it cannot be read).
func (p *Process) Log() string {
	b, _ := os.ReadFile(p.LogFile)
	return string(b)
}

// Exited reports whether the process has ended.
func (p *Process) Exited() bool {
	select {
	case err := <-p.done:
		p.done <- err
		return true
	default:
		return false
	}
}

// Kill ends the process with SIGKILL, as a crash would, and waits for it.
func (p *Process) Kill() error {
	if p.Exited() {
		return nil
	}
	if err := p.cmd.Process.Kill(); err != nil {
		return err
	}
	err := <-p.done
	p.done <- err
	return nil
}

// Stop asks the server for SHUTDOWN NOSAVE and kills it (by its PID) if it
// has not exited 10 s later. Calling it again is harmless.
func (p *Process) Stop() {
	if p.Exited() {
		return
	}
	if conn, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		conn.Write(appendCommand(nil, "SHUTDOWN", "NOSAVE"))
		bufio.NewReader(conn).ReadString('\n') // the server closes the connection
		conn.Close()
	}
	select {
	case err := <-p.done:
		p.done <- err
	case <-time.After(10 * time.Second):
		p.Kill()
	}
}

// An Error is an error reply of the server ("-ERR ...").
type Error struct{ Msg string }

func (e *Error) Error() string { return "server replied: " + e.Msg }

// Do sends one command on a fresh connection and returns the reply: a
// simple or bulk string as is, an integer in decimal. Arrays are refused.
// It waits at most timeout (0: 60 s) for the reply.
func (p *Process) Do(timeout time.Duration, args ...string) (string, error) {
	if timeout == 0 {
		timeout = time.Minute
	}
	conn, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	if _, err := conn.Write(appendCommand(nil, args...)); err != nil {
		return "", err
	}
	return readReply(bufio.NewReader(conn))
}

// Pipeline sends cmds on one fresh connection, all before reading a reply,
// then reads one reply per command (none an array) and returns the first
// error reply, if any. It waits at most timeout (0: 60 s) in all.
func (p *Process) Pipeline(timeout time.Duration, cmds [][]string) error {
	if timeout == 0 {
		timeout = time.Minute
	}
	conn, err := net.DialTimeout("tcp", p.Addr(), 2*time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(timeout))
	errc := make(chan error, 1)
	go func() {
		w := bufio.NewWriter(conn)
		var buf []byte
		for _, c := range cmds {
			buf = appendCommand(buf[:0], c...)
			if _, err := w.Write(buf); err != nil {
				errc <- err
				return
			}
		}
		errc <- w.Flush()
	}()
	r := bufio.NewReader(conn)
	var first error
	for range cmds {
		if _, err := readReply(r); err != nil {
			var e *Error
			if !errors.As(err, &e) {
				return err
			}
			if first == nil {
				first = err
			}
		}
	}
	if err := <-errc; err != nil {
		return err
	}
	return first
}

// WaitBGSave waits until no BGSAVE runs (INFO persistence
// rdb_bgsave_in_progress 0), polling every 20 ms, and returns the
// persistence fields then. It fails when the last BGSAVE's status is not
// ok (the error carries the server's log), and when ctx ends.
func (p *Process) WaitBGSave(ctx context.Context) (map[string]string, error) {
	for {
		per, err := p.Info("persistence")
		if err != nil {
			return nil, err
		}
		if per["rdb_bgsave_in_progress"] == "0" {
			if per["rdb_last_bgsave_status"] != "ok" {
				return per, fmt.Errorf("BGSAVE failed; the server's log:\n%s", p.Log())
			}
			return per, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Info returns the fields of INFO section ("memory", "persistence", ...).
func (p *Process) Info(section string) (map[string]string, error) {
	s, err := p.Do(0, "INFO", section)
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, ln := range strings.Split(s, "\n") {
		if k, v, ok := strings.Cut(strings.TrimRight(ln, "\r"), ":"); ok && !strings.HasPrefix(k, "#") {
			m[k] = v
		}
	}
	return m, nil
}

// readReply reads one RESP2 reply that is not an array.
func readReply(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("serverproc: empty reply")
	}
	switch line[0] {
	case '+', ':':
		return line[1:], nil
	case '-':
		return "", &Error{Msg: line[1:]}
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < -1 || n > 64<<20 {
			return "", fmt.Errorf("serverproc: bad bulk length %q", line)
		}
		if n == -1 {
			return "", nil
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return "", err
		}
		return string(b[:n]), nil
	}
	return "", fmt.Errorf("serverproc: unexpected reply %q", line)
}

// ping sends one PING and reports whether the reply was PONG.
func (p *Process) ping() bool {
	s, err := p.Do(2*time.Second, "PING")
	return err == nil && s == "PONG"
}

func appendCommand(dst []byte, args ...string) []byte {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	return aoffile.AppendCommand(dst, argv...)
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("no local TCP listener: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
