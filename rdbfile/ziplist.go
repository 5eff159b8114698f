package rdbfile

import "encoding/binary"

// Ziplist blobs (RDB 2-9 types 10, 12, 13 and quicklist v1 nodes of type 14),
// layout per Redis src/ziplist.c (ziplistValidateIntegrity, zipEntrySafe):
//
//	<zlbytes:uint32 LE> <zltail:uint32 LE> <zllen:uint16 LE> <entry>* <0xFF>
//	entry = <prevlen: 1 byte < 254, or 0xFE + uint32 LE> <encoding> <data>
//
// Validation follows ziplistValidateIntegrity/zipEntrySafe in deep mode.

const (
	zlHdrSize      = 10
	zlEnd          = 0xFF
	zlBigPrevlen   = 0xFE
	zlCountUnknown = 65535
)

// zlIter walks the entries of a ziplist blob; see zlOpen.
type zlIter struct {
	b        []byte
	pos      int // offset of the next entry (or of the end byte)
	prevSize int // byte size of the previous entry, 0 before the first
	lastOff  int // offset of the last entry walked, or -1
	n        int
	atEnd    bool
	err      error
}

// zlOpen checks the ziplist header of b (size at least 11, zlbytes equal to
// len(b), zltail inside the blob, last byte 0xFF) and returns an iterator
// positioned before the first entry. The iterator aliases b.
func zlOpen(b []byte) (zlIter, error) {
	if len(b) < zlHdrSize+1 {
		return zlOpenErr(0, "ziplist shorter than its 11-byte minimum")
	}
	if uint64(binary.LittleEndian.Uint32(b)) != uint64(len(b)) {
		return zlOpenErr(0, "ziplist zlbytes header does not match the blob size")
	}
	if uint64(binary.LittleEndian.Uint32(b[4:])) >= uint64(len(b)) {
		return zlOpenErr(4, "ziplist zltail header points outside the blob")
	}
	if b[len(b)-1] != zlEnd {
		return zlOpenErr(len(b)-1, "ziplist does not end with 0xFF")
	}
	return zlIter{b: b, pos: zlHdrSize, lastOff: -1}, nil
}

// zlOpenErr returns a failed-open iterator that repeats err from every method.
func zlOpenErr(pos int, what string) (zlIter, error) {
	err := &blobError{pos, what}
	return zlIter{err: err}, err
}

// Count returns zllen from the header; 65535 means unknown.
func (it *zlIter) Count() int {
	if it.b == nil {
		return 0
	}
	return int(binary.LittleEndian.Uint16(it.b[8:]))
}

// Next decodes the next entry. It returns (entry, true, nil) for each entry
// and (packEntry{}, false, nil) once the end byte is reached, which must be
// the last byte of the blob; afterwards call Done. String entries alias the
// blob. Errors are sticky.
func (it *zlIter) Next() (packEntry, bool, error) {
	if it.err != nil || it.atEnd || it.b == nil {
		return packEntry{}, false, it.err
	}
	b, p := it.b, it.pos
	last := len(b) - 1 // offset of the end byte
	if b[p] == zlEnd {
		if p != last {
			return it.fail(p, "ziplist end byte before the last byte")
		}
		it.atEnd = true
		return packEntry{}, false, nil
	}
	// prevlen
	q := p + 1
	prevlen := uint64(b[p])
	if b[p] == zlBigPrevlen {
		if 5 > last-p {
			return it.fail(p, "ziplist entry header runs past the end byte")
		}
		prevlen = uint64(binary.LittleEndian.Uint32(b[p+1:]))
		q = p + 5
	}
	if prevlen != uint64(it.prevSize) {
		return it.fail(p, "ziplist entry prevlen does not match the previous entry's size")
	}
	// encoding; q <= last here
	c := b[q]
	var e packEntry
	var hdr int     // encoding bytes
	var dlen uint64 // data bytes
	switch {
	case c < 0x40: // 00pppppp
		hdr, dlen = 1, uint64(c)
	case c < 0x80: // 01pppppp qqqqqqqq, big-endian; q < last as b[last] is 0xFF
		hdr, dlen = 2, uint64(c&0x3F)<<8|uint64(b[q+1])
	case c < 0xC0: // 10xxxxxx + uint32 big-endian
		if 5 > last-q {
			return it.fail(q, "ziplist entry header runs past the end byte")
		}
		hdr, dlen = 5, uint64(binary.BigEndian.Uint32(b[q+1:]))
	default:
		hdr = 1
		switch c {
		case 0xC0:
			dlen = 2
		case 0xD0:
			dlen = 4
		case 0xE0:
			dlen = 8
		case 0xF0:
			dlen = 3
		case 0xFE:
			dlen = 1
		default:
			if c < 0xF1 || c > 0xFD {
				return it.fail(q, "ziplist entry has an unknown encoding byte")
			}
			e = packEntry{Int: int64(c&0x0F) - 1, IsInt: true}
		}
	}
	d := q + hdr // data offset; at most last+1 here
	if uint64(d)+dlen > uint64(last) {
		return it.fail(q, "ziplist entry runs past the end byte")
	}
	end := d + int(dlen)
	data := b[d:end]
	if c < 0xC0 {
		e.Str = data
	} else {
		switch c {
		case 0xC0:
			e = packEntry{Int: int64(int16(binary.LittleEndian.Uint16(data))), IsInt: true}
		case 0xD0:
			e = packEntry{Int: int64(int32(binary.LittleEndian.Uint32(data))), IsInt: true}
		case 0xE0:
			e = packEntry{Int: int64(binary.LittleEndian.Uint64(data)), IsInt: true}
		case 0xF0:
			e = packEntry{Int: int64(int32(uint32(data[0])<<8|uint32(data[1])<<16|uint32(data[2])<<24) >> 8), IsInt: true}
		case 0xFE:
			e = packEntry{Int: int64(int8(data[0])), IsInt: true}
		}
	}
	it.prevSize = end - p
	it.lastOff = p
	it.pos = end
	it.n++
	return e, true, nil
}

func (it *zlIter) fail(pos int, what string) (packEntry, bool, error) {
	it.err = &blobError{pos, what}
	return packEntry{}, false, it.err
}

// Done reports whether the walk was complete and consistent: Next must have
// returned false without error, zllen (unless 65535) must equal the number of
// entries walked, and zltail must be the offset of the last entry (or of the
// end byte when there are none).
func (it *zlIter) Done() error {
	if it.err != nil {
		return it.err
	}
	if !it.atEnd {
		return &blobError{it.pos, "ziplist not walked to its end"}
	}
	tail := it.lastOff
	if tail < 0 {
		tail = len(it.b) - 1
	}
	if uint64(binary.LittleEndian.Uint32(it.b[4:])) != uint64(tail) {
		it.err = &blobError{4, "ziplist zltail header does not point at the last entry"}
		return it.err
	}
	if c := it.Count(); c != zlCountUnknown && c != it.n {
		it.err = &blobError{8, "ziplist zllen header does not match the entry count"}
		return it.err
	}
	return nil
}

// zlAppendEntry appends one ziplist entry for e, whose predecessor is
// prevSize bytes long (0 for the first entry), the way Redis's
// __ziplistInsert encodes it: minimal prevlen, integers in the smallest
// encoding (immediate 0..12, int8, int16, int24, int32, int64), strings with
// the 6-, 14- or 32-bit length form. It returns the extended slice and the
// size of the appended entry.
func zlAppendEntry(dst []byte, prevSize int, e packEntry) ([]byte, int) {
	start := len(dst)
	if prevSize < zlBigPrevlen {
		dst = append(dst, byte(prevSize))
	} else {
		dst = append(dst, zlBigPrevlen)
		dst = binary.LittleEndian.AppendUint32(dst, uint32(prevSize))
	}
	if e.IsInt {
		v := e.Int
		switch {
		case v >= 0 && v <= 12:
			dst = append(dst, 0xF1+byte(v))
		case v >= -128 && v <= 127:
			dst = append(dst, 0xFE, byte(v))
		case v >= -32768 && v <= 32767:
			dst = append(dst, 0xC0, byte(v), byte(v>>8))
		case v >= -8388608 && v <= 8388607:
			dst = append(dst, 0xF0, byte(v), byte(v>>8), byte(v>>16))
		case v >= -2147483648 && v <= 2147483647:
			dst = append(dst, 0xD0)
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = append(dst, 0xE0)
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	} else {
		switch n := len(e.Str); {
		case n <= 0x3F:
			dst = append(dst, byte(n))
		case n <= 0x3FFF:
			dst = append(dst, 0x40|byte(n>>8), byte(n))
		default:
			dst = append(dst, 0x80)
			dst = binary.BigEndian.AppendUint32(dst, uint32(n))
		}
		dst = append(dst, e.Str...)
	}
	return dst, len(dst) - start
}

// zlBuild appends a complete ziplist of entries (kinds kept) to dst. Use
// packEntryOf to turn strings into entries the way Redis would. For tests.
func zlBuild(dst []byte, entries ...packEntry) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, zlHdrSize)...)
	prev, tail := 0, zlHdrSize
	for _, e := range entries {
		tail = len(dst) - start
		dst, prev = zlAppendEntry(dst, prev, e)
	}
	dst = append(dst, zlEnd)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	binary.LittleEndian.PutUint32(dst[start+4:], uint32(tail))
	binary.LittleEndian.PutUint16(dst[start+8:], uint16(min(len(entries), zlCountUnknown)))
	return dst
}

// packEntryOf returns s as Redis would store it in a ziplist or listpack: an
// integer if s is a canonical int64, else a string aliasing s.
func packEntryOf(s []byte) packEntry {
	if v, ok := isCanonicalInt(s); ok {
		return packEntry{Int: v, IsInt: true}
	}
	return packEntry{Str: s}
}
