package replay

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/engine"
	"github.com/rdbkit/rdbkit/manifest"
)

// TestReplayProfile replays the AOF set (directory or manifest) or RDB file
// named by RDBKIT_REPLAY_PATH (skipped when unset), to profile a whole
// replay with -cpuprofile/-memprofile.
func TestReplayProfile(t *testing.T) {
	path := os.Getenv("RDBKIT_REPLAY_PATH")
	if path == "" {
		t.Skip("RDBKIT_REPLAY_PATH not set")
	}
	t0 := time.Now()
	var n int64
	if st, err := os.Stat(path); err == nil && !st.IsDir() {
		_, res, err := File(context.Background(), path, Options{Until: -1})
		if err != nil {
			t.Fatal(err)
		}
		n = res.RDBKeys
	} else {
		set, err := manifest.Resolve(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		e, res, err := Set(context.Background(), set, Options{Until: -1, Fallback: engine.ServerVersion{Major: 7, Minor: 4}})
		if err != nil {
			t.Fatal(err)
		}
		n = res.Commands
		defer runtime.KeepAlive(e)
	}
	d := time.Since(t0)
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("%v: %d keys/commands, live heap after GC %d MB, objects %d, GCs %d", d, n, ms.HeapAlloc>>20, ms.HeapObjects, ms.NumGC)
}
