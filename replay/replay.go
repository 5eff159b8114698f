// Package replay rebuilds a dataset offline the way a server does at
// startup: it loads an RDB file, or the base of an AOF set (RDB preamble or
// RESP) followed by every incr file in manifest order, into an
// engine.Engine. It can stop at a point in time (the first "#TS:"
// annotation after a given unix second), as redis-check-aof
// --truncate-to-timestamp would cut the set.
//
// Loading follows Redis src/aof.c loadAppendOnlyFiles and
// loadSingleAppendOnlyFile: history files are never read, "#" lines are
// annotations, a command the server does not know stops loading, error
// replies of known commands are ignored, and a torn last command or an
// unfinished MULTI at the end of the last file is dropped, as the server
// does with aof-load-truncated yes (its default); anywhere else it stops the
// replay, as it stops the server.
//
// An RDB file is loaded as src/rdb.c rdbLoadRioWithLoadingCtx loads it: a
// primary drops the keys that expired before the load started (a replica,
// and the RDB preamble of an AOF, keep them), and empty aggregates are
// skipped with a warning.
package replay

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/engine"
	"github.com/rdbkit/rdbkit/internal/input/ctxio"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// Options tune a replay.
type Options struct {
	// Version is the semantics to replay with. Zero means: from the RDB's
	// "redis-ver"/"valkey-ver" AUX field, else Fallback.
	Version engine.ServerVersion
	// Fallback is used when Version is zero and no RDB names the version.
	Fallback engine.ServerVersion
	// Until, when >= 0, stops at the first "#TS:<t>" annotation with t > Until
	// (unix seconds); that annotation and everything after it are not replayed.
	Until int64
	// SkipUnknown skips commands the engine cannot execute (unknown ones,
	// scripts) instead of stopping; each skip is passed to OnSkip.
	SkipUnknown bool
	// OnSkip, when set, is told about every skipped command.
	OnSkip func(Skip)
	// Progress, when set, gets the bytes read so far across all files.
	Progress func(n int64)
	// Databases is the server's "databases" setting (default 16).
	Databases int
	// Now is the time the load starts (ms since the Unix epoch). File drops
	// the keys of the RDB that expired before it, as a restarting primary
	// does, unless AsReplica is set; zero drops nothing. The keys of an AOF
	// set's RDB preamble are never dropped. Once the files are in, it is
	// also the engine's time (Engine.SetTime): a Valkey 9 digest leaves out
	// the hash fields expired by then, as the server's does.
	Now int64
	// AsReplica loads an RDB file as a replica does: keys already expired
	// at Now are kept (the primary expires them).
	AsReplica bool
	// RefuseTruncated is the server's "aof-load-truncated no": a torn last
	// command at the end of the last file stops the replay with an error
	// instead of being dropped with a warning.
	RefuseTruncated bool
	// OnWarning, when set, is told about every warning as it happens
	// (Result.Warnings counts them).
	OnWarning func(Warning)
	// Source, for Set, is the content of the only file of an old-style
	// single-file set (Set.Legacy), already open (a pipe, standard input, a
	// decompressed stream): it is read instead of opening the file.
	Source io.Reader
	// streamRead, set by Set for a Source, is how many bytes were read
	// from it: its size once a torn tail was read to the end.
	streamRead func() int64
	// BulkLoadGC, for File and Reader, sets the garbage collector's pacing
	// for a bulk load while the RDB loads (GOGC 200 unless the user set
	// one; see bulkLoadGC); Set does not. It changes a process-wide
	// setting (and restores it), so it is for programs that load one file
	// at a time, such as the rdbkit command. (Transparent huge pages for
	// the heap are not asked for: with the keyspace in a few large blocks
	// they saved no user CPU, and the kernel's compaction on their faults,
	// THP defrag "madvise", cost 4 s of system CPU and 1.6-3.3 s of wall
	// time on a 1.2 GB load.)
	BulkLoadGC bool
}

// Position names a place in a file of the set.
type Position struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Line   int64  `json:"line"`
}

// Skip is one command that was not executed.
type Skip struct {
	File    string `json:"file"`
	Offset  int64  `json:"offset"`
	Line    int64  `json:"line"`
	Command string `json:"command"`
	Reason  string `json:"reason"`
}

// Result summarises a replay.
type Result struct {
	Version       string    `json:"server_version"`
	VersionSource string    `json:"version_source"` // "aux", "option" or "fallback"
	RDBKeys       int64     `json:"rdb_keys"`       // keys loaded from the RDB part
	Commands      int64     `json:"commands"`       // commands executed (MULTI/EXEC included)
	ErrorReplies  int64     `json:"error_replies"`  // commands the server would answer with an error (ignored while loading)
	Skipped       int64     `json:"skipped"`
	StoppedAt     *Position `json:"stopped_at"` // set when Until cut the replay
	StoppedTS     int64     `json:"stopped_ts"` // the #TS value where it stopped, or -1
	LastTS        int64     `json:"last_ts"`    // last #TS replayed, or -1
	OpenMulti     bool      `json:"open_multi"` // an unfinished MULTI at the end was discarded
	Files         []string  `json:"files"`
	// KeysExpired counts the keys of a plain RDB file not loaded because
	// they expired before Options.Now (the server's "keys expired").
	KeysExpired int64 `json:"keys_expired"`
	// EmptyKeysSkipped counts empty aggregates not loaded (the server's
	// "empty keys skipped").
	EmptyKeysSkipped int64 `json:"empty_keys_skipped"`
	// Truncated is set when a torn tail of the last file was dropped.
	Truncated *Truncation `json:"truncated"`
	// Warnings counts the warnings passed to Options.OnWarning.
	Warnings int64 `json:"warnings"`
}

// Truncation is the torn tail of the last AOF file that a replay dropped,
// as the server drops it with aof-load-truncated yes.
type Truncation struct {
	File   string `json:"file"`
	OKUpTo int64  `json:"ok_up_to"` // offset where the dropped tail starts (redis-check-aof's ok_up_to)
	Line   int64  `json:"line"`     // redis-check-aof's ok_up_to_line
	Bytes  int64  `json:"bytes"`    // bytes dropped
}

// A Warning is something the server would load but log: an empty key
// skipped, a torn tail dropped.
type Warning struct {
	File    string
	Offset  int64  // of the key's record, or of the dropped tail
	Key     []byte // the key concerned, or nil
	DB      int    // the key's database (0 without a key)
	Message string
}

func (res *Result) warn(o *Options, w Warning) {
	res.Warnings++
	if o.OnWarning != nil {
		o.OnWarning(w)
	}
}

// loadRDB loads the RDB read by r (a file, or an AOF base or preamble named
// name) into e, counting and reporting what it does not load. dropExpired
// is the primary's rule (a plain RDB file loaded by a primary).
func loadRDB(e *engine.Engine, r *rdbfile.Reader, name string, dropExpired bool, o *Options, res *Result) error {
	lo := engine.LoadOptions{OnSkip: func(s engine.LoadSkip) {
		switch s.Reason {
		case engine.SkipExpired:
			res.KeysExpired++
		case engine.SkipEmpty:
			res.EmptyKeysSkipped++
			res.warn(o, Warning{File: name, Offset: s.Offset, Key: bytes.Clone(s.Key), DB: s.DB,
				Message: "empty " + s.Kind.String() + " skipped, as the server skips it (\"rdbLoadObject skipping empty key\")"})
		}
	}}
	if dropExpired {
		lo.DropExpiredBefore = o.Now
	}
	return e.LoadRDBWith(r, lo)
}

// An Error stops a replay: the file, offset and line of the command, and why.
type Error struct {
	Position
	Command string
	Err     error
}

func (e *Error) Error() string {
	if e.Command == "" { // the cause names the offset, if there is one
		return e.File + ": " + e.Err.Error()
	}
	return fmt.Sprintf("%s: offset %d (0x%x), line %d: command %s: %v", e.File, e.Offset, e.Offset, e.Line, e.Command, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// File replays the RDB file at path. It is Reader on the opened file.
func File(ctx context.Context, path string, o Options) (*engine.Engine, *Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	return Reader(ctx, path, f, st.Size(), o)
}

// Reader replays one RDB read from r, a file, a pipe or a decompressed
// stream, named name in the Result. size is the stream's length in bytes
// when known (it lets the RDB reader check lengths against it), else 0. Reading stops with ctx.Err() once ctx is
// done.
func Reader(ctx context.Context, name string, r io.Reader, size int64, o Options) (*engine.Engine, *Result, error) {
	src := ctxio.NewReader(ctx, r, ctxio.NewCounter(o.Progress))
	rr := rdbfile.NewReader(bufio.NewReaderSize(src, 1<<16), &rdbfile.Options{Size: size})
	hdr, err := rr.Header()
	if err != nil {
		return nil, nil, err
	}
	e, res := newEngine(hdr, o)
	res.Files = []string{name}
	if o.BulkLoadGC {
		defer bulkLoadGC()()
	}
	if err := loadRDB(e, rr, name, !o.AsReplica && o.Now != 0, &o, res); err != nil {
		return nil, nil, err
	}
	res.RDBKeys = countKeys(e)
	atLoadTime(e, &o)
	return e, res, nil
}

// atLoadTime sets the engine's clock to Options.Now, when set, once the
// files are in: the time a server that loaded them would digest them at
// (Valkey 9 leaves out the hash fields expired by then,
// engine.ServerVersion.DigestSkipsExpiredFields).
func atLoadTime(e *engine.Engine, o *Options) {
	if o.Now != 0 {
		e.SetTime(o.Now)
	}
}

// bulkLoadGCPercent is the collector's pacing (GOGC) while an RDB loads
// under Options.BulkLoadGC.
const bulkLoadGCPercent = 200

// bulkLoadGC switches the collector to bulk-load settings and returns the
// function that restores the previous ones. A load's heap is almost all
// live data, mostly without pointers (packed byte arenas), and the load
// makes little garbage (the producer's reused staging batches, decoded
// stream metadata), so the peak RSS is the live data plus whatever garbage
// the collector has not yet reclaimed, whatever the pacing. The collector
// paces at GOGC 200: every cycle marks the live heap's objects (the
// aggregate values; the keyspace's index, records and arena of keys and
// short strings are a few large blocks without pointers, see
// engine/keyspace.go), so the cycles of a growing heap cost the sum
// of its sizes at each of them: 1.5 x the final heap at GOGC 200, 3 x at
// GOGC 50, whose marking was a fifth of a 1.17 GB load's CPU time for the
// same peak RSS (the garbage, not the pacing, sets it). The bound is
// looser (3 x the live data at the last cycle) for a load that would make
// garbage. Pacing off under a soft memory limit (4 x the file size), an
// earlier setting, let the garbage of the streams' growing nodes (since
// gone) pile up to the limit: 1.2-2 x the live data. A GOGC other than
// the default 100 is the user's and is kept (off included); GOMEMLIMIT
// stays in force.
func bulkLoadGC() (restore func()) {
	prev := debug.SetGCPercent(-1) // read
	pct := bulkLoadGCPercent
	if prev != 100 { // set by the user (GOGC=off included): kept
		pct = prev
	}
	debug.SetGCPercent(pct)
	return func() { debug.SetGCPercent(prev) }
}

// Set replays an AOF set: the base (RDB or RESP), then each incr file.
func Set(ctx context.Context, set *manifest.Set, o Options) (*engine.Engine, *Result, error) {
	var e *engine.Engine
	var res *Result
	cnt := ctxio.NewCounter(o.Progress)
	if o.Source != nil && set.Legacy {
		o.streamRead = cnt.N
	}
	files := set.Files()
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var h io.ReadCloser = io.NopCloser(o.Source)
		if o.Source == nil || !set.Legacy {
			fh, err := set.Open(f)
			if err != nil {
				return nil, nil, err
			}
			h = fh
		}
		src := bufio.NewReaderSize(ctxio.NewReader(ctx, h, cnt), 1<<16)
		isBase := i == 0 && set.Base != nil
		r := aoffile.NewReader(src, &aoffile.Options{Size: f.Size, NoPreamble: !isBase})
		rdb, err := r.Preamble()
		if err != nil {
			h.Close()
			return nil, nil, &Error{Position: Position{File: f.Name}, Err: err}
		}
		if e == nil {
			var hdr *rdbfile.Header
			if rdb != nil {
				if hdr, err = rdb.Header(); err != nil {
					h.Close()
					return nil, nil, &Error{Position: Position{File: f.Name}, Err: err}
				}
			}
			e, res = newEngine(hdr, o)
		}
		res.Files = append(res.Files, f.Name)
		if rdb != nil {
			if err := loadRDB(e, rdb, f.Name, false, &o, res); err != nil {
				h.Close()
				return nil, nil, &Error{Position: Position{File: f.Name}, Err: err}
			}
			res.RDBKeys = countKeys(e)
		}
		last := i == len(files)-1
		stop, err := replayCommands(e, r, f, last, &o, res)
		h.Close()
		if err != nil {
			return nil, nil, err
		}
		if stop {
			break
		}
	}
	if e == nil {
		e, res = newEngine(nil, o)
	}
	atLoadTime(e, &o)
	return e, res, nil
}

// ErrTruncatedNotLast: a file other than the last one of the set ends in the
// middle of a command or of a MULTI block. The server refuses to start ("the
// truncated file is not the last file").
var ErrTruncatedNotLast = errors.New("replay: the truncated file is not the last file of the set; the server refuses to load it")

// ErrTruncatedRefused: the last file is torn and Options.RefuseTruncated is
// set (the server with aof-load-truncated no refuses to start).
var ErrTruncatedRefused = errors.New("replay: torn tail refused (aof-load-truncated no)")

// torn handles a truncation (aoffile.ErrTruncated) of file f: the server
// (src/aof.c loadSingleAppendOnlyFile, label uxeof, and
// loadAppendOnlyFiles) drops the torn command, or an unfinished MULTI
// block with everything after its MULTI, when the file is the last one of
// the set and aof-load-truncated is yes, and refuses to start otherwise.
func torn(e *engine.Engine, se *aoffile.SyntaxError, f *manifest.File, last bool, o *Options, res *Result) error {
	pos := Position{File: f.Name, Offset: se.Offset, Line: se.Line}
	switch {
	case !last:
		return &Error{Position: pos, Err: fmt.Errorf("%w: %w", ErrTruncatedNotLast, se)}
	case o.RefuseTruncated:
		return &Error{Position: pos, Err: fmt.Errorf("%w: %w", ErrTruncatedRefused, se)}
	}
	if e.InMulti() {
		e.Discard()
		res.OpenMulti = true
	}
	size := f.Size
	if size <= 0 && o.streamRead != nil {
		size = o.streamRead() // a stream of unknown size, read to its end
	}
	n := size - se.OKUpTo.Offset
	res.Truncated = &Truncation{File: f.Name, OKUpTo: se.OKUpTo.Offset, Line: se.OKUpTo.Line, Bytes: n}
	res.warn(o, Warning{File: f.Name, Offset: se.OKUpTo.Offset, Message: fmt.Sprintf(
		"torn tail at offset %d (%s): the server loads this with aof-load-truncated yes (the default) and drops %d bytes",
		se.OKUpTo.Offset, se.Detail, n)})
	return nil
}

func replayCommands(e *engine.Engine, r *aoffile.Reader, f *manifest.File, last bool, o *Options, res *Result) (stop bool, err error) {
	name := f.Name
	for {
		c, err := r.Next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			var se *aoffile.SyntaxError
			if errors.As(err, &se) {
				if errors.Is(se.Err, aoffile.ErrTruncated) {
					return false, torn(e, se, f, last, o, res)
				}
				return false, &Error{Position: Position{File: name, Offset: se.Offset, Line: se.Line}, Err: err}
			}
			return false, &Error{Position: Position{File: name}, Err: err}
		}
		// A command's Position is made only where it is kept: made here for
		// every command it escaped to the heap, 128 MB of garbage over the
		// 4 M commands of the AOF bench set.
		if c.Kind == aoffile.KindAnnotation {
			if ts, ok := c.TS(); ok {
				if o.Until >= 0 && ts > o.Until {
					if e.InMulti() {
						e.Discard()
						res.OpenMulti = true
					}
					res.StoppedAt, res.StoppedTS = &Position{File: name, Offset: c.Offset, Line: c.Line}, ts
					return true, nil
				}
				e.SetTime(ts * 1000)
				res.LastTS = ts
			}
			continue
		}
		err = e.Exec(c.Args)
		res.Commands++
		if err == nil {
			continue
		}
		var ue *engine.UnsupportedError
		if errors.As(err, &ue) {
			pos := Position{File: name, Offset: c.Offset, Line: c.Line}
			if !o.SkipUnknown {
				return false, &Error{Position: pos, Command: string(c.Name()), Err: err}
			}
			res.Skipped++
			if o.OnSkip != nil {
				o.OnSkip(Skip{File: pos.File, Offset: pos.Offset, Line: pos.Line, Command: string(c.Name()), Reason: ue.Error()})
			}
			continue
		}
		// Error replies (WRONGTYPE, ...) are ignored by a loading server.
		res.ErrorReplies++
	}
}

func newEngine(hdr *rdbfile.Header, o Options) (*engine.Engine, *Result) {
	res := &Result{StoppedTS: -1, LastTS: -1}
	v := o.Version
	switch {
	case v != (engine.ServerVersion{}):
		res.VersionSource = "option"
	case hdr != nil:
		if hv, ok := engine.VersionFromHeader(hdr); ok {
			v, res.VersionSource = hv, "aux"
		} else {
			v, res.VersionSource = hv, "rdb-version"
		}
	default:
		v, res.VersionSource = o.Fallback, "fallback"
	}
	res.Version = v.String()
	return engine.NewWithOptions(v, engine.Options{Databases: o.Databases}), res
}

func countKeys(e *engine.Engine) int64 {
	var n int64
	for _, db := range e.DBs() {
		n += int64(e.Len(db))
	}
	return n
}
