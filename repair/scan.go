// Package repair checks and repairs multi-part AOF sets (and old-style
// single AOF files) in three steps, after restic's and bbolt's repair tools:
//
//   - Scan reads every file of a manifest.Set strictly, as redis-check-aof
//     does, and records what it found (ok_up_to, the first error, command
//     statistics and, on request, one Record per command).
//   - NewPlan turns a Scan and the caller's choices (PlanOptions) into a
//     Plan: JSON-serialisable data saying, per file, where it is cut, which
//     byte ranges are skipped, how many bytes and commands are lost, and
//     whether the manifest is rewritten. A Plan changes nothing.
//   - Apply writes the plan: into a new directory, or in place after
//     copying every changed file to a backup directory, always through a
//     temporary file, fsync and rename.
//
// The package never prints and never calls time.Now; it imports only the
// format packages (aoffile, manifest, rdbfile), rdbscan and the standard library.
package repair

import (
	"bufio"
	"context"
	"errors"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/internal/input/ctxio"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
)

// ScanOptions tune Scan. The zero value checks RESP framing and MULTI/EXEC
// and skips the RDB part without decoding its values.
type ScanOptions struct {
	// DeepRDB decodes and checks every value of an RDB base or preamble.
	DeepRDB bool
	// Check, when set, is called with every command of every file, after
	// the RDB part of that file (if any) was read; an error it returns is
	// kept as a CommandIssue, which makes the file damaged (e.g.
	// aoffile.ValidateKnown: no server loads a command no release has).
	Check func(f *manifest.File, c *aoffile.Command) error
	// OnRDB, when set, is called with the header of each RDB base or
	// preamble; the function it returns, if not nil, is called with every
	// record of that RDB part after its value was consumed (for
	// loadability checks such as rdbscan.Compat).
	OnRDB func(f *manifest.File, h *rdbfile.Header) func(*rdbfile.Entry)
	// Records keeps one Record per annotation and per MULTI and EXEC
	// command: what NewPlan needs for a timestamp cut. Other commands are
	// counted, not kept, so memory does not grow with the file.
	Records bool
	// MaxIssues caps the command issues kept per file (0 = 100).
	MaxIssues int
	// Progress, when set, is called with the bytes read so far across the
	// whole set (for a progress bar).
	Progress func(n int64)
	// Source, when set, is the content of the only file of an old-style
	// single-file set (Set.Legacy), already open (a pipe, standard input,
	// a decompressed stream): it is read instead of opening the file.
	Source io.Reader
	// NoDupCheck turns off the duplicate key check of the RDB base or
	// preamble that DeepRDB does (8 bytes of memory per key).
	NoDupCheck bool
	// Reopen, when set with Source, opens the same content again from its
	// first byte, for the second pass of the duplicate key check of its
	// RDB preamble (DeepRDB). Leave it nil for a stream that cannot be read
	// twice: duplicated keys are then reported by their hash. The scan
	// closes what it returns.
	Reopen func() (io.ReadCloser, error)

	counter *ctxio.Counter
}

// RDBPart describes the RDB base or preamble at the start of a file.
type RDBPart struct {
	Header   *rdbfile.Header
	Keys     int64
	Records  int64
	End      int64 // offset just after the CRC trailer (where RESP starts)
	Checksum rdbfile.ChecksumStatus
	// Findings are non-fatal problems of the deep check (DeepRDB).
	Findings []rdbfile.Finding
	NErrors  int
	// Err is the fatal error that stopped reading (*rdbfile.CorruptError).
	Err error
	// Summary is the RDB summary of the key space (filled with DeepRDB).
	Summary *rdbscan.Summary
}

// Record is one annotation, MULTI or EXEC of a scanned file.
type Record struct {
	Offset int64
	Size   int64
	Kind   aoffile.Kind
	Name   string // upper-case command name; "" for an annotation
	TS     int64  // the "#TS:" value of a timestamp annotation, else aoffile.NoTimestamp
}

// CommandIssue is a command that ScanOptions.Check refused.
type CommandIssue struct {
	Offset int64
	Err    error // *aoffile.CommandError
}

// FileScan is what Scan found in one file.
type FileScan struct {
	File        *manifest.File
	RDB         *RDBPart // nil when the file holds no RDB part
	Commands    int64
	Annotations int64
	// CommandCounts counts commands by upper-case name.
	CommandCounts map[string]int64
	// DBs are the databases selected by SELECT, in increasing order.
	DBs          []int
	FirstTS      int64 // first "#TS:" value, or aoffile.NoTimestamp
	LastTS       int64
	MultiBlocks  int64
	OKUpTo       aoffile.Position
	Err          error // *aoffile.SyntaxError, RDB error, or I/O error; nil when valid
	Issues       []CommandIssue
	IssueCount   int64
	Records      []Record
	EndLine      int64
	ScannedBytes int64
}

// Valid reports whether the file read completely without error.
func (f *FileScan) Valid() bool { return f.Err == nil }

// RDBDamaged reports whether the error is in the RDB part.
func (f *FileScan) RDBDamaged() bool {
	return f.RDB != nil && (f.RDB.Err != nil || f.RDB.NErrors > 0)
}

// Scan is the result of scanning a whole set.
type Scan struct {
	Set   *manifest.Set
	Files []*FileScan // Set.Files() order: base, then incr files
}

// Damaged reports whether a listed file is missing or any file is damaged.
func (s *Scan) Damaged() bool {
	if len(s.Set.Errors()) > 0 {
		return true
	}
	for _, f := range s.Files {
		if f.Err != nil || f.RDBDamaged() || f.IssueCount > 0 {
			return true
		}
	}
	return false
}

// ScanSet reads every existing file of set. Missing files are skipped (they
// are findings of the set). The error is for interruption only; file
// problems are in the FileScans.
func ScanSet(ctx context.Context, set *manifest.Set, opts *ScanOptions) (*Scan, error) {
	var o ScanOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxIssues == 0 {
		o.MaxIssues = 100
	}
	o.counter = ctxio.NewCounter(o.Progress)
	s := &Scan{Set: set}
	var line int64 = 1
	for i, f := range set.Files() {
		if err := ctx.Err(); err != nil {
			return s, err
		}
		if !f.Exists {
			continue
		}
		fs := scanFile(ctx, set, f, i == 0 && f.Type == manifest.TypeBase || set.Legacy, line, &o)
		if err := ctx.Err(); err != nil {
			return s, err
		}
		line = fs.EndLine
		s.Files = append(s.Files, fs)
	}
	return s, nil
}

func scanFile(ctx context.Context, set *manifest.Set, f *manifest.File, preamble bool, line int64, o *ScanOptions) *FileScan {
	fs := &FileScan{File: f, CommandCounts: map[string]int64{}, FirstTS: aoffile.NoTimestamp, LastTS: aoffile.NoTimestamp, EndLine: line}
	h := o.Source
	if h == nil || !set.Legacy {
		fh, err := set.Open(f)
		if err != nil {
			fs.Err = err
			return fs
		}
		defer fh.Close()
		h = fh
	}
	var again []io.Closer
	defer func() {
		for _, c := range again {
			c.Close()
		}
	}()
	src := bufio.NewReaderSize(ctxio.NewReader(ctx, h, o.counter), 64<<10)
	r := aoffile.NewReader(src, &aoffile.Options{Size: f.Size, Line: line, NoPreamble: !preamble})
	rdb, err := r.Preamble()
	if err != nil {
		fs.Err = err
		return fs
	}
	if rdb != nil {
		part := &RDBPart{}
		fs.RDB = part
		var onHeader func(*rdbfile.Header) func(*rdbfile.Entry)
		if o.OnRDB != nil {
			onHeader = func(h *rdbfile.Header) func(*rdbfile.Entry) { return o.OnRDB(f, h) }
		}
		var reopen func() (*rdbfile.Reader, error)
		if o.Source == nil || !set.Legacy || o.Reopen != nil {
			// A file of the set, or a Source that can be read again: for
			// the duplicate check's confirming pass.
			reopen = func() (*rdbfile.Reader, error) {
				var fh io.ReadCloser
				var err error
				if o.Source != nil && set.Legacy {
					fh, err = o.Reopen()
				} else {
					fh, err = set.Open(f)
				}
				if err != nil {
					return nil, err
				}
				again = append(again, fh)
				r2, err := aoffile.NewReader(bufio.NewReaderSize(ctxio.NewReader(ctx, fh, nil), 64<<10),
					&aoffile.Options{Size: f.Size, Line: line, NoPreamble: !preamble}).Preamble()
				if err == nil && r2 == nil {
					err = errors.New(f.Name + ": the file changed while it was being read (is a server writing it?)")
				}
				return r2, err
			}
		}
		if err := walkRDB(ctx, rdb, part, o.DeepRDB, !o.NoDupCheck, onHeader, reopen); err != nil {
			part.Err = err
			fs.Err = err
			fs.OKUpTo = aoffile.Position{Offset: 0, Line: line}
			return fs
		}
		part.End = rdb.Offset()
		if part.NErrors > 0 {
			// Deep errors: the server would refuse the base too.
			for _, fd := range part.Findings {
				if fd.Severity == rdbfile.SevError {
					fs.Err = fd.Err
					break
				}
			}
		}
	}
	dbs := map[int]bool{}
	inMulti := false
	for {
		c, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if fs.Err == nil {
				fs.Err = err
			}
			break
		}
		rec := Record{Offset: c.Offset, Size: c.Size, Kind: c.Kind, TS: aoffile.NoTimestamp}
		if c.Kind == aoffile.KindAnnotation {
			fs.Annotations++
			if ts, ok := c.TS(); ok {
				rec.TS = ts
				if fs.FirstTS == aoffile.NoTimestamp {
					fs.FirstTS = ts
				}
				fs.LastTS = ts
			}
		} else {
			fs.Commands++
			name := strings.ToUpper(string(c.Args[0]))
			rec.Name = name
			fs.CommandCounts[name]++
			switch name {
			case "SELECT":
				if len(c.Args) == 2 {
					if n, ok := atoi(c.Args[1]); ok {
						dbs[n] = true
					}
				}
			case "MULTI":
				inMulti = true
			case "EXEC":
				if inMulti {
					fs.MultiBlocks++
				}
				inMulti = false
			}
			if o.Check != nil {
				if err := o.Check(f, c); err != nil {
					fs.IssueCount++
					if len(fs.Issues) < o.MaxIssues {
						fs.Issues = append(fs.Issues, CommandIssue{Offset: c.Offset, Err: err})
					}
				}
			}
		}
		if o.Records && (rec.Kind == aoffile.KindAnnotation || rec.Name == "MULTI" || rec.Name == "EXEC") {
			fs.Records = append(fs.Records, rec)
		}
	}
	fs.OKUpTo = r.OKUpTo()
	fs.EndLine = fs.OKUpTo.Line
	fs.ScannedBytes = r.Offset()
	for d := range dbs {
		fs.DBs = append(fs.DBs, d)
	}
	sort.Ints(fs.DBs)
	return fs
}

func atoi(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// walkRDB reads the RDB part to its end with the one RDB scan
// (rdbscan.Scan), checking every value and summarising the key space when
// deep. onHeader, if not nil, is called with the header; the function it
// returns, if not nil, sees every record after its value was consumed (and
// so checked, deep or not). The error is the fatal one: the file's
// (*rdbfile.CorruptError) or an I/O or context error.
//
// When deep and dups, keys stored twice in one database are looked for too, as the
// server aborts on them while loading an AOF base or preamble as it does an
// RDB file; reopen, if not nil, reads the part again for the confirming
// pass. Every copy counts as live: a preamble keeps expired keys. Each
// duplicated key becomes a finding at its second copy.
func walkRDB(ctx context.Context, r *rdbfile.Reader, part *RDBPart, deep, dups bool, onHeader func(*rdbfile.Header) func(*rdbfile.Entry), reopen func() (*rdbfile.Reader, error)) error {
	var sum *rdbscan.Summary
	var each func(*rdbfile.Entry)
	o := &rdbscan.Options{Shallow: !deep && onHeader == nil}
	if deep {
		sum = &rdbscan.Summary{TopN: 5}
		o.Duplicates, o.Reopen = dups, reopen
	}
	if onHeader != nil {
		o.OnHeader = func(h *rdbfile.Header) error { each = onHeader(h); return nil }
	}
	if sum != nil || onHeader != nil {
		o.OnEntry = func(e *rdbfile.Entry) error {
			if sum != nil {
				sum.Add(e)
			}
			if each != nil {
				each(e)
			}
			return nil
		}
	}
	res, err := rdbscan.Scan(ctx, r, o)
	part.Header = res.Header
	part.Records, part.Keys = res.Records, res.Keys
	part.Findings, part.NErrors = res.Findings, res.NErrors
	if res.DupCount > 0 {
		part.Findings = append(part.Findings, dupFindings(res)...)
		for _, f := range part.Findings[len(res.Findings):] {
			if f.Severity == rdbfile.SevError {
				part.NErrors++
			}
		}
	}
	part.Checksum = res.Checksum
	part.Summary = sum
	if err == nil {
		err = res.Err
	}
	return err
}

// fileSource is a source over one file of the set, sized by a stat of the
// open file (not by the manifest's earlier stat).
type fileSource struct {
	*source
	f *os.File
}

func openSource(set *manifest.Set, f *manifest.File) (*fileSource, error) {
	h, err := set.Open(f)
	if err != nil {
		return nil, err
	}
	st, err := h.Stat()
	if err != nil {
		h.Close()
		return nil, err
	}
	return &fileSource{source: newSource(h, st.Size()), f: h}, nil
}

func (s *fileSource) close() error { return s.f.Close() }

// TornTail reports whether the only damage of the set is an incomplete
// command (or an unfinished MULTI) at the end of its last file, and how many
// bytes follow the last complete command there. A server started with
// aof-load-truncated yes (the default) loads such a set: it drops those
// bytes and truncates the file (Redis src/aof.c, loadSingleAppendOnlyFile).
func (s *Scan) TornTail() (file string, dropped int64, ok bool) {
	if len(s.Set.Errors()) > 0 || len(s.Files) == 0 || len(s.Files) != len(s.Set.Files()) {
		return "", 0, false
	}
	for i, f := range s.Files {
		last := i == len(s.Files)-1
		if f.RDBDamaged() || f.IssueCount > 0 || (f.Err != nil && !last) {
			return "", 0, false
		}
	}
	l := s.Files[len(s.Files)-1]
	var se *aoffile.SyntaxError
	if !errors.As(l.Err, &se) || !errors.Is(se.Err, aoffile.ErrTruncated) {
		return "", 0, false
	}
	return l.File.Name, l.File.Size - se.OKUpTo.Offset, true
}

// dupFindings turns the duplicated keys of a base or preamble into findings
// at each key's second copy.
func dupFindings(res *rdbscan.Result) []rdbfile.Finding {
	var out []rdbfile.Finding
	for _, d := range res.Duplicates {
		sev := rdbfile.SevError
		if d.Outcome != rdbscan.DupAborts {
			sev = rdbfile.SevWarning
		}
		e := &rdbfile.CorruptError{Offset: res.RecordStart, Field: "key", Err: rdbfile.ErrInvalid, Detail: d.Message()}
		if !d.Unconfirmed {
			e.Offset, e.Key = d.Copies[1].Offset, d.Key
		}
		out = append(out, rdbfile.Finding{Severity: sev, Err: e})
	}
	if more := res.DupCount - int64(len(res.Duplicates)); more > 0 {
		out = append(out, rdbfile.Finding{Severity: rdbfile.SevError, Err: &rdbfile.CorruptError{Offset: res.RecordStart, Field: "key", Err: rdbfile.ErrInvalid,
			Detail: rdbscan.MoreMessage(more)}})
	}
	return out
}
