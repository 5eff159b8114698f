// Package timeparse is the one parser of the times given on rdbkit's command
// line: the global reference time (--now), replay --until and repair
// --to-timestamp all accept the same forms.
package timeparse

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// Forms describes the accepted forms, for usage messages.
const Forms = "RFC 3339 (2006-01-02T15:04:05Z), unix seconds, or unix milliseconds (12 digits or more)"

// Errors returned by Parse.
var (
	ErrNegative = errors.New("timeparse: negative time")
	ErrSyntax   = errors.New("timeparse: want " + Forms)
)

// Parse reads s as an RFC 3339 time (with or without fractional seconds,
// any offset), as unix seconds, or, from 12 significant digits on, as unix
// milliseconds (a 12-digit count of seconds would be past the year 5000).
// The result is in UTC. Leading and trailing spaces are ignored. It returns
// ErrNegative for a negative number and ErrSyntax for anything else it
// cannot read.
func Parse(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return time.Time{}, ErrNegative
		}
		if len(strings.TrimLeft(s, "+0")) >= 12 {
			return time.UnixMilli(n).UTC(), nil
		}
		return time.Unix(n, 0).UTC(), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, ErrSyntax
	}
	return t.UTC(), nil
}

// UnixSeconds is Parse as unix seconds, rounded down: the unit of the AOF
// "#TS:" annotations it is compared with.
func UnixSeconds(s string) (int64, error) {
	t, err := Parse(s)
	if err != nil {
		return 0, err
	}
	return t.Unix(), nil
}
