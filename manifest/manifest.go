// Package manifest reads and writes the manifest of a multi-part AOF
// (Redis 7.0+, Valkey), "appendonly.aof.manifest", and resolves an AOF
// directory, a manifest, or an old single-file AOF into the set of files the
// server would load.
//
// # Grammar
//
// The manifest lists one file per line, as the server writes it
// (src/aof.c, aofInfoFormat and getAofManifestAsString):
//
//	file appendonly.aof.2.base.rdb seq 2 type b
//	file appendonly.aof.1.incr.aof seq 1 type h
//	file appendonly.aof.2.incr.aof seq 2 type i startoffset 0 endoffset 238129
//
// Parse follows the server's reader, aofLoadManifestFromFile, exactly: lines
// are read as fgets into 1025 bytes (MANIFEST_MAX_LINE 1024); a line starting
// with '#' is a comment; any other line must end with '\n' within that
// buffer ("contains too long line", which is also what a last line without
// '\n' gives); the line is trimmed of " \t\r\n" and must not be empty; it is
// split like sdssplitargs (double quotes with \n \r \t \b \a \\ \" \xHH
// escapes, single quotes with \' only); the token count must be even and at
// least 6; keys are matched case-insensitively; "file", "seq" (non-zero,
// atoll) and "type" (first byte b, h or i) are required; file names may not
// contain '/' or '\'; at most one base; incr sequence numbers strictly
// increase. Redis 8.0+ "startoffset" and "endoffset" (replication offsets,
// not file sizes) are parsed. Unknown keys are kept, in order, so that a
// rewrite does not lose them (the server itself drops them).
//
// Format writes the server's order (base, history, incr) and quoting
// (sdscatrepr for names that need it), so that Parse(Format(m)) == m. Where
// the server's writer would produce a line its own reader misparses (an
// empty name, a single quote inside a name) Format quotes; a name starting
// with a single quote is refused.
package manifest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// MaxLine is the server's MANIFEST_MAX_LINE: the longest line it reads.
const MaxLine = 1024

// Sentinel causes carried in ParseError.Err, with the server's messages.
var (
	ErrEmpty         = errors.New("manifest: Found an empty AOF manifest")
	ErrLineTooLong   = errors.New("manifest: The AOF manifest file contains too long line")
	ErrFormat        = errors.New("manifest: Invalid AOF manifest file format")
	ErrPath          = errors.New("manifest: File can't be a path, just a filename")
	ErrDuplicateBase = errors.New("manifest: Found duplicate base file information")
	ErrNonMonotonic  = errors.New("manifest: Found a non-monotonic sequence number")
	ErrUnknownType   = errors.New("manifest: Unknown AOF file type")
)

// A ParseError reports a manifest the server refuses to load.
type ParseError struct {
	Line int    // 1-based line number (as the server counts: an over-long comment counts twice)
	Text string // the trimmed line, as the server logs it after ">>> ", if it got that far
	Err  error  // one of the sentinels above
}

func (e *ParseError) Error() string {
	s := e.Err.Error()
	if e.Line > 0 {
		s += " at line " + strconv.Itoa(e.Line)
	}
	if e.Text != "" {
		s += ": " + strconv.Quote(e.Text)
	}
	return s
}

// Unwrap returns the cause.
func (e *ParseError) Unwrap() error { return e.Err }

// Reason returns the server's message for the error, e.g. "Unknown AOF file
// type", as logged after "*** FATAL AOF MANIFEST FILE ERROR ***".
func (e *ParseError) Reason() string { return strings.TrimPrefix(e.Err.Error(), "manifest: ") }

// Type is a manifest file type.
type Type byte

// The file types of aof.c (AOF_FILE_TYPE_BASE, _HIST, _INCR).
const (
	TypeBase    Type = 'b'
	TypeHistory Type = 'h'
	TypeIncr    Type = 'i'
)

func (t Type) String() string {
	switch t {
	case TypeBase:
		return "base"
	case TypeHistory:
		return "history"
	case TypeIncr:
		return "incr"
	}
	return "type(" + strconv.Quote(string(rune(t))) + ")"
}

// NoOffset is the value of Entry.StartOffset and EndOffset when absent.
const NoOffset = -1

// KV is a key/value pair of a manifest line that the server does not know.
type KV struct{ Key, Value string }

// Entry is one manifest line (an aofInfo in src/aof.c).
type Entry struct {
	Name string // file name, relative to the AOF directory
	Seq  int64
	Type Type
	// StartOffset and EndOffset are the Redis 8.0+ replication offsets of
	// an incr file (NoOffset when absent). They are not file sizes.
	StartOffset int64
	EndOffset   int64
	// Extra are the line's unknown key/value pairs, in order.
	Extra []KV
	// Line is the line number in the parsed manifest (0 if built in code).
	Line int
}

// Manifest is a parsed manifest: at most one base, history files in any
// order, incr files in increasing sequence.
type Manifest struct {
	Base    *Entry
	History []Entry
	Incr    []Entry
}

// Parse parses a manifest the way the server does (see the package doc).
// A manifest of comments only is valid and empty; a zero-length one is not.
func Parse(data []byte) (*Manifest, error) {
	m := &Manifest{}
	var maxSeq int64
	linenum := 0
	for len(data) > 0 {
		// fgets(buf, MANIFEST_MAX_LINE+1): through '\n', at most 1024 bytes.
		n := bytes.IndexByte(data[:min(len(data), MaxLine)], '\n') + 1
		if n == 0 {
			n = min(len(data), MaxLine)
		}
		buf := data[:n]
		data = data[n:]
		linenum++
		if buf[0] == '#' {
			continue
		}
		// The C code works on NUL-terminated strings: strchr and sdsnew stop
		// at the first NUL.
		if i := bytes.IndexByte(buf, 0); i >= 0 {
			buf = buf[:i]
		}
		if bytes.IndexByte(buf, '\n') < 0 {
			return nil, &ParseError{Line: linenum, Err: ErrLineTooLong}
		}
		line := string(bytes.Trim(buf, " \t\r\n"))
		if line == "" {
			return nil, &ParseError{Line: linenum, Text: line, Err: ErrFormat}
		}
		argv, ok := SplitArgs(line)
		if !ok || len(argv) < 6 || len(argv)%2 != 0 {
			return nil, &ParseError{Line: linenum, Text: line, Err: ErrFormat}
		}
		e := Entry{StartOffset: NoOffset, EndOffset: NoOffset, Line: linenum}
		var haveName bool
		for i := 0; i < len(argv); i += 2 {
			key, val := cString(argv[i]), argv[i+1]
			switch {
			case strings.EqualFold(key, "file"):
				e.Name, haveName = cString(val), true
				if strings.ContainsAny(e.Name, `/\`) {
					return nil, &ParseError{Line: linenum, Text: line, Err: ErrPath}
				}
			case strings.EqualFold(key, "seq"):
				e.Seq = atoll(val)
			case strings.EqualFold(key, "type"):
				e.Type = 0
				if val != "" {
					e.Type = Type(val[0])
				}
			case strings.EqualFold(key, "startoffset"):
				e.StartOffset = atoll(val)
			case strings.EqualFold(key, "endoffset"):
				e.EndOffset = atoll(val)
			default:
				e.Extra = append(e.Extra, KV{argv[i], val})
			}
		}
		if !haveName || e.Seq == 0 || e.Type == 0 {
			return nil, &ParseError{Line: linenum, Text: line, Err: ErrFormat}
		}
		switch e.Type {
		case TypeBase:
			if m.Base != nil {
				return nil, &ParseError{Line: linenum, Text: line, Err: ErrDuplicateBase}
			}
			m.Base = &e
		case TypeHistory:
			m.History = append(m.History, e)
		case TypeIncr:
			if e.Seq <= maxSeq {
				return nil, &ParseError{Line: linenum, Text: line, Err: ErrNonMonotonic}
			}
			maxSeq = e.Seq
			m.Incr = append(m.Incr, e)
		default:
			return nil, &ParseError{Line: linenum, Text: line, Err: ErrUnknownType}
		}
	}
	if linenum == 0 {
		return nil, &ParseError{Err: ErrEmpty}
	}
	return m, nil
}

// cString returns s up to its first NUL, as C string functions see it.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// atoll converts like C atoll (strtoll): leading white space, a sign,
// decimal digits, anything after ignored, saturating on overflow.
func atoll(s string) int64 {
	p := 0
	for p < len(s) && isSpace(s[p]) {
		p++
	}
	neg := false
	if p < len(s) && (s[p] == '+' || s[p] == '-') {
		neg = s[p] == '-'
		p++
	}
	var u uint64
	for ; p < len(s) && s[p] >= '0' && s[p] <= '9'; p++ {
		u = u*10 + uint64(s[p]-'0')
		if u > 1<<63 {
			u = 1 << 63
			for p < len(s) && s[p] >= '0' && s[p] <= '9' {
				p++
			}
			break
		}
	}
	if neg {
		if u >= 1<<63 {
			return math.MinInt64
		}
		return -int64(u)
	}
	if u > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(u)
}

func isSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// SplitArgs splits a line into tokens exactly like the server's sdssplitargs
// (src/sds.c), used for manifest and redis.conf lines. It reports false for
// unbalanced quotes or a closing quote not followed by white space. Like the
// C code it stops at a NUL byte.
func SplitArgs(line string) ([]string, bool) {
	line = cString(line)
	var out []string
	p := 0
	at := func(i int) byte {
		if i < len(line) {
			return line[i]
		}
		return 0
	}
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			return out, true
		}
		var cur []byte
		inq, insq, done := false, false, false
		for !done {
			c := at(p)
			switch {
			case inq:
				switch {
				case c == '\\' && at(p+1) == 'x' && isHex(at(p+2)) && isHex(at(p+3)):
					cur = append(cur, unhex(at(p+2))<<4|unhex(at(p+3)))
					p += 3
				case c == '\\' && at(p+1) != 0:
					p++
					switch e := line[p]; e {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, e)
					}
				case c == '"':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					cur = append(cur, c)
				}
			case insq:
				switch {
				case c == '\\' && at(p+1) == '\'':
					p++
					cur = append(cur, '\'')
				case c == '\'':
					if n := at(p + 1); n != 0 && !isSpace(n) {
						return nil, false
					}
					done = true
				case c == 0:
					return nil, false
				default:
					cur = append(cur, c)
				}
			default:
				switch c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if p < len(line) {
				p++
			}
		}
		out = append(out, string(cur))
	}
}

// Validate reports whether the server would load m back after Format:
// names must be plain file names (no '/', '\\' or NUL, not starting with a
// single quote, which the server's writer would not quote), sequence numbers
// non-zero, types right for their list, at most one base, incr sequence
// numbers strictly increasing.
func (m *Manifest) Validate() error {
	check := func(e *Entry, want Type) error {
		switch {
		case e.Type != want:
			return errors.New("manifest: entry " + strconv.Quote(e.Name) + " has type " + e.Type.String() + " in the " + want.String() + " list")
		case strings.ContainsAny(e.Name, "/\\\x00"):
			return errors.New("manifest: file name " + strconv.Quote(e.Name) + " is not a plain file name")
		case strings.HasPrefix(e.Name, "'"):
			return errors.New("manifest: file name " + strconv.Quote(e.Name) + " starts with a single quote, which the server would misread")
		case e.Seq == 0:
			return errors.New("manifest: entry " + strconv.Quote(e.Name) + " has sequence number 0")
		}
		for _, kv := range e.Extra {
			if isKnownKey(cString(kv.Key)) {
				return errors.New("manifest: entry " + strconv.Quote(e.Name) + " has an invalid extra key " + strconv.Quote(kv.Key))
			}
		}
		return nil
	}
	if m.Base != nil {
		if err := check(m.Base, TypeBase); err != nil {
			return err
		}
	}
	for i := range m.History {
		if err := check(&m.History[i], TypeHistory); err != nil {
			return err
		}
	}
	var maxSeq int64
	for i := range m.Incr {
		if err := check(&m.Incr[i], TypeIncr); err != nil {
			return err
		}
		if m.Incr[i].Seq <= maxSeq {
			return errors.New("manifest: incr sequence numbers must increase (" + strconv.FormatInt(m.Incr[i].Seq, 10) + " after " + strconv.FormatInt(maxSeq, 10) + ")")
		}
		maxSeq = m.Incr[i].Seq
	}
	return nil
}

func isKnownKey(k string) bool {
	for _, s := range []string{"file", "seq", "type", "startoffset", "endoffset"} {
		if strings.EqualFold(k, s) {
			return true
		}
	}
	return false
}

// Format returns the manifest text as the server writes it: the base line,
// then history lines, then incr lines, each "file <name> seq <n> type <t>",
// then "startoffset <n>" and "endoffset <n>" when set, then the entry's
// unknown pairs. Names are written bare unless they need quoting, then as
// sdscatrepr does. It refuses (see Validate) a manifest the server could not
// read back, and one with a line longer than MaxLine (ErrLineTooLong). An empty manifest formats as zero bytes, which the server
// refuses to load: callers write at least one entry.
func Format(m *Manifest) ([]byte, error) {
	if err := m.Validate(); err != nil {
		return nil, err
	}
	var b []byte
	var long *Entry
	line := func(e *Entry) {
		start := len(b)
		b = append(b, "file "...)
		b = appendToken(b, e.Name)
		b = append(b, " seq "...)
		b = strconv.AppendInt(b, e.Seq, 10)
		b = append(b, " type "...)
		b = append(b, byte(e.Type))
		if e.StartOffset != NoOffset {
			b = append(b, " startoffset "...)
			b = strconv.AppendInt(b, e.StartOffset, 10)
		}
		if e.EndOffset != NoOffset {
			b = append(b, " endoffset "...)
			b = strconv.AppendInt(b, e.EndOffset, 10)
		}
		for _, kv := range e.Extra {
			b = append(b, ' ')
			b = appendToken(b, kv.Key)
			b = append(b, ' ')
			b = appendToken(b, kv.Value)
		}
		b = append(b, '\n')
		if len(b)-start > MaxLine && long == nil {
			long = e
		}
	}
	if m.Base != nil {
		line(m.Base)
	}
	for i := range m.History {
		line(&m.History[i])
	}
	for i := range m.Incr {
		line(&m.Incr[i])
	}
	if long != nil {
		// Quoting can make a line that parsed fit no more.
		return nil, fmt.Errorf("%w: the line of %q would be over %d bytes", ErrLineTooLong, long.Name, MaxLine)
	}
	return b, nil
}

// appendToken writes s bare if the server's sdsneedsrepr says it may, else
// quoted like sdscatrepr. Empty tokens and tokens holding a single quote are
// quoted too: the server would write them bare and then misread them
// (sdssplitargs opens a quoted section at a ' even inside a bare token).
func appendToken(b []byte, s string) []byte {
	if s != "" && !strings.Contains(s, "'") && !needsRepr(s) {
		return append(b, s...)
	}
	return appendRepr(b, s)
}

// needsRepr is sdsneedsrepr (src/sds.c).
func needsRepr(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' || c == '"' || c < 0x20 || c >= 0x7f || c == ' ' {
			return true
		}
	}
	return false
}

// appendRepr is sdscatrepr (src/sds.c).
func appendRepr(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(b, '"')
}
