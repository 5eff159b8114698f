package engine

import (
	"errors"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// ServerVersion identifies the server whose behaviour is reproduced: the
// text of a digest, a score or an AOF argument depends on it (Redis 7.2
// moved src/util.c d2string and src/debug.c xorObjectDigest from "%.17g"
// to fpconv_dtoa). Its release line in the release table (Release) gives the
// commands it has and the RDB versions it reads. The zero value is Redis
// 0.0.0, i.e. the oldest behaviour.
type ServerVersion struct {
	Major, Minor, Patch int
	Valkey              bool // Valkey rather than Redis
}

// ErrBadVersion is returned by ParseServerVersion for text that is not a
// version number.
var ErrBadVersion = errors.New("engine: malformed server version")

// ParseServerVersion parses "7.2.6", "7.9.224" (Redis 8.0-m01), "8.0" or
// "8.8.0-dev": one to three dot-separated decimal numbers, anything from the
// first character that is neither a digit nor a dot on ignored. A
// "valkey-" or "valkey " prefix (any case) sets Valkey; "redis-" or "redis "
// is accepted and ignored. The result of String parses back.
func ParseServerVersion(s string) (ServerVersion, error) {
	var v ServerVersion
	t := strings.TrimSpace(s)
	if len(t) >= 7 && strings.EqualFold(t[:6], "valkey") && (t[6] == '-' || t[6] == ' ') {
		v.Valkey, t = true, t[7:]
	} else if len(t) >= 6 && strings.EqualFold(t[:5], "redis") && (t[5] == '-' || t[5] == ' ') {
		t = t[6:]
	}
	end := strings.IndexFunc(t, func(r rune) bool { return r != '.' && (r < '0' || r > '9') })
	if end >= 0 {
		t = t[:end]
	}
	parts := strings.Split(t, ".")
	if len(parts) > 3 {
		parts = parts[:3]
	}
	nums := [3]*int{&v.Major, &v.Minor, &v.Patch}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || len(p) > 9 {
			return ServerVersion{}, ErrBadVersion
		}
		*nums[i] = n
	}
	return v, nil
}

// String returns "redis 7.2.6" or "valkey 8.0.1".
func (v ServerVersion) String() string {
	name := "redis "
	if v.Valkey {
		name = "valkey "
	}
	return name + strconv.Itoa(v.Major) + "." + strconv.Itoa(v.Minor) + "." + strconv.Itoa(v.Patch)
}

// AtLeast reports whether v's version number is major.minor or newer. It
// compares numbers only: Valkey 8.0 is "at least 7.2" although it reports
// redis_version 7.2.4.
func (v ServerVersion) AtLeast(major, minor int) bool {
	return v.Major > major || (v.Major == major && v.Minor >= minor)
}

// UsesFpconv reports whether the server formats scores with fpconv_dtoa
// (Redis 7.2+, every Valkey) rather than "%.17g".
func (v ServerVersion) UsesFpconv() bool { return v.Valkey || v.AtLeast(7, 2) }

// DigestsFieldTTL reports whether DEBUG DIGEST mixes "!!hexpire!!" into
// hash fields that have a TTL: Redis 7.4 and later (8.0-m01 reports
// 7.9.224), never Valkey.
func (v ServerVersion) DigestsFieldTTL() bool { return !v.Valkey && v.AtLeast(7, 4) }

// DigestSkipsExpiredFields reports whether DEBUG DIGEST and DIGEST-VALUE
// leave out hash fields already expired (now > expire time) but not yet
// deleted: Valkey 9.0+, whose hash iterator validates every entry
// (src/t_hash.c hashHashtableTypeValidate, src/expire.c
// timestampIsExpired) outside loading. Redis digests them (Redis 7.4+
// src/debug.c xorObjectDigest iterates with skipExpiredFields 0).
func (v ServerVersion) DigestSkipsExpiredFields() bool { return v.Valkey && v.AtLeast(9, 0) }

// VersionFromHeader returns the version of the server that wrote an RDB
// file, from its "valkey-ver" or "redis-ver" AUX field. Without a usable
// field ok is false and v is the oldest server that writes the file's RDB
// version (a guess: Redis 7.2 for RDB 11, 7.4 for 12, Valkey 9.0 for a
// VALKEY magic, ...).
func VersionFromHeader(h *rdbfile.Header) (v ServerVersion, ok bool) {
	if s, found := h.AuxValue("valkey-ver"); found {
		if v, err := ParseServerVersion(s); err == nil {
			v.Valkey = true
			return v, true
		}
	}
	if s, found := h.AuxValue("redis-ver"); found {
		if v, err := ParseServerVersion(s); err == nil {
			return v, true
		}
	}
	return VersionForRDB(h.Dialect, h.Version), false
}

// VersionForRDB returns the oldest server release that writes RDB version
// rdbVersion of dialect d, per the release table (release.RedisLineForRDB,
// release.ValkeyLineForRDB: RDB_VERSION in each release's src/rdb.h).
func VersionForRDB(d rdbfile.Dialect, rdbVersion int) ServerVersion {
	if d == rdbfile.DialectValkey {
		l := release.ValkeyLineForRDB(rdbVersion)
		return ServerVersion{Major: int(l / 100), Minor: int(l % 100), Valkey: true}
	}
	l := release.RedisLineForRDB(rdbVersion)
	return ServerVersion{Major: int(l / 100), Minor: int(l % 100)}
}

// Release returns v's release line in the release table (Redis odd minors
// are the milestones of the next line); ok is false for a version outside
// the table.
func (v ServerVersion) Release() (*release.Release, bool) {
	d := release.Redis
	if v.Valkey {
		d = release.Valkey
	}
	return release.ForVersion(d, v.Major, v.Minor)
}

// maxRDBVersion is the newest RDB version the server's RESTORE accepts:
// its release's RDB version; outside the table, that of the newest line
// not newer than v (9 for Redis before 7.0, 11 for Valkey before 7.2).
func maxRDBVersion(v ServerVersion) int {
	if r, ok := v.Release(); ok {
		return r.RDB
	}
	best := 9
	if v.Valkey {
		best = 11
	}
	for _, r := range release.All() {
		if r.Valkey() == v.Valkey && v.AtLeast(int(r.Version/100), int(r.Version%100)) {
			best = r.RDB
		}
	}
	return best
}

// unsupportedCommands are the write commands of the release table that the
// engine does not execute, with the reason: the one list that
// TestEngineCoversReleaseWrites checks the engine and the table against.
// Exec reports them as unknown commands with this reason.
var unsupportedCommands = map[string]string{
	"migrate":  "MIGRATE moves keys to another server and is never propagated as such",
	"vadd":     "vector sets (Redis 8 vectorset module) are not reproduced",
	"vrem":     "vector sets (Redis 8 vectorset module) are not reproduced",
	"vsetattr": "vector sets (Redis 8 vectorset module) are not reproduced",
}
