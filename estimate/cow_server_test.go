package estimate_test

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/serverproc"
	"github.com/rdbkit/rdbkit/internal/testserver"
)

// TestCOWAtRateServer checks ForkCoefficients.COWBytes, the copy-on-write
// of a BGSAVE under writes (the report's cow_at_rate_bytes), against each
// server of testserver.Releases: 200,000 values of 1,000 bytes, a BGSAVE
// slowed to about two seconds (rdb-key-save-delay -10: a 1 µs sleep
// before one key in ten, Redis src/debug.c debugDelay), and during it W
// SETs of distinct keys, pipelined. The server's rdb_last_cow_size
// (the child's private dirty memory, src/server.c) must be within ±35 %
// of COWBytes(W) for W = 2,000 and 10,000, with the BGSAVE without
// writes as COWBaseBytes and the build's allocator. The model before it,
// one page a write, was 55 % low at 2,000 writes with jemalloc: a write
// also dirties its key's dict entry and object header, whose pages many
// keys share.
func TestCOWAtRateServer(t *testing.T) {
	for _, bin := range testserver.Releases(t) {
		t.Run(filepath.Base(filepath.Dir(bin)), func(t *testing.T) { cowAtRate(t, bin) })
	}
}

func cowAtRate(t *testing.T, bin string) {
	const keys = 200000
	srv := testserver.Start(t, bin, t.TempDir(), "--appendonly", "no", "--enable-debug-command", "yes")
	if _, err := srv.Do(0, "DEBUG", "POPULATE", strconv.Itoa(keys), "key", "1000"); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Do(0, "CONFIG", "SET", "rdb-key-save-delay", "-10"); err != nil {
		t.Fatal(err)
	}
	mem, err := srv.Info("memory")
	if err != nil {
		t.Fatal(err)
	}
	rss, _ := strconv.ParseInt(mem["used_memory_rss"], 10, 64)
	value := strings.Repeat("a", 1000)
	// save runs a BGSAVE with w SETs during it and returns the server's
	// rdb_last_cow_size.
	save := func(w int) float64 {
		t.Helper()
		if _, err := srv.Do(0, "BGSAVE"); err != nil {
			t.Fatal(err)
		}
		cmds := make([][]string, w)
		for i := range cmds {
			cmds[i] = []string{"SET", "key:" + strconv.Itoa((i+1)*7919%keys), value}
		}
		if err := srv.Pipeline(0, cmds); err != nil {
			t.Fatal(err)
		}
		st, err := srv.Info("persistence")
		if err != nil {
			t.Fatal(err)
		}
		if st["rdb_bgsave_in_progress"] != "1" {
			t.Skipf("the BGSAVE ended before %d writes did: too fast a machine for this test", w)
		}
		cow, _ := strconv.ParseFloat(waitBGSave(t, srv)["rdb_last_cow_size"], 64)
		return cow
	}
	b, err := serverproc.Version(bin)
	if err != nil {
		t.Fatal(err)
	}
	libc := strings.HasPrefix(b.Malloc, "libc")
	base := save(0)
	c := estimate.ForkCoefficients{COWBaseBytes: base}
	for _, w := range []int{2000, 10000} {
		got, want := save(w), c.COWBytes(float64(w), keys, rss, libc)
		t.Logf("%d writes: copy-on-write %.1f MiB, model %.1f MiB (base %.1f MiB, one page a write %.1f MiB)",
			w, got/(1<<20), want/(1<<20), base/(1<<20), (base+float64(w)*4096)/(1<<20))
		if got < 0.65*want || got > 1.35*want {
			t.Errorf("%d writes during a BGSAVE: the server copied %.1f MiB, COWBytes says %.1f MiB", w, got/(1<<20), want/(1<<20))
		}
	}
}
