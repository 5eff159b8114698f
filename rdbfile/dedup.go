package rdbfile

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math/bits"
)

// dedup is a reusable set of byte strings used to detect duplicate members
// and fields. The open-addressing table holds only 64-bit hashes (8 bytes a
// slot, 0 = empty), so a key's probes touch few cache lines; where each
// string lives is kept in a parallel array read only when hashes match, and
// every hash match is confirmed byte for byte. Strings added with add are
// copied into one arena, so adding costs no allocation per element; strings
// added with addRef are remembered by their position in the blob being
// walked. A new set (reset) clears a table sized for its expected count, so
// its cost follows the size of the value, not of the largest value seen.
type dedup struct {
	seed  maphash.Seed
	k0    uint64 // keys of the short-string hash, drawn from seed
	k1    uint64
	init  bool
	hs    []uint64 // hash table; hs[i] == 0 means empty
	at    []span   // at[i]: where the string of hs[i] lives
	size  int      // slots in use: a power-of-two prefix of hs and at
	n     int
	arena []byte
	blob  []byte // strings added with addRef live here (the blob being walked)
}

// span locates a string: blob[off:end] when ref, else arena[off:end].
type span struct {
	off, end uint32
	ref      bool
}

const dedupMaxSlots = 1 << 20 // the largest table reset presizes

// reset starts a new set expected to hold about hint strings.
func (d *dedup) reset(hint int) {
	if !d.init {
		d.seed = maphash.MakeSeed()
		d.k0 = maphash.Comparable(d.seed, uint64(1)) | 1
		d.k1 = maphash.Comparable(d.seed, uint64(2))
		d.init = true
	}
	size := 16
	for size < 2*hint && size < dedupMaxSlots {
		size <<= 1
	}
	if len(d.hs) > 1<<18 && size < 1<<12 {
		d.hs, d.at = nil, nil // do not keep a huge table around for small keys
	}
	if len(d.hs) < size {
		d.hs, d.at = make([]uint64, size), make([]span, size)
	} else {
		clear(d.hs[:size])
	}
	if cap(d.arena) > 64<<20 {
		d.arena = nil
	}
	d.size, d.n, d.arena, d.blob = size, 0, d.arena[:0], nil
}

// setBlob names the blob that addRef strings point into, for this set.
func (d *dedup) setBlob(b []byte) { d.blob = b }

// bytesOf returns the bytes of the string in slot i.
func (d *dedup) bytesOf(i uint64) []byte {
	s := d.at[i]
	if s.ref {
		return d.blob[s.off:s.end]
	}
	return d.arena[s.off:s.end]
}

// hash returns b's hash with the top bit set, so that no hash is 0. Up to
// 16 bytes (most members and fields) it is an inline keyed multiply-mix of
// two overlapping loads (the shape of wyhash's short-input path); longer
// strings use maphash. Both are keyed per process, and a hash match is
// always confirmed byte for byte, so the hash decides speed, never a verdict.
func (d *dedup) hash(b []byte) uint64 {
	n := len(b)
	var x, y uint64
	switch {
	case n > 16:
		return maphash.Bytes(d.seed, b) | 1<<63
	case n >= 8:
		x, y = binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[n-8:])
	case n >= 4:
		x, y = uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[n-4:]))
	case n > 0:
		x = uint64(b[0])<<16 | uint64(b[n>>1])<<8 | uint64(b[n-1])
	}
	hi, lo := bits.Mul64(x^d.k0, y^d.k1^uint64(n))
	return (hi ^ lo) | 1<<63
}

// addRef is add for a string that is a subslice of the blob given to
// setBlob: it is remembered by its position instead of being copied. Other
// strings fall back to add.
func (d *dedup) addRef(b []byte) bool {
	off := cap(d.blob) - cap(b)
	if len(b) == 0 || off < 0 || off+len(b) > len(d.blob) || &d.blob[off] != &b[0] {
		return d.add(b)
	}
	i, fresh := d.find(b)
	if fresh {
		d.hs[i.slot] = i.h
		d.at[i.slot] = span{uint32(off), uint32(off + len(b)), true}
		d.n++
	}
	return fresh
}

// add inserts b and reports whether it was new.
func (d *dedup) add(b []byte) bool {
	if !d.init {
		d.reset(0)
	}
	i, fresh := d.find(b)
	if fresh {
		off := uint32(len(d.arena))
		d.arena = append(d.arena, b...)
		d.hs[i.slot] = i.h
		d.at[i.slot] = span{off, uint32(len(d.arena)), false}
		d.n++
	}
	return fresh
}

type probe struct {
	slot uint64
	h    uint64
}

// find looks b up, growing the table first if one more string would make
// it over half full. It returns b's slot: the empty slot to fill (fresh) or
// the slot holding an equal string.
func (d *dedup) find(b []byte) (probe, bool) {
	if 2*(d.n+1) > d.size {
		d.grow()
	}
	h := d.hash(b)
	mask := uint64(d.size - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch d.hs[i] {
		case 0:
			return probe{i, h}, true
		case h:
			if bytes.Equal(d.bytesOf(i), b) {
				return probe{i, h}, false
			}
		}
	}
}

// grow doubles the table, re-inserting the live slots.
func (d *dedup) grow() {
	oldH := append([]uint64(nil), d.hs[:d.size]...)
	oldAt := append([]span(nil), d.at[:d.size]...)
	d.size *= 2
	if len(d.hs) < d.size {
		d.hs, d.at = make([]uint64, d.size), make([]span, d.size)
	} else {
		clear(d.hs[:d.size])
	}
	mask := uint64(d.size - 1)
	for j, h := range oldH {
		if h == 0 {
			continue
		}
		i := h & mask
		for d.hs[i] != 0 {
			i = (i + 1) & mask
		}
		d.hs[i], d.at[i] = h, oldAt[j]
	}
}
