package repair

import (
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/rdbkit/rdbkit/internal/atomicfile"
	"github.com/rdbkit/rdbkit/manifest"
)

// ApplyOptions say where Apply writes. Exactly one of OutputDir (a new or
// empty directory receiving a repaired copy of the whole set) and BackupDir
// (in place: every changed file is first saved there as an undo file) must
// be set.
type ApplyOptions struct {
	OutputDir string
	BackupDir string
	// Force skips the check for processes that have the files open.
	Force bool
}

// Result lists what Apply did. After an error it lists what was done
// before it: files not in Written were not changed.
type Result struct {
	Written  []string `json:"written"`             // paths written or changed in place
	BackedUp []string `json:"backed_up,omitempty"` // undo files (rdbkit repair --undo)
	// Removed lists what a failed --output run wrote and then removed.
	Removed []string `json:"removed,omitempty"`
}

// ErrRefused is returned by Apply for a plan that refuses the repair.
var ErrRefused = errors.New("repair: the plan refuses to repair this set")

// Apply carries out plan p made from scan s.
//
// Before writing, it re-opens every file it reads and compares it with the
// plan's checks (size, modification time, hash around the cut): a file
// that moved gives a *StaleError. In place, a process that has a file of
// the set open gives an *InUseError (unless Force), checked again just
// before each file is changed. A filesystem without room for what is
// written gives a *SpaceError. In all three cases nothing was written.
//
// In place, a file cut at its end is changed as redis-check-aof --fix
// does: the removed bytes are saved in an undo file in BackupDir (synced),
// then the file is truncated and synced, so a tail cut needs only the room
// of the removed bytes. A file whose middle changes has the ranges it loses
// saved in an undo file, then is rewritten through a temporary file in its
// directory (the one full copy), synced and renamed over it. When files move to history, the manifest is
// saved and rewritten first (a run killed then leaves a set that loads to
// the repaired data or does not load, never to other data). With
// OutputDir, every file of the set is written through a temporary file,
// synced and renamed; on failure what was written is removed.
func Apply(s *Scan, p *Plan, o ApplyOptions) (*Result, error) {
	if p.Refused != "" {
		return nil, ErrRefused
	}
	if (o.OutputDir == "") == (o.BackupDir == "") {
		return nil, errors.New("repair: exactly one of OutputDir and BackupDir must be set")
	}
	var manifestData []byte
	if p.RewriteManifest {
		b, err := manifest.Format(p.manifest)
		if err != nil {
			return nil, err
		}
		manifestData = b
	}
	if o.OutputDir != "" {
		return applyOutput(s, p, o.OutputDir, manifestData)
	}
	return applyInPlace(s, p, o, manifestData)
}

// planned pairs a file of the set with its plan.
func planned(s *Scan, p *Plan) map[string]*FilePlan {
	plans := map[string]*FilePlan{}
	for i := range p.Files {
		plans[p.Files[i].Name] = &p.Files[i]
	}
	return plans
}

func applyOutput(s *Scan, p *Plan, out string, manifestData []byte) (res *Result, err error) {
	set := s.Set
	plans := planned(s, p)
	res = &Result{Written: []string{}}
	var files []*manifest.File
	files = append(files, set.Files()...)
	for i := range set.History {
		files = append(files, &set.History[i])
	}
	var need spaceNeeds
	for _, f := range files {
		if !f.Exists {
			continue
		}
		n := f.Size
		if fp := plans[f.Name]; fp != nil {
			n = fp.NewSize
		}
		need.add(out, n)
	}
	if set.ManifestPath != "" && !set.Legacy {
		need.add(out, int64(max(len(manifestData), 4096)))
	}
	if err := need.check(); err != nil {
		return res, err
	}
	created := false
	if _, err := os.Stat(out); errors.Is(err, os.ErrNotExist) {
		created = true
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return res, err
	}
	if ents, err := os.ReadDir(out); err != nil {
		return res, err
	} else if len(ents) > 0 {
		return res, errors.New("repair: output directory " + out + " is not empty")
	}
	defer func() {
		if err == nil {
			return
		}
		// Leave no half set behind: remove what this run wrote.
		for _, w := range res.Written {
			if os.Remove(w) == nil {
				res.Removed = append(res.Removed, w)
			}
		}
		res.Written = []string{}
		if created {
			os.Remove(out)
		}
	}()
	for _, f := range files {
		if !f.Exists {
			continue
		}
		dst := filepath.Join(out, f.Name)
		fp := plans[f.Name]
		if err := copyPlanned(set, f, fp, dst); err != nil {
			return res, err
		}
		res.Written = append(res.Written, dst)
	}
	if set.ManifestPath != "" && !set.Legacy {
		dst := filepath.Join(out, filepath.Base(set.ManifestPath))
		var err error
		if manifestData != nil {
			err = atomicfile.Write(dst, writeBytes(manifestData))
		} else {
			err = copyWhole(set.ManifestPath, dst)
		}
		if err != nil {
			return res, err
		}
		res.Written = append(res.Written, dst)
	}
	return res, atomicfile.SyncDir(out)
}

// change is one file to change in place, opened once: the checks, the
// undo file and the change all go through this descriptor.
type change struct {
	f  *manifest.File
	fp *FilePlan
	h  *os.File
}

func applyInPlace(s *Scan, p *Plan, o ApplyOptions, manifestData []byte) (*Result, error) {
	set := s.Set
	res := &Result{Written: []string{}}
	paths := SetPaths(set)
	if !o.Force {
		if err := checkHolders(paths); err != nil {
			return res, err
		}
	}
	plans := planned(s, p)
	var changes []change
	defer func() {
		for _, c := range changes {
			c.h.Close()
		}
	}()
	root, err := os.OpenRoot(set.Dir)
	if err != nil {
		return res, err
	}
	defer root.Close()
	var need spaceNeeds
	for _, f := range set.Files() {
		fp := plans[f.Name]
		if fp == nil || (fp.Action != ActionTruncate && fp.Action != ActionRewrite) {
			continue
		}
		if fp.Check == nil {
			return res, errors.New("repair: the plan has no check of " + f.Name)
		}
		flag := os.O_RDONLY
		if fp.Action == ActionTruncate {
			flag = os.O_RDWR
		}
		h, err := root.OpenFile(f.Name, flag, 0)
		if err != nil {
			return res, err
		}
		changes = append(changes, change{f, fp, h})
		if err := fp.Check.verify(h, f.Path); err != nil {
			return res, err
		}
		if fp.Action == ActionTruncate {
			need.add(o.BackupDir, fp.Check.Size-fp.TruncateAt)
		} else {
			need.add(o.BackupDir, fp.Check.Size-fp.NewSize)
			need.add(set.Dir, fp.NewSize)
		}
	}
	var mh *os.File
	if manifestData != nil {
		if p.ManifestCheck == nil {
			return res, errors.New("repair: the plan has no check of the manifest")
		}
		mh, err = os.Open(set.ManifestPath)
		if err != nil {
			return res, err
		}
		defer mh.Close()
		if err := p.ManifestCheck.verify(mh, set.ManifestPath); err != nil {
			return res, err
		}
		need.add(o.BackupDir, p.ManifestCheck.Size)
		need.add(set.Dir, int64(len(manifestData)))
	}
	if err := need.check(); err != nil {
		return res, err
	}
	if err := os.MkdirAll(o.BackupDir, 0o755); err != nil {
		return res, err
	}
	if mh != nil {
		u, err := writeUndo(o.BackupDir, set.ManifestPath, mh, p.ManifestCheck.Size, UndoWhole, nil, manifestData)
		if err != nil {
			return res, err
		}
		res.BackedUp = append(res.BackedUp, u)
		if err := lastLook(o, paths, p.ManifestCheck, mh, set.ManifestPath); err != nil {
			return res, err
		}
		if err := atomicfile.Write(set.ManifestPath, writeBytes(manifestData)); err != nil {
			return res, err
		}
		res.Written = append(res.Written, set.ManifestPath)
	}
	for _, c := range changes {
		size := c.fp.Check.Size
		keep := keepRanges(size, c.fp)
		if c.fp.Action == ActionTruncate {
			at := c.fp.TruncateAt
			u, err := writeUndo(o.BackupDir, c.f.Path, c.h, size, UndoTail, keep, nil)
			if err != nil {
				return res, err
			}
			res.BackedUp = append(res.BackedUp, u)
			if err := lastLook(o, paths, c.fp.Check, c.h, c.f.Path); err != nil {
				return res, err
			}
			if err := c.h.Truncate(at); err != nil {
				return res, err
			}
			res.Written = append(res.Written, c.f.Path)
			if err := c.h.Sync(); err != nil {
				return res, err
			}
			continue
		}
		u, err := writeUndo(o.BackupDir, c.f.Path, c.h, size, UndoRanges, keep, nil)
		if err != nil {
			return res, err
		}
		res.BackedUp = append(res.BackedUp, u)
		if err := lastLook(o, paths, c.fp.Check, c.h, c.f.Path); err != nil {
			return res, err
		}
		if err := atomicfile.Write(c.f.Path, copyFrom(c.h, size, c.fp)); err != nil {
			return res, err
		}
		res.Written = append(res.Written, c.f.Path)
	}
	return res, atomicfile.SyncDir(set.Dir)
}

// lastLook re-checks, just before a file is changed, that no process has
// the set open and that the file is still as planned.
func lastLook(o ApplyOptions, paths []string, c *FileCheck, h *os.File, path string) error {
	if !o.Force {
		if err := checkHolders(paths); err != nil {
			return err
		}
	}
	return c.verify(h, path)
}

// keepRanges returns the [start, end) byte ranges of a file of size bytes
// that plan fp keeps (fp nil: the whole file), in increasing order.
func keepRanges(size int64, fp *FilePlan) [][2]int64 {
	if fp == nil {
		return [][2]int64{{0, size}}
	}
	switch fp.Action {
	case ActionTruncate:
		return [][2]int64{{0, min(fp.TruncateAt, size)}}
	case ActionRewrite:
		var out [][2]int64
		pos := int64(0)
		for _, sk := range fp.Skips {
			out = append(out, [2]int64{pos, min(sk.Offset, size)})
			pos = sk.Offset + sk.Length
		}
		return append(out, [2]int64{min(pos, size), size})
	}
	return [][2]int64{{0, size}}
}

// copyPlanned writes file f of the set, as plan fp wants it (nil: as it
// is), to dst, copying byte ranges straight from the source file.
func copyPlanned(set *manifest.Set, f *manifest.File, fp *FilePlan, dst string) error {
	h, err := set.Open(f)
	if err != nil {
		return err
	}
	defer h.Close()
	if fp != nil && fp.Check != nil {
		if err := fp.Check.verify(h, f.Path); err != nil {
			return err
		}
	}
	return copyRanges(h, dst, fp)
}

// copyWhole copies the file at src to dst.
func copyWhole(src, dst string) error {
	h, err := os.Open(src)
	if err != nil {
		return err
	}
	defer h.Close()
	return copyRanges(h, dst, nil)
}

func copyRanges(h *os.File, dst string, fp *FilePlan) error {
	st, err := h.Stat()
	if err != nil {
		return err
	}
	return atomicfile.Write(dst, copyFrom(h, st.Size(), fp))
}

// copyFrom writes the byte ranges of h (of size bytes) that fp keeps.
func copyFrom(h io.ReaderAt, size int64, fp *FilePlan) func(io.Writer) error {
	return func(w io.Writer) error {
		for _, r := range keepRanges(size, fp) {
			if n := r[1] - r[0]; n > 0 {
				if _, err := io.CopyN(w, io.NewSectionReader(h, r[0], n), n); err != nil {
					return err // io.EOF: the file shrank while we copied
				}
			}
		}
		return nil
	}
}

func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}
