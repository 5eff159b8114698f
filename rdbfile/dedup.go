package rdbfile

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
)

// dedup is a reusable set of byte strings used to detect duplicate members
// and fields, the way Redis's loader and its deep sanitization do (a dict
// per value in Redis src/rdb.c, lpValidateIntegrityAndDups in
// src/listpack.c).
//
// The open-addressing table holds one 8-byte word a slot: the top 32 bits of
// the string's hash as a tag and, below them, 1 + the string's index in ents
// (0 = empty). An insert therefore writes one random slot; where the string
// lives is appended to ents in insertion order, read only when a tag
// matches, and every tag match is confirmed byte for byte, so hashes decide
// speed, never a verdict. Strings added with add are copied into one arena,
// so adding costs no allocation per element; strings added with addRef are
// remembered by their position in the blob being walked. A new set (reset)
// clears a table sized for its expected count, so its cost follows the size
// of the value, not of the largest value seen.
type dedup struct {
	seed           maphash.Seed
	k0, k1, k2, k3 uint64 // keys of the inline hash, drawn from seed
	init           bool
	slots          []uint64 // table; len is a power of two, the table's size
	ents           []span   // ents[i]: where the i-th string added lives
	limit          int      // grow (or stop remembering) once len(ents) reaches it
	arena          []byte
	blob           []byte // strings added with addRef live here (the blob being walked)
}

// span locates a string: blob[off:off+n] when ref, else arena[off:off+n].
type span struct {
	off uint64
	n   uint32
	ref bool
}

const (
	dedupMinSlots = 16
	dedupMaxSlots = 1 << 20 // the largest table reset presizes
)

// dedupMaxEnts is the most strings one set remembers: the slot word holds
// 1 + an index in 32 bits. A variable so that a test can lower it.
var dedupMaxEnts = 1<<32 - 2

// dedupHashMask is ANDed into every hash. Tests narrow it to force tag
// collisions and long probe runs; it is all ones otherwise.
var dedupHashMask = ^uint64(0)

// reset starts a new set expected to hold about hint strings.
func (d *dedup) reset(hint int) {
	if !d.init {
		d.seed = maphash.MakeSeed()
		d.k0 = maphash.Comparable(d.seed, uint64(1)) | 1
		d.k1 = maphash.Comparable(d.seed, uint64(2))
		d.k2 = maphash.Comparable(d.seed, uint64(3)) | 1
		d.k3 = maphash.Comparable(d.seed, uint64(4))
		d.init = true
	}
	size := dedupMinSlots
	for size < 4*hint && size < dedupMaxSlots {
		size <<= 1
	}
	if cap(d.slots) > 1<<18 && size < 1<<12 {
		d.slots, d.ents = nil, nil // do not keep a huge table around for small keys
	}
	if cap(d.slots) < size {
		d.slots = make([]uint64, size)
	} else {
		d.slots = d.slots[:size]
		clear(d.slots)
	}
	if cap(d.arena) > 64<<20 {
		d.arena = nil
	}
	d.limit, d.ents, d.arena, d.blob = min(size/4, dedupMaxEnts), d.ents[:0], d.arena[:0], nil
}

// setBlob names the blob that addRef strings point into, for this set.
func (d *dedup) setBlob(b []byte) { d.blob = b }

// bytesOf returns the bytes of the i-th string added.
func (d *dedup) bytesOf(i uint32) []byte {
	s := d.ents[i]
	if s.ref {
		return d.blob[s.off : s.off+uint64(s.n)]
	}
	return d.arena[s.off : s.off+uint64(s.n)]
}

// hash returns b's hash. Up to 32 bytes (most members and fields) it is an
// inline keyed multiply-mix of overlapping 8-byte loads (the shape of
// wyhash's short-input path); longer strings use maphash. Both are keyed
// per process.
func (d *dedup) hash(b []byte) uint64 {
	n := len(b)
	var x, y uint64
	switch {
	case n > 32:
		return maphash.Bytes(d.seed, b) & dedupHashMask
	case n > 16:
		hi, lo := bits.Mul64(binary.LittleEndian.Uint64(b)^d.k2, binary.LittleEndian.Uint64(b[8:])^d.k3)
		x = binary.LittleEndian.Uint64(b[n-16:]) ^ hi
		y = binary.LittleEndian.Uint64(b[n-8:]) ^ lo
	case n >= 8:
		x, y = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		x, y = uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		x = uint64(b[0])<<16 | uint64(b[n>>1])<<8 | uint64(b[n-1])
	}
	hi, lo := bits.Mul64(x^d.k0, y^d.k1^uint64(n))
	return (hi ^ lo) & dedupHashMask
}

// addRef is add for a string that is a subslice of the blob given to
// setBlob: it is remembered by its position instead of being copied. Other
// strings fall back to add.
func (d *dedup) addRef(b []byte) bool {
	off := cap(d.blob) - cap(b)
	if len(b) == 0 || off < 0 || off+len(b) > len(d.blob) || &d.blob[off] != &b[0] {
		return d.add(b)
	}
	return d.insert(b, uint64(off), true)
}

// add inserts b and reports whether it was new.
func (d *dedup) add(b []byte) bool {
	if !d.init {
		d.reset(0)
	}
	return d.insert(b, 0, false)
}

// insert looks b up and, when it is new, remembers it: at blob offset off
// when ref, else as a copy in the arena. The table grows first if one more
// string would make it over a quarter full. Past dedupMaxEnts strings in
// one set no new string is remembered: strings are still found among the
// ones remembered, and any other counts as new.
func (d *dedup) insert(b []byte, off uint64, ref bool) bool {
	full := false
	if len(d.ents) >= d.limit {
		if full = len(d.ents) >= dedupMaxEnts; !full {
			d.grow()
		}
	}
	h := d.hash(b)
	tag := h &^ (1<<32 - 1)
	mask := uint64(len(d.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := d.slots[i]
		if s == 0 {
			if full {
				return true
			}
			if !ref {
				off = uint64(len(d.arena))
				d.arena = append(d.arena, b...)
			}
			d.ents = append(d.ents, span{off, uint32(len(b)), ref})
			d.slots[i] = tag | uint64(len(d.ents))
			return true
		}
		if s&^(1<<32-1) == tag && bytes.Equal(d.bytesOf(uint32(s)-1), b) {
			return false
		}
	}
}

// grow doubles the table and re-inserts every string by its stored hash.
func (d *dedup) grow() {
	size := 2 * len(d.slots)
	if cap(d.slots) >= size {
		d.slots = d.slots[:size]
		clear(d.slots)
	} else {
		d.slots = make([]uint64, size)
	}
	d.limit = min(size/4, dedupMaxEnts)
	mask := uint64(size - 1)
	for j := range d.ents {
		h := d.hash(d.bytesOf(uint32(j)))
		i := h & mask
		for d.slots[i] != 0 {
			i = (i + 1) & mask
		}
		d.slots[i] = h&^(1<<32-1) | uint64(j+1)
	}
}
