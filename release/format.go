package release

import "strconv"

// Gate is a rule of a release that a file breaks.
type Gate struct {
	// Fatal is set when the release refuses the file whatever its
	// configuration.
	Fatal bool
	// Condition is what must hold for the release to load the file anyway
	// (non-fatal gates only), e.g. "rdb-version-check relaxed".
	Condition string
	// Why describes the rule, e.g. "RDB version 12 > 11 (Redis 7.2 reads
	// up to RDB 11)" or "HASH_LISTPACK_EX (Redis 7.4+ only)".
	Why string
}

// Object type tags whose rules are not a plain "first RDB version"
// (src/rdb.h).
const (
	typeModulePreGA = 6  // RDB_TYPE_MODULE_PRE_GA: Redis 4.0 release candidates
	typeModule2     = 7  // RDB_TYPE_MODULE_2: needs the module
	typeHash2       = 22 // Valkey RDB_TYPE_HASH_2 ("VALKEY" magic)
	typeGCRA        = 33 // RDB_TYPE_GCRA: Redis builds with ENABLE_GCRA only
)

// redisTypeRDB is the first RDB version that carries each object type tag
// of a "REDIS"-magic file (Redis src/rdb.h, RDB_TYPE_* and the RDB_VERSION
// that introduced them); 0 marks an unassigned tag.
var redisTypeRDB = [...]int{
	0: 1, 1: 1, 2: 1, 3: 1, 4: 1, // STRING, LIST, SET, ZSET, HASH
	5: 8, 6: 8, 7: 8, // ZSET_2, MODULE_PRE_GA, MODULE_2
	9: 2, 10: 2, 11: 2, 12: 2, 13: 2, // HASH_ZIPMAP, LIST_ZIPLIST, SET_INTSET, ZSET_ZIPLIST, HASH_ZIPLIST
	14: 7,                          // LIST_QUICKLIST
	15: 9,                          // STREAM_LISTPACKS
	16: 10, 17: 10, 18: 10, 19: 10, // HASH_LISTPACK, ZSET_LISTPACK, LIST_QUICKLIST_2, STREAM_LISTPACKS_2
	20: 11, 21: 11, // SET_LISTPACK, STREAM_LISTPACKS_3
	22: 12, 23: 12, 24: 12, 25: 12, // HASH_METADATA(_PRE_GA), HASH_LISTPACK_EX(_PRE_GA)
	26: 13,         // STREAM_LISTPACKS_4
	27: 14, 28: 14, // STREAM_LISTPACKS_5, ARRAY
	29: 15, 30: 15, 31: 15, 32: 15, 33: 15, // HASH_TMPL_*, GCRA
}

// TypeFirstRDB returns the first RDB version of dialect d whose files can
// hold object type tag; ok is false for a tag the dialect never assigned.
// In "VALKEY"-magic files tags 0..21 keep their Redis meaning and 22 is
// HASH_2 (Valkey src/rdb.h, RDB 80).
func TypeFirstRDB(d Dialect, tag byte) (int, bool) {
	if d == Valkey {
		switch {
		case tag == typeHash2:
			return 80, true
		case tag > 21:
			return 0, false
		}
	}
	if int(tag) >= len(redisTypeRDB) || redisTypeRDB[tag] == 0 {
		return 0, false
	}
	return redisTypeRDB[tag], true
}

// Types returns the object type tags release r loads from a file of its
// own dialect, ascending. Module types (7) are included: they load when the
// module is; MODULE_PRE_GA (6) and GCRA (33, a build option) are not.
func (r *Release) Types() []byte {
	var out []byte
	for t := 0; t < 256; t++ {
		if g, bad := r.CheckType(r.fileDialect(), byte(t), ""); !bad || (!g.Fatal && t == typeModule2) {
			if _, ok := TypeFirstRDB(r.fileDialect(), byte(t)); ok {
				out = append(out, byte(t))
			}
		}
	}
	return out
}

// fileDialect is the numbering of the files r writes.
func (r *Release) fileDialect() Dialect {
	if r.Magic == "VALKEY" {
		return Valkey
	}
	return Redis
}

// CheckRDB reports whether r refuses a file of dialect d (its magic:
// "VALKEY" is Valkey, "REDIS" Redis) and RDB version v, per
// rdbLoadRioWithLoadingCtx in each server's src/rdb.c:
//
//   - Redis reads "REDIS" files up to its own RDB version and never a
//     "VALKEY" one ("Wrong signature").
//   - Valkey 7.2, 8.0 and 8.1 read "REDIS" files up to RDB 11 (8.1
//     reserves 12..79 as foreign versions and refuses them).
//   - Valkey 9.0/9.1 read "VALKEY" 80 and "REDIS" up to 11 by default; with
//     rdb-version-check relaxed also "REDIS" 12..79 (if no tag in 22..243
//     appears) and future "VALKEY" versions (if every tag is known).
func (r *Release) CheckRDB(d Dialect, v int) (Gate, bool) {
	vs, own := strconv.Itoa(v), strconv.Itoa(r.RDB)
	if d == Valkey {
		switch {
		case r.Dialect == Redis:
			return Gate{Fatal: true, Why: "VALKEY-magic file (RDB " + vs + "): Redis never loads it (\"Wrong signature\")"}, true
		case r.Magic != "VALKEY":
			return Gate{Fatal: true, Why: "VALKEY-magic file (RDB " + vs + "): " + r.String() +
				" knows only the REDIS magic (\"Wrong signature\"; Valkey 9.0+ writes VALKEY080)"}, true
		case v > r.RDB:
			return Gate{Condition: "rdb-version-check relaxed", Why: "RDB version " + vs + " > " + own +
				" (future version: " + r.String() + " refuses it in the default strict mode; relaxed mode loads it if every type is known)"}, true
		}
		return Gate{}, false
	}
	switch {
	case r.Dialect == Redis:
		if v > r.RDB {
			return Gate{Fatal: true, Why: "RDB version " + vs + " > " + own + " (" + r.String() + " reads up to RDB " + own + ")"}, true
		}
	case r.Magic != "VALKEY":
		if v > r.RDB {
			why := "RDB version " + vs + " > " + own + " (" + r.String() + " reads up to RDB " + own
			if r.Version == V(8, 1) {
				why += "; 12-79 are reserved and refused even with rdb-version-check relaxed"
			}
			return Gate{Fatal: true, Why: why + ")"}, true
		}
	default: // Valkey 9+
		if v > 11 {
			return Gate{Condition: "rdb-version-check relaxed", Why: "RDB version " + vs + " is a foreign (Redis) version: " +
				r.String() + " reads REDIS up to 11 and VALKEY 80 in the default strict mode"}, true
		}
	}
	return Gate{}, false
}

// CheckType reports whether r refuses object type tag in a file of dialect
// d (rdbLoadObject and rdbIsObjectType in src/rdb.c); name is the tag's
// name, used in Why ("HASH_LISTPACK_EX"). A module value (type 7) gives a
// non-fatal gate: it loads when the module is loaded.
func (r *Release) CheckType(d Dialect, tag byte, name string) (Gate, bool) {
	ts := strconv.Itoa(int(tag))
	switch tag {
	case typeModulePreGA:
		return Gate{Fatal: true, Why: name + " (Redis 4.0 release candidates only)"}, true
	case typeModule2:
		return Gate{Condition: "the module loaded", Why: name + " (needs the module)"}, true
	}
	if d == Valkey {
		if tag == typeHash2 && r.Magic != "VALKEY" {
			return Gate{Fatal: true, Why: name + " (Valkey 9.0+ only)"}, true
		}
		return Gate{}, false
	}
	first, ok := TypeFirstRDB(Redis, tag)
	if !ok {
		return Gate{Fatal: true, Why: name + " (type " + ts + " is assigned by no release)"}, true
	}
	if r.Dialect == Valkey {
		if tag < 22 {
			return Gate{}, false
		}
		if r.Magic == "VALKEY" {
			return Gate{Fatal: true, Why: name + " (type " + ts + ": Valkey refuses tags 22..243 in REDIS-magic files)"}, true
		}
		return Gate{Fatal: true, Why: name + " (Redis " + RedisLineForRDB(first).String() + "+ only)"}, true
	}
	switch {
	case tag == typeGCRA && r.RDB >= first:
		return Gate{Condition: "a server built with GCRA support", Why: name + " (only builds with ENABLE_GCRA)"}, true
	case tag == typeGCRA:
		return Gate{Fatal: true, Why: name + " (Redis " + RedisLineForRDB(first).String() + "+ builds with ENABLE_GCRA only)"}, true
	case first > r.RDB:
		return Gate{Fatal: true, Why: name + " (Redis " + RedisLineForRDB(first).String() + "+ only)"}, true
	}
	return Gate{}, false
}

// Opcodes (src/rdb.h RDB_OPCODE_*) whose acceptance differs between
// releases.
const (
	OpHashTemplate  = 0xF2 // RDB_OPCODE_HASH_TEMPLATE, Redis RDB 15
	OpKeyMeta       = 0xF3 // RDB_OPCODE_KEY_META, Redis RDB 13 ("REDIS" magic)
	OpSlotImport    = 0xF3 // RDB_OPCODE_SLOT_IMPORT, Valkey RDB 80 ("VALKEY" magic)
	OpSlotInfo      = 0xF4 // RDB_OPCODE_SLOT_INFO, Redis RDB 12; Valkey 8.0+
	OpFunction2     = 0xF5 // RDB_OPCODE_FUNCTION2, RDB 10
	OpFunctionPreGA = 0xF6 // RDB_OPCODE_FUNCTION (7.0) / RDB_OPCODE_FUNCTION_PRE_GA (7.2+)
)

// CheckOpcode reports whether r refuses opcode op in a file of dialect d
// (rdbLoadRioWithLoadingCtx in src/rdb.c). Opcodes every release reads
// (AUX, SELECTDB, EXPIRETIME, ...) pass; MODULE_AUX passes here (it needs
// its module, which the caller knows by name).
//
// FUNCTION (0xF6) is the function library record of Redis 7.0 release
// candidates: Redis 7.0.x loads it (rdbFunctionLoad translates it), 7.2 and
// later stop with "Pre-release function format not supported", and so does
// every Valkey (forked from 7.2).
func (r *Release) CheckOpcode(d Dialect, op byte) (Gate, bool) {
	switch op {
	case OpHashTemplate:
		if d == Valkey {
			return Gate{}, false // a future VALKEY-version tag: the version gate speaks
		}
		if r.Dialect == Valkey {
			return Gate{Fatal: true, Why: "HASH_TEMPLATE (opcode 242: Valkey refuses tags 22..243 in REDIS-magic files)"}, true
		}
		if r.RDB < 15 {
			return Gate{Fatal: true, Why: "HASH_TEMPLATE (Redis 8.10+ only)"}, true
		}
	case OpKeyMeta: // and OpSlotImport
		if d == Valkey {
			if r.Magic != "VALKEY" {
				return Gate{Fatal: true, Why: "SLOT_IMPORT (Valkey 9.0+ only)"}, true
			}
			return Gate{}, false
		}
		if r.Dialect == Valkey {
			return Gate{Fatal: true, Why: "KEY_META (opcode 243: Valkey refuses tags 22..243 in REDIS-magic files)"}, true
		}
		if r.RDB < 13 {
			return Gate{Fatal: true, Why: "KEY_META (Redis 8.6+ only)"}, true
		}
	case OpSlotInfo:
		if r.Dialect == Redis && r.RDB < 12 {
			return Gate{Fatal: true, Why: "SLOT_INFO (Redis 7.4+ only)"}, true
		}
	case OpFunction2:
		if r.Dialect == Redis && r.RDB < 10 {
			return Gate{Fatal: true, Why: "FUNCTION2 (Redis 7.0+ only)"}, true
		}
	case OpFunctionPreGA:
		if r.Dialect != Redis || r.Version != V(7, 0) {
			return Gate{Fatal: true, Why: "pre-release FUNCTION record (opcode 246, Redis 7.0 release candidates): only Redis 7.0 loads it (\"Pre-release function format not supported\")"}, true
		}
	}
	return Gate{}, false
}

// StreamLengthChecked reports whether r refuses a stream whose stored
// length differs from the number of its live entries ("Stream length
// inconsistent with live entries", src/t_stream.c and rdbLoadObject in
// src/rdb.c of Redis builds since May 2026: Redis 8.8 and later).
func (r *Release) StreamLengthChecked() bool {
	return r.Dialect == Redis && r.Version >= V(8, 8)
}
