package rdbfile

import (
	"encoding/binary"
	"strconv"
)

// Listpack blobs (RDB 10+ types 16, 17, 18, 20, 25 and stream nodes), layout
// per Redis src/listpack.c (lpValidateIntegrity, lpGet):
//
//	<total_bytes:uint32 LE> <num_elements:uint16 LE> <element>* <0xFF>
//	element = <encoding+data> <backlen>
//
// Validation follows lpValidateIntegrity/lpValidateNext in deep mode.

const (
	lpHdrSize      = 6
	lpEOF          = 0xFF
	lpCountUnknown = 65535
)

// lpIter walks the elements of a listpack blob; see lpOpen.
type lpIter struct {
	b     []byte
	pos   int   // offset of the next element (or of the end marker)
	n     int   // elements returned so far
	atEnd bool  // the end marker was reached
	err   error // sticky error
}

// lpOpen checks the listpack header of b (size at least 7, total_bytes equal
// to len(b), last byte 0xFF) and returns an iterator positioned before the
// first element. The iterator aliases b.
func lpOpen(b []byte) (lpIter, error) {
	if len(b) < lpHdrSize+1 {
		return lpOpenErr(0, "listpack shorter than its 7-byte minimum")
	}
	if uint64(binary.LittleEndian.Uint32(b)) != uint64(len(b)) {
		return lpOpenErr(0, "listpack total_bytes header does not match the blob size")
	}
	if b[len(b)-1] != lpEOF {
		return lpOpenErr(len(b)-1, "listpack does not end with 0xFF")
	}
	return lpIter{b: b, pos: lpHdrSize}, nil
}

// lpOpenErr returns a failed-open iterator that repeats err from every method.
func lpOpenErr(pos int, what string) (lpIter, error) {
	err := &blobError{pos, what}
	return lpIter{err: err}, err
}

// Count returns the element count from the header; 65535 means unknown.
func (it *lpIter) Count() int {
	if it.b == nil {
		return 0
	}
	return int(binary.LittleEndian.Uint16(it.b[4:]))
}

// Next decodes the next element. It returns (entry, true, nil) for each
// element and (packEntry{}, false, nil) once the end marker is reached, which
// must be the last byte of the blob; afterwards call Done. String entries
// alias the blob. Errors are sticky.
func (it *lpIter) Next() (packEntry, bool, error) {
	if it.err != nil || it.atEnd || it.b == nil {
		return packEntry{}, false, it.err
	}
	b, p := it.b, it.pos
	last := len(b) - 1 // offset of the end marker
	c := b[p]
	if c == lpEOF {
		if p != last {
			return it.fail(p, "listpack end marker before the last byte")
		}
		it.atEnd = true
		return packEntry{}, false, nil
	}
	var e packEntry
	var size uint64 // encoding + data
	switch {
	case c < 0x80: // 0xxxxxxx 7-bit uint
		e = packEntry{Int: int64(c), IsInt: true}
		size = 1
	case c < 0xC0: // 10xxxxxx 6-bit string
		size = 1 + uint64(c&0x3F)
		if size > uint64(last-p) {
			return it.fail(p, "listpack string runs past the end marker")
		}
		e.Str = b[p+1 : p+int(size)]
	case c < 0xE0: // 110xxxxx 13-bit int
		if p+1 >= last {
			return it.fail(p, "listpack integer runs past the end marker")
		}
		u := int64(c&0x1F)<<8 | int64(b[p+1])
		if u >= 1<<12 {
			u -= 1 << 13
		}
		e = packEntry{Int: u, IsInt: true}
		size = 2
	case c < 0xF0: // 1110xxxx 12-bit string
		if p+1 >= last {
			return it.fail(p, "listpack string length runs past the end marker")
		}
		size = 2 + (uint64(c&0x0F)<<8 | uint64(b[p+1]))
		if size > uint64(last-p) {
			return it.fail(p, "listpack string runs past the end marker")
		}
		e.Str = b[p+2 : p+int(size)]
	case c == 0xF0: // 32-bit string
		if 5 > last-p {
			return it.fail(p, "listpack string length runs past the end marker")
		}
		size = 5 + uint64(binary.LittleEndian.Uint32(b[p+1:]))
		if size > uint64(last-p) {
			return it.fail(p, "listpack string runs past the end marker")
		}
		e.Str = b[p+5 : p+int(size)]
	case c <= 0xF4: // F1 int16, F2 int24, F3 int32, F4 int64
		w := [...]int{2, 3, 4, 8}[c-0xF1]
		size = 1 + uint64(w)
		if size > uint64(last-p) {
			return it.fail(p, "listpack integer runs past the end marker")
		}
		d := b[p+1:]
		var v int64
		switch c {
		case 0xF1:
			v = int64(int16(binary.LittleEndian.Uint16(d)))
		case 0xF2:
			v = int64(int32(uint32(d[0])<<8|uint32(d[1])<<16|uint32(d[2])<<24) >> 8)
		case 0xF3:
			v = int64(int32(binary.LittleEndian.Uint32(d)))
		default:
			v = int64(binary.LittleEndian.Uint64(d))
		}
		e = packEntry{Int: v, IsInt: true}
	default: // F5..FE
		return it.fail(p, "listpack element has an unknown encoding byte")
	}
	// backlen: exactly the bytes Redis's writer uses for size, which must
	// also end before the end marker (lpValidateNext).
	bl := lpBacklenSize(size)
	q := p + int(size) // first backlen byte; size <= last-p here
	if uint64(bl) > uint64(last-q) {
		return it.fail(q, "listpack element backlen runs past the end marker")
	}
	if !lpBacklenIs(b[q:q+bl], size) {
		return it.fail(q, "listpack element backlen does not match the element size")
	}
	it.pos = q + bl
	it.n++
	return e, true, nil
}

func (it *lpIter) fail(pos int, what string) (packEntry, bool, error) {
	it.err = &blobError{pos, what}
	return packEntry{}, false, it.err
}

// Done reports whether the walk was complete and consistent: Next must have
// returned false without error, and a header count other than 65535 must
// equal the number of elements walked.
func (it *lpIter) Done() error {
	if it.err != nil {
		return it.err
	}
	if !it.atEnd {
		return &blobError{it.pos, "listpack not walked to its end"}
	}
	if c := it.Count(); c != lpCountUnknown && c != it.n {
		it.err = &blobError{4, "listpack num_elements header does not match the element count"}
		return it.err
	}
	return nil
}

// lpBacklenSize is the number of backlen bytes Redis writes for an element
// whose encoding+data take l bytes (lpEncodeBacklen; note the strict <).
func lpBacklenSize(l uint64) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	default:
		return 5
	}
}

// lpBacklenIs reports whether bl is the canonical backlen encoding of l:
// 7-bit groups, most significant first, every byte but the first with bit 7
// set.
func lpBacklenIs(bl []byte, l uint64) bool {
	for i := len(bl) - 1; i >= 0; i-- {
		want := byte(l & 0x7F)
		if i > 0 {
			want |= 0x80
		}
		if bl[i] != want {
			return false
		}
		l >>= 7
	}
	return l == 0
}

// lpAppendBacklen appends the backlen of an element of l bytes.
func lpAppendBacklen(dst []byte, l uint64) []byte {
	n := lpBacklenSize(l)
	for i := n - 1; i >= 0; i-- {
		c := byte(l >> (7 * uint(i)) & 0x7F)
		if i < n-1 {
			c |= 0x80
		}
		dst = append(dst, c)
	}
	return dst
}

// lpAppendInt appends v as one listpack element in the smallest encoding
// (lpEncodeIntegerGetType), followed by its backlen.
func lpAppendInt(dst []byte, v int64) []byte {
	start := len(dst)
	switch {
	case v >= 0 && v <= 127:
		dst = append(dst, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & (1<<13 - 1)
		dst = append(dst, 0xC0|byte(u>>8), byte(u))
	case v >= -32768 && v <= 32767:
		dst = append(dst, 0xF1, byte(v), byte(v>>8))
	case v >= -8388608 && v <= 8388607:
		dst = append(dst, 0xF2, byte(v), byte(v>>8), byte(v>>16))
	case v >= -2147483648 && v <= 2147483647:
		dst = append(dst, 0xF3)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
	default:
		dst = append(dst, 0xF4)
		dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
	}
	return lpAppendBacklen(dst, uint64(len(dst)-start))
}

// lpAppendRawString appends s as a listpack string element, never as an
// integer: 6-bit length below 64 bytes, 12-bit below 4096, else 32-bit.
// s must be shorter than 4 GiB.
func lpAppendRawString(dst, s []byte) []byte {
	start := len(dst)
	switch n := len(s); {
	case n < 64:
		dst = append(dst, 0x80|byte(n))
	case n < 4096:
		dst = append(dst, 0xE0|byte(n>>8), byte(n))
	default:
		dst = append(dst, 0xF0)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
	}
	dst = append(dst, s...)
	return lpAppendBacklen(dst, uint64(len(dst)-start))
}

// lpAppendString appends s as one listpack element exactly as Redis does
// (lpAppend): as an integer if s is a canonical int64 (isCanonicalInt), else
// as a string.
func lpAppendString(dst, s []byte) []byte {
	if v, ok := isCanonicalInt(s); ok {
		return lpAppendInt(dst, v)
	}
	return lpAppendRawString(dst, s)
}

// lpAppendEntry appends e keeping its kind: integers via lpAppendInt, strings
// via lpAppendRawString (so a string "5" stays a string).
func lpAppendEntry(dst []byte, e packEntry) []byte {
	if e.IsInt {
		return lpAppendInt(dst, e.Int)
	}
	return lpAppendRawString(dst, e.Str)
}

// lpBegin appends a listpack header placeholder to dst; append elements with
// lpAppend*, then call lpFinish with the offset the header starts at.
func lpBegin(dst []byte) []byte {
	return append(dst, 0, 0, 0, 0, 0, 0)
}

// lpFinish appends the end marker to the listpack that starts at dst[start]
// and holds n elements, and fills in its header (num_elements 65535 when
// n >= 65535, as Redis does). It returns false if the listpack would exceed
// the 4 GiB total_bytes limit.
func lpFinish(dst []byte, start, n int) ([]byte, bool) {
	dst = append(dst, lpEOF)
	total := uint64(len(dst) - start)
	if total > 1<<32-1 {
		return dst, false
	}
	binary.LittleEndian.PutUint32(dst[start:], uint32(total))
	if n >= lpCountUnknown {
		n = lpCountUnknown
	}
	binary.LittleEndian.PutUint16(dst[start+4:], uint16(n))
	return dst, true
}

// lpBuild appends a complete listpack of entries (kinds kept, see
// lpAppendEntry) to dst. For tests and small values; entries must total
// less than 4 GiB.
func lpBuild(dst []byte, entries ...packEntry) []byte {
	start := len(dst)
	dst = lpBegin(dst)
	for _, e := range entries {
		dst = lpAppendEntry(dst, e)
	}
	dst, _ = lpFinish(dst, start, len(entries))
	return dst
}

// lpBuildStrings appends a complete listpack of the given strings encoded
// the way Redis would (lpAppendString) to dst.
func lpBuildStrings(dst []byte, strs ...[]byte) []byte {
	start := len(dst)
	dst = lpBegin(dst)
	for _, s := range strs {
		dst = lpAppendString(dst, s)
	}
	dst, _ = lpFinish(dst, start, len(strs))
	return dst
}

// isCanonicalInt reports whether s is the canonical decimal text of an int64
// and returns its value, with the rules of Redis's string2ll (src/util.c) and
// lpStringToInt64 (src/listpack.c): 1..20 bytes, "0" alone or an optional
// '-' then a digit 1-9 then digits, no '+', spaces, leading zeros or "-0",
// within int64 range.
func isCanonicalInt(s []byte) (int64, bool) {
	n := len(s)
	if n == 0 || n > 20 {
		return 0, false
	}
	if n == 1 && s[0] == '0' {
		return 0, true
	}
	i := 0
	neg := s[0] == '-'
	if neg {
		i = 1
		if n == 1 {
			return 0, false
		}
	}
	if s[i] < '1' || s[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < n; i++ {
		d := s[i] - '0'
		if d > 9 {
			return 0, false
		}
		if v > (1<<64-1)/10 {
			return 0, false
		}
		v *= 10
		if v > 1<<64-1-uint64(d) {
			return 0, false
		}
		v += uint64(d)
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true // -(1<<63) wraps to itself
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// lpCheck is the fast path of a listpack walk: in one pass it applies every
// check lpIter.Next and lpIter.Done apply (header, encodings, lengths,
// backlens, end marker, num_elements) and feeds members to d: every entry
// when stride is 1 (set members), every other entry from the first when
// stride is 2 (hash fields, zset members), none when stride is 0. Integer
// entries are fed as their decimal text, built in num. It returns the number
// of entries and true only if the listpack is valid and no member repeated;
// on false the caller redoes the walk with lpIter to name the exact finding
// (d then holds a partial set and must be reset).
func lpCheck(b []byte, d *dedup, stride int, num []byte) (int, bool) {
	if len(b) < lpHdrSize+1 || uint64(binary.LittleEndian.Uint32(b)) != uint64(len(b)) || b[len(b)-1] != lpEOF {
		return 0, false
	}
	last := len(b) - 1
	p, n := lpHdrSize, 0
	for p < last {
		c := b[p]
		var size int
		var str []byte
		var iv int64
		isInt := true
		switch {
		case c < 0x80:
			size, iv = 1, int64(c)
		case c < 0xC0:
			size = 1 + int(c&0x3F)
			if size > last-p {
				return n, false
			}
			str, isInt = b[p+1:p+size], false
		case c < 0xE0:
			if p+1 >= last {
				return n, false
			}
			iv = int64(c&0x1F)<<8 | int64(b[p+1])
			if iv >= 1<<12 {
				iv -= 1 << 13
			}
			size = 2
		case c < 0xF0:
			if p+1 >= last {
				return n, false
			}
			size = 2 + (int(c&0x0F)<<8 | int(b[p+1]))
			if size > last-p {
				return n, false
			}
			str, isInt = b[p+2:p+size], false
		case c == 0xF0:
			if 5 > last-p {
				return n, false
			}
			l := uint64(binary.LittleEndian.Uint32(b[p+1:]))
			if l > uint64(last-p-5) {
				return n, false
			}
			size = 5 + int(l)
			str, isInt = b[p+5:p+size], false
		case c <= 0xF4:
			size = 1 + [...]int{2, 3, 4, 8}[c-0xF1]
			if size > last-p {
				return n, false
			}
			if stride != 0 {
				iv = lpIntAt(b[p:], c)
			}
		default: // F5..FE, or an end marker before the last byte
			return n, false
		}
		q := p + size
		if size <= 127 {
			if q >= last || b[q] != byte(size) {
				return n, false
			}
			p = q + 1
		} else {
			bl := lpBacklenSize(uint64(size))
			if bl > last-q || !lpBacklenIs(b[q:q+bl], uint64(size)) {
				return n, false
			}
			p = q + bl
		}
		if stride == 1 || stride == 2 && n&1 == 0 {
			var fresh bool
			if isInt {
				fresh = d.add(strconv.AppendInt(num[:0], iv, 10))
			} else {
				fresh = d.addRef(str)
			}
			if !fresh {
				return n, false
			}
		}
		n++
	}
	if c := int(binary.LittleEndian.Uint16(b[4:])); c != lpCountUnknown && c != n {
		return n, false
	}
	return n, true
}

// lpIntAt decodes the F1..F4 integer entry at b[0] (encoding byte c), whose
// bytes the caller has bounds-checked.
func lpIntAt(b []byte, c byte) int64 {
	d := b[1:]
	switch c {
	case 0xF1:
		return int64(int16(binary.LittleEndian.Uint16(d)))
	case 0xF2:
		return int64(int32(uint32(d[0])<<8|uint32(d[1])<<16|uint32(d[2])<<24) >> 8)
	case 0xF3:
		return int64(int32(binary.LittleEndian.Uint32(d)))
	default:
		return int64(binary.LittleEndian.Uint64(d))
	}
}

// lpIntBytes is the size of the integer of encodings 0xF1 to 0xF4 (16,
// 24, 32 and 64 bits).
var lpIntBytes = [4]int{2, 3, 4, 8}

// lpEntryAt decodes the element at b[p] of a listpack that lpCheck accepted
// and returns it with the offset of the next element. It does no checks: use
// it only on a validated blob.
func lpEntryAt(b []byte, p int) (packEntry, int) {
	c := b[p]
	var e packEntry
	var size int
	switch {
	case c < 0x80:
		return packEntry{Int: int64(c), IsInt: true}, p + 2
	case c < 0xC0:
		size = 1 + int(c&0x3F)
		e.Str = b[p+1 : p+size]
	case c < 0xE0:
		iv := int64(c&0x1F)<<8 | int64(b[p+1])
		if iv >= 1<<12 {
			iv -= 1 << 13
		}
		return packEntry{Int: iv, IsInt: true}, p + 3
	case c < 0xF0:
		size = 2 + (int(c&0x0F)<<8 | int(b[p+1]))
		e.Str = b[p+2 : p+size]
	case c == 0xF0:
		size = 5 + int(binary.LittleEndian.Uint32(b[p+1:]))
		e.Str = b[p+5 : p+size]
	default:
		size = 1 + lpIntBytes[c-0xF1]
		e = packEntry{Int: lpIntAt(b[p:], c), IsInt: true}
	}
	return e, p + size + lpBacklenSize(uint64(size))
}

// ListpackIter walks the entries of a listpack blob, such as
// Element.Listpack (layout per Redis src/listpack.c). NewListpackIter checks
// the whole blob once, so Next does no checks of its own. String entries
// alias the blob.
type ListpackIter struct {
	b      []byte
	pos, n int // next entry's offset; entries left
}

// NewListpackIter checks listpack b as the Reader does (header, every
// entry's encoding, length and backlen, end marker, entry count) and returns
// an iterator before its first entry. The error names the byte position of
// the first problem within the blob.
func NewListpackIter(b []byte) (*ListpackIter, error) {
	n, ok := lpCheck(b, nil, 0, nil)
	if !ok {
		it, err := lpOpen(b)
		for err == nil {
			var more bool
			if _, more, err = it.Next(); !more && err == nil {
				err = it.Done()
				break
			}
		}
		if err == nil { // lpCheck and lpIter agree (FuzzListpack); never reached
			err = &blobError{0, "listpack refused"}
		}
		return nil, err
	}
	return &ListpackIter{b: b, pos: lpHdrSize, n: n}, nil
}

// Len is the number of entries not yet returned by Next.
func (l *ListpackIter) Len() int { return l.n }

// Next returns the next entry: a string (str) or an integer (num, isInt);
// ok is false after the last one.
func (l *ListpackIter) Next() (str []byte, num int64, isInt, ok bool) {
	if l.n == 0 {
		return nil, 0, false, false
	}
	l.n--
	if c := l.b[l.pos]; c&0xC0 == 0x80 { // a string below 64 bytes, inline
		p := l.pos + 1
		l.pos = p + int(c&0x3F) + 1
		return l.b[p : l.pos-1], 0, false, true
	}
	var e packEntry
	e, l.pos = lpEntryAt(l.b, l.pos)
	return e.Str, e.Int, e.IsInt, true
}
