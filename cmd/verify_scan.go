package cmd

import (
	"errors"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
)

// What "verify" says about the duplicate key check and the sizes of a scan.

// dupFindings reports each duplicated key at the offset of its second copy,
// naming every copy's offset.
func dupFindings(res *rdbscan.Result) []finding {
	var out []finding
	for _, d := range res.Duplicates {
		f := finding{Severity: "error", Field: "key", Message: d.Message()}
		if d.Unconfirmed {
			f.Message += ": verify a copy saved as a regular file"
		} else {
			f.Key, f.Offset = d.Key, d.Copies[1].Offset
			if d.Outcome != rdbscan.DupAborts {
				f.Severity = "warning"
			}
		}
		out = append(out, f)
	}
	if more := res.DupCount - int64(len(res.Duplicates)); more > 0 {
		out = append(out, finding{Severity: "error", Field: "key", Message: rdbscan.MoreMessage(more)})
	}
	return out
}

// dupBlocks reports whether a duplicated key stops every server loading the file.
func dupBlocks(res *rdbscan.Result) bool {
	if res.DupCount > int64(len(res.Duplicates)) {
		return true
	}
	for _, d := range res.Duplicates {
		if d.Outcome == rdbscan.DupAborts {
			return true
		}
	}
	return false
}

// dupDamage is why no --target loads a file whose only problem is a
// duplicated key: `key "k" appears twice in db 0, at offsets ...: the
// server aborts while loading`.
func dupDamage(res *rdbscan.Result) string {
	for _, d := range res.Duplicates {
		if d.Outcome != rdbscan.DupAborts {
			continue
		}
		s := "the server aborts while loading"
		if d.Unconfirmed {
			return s + " (a key appears twice in " + d.DBName() + ", see the findings)"
		}
		s = "key " + quoteKey(d.Key) + " " + strings.TrimPrefix(d.Where(), "key ") + ": " + s
		if n := res.DupCount - 1; n > 0 {
			s += " (and " + plural(int(n), "more duplicated key") + ")"
		}
		return s
	}
	return "the server aborts while loading (keys appear twice in one database, see the findings)"
}

// dupHint is the hint of a file whose records are intact but which holds
// a duplicated key.
func dupHint(res *rdbscan.Result) string {
	return "every record is intact, but " + dupDamage(res) + ". Loading it needs all copies but one of each duplicated key removed; rdbkit cannot repair RDB files yet."
}

// dupCount is the JSON duplicate_keys: null when the check did not run (or
// failed).
func dupCount(res *rdbscan.Result, ran bool) *int64 {
	if !ran {
		return nil
	}
	n := res.DupCount
	return &n
}

// sizeText is the "size:" line: the size of the file on disk.
func sizeText(in *input) string {
	if in.FileSize < 0 {
		return "unknown (not a regular file)"
	}
	return strconv.FormatInt(in.FileSize, 10) + " bytes"
}

// readText is the "read:" line, when the bytes of the RDB stream read are
// not simply the file: a compressed input, one of unknown size, or a file
// whose reading stopped early. "" otherwise.
func readText(in *input, res *rdbscan.Result) string {
	n := strconv.FormatInt(res.Size, 10) + " bytes"
	switch {
	case in.Compressed():
		n += " of the decompressed RDB stream"
	case in.FileSize < 0:
	case res.Size == in.FileSize:
		return ""
	}
	if !res.Done() && !errors.Is(res.Err, rdbfile.ErrChecksum) {
		n += " (reading stopped there)"
	}
	return n
}
