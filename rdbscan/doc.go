// Package rdbscan reads a whole RDB stream once and says what it holds and
// how far it is intact. It sits on top of the codec in rdbfile and is what
// the commands, repair, and later convert and estimate share, so that the
// bookkeeping of a scan lives in one place.
//
// # Scan
//
// Scan drives an *rdbfile.Reader from the header to the EOF opcode and the
// CRC-64 trailer (optionally to the end of the input, counting trailing
// bytes). Each key's value is consumed with Entry.Skip, which checks it,
// unless Options.Shallow; with Options.Jobs above 1 the duplicate check
// keeps its hashes on a goroutine of its own, and above 2 an
// rdbfile.Checker reads the records on the calling goroutine and checks
// the values on workers, with the same Result and the same hook calls.
// Callers see the records through two hooks:
//
//	sum := &rdbscan.Summary{TopN: 10, Now: nowMs}
//	res, err := rdbscan.Scan(ctx, rdbfile.NewReader(r, nil), &rdbscan.Options{
//		OnEntry: func(e *rdbfile.Entry) error { sum.Add(e); return nil },
//		Tail:    true,
//	})
//	if err != nil { ... }        // I/O, interruption, a hook's error
//	if res.Damaged() { ... }     // res.Err, res.Findings, res.IntactUpTo
//
// The Result carries the header, the fatal *rdbfile.CorruptError that
// stopped reading (if any), the Reader's findings and their counts, the
// record and key counts, the checksum status, and IntactUpTo: the offset of
// the first record that is damaged or that reading stopped in, the place
// where a salvage would cut. A problem of the file never comes back as
// Scan's error: that is for everything else.
//
// # Duplicate keys
//
// With Options.Duplicates, Scan also finds keys stored more than once in
// one database. Redis and Valkey abort on such a file ("Duplicated key
// found in RDB file", src/rdb.c rdbLoadRioWithLoadingCtx) unless all copies
// but one are skipped at load: an empty aggregate always, a key already
// expired when a primary loads it (see DupOutcome). The same key in two
// databases is fine.
//
// The check keeps a 64-bit hash (hash/maphash) of every key with its
// database, 8 bytes a key, and runs in up to two passes. The first pass,
// the scan itself, keeps the hashes in 256 buckets by their top byte, in a
// fixed budget of memory (Options.DupMemory, 16 MiB by default: 2 Mi keys).
// When the budget is full, the buckets are appended to one temporary file
// (Options.TempDir) and the budget is used again; at the end, each bucket
// in turn, read back, goes through an open-addressing table laid out in
// the budget, and a hash seen twice is a candidate. A bucket too big for
// the table is split again by the next byte of the hash, so memory stays
// within the budget at any number of keys; the file holds 8 bytes per key.
// A file without candidates (the usual case) is done: equal keys have
// equal hashes. Only when there are candidates does a second pass
// (Options.Reopen) read the stream again to compare the keys byte for byte
// and find every copy's offset; an input that cannot be read twice (a pipe)
// gets them reported as unconfirmed, by database and hash only. Keeping the
// offset or the key with each hash would have cost 16 bytes or more per
// key for a rare event. A temporary file that cannot be written (a full
// disk) is an error (*DupTempError), never "no duplicates".
//
// # Summary and Compat
//
// Summary collects statistics from the records (per database, per type and
// encoding, function libraries, module types, the biggest keys); Compat
// says whether a server release would load the file (the gates of package
// release applied to each record), and SetCompat the same for an AOF set.
// Feed them from OnEntry.
//
// The package imports rdbfile, aoffile, release and the standard library. It never
// opens files by name, prints, or reads the clock: the load time of the
// duplicate check and the reference time of Summary come from the caller.
package rdbscan
