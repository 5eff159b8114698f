package replay

import (
	"runtime/debug"
	"testing"
)

// TestBulkLoadGC checks the collector pacing bulkLoadGC applies during a
// load, that a GOGC set by the user is kept, and that it puts the
// previous setting back.
func TestBulkLoadGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	for _, c := range []struct{ outer, want int }{
		{100, bulkLoadGCPercent},
		{-1, -1},
		{10, 10},
		{300, 300},
	} {
		debug.SetGCPercent(c.outer)
		restore := bulkLoadGC()
		if got := debug.SetGCPercent(-1); got != c.want {
			t.Errorf("GOGC %d: %d during the load, want %d", c.outer, got, c.want)
		}
		debug.SetGCPercent(c.want)
		restore()
		if got := debug.SetGCPercent(-1); got != c.outer {
			t.Errorf("GOGC %d: %d after the load, want it back", c.outer, got)
		}
	}
}
