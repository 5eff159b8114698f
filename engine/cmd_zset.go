package engine

import (
	"bytes"
	"math"
	"sort"
)

// Sorted-set commands (Redis src/t_zset.c).

var zsetCommands = []cmdSpec{
	{name: "zadd", fn: func(e *Engine, a [][]byte) error { return e.zadd(a, false) }},
	{name: "zincrby", fn: func(e *Engine, a [][]byte) error { return e.zadd(a, true) }},
	{name: "zrem", fn: cmdZRem},
	{name: "zremrangebyscore", fn: func(e *Engine, a [][]byte) error { return e.zremrange(a, zrScore) }},
	{name: "zremrangebyrank", fn: func(e *Engine, a [][]byte) error { return e.zremrange(a, zrRank) }},
	{name: "zremrangebylex", fn: func(e *Engine, a [][]byte) error { return e.zremrange(a, zrLex) }},
	{name: "zpopmin", fn: func(e *Engine, a [][]byte) error { return e.zpop(a, false) }},
	{name: "zpopmax", fn: func(e *Engine, a [][]byte) error { return e.zpop(a, true) }},
	{name: "bzpopmin", fn: func(e *Engine, a [][]byte) error { return e.bzpop(a[1:len(a)-1], false) }},
	{name: "bzpopmax", fn: func(e *Engine, a [][]byte) error { return e.bzpop(a[1:len(a)-1], true) }},
	{name: "zmpop", fn: func(e *Engine, a [][]byte) error { return e.zmpop(a[1:]) }},
	{name: "bzmpop", fn: func(e *Engine, a [][]byte) error { return e.zmpop(a[2:]) }},
	{name: "zunionstore", fn: func(e *Engine, a [][]byte) error { return e.zsetOpStore(a, opUnion) }},
	{name: "zinterstore", fn: func(e *Engine, a [][]byte) error { return e.zsetOpStore(a, opInter) }},
	{name: "zdiffstore", fn: func(e *Engine, a [][]byte) error { return e.zsetOpStore(a, opDiff) }},
	{name: "zrangestore", fn: cmdZRangeStore},
}

func (e *Engine) zset(key []byte) (*zsetObj, error) {
	o, err := e.cur().typed(key, kindZSet)
	if o == nil {
		return nil, err
	}
	return o.(*zsetObj), nil
}

// newZSetHint is zsetTypeCreate: Redis 7.2+ creates a skiplist directly
// when the command will add more elements, or longer ones, than a
// listpack holds.
func (e *Engine) newZSetHint(n, maxLen int) *zsetObj {
	z := &zsetObj{}
	if n > e.zl.entries || maxLen > e.zl.value {
		z.dict = newHdict(0, 0)
	}
	return z
}

const (
	zaddNX = 1 << iota
	zaddXX
	zaddGT
	zaddLT
	zaddIncr
)

func (e *Engine) zadd(a [][]byte, zincrby bool) error {
	flags := 0
	si := 2
	if zincrby {
		flags = zaddIncr
	} else {
	opts:
		for ; si < len(a); si++ {
			switch {
			case eq(a[si], "nx"):
				flags |= zaddNX
			case eq(a[si], "xx"):
				flags |= zaddXX
			case eq(a[si], "ch"):
			case eq(a[si], "incr"):
				flags |= zaddIncr
			case eq(a[si], "gt"):
				flags |= zaddGT
			case eq(a[si], "lt"):
				flags |= zaddLT
			default:
				break opts
			}
		}
	}
	n := len(a) - si
	if n%2 != 0 || n == 0 {
		return errSyntax
	}
	n /= 2
	if flags&zaddNX != 0 && flags&zaddXX != 0 {
		return replyErr("ERR XX and NX options at the same time are not compatible")
	}
	if (flags&zaddGT != 0 && flags&zaddNX != 0) || (flags&zaddLT != 0 && flags&zaddNX != 0) || (flags&zaddGT != 0 && flags&zaddLT != 0) {
		return replyErr("ERR GT, LT, and/or NX options at the same time are not compatible")
	}
	if flags&zaddIncr != 0 && n > 1 {
		return replyErr("ERR INCR option supports a single increment-element pair")
	}
	scores := make([]float64, n)
	maxLen := 0
	for j := range scores {
		s, err := argFloat(a[si+2*j])
		if err != nil {
			return err
		}
		scores[j] = s
		maxLen = max(maxLen, len(a[si+2*j+1]))
	}
	z, err := e.zset(a[1])
	if err != nil {
		return err
	}
	if z == nil {
		if flags&zaddXX != 0 {
			return nil
		}
		// zaddGenericCommand's choice of encoding for a new key (src/t_zset.c).
		switch {
		case e.v.Valkey && e.v.AtLeast(8, 0):
			// zsetTypeCreate(elements, maxelelen): the longest member.
			z = e.newZSetHint(n, maxLen)
		case e.v.UsesFpconv():
			// Redis 7.2+ and Valkey 7.2: zsetTypeCreate(elements, length
			// of the first member).
			z = e.newZSetHint(n, len(a[si+1]))
		default:
			// Redis 7.0: a listpack unless the first member is too long.
			z = e.newZSetHint(0, len(a[si+1]))
		}
		if n <= zsetChunk {
			ch := &zchunk{s: make([]float64, 0, n)}
			nb := 0
			for j := 0; j < n; j++ {
				nb += len(a[si+2*j+1])
			}
			ch.m.reserve(nb, n)
			z.chunks = []*zchunk{ch}
		}
		e.cur().put(a[1], z, noExpire)
	} else if z.small() && e.zaddConverts(n, maxLen) {
		z.toBig()
	}
	// Members then go in one by one (zsetAdd): a packed set converts
	// before the insert that would cross a limit, so the -0 scores that
	// went in packed are 0 (zzlInsertAt stores integral scores as
	// integers) and the later ones keep their sign.
	for j, s := range scores {
		if err := e.zsetAdd(z, s, a[si+2*j+1], flags); err != nil {
			return err
		}
	}
	return nil
}

// zaddConverts reports whether ZADD of n pairs whose longest member has
// maxLen bytes converts an existing packed sorted set to a skiplist before
// adding any of them: zsetTypeMaybeConvert(zobj, elements) in Redis 7.2+
// and Valkey 7.2 (more pairs than zset-max-listpack-entries), with
// maxelelen in Valkey 8.0+ (or a member longer than
// zset-max-listpack-value). Redis 7.0 converts only when an insert crosses
// a limit.
func (e *Engine) zaddConverts(n, maxLen int) bool {
	switch {
	case e.v.Valkey && e.v.AtLeast(8, 0):
		return n > e.zl.entries || maxLen > e.zl.value
	case e.v.UsesFpconv():
		return n > e.zl.entries
	}
	return false
}

// zsetAdd is zsetAdd: NX/XX/GT/LT/INCR semantics for one member.
func (e *Engine) zsetAdd(z *zsetObj, s float64, m []byte, flags int) error {
	if math.IsNaN(s) {
		return replyErr("ERR resulting score is not a number (NaN)")
	}
	cur, ok := z.score(m)
	if ok {
		if flags&zaddNX != 0 {
			return nil
		}
		if flags&zaddIncr != 0 {
			s += cur
			if math.IsNaN(s) {
				return replyErr("ERR resulting score is not a number (NaN)")
			}
		}
		if (flags&zaddLT != 0 && s >= cur) || (flags&zaddGT != 0 && s <= cur) {
			return nil
		}
		if s != cur {
			z.remove(m, cur)
			z.insert(e.zl, m, s)
		}
		return nil
	}
	if flags&zaddXX != 0 {
		return nil
	}
	z.insert(e.zl, m, s)
	return nil
}

func cmdZRem(e *Engine, a [][]byte) error {
	z, err := e.zset(a[1])
	if err != nil || z == nil {
		return err
	}
	for _, m := range a[2:] {
		if z.del(m) && z.n == 0 {
			e.cur().del(a[1])
			break
		}
	}
	return nil
}

// Ranges.

type scoreRange struct {
	min, max     float64
	minex, maxex bool
}

// rangeDouble is the strtod of zslParseRange: leading spaces allowed,
// parsing stops at a NUL byte, overflow gives infinity, NaN is refused.
func rangeDouble(b []byte) (float64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	// strtod skips leading spaces; with no number after them it consumes
	// nothing, so only the empty string reads as 0.
	if len(b) == 0 {
		return 0, true
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] >= '\t' && b[0] <= '\r') {
		b = b[1:]
	}
	kind, _ := cNumberKind(b)
	switch kind {
	case 0, 4:
		return 0, false
	case 3:
		return math.Inf(map[bool]int{true: -1, false: 1}[b[0] == '-']), true
	}
	s := string(b)
	if kind == 2 && !hasHexExp(b) {
		s += "p0"
	}
	f, err := parseFloatLenient(s)
	if err != nil {
		return 0, false
	}
	return f, true
}

func parseScoreRange(minb, maxb []byte) (scoreRange, error) {
	var r scoreRange
	var ok bool
	for i, p := range []struct {
		b  []byte
		v  *float64
		ex *bool
	}{{minb, &r.min, &r.minex}, {maxb, &r.max, &r.maxex}} {
		_ = i
		b := p.b
		if len(b) > 0 && b[0] == '(' {
			*p.ex = true
			b = b[1:]
		}
		if *p.v, ok = rangeDouble(b); !ok {
			return r, replyErr("ERR min or max is not a float")
		}
	}
	return r, nil
}

func (r *scoreRange) gteMin(s float64) bool {
	if r.minex {
		return s > r.min
	}
	return s >= r.min
}

func (r *scoreRange) lteMax(s float64) bool {
	if r.maxex {
		return s < r.max
	}
	return s <= r.max
}

func (r *scoreRange) empty() bool {
	return r.min > r.max || (r.min == r.max && (r.minex || r.maxex))
}

// lexRange is zlexrangespec: min/max are nil with inf -1 (for "-") or
// +1 (for "+").
type lexRange struct {
	min, max       []byte
	minInf, maxInf int
	minex, maxex   bool
}

func parseLexItem(b []byte) ([]byte, int, bool, bool) {
	if len(b) == 0 {
		return nil, 0, false, false
	}
	switch b[0] {
	case '+':
		if len(b) != 1 {
			return nil, 0, false, false
		}
		return nil, 1, false, true
	case '-':
		if len(b) != 1 {
			return nil, 0, false, false
		}
		return nil, -1, false, true
	case '(':
		return b[1:], 0, true, true
	case '[':
		return b[1:], 0, false, true
	}
	return nil, 0, false, false
}

func parseLexRange(minb, maxb []byte) (lexRange, error) {
	var r lexRange
	var ok1, ok2 bool
	r.min, r.minInf, r.minex, ok1 = parseLexItem(minb)
	r.max, r.maxInf, r.maxex, ok2 = parseLexItem(maxb)
	if !ok1 || !ok2 {
		return r, replyErr("ERR min or max not valid string range item")
	}
	return r, nil
}

// lexCmp is sdscmplex between a value (or ±inf) and another.
func lexCmp(a []byte, ainf int, b []byte, binf int) int {
	if ainf == binf && ainf != 0 {
		return 0
	}
	if ainf == -1 || binf == 1 {
		return -1
	}
	if ainf == 1 || binf == -1 {
		return 1
	}
	return bytes.Compare(a, b)
}

func (r *lexRange) gteMin(m []byte) bool {
	c := lexCmp(m, 0, r.min, r.minInf)
	if r.minex {
		return c > 0
	}
	return c >= 0
}

func (r *lexRange) lteMax(m []byte) bool {
	c := lexCmp(m, 0, r.max, r.maxInf)
	if r.maxex {
		return c < 0
	}
	return c <= 0
}

// inLexRange is zzlIsInLexRange: the range is not empty and overlaps the
// (first, last) members.
func (z *zsetObj) inLexRange(r *lexRange) bool {
	c := lexCmp(r.min, r.minInf, r.max, r.maxInf)
	if c > 0 || (c == 0 && (r.minex || r.maxex)) {
		return false
	}
	if z.n == 0 {
		return false
	}
	last, _ := z.at(z.n - 1)
	if !r.gteMin(last) {
		return false
	}
	first, _ := z.at(0)
	return r.lteMax(first)
}

// firstInLexRange is zzlFirstInLexRange (a scan from the head, which on a
// set whose scores differ gives the server's listpack result).
func (z *zsetObj) firstInLexRange(r *lexRange) int {
	if !z.inLexRange(r) {
		return -1
	}
	res := -1
	i := 0
	z.each(func(m []byte, _ float64) bool {
		if r.gteMin(m) {
			if r.lteMax(m) {
				res = i
			}
			return false
		}
		i++
		return true
	})
	return res
}

// lastInLexRange is zzlLastInLexRange.
func (z *zsetObj) lastInLexRange(r *lexRange) int {
	if !z.inLexRange(r) {
		return -1
	}
	res := -1
	i := z.n - 1
	z.revEach(z.n-1, 0, func(m []byte, _ float64) bool {
		if r.lteMax(m) {
			if r.gteMin(m) {
				res = i
			}
			return false
		}
		i--
		return true
	})
	return res
}

const (
	zrRank = iota
	zrScore
	zrLex
)

// rankRange sanitizes start/end like ZRANGE; ok is false for an empty range.
func rankRange(start, end int64, n int) (int, int, bool) {
	ln := int64(n)
	if start < 0 {
		start += ln
	}
	if end < 0 {
		end += ln
	}
	if start < 0 {
		start = 0
	}
	if start > end || start >= ln {
		return 0, 0, false
	}
	if end >= ln {
		end = ln - 1
	}
	return int(start), int(end), true
}

func (e *Engine) zremrange(a [][]byte, typ int) error {
	var sr scoreRange
	var lr lexRange
	var start, end int64
	var err error
	switch typ {
	case zrRank:
		if start, err = argInt(a[2]); err != nil {
			return err
		}
		if end, err = argInt(a[3]); err != nil {
			return err
		}
	case zrScore:
		if sr, err = parseScoreRange(a[2], a[3]); err != nil {
			return err
		}
	case zrLex:
		if lr, err = parseLexRange(a[2], a[3]); err != nil {
			return err
		}
	}
	z, err := e.zset(a[1])
	if err != nil || z == nil {
		return err
	}
	switch typ {
	case zrRank:
		if s, t, ok := rankRange(start, end, z.n); ok {
			z.removeRanks(s, t)
		}
	case zrScore:
		if !sr.empty() {
			from := z.firstRank(func(_ []byte, s float64) bool { return sr.gteMin(s) })
			to := z.firstRank(func(_ []byte, s float64) bool { return !sr.lteMax(s) })
			z.removeRanks(from, to-1)
		}
	case zrLex:
		if from := z.firstInLexRange(&lr); from >= 0 {
			to := from
			z.rangeEach(from, z.n-1, func(m []byte, _ float64) bool {
				if !lr.lteMax(m) {
					return false
				}
				to++
				return true
			})
			z.removeRanks(from, to-1)
		}
	}
	e.cur().deleteIfEmpty(a[1], z)
	return nil
}

func (e *Engine) zpop(a [][]byte, maxSide bool) error {
	if len(a) > 3 {
		return errSyntax
	}
	count, err := optCount(a)
	if err != nil {
		return err
	}
	z, err := e.zset(a[1])
	if err != nil || z == nil {
		return err
	}
	e.zpopN(a[1], z, maxSide, count)
	return nil
}

func (e *Engine) zpopN(key []byte, z *zsetObj, maxSide bool, count int64) {
	n := int(min(count, int64(z.n)))
	if n == 0 {
		return
	}
	if maxSide {
		z.removeRanks(z.n-n, z.n-1)
	} else {
		z.removeRanks(0, n-1)
	}
	e.cur().deleteIfEmpty(key, z)
}

func (e *Engine) bzpop(keys [][]byte, maxSide bool) error {
	for _, k := range keys {
		z, err := e.zset(k)
		if err != nil {
			return err
		}
		if z != nil {
			e.zpopN(k, z, maxSide, 1)
			return nil
		}
	}
	return nil
}

func (e *Engine) zmpop(a [][]byte) error {
	keys, maxSide, count, err := parseMpop(a, "max", "min")
	if err != nil {
		return err
	}
	for _, k := range keys {
		z, err := e.zset(k)
		if err != nil {
			return err
		}
		if z != nil {
			e.zpopN(k, z, maxSide, count)
			return nil
		}
	}
	return nil
}

// zsrc is one input of ZUNIONSTORE and friends: a sorted set or a set
// (scores 1), or nothing.
type zsrc struct {
	z      *zsetObj
	s      *setObj
	weight float64
}

func (z *zsrc) length() int {
	switch {
	case z.z != nil:
		return z.z.n
	case z.s != nil:
		return z.s.length()
	}
	return 0
}

func (z *zsrc) each(fn func(m []byte, s float64) bool) {
	switch {
	case z.z != nil:
		z.z.each(fn)
	case z.s != nil:
		z.s.each(func(m []byte) bool { return fn(m, 1) })
	}
}

func (z *zsrc) find(m []byte) (float64, bool) {
	switch {
	case z.z != nil:
		return z.z.score(m)
	case z.s != nil:
		return 1, z.s.has(m)
	}
	return 0, false
}

const (
	aggSum = iota
	aggMin
	aggMax
)

func aggregate(t *float64, v float64, agg int) {
	switch agg {
	case aggSum:
		*t += v
		if math.IsNaN(*t) {
			*t = 0
		}
	case aggMin:
		if v < *t {
			*t = v
		}
	case aggMax:
		if v > *t {
			*t = v
		}
	}
}

func (e *Engine) zsetOpStore(a [][]byte, op int) error {
	name := map[int]string{opUnion: "zunionstore", opInter: "zinterstore", opDiff: "zdiffstore"}[op]
	setnum, err := argInt(a[2])
	if err != nil {
		return err
	}
	if setnum < 1 {
		return replyErr("ERR at least 1 input key is needed for '" + name + "' command")
	}
	if setnum > int64(len(a)-3) {
		return errSyntax
	}
	d := e.cur()
	srcs := make([]zsrc, setnum)
	for i := range srcs {
		srcs[i].weight = 1
		en, found := d.get(a[3+i])
		if !found {
			continue
		}
		switch o := en.obj.(type) {
		case *zsetObj:
			srcs[i].z = o
		case *setObj:
			srcs[i].s = o
		default:
			return errWrongType
		}
	}
	agg := aggSum
	for j := 3 + int(setnum); j < len(a); {
		rem := len(a) - j
		switch {
		case op != opDiff && rem >= int(setnum)+1 && eq(a[j], "weights"):
			j++
			for i := range srcs {
				w, ok := parseDouble(a[j])
				if !ok {
					return replyErr("ERR weight value is not a float")
				}
				srcs[i].weight = w
				j++
			}
		case op != opDiff && rem >= 2 && eq(a[j], "aggregate"):
			switch {
			case eq(a[j+1], "sum"):
				agg = aggSum
			case eq(a[j+1], "min"):
				agg = aggMin
			case eq(a[j+1], "max"):
				agg = aggMax
			default:
				return errSyntax
			}
			j += 2
		default:
			return errSyntax
		}
	}
	if op != opDiff {
		sort.SliceStable(srcs, func(i, j int) bool { return srcs[i].length() < srcs[j].length() })
	}
	var ms [][]byte
	var ss []float64
	switch op {
	case opInter:
		if srcs[0].length() > 0 {
			srcs[0].each(func(m []byte, s float64) bool {
				score := srcs[0].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				for j := 1; j < len(srcs); j++ {
					v, ok := srcs[j].find(m)
					if !ok {
						return true
					}
					aggregate(&score, v*srcs[j].weight, agg)
				}
				ms = append(ms, clone(m))
				ss = append(ss, score)
				return true
			})
		}
	case opUnion:
		idx := map[string]int{}
		for i := range srcs {
			srcs[i].each(func(m []byte, s float64) bool {
				score := srcs[i].weight * s
				if math.IsNaN(score) {
					score = 0
				}
				if k, ok := idx[string(m)]; ok {
					aggregate(&ss[k], score, agg)
				} else {
					idx[string(m)] = len(ms)
					ms = append(ms, clone(m))
					ss = append(ss, score)
				}
				return true
			})
		}
	case opDiff:
		if srcs[0].length() > 0 {
			srcs[0].each(func(m []byte, s float64) bool {
				for j := 1; j < len(srcs); j++ {
					if _, ok := srcs[j].find(m); ok {
						return true
					}
				}
				ms = append(ms, clone(m))
				ss = append(ss, s)
				return true
			})
		}
	}
	if len(ms) == 0 {
		d.del(a[1])
		return nil
	}
	d.put(a[1], newZSetSized(e.zl, ms, ss), noExpire)
	return nil
}

func cmdZRangeStore(e *Engine, a [][]byte) error {
	typ, rev := -1, false
	offset, limit := int64(0), int64(-1)
	for j := 5; j < len(a); j++ {
		left := len(a) - j - 1
		switch {
		case eq(a[j], "limit") && left >= 2:
			var err error
			if offset, err = argInt(a[j+1]); err != nil {
				return err
			}
			if limit, err = argInt(a[j+2]); err != nil {
				return err
			}
			j += 2
		case !rev && eq(a[j], "rev"):
			rev = true
		case typ == -1 && eq(a[j], "bylex"):
			typ = zrLex
		case typ == -1 && eq(a[j], "byscore"):
			typ = zrScore
		default:
			return errSyntax
		}
	}
	if typ == -1 {
		typ = zrRank
	}
	if limit != -1 && typ == zrRank {
		return replyErr("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
	}
	minb, maxb := a[3], a[4]
	if rev && typ != zrRank {
		minb, maxb = maxb, minb
	}
	var sr scoreRange
	var lr lexRange
	var start, end int64
	var err error
	switch typ {
	case zrRank:
		if start, err = argInt(minb); err != nil {
			return err
		}
		if end, err = argInt(maxb); err != nil {
			return err
		}
	case zrScore:
		if sr, err = parseScoreRange(minb, maxb); err != nil {
			return err
		}
	case zrLex:
		if lr, err = parseLexRange(minb, maxb); err != nil {
			return err
		}
	}
	d := e.cur()
	z, err := e.zset(a[2])
	if err != nil {
		return err
	}
	var ms [][]byte
	var ss []float64
	emit := func(m []byte, s float64) {
		ms = append(ms, clone(m))
		ss = append(ss, s)
	}
	if z != nil {
		switch typ {
		case zrRank:
			if s, t, ok := rankRange(start, end, z.n); ok {
				if rev {
					z.revEach(z.n-1-s, z.n-1-t, func(m []byte, sc float64) bool { emit(m, sc); return true })
				} else {
					z.rangeEach(s, t, func(m []byte, sc float64) bool { emit(m, sc); return true })
				}
			}
		case zrScore:
			if (offset <= 0 || offset < int64(z.n)) && !sr.empty() && offset >= 0 {
				if !rev {
					r := z.firstRank(func(_ []byte, s float64) bool { return sr.gteMin(s) })
					if r < z.n {
						if _, s := z.at(r); sr.lteMax(s) {
							z.rangeEach(r+int(offset), z.n-1, func(m []byte, sc float64) bool {
								if limit == 0 || !sr.lteMax(sc) {
									return false
								}
								emit(m, sc)
								limit--
								return true
							})
						}
					}
				} else {
					r := z.firstRank(func(_ []byte, s float64) bool { return !sr.lteMax(s) }) - 1
					if r >= 0 {
						if _, s := z.at(r); sr.gteMin(s) && r-int(offset) >= 0 {
							z.revEach(r-int(offset), 0, func(m []byte, sc float64) bool {
								if limit == 0 || !sr.gteMin(sc) {
									return false
								}
								emit(m, sc)
								limit--
								return true
							})
						}
					}
				}
			}
		case zrLex:
			if offset >= 0 {
				if !rev {
					if r := z.firstInLexRange(&lr); r >= 0 && r+int(offset) < z.n {
						z.rangeEach(r+int(offset), z.n-1, func(m []byte, sc float64) bool {
							if limit == 0 || !lr.lteMax(m) {
								return false
							}
							emit(m, sc)
							limit--
							return true
						})
					}
				} else {
					if r := z.lastInLexRange(&lr); r >= 0 && r-int(offset) >= 0 {
						z.revEach(r-int(offset), 0, func(m []byte, sc float64) bool {
							if limit == 0 || !lr.gteMin(m) {
								return false
							}
							emit(m, sc)
							limit--
							return true
						})
					}
				}
			}
		}
	}
	if len(ms) == 0 {
		d.del(a[1])
		return nil
	}
	// zrangeResultBeginStore is given the result length for a rank range
	// and -1 (unknown) for a score or lex range. Redis 7.2+ and Valkey
	// call zsetTypeCreate(length >= 0 ? length : 0, 0), Redis 7.0 makes a
	// skiplist when length > zset-max-listpack-entries: either way a
	// score or lex range starts packed. The members then go in one by one
	// (zsetAdd, converting before the insert that crosses the limit), so
	// a -0 that went in packed is stored as 0.
	hint := len(ms)
	if typ != zrRank {
		hint = 0
	}
	dst := e.newZSetHint(hint, 0)
	for i, m := range ms {
		dst.insert(e.zl, m, ss[i])
	}
	d.put(a[1], dst, noExpire)
	return nil
}
