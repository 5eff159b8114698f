// Package engine reproduces server-side computations on data read from
// persistence files, exactly as a given Redis or Valkey version does them.
//
// # Numbers
//
// FormatDoubleFpconv is a port of fpconv_dtoa (Grisu2), the double
// formatter of Redis 7.2+ and Valkey; FormatDoubleG17 is C's "%.17g", used
// by Redis 7.0 and older. FormatScore and D2String pick between them for a
// ServerVersion, the way the server formats sorted-set scores in DEBUG
// DIGEST and AOF rewrites (FormatScore) or in listpacks and old RDB string
// doubles (D2String): Redis src/util.c d2string, deps/fpconv/fpconv_dtoa.c
// fpconv_dtoa, src/debug.c xorObjectDigest.
//
// # Digests
//
// Digester and ValueDigest compute DEBUG DIGEST and DEBUG DIGEST-VALUE
// (Redis src/debug.c computeDatasetDigest, xorObjectDigest) from rdbfile
// values, so a file can be
// compared with a running server without loading it. A Redis 8.8 array
// hashes every slot up to its highest index, one SHA-1 each: arrays longer
// than ArrayDigestMaxLen slots are left out (ErrNoDigest), as the server
// would take minutes to forever on them.
//
// # Replaying AOF files
//
// An Engine is an in-memory keyspace (numbered databases, every data type,
// absolute key and hash-field expire times, function libraries) that
// executes write commands with the semantics of one server version, as the
// server does when it loads an AOF: one client, SELECT and MULTI/EXEC
// state, no expiry by time. LoadRDB (or LoadEntry) loads an RDB file or
// the RDB preamble of an AOF; Exec runs one command given as argv; Digest
// and DigestValue give DEBUG DIGEST and DEBUG DIGEST-VALUE of the result:
//
//	e := engine.New(version)
//	if err := e.LoadRDB(rdbfile.NewReader(base, nil)); err != nil { ... }
//	for each command of the incr files {
//		if err := e.Exec(argv); err != nil { ... } // *CommandError, *UnsupportedError, *ExecError
//	}
//	digest := e.Digest()
//
// Every supported command, with its version gates and the cases the engine
// cannot reproduce, is listed in docs/engine-commands.md. Small aggregates
// are stored packed (one byte arena plus offsets per value); big lists,
// sorted sets and streams are chains of such packs; big hashes and sets (and
// the member index of big sorted sets) are arena-backed open-addressing
// tables (hdict) with no Go pointer per element; strings are one allocation
// each; expire times live in a side map, as in the server.
//
// LoadRDB overlaps decoding and building: a second goroutine reads the
// records and stages each value's elements in a reused arena while the
// caller's goroutine builds the objects and fills the keyspace, in file
// order; both are done when it returns. Digest spreads the keys over
// GOMAXPROCS goroutines (SHA-1 dominates it).
//
// # Versions
//
// Behaviour is chosen by an explicit ServerVersion, usually taken from the
// file's "redis-ver" or "valkey-ver" AUX field with VersionFromHeader.
package engine
