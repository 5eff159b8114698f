// Package rdbfile reads Redis and Valkey RDB snapshot files.
//
// An RDB file is a 9-byte magic ("REDIS" + 4 digits, or "VALKEY" + 3 digits
// from Valkey 9), a stream of one-byte-tagged records (opcodes >= 0xF2 and
// key/value records whose tag is an object type id), the EOF opcode 0xFF and,
// from RDB 5 on, an 8-byte little-endian CRC-64/Jones of everything before
// it. The layouts follow Redis src/rdb.h and src/rdb.c (rdbSaveRio and
// rdbSaveObject write them, rdbLoadRioWithLoadingCtx and rdbLoadObject read
// them) and Valkey's src/rdb.h and src/rdb.c, functions of the same names.
//
// # Reading
//
// Reader is a streaming pull reader in the style of archive/tar:
//
//	r := rdbfile.NewReader(f, nil)
//	h, err := r.Header()       // magic, version, dialect, leading AUX fields
//	for {
//		e, err := r.Next()     // one record: key/value, AUX, FUNCTION2, ...
//		if err == io.EOF {
//			break          // EOF opcode seen and the checksum verified
//		}
//		if err != nil {
//			return err     // *CorruptError with the byte offset
//		}
//		v, err := e.Value()    // optional: decode the value
//	}
//
// Values are decoded only when asked for (Entry.Value, Entry.Walk); Next
// skips an unread value, still validating it, without holding it in memory
// beyond its largest single string. Memory use is bounded by the largest
// single string in the file, not by the file size. A length read from the
// file never causes an allocation larger than what remains of the input.
//
// # Errors
//
// Every problem with the input is a *CorruptError carrying the absolute byte
// offset, the field being read and, inside a value, the key. Problems that
// leave the reader able to continue (a corrupt listpack inside a string, a
// duplicate set member, an empty aggregate) are also recorded as Findings so
// a checker can report all of them; problems that lose the record framing
// (truncation, an unknown type byte, a bad length) are sticky: Next returns
// the same error from then on.
//
// # End of file
//
// Next returns io.EOF only after the EOF opcode and, for RDB 5+, after the
// checksum trailer was read and matched (or found to be all zeros, which
// means the writer had rdbchecksum off: see Reader.Checksum). A file cut
// anywhere before that yields a *CorruptError wrapping io.ErrUnexpectedEOF.
package rdbfile

import (
	"encoding/binary"
	"errors"
	"io"
	"math"
	"strconv"
)

// errTruncOrBad is the cause when a length runs past the known end of the
// input: a truncated file and a corrupt length look the same.
var errTruncOrBad = errors.Join(io.ErrUnexpectedEOF, ErrBadLength)

// Options tune a Reader. The zero value is the strict default.
type Options struct {
	// Size is the total input size in bytes if known (0 = unknown). It lets
	// the reader reject impossible lengths before reading.
	Size int64
	// MaxValueSize caps the size of any single string (bytes); 0 = no cap
	// beyond the input size.
	MaxValueSize int64
	// SkipChecksum disables the CRC-64 comparison at the end.
	SkipChecksum bool
	// MaxFindings caps how many findings are kept (default 1000); the count
	// of all findings is always kept.
	MaxFindings int
}

// Header is the start of an RDB file.
type Header struct {
	Magic   string  // "REDIS" or "VALKEY"
	Version int     // RDB version number (1..15 Redis, 80+ Valkey)
	Dialect Dialect // numbering the file follows
	Aux     []Aux   // AUX fields that precede the first other record
}

// Aux is one AUX field (opcode 0xFA), name and value as stored.
type Aux struct {
	Name   []byte
	Value  []byte
	Offset int64 // offset of the 0xFA byte
}

// AuxValue returns the value of the first AUX field named name.
func (h *Header) AuxValue(name string) (string, bool) {
	for _, a := range h.Aux {
		if string(a.Name) == name {
			return string(a.Value), true
		}
	}
	return "", false
}

// ChecksumStatus tells how the CRC-64 trailer came out.
type ChecksumStatus struct {
	Present  bool   // the file has a trailer (RDB 5+)
	Disabled bool   // trailer is all zeros: written with rdbchecksum no, not verified
	Verified bool   // trailer matched the content
	Skipped  bool   // Options.SkipChecksum was set
	Stored   uint64 // value in the trailer
	Computed uint64 // CRC-64/Jones of magic..EOF opcode
	Offset   int64  // offset of the trailer
}

// Severity grades a Finding.
type Severity uint8

const (
	// SevError: a real server refuses the file or its checker reports it.
	SevError Severity = iota
	// SevWarning: the file loads but something is odd or version-dependent.
	SevWarning
)

func (s Severity) String() string {
	if s == SevWarning {
		return "warning"
	}
	return "error"
}

// A Finding is one problem the reader noticed.
type Finding struct {
	Severity Severity
	Err      *CorruptError
}

// Reader reads an RDB file record by record. Create one with NewReader.
type Reader struct {
	in   input
	opts Options
	hdr  Header
	// state
	headerDone bool
	err        error // sticky
	done       bool  // EOF opcode and trailer consumed
	db         int
	cur        *Entry // entry whose value is not yet consumed
	entry      Entry  // reused
	sum        ChecksumStatus
	findings   []Finding
	nFindings  int
	nErrors    int
	templates  map[uint64][][]byte
	dup        dedup
	blobHook   func([]byte) // tests: sees every blob read
	walker     walker
	types      [256]typeInfo // resolved per (dialect, version) once the header is read
	typeOK     [256]bool
	// scratch
	strBuf []byte // LZF output / int text
	numBuf [24]byte
	// LZF strings read so far: compressed and uncompressed bytes.
	lzfIn, lzfOut int64
	// Checker state. frame mirrors walker.frame for readStringEx;
	// ownStreams gives every skipped stream a Stream of its own (the
	// Checker hands it out after the Reader moved on); hold keeps findings
	// in held (at most MaxFindings, counted in heldAll and heldErrs) until
	// the Checker commits them in file order.
	frame, ownStreams, hold bool
	// spare, when set, is a Stream the next skipped stream is read into,
	// instead of a new one (ownStreams): a Checker's, handed back to it.
	spare *Stream
	// recycled, when set, is a Stream the caller handed back
	// (RecycleStream): the next stream read by Value, Walk or WalkPacked
	// is read into it.
	recycled          *Stream
	held              []Finding
	heldAll, heldErrs int
	// lzfKeep: the value's LZF strings are kept in lzfq for a Writer
	// (Writer.ReuseLZF). A framed value (frame) keeps none: its strings
	// are not decompressed while framing.
	lzfKeep bool
	lzfq    lzfQueue
	// lzfSaw: an LZF string other than a quicklist node was read, so the
	// file's writer compressed strings (rdbcompression yes): from then
	// on, a plain string longer than 20 bytes is one its LZF did not
	// shrink, kept in lzfq too (lzfreuse.go). Set only with lzfKeep, and
	// cleared with it while Writer.CopyEntry copies a record.
	lzfSaw bool
}

// NewReader returns a Reader reading from r. opts may be nil.
func NewReader(r io.Reader, opts *Options) *Reader {
	rd := &Reader{}
	if opts != nil {
		rd.opts = *opts
	}
	if rd.opts.MaxFindings == 0 {
		rd.opts.MaxFindings = 1000
	}
	size := int64(-1)
	if rd.opts.Size > 0 {
		size = rd.opts.Size
	}
	rd.in.init(r, size)
	rd.db = 0
	return rd
}

// Size returns the stream's length in bytes as given by Options.Size, or 0
// when it is unknown.
func (r *Reader) Size() int64 { return max(r.opts.Size, 0) }

// Offset returns the absolute offset of the next unread byte.
func (r *Reader) Offset() int64 { return r.in.offset() }

// RecycleStream hands back st, a Stream that Value, Walk or WalkPacked of
// this Reader returned (Value.Stream, Entry.StreamMeta) and that the caller
// no longer uses. The next stream they read is read into it, keeping the
// capacity of its slices (groups, consumers, PELs, names), instead of into
// a new one: a converter that is done with each stream's metadata at the
// next key allocates nothing per stream. st and everything it holds must
// not be used after the call. A nil st is ignored.
func (r *Reader) RecycleStream(st *Stream) {
	// Neither a Checker's nor the one skipped streams are read into.
	if st != nil && st != r.spare && st != &r.walker.stScratch {
		r.recycled = st
	}
}

// Findings returns the findings kept so far (at most Options.MaxFindings).
// The error that ends reading (returned by Next) is not among them.
func (r *Reader) Findings() []Finding { return r.findings }

// FindingCount returns how many findings there were, and how many were errors.
func (r *Reader) FindingCount() (all, errs int) { return r.nFindings, r.nErrors }

// Checksum returns the trailer status; meaningful after Next returned io.EOF.
func (r *Reader) Checksum() ChecksumStatus { return r.sum }

// Tail returns a reader of every byte after the checksum trailer. Use it
// after Next returned io.EOF, e.g. for the RESP tail of an RDB-preamble AOF.
// Read Offset (the end of the RDB part) before calling Tail: Tail hands over
// the buffered bytes, which moves Offset past them.
func (r *Reader) Tail() io.Reader { return r.in.tail() }

func (r *Reader) addFinding(sev Severity, e *CorruptError) {
	if r.hold {
		r.heldAll++
		if sev == SevError {
			r.heldErrs++
		}
		if len(r.held) < r.opts.MaxFindings {
			ce := *e
			ce.Key = append([]byte(nil), e.Key...)
			r.held = append(r.held, Finding{Severity: sev, Err: &ce})
		}
		return
	}
	r.nFindings++
	if sev == SevError {
		r.nErrors++
	}
	if len(r.findings) < r.opts.MaxFindings {
		ce := *e
		ce.Key = append([]byte(nil), e.Key...)
		r.findings = append(r.findings, Finding{Severity: sev, Err: &ce})
	}
}

// corrupt builds a *CorruptError at off.
func (r *Reader) corrupt(off int64, field string, cause error, detail string) *CorruptError {
	e := &CorruptError{Offset: off, Field: field, Err: cause, Detail: detail}
	if r.cur != nil {
		e.Key = r.cur.Key
		e.Type = r.cur.TypeName
	}
	return e
}

// ioErr converts an input error at off into a *CorruptError (truncation) or
// passes a real I/O error through.
func (r *Reader) ioErr(off int64, field string, err error) error {
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		return r.corrupt(off, field, io.ErrUnexpectedEOF, "unexpected end of file")
	}
	return err
}

// Header reads and returns the file header: magic, version and the AUX
// fields that come before any other record. It is called by Next if needed.
func (r *Reader) Header() (*Header, error) {
	if r.headerDone {
		return &r.hdr, r.err
	}
	r.headerDone = true
	if err := r.readMagic(); err != nil {
		r.err = err
		return &r.hdr, err
	}
	for t := 0; t < 256; t++ {
		r.types[t], r.typeOK[t] = lookupType(r.hdr.Dialect, r.hdr.Version, byte(t))
	}
	// Leading AUX fields.
	for {
		b, err := r.in.peek(1)
		if err != nil || len(b) == 0 || Opcode(b[0]) != OpAux {
			break
		}
		off := r.in.offset()
		r.in.r++
		name, val, err := r.readAux(off)
		if err != nil {
			r.err = err
			return &r.hdr, err
		}
		r.hdr.Aux = append(r.hdr.Aux, Aux{Name: name, Value: val, Offset: off})
	}
	return &r.hdr, nil
}

func (r *Reader) readMagic() error {
	b, err := r.in.next(9)
	if err != nil {
		if err == io.ErrUnexpectedEOF {
			got, _ := r.in.peek(9)
			if len(got) < 9 && isMagicPrefix(got) {
				return r.corrupt(int64(len(got)), "magic", io.ErrUnexpectedEOF, "unexpected end of file")
			}
			return r.corrupt(0, "magic", ErrBadMagic, "")
		}
		return err
	}
	switch {
	case string(b[:5]) == "REDIS":
		v, ok := atoiDigits(b[5:9])
		if !ok {
			return r.corrupt(5, "version", ErrBadMagic, "version is not 4 decimal digits: "+strconv.Quote(string(b[5:9])))
		}
		r.hdr.Magic, r.hdr.Version, r.hdr.Dialect = "REDIS", v, DialectRedis
		if v < 1 || v > 79 {
			return r.corrupt(5, "version", ErrUnsupportedVersion, "RDB version "+strconv.Itoa(v)+" with the REDIS magic (valid: 1..79)")
		}
	case string(b[:6]) == "VALKEY":
		v, ok := atoiDigits(b[6:9])
		if !ok {
			return r.corrupt(6, "version", ErrBadMagic, "version is not 3 decimal digits: "+strconv.Quote(string(b[6:9])))
		}
		r.hdr.Magic, r.hdr.Version, r.hdr.Dialect = "VALKEY", v, DialectValkey
		if v < 80 {
			return r.corrupt(6, "version", ErrUnsupportedVersion, "RDB version "+strconv.Itoa(v)+" with the VALKEY magic (valid: 80+)")
		}
	default:
		return r.corrupt(0, "magic", ErrBadMagic, "")
	}
	return nil
}

func isMagicPrefix(b []byte) bool {
	for _, m := range []string{"REDIS", "VALKEY"} {
		n := min(len(b), len(m))
		if string(b[:n]) == m[:n] {
			return true
		}
	}
	return false
}

func atoiDigits(b []byte) (int, bool) {
	v := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	return v, true
}

// Next advances to the next record and returns it. The returned *Entry is
// reused: it is valid until the following call to Next. An unread value of
// the previous entry is skipped (and validated) first. At the end of the file
// Next returns io.EOF, after the checksum was verified.
func (r *Reader) Next() (*Entry, error) {
	if !r.headerDone {
		if _, err := r.Header(); err != nil {
			return nil, err
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	r.in.pin = -1
	if r.cur != nil && !r.cur.consumed {
		if err := r.cur.skip(); err != nil && r.err != nil {
			return nil, r.err
		}
	}
	r.cur = nil
	if r.done {
		return nil, io.EOF
	}
	r.in.shrink()
	r.in.pin = r.in.r // the record's raw bytes stay readable until its value is read
	e, err := r.readRecord()
	if err != nil {
		if err != io.EOF {
			r.err = err
		}
		return nil, err
	}
	return e, nil
}

// readRecord reads one record, with the per-key prefix opcodes folded into
// the key's entry.
func (r *Reader) readRecord() (*Entry, error) {
	e := &r.entry
	e.reset(r)
	e.Offset = r.in.offset()
	hasPrefix := false
	for {
		off := r.in.offset()
		t, err := r.in.byte()
		if err != nil {
			return nil, r.ioErr(off, "record type", err)
		}
		switch Opcode(t) {
		case OpEOF:
			if hasPrefix {
				return nil, r.corrupt(off, "record type", ErrInvalid, "EOF opcode right after a per-key opcode")
			}
			return nil, r.readTrailer()
		case OpExpireTimeMs:
			ms, err := r.in.u64le()
			if err != nil {
				return nil, r.ioErr(off+1, "expire time", err)
			}
			e.ExpireAt = int64(ms)
			hasPrefix = true
			continue
		case OpExpireTime:
			b, err := r.in.next(4)
			if err != nil {
				return nil, r.ioErr(off+1, "expire time", err)
			}
			e.ExpireAt = int64(int32(binary.LittleEndian.Uint32(b))) * 1000
			hasPrefix = true
			continue
		case OpIdle:
			if r.hdr.Version < 9 && r.hdr.Dialect == DialectRedis {
				return nil, r.unknownTag(off, t)
			}
			v, err := r.readLen("idle time")
			if err != nil {
				return nil, err
			}
			e.Idle = int64(v)
			hasPrefix = true
			continue
		case OpFreq:
			if r.hdr.Version < 9 && r.hdr.Dialect == DialectRedis {
				return nil, r.unknownTag(off, t)
			}
			c, err := r.in.byte()
			if err != nil {
				return nil, r.ioErr(off+1, "LFU frequency", err)
			}
			e.Freq = int(c)
			hasPrefix = true
			continue
		case OpKeyMeta: // also OpSlotImport
			if r.hdr.Dialect == DialectRedis && r.hdr.Version >= 13 {
				if err := r.readKeyMeta(e, off); err != nil {
					return nil, err
				}
				hasPrefix = true
				continue
			}
		}
		if hasPrefix {
			// A per-key opcode must be followed by an object type.
			if _, ok := lookupType(r.hdr.Dialect, r.hdr.Version, t); !ok {
				return nil, r.corrupt(off, "record type", ErrInvalid,
					"per-key opcode not followed by an object type (got tag "+strconv.Itoa(int(t))+")")
			}
			return r.readKeyRecord(e, off, t)
		}
		if t >= 0xF2 || isForeignOpcode(t) {
			return r.readOpcodeRecord(e, off, t)
		}
		return r.readKeyRecord(e, off, t)
	}
}

func isForeignOpcode(t byte) bool {
	return (t >= 200 && t <= 241) || t == 101 || t == 102 || t == 107 || t == 121
}

func (r *Reader) unknownTag(off int64, t byte) error {
	switch {
	case t >= 200 && t <= 224:
		return r.corrupt(off, "record type", ErrUnsupported,
			"opcode "+strconv.Itoa(int(t))+" is a Dragonfly extension, not readable by Redis or Valkey")
	case t == 101 || t == 102 || t == 107 || t == 121:
		return r.corrupt(off, "record type", ErrUnsupported,
			"opcode "+strconv.Itoa(int(t))+" is a Redis Enterprise extension, not readable by open-source Redis or Valkey")
	case r.hdr.Dialect == DialectRedis && r.hdr.Version == 9 && t >= 30 && t <= 37:
		return r.corrupt(off, "record type", ErrUnsupported,
			"type "+strconv.Itoa(int(t))+" in a REDIS0009 file is a Dragonfly extension type")
	}
	return r.corrupt(off, "record type", ErrUnknownType,
		"unknown type or opcode "+strconv.Itoa(int(t))+" for "+r.hdr.Magic+" RDB version "+strconv.Itoa(r.hdr.Version))
}

func (r *Reader) readTrailer() error {
	r.done = true
	r.in.setCRC(false)
	r.sum.Computed = r.in.checksum()
	off := r.in.offset()
	r.sum.Offset = off
	hasCRC := r.hdr.Version >= 5 || r.hdr.Dialect == DialectValkey
	if !hasCRC {
		return io.EOF
	}
	b, err := r.in.next(8)
	if err != nil {
		r.done = false
		return r.ioErr(off, "checksum", err)
	}
	r.sum.Present = true
	r.sum.Stored = binary.LittleEndian.Uint64(b)
	switch {
	case r.sum.Stored == 0:
		r.sum.Disabled = true
	case r.opts.SkipChecksum:
		r.sum.Skipped = true
	case r.sum.Stored != r.sum.Computed:
		r.done = false
		return r.corrupt(off, "checksum", &ChecksumError{Want: r.sum.Stored, Got: r.sum.Computed}, "")
	default:
		r.sum.Verified = true
	}
	return io.EOF
}

// readLen reads a plain length (rdbLoadLen); the special 11xxxxxx form is
// an error where a plain length is expected.
func (r *Reader) readLen(field string) (uint64, error) {
	off := r.in.offset()
	v, special, err := r.readLenRaw(field)
	if err != nil {
		return 0, err
	}
	if special {
		return 0, r.corrupt(off, field, ErrBadLength, "encoded-string marker where a plain length is expected")
	}
	return v, nil
}

// readLenSub is readLen for a part of field: its error names field+sub,
// a string built only when there is an error (this runs for every LZF
// string, so it must not allocate).
func (r *Reader) readLenSub(field, sub string) (uint64, error) {
	v, err := r.readLen(field)
	if ce, ok := err.(*CorruptError); ok {
		ce.Field = field + sub
	}
	return v, err
}

func (r *Reader) readLenRaw(field string) (uint64, bool, error) {
	in := &r.in
	off := in.offset()
	var c byte
	if in.r < in.w {
		c = in.buf[in.r]
		in.r++
	} else {
		var err error
		if c, err = in.byte(); err != nil {
			return 0, false, r.ioErr(off, field, err)
		}
	}
	switch c >> 6 {
	case 0:
		return uint64(c & 0x3f), false, nil
	case 1:
		c2, err := in.byte()
		if err != nil {
			return 0, false, r.ioErr(off, field, err)
		}
		return uint64(c&0x3f)<<8 | uint64(c2), false, nil
	case 3:
		return uint64(c & 0x3f), true, nil
	}
	switch c {
	case 0x80:
		b, err := in.next(4)
		if err != nil {
			return 0, false, r.ioErr(off, field, err)
		}
		return uint64(binary.BigEndian.Uint32(b)), false, nil
	case 0x81:
		b, err := in.next(8)
		if err != nil {
			return 0, false, r.ioErr(off, field, err)
		}
		return binary.BigEndian.Uint64(b), false, nil
	}
	return 0, false, r.corrupt(off, field, ErrBadLength, "unknown length encoding 0x"+strconv.FormatUint(uint64(c), 16))
}

// readCount reads a length used as an element count and rejects counts that
// cannot fit in what remains of the input (each element takes >= minBytes).
func (r *Reader) readCount(field string, minBytes int64) (uint64, error) {
	off := r.in.offset()
	n, err := r.readLen(field)
	if err != nil {
		return 0, err
	}
	if rem := r.in.remaining(); rem >= 0 && minBytes > 0 && n > uint64(rem)/uint64(minBytes) {
		return 0, r.corrupt(off, field, errTruncOrBad,
			"count "+strconv.FormatUint(n, 10)+" cannot fit in the "+strconv.FormatInt(rem, 10)+" bytes left (truncated file or corrupt length)")
	}
	return n, nil
}

// stringHeader reads a string's length prefix. For plain strings it returns
// the length; for encoded ones the kind (0..3).
func (r *Reader) checkStrLen(off int64, field string, n uint64) error {
	if rem := r.in.remaining(); rem >= 0 && n > uint64(rem) {
		return r.corrupt(off, field, errTruncOrBad,
			"length "+strconv.FormatUint(n, 10)+" exceeds the "+strconv.FormatInt(rem, 10)+" bytes left (truncated file or corrupt length)")
	}
	if n > math.MaxInt32*8 {
		return r.corrupt(off, field, ErrBadLength, "length "+strconv.FormatUint(n, 10)+" is too large")
	}
	if r.opts.MaxValueSize > 0 && int64(n) > r.opts.MaxValueSize {
		return r.corrupt(off, field, ErrTooLarge, "length "+strconv.FormatUint(n, 10)+" exceeds the configured limit")
	}
	return nil
}

// readString reads an RDB string (rdbGenericLoadStringObject) and returns
// its bytes, valid until the next read. Integer-encoded strings come back as
// decimal text; LZF strings decompressed.
func (r *Reader) readString(field string) ([]byte, error) {
	b, _, err := r.readStringEx(field, false)
	return b, err
}

// readStringEx is readString; with skip set, a plain string is consumed
// without being buffered and nil is returned. It also reports whether the
// string was LZF-compressed.
func (r *Reader) readStringEx(field string, skip bool) ([]byte, bool, error) {
	in := &r.in
	off := in.offset()
	// Fast path: a short plain string fully in the buffer.
	if in.r < in.w {
		c := in.buf[in.r]
		if c < 0x40 {
			n := int(c)
			if in.r+1+n <= in.w {
				b := in.buf[in.r+1 : in.r+1+n]
				in.r += 1 + n
				if r.lzfSaw && n > lzfMinLen {
					r.lzfq.addPlain(b)
				}
				return b, false, nil
			}
		}
	}
	n, special, err := r.readLenRaw(field)
	if err != nil {
		return nil, false, err
	}
	if !special {
		if err := r.checkStrLen(off, field, n); err != nil {
			return nil, false, err
		}
		if skip && n > 4096 {
			if err := in.discard(int64(n)); err != nil {
				return nil, false, r.ioErr(off, field, err)
			}
			return nil, false, nil
		}
		b, err := in.next(int(n))
		if err != nil {
			return nil, false, r.ioErr(off, field, err)
		}
		if r.lzfSaw && n > lzfMinLen {
			r.lzfq.addPlain(b)
		}
		return b, false, nil
	}
	switch n {
	case 0:
		c, err := in.byte()
		if err != nil {
			return nil, false, r.ioErr(off, field, err)
		}
		return strconv.AppendInt(r.numBuf[:0], int64(int8(c)), 10), false, nil
	case 1:
		b, err := in.next(2)
		if err != nil {
			return nil, false, r.ioErr(off, field, err)
		}
		return strconv.AppendInt(r.numBuf[:0], int64(int16(binary.LittleEndian.Uint16(b))), 10), false, nil
	case 2:
		b, err := in.next(4)
		if err != nil {
			return nil, false, r.ioErr(off, field, err)
		}
		return strconv.AppendInt(r.numBuf[:0], int64(int32(binary.LittleEndian.Uint32(b))), 10), false, nil
	case 3:
		clen, err := r.readLenSub(field, " (LZF compressed length)")
		if err != nil {
			return nil, false, err
		}
		ulenOff := in.offset()
		ulen, err := r.readLenSub(field, " (LZF uncompressed length)")
		if err != nil {
			return nil, false, err
		}
		if err := r.checkStrLen(off, field, clen); err != nil {
			return nil, false, err
		}
		if r.frame {
			// Framing only: the data is decompressed by whoever checks
			// the value (Checker), and must fit its budget.
			if ulen > clen*90+64 || ulen > uint64(in.frameMax) {
				return nil, false, errFrameTooBig
			}
			if _, err := in.next(int(clen)); err != nil {
				return nil, false, r.ioErr(in.offset(), field, err)
			}
			return nil, true, nil
		}
		r.lzfIn += int64(clen)
		r.lzfOut += int64(ulen)
		// LZF expands at most ~88x (a 3-byte back reference yields 264 bytes).
		if ulen > clen*90+64 || (r.opts.MaxValueSize > 0 && int64(ulen) > r.opts.MaxValueSize) {
			return nil, false, r.corrupt(ulenOff, field, ErrBadLength,
				"LZF uncompressed length "+strconv.FormatUint(ulen, 10)+" impossible for "+strconv.FormatUint(clen, 10)+" compressed bytes")
		}
		dataOff := in.offset()
		src, err := in.next(int(clen))
		if err != nil {
			return nil, false, r.ioErr(dataOff, field, err)
		}
		if skip {
			// The caller needs no bytes: prove the data decompresses to ulen.
			if err := lzfValidate(src, int(ulen)); err != nil {
				var be *blobError
				if errors.As(err, &be) {
					return nil, true, r.corrupt(dataOff+int64(be.Pos), field, ErrInvalid, "bad LZF data: "+be.What)
				}
				return nil, true, r.corrupt(dataOff, field, ErrInvalid, "bad LZF data: "+err.Error())
			}
			return nil, true, nil
		}
		out, err := lzfDecompress(r.strBuf, src, int(ulen))
		if err != nil {
			var be *blobError
			if errors.As(err, &be) {
				return nil, false, r.corrupt(dataOff+int64(be.Pos), field, ErrInvalid, "bad LZF data: "+be.What)
			}
			return nil, false, r.corrupt(dataOff, field, ErrInvalid, "bad LZF data: "+err.Error())
		}
		if cap(out) > cap(r.strBuf) {
			r.strBuf = out[:0]
		}
		if r.lzfKeep {
			r.lzfq.add(src, out)
			r.lzfSaw = r.lzfSaw || field != fieldQuicklistNode
		}
		return out, true, nil
	}
	return nil, false, r.corrupt(off, field, ErrBadLength, "unknown string encoding "+strconv.FormatUint(n, 10))
}

func (r *Reader) readAux(off int64) (name, val []byte, err error) {
	n, err := r.readString("AUX name")
	if err != nil {
		return nil, nil, err
	}
	name = append([]byte(nil), n...)
	v, err := r.readString("AUX value")
	if err != nil {
		return nil, nil, err
	}
	val = append([]byte(nil), v...)
	return name, val, nil
}
