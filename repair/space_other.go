//go:build !linux

package repair

// fsInfo is not implemented here: the free-space check is skipped (the
// writes themselves still fail cleanly on a full disk).
func fsInfo(dir string) (dev uint64, avail int64, ok bool) { return 0, 0, false }
