package aoffile

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strconv"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Kind tells what a record returned by Reader.Next is.
type Kind uint8

const (
	// KindCommand is a RESP command: Command.Args holds argv.
	KindCommand Kind = iota
	// KindAnnotation is a '#' line: Command.Text holds it.
	KindAnnotation
)

func (k Kind) String() string {
	if k == KindAnnotation {
		return "annotation"
	}
	return "command"
}

// NoTimestamp is the value of Command.Timestamp before any "#TS:" annotation.
const NoTimestamp = -1

// A Command is one record of the RESP part of an AOF: a command or an
// annotation line.
//
// The byte slices alias the Reader's buffer: they are valid only until the
// next call to Next. Copy what must outlive it.
type Command struct {
	Kind Kind
	// Args is argv of a KindCommand record: Args[0] is the command name as
	// written (any case). Each slice's capacity is limited to its length.
	Args [][]byte
	// Text is a KindAnnotation line without the leading '#' and without its
	// "\r\n" (or "\n") terminator, e.g. "TS:1795236325".
	Text []byte
	// Offset is the absolute offset of the record's first byte ('*' or '#').
	Offset int64
	// Size is the record's length in bytes.
	Size int64
	// Line is the check-aof line number of the record's "*" line (for an
	// annotation: the number the next protocol line will get).
	Line int64
	// Timestamp is the value of the most recent valid "#TS:" annotation at
	// or before this record (unix seconds), or NoTimestamp.
	Timestamp int64

	isTS bool
}

// Name returns Args[0], or nil for an annotation.
func (c *Command) Name() []byte {
	if len(c.Args) == 0 {
		return nil
	}
	return c.Args[0]
}

// TS reports whether the record is a well-formed "#TS:<unix seconds>\r\n"
// annotation, and its value. An annotation whose Text starts with "TS:" but
// for which TS reports false is malformed: redis-check-aof
// --truncate-to-timestamp aborts on it ("Invalid timestamp annotation").
func (c *Command) TS() (int64, bool) {
	if c.Kind != KindAnnotation || !c.isTS {
		return 0, false
	}
	return c.Timestamp, true
}

// Options tune a Reader. The zero value reads one standalone AOF file.
type Options struct {
	// Size is the total input size in bytes if known (0 = unknown). It lets
	// the reader report an impossible argument length without reading the
	// rest of the input, and is passed on to the RDB preamble reader.
	Size int64
	// Line is the check-aof line number of the first line (0 means 1).
	// redis-check-aof numbers the files of a multi-part AOF continuously:
	// to get its numbers for an INCR file, pass the OKUpTo().Line the
	// previous file ended with.
	Line int64
	// NoPreamble makes a file starting with "REDIS" or "VALKEY" read as
	// RESP (and fail) instead of as an RDB preamble. redis-check-aof looks
	// for a preamble only in the base file of a multi-part AOF and in
	// old-style single files; the server looks in every file.
	NoPreamble bool
	// SkipAnnotations makes Next return commands only. Timestamps are still
	// tracked in Command.Timestamp.
	SkipAnnotations bool
	// MaxCommandSize caps the size in bytes of one command (0 = no cap).
	// A larger command is a *SyntaxError with ErrTooLarge.
	MaxCommandSize int64
	// RDB are the options for the preamble's rdbfile.Reader; nil means
	// defaults with Size set from Size above.
	RDB *rdbfile.Options
}

// Reader reads the records of an AOF file. Create one with NewReader.
type Reader struct {
	src    io.Reader
	srcErr error // first error (io.EOF included) returned by src
	buf    []byte
	r, w   int   // buf[r:w] is unread
	base   int64 // absolute offset of buf[0]
	opts   Options

	line    int64 // check-aof line counter
	ts      int64 // latest #TS value
	inMulti bool
	ok      int64 // ok_up_to offset
	err     error // sticky: io.EOF, *SyntaxError, I/O error, rdb error

	started bool
	rdb     *rdbfile.Reader
	rdbDone bool

	cmd    Command
	args   [][]byte
	bounds []int // start, end pairs relative to r during a command
}

const (
	startBuf = 8 << 10
	initBuf  = 128 << 10
	shrinkAt = 4 << 20
	// maxLongLine is the longest "*" or "$" line redis-check-aof accepts:
	// it reads them with fgets into a 128-byte buffer.
	maxLongLine = 127
	// maxAnnotation is how much of a '#' line is consumed at once: the
	// server and the checker read it with fgets into a 1024-byte buffer
	// (AOF_ANNOTATION_LINE_MAX_LEN); the rest is parsed as a new line.
	maxAnnotation = 1023
)

// NewReader returns a Reader reading from r. opts may be nil.
func NewReader(r io.Reader, opts *Options) *Reader {
	rd := &Reader{src: r, ts: NoTimestamp}
	if opts != nil {
		rd.opts = *opts
	}
	rd.line = rd.opts.Line
	if rd.line <= 0 {
		rd.line = 1
	}
	n := startBuf
	if rd.opts.Size > 0 {
		n = int(min(rd.opts.Size+64, initBuf))
	}
	rd.buf = make([]byte, n)
	return rd
}

// Offset returns the absolute offset of the next unread byte.
func (r *Reader) Offset() int64 { return r.base + int64(r.r) }

// OKUpTo returns redis-check-aof's ok_up_to and ok_up_to_line: the offset up
// to which the input read so far is good (the end of the last complete record
// outside a transaction, or the offset of the MULTI of an open one), and the
// current line counter. After Next returned io.EOF it is the file size and
// the final line count, as the checker prints them for a valid file; after a
// *SyntaxError it equals that error's OKUpTo.
func (r *Reader) OKUpTo() Position {
	if !r.inMulti && r.err == nil {
		return Position{Offset: r.Offset(), Line: r.line}
	}
	return Position{Offset: r.ok, Line: r.line}
}

// InMulti reports whether the last command returned was inside an unfinished
// MULTI ... EXEC block.
func (r *Reader) InMulti() bool { return r.inMulti }

// Preamble returns the reader of the RDB part if the input starts with
// "REDIS" or "VALKEY" (and Options.NoPreamble is not set), or nil. The caller
// may walk it with its Next, e.g. to verify every key; Reader.Next skips
// whatever is left of it. The RDB reader's offsets are absolute file offsets.
func (r *Reader) Preamble() (*rdbfile.Reader, error) {
	if !r.started {
		if err := r.start(); err != nil {
			return nil, err
		}
	}
	return r.rdb, nil
}

// start peeks at the first bytes to detect an RDB preamble.
func (r *Reader) start() error {
	r.started = true
	if r.opts.NoPreamble {
		return nil
	}
	r.fill(6)
	if r.srcErr != nil && r.srcErr != io.EOF && r.w-r.r < 6 {
		r.err = r.srcErr
		return r.err
	}
	if Detect(r.buf[r.r:r.w]) != FormatRDB {
		return nil
	}
	ropts := rdbfile.Options{Size: r.opts.Size}
	if r.opts.RDB != nil {
		ropts = *r.opts.RDB
		if ropts.Size == 0 {
			ropts.Size = r.opts.Size
		}
	}
	pre := &prefixReader{pre: append([]byte(nil), r.buf[r.r:r.w]...), src: r.src, err: r.srcErr}
	r.rdb = rdbfile.NewReader(pre, &ropts)
	r.src, r.srcErr = nil, nil
	r.base += int64(r.r)
	r.r, r.w = 0, 0
	return nil
}

// skipPreamble reads the rest of the RDB part and switches to its tail.
func (r *Reader) skipPreamble() error {
	for {
		_, err := r.rdb.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	r.rdbDone = true
	r.base = r.rdb.Offset()
	r.src = r.rdb.Tail()
	r.ok = r.base
	return nil
}

// prefixReader returns pre, then reads src (or returns err if src already
// failed).
type prefixReader struct {
	pre []byte
	src io.Reader
	err error
}

func (p *prefixReader) Read(b []byte) (int, error) {
	if len(p.pre) > 0 {
		n := copy(b, p.pre)
		p.pre = p.pre[n:]
		return n, nil
	}
	if p.err != nil {
		return 0, p.err
	}
	return p.src.Read(b)
}

// Next returns the next record. The returned *Command is reused and, with
// the slices it holds, valid only until the following call to Next.
//
// At the end of the input Next returns io.EOF, if the last record was
// complete and no MULTI is open. Bad input gives a *SyntaxError, an RDB
// preamble that fails to read gives the rdbfile error, and errors are sticky.
func (r *Reader) Next() (*Command, error) {
	if r.err != nil {
		return nil, r.err
	}
	if !r.started {
		if err := r.start(); err != nil {
			return nil, err
		}
	}
	if r.rdb != nil && !r.rdbDone {
		if err := r.skipPreamble(); err != nil {
			r.err = err
			return nil, err
		}
	}
	r.shrink()
	for {
		if !r.inMulti {
			r.ok = r.Offset()
		}
		if r.r >= r.w && !r.fill(1) {
			if r.srcErr != io.EOF {
				r.err = r.srcErr
				return nil, r.err
			}
			if r.inMulti {
				return nil, r.fail(ErrTruncated, "transaction", r.Offset(), r.line,
					"Reached EOF before reading EXEC for MULTI")
			}
			r.err = io.EOF
			return nil, io.EOF
		}
		switch r.buf[r.r] {
		case '*':
			if r.fastCommand() {
				return &r.cmd, nil
			}
			return r.readCommand()
		case '#':
			c := r.readAnnotation()
			if r.opts.SkipAnnotations {
				continue
			}
			return c, nil
		default:
			return nil, r.fail(ErrFormat, "record", r.Offset(), r.line,
				"a record must start with '*' or '#', got "+quoteByte(r.buf[r.r]))
		}
	}
}

// fail records and returns a sticky *SyntaxError.
func (r *Reader) fail(cause error, field string, off, line int64, detail string) error {
	r.line = line
	e := &SyntaxError{Offset: off, Line: line, Field: field, Err: cause, Detail: detail,
		OKUpTo: Position{Offset: r.ok, Line: line}}
	r.err = e
	return e
}

// short reports running out of input at off: a truncation, or the I/O error
// that stopped reading.
func (r *Reader) short(field string, off, line int64, detail string) error {
	if r.srcErr != nil && r.srcErr != io.EOF {
		r.err = r.srcErr
		return r.err
	}
	return r.fail(ErrTruncated, field, off, line, detail)
}

// fill makes at least n unread bytes available in buf[r:w]. It returns false
// if the input ends (or fails) first; what was read stays available. The
// buffer grows only when it is full of unread data, so its size is bounded by
// twice the data actually present, whatever n is.
func (r *Reader) fill(n int64) bool {
	zero := 0
	for int64(r.w-r.r) < n {
		if r.srcErr != nil || r.src == nil {
			if r.srcErr == nil {
				r.srcErr = io.EOF
			}
			return false
		}
		if r.w == len(r.buf) && (r.r == 0 || len(r.buf) < initBuf) {
			// Full: grow (a small start buffer grows to initBuf as data
			// keeps coming; beyond that only when a single command needs it).
			nb := make([]byte, 2*len(r.buf))
			copy(nb, r.buf[r.r:r.w])
			r.base += int64(r.r)
			r.w -= r.r
			r.r = 0
			r.buf = nb
		} else if r.r > 0 && (r.w == len(r.buf) || int64(r.r)+n > int64(len(r.buf))) {
			copy(r.buf, r.buf[r.r:r.w])
			r.base += int64(r.r)
			r.w -= r.r
			r.r = 0
		}
		m, err := r.src.Read(r.buf[r.w:])
		if m < 0 || m > len(r.buf)-r.w {
			r.srcErr = errors.New("aoffile: invalid Read count from the underlying reader")
			return false
		}
		r.w += m
		if err != nil {
			r.srcErr = err
		} else if m == 0 {
			if zero++; zero >= 100 {
				r.srcErr = io.ErrNoProgress
			}
		}
	}
	return true
}

// shrink drops an oversized buffer once a big command has been consumed.
func (r *Reader) shrink() {
	if len(r.buf) > shrinkAt && r.w-r.r < initBuf {
		nb := make([]byte, initBuf)
		copy(nb, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.w -= r.r
		r.r = 0
		r.buf = nb
	}
}

// fastCommand parses a well-formed command that is entirely in the buffer,
// with counts and lengths below 10^9. It changes nothing and returns false
// for anything else (including every error), which readCommand then handles.
func (r *Reader) fastCommand() bool {
	b := r.buf[r.r:r.w]
	i := 1
	argc := 0
	for ; i < len(b) && i < 10; i++ {
		c := b[i] - '0'
		if c > 9 {
			break
		}
		argc = argc*10 + int(c)
	}
	if i == 1 || argc < 1 || i+1 >= len(b) || b[i] != '\r' || b[i+1] != '\n' {
		return false
	}
	i += 2
	args := r.args[:0]
	multi, exec := false, false
	for k := 0; k < argc; k++ {
		if i+4 > len(b) || b[i] != '$' {
			return false
		}
		i++
		j, n := i, 0
		for ; j < len(b) && j-i < 9; j++ {
			c := b[j] - '0'
			if c > 9 {
				break
			}
			n = n*10 + int(c)
		}
		if j == i || j+1 >= len(b) || b[j] != '\r' || b[j+1] != '\n' {
			return false
		}
		i = j + 2
		if n+2 > len(b)-i || b[i+n] != '\r' || b[i+n+1] != '\n' {
			return false
		}
		arg := b[i : i+n : i+n]
		if k == 0 {
			if n == 5 && asciiEqualFold(arg, "multi") {
				if r.inMulti {
					return false
				}
				multi = true
			} else if n == 4 && asciiEqualFold(arg, "exec") {
				if !r.inMulti {
					return false
				}
				exec = true
			}
		}
		args = append(args, arg)
		i += n + 2
	}
	if lim := r.opts.MaxCommandSize; lim > 0 && int64(i) > lim {
		return false
	}
	if multi {
		r.inMulti = true
	} else if exec {
		r.inMulti = false
	}
	r.args = args
	start := r.base + int64(r.r)
	r.cmd = Command{Kind: KindCommand, Args: args, Offset: start, Size: int64(i), Line: r.line, Timestamp: r.ts}
	r.line += 1 + 2*int64(argc)
	r.r += i
	return true
}

// readCommand reads one RESP command starting at buf[r]. Positions inside
// the command are kept relative to r, which fill may move.
func (r *Reader) readCommand() (*Command, error) {
	start := r.Offset()
	line := r.line
	cmdLine := line

	argc, q, err := r.readLong(0, '*', start, line, "argument count")
	if err != nil {
		return nil, err
	}
	line++
	if argc < 1 {
		return nil, r.fail(ErrFormat, "argument count", start, line-1,
			"invalid argument count "+strconv.FormatInt(argc, 10)+" (must be at least 1)")
	}
	bounds := r.bounds[:0]
	multi, exec := false, false
	for i := int64(0); i < argc; i++ {
		lenOff := start + int64(q)
		n, q2, err := r.readLong(q, '$', lenOff, line, "argument length")
		if err != nil {
			return nil, err
		}
		line++
		if n < 0 || n > math.MaxInt64-2 {
			return nil, r.fail(ErrFormat, "argument length", lenOff, line,
				"Expected to read string of "+strconv.FormatInt(n, 10)+" bytes, which is not in the suitable range")
		}
		q = q2
		dataOff := start + int64(q)
		if lim := r.opts.MaxCommandSize; lim > 0 && (n > lim || int64(q)+n+2 > lim) {
			return nil, r.fail(ErrTooLarge, "argument", dataOff, line,
				"argument of "+strconv.FormatInt(n, 10)+" bytes exceeds the limit of "+strconv.FormatInt(lim, 10))
		}
		need := n + 2
		if avail := int64(r.w - r.r - q); avail < need {
			target := int64(math.MaxInt64)
			if need <= math.MaxInt64-int64(q) {
				target = int64(q) + need
			}
			if size := r.opts.Size; size > 0 && dataOff+need > size {
				// It cannot be complete: read what can exist, not more.
				can := max(size-dataOff, 0)
				r.fill(int64(q) + can)
				got := min(int64(r.w-r.r-q), can)
				return nil, r.short("argument", dataOff, line,
					"Expected to read "+strconv.FormatInt(need, 10)+" bytes, got "+strconv.FormatInt(got, 10)+" bytes")
			}
			if !r.fill(target) {
				got := int64(r.w - r.r - q)
				return nil, r.short("argument", dataOff, line,
					"Expected to read "+strconv.FormatInt(need, 10)+" bytes, got "+strconv.FormatInt(got, 10)+" bytes")
			}
		}
		b := r.buf[r.r+q:]
		if b[n] != '\r' || b[n+1] != '\n' {
			return nil, r.fail(ErrFormat, "argument", dataOff, line,
				"Expected \\r\\n, got: "+hex2(b[n], b[n+1]))
		}
		line++
		bounds = append(bounds, q, q+int(n))
		if i == 0 {
			name := b[:n]
			if n == 5 && asciiEqualFold(name, "multi") {
				if r.inMulti {
					return nil, r.fail(ErrFormat, "argument", dataOff, line, "Unexpected MULTI in AOF")
				}
				multi = true
			} else if n == 4 && asciiEqualFold(name, "exec") {
				if !r.inMulti {
					return nil, r.fail(ErrFormat, "argument", dataOff, line, "Unexpected EXEC in AOF")
				}
				exec = true
			}
		}
		q += int(need)
	}
	r.bounds = bounds
	if multi {
		r.inMulti = true
	} else if exec {
		r.inMulti = false
	}
	r.line = line
	args := r.args[:0]
	base := r.buf[r.r:]
	for j := 0; j < len(bounds); j += 2 {
		args = append(args, base[bounds[j]:bounds[j+1]:bounds[j+1]])
	}
	r.args = args
	r.r += q
	r.cmd = Command{Kind: KindCommand, Args: args, Offset: start, Size: int64(q), Line: cmdLine, Timestamp: r.ts}
	return &r.cmd, nil
}

// readLong reads a "<prefix><integer>\r\n" line at relative position q, the
// way redis-check-aof's readLong does (fgets into 128 bytes, strtol, then
// exactly "\r\n"). off is the line's absolute offset, line its number.
func (r *Reader) readLong(q int, prefix byte, off, line int64, field string) (int64, int, error) {
	// Fast path: prefix, 1..18 digits, CRLF, all in the buffer.
	if b := r.buf[r.r+q : r.w]; len(b) >= 4 && b[0] == prefix {
		var v int64
		i := 1
		for ; i < len(b) && i <= 18; i++ {
			c := b[i]
			if c < '0' || c > '9' {
				break
			}
			v = v*10 + int64(c-'0')
		}
		if i > 1 && i+1 < len(b) && b[i] == '\r' && b[i+1] == '\n' {
			return v, q + i + 2, nil
		}
	}
	return r.readLongSlow(q, prefix, off, line, field)
}

func (r *Reader) readLongSlow(q int, prefix byte, off, line int64, field string) (int64, int, error) {
	var ln []byte
	eof := false
	for scanned := 0; ; {
		b := r.buf[r.r+q : r.w]
		lim := min(len(b), maxLongLine)
		if i := bytes.IndexByte(b[scanned:lim], '\n'); i >= 0 {
			ln = b[:scanned+i+1]
			break
		}
		scanned = lim
		if len(b) >= maxLongLine {
			ln = b[:maxLongLine]
			break
		}
		if !r.fill(int64(q + len(b) + 1)) {
			ln = r.buf[r.r+q : r.w]
			eof = true
			break
		}
	}
	if len(ln) == 0 {
		return 0, 0, r.short(field, off, line, "unexpected end of file")
	}
	if ln[0] != prefix {
		return 0, 0, r.fail(ErrFormat, field, off, line,
			"Expected prefix '"+string(prefix)+"', got: "+quoteByte(ln[0]))
	}
	v, end := strtol(ln, 1)
	if end+1 < len(ln) && ln[end] == '\r' && ln[end+1] == '\n' {
		return v, q + len(ln), nil
	}
	var c0, c1 byte
	if end < len(ln) {
		c0 = ln[end]
	}
	if end+1 < len(ln) {
		c1 = ln[end+1]
	}
	detail := "Expected \\r\\n, got: " + hex2(c0, c1)
	if eof && validLongPrefix(ln[1:]) {
		return 0, 0, r.short(field, off, line, detail)
	}
	return 0, 0, r.fail(ErrFormat, field, off, line, detail)
}

// strtol parses an integer in b starting at i the way C strtol does (leading
// white space, optional sign, decimal digits, saturating on overflow). It
// returns the value and the index after the digits, or (0, i) when there are
// no digits.
func strtol(b []byte, i int) (int64, int) {
	p := i
	for p < len(b) && isSpace(b[p]) {
		p++
	}
	neg := false
	if p < len(b) && (b[p] == '+' || b[p] == '-') {
		neg = b[p] == '-'
		p++
	}
	d := p
	var u uint64
	over := false
	for p < len(b) && b[p] >= '0' && b[p] <= '9' {
		if !over {
			u = u*10 + uint64(b[p]-'0')
			if u > 1<<63 {
				over = true
			}
		}
		p++
	}
	if p == d {
		return 0, i
	}
	switch {
	case neg && (over || u >= 1<<63):
		return math.MinInt64, p
	case neg:
		return -int64(u), p
	case over || u > math.MaxInt64:
		return math.MaxInt64, p
	}
	return int64(u), p
}

// validLongPrefix reports whether b (a "*" or "$" line without its prefix,
// cut by the end of the input) could still become a valid line.
func validLongPrefix(b []byte) bool {
	p := 0
	for p < len(b) && isSpace(b[p]) && b[p] != '\r' {
		p++
	}
	if p < len(b) && (b[p] == '+' || b[p] == '-') {
		p++
	}
	for p < len(b) && b[p] >= '0' && b[p] <= '9' {
		p++
	}
	if p < len(b) && b[p] == '\r' {
		p++
	}
	return p == len(b)
}

func isSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// readAnnotation reads a '#' line the way fgets(buf, 1024) does: through the
// first '\n', at most 1023 bytes, or to the end of the input (a cut
// annotation at the very end is not an error for the server or the checker).
func (r *Reader) readAnnotation() *Command {
	start := r.Offset()
	n := 0
	for scanned := 0; ; {
		b := r.buf[r.r:r.w]
		lim := min(len(b), maxAnnotation)
		if i := bytes.IndexByte(b[scanned:lim], '\n'); i >= 0 {
			n = scanned + i + 1
			break
		}
		scanned = lim
		if len(b) >= maxAnnotation {
			n = maxAnnotation
			break
		}
		if !r.fill(int64(len(b) + 1)) {
			n = r.w - r.r
			break
		}
	}
	raw := r.buf[r.r : r.r+n : r.r+n]
	r.r += n
	text := raw[1:]
	crlf := false
	if len(text) > 0 && text[len(text)-1] == '\n' {
		text = text[:len(text)-1]
		if len(text) > 0 && text[len(text)-1] == '\r' {
			text = text[:len(text)-1]
			crlf = true
		}
	}
	isTS := false
	if crlf {
		if v, ok := ParseTimestamp(text); ok {
			r.ts, isTS = v, true
		}
	}
	r.cmd = Command{Kind: KindAnnotation, Text: text, Offset: start, Size: int64(n), Line: r.line,
		Timestamp: r.ts, isTS: isTS}
	return &r.cmd
}

// ParseTimestamp parses the text of a timestamp annotation ("TS:" followed by
// a decimal number of unix seconds, as written by the server's
// genAofTimestampAnnotationIfNeeded) the way redis-check-aof does (strtol; the
// number must end the text). text is the line without '#' and without
// "\r\n", as in Command.Text.
func ParseTimestamp(text []byte) (int64, bool) {
	if len(text) < 4 || string(text[:3]) != "TS:" {
		return 0, false
	}
	v, end := strtol(text, 3)
	if end == 3 || end != len(text) || v == math.MaxInt64 || v == math.MinInt64 {
		return 0, false
	}
	return v, true
}

func asciiEqualFold(b []byte, lower string) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

func hex2(a, b byte) string {
	return string([]byte{hexDigits[a>>4], hexDigits[a&15], hexDigits[b>>4], hexDigits[b&15]})
}

func quoteByte(c byte) string {
	if c >= 0x20 && c < 0x7f {
		return "'" + string(rune(c)) + "'"
	}
	return "0x" + hex2(0, c)[2:]
}
