package rdbscan

import (
	"strconv"
	"strings"
)

// DupServerMsg is the server's own words when it meets a duplicated key
// (Redis and Valkey src/rdb.c, rdbLoadRioWithLoadingCtx).
const DupServerMsg = `"Duplicated key found in RDB file"`

// DBName is "db 3", or for an unconfirmed duplicate whose database the
// check did not keep (DB -1), "a db beyond the file's first 255".
func (d Duplicate) DBName() string {
	if d.DB < 0 {
		return "a db beyond the file's first 255"
	}
	return "db " + strconv.Itoa(d.DB)
}

// Where is "key appears twice in db 0, at offsets 25 (0x19) and 40 (0x28)"
// for a confirmed duplicate (Unconfirmed false).
func (d Duplicate) Where() string {
	offs := make([]string, len(d.Copies))
	for i, c := range d.Copies {
		offs[i] = strconv.FormatInt(c.Offset, 10) + " (0x" + strconv.FormatInt(c.Offset, 16) + ")"
	}
	if len(offs) == 0 {
		return "key appears more than once in db " + strconv.Itoa(d.DB)
	}
	last := len(offs) - 1
	times := strconv.Itoa(len(d.Copies)) + " times"
	if len(d.Copies) == 2 {
		times = "twice"
	}
	return "key appears " + times + " in db " + strconv.Itoa(d.DB) + ", at offsets " +
		strings.Join(offs[:last], ", ") + " and " + offs[last]
}

// Consequence is what a server does with the file because of d, in words:
// "the server aborts while loading (...)", or why it loads the file anyway.
func (d Duplicate) Consequence() string {
	switch d.Outcome {
	case DupAbortsUnlessExpired:
		return "a primary loading it now drops the expired copies and loads the file; a replica or an AOF preamble keeps them and aborts (" + DupServerMsg + ")"
	case DupLoads:
		return "all copies but one are empty, which the server skips, so it loads the file"
	}
	return "the server aborts while loading (" + DupServerMsg + ")"
}

// Message is the text of d's finding: where its copies are and what the
// server does, or for an unconfirmed duplicate, how many keys share a hash.
func (d Duplicate) Message() string {
	if d.Unconfirmed {
		return strconv.Itoa(d.N) + " keys of " + d.DBName() + " have the same 64-bit hash: almost certainly one key stored twice, and " +
			d.Consequence() + "; this input cannot be read a second time to name the key and its offsets"
	}
	return d.Where() + ": " + d.Consequence()
}

// MoreMessage is the text of the finding for n duplicated keys not listed
// (Result.DupCount beyond Options.MaxDuplicates).
func MoreMessage(n int64) string {
	return strconv.FormatInt(n, 10) + " more keys appear twice in one database (not listed); the server aborts while loading (" + DupServerMsg + ")"
}
