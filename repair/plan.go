package repair

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// PlanOptions are the repairs the caller allows beyond cutting a torn tail.
type PlanOptions struct {
	// DropAfter allows cutting a file at its first damage and dropping
	// every later file of the set (moved to history in the manifest).
	DropAfter bool
	// SkipCorrupt allows skipping damaged byte ranges and keeping every
	// valid command after them.
	SkipCorrupt bool
	// ToTimestamp, when HasTimestamp, cuts the set at the first "#TS:"
	// annotation with a value greater than it (redis-check-aof
	// --truncate-to-timestamp).
	ToTimestamp  int64
	HasTimestamp bool
	// MaxShown is how many lost commands are decoded per file (0 = 5).
	MaxShown int
}

// Plan is what a repair would do. It is plain data: print it, store it as
// JSON, or hand it to Apply.
type Plan struct {
	Dir      string     `json:"dir"`
	Manifest string     `json:"manifest,omitempty"`
	Files    []FilePlan `json:"files"`
	// MoveToHistory lists incr files that the rewritten manifest lists as
	// history (the server deletes those at its next rewrite).
	MoveToHistory   []string `json:"move_to_history,omitempty"`
	RewriteManifest bool     `json:"rewrite_manifest"`
	// Changes reports whether applying the plan changes anything.
	Changes bool `json:"changes"`
	// DataDropped is true when complete commands are dropped beyond the
	// torn tail of the last file (the exit status 4 rule).
	DataDropped bool `json:"data_dropped"`
	// Refused says why nothing can be repaired ("" = the plan is usable).
	Refused string `json:"refused,omitempty"`
	// RefusedOffset is the offset the refusal is about (-1 = none).
	RefusedOffset int64  `json:"refused_offset"`
	RefusedFile   string `json:"refused_file,omitempty"`
	// ManifestCheck is the manifest as the plan saw it, when the plan
	// rewrites it.
	ManifestCheck *FileCheck `json:"manifest_check,omitempty"`

	manifest *manifest.Manifest
}

// Action is what happens to one file.
const (
	ActionKeep     = "keep"
	ActionTruncate = "truncate"
	ActionRewrite  = "rewrite"
	ActionHistory  = "history"
)

// FilePlan is the plan for one file.
type FilePlan struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Action string `json:"action"`
	// TruncateAt is the new size when the file is cut (-1 = not cut).
	TruncateAt int64  `json:"truncate_at"`
	Skips      []Skip `json:"skips,omitempty"`
	NewSize    int64  `json:"new_size"`
	BytesLost  int64  `json:"bytes_lost"`
	// CommandsLost counts complete commands dropped; LostShown decodes
	// the first few.
	CommandsLost int64    `json:"commands_lost"`
	LostShown    []string `json:"lost_shown,omitempty"`
	Reason       string   `json:"reason,omitempty"`
	// Check is the file as the plan saw it (nil in a refused plan).
	Check *FileCheck `json:"check,omitempty"`
}

// Skip is a byte range left out of a file.
type Skip struct {
	Offset       int64  `json:"offset"`
	Length       int64  `json:"length"`
	CommandsLost int64  `json:"commands_lost"`
	Reason       string `json:"reason"`
}

func (p *Plan) refuse(f string, off int64, format string, args ...any) *Plan {
	p.Refused = fmt.Sprintf(format, args...)
	p.RefusedFile, p.RefusedOffset = f, off
	p.Changes = false
	return p
}

// NewPlan decides how to repair the scanned set. It needs a Scan made with
// ScanOptions.Records. Files are read again (only) when bytes must be
// examined: to decode lost commands and to find where valid commands resume.
// A usable plan records each file's size, modification time and the hash of
// the bytes around its cut (Check); it returns a *StaleError when a file's
// size is no longer the one the scan read (a process is writing to it).
func NewPlan(s *Scan, o PlanOptions) (*Plan, error) {
	p, err := newPlan(s, o)
	if err != nil || p.Refused != "" {
		return p, err
	}
	if err := p.recordChecks(s); err != nil {
		return nil, err
	}
	return p, nil
}

func newPlan(s *Scan, o PlanOptions) (*Plan, error) {
	if o.MaxShown == 0 {
		o.MaxShown = 5
	}
	set := s.Set
	p := &Plan{Dir: set.Dir, RefusedOffset: -1}
	if set.ManifestPath != "" && !set.Legacy {
		p.Manifest = set.ManifestPath
	}
	for _, f := range s.Files {
		p.Files = append(p.Files, FilePlan{Name: f.File.Name, Size: f.File.Size, Action: ActionKeep, TruncateAt: -1, NewSize: f.File.Size})
	}
	if errs := set.Errors(); len(errs) > 0 {
		return p.refuse(errs[0].Name, -1, "the set cannot be repaired by rdbkit: %s", errs[0]), nil
	}
	stop := len(s.Files) // index of the first file moved to history
	for i := 0; i < len(s.Files) && i < stop; i++ {
		fs, fp := s.Files[i], &p.Files[i]
		last := i == len(s.Files)-1
		if fs.RDBDamaged() {
			off := int64(0)
			var why string
			if fs.RDB.Err != nil {
				why = fs.RDB.Err.Error()
				if ce := asCorrupt(fs.RDB.Err); ce != nil {
					off = ce.Offset
				}
			} else {
				why = fs.RDB.Findings[0].Err.Error()
				off = fs.RDB.Findings[0].Err.Offset
			}
			return p.refuse(fs.File.Name, off, "the RDB part of %s is damaged at offset %d (%s); rdbkit does not repair RDB data: restore the base from a backup", fs.File.Name, off, why), nil
		}
		var se *aoffile.SyntaxError
		if fs.Err != nil && !errors.As(fs.Err, &se) {
			return p.refuse(fs.File.Name, -1, "%s could not be read: %v", fs.File.Name, fs.Err), nil
		}
		// Point-in-time cut: the first #TS greater than T in this file.
		if o.HasTimestamp {
			if at, ok := tsCut(fs, o.ToTimestamp); ok {
				if i == 0 && at == rdbEnd(fs) && at == 0 {
					return p.refuse(fs.File.Name, 0, "%s has nothing before timestamp %d", fs.File.Name, o.ToTimestamp), nil
				}
				if err := p.cut(set, fs, fp, at, o, "point-in-time cut at the first #TS after "+strconv.FormatInt(o.ToTimestamp, 10)); err != nil {
					return nil, err
				}
				p.DataDropped = p.DataDropped || fp.CommandsLost > 0
				stop = i + 1
				break
			}
		}
		if se == nil {
			continue
		}
		torn := last && errors.Is(se.Err, aoffile.ErrTruncated)
		switch {
		case torn:
			if err := p.cut(set, fs, fp, se.OKUpTo.Offset, o, "incomplete command at the end of the last file (as redis-check-aof --fix)"); err != nil {
				return nil, err
			}
		case o.SkipCorrupt:
			if err := p.salvage(set, fs, fp, o); err != nil {
				return nil, err
			}
			if fp.CommandsLost > 0 || len(fp.Skips) > 0 {
				p.DataDropped = true
			}
		case o.DropAfter:
			if err := p.cut(set, fs, fp, se.OKUpTo.Offset, o, "cut at the first damage (--drop-after): "+se.Error()); err != nil {
				return nil, err
			}
			p.DataDropped = true
			stop = i + 1
		default:
			where := "in the middle of the last file"
			if !last {
				where = "in a file that is not the last one"
			}
			return p.refuse(fs.File.Name, se.Offset,
				"%s is damaged at offset %d %s (%v); valid commands follow it. Use --skip-corrupt to skip the damaged range and keep the rest, or --drop-after to cut at offset %d and drop everything after",
				fs.File.Name, se.Offset, where, se.Err, se.OKUpTo.Offset), nil
		}
	}
	// Files after the cut go to history.
	if stop < len(s.Files) {
		m := cloneManifest(set.Manifest)
		for j := stop; j < len(s.Files); j++ {
			fp := &p.Files[j]
			fs := s.Files[j]
			fp.Action = ActionHistory
			fp.NewSize = fs.File.Size
			fp.BytesLost = fs.File.Size
			fp.CommandsLost = fs.Commands
			fp.Reason = "after the cut: moved to history in the manifest (not loaded)"
			fp.LostShown = firstCommands(set, fs, 0, fs.File.Size, o.MaxShown)
			p.MoveToHistory = append(p.MoveToHistory, fs.File.Name)
			p.DataDropped = p.DataDropped || fs.Commands > 0
			for k := 0; k < len(m.Incr); k++ {
				if m.Incr[k].Name == fs.File.Name {
					e := m.Incr[k]
					e.Type = manifest.TypeHistory
					m.History = append(m.History, e)
					m.Incr = append(m.Incr[:k], m.Incr[k+1:]...)
					k--
				}
			}
		}
		if len(p.MoveToHistory) > 0 && set.ManifestPath != "" && !set.Legacy {
			p.manifest = m
			p.RewriteManifest = true
		}
	}
	for _, fp := range p.Files {
		if fp.Action != ActionKeep {
			p.Changes = true
		}
	}
	return p, nil
}

func rdbEnd(fs *FileScan) int64 {
	if fs.RDB != nil {
		return fs.RDB.End
	}
	return 0
}

// tsCut finds the offset of the first "#TS:" annotation greater than t, or
// of the MULTI of the transaction it falls in.
func tsCut(fs *FileScan, t int64) (int64, bool) {
	multi := int64(-1)
	for _, r := range fs.Records {
		switch {
		case r.Kind == aoffile.KindAnnotation && r.TS != aoffile.NoTimestamp && r.TS > t:
			if multi >= 0 {
				return multi, true
			}
			return r.Offset, true
		case r.Name == "MULTI":
			multi = r.Offset
		case r.Name == "EXEC":
			multi = -1
		}
	}
	return 0, false
}

func (p *Plan) cut(set *manifest.Set, fs *FileScan, fp *FilePlan, at int64, o PlanOptions, reason string) error {
	fp.Action = ActionTruncate
	fp.TruncateAt = at
	fp.NewSize = at
	fp.BytesLost = fs.File.Size - at
	fp.Reason = reason
	if fp.BytesLost == 0 {
		fp.Action, fp.TruncateAt = ActionKeep, -1
		return nil
	}
	src, err := openSource(set, fs.File)
	if err != nil {
		return err
	}
	defer src.close()
	n, shown := lostCommands(src.source, at, src.size, o.MaxShown)
	fp.CommandsLost, fp.LostShown = n, shown
	return src.err
}

func firstCommands(set *manifest.Set, fs *FileScan, from, to int64, max int) []string {
	src, err := openSource(set, fs.File)
	if err != nil {
		return nil
	}
	defer src.close()
	from = max64(from, rdbEnd(fs))
	_, shown := lostCommands(src.source, from, min(to, src.size), max)
	return shown
}

func max64(a, b int64) int64 {
	if a > b {
		return a
	}
	return b
}

// salvage computes the skipped ranges of a file with damage in the middle.
func (p *Plan) salvage(set *manifest.Set, fs *FileScan, fp *FilePlan, o PlanOptions) error {
	src, err := openSource(set, fs.File)
	if err != nil {
		return err
	}
	defer src.close()
	skips, err := salvageRanges(src.source, rdbEnd(fs))
	if err != nil {
		return err
	}
	fp.Action = ActionRewrite
	fp.NewSize = src.size
	for i := range skips {
		sk := &skips[i]
		n, shown := lostCommands(src.source, sk.Offset, sk.Offset+sk.Length, o.MaxShown-len(fp.LostShown))
		sk.CommandsLost = n
		fp.CommandsLost += n
		fp.LostShown = append(fp.LostShown, shown...)
		fp.BytesLost += sk.Length
		fp.NewSize -= sk.Length
	}
	if src.err != nil {
		return src.err
	}
	fp.Skips = skips
	fp.Reason = "damaged ranges skipped (--skip-corrupt); valid commands after them kept"
	if len(skips) == 1 && skips[0].Offset+skips[0].Length == src.size {
		fp.Action, fp.TruncateAt, fp.Skips = ActionTruncate, skips[0].Offset, nil
	}
	return nil
}

func cloneManifest(m *manifest.Manifest) *manifest.Manifest {
	if m == nil {
		return &manifest.Manifest{}
	}
	c := &manifest.Manifest{}
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	c.History = append([]manifest.Entry(nil), m.History...)
	c.Incr = append([]manifest.Entry(nil), m.Incr...)
	return c
}

func asCorrupt(err error) *rdbfile.CorruptError {
	var ce *rdbfile.CorruptError
	if errors.As(err, &ce) {
		return ce
	}
	return nil
}
