package rdbfile

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"os"
	"strconv"
)

// Spilling big values
//
// Three encodings put before a value's body something known only once
// every element was seen: a quicklist's node count (RDB_TYPE_LIST_QUICKLIST,
// _2: how the items fall into nodes depends on each one's size), a stream's
// node count (the entries repacked by stream-node-max-bytes/-entries) and
// the smallest field TTL of a HASH_METADATA hash (Redis src/rdb.c
// rdbSaveObject). Such a value is kept in memory up to a budget
// (WriterOptions.ValueMemory); past it, the part that follows the count
// goes to a temporary file, the spill, while the count is kept. At Close
// the record's prefix, type, key and count are written, then the spill is
// copied through the Writer's output, so the CRC-64, Offset and Hold see
// the same bytes as from a value kept in memory: the output is the same
// byte for byte. Memory stays bounded by the budget and the largest
// element, whatever the value's size.

// defaultValueMemory is the budget of a value held until Close when
// WriterOptions.ValueMemory is 0.
const defaultValueMemory = 4 << 20

// valueMemory returns the budget, in bytes, of a value held until Close.
func (w *Writer) valueMemory() int {
	if w.opts.ValueMemory > 0 {
		return w.opts.ValueMemory
	}
	return defaultValueMemory
}

// A SpillError reports a failure of the temporary file that holds a big
// value's body (see WriterOptions.ValueMemory). The Writer's output is
// incomplete: the error is sticky.
type SpillError struct {
	Dir     string // the directory of the temporary file
	Key     []byte // the key being written
	Written int64  // bytes written to the file before the error
	Err     error  // from the os package, e.g. syscall.ENOSPC
}

func (e *SpillError) Error() string {
	return "rdbfile: temporary file in " + e.Dir + " for the body of key " + strconv.Quote(string(e.Key)) +
		" (a value over the writer's memory budget, " + strconv.FormatInt(e.Written, 10) + " bytes written): " + e.Err.Error()
}

// Unwrap returns the os package's error.
func (e *SpillError) Unwrap() error { return e.Err }

// spill is the temporary file of one value: written in order, then read
// back once from its start.
type spill struct {
	f    *os.File
	name string // still to remove at close ("" once removed)
	dir  string
	key  []byte
	n    int64 // bytes written
	buf  []byte
}

// newSpill creates the value's temporary file in WriterOptions.TempDir (or
// os.TempDir()) and removes its name at once where the system allows it:
// the file goes away with the process, however it ends. An error is the
// Writer's sticky error.
func (vw *ValueWriter) newSpill() *spill {
	w := vw.w
	dir := w.opts.TempDir
	if dir == "" {
		dir = os.TempDir()
	}
	// A copy: the key is the Writer's buffer, reused by the next key, and a
	// SpillError names it after the value.
	s := &spill{dir: dir, key: bytes.Clone(vw.h.Key)}
	f, err := os.CreateTemp(dir, "rdbkit-value-*")
	if err != nil {
		vw.spillFail(s.errOf(err))
		return nil
	}
	s.f = f
	if os.Remove(f.Name()) != nil {
		s.name = f.Name() // removed by close
	}
	vw.sp = s
	return s
}

func (s *spill) errOf(err error) error {
	return &SpillError{Dir: s.dir, Key: s.key, Written: s.n, Err: err}
}

// Write appends p to the file.
func (s *spill) Write(p []byte) (int, error) {
	n, err := s.f.Write(p)
	s.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return n, s.errOf(err)
	}
	return n, nil
}

// close closes and removes the file.
func (s *spill) close() {
	if s == nil || s.f == nil {
		return
	}
	s.f.Close()
	if s.name != "" {
		os.Remove(s.name)
	}
	s.f, s.name = nil, ""
}

// rewind makes the file readable from its start.
func (s *spill) rewind() error {
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return s.errOf(err)
	}
	return nil
}

// spillFail records a temporary file error: sticky, as the record may
// be half written.
func (vw *ValueWriter) spillFail(err error) {
	if vw.err == nil {
		vw.err = err
	}
	if vw.w.err == nil {
		vw.w.err = err
	}
}

// divert runs f with the Writer's output going to the spill instead: the
// bytes f writes (with the Writer's own primitives, so exactly as they
// would be written to the output) are appended to the file. The CRC-64,
// Offset and buffered output of the Writer are left as they were.
func (vw *ValueWriter) divert(f func()) {
	w, s := vw.w, vw.sp
	if w.err != nil {
		return
	}
	out, crc, written, buf := w.out, w.crc, w.written, w.buf
	w.out, w.buf = s, s.buf[:0]
	f()
	w.flush(true)
	s.buf = w.buf[:0]
	w.out, w.crc, w.written, w.buf = out, crc, written, buf
	if w.err != nil && vw.err == nil {
		vw.err = w.err
	}
}

// copySpill writes the spill's bytes to the Writer's output.
func (vw *ValueWriter) copySpill() {
	w, s := vw.w, vw.sp
	if w.err != nil {
		return
	}
	if err := s.rewind(); err != nil {
		vw.spillFail(err)
		return
	}
	b := make([]byte, 256<<10)
	for {
		n, err := io.ReadFull(s.f, b)
		if n > 0 {
			w.raw(b[:n])
			if w.err != nil {
				vw.fail(w.err)
				return
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return
		}
		if err != nil {
			vw.spillFail(s.errOf(err))
			return
		}
	}
}

// Hash fields spilled as they were added (a HASH_METADATA body needs the
// smallest TTL, known at the end): each one as its 8-byte expire, then
// the field and the value, each after its uvarint length.

// hashSpillWrite appends one field to the spill.
func (vw *ValueWriter) hashSpillWrite(f, v []byte, exp int64) {
	s := vw.sp
	s.buf = binary.LittleEndian.AppendUint64(s.buf, uint64(exp))
	s.buf = binary.AppendUvarint(s.buf, uint64(len(f)))
	s.buf = append(s.buf, f...)
	s.buf = binary.AppendUvarint(s.buf, uint64(len(v)))
	s.buf = append(s.buf, v...)
	if len(s.buf) >= wbufFlush {
		vw.hashSpillFlush()
	}
}

func (vw *ValueWriter) hashSpillFlush() {
	s := vw.sp
	if len(s.buf) > 0 && vw.err == nil {
		if _, err := s.Write(s.buf); err != nil {
			vw.spillFail(err)
		}
	}
	s.buf = s.buf[:0]
}

// hashSpillRead calls fn for every spilled field, in order.
func (vw *ValueWriter) hashSpillRead(fn func(f, v []byte, exp int64) bool) {
	s := vw.sp
	vw.hashSpillFlush()
	if vw.err != nil {
		return
	}
	if err := s.rewind(); err != nil {
		vw.spillFail(err)
		return
	}
	r := bufio.NewReaderSize(s.f, wbufFlush)
	var fb, vb []byte
	var hdr [8]byte
	bad := func(err error) {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		vw.spillFail(s.errOf(err))
	}
	str := func(dst []byte) ([]byte, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return dst, err
		}
		if n > uint64(s.n) {
			return dst, io.ErrUnexpectedEOF
		}
		if uint64(cap(dst)) < n {
			dst = make([]byte, n)
		}
		dst = dst[:n]
		_, err = io.ReadFull(r, dst)
		return dst, err
	}
	for {
		_, err := io.ReadFull(r, hdr[:])
		if err == io.EOF {
			return
		}
		if err != nil {
			bad(err)
			return
		}
		if fb, err = str(fb); err != nil {
			bad(err)
			return
		}
		if vb, err = str(vb); err != nil {
			bad(err)
			return
		}
		if !fn(fb, vb, int64(binary.LittleEndian.Uint64(hdr[:]))) {
			return
		}
	}
}

// hashMaybeSpill moves a hash held until Close to the spill once it is
// over the budget, unless it may still be written in a compact encoding
// (a listpack is one string: bounded by the largest element).
func (vw *ValueWriter) hashMaybeSpill() {
	w := vw.w
	if int64(len(vw.a)) <= w.hashSmallMax() && vw.maxA <= w.lim.HashMaxListpackValue && vw.maxB <= w.lim.HashMaxListpackValue {
		return
	}
	if vw.newSpill() == nil {
		return
	}
	vw.hspill, vw.hmin = true, math.MaxInt64
	var el Element
	for i := range vw.a {
		el = Element{Member: vw.a[i], Value: vw.b[i], ExpireAt: vw.exp[i]}
		vw.hashSpillAdd(&el)
	}
	clear(vw.a)
	clear(vw.b)
	vw.a, vw.b, vw.exp = vw.a[:0], vw.b[:0], vw.exp[:0]
	w.arena = w.arena[:0]
	vw.hbytes = 0
}

// hashSpillAdd writes a field to the spill, noting what writeHash needs
// of its TTL.
func (vw *ValueWriter) hashSpillAdd(el *Element) {
	if e := el.ExpireAt; e != NoExpire {
		vw.hTTL = true
		if e < 0 || e > 0xFFFFFFFFFFFF {
			if !vw.hbad {
				vw.hbad, vw.hbadExp = true, e
			}
		} else {
			vw.hmin = min(vw.hmin, e)
		}
	}
	vw.hashSpillWrite(el.Member, el.Value, el.ExpireAt)
}

// writeHashSpilled writes a spilled hash as writeHash writes one too big
// for a compact encoding: HASH_METADATA (the smallest TTL first) or, for
// Valkey, HASH_2 when a field has a TTL, else HASH.
func (vw *ValueWriter) writeHashSpilled() {
	w := vw.w
	n := uint64(vw.n)
	if vw.hTTL {
		if !w.hasFieldTTL() {
			vw.fail(w.unsupported("hash field TTL", vw.h.Key))
			return
		}
		vw.h.FieldTTL = true
		if w.d == DialectValkey {
			w.writeKeyPrefix(&vw.h, TypeHash2)
			w.writeLen(n)
			vw.hashSpillRead(func(f, v []byte, exp int64) bool {
				w.writeString(f)
				w.writeString(v)
				if exp == NoExpire {
					w.writeU64(math.MaxUint64)
				} else {
					w.writeU64(uint64(exp))
				}
				return vw.flushErr() == nil
			})
			return
		}
		if vw.hbad {
			vw.fail(w.unsupported("hash field TTL "+strconv.FormatInt(vw.hbadExp, 10)+" (outside 0..2^48-1)", vw.h.Key))
			return
		}
		w.writeKeyPrefix(&vw.h, TypeHashMetadata)
		w.writeU64(uint64(vw.hmin))
		w.writeLen(n)
		vw.hashSpillRead(func(f, v []byte, exp int64) bool {
			if exp == NoExpire {
				w.writeLen(0)
			} else {
				w.writeLen(uint64(exp-vw.hmin) + 1)
			}
			w.writeString(f)
			w.writeString(v)
			return vw.flushErr() == nil
		})
		return
	}
	vw.h.FieldTTL = false
	w.writeKeyPrefix(&vw.h, TypeHash)
	w.writeLen(n)
	vw.hashSpillRead(func(f, v []byte, _ int64) bool {
		w.writeString(f)
		w.writeString(v)
		return vw.flushErr() == nil
	})
}
