package replay

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

// anonHugeKB returns AnonHugePages of /proc/self/smaps_rollup (KiB).
func anonHugeKB(t *testing.T) int64 {
	t.Helper()
	s, err := os.ReadFile("/proc/self/smaps_rollup")
	if err != nil {
		t.Skip(err)
	}
	for _, l := range bytes.Split(s, []byte("\n")) {
		if v, ok := bytes.CutPrefix(l, []byte("AnonHugePages:")); ok {
			n, err := strconv.ParseInt(string(bytes.TrimSuffix(bytes.TrimSpace(v), []byte(" kB"))), 10, 64)
			if err != nil {
				t.Fatalf("AnonHugePages %q: %v", v, err)
			}
			return n
		}
	}
	t.Skip("no AnonHugePages in smaps_rollup")
	return 0
}

// TestPreferHugePages checks that memory the heap takes after
// preferHugePages is backed by transparent huge pages, where the system
// lets a process ask for them.
func TestPreferHugePages(t *testing.T) {
	if !thpAdvised() || !lazyCommit() {
		t.Skip("transparent huge pages are not \"madvise\", or overcommit is strict")
	}
	preferHugePages(512 << 20)
	before := anonHugeKB(t)
	b := make([]byte, 128<<20) // lands in the advised region: nothing below fits it
	for i := 0; i < len(b); i += 4096 {
		b[i] = 1
	}
	got := anonHugeKB(t) - before
	if got < 64<<10 {
		t.Errorf("128 MiB written after preferHugePages: %d KiB in huge pages, want at least 64 MiB", got)
	}
	t.Logf("%d KiB of 128 MiB in huge pages", got)
}

// TestPreferHugePagesAddressLimit: under an address-space limit (ulimit -v)
// smaller than the region, preferHugePages leaves the load as it was
// instead of ending the process with a failed allocation. The hint runs in
// a child process (this test binary again) with RLIMIT_AS lowered.
func TestPreferHugePagesAddressLimit(t *testing.T) {
	if os.Getenv("RDBKIT_HUGEPAGE_CHILD") == "1" {
		lim := uint64(6 << 30)
		if err := syscall.Setrlimit(syscall.RLIMIT_AS, &syscall.Rlimit{Cur: lim, Max: ^uint64(0)}); err != nil {
			t.Skip(err)
		}
		preferHugePages(8 << 30)
		return
	}
	if !thpAdvised() || !lazyCommit() {
		t.Skip("transparent huge pages are not \"madvise\", or overcommit is strict")
	}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil || int64(si.Totalram)*int64(si.Unit) < 16<<30 {
		t.Skip("needs 16 GiB of RAM, for an 8 GiB region the hint would otherwise map")
	}
	cmd := exec.Command(os.Args[0], "-test.run", "^TestPreferHugePagesAddressLimit$")
	cmd.Env = append(os.Environ(), "RDBKIT_HUGEPAGE_CHILD=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("preferHugePages under RLIMIT_AS: %v\n%s", err, out)
	}
}
