package repair

import (
	"os/exec"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/atomicfile"
)

// holdOpen starts a process that keeps path open until the test ends and
// reports whether it could.
func holdOpen(t *testing.T, path string) bool {
	t.Helper()
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Log("no sh: cannot hold a file open from another process")
		return false
	}
	cmd := exec.Command(sh, "-c", "exec 3<\"$1\"; exec sleep 60", "sh", path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Wait until the descriptor is there, held by sleep (sh opens it
	// first, then execs sleep).
	for i := 0; i < 500; i++ {
		if hs, _ := OpenBy([]string{path}); len(hs) > 0 && hs[0].Command == "sleep" {
			return true
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("the holder process never showed %s open", path)
	return false
}

// TestOpenBy: another process holding a file is found, with its pid; this
// process's own descriptors are not reported.
func TestOpenBy(t *testing.T) {
	if !HolderCheckSupported() {
		t.Skip("no /proc here: OpenBy finds nothing by design")
	}
	p := t.TempDir() + "/f"
	if err := atomicfile.Write(p, writeBytes([]byte("x"))); err != nil {
		t.Fatal(err)
	}
	if hs, err := OpenBy([]string{p}); err != nil || len(hs) != 0 {
		t.Fatalf("before: %v %v", hs, err)
	}
	holdOpen(t, p)
	hs, err := OpenBy([]string{p, t.TempDir() + "/missing"})
	if err != nil || len(hs) != 1 || hs[0].Path != p || hs[0].PID <= 0 || hs[0].Command != "sleep" {
		t.Fatalf("OpenBy = %+v, %v", hs, err)
	}
	e := &InUseError{Holders: hs}
	if err := checkHolders([]string{p}); err == nil || err.Error() != e.Error() {
		t.Errorf("checkHolders = %v", err)
	}
}
