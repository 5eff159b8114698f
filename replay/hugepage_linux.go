package replay

import (
	"bytes"
	"os"
	"runtime"
	"syscall"
)

// preferHugePages asks the kernel to back the next n bytes the heap grows
// into with transparent huge pages (2 MiB on amd64), when the system lets
// a process choose them ("madvise" in
// /sys/kernel/mm/transparent_hugepage/enabled; with "always" they are used
// anyway, with "never" not at all).
//
// A bulk load touches every page of a heap of gigabytes once: with 4 KiB
// pages that is a page fault per 4 KiB (a third of the kernel time of a
// load on a virtual machine) and a TLB miss on most accesses of the
// keyspace's hash tables. The Go runtime maps the heap in 4 MiB steps and
// does not advise huge pages itself, so the region is mapped ahead: one
// allocation of n bytes, never written (fresh memory is not zeroed, so it
// costs no resident memory), advised, and freed at once by a collection of
// the still small heap; the load's objects then fill it. At most half the
// physical memory is mapped so, and only when the kernel's overcommit
// policy is the heuristic or the permissive one (under strict accounting
// the mapping would count against the commit limit), and only without an
// address-space limit (RLIMIT_AS). Any failure leaves the load as it was:
// this is a hint.
func preferHugePages(n int64) {
	if n < 64<<20 || !thpAdvised() || !lazyCommit() || !addressSpaceUnlimited() {
		return
	}
	var si syscall.Sysinfo_t
	if syscall.Sysinfo(&si) != nil {
		return
	}
	n = min(n, int64(si.Totalram)*int64(si.Unit)/2)
	if n < 64<<20 {
		return
	}
	b := make([]byte, n) // page-aligned, as every large object
	_ = syscall.Madvise(b, syscall.MADV_HUGEPAGE)
	b = nil
	runtime.GC()
}

// thpAdvised reports whether transparent huge pages are used where a
// process asks for them, and only there.
func thpAdvised() bool {
	s, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	return err == nil && bytes.Contains(s, []byte("[madvise]"))
}

// addressSpaceUnlimited reports whether the process may map any amount of
// address space (no RLIMIT_AS, as `ulimit -v` sets): under a limit, the
// mapping could fail, and a failed allocation ends a Go program.
func addressSpaceUnlimited() bool {
	var rl syscall.Rlimit
	return syscall.Getrlimit(syscall.RLIMIT_AS, &rl) == nil && rl.Cur == ^uint64(0)
}

// lazyCommit reports whether mapping memory that is never touched costs
// nothing: vm.overcommit_memory 0 (heuristic) or 1 (always), not 2
// (strict accounting).
func lazyCommit() bool {
	s, err := os.ReadFile("/proc/sys/vm/overcommit_memory")
	if err != nil {
		return false
	}
	s = bytes.TrimSpace(s)
	return bytes.Equal(s, []byte("0")) || bytes.Equal(s, []byte("1"))
}
