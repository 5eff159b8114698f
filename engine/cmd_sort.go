package engine

import (
	"bytes"
	"math"
	"sort"
)

// SORT (Redis src/sort.c). Only SORT ... STORE writes; without STORE the
// command is a read and is accepted without effect. Ties are kept in input
// order (glibc's qsort is a merge sort), or ordered by the server's
// pqsort when BY and LIMIT are combined: exact for lists; for sets and
// sorted sets an ALPHA sort BY a pattern with equal weights depends on the
// server's hash-table order.

func cmdSort(e *Engine, a [][]byte) error {
	desc, alpha, dontsort := false, false, false
	limitStart, limitCount := int64(0), int64(-1)
	var by, store []byte
	var gets [][]byte
	for j := 2; j < len(a); j++ {
		left := len(a) - j - 1
		switch {
		case eq(a[j], "asc"):
			desc = false
		case eq(a[j], "desc"):
			desc = true
		case eq(a[j], "alpha"):
			alpha = true
		case eq(a[j], "limit") && left >= 2:
			var err error
			if limitStart, err = argInt(a[j+1]); err != nil {
				return err
			}
			if limitCount, err = argInt(a[j+2]); err != nil {
				return err
			}
			j += 2
		case eq(a[j], "store") && left >= 1:
			store = a[j+1]
			j++
		case eq(a[j], "by") && left >= 1:
			by = a[j+1]
			dontsort = bytes.IndexByte(cstr(by), '*') < 0
			j++
		case eq(a[j], "get") && left >= 1:
			gets = append(gets, a[j+1])
			j++
		default:
			return errSyntax
		}
	}
	d := e.cur()
	en, found := d.get(a[1])
	var elems [][]byte
	isSet := false
	if found {
		switch o := en.obj.(type) {
		case *listObj:
			o.each(func(b []byte) bool { elems = append(elems, clone(b)); return true })
		case *setObj:
			isSet = true
			o.each(func(b []byte) bool { elems = append(elems, clone(b)); return true })
		case *zsetObj:
			if o.small() {
				o.toBig() // the server converts it to a skiplist for SORT
			}
			o.each(func(m []byte, _ float64) bool { elems = append(elems, clone(m)); return true })
		default:
			return errWrongType
		}
	}
	if store == nil {
		return nil
	}
	if dontsort && isSet {
		dontsort, alpha, by = false, true, nil
	}
	n := int64(len(elems))
	start := min(max(limitStart, 0), n)
	limitCount = min(max(limitCount, -1), n)
	end := n - 1
	if limitCount >= 0 {
		end = start + limitCount - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	if end >= n {
		end = n - 1
	}
	if dontsort {
		if desc {
			for i, j := 0, len(elems)-1; i < j; i, j = i+1, j-1 {
				elems[i], elems[j] = elems[j], elems[i]
			}
		}
	} else {
		type item struct {
			el     []byte
			score  float64
			cmp    []byte
			hasCmp bool
		}
		v := make([]item, len(elems))
		convErr := false
		for i, el := range elems {
			v[i].el = el
			var byval []byte
			if by != nil {
				b, ok := e.lookupByPattern(by, el)
				if !ok {
					continue
				}
				byval = b
			} else {
				byval = el
			}
			if alpha {
				if by != nil {
					v[i].cmp, v[i].hasCmp = byval, true
				}
				continue
			}
			f, ok := sortDouble(byval)
			if !ok {
				convErr = true
			}
			v[i].score = f
		}
		if convErr {
			return replyErr("ERR One or more scores can't be converted into double")
		}
		cmp := func(x, y *item) int {
			var c int
			switch {
			case !alpha:
				switch {
				case x.score > y.score:
					c = 1
				case x.score < y.score:
					c = -1
				default:
					c = bytes.Compare(x.el, y.el)
				}
			case by != nil:
				switch {
				case !x.hasCmp || !y.hasCmp:
					switch {
					case x.hasCmp == y.hasCmp:
						c = 0
					case !x.hasCmp:
						c = -1
					default:
						c = 1
					}
				default:
					c = bytes.Compare(x.cmp, y.cmp)
				}
			default:
				c = bytes.Compare(x.el, y.el)
			}
			if desc {
				return -c
			}
			return c
		}
		if by != nil && (start != 0 || end != n-1) {
			// A LIMIT with BY sorts only the needed range, with the
			// server's partial quicksort (unstable on ties).
			pqsort(len(v), func(i, j int) int { return cmp(&v[i], &v[j]) }, func(i, j int) { v[i], v[j] = v[j], v[i] }, int(start), int(end))
		} else {
			// glibc's qsort is a merge sort: stable.
			sort.SliceStable(v, func(i, j int) bool { return cmp(&v[i], &v[j]) < 0 })
		}
		for i := range v {
			elems[i] = v[i].el
		}
	}
	out := &listObj{}
	for j := start; j <= end; j++ {
		if len(gets) == 0 {
			out.pushBack(elems[j])
			continue
		}
		for _, g := range gets {
			val, _ := e.lookupByPattern(g, elems[j])
			out.pushBack(val)
		}
	}
	if out.n == 0 {
		d.del(store)
		return nil
	}
	d.put(store, out, noExpire)
	return nil
}

// cstr returns b up to its first NUL byte (the server handles patterns
// with C string functions).
func cstr(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// lookupByPattern is lookupKeyByPattern: "#" is the element itself;
// otherwise the first '*' is replaced by the element, and "->field" after
// it reads a hash field. ok is false when nothing is found.
func (e *Engine) lookupByPattern(pat, subst []byte) ([]byte, bool) {
	if len(pat) >= 1 && pat[0] == '#' && (len(pat) == 1 || pat[1] == 0) {
		return subst, true
	}
	cp := cstr(pat)
	p := bytes.IndexByte(cp, '*')
	if p < 0 {
		return nil, false
	}
	var field []byte
	fieldlen := 0
	if f := bytes.Index(cp[p+1:], []byte("->")); f >= 0 && p+1+f+2 < len(cp) {
		f += p + 1
		fieldlen = len(pat) - f - 2
		field = pat[f+2:]
	}
	postfix := len(pat) - (p + 1)
	if fieldlen > 0 {
		postfix -= fieldlen + 2
	}
	key := make([]byte, 0, p+len(subst)+postfix)
	key = append(key, pat[:p]...)
	key = append(key, subst...)
	key = append(key, pat[p+1:p+1+postfix]...)
	en, found := e.cur().get(key)
	if !found {
		return nil, false
	}
	if field != nil {
		h, ok := en.obj.(*hashObj)
		if !ok {
			return nil, false
		}
		v, _, ok := h.get(field)
		if !ok {
			return nil, false
		}
		return clone(v), true
	}
	switch en.obj.kind() {
	case kindString:
		return strBytes(en.obj, nil), true
	}
	return nil, false
}

// sortDouble is SORT's strtod check: leading spaces allowed, parsing
// stops at a NUL byte, the rest must be consumed; overflow, underflow and
// NaN are errors.
func sortDouble(b []byte) (float64, bool) {
	b = cstr(b)
	// strtod skips leading spaces; with no number after them it consumes
	// nothing, so only the empty string reads as 0.
	if len(b) == 0 {
		return 0, true
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] >= '\t' && b[0] <= '\r') {
		b = b[1:]
	}
	kind, nonzero := cNumberKind(b)
	switch kind {
	case 0, 4:
		return 0, false
	case 3:
		if b[0] == '-' {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	s := string(b)
	if kind == 2 && !hasHexExp(b) {
		s += "p0"
	}
	f, err := parseFloatLenient(s)
	if err != nil || math.IsInf(f, 0) || (f == 0 && nonzero) || (f != 0 && math.Abs(f) < 0x1p-1022) {
		return 0, false
	}
	return f, true
}

// pqsort is the server's partial quicksort (Redis src/pqsort.c, from
// NetBSD's qsort: Bentley–McIlroy three-way partitioning, median of three
// or ninther pivots, insertion sort below 7 elements), which only sorts
// the partitions that overlap elements lrange..rrange. It is reproduced
// exactly because it is not stable: on ties the order of the result depends
// on the algorithm.
func pqsort(n int, cmp func(i, j int) int, swap func(i, j int), lrange, rrange int) {
	med3 := func(a, b, c int) int {
		if cmp(a, b) < 0 {
			if cmp(b, c) < 0 {
				return b
			}
			if cmp(a, c) < 0 {
				return c
			}
			return a
		}
		if cmp(b, c) > 0 {
			return b
		}
		if cmp(a, c) < 0 {
			return a
		}
		return c
	}
	vecswap := func(a, b, k int) {
		for i := 0; i < k; i++ {
			swap(a+i, b+i)
		}
	}
	// outside reports whether the range lies entirely outside [a, a+k).
	outside := func(a, k int) bool {
		return (lrange < a && rrange < a) || (lrange >= a+k && rrange >= a+k)
	}
	var rec func(a, n int)
	rec = func(a, n int) {
		for {
			if n < 7 {
				for pm := a + 1; pm < a+n; pm++ {
					for pl := pm; pl > a && cmp(pl-1, pl) > 0; pl-- {
						swap(pl, pl-1)
					}
				}
				return
			}
			pm := a + n/2
			if n > 7 {
				pl, pn := a, a+n-1
				if n > 40 {
					d := n / 8
					pl = med3(pl, pl+d, pl+2*d)
					pm = med3(pm-d, pm, pm+d)
					pn = med3(pn-2*d, pn-d, pn)
				}
				pm = med3(pl, pm, pn)
			}
			swap(a, pm)
			pa, pb := a+1, a+1
			pc, pd := a+n-1, a+n-1
			for {
				for pb <= pc {
					c := cmp(pb, a)
					if c > 0 {
						break
					}
					if c == 0 {
						swap(pa, pb)
						pa++
					}
					pb++
				}
				for pb <= pc {
					c := cmp(pc, a)
					if c < 0 {
						break
					}
					if c == 0 {
						swap(pc, pd)
						pd--
					}
					pc--
				}
				if pb > pc {
					break
				}
				swap(pb, pc)
				pb++
				pc--
			}
			pn := a + n
			r := min(pa-a, pb-pa)
			vecswap(a, pb-r, r)
			r = min(pd-pc, pn-pd-1)
			vecswap(pb, pn-r, r)
			if r = pb - pa; r > 1 && !outside(a, r) {
				rec(a, r)
			}
			r = pd - pc
			if r <= 1 {
				return
			}
			a, n = pn-r, r
			if outside(a, n) {
				return
			}
		}
	}
	rec(0, n)
}
