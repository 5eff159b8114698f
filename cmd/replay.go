package cmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/engine"
	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/timeparse"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
	"github.com/rdbkit/rdbkit/replay"
)

// replayOptions are the flags of "rdbkit replay".
type replayOptions struct {
	until       string
	version     string
	skipUnknown bool
	digest      bool
	digestKeys  bool
	get         string
	keys        bool
	config      string
	databases   int
	asReplica   bool
}

func newReplayCmd(app *App) *cobra.Command {
	var o replayOptions
	c := &cobra.Command{
		Use:   "replay [flags] PATH",
		Short: "Rebuild the dataset offline from an RDB file or an AOF set, as a restart would",
		Long: `Replay loads PATH into rdbkit's built-in engine exactly as a server does at
startup: an RDB file, or an AOF set (manifest, appendonlydir, a directory
holding one, a single legacy or RDB-preamble AOF): the base, then every incr
file in manifest order, with the semantics of the server version that wrote
them (from the RDB's redis-ver/valkey-ver AUX field, or --server-version).
PATH may be "-" for standard input, a FIFO or a gzip, zstd or Valkey LZ4
("VCS") compressed file, as for inspect.

It prints what a restart would bring back: keys per database and type,
expiries, and a rough memory estimate. --digest prints the DEBUG DIGEST a live
server holding that data would print; --digest-keys every key's DEBUG
DIGEST-VALUE; --get [DB:]KEY one value; --keys the key list; --json the whole
dataset as JSON Lines (docs/json.md).

Like a restarting primary, replay of an RDB file drops the keys already
expired at --now (default: the current time); --as-replica keeps them, as a
replica does. The RDB preamble or base of an AOF set keeps every key, as the
server does: the commands after it expect them (keys past their TTL are then
counted as "already expired"). Empty lists, sets, sorted sets and hashes are
skipped with a warning, as the server skips them. A torn last command (or an
unfinished MULTI) at the end of the last AOF file is dropped with a warning:
the server loads such a set with aof-load-truncated yes, its default; with a
--config that sets aof-load-truncated no, replay refuses it (exit 3).

--until TIME (RFC3339, unix seconds or unix ms) stops at the first #TS annotation after
TIME, so a point in time can be inspected before anything is cut (the state
redis-check-aof --truncate-to-timestamp would leave). A command the engine
cannot execute (unknown, or a script) stops the replay with its file, offset
and line, unless --skip-unknown (each skip is reported on stderr). Error
replies (WRONGTYPE, ...) are ignored, as the loading server ignores them.
Supported commands: docs/engine-commands.md.` + exitStatusHelp +
			`  0    replayed (warnings, such as a torn tail dropped, allowed)
  1    runtime or I/O error, or a command the engine cannot execute
  2    usage error
  3    the input is damaged or incomplete: a corrupt file, a torn file that
       is not the last of the set (or the last one, with a --config setting
       aof-load-truncated no), a manifest that does not parse or lists
       missing files (the server would not load it either)
  5    --get: the key does not exist in the replayed dataset
  130  interrupted`,
		Example: `  rdbkit replay --digest /var/lib/redis/appendonlydir
  rdbkit replay --until 2026-11-21T04:00:00Z --get 0:user:42 appendonlydir
  rdbkit replay --json dump.rdb > dataset.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runReplay(c.Context(), app, o, args[0])
		},
	}
	f := c.Flags()
	f.StringVar(&o.until, "until", "", "stop at the first #TS annotation after this time (RFC3339, unix seconds or unix ms)")
	f.StringVar(&o.version, "server-version", "", "replay with this server's semantics, e.g. 7.2.6 or valkey-8.0.1 (default: from the RDB, else 7.4.0)")
	f.BoolVar(&o.skipUnknown, "skip-unknown", false, "skip commands the engine cannot execute instead of stopping (each is reported)")
	f.BoolVar(&o.digest, "digest", false, "print the dataset's DEBUG DIGEST")
	f.BoolVar(&o.digestKeys, "digest-keys", false, "print every key's DEBUG DIGEST-VALUE")
	f.StringVar(&o.get, "get", "", "print one value: [DB:]KEY (db 0 by default)")
	f.BoolVar(&o.keys, "keys", false, "list the keys (db, key, type, expire)")
	f.StringVar(&o.config, "config", "", "redis.conf/valkey.conf to read appenddirname, appendfilename and aof-load-truncated from")
	f.IntVar(&o.databases, "databases", 16, "the server's 'databases' setting")
	addNowFlag(c, app)
	f.BoolVar(&o.asReplica, "as-replica", false, "load an RDB file as a replica does: keep the keys already expired at --now (RDB files only)")
	return c
}

// jsonReplaySummary is the final "summary" record of replay --json.
type jsonReplaySummary struct {
	Type   string         `json:"type"`
	Result *replay.Result `json:"result"`
	DBs    []jsonReplayDB `json:"dbs"`
	Digest string         `json:"digest"`
	// UndigestedKeys counts keys whose type's DEBUG DIGEST is not known
	// (Redis 8.8 arrays, GCRA): Digest leaves them out.
	UndigestedKeys int           `json:"undigested_keys"`
	Skips          []replay.Skip `json:"skips"`
	// Warnings are the first maxReplayWarnings warnings (result.warnings
	// counts them all).
	Warnings []jsonReplayWarning `json:"warnings"`
}

// jsonReplayWarning is one warning of replay --json: an empty key skipped,
// a torn tail dropped.
type jsonReplayWarning struct {
	File    string    `json:"file"`
	Offset  int64     `json:"offset"`
	DB      *int      `json:"db"`  // null without a key
	Key     jsonBytes `json:"key"` // null without a key
	Message string    `json:"message"`
}

// maxReplayWarnings bounds the warnings kept for --json.
const maxReplayWarnings = 1000

type jsonReplayDB struct {
	DB      int            `json:"db"`
	Keys    int            `json:"keys"`
	Expires int            `json:"expires"`
	Types   map[string]int `json:"types"`
}

// jsonReplayKey is one "key" record of replay --json / --keys --json.
type jsonReplayKey struct {
	Type     string    `json:"type"`
	DB       int       `json:"db"`
	Key      jsonBytes `json:"key"`
	Kind     string    `json:"kind"`
	ExpireAt *string   `json:"expire_at"`
	Digest   string    `json:"digest,omitempty"`
	Value    any       `json:"value,omitempty"`
}

func runReplay(ctx context.Context, app *App, o replayOptions, path string) error {
	ro := replay.Options{Until: -1, SkipUnknown: o.skipUnknown, Databases: o.databases, BulkLoadGC: true,
		Now: app.Now().UnixMilli(), AsReplica: o.asReplica}
	if o.databases < 1 {
		return usageErrorf("--databases must be at least 1")
	}
	ro.Fallback, _ = engine.ParseServerVersion("7.4.0")
	if o.version != "" {
		v, err := engine.ParseServerVersion(o.version)
		if err != nil {
			return usageErrorf("--server-version %q: want e.g. 7.2.6 or valkey-8.0.1", o.version)
		}
		// A release name ("redis-7.4", "valkey-8.1") or any Valkey version
		// must be a known release; a full Redis version outside the table
		// ("6.2.14") keeps that server's semantics.
		_, known := v.Release()
		if strings.Count(o.version, ".") < 2 {
			_, err := release.Parse(o.version)
			known = err == nil
		}
		if !known && (v.Valkey || strings.Count(o.version, ".") < 2) {
			return usageErrorf("--server-version %q: unknown server release (known: %s)", o.version, strings.Join(release.Names(), ", "))
		}
		ro.Version = v
	}
	if o.until != "" {
		t, err := timeparse.UnixSeconds(o.until)
		if err != nil {
			return usageErrorf("--until %q: want %s", o.until, timeparse.Forms)
		}
		ro.Until = t
	}
	getDB, getKey := 0, []byte(nil)
	if o.get != "" {
		getKey = []byte(o.get)
		if i := strings.IndexByte(o.get, ':'); i > 0 {
			if n, err := strconv.Atoi(o.get[:i]); err == nil {
				getDB, getKey = n, []byte(o.get[i+1:])
			}
		}
	}
	var skips []replay.Skip
	ro.OnSkip = func(s replay.Skip) {
		if len(skips) < 1000 {
			skips = append(skips, s)
		}
		if app.mode() != modeJSON {
			fmt.Fprintf(app.IO.ErrOut, "rdbkit: skipped %s at %s offset %d line %d: %s\n", s.Command, s.File, s.Offset, s.Line, s.Reason)
		}
	}

	warnings := []jsonReplayWarning{}
	ro.OnWarning = func(w replay.Warning) {
		if app.mode() != modeJSON {
			fmt.Fprintf(app.IO.ErrOut, "rdbkit: warning: %s\n", replayWarningText(w))
		}
		if len(warnings) < maxReplayWarnings {
			jw := jsonReplayWarning{File: w.File, Offset: w.Offset, Message: w.Message}
			if w.Key != nil {
				db := w.DB
				jw.DB, jw.Key = &db, w.Key
			}
			warnings = append(warnings, jw)
		}
	}

	var e *engine.Engine
	var res *replay.Result
	in, err := app.openInput(ctx, path)
	if err != nil {
		return err
	}
	defer in.Close()
	if in.Kind.IsAOF() {
		if o.asReplica {
			return usageErrorf("--as-replica changes how an RDB file loads; %s is an AOF, whose every key a server loads", path)
		}
		as, rerr := resolveAOF(ctx, in, o.config)
		if rerr != nil {
			var pe *manifest.ParseError
			if errors.As(rerr, &pe) {
				return replayFailed(app, exitCorrupt, "%s: %v (the server refuses it too; rdbkit verify %s tells more)", path, rerr, shellQuote(path))
			}
			return rerr
		}
		if o.config != "" {
			// The server loads a torn last command unless told not to.
			v, ok, err := manifest.ReadConfigValue(o.config, "aof-load-truncated")
			if err != nil {
				return err
			}
			ro.RefuseTruncated = ok && strings.EqualFold(v, "no")
		}
		set := as.set
		if errs := set.Errors(); len(errs) > 0 {
			msgs := make([]string, len(errs))
			for i, f := range errs {
				msgs[i] = f.String()
			}
			return replayFailed(app, exitCorrupt, "%s: %s (the server refuses it too; rdbkit verify %s tells more)", path, strings.Join(msgs, "; "), shellQuote(path))
		}
		var total int64
		for _, f := range set.Files() {
			total += f.Size
		}
		update, done := app.startSetProgress(total, "replay")
		ro.Progress, ro.Source = update, as.src
		e, res, err = replay.Set(ctx, set, ro)
		done()
	} else {
		done := app.startProgress(in, "replay")
		e, res, err = replay.Reader(ctx, path, in.R, in.Size, ro)
		done()
	}
	if err != nil {
		var (
			ue *engine.UnsupportedError
			se *aoffile.SyntaxError
			ce *rdbfile.CorruptError
		)
		switch {
		case errors.Is(err, context.Canceled):
			return err
		case errors.As(err, &ue):
			return fmt.Errorf("%w (use --skip-unknown to skip such commands)", err)
		case errors.As(err, &se), errors.As(err, &ce):
			return replayFailed(app, exitCorrupt, "%v (rdbkit verify %s tells more)", err, shellQuote(path))
		}
		return err
	}
	if res.VersionSource == "fallback" && o.version == "" {
		fmt.Fprintf(app.IO.ErrOut, "rdbkit: no server version in the files; replaying with %s semantics (set --server-version)\n", res.Version)
	}
	out := app.IO.Out
	dbs, expired, mem := replayStats(e, app.Now().UnixMilli())

	switch {
	case o.get != "":
		v, exp, ok := e.Lookup(getDB, getKey)
		if !ok {
			return replayFailed(app, exitNotFound, "key %s does not exist in db %d of the replayed dataset", quoteKey(getKey), getDB)
		}
		if app.mode() == modeJSON {
			return writeJSON(out, jsonReplayKey{Type: "key", DB: getDB, Key: getKey, Kind: v.Kind.String(),
				ExpireAt: expirePtr(exp), Value: convert.JSONValue(v)})
		}
		printValue(out, v, exp)
		return nil
	case app.mode() == modeJSON:
		for _, db := range e.DBs() {
			for _, k := range replaySortedKeys(e, db) {
				v, exp, _ := e.Lookup(db, k)
				rec := jsonReplayKey{Type: "key", DB: db, Key: k, Kind: v.Kind.String(), ExpireAt: expirePtr(exp)}
				if !o.keys {
					rec.Value = convert.JSONValue(v)
				}
				if o.digestKeys {
					rec.Digest = e.DigestValue(db, k)
				}
				if err := writeJSON(out, rec); err != nil {
					return err
				}
			}
		}
		if skips == nil {
			skips = []replay.Skip{}
		}
		return writeJSON(out, jsonReplaySummary{Type: "summary", Result: res, DBs: dbs, Digest: e.Digest(),
			UndigestedKeys: e.UndigestedKeys(), Skips: skips, Warnings: warnings})
	}

	if o.keys || o.digestKeys {
		for _, db := range e.DBs() {
			for _, k := range replaySortedKeys(e, db) {
				v, exp, _ := e.Lookup(db, k)
				line := fmt.Sprintf("%d\t%s\t%s", db, quoteKey(k), v.Kind)
				if exp != rdbfile.NoExpire {
					line += "\texpire=" + msTime(exp)
				}
				if o.digestKeys {
					line += "\t" + e.DigestValue(db, k)
				}
				fmt.Fprintln(out, line)
			}
		}
		if !o.digest {
			return nil
		}
	}
	if !o.keys && !o.digestKeys {
		plainLine(out, "server version", res.Version+" (from "+res.VersionSource+")")
		plainLine(out, "files", strings.Join(res.Files, ", "))
		plainLine(out, "rdb keys", strconv.FormatInt(res.RDBKeys, 10))
		plainLine(out, "commands", strconv.FormatInt(res.Commands, 10))
		if res.ErrorReplies > 0 {
			plainLine(out, "error replies", strconv.FormatInt(res.ErrorReplies, 10)+" (ignored, as the loading server ignores them)")
		}
		if res.Skipped > 0 {
			plainLine(out, "skipped", strconv.FormatInt(res.Skipped, 10))
		}
		if res.StoppedAt != nil {
			plainLine(out, "stopped at", fmt.Sprintf("#TS:%d (%s) in %s at offset %d, line %d", res.StoppedTS,
				time.Unix(res.StoppedTS, 0).UTC().Format(time.RFC3339), res.StoppedAt.File, res.StoppedAt.Offset, res.StoppedAt.Line))
		}
		if res.LastTS >= 0 {
			plainLine(out, "last #TS replayed", time.Unix(res.LastTS, 0).UTC().Format(time.RFC3339))
		}
		if res.OpenMulti {
			plainLine(out, "note", "an unfinished MULTI at the end was discarded (as the server does)")
		}
		if t := res.Truncated; t != nil {
			plainLine(out, "torn tail", fmt.Sprintf("%s: %d bytes dropped from offset %d (as the server does with aof-load-truncated yes)", t.File, t.Bytes, t.OKUpTo))
		}
		if res.KeysExpired > 0 {
			plainLine(out, "keys expired", fmt.Sprintf("%d not loaded: expired before %s, as a restarting primary drops them (--as-replica keeps them)", res.KeysExpired, msTime(app.Now().UnixMilli())))
		}
		if res.EmptyKeysSkipped > 0 {
			plainLine(out, "empty keys skipped", fmt.Sprintf("%d (as the server skips them)", res.EmptyKeysSkipped))
		}
		total := 0
		for _, d := range dbs {
			total += d.Keys
			var types []string
			for t, n := range d.Types {
				types = append(types, t+"="+strconv.Itoa(n))
			}
			sort.Strings(types)
			plainLine(out, "db"+strconv.Itoa(d.DB), fmt.Sprintf("keys=%d expires=%d %s", d.Keys, d.Expires, strings.Join(types, " ")))
		}
		plainLine(out, "keys", strconv.Itoa(total))
		if expired > 0 {
			plainLine(out, "already expired", fmt.Sprintf("%d (at %s; loaded, as %s, and deleted on access or by active expiry)", expired, msTime(app.Now().UnixMilli()), expiredWhy(in.Kind.IsAOF(), o.asReplica)))
		}
		plainLine(out, "memory estimate", humanBytes(mem)+" (rough, from key and element counts)")
	}
	if o.digest {
		plainLine(out, "digest", e.Digest())
		if n := e.UndigestedKeys(); n > 0 {
			plainLine(out, "digest note", fmt.Sprintf("%d keys left out: GCRA values, whose DEBUG DIGEST is not known, and arrays longer than %d slots, whose digest takes the server one SHA-1 per slot up to the highest index, so a live server's digest will differ (or never finish)", n, engine.ArrayDigestMaxLen))
		}
	}
	return nil
}

// expiredWhy says why keys already expired are in the dataset.
func expiredWhy(aof, replica bool) string {
	switch {
	case aof:
		return "the server loads every key of an AOF"
	case replica:
		return "a replica keeps them (--as-replica)"
	}
	return "they were not yet expired when the load started"
}

// replayWarningText renders a replay warning for stderr.
func replayWarningText(w replay.Warning) string {
	if w.Key != nil {
		return fmt.Sprintf("%s: offset %d: db %d key %s: %s", w.File, w.Offset, w.DB, quoteKey(w.Key), w.Message)
	}
	return w.File + ": " + w.Message
}

// replayFailed prints why replay failed on stderr and returns the error
// that carries the exit code.
func replayFailed(app *App, code int, format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	fmt.Fprintf(app.IO.ErrOut, "rdbkit: %s\n", msg)
	return &filesError{code: code, msg: msg}
}

func expirePtr(ms int64) *string {
	if ms == rdbfile.NoExpire {
		return nil
	}
	s := msTime(ms)
	return &s
}

func replaySortedKeys(e *engine.Engine, db int) [][]byte {
	keys := e.Keys(db)
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
	return keys
}

// replayStats walks the keyspace once: per-db counts, keys already expired
// at now (ms), and the memory model's estimate of used_memory (bytes).
func replayStats(e *engine.Engine, now int64) (dbs []jsonReplayDB, expired int, mem int64) {
	var m estimate.Memory
	for _, db := range e.DBs() {
		st := e.Stats(db, now)
		d := jsonReplayDB{DB: db, Keys: st.Keys, Expires: st.Expires, Types: map[string]int{}}
		for k, n := range st.Kinds {
			if n > 0 {
				d.Types[rdbfile.Kind(k).String()] = n
			}
		}
		expired += st.Expired
		m.AddKeys(int64(st.Keys), st.KeyBytes, st.Elements)
		dbs = append(dbs, d)
	}
	return dbs, expired, m.Bytes
}

func printValue(out io.Writer, v *rdbfile.Value, exp int64) {
	plainLine(out, "type", v.Kind.String())
	if exp != rdbfile.NoExpire {
		plainLine(out, "expire", msTime(exp))
	}
	switch x := convert.JSONValue(v).(type) {
	case jsonBytes:
		plainLine(out, "value", quoteKey(x))
	case []jsonBytes:
		label := func(i int) string { return strconv.Itoa(i) }
		if v.Kind == rdbfile.KindSet {
			label = func(int) string { return "member" }
		}
		for i, m := range x {
			plainLine(out, label(i), quoteKey(m))
		}
	case []convert.JSONZMember:
		for _, m := range x {
			plainLine(out, quoteKey(m.Member), fmt.Sprint(convert.FloatJSON(m.Score)))
		}
	case []convert.JSONHashField:
		for _, f := range x {
			s := quoteKey(f.Value)
			if f.ExpireAt != rdbfile.NoExpire {
				s += "\texpire=" + fmt.Sprint(convert.TimeJSON(f.ExpireAt))
			}
			plainLine(out, quoteKey(f.Field), s)
		}
	default:
		b, _ := marshalNoEscape(x)
		plainLine(out, "value", string(b))
	}
}
