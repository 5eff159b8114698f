package engine

import "bytes"

// List commands (Redis src/t_list.c). Blocking commands reach the AOF in
// their non-blocking form (t_list.c rewrites them with
// rewriteClientCommandVector before propagation); they are accepted too and
// behave like it (an empty source makes them do nothing).

var listCommands = []cmdSpec{
	{name: "lpush", fn: func(e *Engine, a [][]byte) error { return e.push(a, true, false) }},
	{name: "rpush", fn: func(e *Engine, a [][]byte) error { return e.push(a, false, false) }},
	{name: "lpushx", fn: func(e *Engine, a [][]byte) error { return e.push(a, true, true) }},
	{name: "rpushx", fn: func(e *Engine, a [][]byte) error { return e.push(a, false, true) }},
	{name: "linsert", fn: cmdLInsert},
	{name: "lset", fn: cmdLSet},
	{name: "lrem", fn: cmdLRem},
	{name: "ltrim", fn: cmdLTrim},
	{name: "lpop", fn: func(e *Engine, a [][]byte) error { return e.pop(a, true) }},
	{name: "rpop", fn: func(e *Engine, a [][]byte) error { return e.pop(a, false) }},
	{name: "rpoplpush", fn: func(e *Engine, a [][]byte) error { return e.lmove(a[1], a[2], false, true) }},
	{name: "brpoplpush", fn: func(e *Engine, a [][]byte) error { return e.lmove(a[1], a[2], false, true) }},
	{name: "lmove", fn: cmdLMove},
	{name: "blmove", fn: cmdLMove},
	{name: "lmpop", fn: func(e *Engine, a [][]byte) error { return e.lmpop(a[1:]) }},
	{name: "blmpop", fn: func(e *Engine, a [][]byte) error { return e.lmpop(a[2:]) }},
	{name: "blpop", fn: func(e *Engine, a [][]byte) error { return e.bpop(a, true) }},
	{name: "brpop", fn: func(e *Engine, a [][]byte) error { return e.bpop(a, false) }},
}

func (e *Engine) list(key []byte) (*listObj, error) {
	o, err := e.cur().typed(key, kindList)
	if o == nil {
		return nil, err
	}
	return o.(*listObj), nil
}

func (e *Engine) push(a [][]byte, left, onlyExisting bool) error {
	l, err := e.list(a[1])
	if err != nil {
		return err
	}
	if l == nil {
		if onlyExisting {
			return nil
		}
		l = &listObj{}
		if n := argBytes(a[2:]); n <= listNodeMaxBytes && len(a)-2 <= listNodeMaxEntries {
			l.nodes = []*pack{{}}
			l.nodes[0].reserve(n, len(a)-2)
		}
		e.cur().put(a[1], l, noExpire)
	}
	for _, v := range a[2:] {
		if left {
			l.pushFront(v)
		} else {
			l.pushBack(v)
		}
	}
	return nil
}

func cmdLInsert(e *Engine, a [][]byte) error {
	var after bool
	switch {
	case eq(a[2], "after"):
		after = true
	case eq(a[2], "before"):
	default:
		return errSyntax
	}
	l, err := e.list(a[1])
	if err != nil || l == nil {
		return err
	}
	pos := -1
	i := 0
	l.each(func(b []byte) bool {
		if bytes.Equal(b, a[3]) {
			pos = i
			return false
		}
		i++
		return true
	})
	if pos < 0 {
		return nil
	}
	if after {
		pos++
	}
	l.insert(pos, a[4])
	return nil
}

func cmdLSet(e *Engine, a [][]byte) error {
	l, err := e.list(a[1])
	if err != nil {
		return err
	}
	if l == nil {
		return errNoSuchKey
	}
	idx, err := argInt(a[2])
	if err != nil {
		return err
	}
	if idx < 0 {
		idx += int64(l.n)
	}
	if idx < 0 || idx >= int64(l.n) {
		return errIndexRange
	}
	l.set(int(idx), clone(a[3]))
	return nil
}

func cmdLRem(e *Engine, a [][]byte) error {
	count, err := argInt(a[2])
	if err != nil {
		return err
	}
	l, err := e.list(a[1])
	if err != nil || l == nil {
		return err
	}
	// Find the positions to delete, then rebuild.
	var del []int
	if count >= 0 {
		i := 0
		l.each(func(b []byte) bool {
			if bytes.Equal(b, a[3]) {
				del = append(del, i)
				if count > 0 && int64(len(del)) == count {
					return false
				}
			}
			i++
			return true
		})
	} else {
		for i := l.n - 1; i >= 0; i-- {
			if bytes.Equal(l.at(i), a[3]) {
				del = append(del, i)
				if int64(len(del)) == -count {
					break
				}
			}
		}
	}
	if len(del) == 0 {
		return nil
	}
	if count < 0 {
		for i, j := 0, len(del)-1; i < j; i, j = i+1, j-1 {
			del[i], del[j] = del[j], del[i]
		}
	}
	nl := &listObj{}
	i, k := 0, 0
	l.each(func(b []byte) bool {
		if k < len(del) && del[k] == i {
			k++
		} else {
			nl.pushBack(b)
		}
		i++
		return true
	})
	*l = *nl
	e.cur().deleteIfEmpty(a[1], l)
	return nil
}

func cmdLTrim(e *Engine, a [][]byte) error {
	start, err := argInt(a[2])
	if err != nil {
		return err
	}
	end, err := argInt(a[3])
	if err != nil {
		return err
	}
	l, err := e.list(a[1])
	if err != nil || l == nil {
		return err
	}
	n := int64(l.n)
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	var ltrim, rtrim int64
	if start > end || start >= n {
		ltrim, rtrim = n, 0
	} else {
		if end >= n {
			end = n - 1
		}
		ltrim, rtrim = start, n-end-1
	}
	l.removeRange(int(n-rtrim), int(n))
	l.removeRange(0, int(min(ltrim, n)))
	e.cur().deleteIfEmpty(a[1], l)
	return nil
}

// optCount reads the optional COUNT argument of LPOP/RPOP/ZPOPMIN/ZPOPMAX
// key [count] (a[2]): 1 when absent, an error when not a non-negative integer.
func optCount(a [][]byte) (int64, error) {
	if len(a) < 3 {
		return 1, nil
	}
	n, ok := parseInt(a[2])
	if !ok || n < 0 {
		return 0, errNotPos
	}
	return n, nil
}

// pop is LPOP/RPOP key [count].
func (e *Engine) pop(a [][]byte, left bool) error {
	if len(a) > 3 {
		return errSyntax
	}
	count, err := optCount(a)
	if err != nil {
		return err
	}
	l, err := e.list(a[1])
	if err != nil || l == nil {
		return err
	}
	e.popN(a[1], l, left, count)
	return nil
}

func (e *Engine) popN(key []byte, l *listObj, left bool, count int64) {
	n := int(min(count, int64(l.n)))
	if left {
		l.removeRange(0, n)
	} else {
		l.removeRange(l.n-n, l.n)
	}
	e.cur().deleteIfEmpty(key, l)
}

func cmdLMove(e *Engine, a [][]byte) error {
	var wl, wr bool
	for i, w := range []*bool{&wl, &wr} {
		switch {
		case eq(a[3+i], "left"):
			*w = true
		case eq(a[3+i], "right"):
		default:
			return errSyntax
		}
	}
	return e.lmove(a[1], a[2], wl, wr)
}

// lmove pops from src (left if fromLeft) and pushes to dst (left if toLeft).
func (e *Engine) lmove(src, dst []byte, fromLeft, toLeft bool) error {
	l, err := e.list(src)
	if err != nil || l == nil {
		return err
	}
	dl, err := e.list(dst)
	if err != nil {
		return err
	}
	var v []byte
	if fromLeft {
		v = clone(l.at(0))
		l.removeRange(0, 1)
	} else {
		v = clone(l.at(l.n - 1))
		l.removeRange(l.n-1, l.n)
	}
	if dl == nil {
		if l.n == 0 && string(src) == string(dst) {
			dl = l // rotating a one-element list
		} else {
			dl = &listObj{}
			e.cur().put(dst, dl, noExpire)
		}
	}
	if toLeft {
		dl.pushFront(v)
	} else {
		dl.pushBack(v)
	}
	e.cur().deleteIfEmpty(src, l)
	return nil
}

// parseMpop parses the arguments LMPOP and ZMPOP share, numkeys key...
// SIDE [COUNT n] (Redis src/t_list.c lmpopGenericCommand, src/t_zset.c
// zmpopGenericCommand): it returns the keys, whether SIDE is yes (rather
// than no; case-insensitive) and the count (1 when absent).
func parseMpop(a [][]byte, yes, no string) (keys [][]byte, side bool, count int64, err error) {
	n, ok := parseInt(a[0])
	if !ok || n <= 0 || n > int64(len(a)-2) {
		return nil, false, 0, replyErr("ERR numkeys should be greater than 0")
	}
	keys, rest := a[1:1+n], a[1+n:]
	switch {
	case eq(rest[0], yes):
		side = true
	case eq(rest[0], no):
	default:
		return nil, false, 0, errSyntax
	}
	count, rest = 1, rest[1:]
	if len(rest) == 2 && eq(rest[0], "count") {
		c, ok := parseInt(rest[1])
		if !ok || c <= 0 {
			return nil, false, 0, replyErr("ERR count should be greater than 0")
		}
		count = c
	} else if len(rest) != 0 {
		return nil, false, 0, errSyntax
	}
	return keys, side, count, nil
}

// lmpop parses numkeys key... LEFT|RIGHT [COUNT n] and pops from the first
// non-empty list.
func (e *Engine) lmpop(a [][]byte) error {
	keys, left, count, err := parseMpop(a, "left", "right")
	if err != nil {
		return err
	}
	for _, k := range keys {
		l, err := e.list(k)
		if err != nil {
			return err
		}
		if l != nil {
			e.popN(k, l, left, count)
			return nil
		}
	}
	return nil
}

func (e *Engine) bpop(a [][]byte, left bool) error {
	for _, k := range a[1 : len(a)-1] {
		l, err := e.list(k)
		if err != nil {
			return err
		}
		if l != nil {
			e.popN(k, l, left, 1)
			return nil
		}
	}
	return nil
}
