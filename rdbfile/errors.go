package rdbfile

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Sentinel causes carried in CorruptError.Err. Test with errors.Is.
var (
	// ErrBadMagic: the file does not start with "REDIS" + 4 digits or "VALKEY" + 3 digits.
	ErrBadMagic = errors.New("rdbfile: not an RDB file (bad magic)")
	// ErrUnsupportedVersion: a version no known server writes (0, or "REDIS" with 80+, "VALKEY" below 80).
	ErrUnsupportedVersion = errors.New("rdbfile: unsupported RDB version")
	// ErrChecksum: the CRC-64 trailer does not match the file; see ChecksumError.
	ErrChecksum = errors.New("rdbfile: checksum mismatch")
	// ErrUnknownType: a record tag that is neither a known opcode nor a type id valid for the file's dialect and version.
	ErrUnknownType = errors.New("rdbfile: unknown type or opcode")
	// ErrBadLength: a length that is malformed or larger than the data it describes.
	ErrBadLength = errors.New("rdbfile: bad length")
	// ErrInvalid: a structure that violates the format's rules (counts, order, duplicates, ranges).
	ErrInvalid = errors.New("rdbfile: invalid structure")
	// ErrUnsupported: a record that is valid but that this reader cannot interpret
	// (pre-release formats, Dragonfly or Redis Enterprise extensions).
	ErrUnsupported = errors.New("rdbfile: unsupported record")
	// ErrTooLarge: a value larger than Options.MaxValueSize.
	ErrTooLarge = errors.New("rdbfile: value exceeds the configured size limit")
)

// ErrConsumed is returned by Entry.Value, Entry.Walk and Entry.WalkPacked
// when the entry's value was already read (by one of them or by Skip). It is
// a mistake of the caller, not a problem of the file: it is never wrapped in
// a CorruptError and never recorded as a Finding.
var ErrConsumed = errors.New("rdbfile: value already consumed")

// A CorruptError reports malformed input at a byte offset in the file. Every
// error the Reader returns for bad input is a *CorruptError; truncation is
// reported with Err == io.ErrUnexpectedEOF.
type CorruptError struct {
	Offset int64  // absolute offset of the first byte of the bad field
	Field  string // what was being read: "length", "string", "listpack entry", "opcode", ...
	Key    []byte // key being decoded, if known
	Type   string // object type of that key, if known
	Detail string // extra human text, if any
	Err    error  // cause: a sentinel above, io.ErrUnexpectedEOF, or a *ChecksumError
}

func (e *CorruptError) Error() string {
	s := "rdbfile: "
	if e.Detail != "" {
		s += e.Detail
	} else if e.Err != nil {
		s += trimPrefix(e.Err.Error())
	} else {
		s += "corrupt input"
	}
	s += " reading " + e.Field + " at offset " + strconv.FormatInt(e.Offset, 10) +
		" (0x" + strconv.FormatInt(e.Offset, 16) + ")"
	if e.Key != nil {
		s += " in key " + strconv.Quote(string(e.Key))
		if e.Type != "" {
			s += " (" + e.Type + ")"
		}
	}
	if e.Detail != "" && e.Err != nil && !errors.Is(e.Err, ErrInvalid) && !errors.Is(e.Err, io.ErrUnexpectedEOF) && !errors.Is(e.Err, ErrBadLength) && !errors.Is(e.Err, ErrUnsupported) && !errors.Is(e.Err, ErrUnknownType) && !errors.Is(e.Err, ErrUnsupportedVersion) && !errors.Is(e.Err, ErrBadMagic) {
		s += ": " + trimPrefix(e.Err.Error())
	}
	return s
}

func (e *CorruptError) Unwrap() error { return e.Err }

func trimPrefix(s string) string {
	if len(s) > 9 && s[:9] == "rdbfile: " {
		return s[9:]
	}
	return s
}

// A ChecksumError is the cause of a CorruptError when the CRC-64 trailer does
// not match. It matches ErrChecksum with errors.Is.
type ChecksumError struct {
	Want uint64 // value stored in the file's trailer
	Got  uint64 // value computed over magic..EOF opcode
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("checksum mismatch: file says %016x, content gives %016x", e.Want, e.Got)
}

// Is reports whether target is ErrChecksum.
func (e *ChecksumError) Is(target error) bool { return target == ErrChecksum }
