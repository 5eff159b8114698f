package cmd

import (
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// jsonBytes is a byte string in JSON, exact for any content (a JSON string
// when valid UTF-8, else {"b64": ...}); docs/json.md documents it.
type jsonBytes = convert.JSONBytes

func marshalNoEscape(v any) ([]byte, error) { return convert.MarshalNoEscape(v) }

// writeJSON writes v as one line of JSON.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// writeJSONIndent writes v as an indented JSON document.
func writeJSONIndent(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// jsonTimeFormat is RFC3339 in UTC with milliseconds.
const jsonTimeFormat = convert.JSONTimeFormat

// msTime formats ms since the Unix epoch as RFC3339 UTC.
func msTime(ms int64) string { return time.UnixMilli(ms).UTC().Format(jsonTimeFormat) }

// expireJSON returns the JSON value of an expire time: nil for none.
func expireJSON(ms int64) *string {
	if ms == rdbfile.NoExpire {
		return nil
	}
	s := msTime(ms)
	return &s
}

func hexOff(v int64) string    { return "0x" + strconv.FormatInt(v, 16) }
func quoteKey(k []byte) string { return "\"" + escapeBytes(k) + "\"" }
