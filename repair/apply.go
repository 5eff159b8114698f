package repair

import (
	"errors"
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
			data, err := readAll(set, f)
			if err != nil {
				return res, err
			}
			if fp := plans[f.Name]; fp != nil {
				data = transform(data, fp)
			}
			dst := filepath.Join(o.OutputDir, f.Name)
			if err := writeAtomic(dst, data); err != nil {
				return res, err
			}
			res.Written = append(res.Written, dst)
		}
		if set.ManifestPath != "" && !set.Legacy {
			dst := filepath.Join(o.OutputDir, filepath.Base(set.ManifestPath))
			data := manifestData
			if data == nil {
				b, err := os.ReadFile(set.ManifestPath)
				if err != nil {
					return res, err
				}
				data = b
			}
			if err := writeAtomic(dst, data); err != nil {
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
		data, err := readAll(set, f)
		if err != nil {
			return res, err
		}
		bak := filepath.Join(o.BackupDir, f.Name)
		if err := writeAtomic(bak, data); err != nil {
			return res, err
		}
		res.BackedUp = append(res.BackedUp, bak)
		if err := writeAtomic(f.Path, transform(data, fp)); err != nil {
			return res, err
		}
		res.Written = append(res.Written, f.Path)
	}
	if manifestData != nil {
		old, err := os.ReadFile(set.ManifestPath)
		if err != nil {
			return res, err
		}
		bak := filepath.Join(o.BackupDir, filepath.Base(set.ManifestPath))
		if err := writeAtomic(bak, old); err != nil {
			return res, err
		}
		res.BackedUp = append(res.BackedUp, bak)
		if err := writeAtomic(set.ManifestPath, manifestData); err != nil {
			return res, err
		}
		res.Written = append(res.Written, set.ManifestPath)
	}
	return res, syncDir(o.BackupDir)
}

// transform applies a file's plan to its bytes.
func transform(data []byte, fp *FilePlan) []byte {
	switch fp.Action {
	case ActionTruncate:
		return data[:min(fp.TruncateAt, int64(len(data)))]
	case ActionRewrite:
		out := make([]byte, 0, len(data))
		pos := int64(0)
		for _, sk := range fp.Skips {
			out = append(out, data[pos:sk.Offset]...)
			pos = sk.Offset + sk.Length
		}
		return append(out, data[pos:]...)
	}
	return data
}

// writeAtomic writes data to path through a temporary file in the same
// directory: write, fsync, rename, fsync the directory.
func writeAtomic(path string, data []byte) error {
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
	if _, err := tmp.Write(data); err != nil {
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
