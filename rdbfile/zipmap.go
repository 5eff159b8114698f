package rdbfile

import "encoding/binary"

// Zipmap blobs (RDB type 9, Redis 2.x hashes), layout per Redis src/zipmap.c
// (zipmapValidateIntegrity):
//
//	<zmlen:1> ( <len> <field> <len> <free:1> <value> <free bytes> )* <0xFF>
//	len = one byte 0..253, or 254 + uint32 LE
//
// Validation follows zipmapValidateIntegrity in deep mode. Duplicate fields,
// which Redis's loader also rejects, are left to the caller.

const (
	zmBigLen = 254
	zmEnd    = 0xFF
)

// zmIter walks the field/value pairs of a zipmap blob; see zmOpen.
type zmIter struct {
	b     []byte
	pos   int // offset of the next field length (or of the end marker)
	n     int // pairs returned
	atEnd bool
	err   error
}

// zmOpen checks the zipmap's minimal shape (at least zmlen and one more byte,
// last byte 0xFF) and returns an iterator positioned before the first pair.
func zmOpen(b []byte) (zmIter, error) {
	if len(b) < 2 {
		return zmOpenErr(0, "zipmap shorter than its 2-byte minimum")
	}
	if b[len(b)-1] != zmEnd {
		return zmOpenErr(len(b)-1, "zipmap does not end with 0xFF")
	}
	return zmIter{b: b, pos: 1}, nil
}

// zmOpenErr returns a failed-open iterator that repeats err from every method.
func zmOpenErr(pos int, what string) (zmIter, error) {
	err := &blobError{pos, what}
	return zmIter{err: err}, err
}

// Count returns zmlen from the header: the pair count, or 254 for unknown.
func (it *zmIter) Count() int {
	if it.b == nil {
		return 0
	}
	return int(it.b[0])
}

// zmLen decodes the length at b[p], which must lie at or before last; it
// returns the length and the offset after it, or ok false if a 5-byte length
// runs past last.
func zmLen(b []byte, p, last int) (n uint64, next int, ok bool) {
	if b[p] < zmBigLen {
		return uint64(b[p]), p + 1, true
	}
	if 4 > last-p {
		return 0, p, false
	}
	return uint64(binary.LittleEndian.Uint32(b[p+1:])), p + 5, true
}

// Next returns (field, value, true, nil) for each pair and (nil, nil, false,
// nil) once the end marker is reached; afterwards call Done. Field and value
// alias the blob. Errors are sticky.
func (it *zmIter) Next() (field, value []byte, ok bool, err error) {
	if it.err != nil || it.atEnd || it.b == nil {
		return nil, nil, false, it.err
	}
	b, p := it.b, it.pos
	last := len(b) - 1
	if b[p] == zmEnd {
		it.atEnd = true
		return nil, nil, false, nil
	}
	// field: length, then bytes; the value length must follow within the blob
	fl, q, ok := zmLen(b, p, last)
	if !ok {
		return it.fail(p, "zipmap field length runs past the end")
	}
	if uint64(q)+fl > uint64(last) {
		return it.fail(p, "zipmap field runs past the end")
	}
	field = b[q : q+int(fl)]
	p = q + int(fl)
	// value: length, free byte, bytes, free bytes; the next length or the
	// end marker must follow within the blob
	if b[p] == zmEnd {
		return it.fail(p, "zipmap value length is the end marker")
	}
	vl, q, ok := zmLen(b, p, last)
	if !ok || q > last {
		return it.fail(p, "zipmap value length runs past the end")
	}
	free := uint64(b[q])
	q++
	if uint64(q)+vl+free > uint64(last) {
		return it.fail(p, "zipmap value runs past the end")
	}
	value = b[q : q+int(vl)]
	it.pos = q + int(vl) + int(free)
	it.n++
	return field, value, true, nil
}

func (it *zmIter) fail(pos int, what string) ([]byte, []byte, bool, error) {
	it.err = &blobError{pos, what}
	return nil, nil, false, it.err
}

// Done reports whether the walk was complete and consistent: Next must have
// returned false without error, the end marker must be the last byte, the
// zipmap must hold at least one pair, and zmlen (unless 254) must equal the
// number of pairs.
func (it *zmIter) Done() error {
	if it.err != nil {
		return it.err
	}
	if !it.atEnd {
		return &blobError{it.pos, "zipmap not walked to its end"}
	}
	switch {
	case it.pos != len(it.b)-1:
		it.err = &blobError{it.pos, "zipmap end marker before the last byte"}
	case it.n == 0:
		it.err = &blobError{0, "zipmap is empty"}
	case it.b[0] != zmBigLen && int(it.b[0]) != it.n:
		it.err = &blobError{0, "zipmap zmlen header does not match the pair count"}
	}
	return it.err
}

// zmAppendLen appends a zipmap length (zipmapEncodeLength).
func zmAppendLen(dst []byte, n int) []byte {
	if n < zmBigLen {
		return append(dst, byte(n))
	}
	dst = append(dst, zmBigLen)
	return binary.LittleEndian.AppendUint32(dst, uint32(n))
}

// zmAppendPair appends one field/value pair with free padding bytes (0..255)
// after the value, as zipmapSet lays it out.
func zmAppendPair(dst, field, value []byte, free int) []byte {
	dst = zmAppendLen(dst, len(field))
	dst = append(dst, field...)
	dst = zmAppendLen(dst, len(value))
	dst = append(dst, byte(free))
	dst = append(dst, value...)
	for range free {
		dst = append(dst, 0)
	}
	return dst
}

// zmBuild appends a complete zipmap of alternating field, value arguments
// (no free bytes; zmlen 254 from 254 pairs on, as zipmapSet leaves it) to
// dst. For tests.
func zmBuild(dst []byte, kv ...[]byte) []byte {
	n := len(kv) / 2
	dst = append(dst, byte(min(n, zmBigLen)))
	for i := 0; i+1 < len(kv); i += 2 {
		dst = zmAppendPair(dst, kv[i], kv[i+1], 0)
	}
	return append(dst, zmEnd)
}
