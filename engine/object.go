package engine

import (
	"encoding/binary"
	"math"
	"strconv"
	"unsafe"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Shorthands for the logical types.
const (
	kindString = rdbfile.KindString
	kindList   = rdbfile.KindList
	kindSet    = rdbfile.KindSet
	kindZSet   = rdbfile.KindZSet
	kindHash   = rdbfile.KindHash
	kindStream = rdbfile.KindStream
)

// object is a value of the keyspace.
type object interface {
	kind() rdbfile.Kind
	length() int // elements (1 for strings)
	dup() object // deep copy (COPY)
}

// Strings: intObj where the server would keep an integer encoding
// (canonical int64 text of at most 20 bytes), strObj otherwise.
type (
	strObj []byte
	intObj int64
)

func (strObj) kind() rdbfile.Kind     { return rdbfile.KindString }
func (strObj) length() int            { return 1 }
func (s strObj) dup() object          { return strObj(clone(s)) }
func (intObj) kind() rdbfile.Kind     { return rdbfile.KindString }
func (intObj) length() int            { return 1 }
func (i intObj) dup() object          { return i }
func (i intObj) text(b []byte) []byte { return strconv.AppendInt(b, int64(i), 10) }

// newString returns the string object for b (copied), int-encoded when
// the server would (tryObjectEncoding).
func newString(b []byte) object {
	if n, ok := parseInt(b); ok {
		return intObj(n)
	}
	if uint64(len(b)) <= math.MaxUint32 {
		return newPstr(b)
	}
	return strObj(clone(b))
}

// pstr is a string value in a single allocation: a 4-byte little-endian
// length, then the bytes. Being pointer-shaped, it is stored in an object
// interface without the extra allocation a slice needs, which matters for
// keyspaces of millions of small strings (SET-heavy AOFs). It behaves as a
// strObj with no spare capacity: its bytes may be modified in place, and
// anything that grows them makes a strObj.
type pstr struct{ p *byte }

func newPstr(b []byte) pstr {
	buf := make([]byte, 4+len(b))
	binary.LittleEndian.PutUint32(buf, uint32(len(b)))
	copy(buf[4:], b)
	return pstr{&buf[0]}
}

// bytes returns the string's bytes (len == cap).
func (c pstr) bytes() []byte {
	n := int(binary.LittleEndian.Uint32(unsafe.Slice(c.p, 4)))
	if n == 0 {
		return []byte{} // a pointer past the 4-byte allocation would be invalid
	}
	return unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(c.p), 4)), n)
}

func (pstr) kind() rdbfile.Kind { return rdbfile.KindString }
func (pstr) length() int        { return 1 }
func (c pstr) dup() object      { return newPstr(c.bytes()) }

// strBytes returns the text of a string object; buf is scratch space for
// integers.
func strBytes(o object, buf []byte) []byte {
	switch s := o.(type) {
	case strObj:
		return s
	case pstr:
		return s.bytes()
	case intObj:
		return s.text(buf[:0])
	}
	return nil
}

// moduleObj is a module value kept opaque, as read from an RDB file.
type moduleObj struct{ mv *rdbfile.ModuleValue }

func (*moduleObj) kind() rdbfile.Kind { return rdbfile.KindModule }
func (*moduleObj) length() int        { return 1 }
func (m *moduleObj) dup() object      { c := *m.mv; return &moduleObj{mv: &c} }

// opaqueObj keeps a value the engine only stores (GCRA rate limiters) as
// loaded.
type opaqueObj struct{ v *rdbfile.Value }

func (o *opaqueObj) kind() rdbfile.Kind { return o.v.Kind }
func (o *opaqueObj) length() int        { return 1 }
func (o *opaqueObj) dup() object        { return &opaqueObj{v: o.v} }

// Lists: a sequence of packed nodes (the server's quicklist of listpacks).

const (
	listNodeMaxEntries = 128
	listNodeMaxBytes   = 8192
)

type listObj struct {
	nodes []*pack
	n     int
}

func (*listObj) kind() rdbfile.Kind { return rdbfile.KindList }
func (l *listObj) length() int      { return l.n }
func (l *listObj) dup() object {
	c := &listObj{n: l.n, nodes: make([]*pack, len(l.nodes))}
	for i, nd := range l.nodes {
		p := nd.clone()
		c.nodes[i] = &p
	}
	return c
}

func nodeFull(p *pack, add int) bool {
	return p.len() > 0 && (p.len() >= listNodeMaxEntries || p.bytes()+add > listNodeMaxBytes)
}

func (l *listObj) pushBack(b []byte) {
	if len(l.nodes) == 0 || nodeFull(l.nodes[len(l.nodes)-1], len(b)) {
		l.nodes = append(l.nodes, &pack{})
	}
	l.nodes[len(l.nodes)-1].push(b)
	l.n++
}

func (l *listObj) pushFront(b []byte) {
	if len(l.nodes) == 0 || nodeFull(l.nodes[0], len(b)) {
		l.nodes = append(l.nodes, nil)
		copy(l.nodes[1:], l.nodes)
		l.nodes[0] = &pack{}
	}
	l.nodes[0].insert(0, b)
	l.n++
}

// locate returns the node index and offset of element i (0 ≤ i < n).
func (l *listObj) locate(i int) (int, int) {
	if i > l.n/2 {
		j := l.n
		for k := len(l.nodes) - 1; k >= 0; k-- {
			j -= l.nodes[k].len()
			if i >= j {
				return k, i - j
			}
		}
	}
	for k, nd := range l.nodes {
		if i < nd.len() {
			return k, i
		}
		i -= nd.len()
	}
	return -1, 0
}

func (l *listObj) at(i int) []byte {
	k, j := l.locate(i)
	return l.nodes[k].at(j)
}

func (l *listObj) set(i int, b []byte) {
	k, j := l.locate(i)
	l.nodes[k].set(j, b)
}

// insert makes b element i (0 ≤ i ≤ n).
func (l *listObj) insert(i int, b []byte) {
	if i == 0 {
		l.pushFront(b)
		return
	}
	if i == l.n {
		l.pushBack(b)
		return
	}
	k, j := l.locate(i)
	nd := l.nodes[k]
	if nodeFull(nd, len(b)) {
		// Split the node in two halves.
		h := nd.len() / 2
		right := &pack{}
		for x := h; x < nd.len(); x++ {
			right.push(nd.at(x))
		}
		nd.remove(h, nd.len())
		l.nodes = append(l.nodes, nil)
		copy(l.nodes[k+2:], l.nodes[k+1:])
		l.nodes[k+1] = right
		if j >= h {
			nd, j = right, j-h
		}
	}
	nd.insert(j, b)
	l.n++
}

// removeRange deletes elements [i, j).
func (l *listObj) removeRange(i, j int) {
	if i >= j {
		return
	}
	l.n -= j - i
	pos := 0
	out := l.nodes[:0]
	for _, nd := range l.nodes {
		s, t := pos, pos+nd.len()
		pos = t
		a, b := max(i, s), min(j, t)
		if a < b {
			nd.remove(a-s, b-s)
		}
		if nd.len() > 0 {
			out = append(out, nd)
		}
	}
	for k := len(out); k < len(l.nodes); k++ {
		l.nodes[k] = nil
	}
	l.nodes = out
}

// each calls fn for every element head to tail until fn returns false.
func (l *listObj) each(fn func(b []byte) bool) {
	for _, nd := range l.nodes {
		for i := 0; i < nd.len(); i++ {
			if !fn(nd.at(i)) {
				return
			}
		}
	}
}

// Sets: packed while small (the server's intset/listpack), a map when big.

const (
	setMaxPacked      = 128 // set-max-listpack-entries
	packedMaxValueLen = 64  // *-max-listpack-value
)

type setObj struct {
	small pack
	big   *hdict // members with empty values, set when the set is big
}

func (*setObj) kind() rdbfile.Kind { return rdbfile.KindSet }
func (s *setObj) length() int {
	if s.big != nil {
		return s.big.len()
	}
	return s.small.len()
}
func (s *setObj) dup() object {
	if s.big != nil {
		return &setObj{big: s.big.clone()}
	}
	return &setObj{small: s.small.clone()}
}

func (s *setObj) has(m []byte) bool {
	if s.big != nil {
		i, _ := s.big.find(m)
		return i >= 0
	}
	return s.small.index(m) >= 0
}

// add inserts m (copied) and reports whether it was new.
func (s *setObj) add(m []byte) bool {
	if s.big != nil {
		if i, _ := s.big.find(m); i >= 0 {
			return false
		}
		s.big.add(m, nil, noExpire)
		return true
	}
	if s.small.index(m) >= 0 {
		return false
	}
	if s.small.len() >= setMaxPacked || len(m) > packedMaxValueLen {
		s.toBig()
		s.big.add(m, nil, noExpire)
		return true
	}
	s.small.push(m)
	return true
}

func (s *setObj) toBig() {
	s.big = newHdict(s.small.len()+1, s.small.bytes())
	for i := 0; i < s.small.len(); i++ {
		s.big.add(s.small.at(i), nil, noExpire)
	}
	s.small = pack{}
}

func (s *setObj) remove(m []byte) bool {
	if s.big != nil {
		return s.big.remove(m)
	}
	i := s.small.index(m)
	if i < 0 {
		return false
	}
	s.small.remove(i, i+1)
	return true
}

func (s *setObj) each(fn func(m []byte) bool) {
	if s.big != nil {
		s.big.each(func(m, _ []byte, _ int64) bool { return fn(m) })
		return
	}
	for i := 0; i < s.small.len(); i++ {
		if !fn(s.small.at(i)) {
			return
		}
	}
}

// Hashes: field/value pairs packed while small, a map when big; per-field
// expire times (ms, Redis 7.4+ and Valkey 9 field TTLs).

type hashObj struct {
	small pack    // field, value, field, value, ...
	ttl   []int64 // per field of small, nil when no field has a TTL
	big   *hdict  // set when the hash is big (nil while small)
}

func (*hashObj) kind() rdbfile.Kind { return rdbfile.KindHash }
func (h *hashObj) length() int {
	if h.big != nil {
		return h.big.len()
	}
	return h.small.len() / 2
}
func (h *hashObj) dup() object {
	if h.big != nil {
		return &hashObj{big: h.big.clone()}
	}
	c := &hashObj{small: h.small.clone()}
	if h.ttl != nil {
		c.ttl = append([]int64(nil), h.ttl...)
	}
	return c
}

// get returns a field's value (aliasing internal memory: copy before
// modifying the hash) and expire time.
func (h *hashObj) get(f []byte) ([]byte, int64, bool) {
	if h.big != nil {
		return h.big.get(f)
	}
	i := h.small.indexStep(f, 2)
	if i < 0 {
		return nil, noExpire, false
	}
	exp := noExpire
	if h.ttl != nil {
		exp = h.ttl[i/2]
	}
	return h.small.at(i + 1), exp, true
}

// set stores f=v (both copied) with expire exp; it reports whether the
// field is new.
func (h *hashObj) set(f, v []byte, exp int64) bool {
	if h.big == nil && (len(f) > packedMaxValueLen || len(v) > packedMaxValueLen) {
		h.toBig()
	}
	if h.big != nil {
		return h.big.set(f, v, exp)
	}
	i := h.small.indexStep(f, 2)
	if i >= 0 {
		h.small.set(i+1, v)
		h.setTTL(i/2, exp)
		return false
	}
	if h.small.len()/2 >= setMaxPacked {
		h.toBig()
		h.big.add(f, v, exp)
		return true
	}
	h.small.push(f)
	h.small.push(v)
	if h.ttl != nil {
		h.ttl = append(h.ttl, noExpire)
	}
	h.setTTL(h.small.len()/2-1, exp)
	return true
}

func (h *hashObj) setTTL(i int, exp int64) {
	if h.ttl == nil {
		if exp == noExpire {
			return
		}
		h.ttl = make([]int64, h.small.len()/2)
		for j := range h.ttl {
			h.ttl[j] = noExpire
		}
	}
	h.ttl[i] = exp
}

// setExpire changes the expire time of an existing field.
func (h *hashObj) setExpire(f []byte, exp int64) {
	if h.big != nil {
		h.big.setExpire(f, exp)
		return
	}
	if i := h.small.indexStep(f, 2); i >= 0 {
		h.setTTL(i/2, exp)
	}
}

func (h *hashObj) toBig() {
	h.big = newHdict(h.small.len()/2+1, h.small.bytes())
	for i := 0; i < h.small.len(); i += 2 {
		exp := noExpire
		if h.ttl != nil {
			exp = h.ttl[i/2]
		}
		h.big.add(h.small.at(i), h.small.at(i+1), exp)
	}
	h.small, h.ttl = pack{}, nil
}

func (h *hashObj) remove(f []byte) bool {
	if h.big != nil {
		return h.big.remove(f)
	}
	i := h.small.indexStep(f, 2)
	if i < 0 {
		return false
	}
	h.small.remove(i, i+2)
	if h.ttl != nil {
		h.ttl = append(h.ttl[:i/2], h.ttl[i/2+1:]...)
	}
	return true
}

// each calls fn for every field until it returns false.
func (h *hashObj) each(fn func(f, v []byte, exp int64) bool) {
	if h.big != nil {
		h.big.each(fn)
		return
	}
	for i := 0; i < h.small.len(); i += 2 {
		exp := noExpire
		if h.ttl != nil {
			exp = h.ttl[i/2]
		}
		if !fn(h.small.at(i), h.small.at(i+1), exp) {
			return
		}
	}
}
