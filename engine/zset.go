package engine

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"sort"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// zsetObj is a sorted set: members ordered by (score, member bytes), kept
// in packed chunks of at most zsetChunk members. While small (at most 128
// members of at most 64 bytes, the server's listpack limits) there is one
// chunk and no dictionary; a big set adds a member → score map. The
// distinction matters beyond memory: a listpack zset stores -0 as 0 (Redis
// 7.2+ stores integral scores as integers), while -0 survives in a
// skiplist (src/t_zset.c zzlInsertAt vs zslInsert); fixZero reproduces that.
type zsetObj struct {
	chunks []*zchunk
	n      int
	dict   *hdict // member → score (8 bytes), nil while small
}

type zchunk struct {
	m pack
	s []float64
}

const (
	zsetChunk     = 128
	zsetMaxPacked = 128 // zset-max-listpack-entries, the default
)

// zsetLimits are the listpack limits of a sorted set that decide its
// encoding (zset-max-listpack-entries, zset-max-listpack-value in bytes):
// they change results, as -0 survives only in a skiplist.
type zsetLimits struct {
	entries, value int
}

// defaultZSetLimits are the limits every release ships with.
var defaultZSetLimits = zsetLimits{entries: zsetMaxPacked, value: packedMaxValueLen}

func (*zsetObj) kind() rdbfile.Kind { return rdbfile.KindZSet }
func (z *zsetObj) length() int      { return z.n }
func (z *zsetObj) dup() object {
	c := &zsetObj{n: z.n, chunks: make([]*zchunk, len(z.chunks))}
	for i, ch := range z.chunks {
		c.chunks[i] = &zchunk{m: ch.m.clone(), s: append([]float64(nil), ch.s...)}
	}
	if z.dict != nil {
		c.dict = z.dict.clone()
	}
	return c
}

func (z *zsetObj) small() bool { return z.dict == nil }

// dictAdd records an absent member's score in the dict.
func (z *zsetObj) dictAdd(m []byte, s float64) {
	var v [8]byte
	binary.LittleEndian.PutUint64(v[:], math.Float64bits(s))
	z.dict.add(m, v[:], noExpire)
}

// zcmp orders (s1, m1) and (s2, m2) as the server's skiplist does.
func zcmp(s1 float64, m1 []byte, s2 float64, m2 []byte) int {
	if s1 < s2 {
		return -1
	}
	if s1 > s2 {
		return 1
	}
	return bytes.Compare(m1, m2)
}

// score returns a member's score.
func (z *zsetObj) score(m []byte) (float64, bool) {
	if z.dict != nil {
		v, _, ok := z.dict.get(m)
		if !ok {
			return 0, false
		}
		return math.Float64frombits(binary.LittleEndian.Uint64(v)), true
	}
	if len(z.chunks) == 0 {
		return 0, false
	}
	ch := z.chunks[0]
	if i := ch.m.index(m); i >= 0 {
		return ch.s[i], true
	}
	return 0, false
}

// search returns the chunk and position where (s, m) is or would be.
func (z *zsetObj) search(s float64, m []byte) (int, int) {
	if len(z.chunks) == 0 || len(z.chunks[0].s) == 0 {
		return 0, 0
	}
	// First chunk whose last element is >= (s, m).
	k := sort.Search(len(z.chunks), func(i int) bool {
		ch := z.chunks[i]
		j := len(ch.s) - 1
		return zcmp(ch.s[j], ch.m.at(j), s, m) >= 0
	})
	if k == len(z.chunks) {
		k--
		return k, len(z.chunks[k].s)
	}
	ch := z.chunks[k]
	j := sort.Search(len(ch.s), func(i int) bool { return zcmp(ch.s[i], ch.m.at(i), s, m) >= 0 })
	return k, j
}

// fixZero turns -0 into 0 where the server's listpack would (checked on
// Redis 7.0.15: ZADD -0 into a listpack zset reads back 0).
func (z *zsetObj) fixZero(s float64) float64 {
	if s == 0 && z.small() {
		return 0
	}
	return s
}

// insert adds a member known to be absent (m copied).
func (z *zsetObj) insert(l zsetLimits, m []byte, s float64) {
	if z.small() && (z.n >= l.entries || len(m) > l.value) {
		z.toBig()
	}
	s = z.fixZero(s)
	if z.dict != nil {
		z.dictAdd(m, s)
	}
	if len(z.chunks) == 0 {
		z.chunks = []*zchunk{{}}
	}
	k, j := z.search(s, m)
	ch := z.chunks[k]
	ch.m.insert(j, m)
	ch.s = append(ch.s, 0)
	copy(ch.s[j+1:], ch.s[j:])
	ch.s[j] = s
	z.n++
	if len(ch.s) > zsetChunk {
		h := len(ch.s) / 2
		right := &zchunk{s: append([]float64(nil), ch.s[h:]...)}
		for x := h; x < ch.m.len(); x++ {
			right.m.push(ch.m.at(x))
		}
		ch.m.remove(h, ch.m.len())
		ch.s = ch.s[:h:h]
		z.chunks = append(z.chunks, nil)
		copy(z.chunks[k+2:], z.chunks[k+1:])
		z.chunks[k+1] = right
	}
}

func (z *zsetObj) toBig() {
	nb := 0
	for _, ch := range z.chunks {
		nb += ch.m.bytes() + 8*len(ch.s)
	}
	z.dict = newHdict(z.n+1, nb)
	for _, ch := range z.chunks {
		for i := range ch.s {
			z.dictAdd(ch.m.at(i), ch.s[i])
		}
	}
}

// remove deletes member m whose score is s.
func (z *zsetObj) remove(m []byte, s float64) {
	k, j := z.search(s, m)
	z.removeAt(k, j)
	if z.dict != nil {
		z.dict.remove(m)
	}
}

func (z *zsetObj) removeAt(k, j int) {
	ch := z.chunks[k]
	ch.m.remove(j, j+1)
	ch.s = append(ch.s[:j], ch.s[j+1:]...)
	z.n--
	if len(ch.s) == 0 {
		z.chunks = append(z.chunks[:k], z.chunks[k+1:]...)
	}
}

// add sets m's score, inserting it if needed; it reports whether the
// member was added and whether an existing score changed.
func (z *zsetObj) add(l zsetLimits, m []byte, s float64) (added, changed bool) {
	cur, ok := z.score(m)
	if !ok {
		z.insert(l, m, s)
		return true, false
	}
	if cur != s {
		z.remove(m, cur)
		z.insert(l, m, s)
		return false, true
	}
	return false, false
}

func (z *zsetObj) del(m []byte) bool {
	s, ok := z.score(m)
	if !ok {
		return false
	}
	z.remove(m, s)
	return true
}

// rank returns the 0-based rank of a member with score s.
func (z *zsetObj) rank(m []byte, s float64) int {
	k, j := z.search(s, m)
	r := 0
	for i := 0; i < k; i++ {
		r += len(z.chunks[i].s)
	}
	return r + j
}

// at returns the member and score at rank r.
func (z *zsetObj) at(r int) ([]byte, float64) {
	for _, ch := range z.chunks {
		if r < len(ch.s) {
			return ch.m.at(r), ch.s[r]
		}
		r -= len(ch.s)
	}
	return nil, 0
}

// rangeEach calls fn for ranks [from, to] ascending until fn returns false.
func (z *zsetObj) rangeEach(from, to int, fn func(m []byte, s float64) bool) {
	r := 0
	for _, ch := range z.chunks {
		if r+len(ch.s) <= from {
			r += len(ch.s)
			continue
		}
		for i := range ch.s {
			if r > to {
				return
			}
			if r >= from && !fn(ch.m.at(i), ch.s[i]) {
				return
			}
			r++
		}
	}
}

// revEach calls fn for ranks [from, to] descending (from ≥ to) until fn
// returns false.
func (z *zsetObj) revEach(from, to int, fn func(m []byte, s float64) bool) {
	r := z.n - 1
	for k := len(z.chunks) - 1; k >= 0; k-- {
		ch := z.chunks[k]
		if r-len(ch.s) >= from {
			r -= len(ch.s)
			continue
		}
		for i := len(ch.s) - 1; i >= 0; i-- {
			if r < to {
				return
			}
			if r <= from && !fn(ch.m.at(i), ch.s[i]) {
				return
			}
			r--
		}
	}
}

// removeRanks deletes ranks [from, to].
func (z *zsetObj) removeRanks(from, to int) {
	if from > to {
		return
	}
	r := 0
	out := z.chunks[:0]
	for _, ch := range z.chunks {
		s, t := r, r+len(ch.s)
		r = t
		a, b := max(from, s), min(to+1, t)
		if a < b {
			if z.dict != nil {
				for i := a - s; i < b-s; i++ {
					z.dict.remove(ch.m.at(i))
				}
			}
			ch.m.remove(a-s, b-s)
			ch.s = append(ch.s[:a-s], ch.s[b-s:]...)
			z.n -= b - a
		}
		if len(ch.s) > 0 {
			out = append(out, ch)
		}
	}
	for k := len(out); k < len(z.chunks); k++ {
		z.chunks[k] = nil
	}
	z.chunks = out
}

// firstRank returns the rank of the first element for which pred (a
// monotone predicate over the order) is true, z.n if none.
func (z *zsetObj) firstRank(pred func(m []byte, s float64) bool) int {
	r := 0
	for _, ch := range z.chunks {
		j := len(ch.s) - 1
		if j < 0 {
			continue
		}
		if !pred(ch.m.at(j), ch.s[j]) {
			r += len(ch.s)
			continue
		}
		return r + sort.Search(len(ch.s), func(i int) bool { return pred(ch.m.at(i), ch.s[i]) })
	}
	return r
}

func (z *zsetObj) each(fn func(m []byte, s float64) bool) {
	for _, ch := range z.chunks {
		for i := range ch.s {
			if !fn(ch.m.at(i), ch.s[i]) {
				return
			}
		}
	}
}

// newZSetSized builds a sorted set from members (copied) in any order,
// choosing the encoding the server picks for a result of that size.
func newZSetSized(l zsetLimits, ms [][]byte, ss []float64) *zsetObj {
	return newZSetScratch(l, ms, ss, nil)
}

// newZSetScratch is newZSetSized sorting in *scratch (grown as needed and
// kept for the next call, up to 2^16 members) instead of a new index slice: a bulk load builds
// hundreds of thousands of sorted sets.
func newZSetScratch(l zsetLimits, ms [][]byte, ss []float64, scratch *[]int32) *zsetObj {
	z := &zsetObj{}
	maxLen := 0
	for _, m := range ms {
		maxLen = max(maxLen, len(m))
	}
	if len(ms) > l.entries || maxLen > l.value {
		nb := 0
		for _, m := range ms {
			nb += len(m) + 8
		}
		z.dict = newHdict(len(ms), nb)
	}
	var idx []int32
	if scratch != nil {
		idx = slices.Grow((*scratch)[:0], len(ms))[:len(ms)]
		if cap(idx) <= 1<<16 { // a huge one is not kept
			*scratch = idx
		}
	} else {
		idx = make([]int32, len(ms))
	}
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int { return zcmp(ss[a], ms[a], ss[b], ms[b]) })
	z.chunks = make([]*zchunk, 0, (len(idx)+zsetChunk-1)/zsetChunk)
	for len(idx) > 0 {
		part := idx[:min(len(idx), zsetChunk)]
		idx = idx[len(part):]
		nb := 0
		for _, i := range part {
			nb += len(ms[i])
		}
		ch := &zchunk{m: pack{data: make([]byte, 0, nb), ends: make([]uint32, 0, len(part))}, s: make([]float64, 0, len(part))}
		for _, i := range part {
			s := z.fixZero(ss[i])
			ch.m.push(ms[i])
			ch.s = append(ch.s, s)
			if z.dict != nil {
				z.dictAdd(ms[i], s)
			}
		}
		z.chunks = append(z.chunks, ch)
		z.n += len(part)
	}
	// -0 and 0 compare equal, so fixZero kept the order.
	return z
}
