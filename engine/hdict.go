package engine

import (
	"bytes"
	"hash/maphash"
	"math"
)

// hdict is the form of a big hash (the server's hashtable encoding): the
// field/value bytes in one arena, a record per field and an open-addressing
// index of record numbers. Next to a map[string]hval it needs about 40
// bytes less per field and has no pointer per field for the garbage
// collector to trace. Iteration is in insertion order.
//
// A removed field leaves a dead record and dead bytes; a value changing size
// is appended anew. Both are reclaimed by compact once they outweigh the
// live ones.
type hdict struct {
	data  []byte
	ents  []hent
	exps  []int64  // per record; nil while no field has an expire time
	slots []uint32 // record number + 1; 0: empty; hTomb: removed
	n     int      // live fields
	tombs int      // hTomb slots
	dead  int      // dead bytes in data
}

// hent is a field's record: the field at data[off:], its value right after.
type hent struct {
	off        uint64
	flen, vlen uint32 // flen == hDead: removed
}

const (
	hDead = math.MaxUint32
	hTomb = math.MaxUint32
)

var hseed = maphash.MakeSeed()

// newHdict returns an empty dict sized for n fields of nb bytes in total.
func newHdict(n, nb int) *hdict {
	d := &hdict{data: make([]byte, 0, nb), ents: make([]hent, 0, n)}
	d.slots = make([]uint32, slotsFor(n))
	return d
}

// slotsFor returns the index size for n fields: a power of two, at most 3/4
// full.
func slotsFor(n int) int {
	s := 8
	for s*3 < n*4 {
		s <<= 1
	}
	return s
}

func (d *hdict) len() int { return d.n }

func (d *hdict) field(i int) []byte {
	e := &d.ents[i]
	t := e.off + uint64(e.flen)
	return d.data[e.off:t:t]
}

func (d *hdict) value(i int) []byte {
	e := &d.ents[i]
	s := e.off + uint64(e.flen)
	t := s + uint64(e.vlen)
	return d.data[s:t:t]
}

func (d *hdict) exp(i int) int64 {
	if d.exps == nil {
		return noExpire
	}
	return d.exps[i]
}

// find returns the record of f, or -1 and the slot where f would go.
func (d *hdict) find(f []byte) (rec, slot int) {
	mask := uint64(len(d.slots) - 1)
	free := -1
	for s := maphash.Bytes(hseed, f) & mask; ; s = (s + 1) & mask {
		v := d.slots[s]
		switch {
		case v == 0:
			if free < 0 {
				free = int(s)
			}
			return -1, free
		case v == hTomb:
			if free < 0 {
				free = int(s)
			}
		default:
			i := int(v - 1)
			if e := &d.ents[i]; int(e.flen) == len(f) && bytes.Equal(d.field(i), f) {
				return i, int(s)
			}
		}
	}
}

func (d *hdict) get(f []byte) ([]byte, int64, bool) {
	i, _ := d.find(f)
	if i < 0 {
		return nil, noExpire, false
	}
	return d.value(i), d.exp(i), true
}

// add appends a field known to be absent (both copied).
func (d *hdict) add(f, v []byte, exp int64) {
	if (d.n+d.tombs+1)*4 > len(d.slots)*3 {
		d.rehash(d.n + 1)
	}
	_, slot := d.find(f)
	if d.slots[slot] == hTomb {
		d.tombs--
	}
	d.slots[slot] = uint32(len(d.ents) + 1)
	d.push(f, v, exp)
	d.n++
}

// push appends a record (no index update).
func (d *hdict) push(f, v []byte, exp int64) {
	if uint64(len(f)) >= hDead || uint64(len(v)) > math.MaxUint32 {
		panic("engine: hash field or value of 4 GiB or more")
	}
	off := uint64(len(d.data))
	d.data = append(d.data, f...)
	d.data = append(d.data, v...)
	d.ents = append(d.ents, hent{off: off, flen: uint32(len(f)), vlen: uint32(len(v))})
	if d.exps != nil || exp != noExpire {
		if d.exps == nil {
			d.exps = make([]int64, len(d.ents)-1, cap(d.ents))
			for j := range d.exps {
				d.exps[j] = noExpire
			}
		}
		d.exps = append(d.exps, exp)
	}
}

// set stores f=v with expire exp and reports whether the field is new.
func (d *hdict) set(f, v []byte, exp int64) bool {
	i, _ := d.find(f)
	if i < 0 {
		d.add(f, v, exp)
		return true
	}
	e := &d.ents[i]
	if int(e.vlen) == len(v) {
		copy(d.value(i), v)
	} else {
		if uint64(len(v)) > math.MaxUint32 {
			panic("engine: hash value of 4 GiB or more")
		}
		d.dead += int(e.flen) + int(e.vlen)
		off := uint64(len(d.data))
		d.data = append(d.data, f...)
		d.data = append(d.data, v...)
		e.off, e.vlen = off, uint32(len(v))
	}
	d.setExp(i, exp)
	d.maybeCompact()
	return false
}

func (d *hdict) setExp(i int, exp int64) {
	if d.exps == nil {
		if exp == noExpire {
			return
		}
		d.exps = make([]int64, len(d.ents), cap(d.ents))
		for j := range d.exps {
			d.exps[j] = noExpire
		}
	}
	d.exps[i] = exp
}

// setExpire changes the expire time of an existing field.
func (d *hdict) setExpire(f []byte, exp int64) {
	if i, _ := d.find(f); i >= 0 {
		d.setExp(i, exp)
	}
}

func (d *hdict) remove(f []byte) bool {
	i, slot := d.find(f)
	if i < 0 {
		return false
	}
	d.slots[slot] = hTomb
	d.tombs++
	e := &d.ents[i]
	d.dead += int(e.flen) + int(e.vlen)
	e.flen, e.vlen = hDead, 0
	d.n--
	d.maybeCompact()
	return true
}

// maybeCompact drops dead records and bytes once they outweigh live ones.
func (d *hdict) maybeCompact() {
	if len(d.ents)-d.n > max(d.n, 16) || d.dead > max(len(d.data)-d.dead, 4096) {
		d.compact()
	}
}

func (d *hdict) compact() {
	nd := newHdict(d.n, len(d.data)-d.dead)
	if d.exps != nil {
		nd.exps = make([]int64, 0, d.n)
	}
	for i := range d.ents {
		if d.ents[i].flen == hDead {
			continue
		}
		nd.ents = append(nd.ents, hent{off: uint64(len(nd.data)), flen: d.ents[i].flen, vlen: d.ents[i].vlen})
		nd.data = append(nd.data, d.field(i)...)
		nd.data = append(nd.data, d.value(i)...)
		if d.exps != nil {
			nd.exps = append(nd.exps, d.exps[i])
		}
	}
	nd.n = d.n
	nd.reindex()
	*d = *nd
}

// rehash rebuilds the index for at least n fields: the smallest power of
// two at most 3/4 full, so a full index doubles (slotsFor(2n) at 3/4 load
// quadrupled it) and one full of tombstones keeps its size or shrinks.
func (d *hdict) rehash(n int) {
	if len(d.ents)-d.n > d.n/2 {
		d.compact()
	}
	d.slots = make([]uint32, slotsFor(max(n, d.n)))
	d.reindex()
}

// reindex fills the (empty) index from the live records.
func (d *hdict) reindex() {
	clear(d.slots)
	d.tombs = 0
	mask := uint64(len(d.slots) - 1)
	for i := range d.ents {
		if d.ents[i].flen == hDead {
			continue
		}
		s := maphash.Bytes(hseed, d.field(i)) & mask
		for d.slots[s] != 0 {
			s = (s + 1) & mask
		}
		d.slots[s] = uint32(i + 1)
	}
}

// each calls fn for every field in insertion order until it returns false.
func (d *hdict) each(fn func(f, v []byte, exp int64) bool) {
	for i := range d.ents {
		if d.ents[i].flen == hDead {
			continue
		}
		if !fn(d.field(i), d.value(i), d.exp(i)) {
			return
		}
	}
}

func (d *hdict) clone() *hdict {
	c := *d
	c.data = clone(d.data)
	c.ents = append([]hent(nil), d.ents...)
	c.slots = append([]uint32(nil), d.slots...)
	if d.exps != nil {
		c.exps = append([]int64(nil), d.exps...)
	}
	return &c
}
