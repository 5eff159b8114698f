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
// replies of known commands are ignored, and an unfinished MULTI at the end
// of the last file is discarded.
package replay

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/engine"
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
	// BulkLoadGC, for File, turns the garbage collector's proportional
	// pacing off while the RDB loads and bounds the heap with a soft memory
	// limit instead; see bulkLoadGC. It changes process-wide settings (and
	// restores them), so it is for programs that load one file at a time,
	// such as the rdbkit command.
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
}

// An Error stops a replay: the file, offset and line of the command, and why.
type Error struct {
	Position
	Command string
	Err     error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s: offset %d (0x%x), line %d", e.File, e.Offset, e.Offset, e.Line)
	if e.Command != "" {
		s += ": command " + e.Command
	}
	return s + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// File replays a single RDB file.
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
	var src io.Reader = &ctxReader{ctx: ctx, r: f, progress: o.Progress, done: new(int64)}
	r := rdbfile.NewReader(bufio.NewReaderSize(src, 1<<16), &rdbfile.Options{Size: st.Size()})
	hdr, err := r.Header()
	if err != nil {
		return nil, nil, err
	}
	e, res := newEngine(hdr, o)
	res.Files = []string{path}
	if o.BulkLoadGC {
		defer bulkLoadGC(hdr, st.Size())()
	}
	if err := e.LoadRDB(r); err != nil {
		return nil, nil, err
	}
	res.RDBKeys = countKeys(e)
	return e, res, nil
}

// bulkLoadGC switches the collector to bulk-load settings and returns the
// function that restores the previous ones. Loading an RDB allocates little
// garbage (the final objects, plus batches that are reused), so a collector
// pacing by heap growth (GOGC) would mark the growing heap about a dozen
// times for nothing: on a 544 MB file of 500k mixed keys that is ~20 % of
// the load's wall time. Instead, proportional pacing is off
// (debug.SetGCPercent(-1)) and a soft memory limit (debug.SetMemoryLimit)
// stands guard: the larger of 1.5 x the used-mem AUX field (the writing
// server's memory at save time, bytes) and 4 x the file size (bytes), at
// least 64 MiB, and never above a limit already in force (GOMEMLIMIT). Past
// the limit the collector runs as needed to stay near it. The limit is a
// ceiling, not a target: with pacing off the heap is the live data plus the
// little garbage the load makes.
func bulkLoadGC(hdr *rdbfile.Header, fileSize int64) (restore func()) {
	limit := max(4*fileSize, 64<<20)
	if v, ok := hdr.AuxValue("used-mem"); ok {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			limit = max(limit, n+n/2)
		}
	}
	prevLimit := debug.SetMemoryLimit(-1) // -1 reads without changing
	if limit > prevLimit {
		limit = prevLimit
	}
	debug.SetMemoryLimit(limit)
	prevPercent := debug.SetGCPercent(-1)
	return func() {
		debug.SetGCPercent(prevPercent)
		debug.SetMemoryLimit(prevLimit)
	}
}

// Set replays an AOF set: the base (RDB or RESP), then each incr file.
func Set(ctx context.Context, set *manifest.Set, o Options) (*engine.Engine, *Result, error) {
	var e *engine.Engine
	var res *Result
	done := new(int64)
	files := set.Files()
	for i, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		h, err := set.Open(f)
		if err != nil {
			return nil, nil, err
		}
		src := bufio.NewReaderSize(&ctxReader{ctx: ctx, r: h, progress: o.Progress, done: done}, 1<<16)
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
			if err := e.LoadRDB(rdb); err != nil {
				h.Close()
				return nil, nil, &Error{Position: Position{File: f.Name}, Err: err}
			}
			res.RDBKeys = countKeys(e)
		}
		stop, err := replayCommands(e, r, f.Name, o, res)
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
	if e.InMulti() {
		// The server truncates an unfinished transaction at the end of the
		// last file (aof-load-truncated) and executes none of it.
		e.Discard()
		res.OpenMulti = true
	}
	return e, res, nil
}

func replayCommands(e *engine.Engine, r *aoffile.Reader, name string, o Options, res *Result) (stop bool, err error) {
	for {
		c, err := r.Next()
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			var se *aoffile.SyntaxError
			if errors.As(err, &se) {
				return false, &Error{Position: Position{File: name, Offset: se.Offset, Line: se.Line}, Err: err}
			}
			return false, &Error{Position: Position{File: name}, Err: err}
		}
		pos := Position{File: name, Offset: c.Offset, Line: c.Line}
		if c.Kind == aoffile.KindAnnotation {
			if ts, ok := c.TS(); ok {
				if o.Until >= 0 && ts > o.Until {
					if e.InMulti() {
						e.Discard()
						res.OpenMulti = true
					}
					res.StoppedAt, res.StoppedTS = &pos, ts
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

type ctxReader struct {
	ctx      context.Context
	r        io.Reader
	progress func(int64)
	done     *int64
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	if n > 0 && c.progress != nil {
		*c.done += int64(n)
		c.progress(*c.done)
	}
	return n, err
}
