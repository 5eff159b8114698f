package repair

import (
	"os"
	"path/filepath"
	"syscall"
)

// fsInfo returns the device id of the filesystem holding dir (or its
// nearest existing parent) and the bytes available there to this user.
func fsInfo(dir string) (dev uint64, avail int64, ok bool) {
	for {
		var st syscall.Stat_t
		if err := syscall.Stat(dir, &st); err == nil {
			var fs syscall.Statfs_t
			if err := syscall.Statfs(dir, &fs); err != nil {
				return 0, 0, false
			}
			return st.Dev, int64(fs.Bavail) * fs.Bsize, true
		} else if !os.IsNotExist(err) {
			return 0, 0, false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return 0, 0, false
		}
		dir = parent
	}
}
