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
// unless Options.Shallow; with Options.Jobs above 1 (the default on a
// machine with several CPUs) an rdbfile.Checker reads the records on the
// calling goroutine and checks the values on workers, with the same
// Result and the same hook calls. Callers see the records through two
// hooks:
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
// The check costs 8 bytes of memory per key and runs in up to two passes.
// The first pass, the scan itself, keeps a 64-bit hash (hash/maphash) of
// every key per database, in blocks that are never copied to grow; at the
// end, the hashes of each of 256 buckets go through a small table and a
// hash seen twice is a candidate. A file without candidates (the usual
// case) is done: equal keys have equal hashes. Only when there are
// candidates does a second pass (Options.Reopen) read the stream again to
// compare the keys byte for byte and find every copy's offset; an input that
// cannot be read twice (a pipe) gets them reported as unconfirmed, by
// database and hash only. Keeping the offset or the key with each hash
// would have cost 16 bytes or more per key for a rare event.
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
