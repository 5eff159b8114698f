package estimate_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// TestLoadedEncodingServer proves LoadedEncoding against real servers:
// each release in RDBKIT_SERVERS (and the installed redis-server) loads the
// file of loadedFile, whose values are all in plain encodings, and its
// OBJECT ENCODING of every key is the encoding LoadedEncoding predicts with
// that release's default limits.
func TestLoadedEncodingServer(t *testing.T) {
	file := loadedFile(t)
	for _, bin := range testserver.Releases(t) {
		major, minor, _ := testserver.Version(t, bin)
		d := release.Redis
		if strings.HasPrefix(filepath.Base(bin), "valkey") {
			d = release.Valkey
		}
		rel, ok := release.ForVersion(d, major, minor)
		if !ok {
			t.Logf("%s: no release line for %d.%d", bin, major, minor)
			continue
		}
		t.Run(filepath.Base(filepath.Dir(bin)), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), file, 0o644); err != nil {
				t.Fatal(err)
			}
			srv := testserver.Start(t, bin, dir, "--appendonly", "no", "--dbfilename", "dump.rdb")
			rd := rdbfile.NewReader(bytes.NewReader(file), nil)
			if _, err := rd.Header(); err != nil {
				t.Fatal(err)
			}
			keys := 0
			for {
				e, err := rd.Next()
				if err != nil {
					break
				}
				if e.Kind != rdbfile.EntryKey {
					continue
				}
				if err := e.Skip(); err != nil {
					t.Fatal(err)
				}
				keys++
				want := estimate.LoadedEncoding(e.ValueKind, e.Encoding, e.Len, e.MaxLen, &rel.Limits).String()
				got, err := srv.Do(0, "OBJECT", "ENCODING", string(e.Key))
				if err != nil {
					t.Fatal(err)
				}
				if got != want {
					t.Errorf("%s (%s, %d elements, longest %d bytes): the server holds it as %s, LoadedEncoding says %s",
						e.Key, e.Encoding, e.Len, e.MaxLen, got, want)
				}
			}
			if keys != 5 {
				t.Errorf("%d keys read, want 5", keys)
			}
		})
	}
}
