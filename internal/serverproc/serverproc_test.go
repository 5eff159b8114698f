package serverproc_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/serverproc"
	"github.com/rdbkit/rdbkit/internal/testserver"
)

// TestProcess starts the installed redis-server, asks it for a reply of
// each kind, stops it by its PID and checks it is gone; a server that
// cannot start (a bad argument) is an ErrExited error carrying its log.
func TestProcess(t *testing.T) {
	bin := testserver.Bin(t)
	b, err := serverproc.Version(bin)
	if err != nil {
		t.Fatal(err)
	}
	if b.Server != "Redis" || strings.Count(b.Version, ".") != 2 || b.Malloc == "" {
		t.Fatalf("Version = %+v", b)
	}
	dir := t.TempDir()
	p, err := serverproc.Start(context.Background(), bin, serverproc.Options{Dir: dir, LogFile: filepath.Join(dir, "log")})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Stop()
	if r, err := p.Do(0, "ECHO", "hi"); err != nil || r != "hi" {
		t.Fatalf("ECHO = %q, %v", r, err)
	}
	if r, err := p.Do(0, "DBSIZE"); err != nil || r != "0" {
		t.Fatalf("DBSIZE = %q, %v", r, err)
	}
	var se *serverproc.Error
	if _, err := p.Do(0, "NOSUCHCOMMAND"); !errors.As(err, &se) {
		t.Fatalf("unknown command: %v", err)
	}
	// Pipeline: every command runs, and the first error reply is returned.
	var cmds [][]string
	for i := 0; i < 5000; i++ {
		cmds = append(cmds, []string{"RPUSH", "l", itoa(i)})
	}
	if err := p.Pipeline(0, cmds); err != nil {
		t.Fatalf("Pipeline: %v", err)
	}
	if r, err := p.Do(0, "LLEN", "l"); err != nil || r != "5000" {
		t.Fatalf("LLEN after a pipeline of 5000 RPUSH = %q, %v", r, err)
	}
	if err := p.Pipeline(0, [][]string{{"SET", "a", "1"}, {"INCRBY", "a", "x"}, {"NOSUCHCOMMAND"}}); !errors.As(err, &se) || !strings.Contains(se.Msg, "not an integer") {
		t.Fatalf("Pipeline with error replies: %v, want the first (INCRBY's)", err)
	}
	// WaitBGSave: returns once the BGSAVE is done, with its status ok.
	if _, err := p.Do(0, "BGSAVE"); err != nil {
		t.Fatal(err)
	}
	if per, err := p.WaitBGSave(context.Background()); err != nil || per["rdb_bgsave_in_progress"] != "0" || per["rdb_last_bgsave_status"] != "ok" {
		t.Fatalf("WaitBGSave = %v, %v", per, err)
	}
	info, err := p.Info("server")
	if err != nil || !strings.HasPrefix(b.Version, info["redis_version"]) || info["process_id"] == "" {
		t.Fatalf("INFO server: %v %v", info, err)
	}
	if info["process_id"] != itoa(p.PID()) {
		t.Fatalf("process_id %s, PID %d", info["process_id"], p.PID())
	}
	p.Stop()
	if !p.Exited() {
		t.Fatal("server still running after Stop")
	}
	if _, err := p.Do(time.Second, "PING"); err == nil {
		t.Fatal("server answers after Stop")
	}
	p.Stop() // harmless
	if !strings.Contains(p.Log(), "Ready to accept connections") {
		t.Errorf("log does not show the server starting:\n%s", p.Log())
	}

	_, err = serverproc.Start(context.Background(), bin, serverproc.Options{Dir: dir, LogFile: filepath.Join(dir, "log2"),
		Args: []string{"--maxmemory-policy", "no-such-policy"}})
	if !errors.Is(err, serverproc.ErrExited) {
		t.Fatalf("bad argument: %v", err)
	}
}

func itoa(n int) string {
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}
