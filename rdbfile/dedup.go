package rdbfile

import (
	"bytes"
	"hash/maphash"
)

// dedup is a reusable set of byte strings used to detect duplicate members
// and fields. It stores 64-bit hashes in an open-addressing table and the
// strings themselves in one arena, so adding costs no allocation per element
// and a hash collision is always confirmed byte for byte.
type dedup struct {
	seed  maphash.Seed
	init  bool
	slots []slot
	arena []byte
	n     int
}

type slot struct {
	h        uint64 // 0 = empty
	off, end uint32
}

func (d *dedup) reset() {
	if !d.init {
		d.seed = maphash.MakeSeed()
		d.init = true
	}
	if d.n > 0 {
		if len(d.slots) > 1<<16 {
			d.slots = nil // do not keep a huge table for the next key
			d.arena = nil
		} else {
			clear(d.slots)
		}
	}
	d.arena = d.arena[:0]
	d.n = 0
}

// add inserts b and reports whether it was new.
func (d *dedup) add(b []byte) bool {
	if !d.init {
		d.reset()
	}
	if 2*(d.n+1) > len(d.slots) {
		d.grow()
	}
	h := maphash.Bytes(d.seed, b) | 1
	mask := uint64(len(d.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &d.slots[i]
		if s.h == 0 {
			off := uint32(len(d.arena))
			d.arena = append(d.arena, b...)
			*s = slot{h: h, off: off, end: uint32(len(d.arena))}
			d.n++
			return true
		}
		if s.h == h && bytes.Equal(d.arena[s.off:s.end], b) {
			return false
		}
	}
}

func (d *dedup) grow() {
	n := max(64, 2*len(d.slots))
	old := d.slots
	d.slots = make([]slot, n)
	mask := uint64(n - 1)
	for _, s := range old {
		if s.h == 0 {
			continue
		}
		for i := s.h & mask; ; i = (i + 1) & mask {
			if d.slots[i].h == 0 {
				d.slots[i] = s
				break
			}
		}
	}
}
