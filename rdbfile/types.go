package rdbfile

import (
	"strconv"

	"github.com/rdbkit/rdbkit/release"
)

// Dialect is the family of servers whose numbering a file follows. Redis and
// Valkey agree on everything up to RDB 11 and then assign the same numbers to
// different things (type 22: Redis RDB_TYPE_HASH_METADATA_PRE_GA, Valkey
// RDB_TYPE_HASH_2; opcode 243: Redis RDB_OPCODE_KEY_META, Valkey
// RDB_OPCODE_SLOT_IMPORT; each project's src/rdb.h).
type Dialect uint8

const (
	// DialectRedis is a file with the "REDIS" magic: Redis of any version,
	// and Valkey up to 8.1 (RDB 11).
	DialectRedis Dialect = iota
	// DialectValkey is a file with the "VALKEY" magic (Valkey 9.0+, RDB 80+).
	DialectValkey
)

func (d Dialect) String() string {
	switch d {
	case DialectRedis:
		return "redis"
	case DialectValkey:
		return "valkey"
	}
	return "dialect(" + strconv.Itoa(int(d)) + ")"
}

// Opcode is a record tag >= 0xF2 (or one of the foreign ids listed below)
// read where an object type is expected. Values per Redis src/rdb.h and
// Valkey src/rdb.h.
type Opcode byte

const (
	OpHashTemplate Opcode = 0xF2 // RDB_OPCODE_HASH_TEMPLATE, Redis RDB 15 (Valkey 9.2 UPDATE collides)
	OpKeyMeta      Opcode = 0xF3 // RDB_OPCODE_KEY_META, Redis RDB 13+ (with "REDIS" magic)
	OpSlotImport   Opcode = 0xF3 // RDB_OPCODE_SLOT_IMPORT, Valkey RDB 80+ (with "VALKEY" magic)
	OpSlotInfo     Opcode = 0xF4 // RDB_OPCODE_SLOT_INFO, Redis RDB 12+
	OpFunction2    Opcode = 0xF5 // RDB_OPCODE_FUNCTION2, RDB 10 (Redis 7.0 GA)
	OpFunctionPre  Opcode = 0xF6 // RDB_OPCODE_FUNCTION_PRE_GA, Redis 7.0-rc1/rc2 only
	OpModuleAux    Opcode = 0xF7 // RDB_OPCODE_MODULE_AUX, RDB 9
	OpIdle         Opcode = 0xF8 // RDB_OPCODE_IDLE, RDB 9
	OpFreq         Opcode = 0xF9 // RDB_OPCODE_FREQ, RDB 9
	OpAux          Opcode = 0xFA // RDB_OPCODE_AUX, RDB 7
	OpResizeDB     Opcode = 0xFB // RDB_OPCODE_RESIZEDB, RDB 7
	OpExpireTimeMs Opcode = 0xFC // RDB_OPCODE_EXPIRETIME_MS, RDB 3
	OpExpireTime   Opcode = 0xFD // RDB_OPCODE_EXPIRETIME (seconds), RDB 1
	OpSelectDB     Opcode = 0xFE // RDB_OPCODE_SELECTDB, RDB 1
	OpEOF          Opcode = 0xFF // RDB_OPCODE_EOF, RDB 1
)

var opcodeNames = map[Opcode]string{
	OpHashTemplate: "HASH_TEMPLATE", OpKeyMeta: "KEY_META/SLOT_IMPORT", OpSlotInfo: "SLOT_INFO",
	OpFunction2: "FUNCTION2", OpFunctionPre: "FUNCTION_PRE_GA", OpModuleAux: "MODULE_AUX",
	OpIdle: "IDLE", OpFreq: "FREQ", OpAux: "AUX", OpResizeDB: "RESIZEDB",
	OpExpireTimeMs: "EXPIRETIME_MS", OpExpireTime: "EXPIRETIME", OpSelectDB: "SELECTDB", OpEOF: "EOF",
}

func (o Opcode) String() string {
	if s, ok := opcodeNames[o]; ok {
		return s
	}
	return "opcode(" + strconv.Itoa(int(o)) + ")"
}

// Type is an object type id: the tag byte that starts a key/value record.
// Values per Redis src/rdb.h (RDB_TYPE_*) and, where marked, Valkey src/rdb.h.
type Type byte

const (
	TypeString            Type = 0  // RDB_TYPE_STRING
	TypeList              Type = 1  // RDB_TYPE_LIST (linked list, RDB 1-6 era)
	TypeSet               Type = 2  // RDB_TYPE_SET
	TypeZSet              Type = 3  // RDB_TYPE_ZSET (string-encoded scores)
	TypeHash              Type = 4  // RDB_TYPE_HASH
	TypeZSet2             Type = 5  // RDB_TYPE_ZSET_2 (binary scores), RDB 8
	TypeModulePreGA       Type = 6  // RDB_TYPE_MODULE_PRE_GA, Redis 4.0 RCs
	TypeModule2           Type = 7  // RDB_TYPE_MODULE_2
	TypeHashZipmap        Type = 9  // RDB_TYPE_HASH_ZIPMAP, RDB 2
	TypeListZiplist       Type = 10 // RDB_TYPE_LIST_ZIPLIST, RDB 2
	TypeSetIntset         Type = 11 // RDB_TYPE_SET_INTSET, RDB 2
	TypeZSetZiplist       Type = 12 // RDB_TYPE_ZSET_ZIPLIST, RDB 2
	TypeHashZiplist       Type = 13 // RDB_TYPE_HASH_ZIPLIST, RDB 4
	TypeListQuicklist     Type = 14 // RDB_TYPE_LIST_QUICKLIST, RDB 7
	TypeStreamListpacks   Type = 15 // RDB_TYPE_STREAM_LISTPACKS, RDB 9
	TypeHashListpack      Type = 16 // RDB_TYPE_HASH_LISTPACK, RDB 10
	TypeZSetListpack      Type = 17 // RDB_TYPE_ZSET_LISTPACK, RDB 10
	TypeListQuicklist2    Type = 18 // RDB_TYPE_LIST_QUICKLIST_2, RDB 10
	TypeStreamListpacks2  Type = 19 // RDB_TYPE_STREAM_LISTPACKS_2, RDB 10
	TypeSetListpack       Type = 20 // RDB_TYPE_SET_LISTPACK, RDB 11
	TypeStreamListpacks3  Type = 21 // RDB_TYPE_STREAM_LISTPACKS_3, RDB 11
	TypeHashMetadataPreGA Type = 22 // RDB_TYPE_HASH_METADATA_PRE_GA, Redis 7.4 RCs ("REDIS" magic)
	TypeHash2             Type = 22 // RDB_TYPE_HASH_2, Valkey RDB 80 ("VALKEY" magic)
	TypeHashLpExPreGA     Type = 23 // RDB_TYPE_HASH_LISTPACK_EX_PRE_GA, Redis 7.4 RCs
	TypeHashMetadata      Type = 24 // RDB_TYPE_HASH_METADATA, Redis RDB 12
	TypeHashListpackEx    Type = 25 // RDB_TYPE_HASH_LISTPACK_EX, Redis RDB 12
	TypeStreamListpacks4  Type = 26 // RDB_TYPE_STREAM_LISTPACKS_4 (IDMP), Redis RDB 13
	TypeStreamListpacks5  Type = 27 // RDB_TYPE_STREAM_LISTPACKS_5 (NACK zone), Redis RDB 14
	TypeArray             Type = 28 // RDB_TYPE_ARRAY, Redis RDB 14
	TypeHashTmplLP        Type = 29 // RDB_TYPE_HASH_TMPL_LP, Redis RDB 15
	TypeHashTmplLPRef     Type = 30 // RDB_TYPE_HASH_TMPL_LP_REF, Redis RDB 15
	TypeHashTmplArray     Type = 31 // RDB_TYPE_HASH_TMPL_ARRAY, Redis RDB 15
	TypeHashTmplArrayRef  Type = 32 // RDB_TYPE_HASH_TMPL_ARRAY_REF, Redis RDB 15
	TypeGCRA              Type = 33 // RDB_TYPE_GCRA, Redis RDB 15 (builds with ENABLE_GCRA)
)

var typeNames = [...]string{
	0: "STRING", 1: "LIST", 2: "SET", 3: "ZSET", 4: "HASH", 5: "ZSET_2", 6: "MODULE_PRE_GA",
	7: "MODULE_2", 9: "HASH_ZIPMAP", 10: "LIST_ZIPLIST", 11: "SET_INTSET", 12: "ZSET_ZIPLIST",
	13: "HASH_ZIPLIST", 14: "LIST_QUICKLIST", 15: "STREAM_LISTPACKS", 16: "HASH_LISTPACK",
	17: "ZSET_LISTPACK", 18: "LIST_QUICKLIST_2", 19: "STREAM_LISTPACKS_2", 20: "SET_LISTPACK",
	21: "STREAM_LISTPACKS_3", 22: "HASH_METADATA_PRE_GA", 23: "HASH_LISTPACK_EX_PRE_GA",
	24: "HASH_METADATA", 25: "HASH_LISTPACK_EX", 26: "STREAM_LISTPACKS_4", 27: "STREAM_LISTPACKS_5",
	28: "ARRAY", 29: "HASH_TMPL_LP", 30: "HASH_TMPL_LP_REF", 31: "HASH_TMPL_ARRAY",
	32: "HASH_TMPL_ARRAY_REF", 33: "GCRA",
}

// String returns the Redis name of t (without the RDB_TYPE_ prefix). Type 22
// is reported with its Redis name; use Entry.TypeName for the dialect-aware name.
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// Kind is the logical data type of a key, as the TYPE command reports it.
type Kind uint8

const (
	KindString Kind = iota
	KindList
	KindSet
	KindZSet
	KindHash
	KindStream
	KindModule
	KindArray
	KindGCRA
)

var kindNames = [...]string{"string", "list", "set", "zset", "hash", "stream", "module", "array", "gcra"}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Encoding is the storage encoding of a value as serialized in the file. It
// is what the RDB type id says, which is not always what a loading server
// picks (loaders re-choose encodings from their *-max-listpack-* settings).
type Encoding uint8

const (
	EncString     Encoding = iota // plain, integer or LZF string
	EncLinkedList                 // type 1
	EncHashtable                  // types 2, 4, 24, Valkey 22
	EncSkiplist                   // types 3, 5
	EncZipmap                     // type 9
	EncZiplist                    // types 10, 12, 13
	EncIntset                     // type 11
	EncQuicklist                  // types 14, 18
	EncListpack                   // types 16, 17, 20
	EncListpackEx                 // types 23, 25 (listpack with field TTLs)
	EncStream                     // types 15, 19, 21, 26, 27
	EncModule                     // types 6, 7
	EncArray                      // type 28
	EncTemplate                   // types 29-32
	EncGCRA                       // type 33
)

var encodingNames = [...]string{"string", "linkedlist", "hashtable", "skiplist", "zipmap", "ziplist",
	"intset", "quicklist", "listpack", "listpackex", "stream", "module", "array", "template", "gcra"}

func (e Encoding) String() string {
	if int(e) < len(encodingNames) {
		return encodingNames[e]
	}
	return "encoding(" + strconv.Itoa(int(e)) + ")"
}

// typeInfo describes one object type id within a dialect.
type typeInfo struct {
	name string
	kind Kind
	enc  Encoding
}

// lookupType resolves a type byte for a (dialect, version): names and
// encodings as each project's src/rdb.h numbers them, the first RDB version
// of each tag per the release table (release.TypeFirstRDB, after src/rdb.c
// rdbLoadObjectType). ok is false for a tag that the file cannot contain.
func lookupType(d Dialect, version int, t byte) (typeInfo, bool) {
	if d == DialectValkey {
		switch {
		case t <= 21 && t != 8:
			ti := commonTypes[t]
			return ti, ti.name != ""
		case t == 22:
			return typeInfo{"HASH_2", KindHash, EncHashtable}, true
		}
		return typeInfo{}, false
	}
	if t < byte(len(commonTypes)) {
		ti := commonTypes[t]
		if ti.name == "" {
			return ti, false
		}
		// Files older than a type's introduction cannot hold it; be lenient
		// only where real old writers are known to differ (none so far).
		if first, _ := release.TypeFirstRDB(release.Redis, t); version < first {
			return ti, false
		}
		return ti, true
	}
	return typeInfo{}, false
}

var commonTypes = [...]typeInfo{
	0:  {"STRING", KindString, EncString},
	1:  {"LIST", KindList, EncLinkedList},
	2:  {"SET", KindSet, EncHashtable},
	3:  {"ZSET", KindZSet, EncSkiplist},
	4:  {"HASH", KindHash, EncHashtable},
	5:  {"ZSET_2", KindZSet, EncSkiplist},
	6:  {"MODULE_PRE_GA", KindModule, EncModule},
	7:  {"MODULE_2", KindModule, EncModule},
	9:  {"HASH_ZIPMAP", KindHash, EncZipmap},
	10: {"LIST_ZIPLIST", KindList, EncZiplist},
	11: {"SET_INTSET", KindSet, EncIntset},
	12: {"ZSET_ZIPLIST", KindZSet, EncZiplist},
	13: {"HASH_ZIPLIST", KindHash, EncZiplist},
	14: {"LIST_QUICKLIST", KindList, EncQuicklist},
	15: {"STREAM_LISTPACKS", KindStream, EncStream},
	16: {"HASH_LISTPACK", KindHash, EncListpack},
	17: {"ZSET_LISTPACK", KindZSet, EncListpack},
	18: {"LIST_QUICKLIST_2", KindList, EncQuicklist},
	19: {"STREAM_LISTPACKS_2", KindStream, EncStream},
	20: {"SET_LISTPACK", KindSet, EncListpack},
	21: {"STREAM_LISTPACKS_3", KindStream, EncStream},
	22: {"HASH_METADATA_PRE_GA", KindHash, EncHashtable},
	23: {"HASH_LISTPACK_EX_PRE_GA", KindHash, EncListpackEx},
	24: {"HASH_METADATA", KindHash, EncHashtable},
	25: {"HASH_LISTPACK_EX", KindHash, EncListpackEx},
	26: {"STREAM_LISTPACKS_4", KindStream, EncStream},
	27: {"STREAM_LISTPACKS_5", KindStream, EncStream},
	28: {"ARRAY", KindArray, EncArray},
	29: {"HASH_TMPL_LP", KindHash, EncTemplate},
	30: {"HASH_TMPL_LP_REF", KindHash, EncTemplate},
	31: {"HASH_TMPL_ARRAY", KindHash, EncTemplate},
	32: {"HASH_TMPL_ARRAY_REF", KindHash, EncTemplate},
	33: {"GCRA", KindGCRA, EncGCRA},
}
