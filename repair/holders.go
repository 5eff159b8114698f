package repair

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
)

// A Holder is a process that has one of the given files open.
type Holder struct {
	PID     int    `json:"pid"`
	Command string `json:"command"` // /proc/PID/comm, e.g. "redis-server"
	Path    string `json:"path"`    // the file it has open
}

func (h Holder) String() string {
	return fmt.Sprintf("pid %d (%s) has %s open", h.PID, h.Command, h.Path)
}

// HolderCheckSupported reports whether OpenBy can see other processes'
// open files here: on Linux through /proc/PID/fd. Elsewhere OpenBy finds
// nothing, and callers say that the check was not made.
func HolderCheckSupported() bool {
	if runtime.GOOS != "linux" {
		return false
	}
	_, err := os.Stat("/proc/self/fd")
	return err == nil
}

// OpenBy returns the processes other than this one that have any of paths
// open, by walking /proc/*/fd (Linux) and comparing the device and inode
// of each open file with those of paths. Processes whose descriptors this
// user may not read are skipped (run as the server's user or root to see
// them). Paths that do not exist are ignored. On systems without /proc it
// returns nothing (see HolderCheckSupported).
func OpenBy(paths []string) ([]Holder, error) {
	if !HolderCheckSupported() || len(paths) == 0 {
		return nil, nil
	}
	type target struct {
		path string
		fi   os.FileInfo
	}
	var targets []target
	bases := map[string]bool{}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		targets = append(targets, target{p, fi})
		bases[filepath.Base(p)] = true
	}
	if len(targets) == 0 {
		return nil, nil
	}
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var out []Holder
	for _, pe := range procs {
		pid, err := strconv.Atoi(pe.Name())
		if err != nil || pid == self {
			continue
		}
		fdDir := "/proc/" + pe.Name() + "/fd"
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue // gone, or not ours to look at
		}
		seen := map[string]bool{}
		for _, fd := range fds {
			link := filepath.Join(fdDir, fd.Name())
			dest, err := os.Readlink(link)
			if err != nil {
				continue
			}
			// The link text names the file as the process opened it
			// (" (deleted)" once unlinked); only same-named files are
			// stat'ed, then compared by device and inode.
			dest = strings.TrimSuffix(dest, " (deleted)")
			if !bases[filepath.Base(dest)] {
				continue
			}
			fi, err := os.Stat(link)
			if err != nil {
				continue
			}
			for _, t := range targets {
				if os.SameFile(fi, t.fi) && !seen[t.path] {
					seen[t.path] = true
					out = append(out, Holder{PID: pid, Command: procComm(pid), Path: t.path})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PID != out[j].PID {
			return out[i].PID < out[j].PID
		}
		return out[i].Path < out[j].Path
	})
	return out, nil
}

func procComm(pid int) string {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(b))
}

// InUseError is returned when a process has files of the set open: a
// server still running on them would keep writing to a file repair cuts or
// replaces.
type InUseError struct {
	Holders []Holder
}

func (e *InUseError) Error() string {
	var pids []string
	seen := map[int]bool{}
	for _, h := range e.Holders {
		if !seen[h.PID] {
			seen[h.PID] = true
			pids = append(pids, "pid "+strconv.Itoa(h.PID)+" ("+h.Command+")")
		}
	}
	return "repair: the files are open by " + strings.Join(pids, ", ") + ": stop the server first"
}

// ErrInUse matches every *InUseError with errors.Is.
var ErrInUse = errors.New("repair: files are in use")

// Is makes errors.Is(err, ErrInUse) true for an *InUseError.
func (e *InUseError) Is(target error) bool { return target == ErrInUse }

// checkHolders returns an *InUseError when any process has paths open.
func checkHolders(paths []string) error {
	hs, err := OpenBy(paths)
	if err != nil {
		return err
	}
	if len(hs) > 0 {
		return &InUseError{Holders: hs}
	}
	return nil
}
