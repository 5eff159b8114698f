package cmd

import (
	"context"
	"errors"
	"io"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// scanResult is what reading one RDB stream to its end found.
type scanResult struct {
	Header   *rdbfile.Header // nil if the magic could not be read
	Err      error           // the fatal *rdbfile.CorruptError that stopped reading, if any
	Checksum rdbfile.ChecksumStatus
	Findings []rdbfile.Finding // kept findings (non-fatal problems)
	NAll     int               // all findings, kept or not
	NErrors  int               // findings of severity error
	Records  int64             // records read (keys and opcodes)
	Keys     int64
	// IntactUpTo is the offset up to which records are intact: the start of
	// the first record with an error, or of the record the reader stopped
	// in. -1 when no record is damaged.
	IntactUpTo int64
	// Trailing is the number of bytes after the checksum trailer.
	Trailing int64
	// Size is the number of bytes of the RDB stream read (decompressed).
	Size int64

	recStart int64
}

// Done reports whether the reader reached the end of the file.
func (s *scanResult) Done() bool { return s.Err == nil }

// Damaged reports whether the file has an error: a fatal one or an
// error-severity finding.
func (s *scanResult) Damaged() bool { return s.Err != nil || s.NErrors > 0 }

// scanRDB reads every record of in, consuming (and so validating) every
// value with Entry.Skip, and calls each for every record after its value
// was consumed. A problem with the file is reported in the result; the
// returned error is for everything else (I/O, interruption).
func scanRDB(ctx context.Context, in *input, onHeader func(*rdbfile.Header), each func(*rdbfile.Entry)) (*scanResult, error) {
	res := &scanResult{IntactUpTo: -1}
	r := rdbfile.NewReader(in.R, &rdbfile.Options{Size: in.Size, MaxFindings: maxFindingsKept})
	markDamage := func(off int64) {
		if res.IntactUpTo < 0 || off < res.IntactUpTo {
			res.IntactUpTo = off
		}
	}
	finish := func(err error) (*scanResult, error) {
		res.Findings = r.Findings()
		res.NAll, res.NErrors = r.FindingCount()
		res.Checksum = r.Checksum()
		res.Size = r.Offset()
		if err == nil {
			return res, nil
		}
		var ce *rdbfile.CorruptError
		if errors.As(err, &ce) {
			res.Err = err
			if !errors.Is(err, rdbfile.ErrChecksum) {
				markDamage(min(ce.Offset, res.lastRecordStart()))
			}
			return res, nil
		}
		return res, err
	}
	h, err := r.Header()
	if err != nil {
		return finish(err)
	}
	res.Header = h
	if onHeader != nil {
		onHeader(h)
	}
	start := r.Offset()
	res.setRecordStart(start)
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return finish(err)
			}
		}
		_, errsBefore := r.FindingCount()
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return finish(err)
		}
		res.Records++
		if e.Kind == rdbfile.EntryKey {
			res.Keys++
			if err := e.Skip(); err != nil {
				var ce *rdbfile.CorruptError
				if !errors.As(err, &ce) {
					return finish(err)
				}
				markDamage(e.Offset)
			}
		}
		if _, errsAfter := r.FindingCount(); errsAfter > errsBefore {
			markDamage(e.Offset)
		}
		if each != nil {
			each(e)
		}
		res.setRecordStart(r.Offset())
	}
	res.Findings = r.Findings()
	res.NAll, res.NErrors = r.FindingCount()
	res.Checksum = r.Checksum()
	end := r.Offset()
	n, err := io.Copy(io.Discard, r.Tail())
	res.Trailing = n
	res.Size = end + n
	if err != nil {
		return res, err
	}
	return res, nil
}

// recordStart bookkeeping: the offset where the record being read began.
func (s *scanResult) setRecordStart(off int64) { s.recStart = off }
func (s *scanResult) lastRecordStart() int64   { return s.recStart }
