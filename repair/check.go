package repair

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"

	"github.com/rdbkit/rdbkit/manifest"
)

// checkWindow is how many bytes on each side of a boundary a FileCheck
// hashes.
const checkWindow = 4096

// FileCheck is what a plan knows of a file when it was made: Apply
// compares it with the file it opened, and refuses (a *StaleError) when
// anything moved, so a plan is never applied to bytes it was not made from.
type FileCheck struct {
	Size    int64 `json:"size"`     // bytes
	ModTime int64 `json:"mtime_ns"` // modification time, ns since the epoch
	// Hash is the SHA-256 (hex) of bytes [From, To): the bytes on both
	// sides of the cut (or the last bytes of a file that is kept).
	From int64  `json:"from"`
	To   int64  `json:"to"`
	Hash string `json:"sha256"`
}

// StaleError says that a file changed between the scan and the plan, or
// between the plan and Apply: a process (a server not yet stopped) is
// writing to it. Nothing was changed.
type StaleError struct {
	Path string
	What string // "size 1200 -> 1350", "modification time", "bytes at offset 1100..1200"
	// AfterRepair is set by Undo: the file is no longer what the repair
	// left.
	AfterRepair bool
}

func (e *StaleError) Error() string {
	if e.AfterRepair {
		return fmt.Sprintf("repair: %s changed since the repair (%s): undo does not overwrite it (did a server start on it?)", e.Path, e.What)
	}
	return fmt.Sprintf("repair: %s changed since it was scanned (%s): is a server still writing to it? Stop it and run again", e.Path, e.What)
}

// newCheck records size, mtime and the hash around boundary of the open
// file h; want is the size the scan saw (-1: not known).
func newCheck(h *os.File, path string, boundary, want int64) (*FileCheck, error) {
	st, err := h.Stat()
	if err != nil {
		return nil, err
	}
	if want >= 0 && st.Size() != want {
		return nil, &StaleError{Path: path, What: fmt.Sprintf("size %d -> %d", want, st.Size())}
	}
	c := &FileCheck{Size: st.Size(), ModTime: st.ModTime().UnixNano()}
	c.From = max(0, boundary-checkWindow)
	c.To = min(st.Size(), boundary+checkWindow)
	c.From = min(c.From, c.To)
	c.Hash, err = hashRange(h, c.From, c.To)
	return c, err
}

// verify re-checks c against the open file h.
func (c *FileCheck) verify(h *os.File, path string) error {
	st, err := h.Stat()
	if err != nil {
		return err
	}
	if st.Size() != c.Size {
		return &StaleError{Path: path, What: fmt.Sprintf("size %d -> %d", c.Size, st.Size())}
	}
	if st.ModTime().UnixNano() != c.ModTime {
		return &StaleError{Path: path, What: "modification time"}
	}
	got, err := hashRange(h, c.From, c.To)
	if err != nil {
		return err
	}
	if got != c.Hash {
		return &StaleError{Path: path, What: fmt.Sprintf("bytes at offset %d..%d", c.From, c.To)}
	}
	return nil
}

func hashRange(h io.ReaderAt, from, to int64) (string, error) {
	s := sha256.New()
	if _, err := io.Copy(s, io.NewSectionReader(h, from, to-from)); err != nil {
		return "", err
	}
	return hex.EncodeToString(s.Sum(nil)), nil
}

// recordChecks fills the check of every file of the plan and of the
// manifest when the plan rewrites it.
func (p *Plan) recordChecks(s *Scan) error {
	for i, fs := range s.Files {
		fp := &p.Files[i]
		h, err := s.Set.Open(fs.File)
		if err != nil {
			return err
		}
		boundary := fs.File.Size
		switch {
		case fp.Action == ActionTruncate:
			boundary = fp.TruncateAt
		case fp.Action == ActionRewrite && len(fp.Skips) > 0:
			boundary = fp.Skips[0].Offset
		}
		fp.Check, err = newCheck(h, fs.File.Path, boundary, fs.File.Size)
		h.Close()
		if err != nil {
			return err
		}
	}
	if p.RewriteManifest {
		h, err := os.Open(s.Set.ManifestPath)
		if err != nil {
			return err
		}
		defer h.Close()
		st, err := h.Stat()
		if err != nil {
			return err
		}
		p.ManifestCheck, err = newCheck(h, s.Set.ManifestPath, 0, st.Size())
		if err != nil {
			return err
		}
		p.ManifestCheck.To = st.Size() // the whole manifest
		p.ManifestCheck.Hash, err = hashRange(h, 0, st.Size())
		return err
	}
	return nil
}

// SetPaths lists every file of the set a server may hold open: the files
// it loads, history files and the manifest.
func SetPaths(set *manifest.Set) []string {
	var out []string
	for _, f := range set.Files() {
		out = append(out, f.Path)
	}
	for _, f := range set.History {
		out = append(out, f.Path)
	}
	if set.ManifestPath != "" {
		out = append(out, set.ManifestPath)
	}
	return out
}
