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
// doubles (D2String). See FORMATS.md §1.4 and §6.3.
//
// # Digests
//
// Digester and ValueDigest compute DEBUG DIGEST and DEBUG DIGEST-VALUE
// (Redis src/debug.c, FORMATS.md §6) from rdbfile values, so a file can be
// compared with a running server without loading it.
//
// # Versions
//
// Behaviour is chosen by an explicit ServerVersion, usually taken from the
// file's "redis-ver" or "valkey-ver" AUX field with VersionFromHeader.
package engine
