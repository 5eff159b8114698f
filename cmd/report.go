package cmd

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
)

// Checksum status names (text and JSON).
const (
	sumVerified = "verified" // trailer matched
	sumDisabled = "disabled" // all-zero trailer: saved with rdbchecksum no, not verified
	sumMismatch = "mismatch" // trailer does not match
	sumAbsent   = "absent"   // RDB < 5 has no trailer
	sumSkipped  = "skipped"  // not compared on request
	sumUnknown  = "unknown"  // the file ended or broke before the trailer
)

func checksumStatus(res *rdbscan.Result) string {
	switch {
	case res.Err != nil && errors.Is(res.Err, rdbfile.ErrChecksum):
		return sumMismatch
	case res.Err != nil || res.Header == nil:
		return sumUnknown
	case !res.Checksum.Present:
		return sumAbsent
	case res.Checksum.Disabled:
		return sumDisabled
	case res.Checksum.Skipped:
		return sumSkipped
	case res.Checksum.Verified:
		return sumVerified
	}
	return sumUnknown
}

// checksumText is the human form of the checksum status.
func checksumText(res *rdbscan.Result) string {
	cs := res.Checksum
	switch checksumStatus(res) {
	case sumVerified:
		return "verified (crc64 " + fmt.Sprintf("%016x", cs.Stored) + ")"
	case sumDisabled:
		return "not verified: saved with rdbchecksum no (all-zero trailer)"
	case sumMismatch:
		return fmt.Sprintf("MISMATCH: trailer says %016x, content gives %016x", cs.Stored, cs.Computed)
	case sumAbsent:
		return "none (RDB version " + strconv.Itoa(res.Header.Version) + " has no checksum)"
	case sumSkipped:
		return "not compared"
	}
	return "unknown (the file breaks before its checksum)"
}

type jsonChecksum struct {
	Status   string  `json:"status"`
	Stored   *string `json:"stored"`
	Computed *string `json:"computed"`
	Offset   *int64  `json:"offset"`
}

func checksumJSON(res *rdbscan.Result) jsonChecksum {
	j := jsonChecksum{Status: checksumStatus(res)}
	if res.Checksum.Present {
		s, c, o := fmt.Sprintf("%016x", res.Checksum.Stored), fmt.Sprintf("%016x", res.Checksum.Computed), res.Checksum.Offset
		j.Stored, j.Computed, j.Offset = &s, &c, &o
	}
	return j
}

// finding is one problem to report: a reader finding, the fatal error, or
// something cmd noticed (trailing bytes, a damaged compressed stream).
type finding struct {
	Severity string // "error" or "warning"
	Fatal    bool   // reading stopped here
	Offset   int64
	Field    string
	Key      []byte // nil outside a key
	KeyType  string
	Message  string
}

func fromCorrupt(sev string, fatal bool, ce *rdbfile.CorruptError) finding {
	return finding{Severity: sev, Fatal: fatal, Offset: ce.Offset, Field: ce.Field, Key: ce.Key, KeyType: ce.Type, Message: corruptMessage(ce)}
}

// corruptMessage is a CorruptError's text without the parts shown in
// their own columns (offset, field, key).
func corruptMessage(ce *rdbfile.CorruptError) string {
	cause := ""
	if ce.Err != nil {
		cause = strings.TrimPrefix(ce.Err.Error(), "rdbfile: ")
	}
	switch {
	case ce.Detail == "" && cause == "":
		return "corrupt input"
	case ce.Detail == "":
		return cause
	case ce.Err == nil || errors.Is(ce.Err, rdbfile.ErrInvalid) || errors.Is(ce.Err, io.ErrUnexpectedEOF) ||
		strings.Contains(ce.Detail, cause):
		return ce.Detail
	}
	return ce.Detail + ": " + cause
}

// findingsOf lists every problem of a scan in offset order of discovery:
// the reader's findings, then the fatal error, then trailing bytes.
func findingsOf(res *rdbscan.Result, extra error) []finding {
	var out []finding
	for _, f := range res.Findings {
		out = append(out, fromCorrupt(f.Severity.String(), false, f.Err))
	}
	var ce *rdbfile.CorruptError
	if res.Err != nil && errors.As(res.Err, &ce) {
		out = append(out, fromCorrupt("error", true, ce))
	}
	var de *decompressError
	if extra != nil && errors.As(extra, &de) {
		out = append(out, finding{Severity: "error", Fatal: true, Offset: res.Size, Field: de.Codec + " stream", Message: de.Error()})
	}
	if res.Trailing > 0 {
		out = append(out, finding{Severity: "warning", Offset: res.Size - res.Trailing, Field: "trailer",
			Message: strconv.FormatInt(res.Trailing, 10) + " bytes after the checksum trailer (servers ignore them)"})
	}
	return out
}

// offsetText is "36230 (0x8d86)".
func offsetText(off int64) string { return strconv.FormatInt(off, 10) + " (" + hexOff(off) + ")" }

// humanBytes is 1536 -> "1.5 KiB".
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// formatText is "RDB 12 (REDIS0012, dialect redis)".
func formatText(h *rdbfile.Header) string {
	magic := h.Magic + fmt.Sprintf("%04d", h.Version)
	if h.Magic == "VALKEY" {
		magic = h.Magic + fmt.Sprintf("%03d", h.Version)
	}
	return "RDB " + strconv.Itoa(h.Version) + " (" + magic + ", dialect " + h.Dialect.String() + ")"
}

// compressionText says what was unwrapped and what offsets mean.
func compressionText(in *input) string {
	if !in.Compressed() {
		return compNone
	}
	return in.Compression + " (offsets are in the decompressed stream)"
}

// plainLine writes "label:\tvalue" (plain mode).
func plainLine(w io.Writer, label string, values ...string) {
	fmt.Fprintf(w, "%s:\t%s\n", label, strings.Join(values, "\t"))
}

// plural is "1 error", "2 errors".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
