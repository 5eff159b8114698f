package rdbscan

import (
	"context"
	"errors"
	"io"
	"runtime"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Options tune Scan. The zero value checks every value, calls no hook, does
// not look for duplicate keys and leaves the bytes after the trailer unread.
type Options struct {
	// Shallow reads the records without checking their values: Next
	// discards each value unread, so only the record framing is checked
	// and Entry.Size and Entry.Len are not known in OnEntry.
	Shallow bool
	// OnHeader, when set, is called once with the header, before the first
	// record. A non-nil error stops the scan; Scan returns it.
	OnHeader func(*rdbfile.Header) error
	// OnEntry, when set, is called for every record (keys and opcodes) in
	// file order, after a key's value was consumed (checked, unless
	// Shallow). The Entry is the Reader's and is valid only during the
	// call. A non-nil error stops the scan; Scan returns it.
	OnEntry func(*rdbfile.Entry) error
	// Tail reads the bytes after the CRC-64 trailer to the end of the input
	// and counts them (Result.Trailing): for a standalone RDB file. Leave it
	// false for an AOF preamble, where the RESP part follows.
	Tail bool
	// Duplicates looks for keys that appear twice in one database, which a
	// server refuses to load (see Duplicate). It keeps a 64-bit hash of
	// every key, 8 bytes a key, in DupMemory; when they do not fit, all of
	// them go to a temporary file in TempDir (8 bytes per key on disk; the
	// file is removed when Scan returns, and on Unix at once after it is
	// created, so that it never outlives the process). A failure to
	// create, write or read that file is returned as a *DupTempError, with
	// the rest of the Result filled.
	Duplicates bool
	// DupMemory is the memory budget of the duplicate check in bytes: 0 is
	// DefaultDupMemory (16 MiB, the hashes of 2 Mi keys); a budget below
	// MinDupMemory (64 KiB) is raised to it, one above 16 GiB lowered to
	// it. Up to 128 × DupMemory/8 keys (about 250 M at 16 MiB) the
	// temporary file is written once and read once; beyond, its parts too
	// big for the budget are split again.
	DupMemory int
	// TempDir is the directory of the duplicate check's temporary file; ""
	// is os.TempDir() ($TMPDIR or /tmp on Unix). Never the input's
	// directory: inputs are read-only.
	TempDir string
	// Reopen, when set, returns a new Reader over the same stream from its
	// first byte. The duplicate check calls it for a second pass, and only
	// when the first found keys with equal hashes, to compare them byte
	// for byte and find their offsets. Without it such keys are reported
	// as unconfirmed (Duplicate.Unconfirmed).
	Reopen func() (*rdbfile.Reader, error)
	// Now is the load time in ms since the Unix epoch, used to tell which
	// copies of a duplicated key a primary would drop as expired
	// (Duplicate.Loaded). Zero treats every copy as live.
	Now int64
	// MaxDuplicates caps the duplicated keys kept in Result.Duplicates
	// (0 = 1000); Result.DupCount counts them all.
	MaxDuplicates int
	// Jobs is how many goroutines the scan keeps busy (0 or 1 = one; a
	// negative value = runtime.NumCPU()). With 1 the calling goroutine
	// reads and checks each value in turn (Reader.Next, Entry.Skip). From
	// 2 on, the duplicate check (Duplicates) keeps the keys' hashes on a
	// goroutine of its own, fed in batches (it hashes each key on the
	// calling goroutine: 9 bytes a key in flight, 288 KiB in all) and, at
	// the end, reads its temporary file back on two goroutines. From 3
	// on, unless Shallow, the values are also checked by Jobs-2 workers of
	// an rdbfile.Checker while the calling goroutine reads the records;
	// the Checker's budget (rdbfile.CheckMaxValues records, CheckMaxBytes
	// bytes in flight) bounds the memory it adds. Whatever Jobs, the
	// Result, the hooks' calls and everything they see are the same,
	// record for record.
	Jobs int
}

// Result is what one pass over an RDB stream found.
type Result struct {
	Header *rdbfile.Header // nil if the header could not be read
	// Err is the *rdbfile.CorruptError that stopped reading, if any.
	Err      error
	Checksum rdbfile.ChecksumStatus
	Findings []rdbfile.Finding // findings kept by the Reader (non-fatal problems)
	NAll     int               // all findings, kept or not
	NErrors  int               // findings of severity error
	Records  int64             // records read (keys and opcodes)
	Keys     int64             // key records read
	// IntactUpTo is the offset up to which records are intact: the start of
	// the first record with an error, or of the record the reader stopped
	// in. -1 when no record is damaged (a checksum mismatch alone damages
	// no record).
	IntactUpTo int64
	// RecordStart is where the scan was about to read the next record when
	// it stopped: just after the last record handed to OnEntry (whose
	// value may be damaged), or after the header.
	RecordStart int64
	// End is the offset just after the CRC-64 trailer (or after the EOF
	// opcode for files without one), also when the checksum mismatches; 0
	// when the scan did not get there.
	End int64
	// Trailing is the number of bytes after the trailer (Options.Tail).
	Trailing int64
	// Size is the number of bytes of the stream read: End plus Trailing
	// after a complete scan, else how far the reader got.
	Size int64
	// Duplicates are the duplicated keys found (Options.Duplicates), at most
	// Options.MaxDuplicates of them, in the order of their second copy.
	Duplicates []Duplicate
	// DupCount is the number of duplicated keys, kept or not.
	DupCount int64
	// DupChecked reports whether the duplicate check ran over every key of
	// the file (it is off, stopped early, or failed, when false).
	DupChecked bool
	// DupTempBytes is the size in bytes of the duplicate check's temporary
	// file (0 when the hashes fit in Options.DupMemory).
	DupTempBytes int64
}

// Done reports whether the reader reached the end of the stream.
func (s *Result) Done() bool { return s.Err == nil }

// Damaged reports whether a record is damaged: a fatal error or a finding
// of severity error. Duplicated keys are reported apart (Duplicates).
func (s *Result) Damaged() bool { return s.Err != nil || s.NErrors > 0 }

func (s *Result) markDamage(off int64) {
	if s.IntactUpTo < 0 || off < s.IntactUpTo {
		s.IntactUpTo = off
	}
}

// Scan reads every record of r to the end of the stream in one pass,
// consuming each value with Entry.Skip (so checking it) unless
// Options.Shallow, or through an rdbfile.Checker when Options.Jobs is
// above 2, and calling the hooks in file order on the calling goroutine. Problems of the file are in the
// Result: a fatal *rdbfile.CorruptError in Err, non-fatal ones in Findings,
// and IntactUpTo says how far the records are intact. The returned error is
// for everything else: a read error that is not a CorruptError (I/O,
// decompression), the context's error (checked every 1024 records), or a
// hook's error; the Result is filled as far as the scan got even then.
//
// r must be positioned at the start of the stream (Header not yet called)
// or just after its header.
func Scan(ctx context.Context, r *rdbfile.Reader, opts *Options) (*Result, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	res := &Result{IntactUpTo: -1}
	var src records = r // the Reader, or a Checker over it
	var dups *dupSet
	if o.Duplicates {
		dups = newDupSet(&o)
		defer dups.close()
	}
	finish := func(err error) (*Result, error) {
		res.Findings = src.Findings()
		res.NAll, res.NErrors = src.FindingCount()
		res.Checksum = src.Checksum()
		res.Size = src.Offset()
		var ce *rdbfile.CorruptError
		if err != nil && errors.As(err, &ce) {
			res.Err = err
			if errors.Is(err, rdbfile.ErrChecksum) {
				res.End = src.Offset() // every record was read, the trailer too
			} else {
				res.markDamage(min(ce.Offset, res.RecordStart))
			}
			err = nil
		}
		if err == nil && dups != nil && ctx.Err() == nil {
			err = res.resolveDuplicates(ctx, dups, &o)
		}
		return res, err
	}
	h, err := r.Header()
	if err != nil {
		return finish(err)
	}
	res.Header = h
	if o.OnHeader != nil {
		if err := o.OnHeader(h); err != nil {
			return finish(err)
		}
	}
	res.RecordStart = r.Offset()
	jobs := o.Jobs
	if jobs < 0 {
		jobs = runtime.NumCPU()
	}
	if jobs > 1 && dups != nil {
		dups.startFeed()
		dups.two = true
	}
	var chk *rdbfile.Checker
	if jobs > 2 && !o.Shallow {
		chk = rdbfile.NewChecker(r, jobs-2)
		defer chk.Close()
		src = chk
	}
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return finish(err)
			}
		}
		_, errsBefore := src.FindingCount()
		e, err := src.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return finish(err)
		}
		res.Records++
		if e.Kind == rdbfile.EntryKey {
			res.Keys++
			var err error
			switch {
			case chk != nil:
				err = chk.ValueErr()
			case !o.Shallow:
				err = e.Skip()
			}
			if err != nil {
				var ce *rdbfile.CorruptError
				if !errors.As(err, &ce) {
					return finish(err)
				}
				res.markDamage(e.Offset)
			}
			if dups != nil {
				dups.key(e.DB, e.Key)
			}
		}
		if _, errsAfter := src.FindingCount(); errsAfter > errsBefore {
			res.markDamage(e.Offset)
		}
		if o.OnEntry != nil {
			if err := o.OnEntry(e); err != nil {
				return finish(err)
			}
		}
		res.RecordStart = src.Offset()
	}
	res.End = src.Offset()
	if dups != nil {
		res.DupChecked = true
	}
	if o.Tail {
		n, err := io.Copy(io.Discard, src.Tail())
		res.Trailing = n
		if err != nil {
			res.Findings = src.Findings()
			res.NAll, res.NErrors = src.FindingCount()
			res.Checksum = src.Checksum()
			res.Size = res.End + n
			return res, err
		}
	}
	res.Findings = src.Findings()
	res.NAll, res.NErrors = src.FindingCount()
	res.Checksum = src.Checksum()
	res.Size = res.End + res.Trailing
	if dups != nil {
		if err := res.resolveDuplicates(ctx, dups, &o); err != nil {
			return res, err
		}
	}
	return res, nil
}

// records is what Scan reads: the Reader itself, or a Checker over it.
type records interface {
	Next() (*rdbfile.Entry, error)
	Offset() int64
	Findings() []rdbfile.Finding
	FindingCount() (all, errs int)
	Checksum() rdbfile.ChecksumStatus
	Tail() io.Reader
}
