package replay

import (
	"runtime/debug"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// TestBulkLoadGC checks the collector settings bulkLoadGC applies during a
// load and that it puts the previous ones back.
func TestBulkLoadGC(t *testing.T) {
	prevPercent := debug.SetGCPercent(100)
	prevLimit := debug.SetMemoryLimit(-1)
	defer func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	}()
	withUsedMem := &rdbfile.Header{Aux: []rdbfile.Aux{{Name: []byte("used-mem"), Value: []byte("1000000000")}}}
	cases := []struct {
		name  string
		hdr   *rdbfile.Header
		size  int64
		outer int64 // limit in force before the load
		want  int64
	}{
		{"used-mem above 4x the file", withUsedMem, 100 << 20, prevLimit, 1_500_000_000},
		{"4x the file above used-mem", withUsedMem, 1 << 30, prevLimit, 4 << 30},
		{"no used-mem", &rdbfile.Header{}, 1 << 30, prevLimit, 4 << 30},
		{"tiny file", &rdbfile.Header{}, 1000, prevLimit, 64 << 20},
		{"GOMEMLIMIT lower", withUsedMem, 1 << 30, 700 << 20, 700 << 20},
	}
	for _, c := range cases {
		debug.SetMemoryLimit(c.outer)
		restore := bulkLoadGC(c.hdr, c.size)
		if got := debug.SetMemoryLimit(-1); got != c.want {
			t.Errorf("%s: memory limit during the load %d, want %d", c.name, got, c.want)
		}
		if p := debug.SetGCPercent(-1); p != -1 {
			t.Errorf("%s: GC percent during the load %d, want -1 (off)", c.name, p)
		}
		restore()
		if got := debug.SetMemoryLimit(-1); got != c.outer {
			t.Errorf("%s: memory limit after the load %d, want %d back", c.name, got, c.outer)
		}
		if p := debug.SetGCPercent(100); p != 100 {
			t.Errorf("%s: GC percent after the load %d, want 100 back", c.name, p)
		}
	}
}
