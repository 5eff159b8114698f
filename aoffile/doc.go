// Package aoffile reads Redis and Valkey append-only files (AOF).
//
// An AOF is a log of write commands in the RESP protocol, each one an array
// of bulk strings exactly as a client would send it:
//
//	*<argc>\r\n  then argc × ( $<len>\r\n <len bytes> \r\n )
//
// Lines starting with '#' are annotations; the only one written today is the
// timestamp "#TS:<unix seconds>\r\n" (aof-timestamp-enabled, Redis 7.0+,
// Valkey). A file may start with a complete RDB snapshot (the "RDB preamble"
// of aof-use-rdb-preamble, or an RDB base file of a multi-part AOF) followed
// by RESP commands. The layouts follow Redis src/aof.c
// (loadSingleAppendOnlyFile, and loadAppendOnlyFiles for a multi-part set)
// and src/redis-check-aof.c (checkSingleAof, processRESP).
//
// # Reading
//
// Reader is a streaming pull reader in the style of archive/tar:
//
//	r := aoffile.NewReader(f, nil)
//	if rdb, err := r.Preamble(); err != nil {
//		return err
//	} else if rdb != nil {
//		// optional: walk or verify the RDB part with rdb.Next();
//		// Reader.Next skips whatever is left of it.
//	}
//	for {
//		c, err := r.Next()     // a command or an annotation
//		if err == io.EOF {
//			break          // clean end: the last record was complete
//		}
//		if err != nil {
//			return err     // *SyntaxError (ErrTruncated, ErrFormat) or an I/O error
//		}
//		if c.Kind == aoffile.KindCommand {
//			use(c.Args)    // valid until the next call to Next
//		}
//	}
//
// # Strictness and the check-aof verdict
//
// The Reader is as strict as redis-check-aof (checkSingleAof, processRESP):
// "*<n>\r\n" with n >= 1, every argument "$<len>\r\n", exactly len bytes and
// "\r\n"; MULTI inside MULTI and EXEC without MULTI are errors; the end of the
// input inside an open MULTI is a truncation. It is a little stricter than
// the checker in one place, like the server: a count below 1 ("*0", "*-1")
// is a format error (the checker accepts it, the server refuses it).
//
// Reader.OKUpTo gives the checker's "ok_up_to" and "ok_up_to_line": the
// offset up to which the file is good (the end of the last complete record
// outside a transaction, or the offset of the MULTI of an unfinished one),
// which is where redis-check-aof --fix and the server's aof-load-truncated
// truncate the file.
//
// Line numbers follow redis-check-aof's counter, which is global over the
// files of a multi-part AOF (see Options.Line): it starts at 1 and advances
// once per RESP protocol line consumed (the "*" line, each "$" line and each
// argument's terminating CRLF). Annotation lines, CR LF bytes inside argument
// data and the RDB preamble do not advance it. For a file without
// annotations and without newlines inside values this is the ordinary line
// number.
//
// # Commands
//
// Validate checks a command against a server release's command table (package
// release: the commands that can appear in an AOF, with their arity, write
// flag and the release that introduced them); ValidateKnown checks it against
// every known release.
//
// # Lengths from the file
//
// A length read from the file is never trusted for an allocation: buffers
// grow only as data actually arrives, so "$1099511627776" followed by a few
// bytes costs a few bytes. Options.MaxCommandSize caps the memory one command
// may take.
package aoffile
