package repair

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"

	"github.com/rdbkit/rdbkit/manifest"
)

// ApplyOptions say where Apply writes. Exactly one of OutputDir (a new or
// empty directory receiving a repaired copy of the whole set) and BackupDir
// (in place: every changed file is first copied there) must be set.
type ApplyOptions struct {
	OutputDir string
	BackupDir string
}

// Result lists what Apply wrote.
type Result struct {
	Written  []string `json:"written"`             // paths written (repaired or copied)
	BackedUp []string `json:"backed_up,omitempty"` // backup copies made
}

// ErrRefused is returned by Apply for a plan that refuses the repair.
var ErrRefused = errors.New("repair: the plan refuses to repair this set")

// Apply carries out plan p made from scan s. Every file is written to a
// temporary file in its destination directory, synced, renamed over its
// final name, and the directory is synced; the manifest is rewritten the
// same way when it changes.
func Apply(s *Scan, p *Plan, o ApplyOptions) (*Result, error) {
	if p.Refused != "" {
		return nil, ErrRefused
	}
	if (o.OutputDir == "") == (o.BackupDir == "") {
		return nil, errors.New("repair: exactly one of OutputDir and BackupDir must be set")
	}
	res := &Result{}
	set := s.Set
	plans := map[string]*FilePlan{}
	for i := range p.Files {
		plans[p.Files[i].Name] = &p.Files[i]
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
		if err := os.MkdirAll(o.OutputDir, 0o755); err != nil {
			return nil, err
		}
		if ents, err := os.ReadDir(o.OutputDir); err != nil {
			return nil, err
		} else if len(ents) > 0 {
			return nil, errors.New("repair: output directory " + o.OutputDir + " is not empty")
		}
		var files []*manifest.File
		files = append(files, set.Files()...)
		for i := range set.History {
			if set.History[i].Exists {
				files = append(files, &set.History[i])
			}
		}
		for _, f := range files {
			if !f.Exists {
				continue
			}
			dst := filepath.Join(o.OutputDir, f.Name)
			if err := copyPlanned(set, f, plans[f.Name], dst); err != nil {
				return res, err
			}
			res.Written = append(res.Written, dst)
		}
		if set.ManifestPath != "" && !set.Legacy {
			dst := filepath.Join(o.OutputDir, filepath.Base(set.ManifestPath))
			var err error
			if manifestData != nil {
				err = writeAtomic(dst, writeBytes(manifestData))
			} else {
				err = copyWhole(set.ManifestPath, dst)
			}
			if err != nil {
				return res, err
			}
			res.Written = append(res.Written, dst)
		}
		return res, syncDir(o.OutputDir)
	}
	// In place.
	if err := os.MkdirAll(o.BackupDir, 0o755); err != nil {
		return nil, err
	}
	for _, f := range set.Files() {
		fp := plans[f.Name]
		if fp == nil || fp.Action == ActionKeep || fp.Action == ActionHistory {
			continue
		}
		bak := filepath.Join(o.BackupDir, f.Name)
		if err := copyPlanned(set, f, nil, bak); err != nil {
			return res, err
		}
		res.BackedUp = append(res.BackedUp, bak)
		if err := copyPlanned(set, f, fp, f.Path); err != nil {
			return res, err
		}
		res.Written = append(res.Written, f.Path)
	}
	if manifestData != nil {
		bak := filepath.Join(o.BackupDir, filepath.Base(set.ManifestPath))
		if err := copyWhole(set.ManifestPath, bak); err != nil {
			return res, err
		}
		res.BackedUp = append(res.BackedUp, bak)
		if err := writeAtomic(set.ManifestPath, writeBytes(manifestData)); err != nil {
			return res, err
		}
		res.Written = append(res.Written, set.ManifestPath)
	}
	return res, syncDir(o.BackupDir)
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
	return writeAtomic(dst, func(w io.Writer) error {
		for _, r := range keepRanges(st.Size(), fp) {
			if n := r[1] - r[0]; n > 0 {
				if _, err := io.CopyN(w, io.NewSectionReader(h, r[0], n), n); err != nil {
					return err // io.EOF: the file shrank while we copied
				}
			}
		}
		return nil
	})
}

func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}

// writeAtomic writes path through a temporary file in the same directory:
// write (with the write function), fsync, rename, fsync the directory.
func writeAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".rdbkit-tmp-*")
	if err != nil {
		return err
	}
	name := tmp.Name()
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(name)
		}
	}()
	bw := bufio.NewWriterSize(tmp, 256<<10)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(name, path); err != nil {
		return err
	}
	ok = true
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
