package testserver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/serverproc"
	"github.com/rdbkit/rdbkit/release"
)

// ReleaseOf returns the release line of server binary bin in the release
// table (release.FromServerVersion of its --version). Development builds
// report 255.255.255: their line is the newest of their dialect whose RDB
// version is the one they SAVE (a server started and stopped here). It
// fails the test when no line fits.
func ReleaseOf(tb testing.TB, bin string) *release.Release {
	tb.Helper()
	b, err := serverproc.Version(bin)
	if err != nil {
		tb.Fatal(err)
	}
	text := b.Version
	d := release.Redis
	if b.Server == "Valkey" {
		text, d = "valkey-"+text, release.Valkey
	}
	if r, ok := release.FromServerVersion(text); ok && b.Version != "255.255.255" {
		return r
	}
	dir := tb.TempDir()
	p, err := serverproc.Start(context.Background(), bin, serverproc.Options{Dir: dir, LogFile: filepath.Join(dir, "server.log")})
	if err != nil {
		tb.Fatal(err)
	}
	defer p.Stop()
	if _, err := p.Do(30*time.Second, "SAVE"); err != nil {
		tb.Fatalf("%s: SAVE: %v", bin, err)
	}
	hdr := make([]byte, 9)
	f, err := os.Open(filepath.Join(dir, "dump.rdb"))
	if err == nil {
		_, err = f.ReadAt(hdr, 0)
		f.Close()
	}
	if err != nil {
		tb.Fatalf("%s: reading its dump.rdb: %v", bin, err)
	}
	magic, ver := "REDIS", string(hdr[5:])
	if string(hdr[:6]) == "VALKEY" {
		magic, ver = "VALKEY", string(hdr[6:])
	}
	n, err := strconv.Atoi(ver)
	if err != nil {
		tb.Fatalf("%s: its dump.rdb starts %q", bin, hdr)
	}
	var line *release.Release
	for _, r := range release.All() {
		if r.Dialect == d && r.Magic == magic && r.RDB == n {
			line = r // release.All is oldest first
		}
	}
	if line == nil {
		tb.Fatalf("%s (%s, SAVEs %s RDB %d): no release line in the table", bin, b.Version, magic, n)
	}
	return line
}
