package repair

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rdbkit/rdbkit/internal/atomicfile"
)

// TempPrefix starts the name of every temporary file rdbkit writes (then
// renames); one left behind is from a run that was killed.
const TempPrefix = atomicfile.TempPrefix

// BackupDirName is the default backup directory of an in-place repair of
// the AOF directory dir, started at t: "<dir>.rdbkit-backup-<UTC time>".
func BackupDirName(dir string, t time.Time) string {
	return filepath.Clean(dir) + ".rdbkit-backup-" + t.UTC().Format("20060102T150405Z")
}

// LeftoverDirs are the directories where runs on the AOF directory dir
// write temporary files: dir itself and its default backup directories.
func LeftoverDirs(dir string) []string {
	out := []string{filepath.Clean(dir)}
	m, _ := filepath.Glob(filepath.Clean(dir) + ".rdbkit-backup-*")
	for _, p := range m {
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			out = append(out, p)
		}
	}
	return out
}

// Leftover is a temporary file of an earlier run.
type Leftover struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"` // bytes
	ModTime time.Time `json:"mtime"`
	// InUse is set when a process has it open (a run still going).
	InUse bool `json:"in_use"`
	// Stale is set when it is older than the reference time and not open:
	// the run that wrote it is over, and RemoveLeftovers may delete it.
	Stale bool `json:"stale"`
}

// FindLeftovers lists the files named TempPrefix* in dirs (not below
// them). A file is stale when it was last modified before before and no
// process has it open (see OpenBy).
func FindLeftovers(dirs []string, before time.Time) ([]Leftover, error) {
	var out []Leftover
	seen := map[string]bool{}
	for _, d := range dirs {
		ents, err := os.ReadDir(d)
		if err != nil {
			if os.IsNotExist(err) {
				continue
			}
			return out, err
		}
		for _, e := range ents {
			if !strings.HasPrefix(e.Name(), TempPrefix) || !e.Type().IsRegular() {
				continue
			}
			p := filepath.Join(d, e.Name())
			if seen[p] {
				continue
			}
			seen[p] = true
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			out = append(out, Leftover{Path: p, Size: fi.Size(), ModTime: fi.ModTime()})
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	paths := make([]string, len(out))
	for i := range out {
		paths[i] = out[i].Path
	}
	hs, err := OpenBy(paths)
	if err != nil {
		return out, err
	}
	open := map[string]bool{}
	for _, h := range hs {
		open[h.Path] = true
	}
	for i := range out {
		out[i].InUse = open[out[i].Path]
		out[i].Stale = !out[i].InUse && out[i].ModTime.Before(before)
	}
	return out, nil
}

// RemoveLeftovers deletes the stale leftovers of ls and returns those it
// removed; the others are kept.
func RemoveLeftovers(ls []Leftover) ([]Leftover, error) {
	var out []Leftover
	for _, l := range ls {
		if !l.Stale {
			continue
		}
		if err := os.Remove(l.Path); err != nil && !os.IsNotExist(err) {
			return out, err
		}
		out = append(out, l)
		atomicfile.SyncDir(filepath.Dir(l.Path))
	}
	return out, nil
}
