package rdbfile

import "encoding/binary"

// Intset blobs (RDB type 11), layout per Redis src/intset.c
// (intsetValidateIntegrity):
//
//	<encoding:uint32 LE> <length:uint32 LE> <length × int{16,32,64} LE>
//
// Validation follows intsetValidateIntegrity in deep mode: width 2, 4 or 8,
// non-empty, exact size, strictly ascending. Like Redis it does not require
// the narrowest width.

const isHdrSize = 8

// isIter walks the members of an intset blob; see isOpen.
type isIter struct {
	b     []byte
	width int // 2, 4 or 8
	pos   int // offset of the next member
	n     int // members returned
	prev  int64
	atEnd bool
	err   error
}

// isOpen checks the intset header of b and returns an iterator positioned
// before the first member.
func isOpen(b []byte) (isIter, error) {
	if len(b) < isHdrSize {
		return isOpenErr(0, "intset shorter than its 8-byte header")
	}
	w := binary.LittleEndian.Uint32(b)
	if w != 2 && w != 4 && w != 8 {
		return isOpenErr(0, "intset encoding is not 2, 4 or 8")
	}
	n := uint64(binary.LittleEndian.Uint32(b[4:]))
	if n == 0 {
		return isOpenErr(4, "intset is empty")
	}
	if isHdrSize+n*uint64(w) != uint64(len(b)) {
		return isOpenErr(4, "intset length header does not match the blob size")
	}
	return isIter{b: b, width: int(w), pos: isHdrSize}, nil
}

// isOpenErr returns a failed-open iterator that repeats err from every method.
func isOpenErr(pos int, what string) (isIter, error) {
	err := &blobError{pos, what}
	return isIter{err: err}, err
}

// Count returns the member count from the header.
func (it *isIter) Count() int {
	if it.b == nil {
		return 0
	}
	return int(binary.LittleEndian.Uint32(it.b[4:]))
}

// Next returns (member, true, nil) for each member and (0, false, nil) after
// the last. A member not greater than its predecessor is an error. Errors are
// sticky.
func (it *isIter) Next() (int64, bool, error) {
	if it.err != nil || it.atEnd || it.b == nil {
		return 0, false, it.err
	}
	p := it.pos
	if p >= len(it.b) {
		it.atEnd = true
		return 0, false, nil
	}
	var v int64
	switch it.width {
	case 2:
		v = int64(int16(binary.LittleEndian.Uint16(it.b[p:])))
	case 4:
		v = int64(int32(binary.LittleEndian.Uint32(it.b[p:])))
	default:
		v = int64(binary.LittleEndian.Uint64(it.b[p:]))
	}
	if it.n > 0 && v <= it.prev {
		it.err = &blobError{p, "intset members not in strictly ascending order"}
		return 0, false, it.err
	}
	it.prev = v
	it.pos = p + it.width
	it.n++
	return v, true, nil
}

// Done returns the sticky error, or an error if Next has not yet returned
// false. (Size and count were checked by isOpen.)
func (it *isIter) Done() error {
	if it.err != nil {
		return it.err
	}
	if !it.atEnd {
		return &blobError{it.pos, "intset not walked to its end"}
	}
	return nil
}

// isWidthFor returns the narrowest intset width that holds v.
func isWidthFor(v int64) int {
	switch {
	case v >= -32768 && v <= 32767:
		return 2
	case v >= -2147483648 && v <= 2147483647:
		return 4
	default:
		return 8
	}
}

// isBuild appends an intset of vals, which must be strictly ascending, to
// dst using the narrowest width that holds every member, as Redis does.
func isBuild(dst []byte, vals ...int64) []byte {
	w := 2
	for _, v := range vals {
		w = max(w, isWidthFor(v))
	}
	return isBuildWidth(dst, w, vals...)
}

// isBuildWidth is isBuild with an explicit width (2, 4 or 8, assumed to hold
// every member); values are written in the given order, unchecked.
func isBuildWidth(dst []byte, width int, vals ...int64) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(width))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(vals)))
	for _, v := range vals {
		switch width {
		case 2:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case 4:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	return dst
}
