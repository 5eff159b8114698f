package cmd

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// jsonBytes is a byte string in JSON, exact for any content: a plain JSON
// string when the bytes are valid UTF-8, else {"b64": "<standard base64>"}.
// docs/json.md documents it.
type jsonBytes []byte

// MarshalJSON implements json.Marshaler.
func (b jsonBytes) MarshalJSON() ([]byte, error) {
	if utf8.Valid(b) {
		return marshalNoEscape(string(b))
	}
	return marshalNoEscape(struct {
		B64 string `json:"b64"`
	}{base64.StdEncoding.EncodeToString(b)})
}

// UnmarshalJSON implements json.Unmarshaler (used by tests and by anyone
// reading our output back).
func (b *jsonBytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*b = []byte(s)
		return nil
	}
	var o struct {
		B64 string `json:"b64"`
	}
	if err := json.Unmarshal(data, &o); err != nil {
		return err
	}
	v, err := base64.StdEncoding.DecodeString(o.B64)
	*b = v
	return err
}

func marshalNoEscape(v any) ([]byte, error) {
	var buf jsonBuffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.b[:len(buf.b)-1], nil // drop Encode's newline
}

type jsonBuffer struct{ b []byte }

func (j *jsonBuffer) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }

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
const jsonTimeFormat = "2006-01-02T15:04:05.000Z07:00"

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
func quoteKey(k []byte) string { return "\"" + rdbfile.EscapeBytes(k) + "\"" }
