// Package release is the table of Redis and Valkey server releases that
// rdbkit knows: for each release line its name, dialect, RDB magic and
// versions, the value types and opcodes it loads, the encoding limits it
// ships with, and its command table. Every layer reads these facts here:
// rdbfile and rdbscan (what a file may contain and which server loads it),
// aoffile (which commands an AOF may hold), engine (which commands a
// server version executes) and the writers (which encodings to pick).
//
// The facts follow the servers' sources: RDB versions and tags per Redis
// src/rdb.h (RDB_VERSION, RDB_TYPE_*, RDB_OPCODE_*) and Valkey src/rdb.h
// (RDB_VERSION, RDB_FOREIGN_VERSION_MIN/MAX); the load rules per
// rdbLoadRioWithLoadingCtx and rdbLoadObject in src/rdb.c; the limits per
// src/config.c (standardConfig defaults) and the shipped redis.conf and
// valkey.conf; the commands per src/commands/*.json (arity, since,
// command_flags), compiled into src/commands.def.
//
// The package imports only the standard library.
package release

import (
	"errors"
	"strconv"
	"strings"
)

// Dialect is the server family whose numbering a release follows. Redis and
// Valkey agree on everything up to RDB 11 and assign the same tags to
// different things after that (type 22, opcode 243).
type Dialect uint8

const (
	// Redis is Redis (files with the "REDIS" magic).
	Redis Dialect = iota
	// Valkey is Valkey; it writes the "REDIS" magic up to 8.1 and
	// "VALKEY" from 9.0 on.
	Valkey
)

// String returns "redis" or "valkey".
func (d Dialect) String() string {
	switch d {
	case Redis:
		return "redis"
	case Valkey:
		return "valkey"
	}
	return "dialect(" + strconv.Itoa(int(d)) + ")"
}

// Version is a release line, major*100 + minor: 704 is 7.4, 810 is 8.10.
type Version uint16

// String returns "7.4".
func (v Version) String() string {
	return strconv.Itoa(int(v/100)) + "." + strconv.Itoa(int(v%100))
}

// V returns the Version of major.minor.
func V(major, minor int) Version { return Version(major*100 + minor) }

// Release is one server release line.
type Release struct {
	// Name is the command-line name, e.g. "redis-7.4" or "valkey-9.0".
	Name string
	// Server is "Redis" or "Valkey".
	Server string
	// Line is the release line as text, e.g. "7.4".
	Line string
	// Dialect is the release's server family.
	Dialect Dialect
	// Version is the release line as a number.
	Version Version
	// Magic is the signature of the files it writes: "REDIS" or "VALKEY".
	Magic string
	// RDB is the RDB version it writes: the highest version of its own
	// magic it loads in its default configuration (src/rdb.h RDB_VERSION).
	RDB int
	// Limits are the encoding limits it ships with.
	Limits Limits
	// KeyTable is how the hash table of a database's keys grows.
	KeyTable KeyTable
}

// KeyTable is how the hash table that holds a database's keys grows: it
// holds Slots × 2^k keys; the key added to a full table makes it twice as
// big, and the keys then move to the new table a few at a time,
// RehashPerCommand keys per command the server runs until all have moved.
// Loading an RDB file sizes the table for its keys first (RESIZEDB), so
// only commands (an AOF's) grow it.
//
// Redis, and Valkey up to 8.0, keep the keys in a dict (src/dict.c
// _dictExpandIfNeeded: a table of 2^k buckets grows when it holds 2^k
// keys; _dictRehashStep moves one bucket, 1.6 keys at a load factor of 1,
// at each lookup and insert). Valkey 8.1+ keeps them in a hashtable
// (src/hashtable.c hashtableExpandIfNeeded: 2^k buckets of 7 keys grow
// when full; rehashStep moves one bucket, 7 keys, at each lookup and
// insert). RehashPerCommand is measured: SETs of new keys replayed from an
// AOF, used_memory showing when the old table was freed, finished the
// rehash of 2^21 keys 403-503 k commands after the growth on Redis
// 7.0.15 (4.2-5.2 keys a command), and of 7 × 2^18 keys 115-165 k commands
// after it on Valkey 9.0.4 (11-16 keys a command).
type KeyTable struct {
	Slots            int     // keys a bucket holds when the table grows: 1 (dict), 7 (hashtable)
	RehashPerCommand float64 // keys moved to the new table per command while it rehashes
}

// Growths returns the sizes, in keys, at which t grows on the way from
// from keys to to keys: every Slots × 2^k with from <= size < to (the
// key after size makes the table grow), smallest first.
func (t KeyTable) Growths(from, to float64) []float64 {
	var out []float64
	if t.Slots <= 0 {
		return nil
	}
	for size := float64(t.Slots); size < to; size *= 2 {
		if size >= from {
			out = append(out, size)
		}
	}
	return out
}

var (
	dictTable      = KeyTable{Slots: 1, RehashPerCommand: 4.5}
	hashtableTable = KeyTable{Slots: 7, RehashPerCommand: 14}
)

// String returns "Redis 7.4" or "Valkey 9.0".
func (r *Release) String() string { return r.Server + " " + r.Line }

// Valkey reports whether r is a Valkey release.
func (r *Release) Valkey() bool { return r.Dialect == Valkey }

// releases is the table, Redis first, oldest first. RDB versions per
// src/rdb.h RDB_VERSION of each release: Redis 7.0 10, 7.2 11, 7.4 to
// 8.4 12, 8.6 13, 8.8 14, 8.10 15; Valkey 7.2 to 8.1 11 ("REDIS" magic),
// 9.0 and 9.1 80 ("VALKEY" magic).
var releases = []*Release{
	redis(7, 0, 10, limits70),
	redis(7, 2, 11, limits72),
	redis(7, 4, 12, limits72),
	redis(8, 0, 12, limits72),
	redis(8, 2, 12, limits72),
	redis(8, 4, 12, limits72),
	redis(8, 6, 13, limits72),
	redis(8, 8, 14, limits72),
	redis(8, 10, 15, limits72),
	valkey(7, 2, 11, "REDIS", limits72),
	valkey(8, 0, 11, "REDIS", limits72),
	valkey(8, 1, 11, "REDIS", limits72),
	valkey(9, 0, 80, "VALKEY", limits72),
	valkey(9, 1, 80, "VALKEY", limits72),
}

func redis(major, minor, rdb int, l Limits) *Release {
	line := strconv.Itoa(major) + "." + strconv.Itoa(minor)
	return &Release{Name: "redis-" + line, Server: "Redis", Line: line, Dialect: Redis,
		Version: V(major, minor), Magic: "REDIS", RDB: rdb, Limits: l, KeyTable: dictTable}
}

// valkey makes a Valkey release; from 8.1 its keys are in a hashtable.
func valkey(major, minor, rdb int, magic string, l Limits) *Release {
	line := strconv.Itoa(major) + "." + strconv.Itoa(minor)
	t := dictTable
	if V(major, minor) >= V(8, 1) {
		t = hashtableTable
	}
	return &Release{Name: "valkey-" + line, Server: "Valkey", Line: line, Dialect: Valkey,
		Version: V(major, minor), Magic: magic, RDB: rdb, Limits: l, KeyTable: t}
}

// All returns every known release, Redis first, oldest first. The
// releases are shared: callers must not modify them.
func All() []*Release { return append([]*Release(nil), releases...) }

// Names returns the names of every known release, in All's order.
func Names() []string {
	out := make([]string, len(releases))
	for i, r := range releases {
		out[i] = r.Name
	}
	return out
}

// Lookup returns the release named exactly name ("redis-7.4",
// "valkey-9.0"), or nil and false.
func Lookup(name string) (*Release, bool) {
	for _, r := range releases {
		if r.Name == name {
			return r, true
		}
	}
	return nil, false
}

// ErrUnknown is matched (errors.Is) by the error Parse returns for a name
// that is no known release.
var ErrUnknown = errors.New("release: unknown server release")

// Parse reads a release name as a person types it: "redis-7.4",
// "Redis 7.4", "valkey-8.1.1", "VALKEY9.0" (a separator '-', '_' or ' ',
// or none; any case; a patch level is ignored), or a bare "7.4" meaning
// Redis. A name that is no known release returns an error matching
// ErrUnknown that lists the known names.
func Parse(s string) (*Release, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	d := Redis
	for _, p := range [...]struct {
		prefix string
		d      Dialect
	}{{"redis", Redis}, {"valkey", Valkey}} {
		if rest, ok := strings.CutPrefix(t, p.prefix); ok {
			d, t = p.d, strings.TrimLeft(rest, "-_ ")
			break
		}
	}
	major, minor, _, ok := splitVersion(t)
	if ok {
		if r, found := find(d, V(major, minor)); found {
			return r, nil
		}
	}
	return nil, &UnknownError{Name: s}
}

// An UnknownError reports a release name that is not in the table.
type UnknownError struct {
	Name string // as given
}

func (e *UnknownError) Error() string {
	return "unknown server release " + strconv.Quote(e.Name) + " (known: " + strings.Join(Names(), ", ") + ")"
}

// Is matches ErrUnknown.
func (e *UnknownError) Is(target error) bool { return target == ErrUnknown }

// splitVersion parses "7", "7.4" or "7.4.1" (every part decimal); the
// minor and patch default to 0.
func splitVersion(s string) (major, minor, patch int, ok bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 3 || s == "" {
		return 0, 0, 0, false
	}
	var n [3]int
	for i, p := range parts {
		if p == "" || len(p) > 9 {
			return 0, 0, 0, false
		}
		for _, c := range p {
			if c < '0' || c > '9' {
				return 0, 0, 0, false
			}
		}
		n[i], _ = strconv.Atoi(p)
	}
	if len(parts) < 2 {
		return 0, 0, 0, false
	}
	return n[0], n[1], n[2], true
}

func find(d Dialect, v Version) (*Release, bool) {
	for _, r := range releases {
		if r.Dialect == d && r.Version == v {
			return r, true
		}
	}
	return nil, false
}

// ForVersion maps a server version number, as INFO's redis_version or
// valkey_version or an RDB's redis-ver/valkey-ver aux field gives it, to
// its release line. Redis odd minors are the pre-releases of the next even
// line (7.9.224 is 8.0-m01, 8.7.x is an 8.8 milestone), as Redis numbers
// its milestones. A version older than the oldest known line, or newer
// than the newest, has no release: ok is false.
func ForVersion(d Dialect, major, minor int) (*Release, bool) {
	if d == Redis && minor%2 == 1 {
		if r, ok := find(d, V(major, minor+1)); ok {
			return r, true
		}
		if r, ok := find(d, V(major+1, 0)); ok && minor >= 9 {
			return r, true
		}
	}
	return find(d, V(major, minor))
}

// FromServerVersion maps a version text to its release line: "7.2.6"
// (Redis), "valkey 8.0.1", "valkey-9.0.0", "redis-8.8.0-dev" or
// "8.8.0-dev". Anything after the numbers ("-dev", "-rc1") is ignored.
func FromServerVersion(s string) (*Release, bool) {
	t := strings.ToLower(strings.TrimSpace(s))
	d := Redis
	if rest, ok := strings.CutPrefix(t, "valkey"); ok {
		d, t = Valkey, strings.TrimLeft(rest, "-_ ")
	} else if rest, ok := strings.CutPrefix(t, "redis"); ok {
		t = strings.TrimLeft(rest, "-_ ")
	}
	if end := strings.IndexFunc(t, func(r rune) bool { return r != '.' && (r < '0' || r > '9') }); end >= 0 {
		t = t[:end]
	}
	t = strings.TrimRight(t, ".")
	if strings.Count(t, ".") == 0 && t != "" {
		t += ".0"
	}
	major, minor, _, ok := splitVersion(t)
	if !ok {
		return nil, false
	}
	return ForVersion(d, major, minor)
}

// FromAux returns the release that wrote an RDB file, from the values of
// its "valkey-ver" and "redis-ver" aux fields ("" when absent): Valkey
// writes both (redis-ver "7.2.4" for compatibility), so valkey-ver wins.
func FromAux(redisVer, valkeyVer string) (*Release, bool) {
	if valkeyVer != "" {
		return FromServerVersion("valkey " + valkeyVer)
	}
	if redisVer != "" {
		return FromServerVersion(redisVer)
	}
	return nil, false
}

// redisHistory is the first Redis line writing each RDB version before 7.0
// (src/rdb.h RDB_VERSION of each release).
var redisHistory = [...]Version{1: 100, 2: 204, 3: 204, 4: 204, 5: 204, 6: 206, 7: 302, 8: 400, 9: 500}

// RedisLineForRDB returns the first Redis release line that writes RDB
// version v (1.0 for 1, 2.4 for 2 to 5, 2.6, 3.2, 4.0, 5.0, then the
// table: 7.0 for 10, 7.2 for 11, 7.4 for 12, ...). A version newer than
// the table's newest gives the newest line.
func RedisLineForRDB(v int) Version {
	if v < 1 {
		return redisHistory[1]
	}
	if v < len(redisHistory) {
		return redisHistory[v]
	}
	var last Version
	for _, r := range releases {
		if r.Dialect == Redis {
			last = r.Version
			if r.RDB >= v {
				return r.Version
			}
		}
	}
	return last
}

// ValkeyLineForRDB returns the first Valkey line that writes "VALKEY"
// version v: 9.0 for 80; versions past the table's newest give that
// version's successor line (Valkey 9.2 writes 81).
func ValkeyLineForRDB(v int) Version {
	var last Version
	for _, r := range releases {
		if r.Dialect == Valkey && r.Magic == "VALKEY" {
			if r.RDB >= v {
				return r.Version
			}
			last = r.Version
		}
	}
	return last + 1
}
