package testserver

import (
	"bufio"
	"net"
	"strings"
	"testing"
)

// TestStartStop starts the local redis-server, talks to it, kills it and
// starts another: Start waits for PING, Kill ends the process, and the
// cleanup's Stop copes with a server that is already gone.
func TestStartStop(t *testing.T) {
	bin := Bin(t)
	major, _, version := Version(t, bin)
	if major < 2 || !strings.Contains(version, ".") {
		t.Fatalf("version %q", version)
	}
	s := Start(t, bin, t.TempDir())
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	conn.Write([]byte("*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n"))
	r := bufio.NewReader(conn)
	if l1, _ := r.ReadString('\n'); l1 != "$2\r\n" {
		t.Fatalf("ECHO reply %q", l1)
	}
	conn.Close()
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if !s.Exited() || pong(s) {
		t.Fatal("server still up after Kill")
	}
	if !strings.Contains(s.Log(), "Ready to accept connections") {
		t.Errorf("log does not show the server starting:\n%s", s.Log())
	}
	s2 := Start(t, bin, t.TempDir(), "--databases", "4")
	if !pong(s2) {
		t.Fatal("second server does not answer")
	}
}

func pong(s *Server) bool {
	r, err := s.Do(0, "PING")
	return err == nil && r == "PONG"
}
