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
