package rdbfile

import (
	"strconv"
	"strings"
)

// AuxInfo is what the AUX fields of an RDB file say about the save that
// wrote it. The fields and their meaning are those of the writer, Redis
// src/rdb.c rdbSaveInfoAuxFields (Valkey's function of the same name
// writes "valkey-ver" for the version), as the loader reads them back in
// rdbLoadRioWithLoadingCtx: names compare without regard to case, and a
// field given twice counts as given last. A field that is absent, or whose
// (last) value is not a decimal integer where one is expected, leaves its
// member unset (nil, 0 or ""); the raw records stay in Header.Aux (and
// Summary.Aux for AUX records that come after other records).
type AuxInfo struct {
	// Server is "valkey" when a valkey-ver field names the version (Valkey
	// writes it; Valkey 9 writes redis-ver too), else "redis" when
	// redis-ver does (Redis 3.2+), else "".
	Server string
	// Version is the writer's version string, e.g. "7.4.1".
	Version string
	// Bits is redis-bits: the writer's pointer size, 64 or 32 (Redis 3.2+).
	Bits int
	// CTime is ctime: when the file was saved, in Unix seconds (Redis 3.2+).
	CTime *int64
	// UsedMem is used-mem: the writer's used_memory when it saved, in
	// bytes (Redis 3.2+; the loader remembers it as loading_rdb_used_mem).
	UsedMem *int64
	// AOFBase is aof-base (Redis 7.0+, Valkey): the file is the base of a
	// multi-part AOF, or aof-preamble (Redis 4.0-6.2): the file is the RDB
	// preamble of an AOF. Both are integers; any value but 0 is true.
	AOFBase *bool
	// ReplStreamDB is repl-stream-db: the database the replication stream
	// had selected (written only with replication information, Redis 4.0+).
	ReplStreamDB *int
	// ReplID is repl-id: the replication ID, as stored. The loader takes it
	// only when it is exactly 40 bytes long (CONFIG_RUN_ID_SIZE).
	ReplID string
	// ReplOffset is repl-offset: the replication offset, in bytes of the
	// replication stream.
	ReplOffset *int64
	// LuaScripts counts "lua" fields: Lua script bodies from the script
	// cache (Redis 5.0-6.2 saves with replication information; 7.0+
	// ignores them).
	LuaScripts int
}

// ParseAux interprets AUX records, in file order (Header.Aux followed by
// Summary.Aux, or any subset).
func ParseAux(aux []Aux) AuxInfo {
	var info AuxInfo
	var redisVer, valkeyVer *string
	for _, a := range aux {
		v := string(a.Value)
		switch strings.ToLower(string(a.Name)) {
		case "redis-ver":
			redisVer = &v
		case "valkey-ver":
			valkeyVer = &v
		case "redis-bits":
			info.Bits, _ = strconv.Atoi(v)
		case "ctime":
			info.CTime = parseAuxInt(v)
		case "used-mem":
			info.UsedMem = parseAuxInt(v)
		case "aof-base", "aof-preamble":
			info.AOFBase = nil
			if n := parseAuxInt(v); n != nil {
				b := *n != 0
				info.AOFBase = &b
			}
		case "repl-stream-db":
			info.ReplStreamDB = nil
			if n, err := strconv.Atoi(v); err == nil {
				info.ReplStreamDB = &n
			}
		case "repl-id":
			info.ReplID = v
		case "repl-offset":
			info.ReplOffset = parseAuxInt(v)
		case "lua":
			info.LuaScripts++
		}
	}
	switch {
	case valkeyVer != nil:
		info.Server, info.Version = "valkey", *valkeyVer
	case redisVer != nil:
		info.Server, info.Version = "redis", *redisVer
	}
	return info
}

// parseAuxInt reads a decimal integer, or returns nil.
func parseAuxInt(v string) *int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	return &n
}

// AuxInfo interprets the AUX fields that precede the first other record,
// which is where servers write them (Redis src/rdb.c rdbSaveRio calls
// rdbSaveInfoAuxFields right after the magic). AUX records found later
// are in Summary.Aux; pass both to ParseAux to read them all.
func (h *Header) AuxInfo() AuxInfo { return ParseAux(h.Aux) }
