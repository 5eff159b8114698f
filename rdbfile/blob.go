package rdbfile

import "strconv"

// Shared shapes of the blob codecs (ziplist.go, listpack.go, intset.go,
// zipmap.go). A blob is the bytes of one RDB string that holds an encoded
// structure; the codecs work on that []byte alone and report positions
// relative to its first byte. The Reader turns a *blobError into a
// *CorruptError with an absolute offset.

// blobError reports a problem at byte Pos of a blob.
type blobError struct {
	Pos  int    // byte position inside the blob
	What string // what is wrong, e.g. "listpack entry runs past the end marker"
}

func (e *blobError) Error() string {
	return e.What + " at blob byte " + strconv.Itoa(e.Pos)
}

// packEntry is one element of a ziplist or listpack: either a string (Str
// aliases the blob) or an integer.
type packEntry struct {
	Str   []byte
	Int   int64
	IsInt bool
}

// appendText appends the entry's logical string value: strings as is,
// integers as canonical decimal text (how Redis hands them to commands).
func (e packEntry) appendText(dst []byte) []byte {
	if e.IsInt {
		return strconv.AppendInt(dst, e.Int, 10)
	}
	return append(dst, e.Str...)
}

// text returns the logical string value, using scratch for integers. The
// result aliases the blob or scratch.
func (e packEntry) text(scratch []byte) []byte {
	if e.IsInt {
		return strconv.AppendInt(scratch[:0], e.Int, 10)
	}
	return e.Str
}
