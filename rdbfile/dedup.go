package rdbfile

import (
	"bytes"
	"hash/maphash"
)

// dedup is a reusable set of byte strings used to detect duplicate members
// and fields. It stores 64-bit hashes in an open-addressing table and the
// strings themselves in one arena, so adding costs no allocation per element
// and a hash collision is always confirmed byte for byte. Slots carry a
// generation number, so starting a new key costs O(1) however large the
// previous key was.
type dedup struct {
	seed  maphash.Seed
	init  bool
	slots []slot
	size  int // slots in use: a power of two prefix of slots
	gen   uint32
	arena []byte
	n     int
	tmp   []slot
	blob  []byte // strings added with addRef live here (the blob being walked)
}

type slot struct {
	h        uint64
	off, end uint32
	gen      uint32 // slot is live only when gen == dedup.gen
	ref      bool   // bytes are blob[off:end], not arena[off:end]
}

// reset starts a new set expected to hold about hint strings.
func (d *dedup) reset(hint int) {
	if !d.init {
		d.seed = maphash.MakeSeed()
		d.init = true
	}
	size := 16
	for size < 2*hint && size < 1<<20 {
		size <<= 1
	}
	if len(d.slots) > 1<<18 && size < 1<<12 {
		d.slots = nil // do not keep a huge table around for small keys
	}
	if len(d.slots) < size {
		d.slots = make([]slot, size)
		d.gen = 0
	}
	d.gen++
	if d.gen == 0 { // wrapped: stale generations could look live again
		clear(d.slots)
		d.gen = 1
	}
	if cap(d.arena) > 64<<20 {
		d.arena = nil
	}
	d.size, d.n, d.arena, d.blob = size, 0, d.arena[:0], nil
}

// setBlob names the blob that addRef strings point into, for this set.
func (d *dedup) setBlob(b []byte) { d.blob = b }

// bytesOf returns the bytes a slot stands for.
func (d *dedup) bytesOf(s *slot) []byte {
	if s.ref {
		return d.blob[s.off:s.end]
	}
	return d.arena[s.off:s.end]
}

// addRef is add for a string that is a subslice of the blob given to
// setBlob: it is remembered by its position instead of being copied. Other
// strings fall back to add.
func (d *dedup) addRef(b []byte) bool {
	off := cap(d.blob) - cap(b)
	if len(b) == 0 || off < 0 || off+len(b) > len(d.blob) || &d.blob[off] != &b[0] {
		return d.add(b)
	}
	if 2*(d.n+1) > d.size {
		d.grow()
	}
	h := maphash.Bytes(d.seed, b)
	mask := uint64(d.size - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &d.slots[i]
		if s.gen != d.gen {
			*s = slot{h: h, off: uint32(off), end: uint32(off + len(b)), gen: d.gen, ref: true}
			d.n++
			return true
		}
		if s.h == h && bytes.Equal(d.bytesOf(s), b) {
			return false
		}
	}
}

// add inserts b and reports whether it was new.
func (d *dedup) add(b []byte) bool {
	if !d.init {
		d.reset(0)
	}
	if 2*(d.n+1) > d.size {
		d.grow()
	}
	h := maphash.Bytes(d.seed, b)
	mask := uint64(d.size - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &d.slots[i]
		if s.gen != d.gen {
			off := uint32(len(d.arena))
			d.arena = append(d.arena, b...)
			*s = slot{h: h, off: off, end: uint32(len(d.arena)), gen: d.gen}
			d.n++
			return true
		}
		if s.h == h && bytes.Equal(d.bytesOf(s), b) {
			return false
		}
	}
}

// grow doubles the table, re-inserting the live slots.
func (d *dedup) grow() {
	d.tmp = d.tmp[:0]
	for _, s := range d.slots[:d.size] {
		if s.gen == d.gen {
			d.tmp = append(d.tmp, s)
		}
	}
	d.size *= 2
	if len(d.slots) < d.size {
		d.slots = make([]slot, d.size)
		d.gen = 0
	}
	d.gen++
	if d.gen == 0 {
		clear(d.slots)
		d.gen = 1
	}
	mask := uint64(d.size - 1)
	for _, s := range d.tmp {
		s.gen = d.gen
		for i := s.h & mask; ; i = (i + 1) & mask {
			if d.slots[i].gen != d.gen {
				d.slots[i] = s
				break
			}
		}
	}
}
