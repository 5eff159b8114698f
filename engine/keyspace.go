package engine

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// db is one numbered database: the keyspace of the server's redisDb
// (src/server.h: dict *keys, dict *expires), in a form the garbage
// collector need not trace. Keys, and string values of at most
// inlineMaxValue bytes, live in chunks of a pointer-free arena; a record
// per key holds where, its expire time and its value's form; an
// open-addressing index holds record numbers. Only the other values (lists,
// sets, hashes, ..., long strings) are objects, in a side slice. Next to a
// map[string]object (and a map of expire times) a keyspace of small strings
// has no pointer per key for the collector to trace, and takes less memory:
// 84 bytes a key for 100 k 16-byte strings with 11-byte keys instead of
// 92.5, with an expire time 84 instead of 143.5 (BenchmarkBytesPerKey); an
// aggregate's key costs about 26 bytes more (its object's slot and a
// record).
//
// In the arena a key's bytes come first, then its value: for a string a
// 4-byte little-endian length and the bytes (the layout of pstr, so that a
// lookup hands out a pstr pointing into the arena, without allocating);
// for an integer its 8 bytes; for an object nothing. A string value
// rewritten no longer is written in place; otherwise the entry moves to the
// arena's end and leaves dead bytes, which compaction reclaims once they
// outweigh the live ones (as hdict does). Deleted records and object slots
// are reused. Iteration is in record order, which is not insertion order.
type db struct {
	chunks [][]byte      // arena; each chunk's len is its used part
	cur    int           // chunk being filled
	recs   paged[krec]   // one per key, deleted ones included
	free   []uint32      // deleted records
	objs   paged[object] // values of tagObj records
	ofree  []uint32      // nil slots of objs
	slots  []uint64      // hash<<32 | record+1; 0: empty; low half kTomb: removed
	n      int           // live keys
	tombs  int
	nexp   int // live keys with an expire time
	live   int // arena bytes of live entries
	dead   int // arena bytes of removed or moved entries
}

// krec is a key's record: its entry at arena position pos (chunk<<32 |
// offset, the value's form in the top byte), the key's length, then per
// form the value's length (tagStr), nothing (tagInt) or its index in objs
// (tagObj), and the absolute expire time (ms, or noExpire).
type krec struct {
	pos  uint64
	klen uint32 // kDead: a deleted record
	v    uint32
	exp  int64
}

const (
	tagStr = 0
	tagInt = 1
	tagObj = 2

	kDead = math.MaxUint32
	kTomb = math.MaxUint32

	// inlineMaxValue is the longest string value kept in the arena; longer
	// ones are objects, so that APPEND to a big string grows it in place
	// (amortized) instead of copying it anew each time.
	inlineMaxValue = 4096
	chunkSize      = 1 << 20
	// bigEntry is the size from which an entry gets a chunk of its own.
	bigEntry = chunkSize / 8
	// compactMin is the fewest dead bytes that make compaction worth it.
	compactMin = 1 << 20
)

var kseed = maphash.MakeSeed()

func khash(key []byte) uint32 { return uint32(maphash.Bytes(kseed, key) >> 32) }

func (r *krec) tag() int   { return int(r.pos >> 56) }
func (r *krec) chunk() int { return int(r.pos >> 32 & 0xffffff) }
func (r *krec) off() int   { return int(uint32(r.pos)) }
func (r *krec) valueSize() int { // arena bytes after the key
	switch r.tag() {
	case tagStr:
		return 4 + int(r.v)
	case tagInt:
		return 8
	}
	return 0
}

// reset empties the database.
func (d *db) reset() { *d = db{} }

func (d *db) len() int { return d.n }

func (d *db) key(r *krec) []byte {
	c, o := d.chunks[r.chunk()], r.off()
	t := o + int(r.klen)
	return c[o:t:t]
}

// object returns record r's value as an object: for a string a pstr into
// the arena (its bytes may be modified in place, as any pstr's).
func (d *db) object(r *krec) object {
	c, o := d.chunks[r.chunk()], r.off()+int(r.klen)
	switch r.tag() {
	case tagStr:
		return pstr{&c[o]}
	case tagInt:
		return intObj(binary.LittleEndian.Uint64(c[o:]))
	}
	return *d.obj(r.v)
}

// find returns the record of key, or -1 and the slot where key would go;
// h is khash(key).
func (d *db) find(key []byte, h uint32) (rec, slot int) {
	if len(d.slots) == 0 {
		return -1, -1
	}
	mask := uint32(len(d.slots) - 1)
	free := -1
	for s := h & mask; ; s = (s + 1) & mask {
		v := d.slots[s]
		switch {
		case v == 0:
			if free < 0 {
				free = int(s)
			}
			return -1, free
		case uint32(v) == kTomb:
			if free < 0 {
				free = int(s)
			}
		case uint32(v>>32) == h:
			i := int(uint32(v) - 1)
			if r := d.rec(i); int(r.klen) == len(key) && bytes.Equal(d.key(r), key) {
				return i, int(s)
			}
		}
	}
}

func (d *db) lookup(key []byte) *krec {
	if d.n == 0 {
		return nil
	}
	i, _ := d.find(key, khash(key))
	if i < 0 {
		return nil
	}
	return d.rec(i)
}

func (d *db) get(key []byte) (entry, bool) {
	r := d.lookup(key)
	if r == nil {
		return entry{}, false
	}
	return entry{obj: d.object(r), exp: r.exp}, true
}

// setExp sets the expire time of an existing key.
func (d *db) setExp(key []byte, exp int64) {
	if r := d.lookup(key); r != nil {
		d.setRecExp(r, exp)
	}
}

func (d *db) setRecExp(r *krec, exp int64) {
	if (r.exp != noExpire) != (exp != noExpire) {
		if exp != noExpire {
			d.nexp++
		} else {
			d.nexp--
		}
	}
	r.exp = exp
}

// put stores o under key with expire exp, replacing any value.
func (d *db) put(key []byte, o object, exp int64) {
	tag, b, n := inline(o)
	d.store(key, tag, b, n, o, exp, false)
}

// setKeep stores o under key, keeping the TTL of an existing key.
func (d *db) setKeep(key []byte, o object) {
	tag, b, n := inline(o)
	d.store(key, tag, b, n, o, noExpire, true)
}

// putString is put(key, newString(b), exp) without making the object of a
// short string: b is copied into the arena, as an integer where the
// server would int-encode it (tryObjectEncoding).
func (d *db) putString(key, b []byte, exp int64) {
	if n, ok := parseInt(b); ok {
		d.store(key, tagInt, nil, n, nil, exp, false)
		return
	}
	if len(b) <= inlineMaxValue {
		d.store(key, tagStr, b, 0, nil, exp, false)
		return
	}
	d.put(key, newString(b), exp)
}

// inline returns the form o takes in the arena: tagStr with its bytes,
// tagInt with its value, or tagObj.
func inline(o object) (tag int, b []byte, n int64) {
	switch x := o.(type) {
	case pstr:
		if b = x.bytes(); len(b) <= inlineMaxValue {
			return tagStr, b, 0
		}
	case strObj:
		if len(x) <= inlineMaxValue {
			return tagStr, x, 0
		}
	case intObj:
		return tagInt, nil, int64(x)
	}
	return tagObj, nil, 0
}

// store stores under key the value of form tag: the string b, the
// integer n or the object o.
func (d *db) store(key []byte, tag int, b []byte, n int64, o object, exp int64, keep bool) {
	if uint64(len(key)) >= kDead || uint64(len(b)) > math.MaxUint32 {
		panic("engine: key of 4 GiB or more")
	}
	h := khash(key)
	i, slot := d.find(key, h)
	if i < 0 {
		if (d.n+d.tombs+1)*4 > len(d.slots)*3 {
			d.rehash(d.n + 1)
			_, slot = d.find(key, h)
		}
		if uint32(d.slots[slot]) == kTomb {
			d.tombs--
		}
		var r *krec
		if k := len(d.free); k > 0 {
			i = int(d.free[k-1])
			d.free = d.free[:k-1]
			r = d.rec(i)
		} else {
			i, r = d.newRec()
		}
		*r = krec{klen: uint32(len(key)), exp: noExpire}
		d.slots[slot] = uint64(h)<<32 | uint64(i+1)
		d.n++
		d.write(r, key, tag, b, n, o)
		d.setRecExp(r, exp)
		return
	}
	r := d.rec(i)
	if !keep {
		d.setRecExp(r, exp)
	}
	old := r.tag()
	switch {
	case tag == tagStr && old == tagStr && len(b) <= int(r.v):
		c, p := d.chunks[r.chunk()], r.off()+int(r.klen)
		binary.LittleEndian.PutUint32(c[p:], uint32(len(b)))
		copy(c[p+4:], b)
		d.live -= int(r.v) - len(b)
		d.dead += int(r.v) - len(b)
		r.v = uint32(len(b))
	case tag == tagInt && old == tagInt:
		c, p := d.chunks[r.chunk()], r.off()+int(r.klen)
		binary.LittleEndian.PutUint64(c[p:], uint64(n))
	case tag == tagObj && old == tagObj:
		*d.obj(r.v) = o
	case tag == tagObj:
		// the key stays; its inline value is dead
		vs := r.valueSize()
		d.live -= vs
		d.dead += vs
		r.pos = r.pos&^(0xff<<56) | tagObj<<56
		r.v = d.addObj(o)
	default:
		// the entry moves to the arena's end (b may alias its old bytes,
		// which stay until a compaction, after this copy)
		if old == tagObj {
			d.dropObj(r.v)
		}
		size := int(r.klen) + r.valueSize()
		d.live -= size
		d.dead += size
		k := d.key(r)
		d.write(r, k, tag, b, n, o)
	}
	d.maybeCompact()
}

// write appends record r's entry (key k, then the value in form tag) to
// the arena and points r at it; r.klen is set.
func (d *db) write(r *krec, k []byte, tag int, b []byte, n int64, o object) {
	size := len(k)
	switch tag {
	case tagStr:
		size += 4 + len(b)
	case tagInt:
		size += 8
	}
	ci := d.room(size)
	c := d.chunks[ci]
	off := len(c)
	c = append(c, k...)
	switch tag {
	case tagStr:
		c = binary.LittleEndian.AppendUint32(c, uint32(len(b)))
		c = append(c, b...)
		r.v = uint32(len(b))
	case tagInt:
		c = binary.LittleEndian.AppendUint64(c, uint64(n))
	case tagObj:
		r.v = d.addObj(o)
	}
	d.chunks[ci] = c
	r.pos = uint64(tag)<<56 | uint64(ci)<<32 | uint64(off)
	d.live += size
}

// room returns a chunk with size free bytes.
func (d *db) room(size int) int {
	if len(d.chunks) > 0 {
		if c := d.chunks[d.cur]; cap(c)-len(c) >= size {
			return d.cur
		}
	}
	if len(d.chunks) >= 1<<24 {
		panic("engine: keyspace arena of 2^24 chunks")
	}
	if size >= bigEntry {
		d.chunks = append(d.chunks, make([]byte, 0, size))
		return len(d.chunks) - 1
	}
	// chunks double from 256 bytes to chunkSize: a small database stays small
	c := chunkSize
	if len(d.chunks) > 0 {
		c = min(c, 2*cap(d.chunks[d.cur]))
	} else {
		c = 256
	}
	d.chunks = append(d.chunks, make([]byte, 0, max(c, size)))
	d.cur = len(d.chunks) - 1
	return d.cur
}

// recPage is the number of elements per page of a paged slice: pages let
// the records and object slots grow without copying them all (and leaving
// the copies to the collector).
const recPage = 1 << 15

// paged is a slice in pages of recPage elements, the first of which grows
// by doubling (for small databases), the others made full-size.
type paged[T any] struct {
	pages [][]T
	n     int
}

func (p *paged[T]) at(i uint32) *T { return &p.pages[i/recPage][i%recPage] }

// push appends x and returns its index.
func (p *paged[T]) push(x T) uint32 {
	if p.n >= math.MaxUint32-1 {
		panic("engine: more than 2^32 keys or values in a database")
	}
	if k := len(p.pages); k == 0 || len(p.pages[k-1]) == recPage {
		var q []T
		if k > 0 {
			q = make([]T, 0, recPage)
		}
		p.pages = append(p.pages, q)
	}
	last := &p.pages[len(p.pages)-1]
	if len(*last) == cap(*last) {
		q := make([]T, len(*last), min(max(2*cap(*last), 8), recPage))
		copy(q, *last)
		*last = q
	}
	*last = append(*last, x)
	p.n++
	return uint32(p.n - 1)
}

func (d *db) rec(i int) *krec { return d.recs.at(uint32(i)) }

// newRec appends a record.
func (d *db) newRec() (int, *krec) {
	i := d.recs.push(krec{})
	return int(i), d.recs.at(i)
}

func (d *db) obj(i uint32) *object { return d.objs.at(i) }

func (d *db) addObj(o object) uint32 {
	if k := len(d.ofree); k > 0 {
		i := d.ofree[k-1]
		d.ofree = d.ofree[:k-1]
		*d.obj(i) = o
		return i
	}
	return d.objs.push(o)
}

func (d *db) dropObj(i uint32) {
	*d.obj(i) = nil
	d.ofree = append(d.ofree, i)
}

func (d *db) del(key []byte) bool {
	if d.n == 0 {
		return false
	}
	i, slot := d.find(key, khash(key))
	if i < 0 {
		return false
	}
	d.slots[slot] = uint64(kTomb)
	d.tombs++
	r := d.rec(i)
	if r.tag() == tagObj {
		d.dropObj(r.v)
	}
	d.setRecExp(r, noExpire)
	size := int(r.klen) + r.valueSize()
	d.live -= size
	d.dead += size
	*r = krec{klen: kDead}
	d.free = append(d.free, uint32(i))
	d.n--
	if d.n == 0 {
		d.reset()
		return true
	}
	d.maybeCompact()
	return true
}

// maybeCompact rewrites the arena once dead bytes outweigh live ones.
func (d *db) maybeCompact() {
	if d.dead > max(d.live, compactMin) {
		d.compact()
	}
}

func (d *db) compact() {
	old := d.chunks
	d.chunks, d.cur = nil, 0
	d.live, d.dead = 0, 0
	for i := range d.recs.n {
		r := d.rec(i)
		if r.klen == kDead {
			continue
		}
		c, o := old[r.chunk()], r.off()
		size := int(r.klen) + r.valueSize()
		ci := d.room(size)
		off := len(d.chunks[ci])
		d.chunks[ci] = append(d.chunks[ci], c[o:o+size]...)
		r.pos = r.pos&(0xff<<56) | uint64(ci)<<32 | uint64(off)
		d.live += size
	}
}

// rehash rebuilds the index for at least n keys (twice the slots of a full
// index, the same number when removed keys' slots filled it): the hashes
// kept in the slots place them, without reading the keys.
func (d *db) rehash(n int) {
	old := d.slots
	d.slots = make([]uint64, slotsFor(max(n, d.n)))
	d.tombs = 0
	mask := uint32(len(d.slots) - 1)
	for _, v := range old {
		if v == 0 || uint32(v) == kTomb {
			continue
		}
		s := uint32(v>>32) & mask
		for d.slots[s] != 0 {
			s = (s + 1) & mask
		}
		d.slots[s] = v
	}
}

// presize gives an empty database room for n keys.
func (d *db) presize(n int) {
	if d.n > 0 || n <= 0 {
		return
	}
	d.slots = make([]uint64, slotsFor(n))
	d.recs.pages = [][]krec{make([]krec, 0, min(n, recPage))}
}

// each calls fn for every key, in record order, until it returns false;
// key and a string o point into the arena (valid until the keyspace
// changes).
func (d *db) each(fn func(key []byte, o object, exp int64) bool) {
	for i := range d.recs.n {
		r := d.rec(i)
		if r.klen == kDead {
			continue
		}
		if !fn(d.key(r), d.object(r), r.exp) {
			return
		}
	}
}

// typed returns key's object if it has kind k, nil if the key is missing,
// and errWrongType otherwise.
func (d *db) typed(key []byte, k rdbfile.Kind) (object, error) {
	r := d.lookup(key)
	if r == nil {
		return nil, nil
	}
	if r.tag() != tagObj {
		if k != kindString {
			return nil, errWrongType
		}
		return d.object(r), nil
	}
	o := *d.obj(r.v)
	if o.kind() != k {
		return nil, errWrongType
	}
	return o, nil
}

// deleteIfEmpty removes key if its aggregate value has no elements.
func (d *db) deleteIfEmpty(key []byte, o object) {
	if o.length() == 0 {
		d.del(key)
	}
}
