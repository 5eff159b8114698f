//go:build !linux

package replay

// preferHugePages does nothing outside Linux (see hugepage_linux.go).
func preferHugePages(n int64) {}
