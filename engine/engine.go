package engine

import (
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// This file holds the in-memory keyspace and the command dispatcher. An
// Engine replays what a server of a given version does when it loads an
// AOF: one fake client (selected database, MULTI queue) runs every
// command; nothing ever expires by time while loading (Redis
// keyIsExpired and checkAlreadyExpired return false during loading), so
// logically expired keys stay, as DEBUG DIGEST sees them.

// Options tunes an Engine. The zero value gives the server defaults.
type Options struct {
	// Databases is the number of databases ("databases", default 16).
	Databases int
	// SkipUnknown makes Exec ignore commands it does not know (they are
	// counted by Skipped) instead of returning an *UnsupportedError.
	SkipUnknown bool
	// Now returns the current time in ms since the Unix epoch. It is used
	// only by commands that take relative times (EXPIRE, SET EX, XADD *,
	// RESTORE without ABSTTL, ...), which Redis 7.0+ never writes to an
	// AOF. Without it the engine uses the last SetTime value (e.g. from an
	// AOF "#TS:" annotation), 0 if none.
	Now func() int64
	// HLLSparseMaxBytes is hll-sparse-max-bytes (default 3000).
	HLLSparseMaxBytes int
	// Limits are the server's encoding limits (redis.conf
	// *-max-listpack-*), nil for the defaults every release ships with. Of
	// them only zset-max-listpack-entries and zset-max-listpack-value change
	// results: a -0 score survives in a skiplist but not in a listpack
	// (src/t_zset.c zzlInsertAt), so the encoding the server picks shows.
	// A value <= 0 keeps that limit's default.
	Limits *release.Limits
}

// Engine is an in-memory keyspace that executes write commands with the
// semantics of one server version. It is not safe for concurrent use.
type Engine struct {
	v    ServerVersion
	opts Options
	dbs  []db
	libs map[string][]byte // function libraries: name → code
	zl   zsetLimits        // Options.Limits of sorted sets

	sel     int        // selected database of the replaying client
	multi   bool       // inside MULTI
	txErr   error      // a queued command was refused: EXEC aborts
	queue   [][][]byte // commands queued by MULTI (copied)
	clock   int64      // SetTime value
	skipped int64
	scratch []byte
	lname   [40]byte
	ld      loader       // RDB loading scratch (walkValue)
	loadBS  buildScratch // RDB loading scratch (consume)
}

// entry is a key's value and absolute expire time (ms, or noExpire), as
// get returns it.
type entry struct {
	obj object
	exp int64
}

const noExpire = rdbfile.NoExpire

// New returns an empty Engine reproducing server version v with default
// options.
func New(v ServerVersion) *Engine { return NewWithOptions(v, Options{}) }

// NewWithOptions returns an empty Engine reproducing server version v.
func NewWithOptions(v ServerVersion, o Options) *Engine {
	if o.Databases <= 0 {
		o.Databases = 16
	}
	if o.HLLSparseMaxBytes <= 0 {
		o.HLLSparseMaxBytes = 3000
	}
	e := &Engine{v: v, opts: o, dbs: make([]db, o.Databases), libs: map[string][]byte{}, zl: defaultZSetLimits}
	if l := o.Limits; l != nil {
		if l.ZSetMaxListpackEntries > 0 {
			e.zl.entries = l.ZSetMaxListpackEntries
		}
		if l.ZSetMaxListpackValue > 0 {
			e.zl.value = l.ZSetMaxListpackValue
		}
	}
	for i := range e.dbs {
		e.dbs[i].reset()
	}
	return e
}

// Version returns the server version the engine reproduces.
func (e *Engine) Version() ServerVersion { return e.v }

// SetTime sets the clock used for relative times when Options.Now is nil
// (ms since the Unix epoch), e.g. from an AOF "#TS:" annotation.
func (e *Engine) SetTime(ms int64) { e.clock = ms }

func (e *Engine) now() int64 {
	if e.opts.Now != nil {
		return e.opts.Now()
	}
	return e.clock
}

func (e *Engine) clockKnown() bool { return e.opts.Now != nil || e.clock != 0 }

// Selected returns the database the replaying client has selected.
func (e *Engine) Selected() int { return e.sel }

// InMulti reports whether a MULTI block is open (its commands are queued
// until EXEC). An AOF that ends inside MULTI is truncated; the server drops
// the incomplete transaction.
func (e *Engine) InMulti() bool { return e.multi }

// Discard drops an open MULTI block, as DISCARD does.
func (e *Engine) Discard() {
	e.multi, e.txErr, e.queue = false, nil, nil
}

// Skipped returns how many unknown commands were skipped (Options.SkipUnknown).
func (e *Engine) Skipped() int64 { return e.skipped }

// Functions returns the function libraries, by name (the map is a copy;
// the code slices are shared and must not be modified).
func (e *Engine) Functions() map[string][]byte {
	m := make(map[string][]byte, len(e.libs))
	for k, v := range e.libs {
		m[k] = v
	}
	return m
}

// DBs returns the numbers of the non-empty databases, ascending.
func (e *Engine) DBs() []int {
	var out []int
	for i := range e.dbs {
		if e.dbs[i].len() > 0 {
			out = append(out, i)
		}
	}
	return out
}

// Len returns the number of keys in database n (0 if n is out of range).
func (e *Engine) Len(n int) int {
	if n < 0 || n >= len(e.dbs) {
		return 0
	}
	return e.dbs[n].len()
}

// Keys returns the keys of database n sorted by their bytes.
func (e *Engine) Keys(n int) [][]byte {
	if n < 0 || n >= len(e.dbs) {
		return nil
	}
	out := make([][]byte, 0, e.dbs[n].len())
	e.dbs[n].each(func(k []byte, _ object, _ int64) bool {
		out = append(out, clone(k))
		return true
	})
	slices.SortFunc(out, func(a, b []byte) int { return strings.Compare(string(a), string(b)) })
	return out
}

// ExpireAt returns the absolute expire time (ms) of a key, rdbfile.NoExpire
// if it has none; ok is false if the key does not exist.
func (e *Engine) ExpireAt(n int, key []byte) (ms int64, ok bool) {
	if n < 0 || n >= len(e.dbs) {
		return noExpire, false
	}
	en, ok := e.dbs[n].get(key)
	if !ok {
		return noExpire, false
	}
	return en.exp, true
}

// Errors.

// ErrUnknownCommand is matched (errors.Is) by the *UnsupportedError for a
// command the engine does not know or the server version does not have.
var ErrUnknownCommand = errors.New("engine: unknown command")

// An UnsupportedError reports a command the engine cannot execute: an
// unknown command, a command of a newer server, or one whose effect cannot
// be reproduced offline (scripts, random choices).
type UnsupportedError struct {
	Command string // lower-case command name
	Reason  string
	Unknown bool // the command is unknown (for this server version)
}

func (e *UnsupportedError) Error() string {
	return "engine: " + strconv.Quote(e.Command) + ": " + e.Reason
}

// Is reports whether target is ErrUnknownCommand and the command is unknown.
func (e *UnsupportedError) Is(target error) bool { return target == ErrUnknownCommand && e.Unknown }

// A CommandError is the error reply the server sends for a command, e.g.
// "WRONGTYPE Operation against a key holding the wrong kind of value".
// The server executing an AOF ignores such replies; the caller decides.
type CommandError struct {
	Command string // lower-case command name
	Msg     string // the error reply, starting with its code ("ERR", "WRONGTYPE", ...)
}

func (e *CommandError) Error() string { return "engine: " + strconv.Quote(e.Command) + ": " + e.Msg }

// An ExecError reports the commands of a MULTI/EXEC block that failed. The
// other commands of the block were executed, as on the server (no rollback).
type ExecError struct {
	Failed []TxFailure
}

// TxFailure is one failed command of a transaction.
type TxFailure struct {
	Index int   // position in the block, 0-based
	Err   error // *CommandError or *UnsupportedError
}

func (e *ExecError) Error() string {
	var b strings.Builder
	b.WriteString("engine: EXEC: ")
	b.WriteString(strconv.Itoa(len(e.Failed)))
	b.WriteString(" of the queued commands failed; first: command #")
	b.WriteString(strconv.Itoa(e.Failed[0].Index + 1))
	b.WriteString(": ")
	b.WriteString(e.Failed[0].Err.Error())
	return b.String()
}

// Unwrap returns the errors of the failed commands.
func (e *ExecError) Unwrap() []error {
	out := make([]error, len(e.Failed))
	for i, f := range e.Failed {
		out[i] = f.Err
	}
	return out
}

// replyErr is an error reply produced by a command handler; Exec wraps it
// into a *CommandError naming the command.
type replyErr string

func (r replyErr) Error() string { return string(r) }

const (
	errWrongType  = replyErr("WRONGTYPE Operation against a key holding the wrong kind of value")
	errSyntax     = replyErr("ERR syntax error")
	errNotInt     = replyErr("ERR value is not an integer or out of range")
	errNotFloat   = replyErr("ERR value is not a valid float")
	errNoSuchKey  = replyErr("ERR no such key")
	errOverflow   = replyErr("ERR increment or decrement would overflow")
	errIndexRange = replyErr("ERR index out of range")
	errDBRange    = replyErr("ERR DB index is out of range")
	errSameObject = replyErr("ERR source and destination objects are the same")
	errNotPos     = replyErr("ERR value is out of range, must be positive")
	errTooBig     = replyErr("ERR string exceeds maximum allowed size (proto-max-bulk-len)")
)

func errArity(name string) replyErr {
	return replyErr("ERR wrong number of arguments for '" + name + "' command")
}

// badExpire returns the "invalid expire time" error of a command.
func badExpire(name string) error {
	return replyErr("ERR invalid expire time in '" + name + "' command")
}

func unsupported(reason string) error { return &UnsupportedError{Reason: reason} }

// Dispatch.

// cmdSpec is one command the engine executes: its name and handler. Its
// arity and the releases that have it come from the release table
// (release.LookupCommand), filled in by init.
type cmdSpec struct {
	name string
	fn   func(e *Engine, a [][]byte) error
	noop bool // read-only: accepted and ignored

	known bool   // the release table has it
	since [2]int // first release line (major*100+minor) per dialect (Redis, Valkey); 0: none
	arity [2]int // arity per dialect
}

// setRelease fills the command's arity and first releases from the table.
func (c *cmdSpec) setRelease() {
	for i, d := range [2]release.Dialect{release.Redis, release.Valkey} {
		rc, ok := release.LookupCommand(d, c.name)
		if !ok {
			return
		}
		c.known = true
		c.arity[i] = rc.Arity
		c.since[i] = int(rc.Redis)
		if d == release.Valkey {
			c.since[i] = int(rc.Valkey)
		}
	}
}

func dialectIndex(v ServerVersion) int {
	if v.Valkey {
		return 1
	}
	return 0
}

// in reports whether a server of version v has the command. A read-only
// command the release table leaves out (PING, INFO, ...) is in every
// version.
func (c *cmdSpec) in(v ServerVersion) bool {
	if !c.known {
		return c.noop
	}
	since := c.since[dialectIndex(v)]
	return since != 0 && v.Major*100+v.Minor >= since
}

// arityOK reports whether argc arguments (the name included) fit the
// command's arity on v's dialect: N exactly N, -N at least N.
func (c *cmdSpec) arityOK(v ServerVersion, argc int) bool {
	if !c.known {
		return true
	}
	a := c.arity[dialectIndex(v)]
	if a >= 0 {
		return argc == a
	}
	return argc >= -a
}

var commandTable map[string]*cmdSpec

// commandLists are the per-family tables (TestCommandTable checks that
// names are unique).
func commandLists() [][]cmdSpec {
	return [][]cmdSpec{genericCommands, stringCommands, bitCommands, listCommands, setCommands,
		zsetCommands, hashCommands, streamCommands, geoCommands, hllCommands, arrayCommands, miscCommands, readOnlyCommands}
}

func init() {
	commandTable = map[string]*cmdSpec{}
	for _, list := range commandLists() {
		for i := range list {
			c := &list[i]
			c.setRelease()
			commandTable[c.name] = c
		}
	}
}

// Commands returns the names of the commands Exec executes for the engine's
// server version (read-only commands that Exec accepts and ignores are not
// listed), sorted.
func (e *Engine) Commands() []string {
	var out []string
	for n, c := range commandTable {
		if !c.noop && c.in(e.v) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// lowerBytes returns b in lower case, in a buffer reused by the next call.
func (e *Engine) lowerBytes(b []byte) []byte {
	if len(b) > len(e.lname) {
		return []byte(strings.ToLower(string(b)))
	}
	n := copy(e.lname[:], b)
	for i := 0; i < n; i++ {
		if c := e.lname[i]; 'A' <= c && c <= 'Z' {
			e.lname[i] = c + 'a' - 'A'
		}
	}
	return e.lname[:n]
}

// Exec executes one command (argv[0] is its name, any case) as the server
// does when it loads an AOF. The engine copies what it keeps: argv may be
// reused by the caller afterwards.
//
// Errors: a *CommandError is the error reply the server would send (the
// server's AOF loader ignores it and goes on; so may the caller); an
// *UnsupportedError names a command the engine cannot execute (unknown,
// too new for the version, scripts); EXEC returns an *ExecError when
// commands of the transaction failed.
func (e *Engine) Exec(argv [][]byte) error {
	if len(argv) == 0 {
		return &CommandError{Command: "", Msg: "ERR empty command"}
	}
	lb := e.lowerBytes(argv[0])
	switch string(lb) {
	case "multi":
		if e.multi {
			return &CommandError{Command: "multi", Msg: "ERR MULTI calls can not be nested"}
		}
		e.multi, e.txErr, e.queue = true, nil, e.queue[:0]
		return nil
	case "exec":
		return e.execTx()
	case "discard":
		if !e.multi {
			return &CommandError{Command: "discard", Msg: "ERR DISCARD without MULTI"}
		}
		e.Discard()
		return nil
	}
	c := commandTable[string(lb)]
	if c == nil || !c.in(e.v) {
		if e.opts.SkipUnknown {
			e.skipped++
			return nil
		}
		name := string(lb)
		reason := "unknown command"
		if why, ok := unsupportedCommands[name]; ok {
			reason = "not supported: " + why
		} else if c != nil {
			reason = "not a command of " + e.v.String()
		}
		err := &UnsupportedError{Command: name, Reason: reason, Unknown: true}
		if e.multi {
			e.txErr = err
		}
		return err
	}
	if !c.arityOK(e.v, len(argv)) {
		err := &CommandError{Command: c.name, Msg: string(errArity(c.name))}
		if e.multi {
			e.txErr = err
		}
		return err
	}
	if e.multi {
		q := make([][]byte, len(argv))
		n := 0
		for _, a := range argv {
			n += len(a)
		}
		buf := make([]byte, 0, n)
		for i, a := range argv {
			buf = append(buf, a...)
			q[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
		}
		e.queue = append(e.queue, q)
		return nil
	}
	return e.call(c, c.name, argv)
}

func (e *Engine) call(c *cmdSpec, name string, argv [][]byte) error {
	if c.noop {
		return nil
	}
	err := c.fn(e, argv)
	if err == nil {
		return nil
	}
	switch t := err.(type) {
	case replyErr:
		return &CommandError{Command: name, Msg: string(t)}
	case *UnsupportedError:
		if t.Command == "" {
			t.Command = name
		}
	}
	return err
}

func (e *Engine) execTx() error {
	if !e.multi {
		return &CommandError{Command: "exec", Msg: "ERR EXEC without MULTI"}
	}
	q, txErr := e.queue, e.txErr
	e.multi, e.txErr, e.queue = false, nil, nil
	if txErr != nil {
		return &CommandError{Command: "exec", Msg: "EXECABORT Transaction discarded because of previous errors."}
	}
	var fails []TxFailure
	for i, argv := range q {
		c := commandTable[string(e.lowerBytes(argv[0]))]
		if err := e.call(c, c.name, argv); err != nil {
			fails = append(fails, TxFailure{Index: i, Err: err})
		}
	}
	if fails != nil {
		return &ExecError{Failed: fails}
	}
	return nil
}

// Keyspace helpers.

func (e *Engine) cur() *db { return &e.dbs[e.sel] }

// Argument helpers.

func eq(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// argBytes returns the total length of a.
func argBytes(a [][]byte) int {
	n := 0
	for _, b := range a {
		n += len(b)
	}
	return n
}

func clone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

// argInt parses an integer argument (getLongLongFromObjectOrReply).
func argInt(b []byte) (int64, error) {
	n, ok := parseInt(b)
	if !ok {
		return 0, errNotInt
	}
	return n, nil
}

// argFloat parses a double argument (getDoubleFromObjectOrReply).
func argFloat(b []byte) (float64, error) {
	f, ok := parseDouble(b)
	if !ok {
		return 0, errNotFloat
	}
	return f, nil
}
