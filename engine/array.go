package engine

import (
	"bytes"
	"crypto/sha1"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Arrays (Redis 8.8, OBJ_ARRAY: src/t_array.c, src/sparsearray.c): sparse
// arrays indexed by 0 … 2^64-2, with an insert cursor for ARINSERT and
// ARRING. The server stores each element as a tagged word (a 62-bit
// integer, a double with its 2 low bits cleared, a string of up to 7
// bytes) or a heap string, but it only stores an integer or a double when
// printing it back gives the very bytes it was given (arEncode), so every
// element reads back as the bytes that were written. The engine keeps
// those bytes, in sorted chunks of (index, value) pairs; the tag a server
// would save is computed when a value is exported (arrayTag).

// arNoInsert is the cursor of an array without one (AR_INSERT_IDX_NONE).
const arNoInsert = math.MaxUint64

// arrayChunkMax bounds the elements of one chunk: inserts and deletes move
// at most that many offsets.
const arrayChunkMax = 128

// arrayVersion formats array floats: arrays exist from Redis 8.8 on, whose
// d2string uses fpconv_dtoa.
var arrayVersion = ServerVersion{Major: 8, Minor: 8}

type arrayObj struct {
	chunks []*achunk // non-empty, ascending indices
	count  uint64    // elements (ARCOUNT)
	insert uint64    // index of the last insert (ARNEXT - 1), arNoInsert if none
}

// achunk is a run of elements: idx ascending, vals the values in order.
type achunk struct {
	idx  []uint64
	vals pack
}

func newArray() *arrayObj { return &arrayObj{insert: arNoInsert} }

func (*arrayObj) kind() rdbfile.Kind { return rdbfile.KindArray }

// length returns the element count (an array key exists while it has one).
func (a *arrayObj) length() int { return int(min(a.count, math.MaxInt)) }

func (a *arrayObj) dup() object {
	c := &arrayObj{count: a.count, insert: a.insert, chunks: make([]*achunk, len(a.chunks))}
	for i, ch := range a.chunks {
		c.chunks[i] = &achunk{idx: slices.Clone(ch.idx), vals: ch.vals.clone()}
	}
	return c
}

// arLen is ARLEN: the highest index + 1, 0 when empty. Indices stop at
// 2^64-2, so it does not overflow.
func (a *arrayObj) arLen() uint64 {
	if len(a.chunks) == 0 {
		return 0
	}
	last := a.chunks[len(a.chunks)-1]
	return last.idx[len(last.idx)-1] + 1
}

// chunkFor returns the position of the first chunk whose last index is at
// least i (len(a.chunks) if none).
func (a *arrayObj) chunkFor(i uint64) int {
	return sort.Search(len(a.chunks), func(k int) bool {
		c := a.chunks[k]
		return c.idx[len(c.idx)-1] >= i
	})
}

func (c *achunk) pos(i uint64) int {
	j, _ := slices.BinarySearch(c.idx, i)
	return j
}

// get returns the value at index i (aliasing the array's storage).
func (a *arrayObj) get(i uint64) ([]byte, bool) {
	k := a.chunkFor(i)
	if k == len(a.chunks) {
		return nil, false
	}
	c := a.chunks[k]
	j := c.pos(i)
	if j < len(c.idx) && c.idx[j] == i {
		return c.vals.at(j), true
	}
	return nil, false
}

// set stores v at index i (arSet). It reports whether the slot was empty.
// v must not alias the array's storage.
func (a *arrayObj) set(i uint64, v []byte) bool {
	k := a.chunkFor(i)
	if k == len(a.chunks) {
		// After the last element: append, in a new chunk when the last is full.
		if k == 0 || len(a.chunks[k-1].idx) >= arrayChunkMax {
			a.chunks = append(a.chunks, &achunk{})
			k++
		}
		c := a.chunks[k-1]
		c.idx = append(c.idx, i)
		c.vals.push(v)
		a.count++
		return true
	}
	c := a.chunks[k]
	j := c.pos(i)
	if c.idx[j] == i {
		c.vals.set(j, v)
		return false
	}
	c.idx = slices.Insert(c.idx, j, i)
	c.vals.insert(j, v)
	a.count++
	if len(c.idx) > arrayChunkMax {
		a.split(k)
	}
	return true
}

// split cuts chunk k in two halves.
func (a *arrayObj) split(k int) {
	c := a.chunks[k]
	h := len(c.idx) / 2
	lo, hi := &achunk{idx: slices.Clone(c.idx[:h])}, &achunk{idx: slices.Clone(c.idx[h:])}
	lo.vals.reserve(int(c.vals.start(h)), h)
	hi.vals.reserve(c.vals.bytes()-int(c.vals.start(h)), len(c.idx)-h)
	for j := range c.idx {
		if j < h {
			lo.vals.push(c.vals.at(j))
		} else {
			hi.vals.push(c.vals.at(j))
		}
	}
	a.chunks[k] = lo
	a.chunks = slices.Insert(a.chunks, k+1, hi)
}

// del removes index i (arDel); it reports whether it held a value.
func (a *arrayObj) del(i uint64) bool {
	return a.delRange(i, i) == 1
}

// delRange removes every element with an index in [lo, hi] (arDeleteRange)
// and returns how many there were. Its cost depends on the elements, not on
// the width of the range.
func (a *arrayObj) delRange(lo, hi uint64) uint64 {
	var n uint64
	for k := a.chunkFor(lo); k < len(a.chunks); {
		c := a.chunks[k]
		if c.idx[0] > hi {
			break
		}
		j0 := c.pos(lo)
		j1, found := slices.BinarySearch(c.idx, hi)
		if found {
			j1++
		}
		if j0 < j1 {
			c.idx = append(c.idx[:j0], c.idx[j1:]...)
			c.vals.remove(j0, j1)
			n += uint64(j1 - j0)
		}
		if len(c.idx) == 0 {
			a.chunks = slices.Delete(a.chunks, k, k+1)
			continue
		}
		k++
	}
	a.count -= n
	return n
}

// each calls fn for every element in ascending index order until fn
// returns false; v aliases the array's storage.
func (a *arrayObj) each(fn func(i uint64, v []byte) bool) {
	for _, c := range a.chunks {
		for j, i := range c.idx {
			if !fn(i, c.vals.at(j)) {
				return
			}
		}
	}
}

// arrayFloatText is arFormatFloat: d2string, then ".0" after a finite value
// printed without '.', 'e' or 'E'.
func arrayFloatText(b []byte, f float64) []byte {
	s := D2String(arrayVersion, f)
	b = append(b, s...)
	if !math.IsInf(f, 0) && !math.IsNaN(f) && !bytes.ContainsAny(b[len(b)-len(s):], ".eE") {
		b = append(b, ".0"...)
	}
	return b
}

// arrayFloat is arTryEncodeFloat: whether the server keeps b as an
// immediate double, and that double (its 2 low bits cleared). Only
// "[-]digits.digits" texts that d2string (or d2string + ".0") prints back
// identically qualify.
func arrayFloat(b []byte) (float64, bool) {
	if len(b) == 0 || (len(b) == 1 && b[0] == '-') {
		return 0, false
	}
	i, dot := 0, false
	if b[0] == '-' {
		i = 1
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '.':
			if dot {
				return 0, false
			}
			dot = true
		case c < '0' || c > '9':
			return 0, false
		}
	}
	if !dot {
		return 0, false
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	f = math.Float64frombits(math.Float64bits(f) &^ 3)
	s := D2String(arrayVersion, f)
	if s == string(b) || s+".0" == string(b) {
		return f, true
	}
	return 0, false
}

// arrayTag returns the RDB element tag the server saves for value b
// (arEncode, then rdbSaveArraySlice): INT for canonical integers in
// [-2^61, 2^61-1], FLOAT for texts arrayFloat accepts, SMALLSTR up to 7
// bytes, SDS otherwise.
func arrayTag(b []byte) rdbfile.ArrayElement {
	if n, ok := parseInt(b); ok && n >= -(1<<61) && n <= 1<<61-1 {
		return rdbfile.ArrayElement{Tag: rdbfile.ArrayInt, Int: n}
	}
	if f, ok := arrayFloat(b); ok {
		return rdbfile.ArrayElement{Tag: rdbfile.ArrayFloat, Float: f}
	}
	if len(b) <= 7 {
		return rdbfile.ArrayElement{Tag: rdbfile.ArraySmallStr, Str: clone(b)}
	}
	return rdbfile.ArrayElement{Tag: rdbfile.ArraySDS, Str: clone(b)}
}

// arrayElementText appends the bytes an RDB array element reads back as
// (rdbLoadObject: arValueFromRdbInt, arValueFromRdbFloat, which clears the
// double's 2 low bits, strings as stored).
func arrayElementText(b []byte, el *rdbfile.ArrayElement) []byte {
	switch el.Tag {
	case rdbfile.ArrayInt:
		return strconv.AppendInt(b, el.Int, 10)
	case rdbfile.ArrayFloat:
		return arrayFloatText(b, math.Float64frombits(math.Float64bits(el.Float)&^3))
	}
	return append(b, el.Str...)
}

// arrayFromValue builds an array from a decoded RDB value as rdbLoadObject
// does: elements set in file order (a repeated index keeps the last
// value), the cursor as stored.
func arrayFromValue(v *rdbfile.Array) *arrayObj {
	a := newArray()
	if v == nil {
		return a
	}
	if v.HasCursor {
		a.insert = v.InsertIdx
	}
	var buf []byte
	for i := range v.Elements {
		el := &v.Elements[i]
		buf = arrayElementText(buf[:0], el)
		a.set(el.Index, buf)
	}
	return a
}

// export returns the array as an rdbfile value, each element with the tag
// the server would save it with.
func (a *arrayObj) export() *rdbfile.Array {
	v := &rdbfile.Array{Elements: make([]rdbfile.ArrayElement, 0, a.length())}
	if a.insert != arNoInsert {
		v.HasCursor, v.InsertIdx = true, a.insert
	}
	a.each(func(i uint64, b []byte) bool {
		el := arrayTag(b)
		el.Index = i
		v.Elements = append(v.Elements, el)
		return true
	})
	return v
}

// ArrayDigestMaxLen is the longest array (ARLEN, the highest index + 1)
// whose DEBUG DIGEST the engine computes. The server's digest of an array
// (src/debug.c xorObjectDigest) mixes every slot from 0 to ARLEN-1 in
// order, an empty one as "(null)": one SHA-1 per slot, in a chain that has
// no shortcut, so an array with an index near 2^63 has a digest the server
// itself never finishes computing. The engine walks the gaps at about
// 3 million slots a second; longer arrays are left out of digests like
// values of unknown types (ErrNoDigest, UndigestedKeys).
const ArrayDigestMaxLen = 1 << 24

// nullSum is SHA1("(null)"), what an empty array slot mixes in.
var nullSum = sum20(sha1.Sum([]byte("(null)")))

// digestArray continues d with the slots of a (after the type code); the
// caller checks ArrayDigestMaxLen first.
func digestArray(d *sum20, a *arrayObj) {
	var next uint64
	a.each(func(i uint64, v []byte) bool {
		for ; next < i; next++ {
			d.xorSum(&nullSum)
			*d = sha1.Sum(d[:])
		}
		d.mix(v)
		next = i + 1
		return true
	})
}
