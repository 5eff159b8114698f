package testserver

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/serverproc"
	"github.com/rdbkit/rdbkit/release"
)

// VersionText returns server binary bin's version as the release table
// and engine.ParseServerVersion read it: "7.0.15" for Redis,
// "valkey-9.0.4" for Valkey (from its --version line).
func VersionText(tb testing.TB, bin string) string {
	tb.Helper()
	b, err := serverproc.Version(bin)
	if err != nil {
		tb.Fatal(err)
	}
	if b.Server == "Valkey" {
		return "valkey-" + b.Version
	}
	return b.Version
}

// ReleaseOf returns the release line of server binary bin in the release
// table (release.FromServerVersion of its --version). Development builds
// report 255.255.255: their line is the newest of their dialect whose RDB
// version is the one they SAVE (a server started and stopped here). It
// fails the test when no line fits.
func ReleaseOf(tb testing.TB, bin string) *release.Release {
	tb.Helper()
	text := VersionText(tb, bin)
	d := release.Redis
	if strings.HasPrefix(text, "valkey-") {
		d = release.Valkey
	}
	if r, ok := release.FromServerVersion(text); ok && !strings.HasSuffix(text, "255.255.255") {
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
		tb.Fatalf("%s (%s, SAVEs %s RDB %d): no release line in the table", bin, text, magic, n)
	}
	return line
}
