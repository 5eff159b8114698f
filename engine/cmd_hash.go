package engine

import "math"

// Hash commands (Redis src/t_hash.c), with the field-TTL commands of Redis
// 7.4+ and Valkey 9. HSET and friends clear a field's TTL; HINCRBY and
// HINCRBYFLOAT keep it.

var hashCommands = []cmdSpec{
	{name: "hset", fn: cmdHSet},
	{name: "hmset", fn: cmdHSet},
	{name: "hsetnx", fn: cmdHSetNX},
	{name: "hdel", fn: cmdHDel},
	{name: "hincrby", fn: cmdHIncrBy},
	{name: "hincrbyfloat", fn: cmdHIncrByFloat},
	{name: "hexpire", fn: func(e *Engine, a [][]byte) error { return e.hexpire(a, e.now(), 1000, "hexpire") }},
	{name: "hpexpire", fn: func(e *Engine, a [][]byte) error { return e.hexpire(a, e.now(), 1, "hpexpire") }},
	{name: "hexpireat", fn: func(e *Engine, a [][]byte) error { return e.hexpire(a, 0, 1000, "hexpireat") }},
	{name: "hpexpireat", fn: func(e *Engine, a [][]byte) error { return e.hexpire(a, 0, 1, "hpexpireat") }},
	{name: "hpersist", fn: cmdHPersist},
	{name: "hsetex", fn: cmdHSetEx},
	{name: "hgetex", fn: cmdHGetEx},
	{name: "hgetdel", fn: cmdHGetDel},
}

// hfeMaxMs is EB_EXPIRE_TIME_MAX, the largest field expire time.
const hfeMaxMs = 1<<48 - 1

func (e *Engine) hash(key []byte) (*hashObj, error) {
	o, err := e.cur().typed(key, kindHash)
	if o == nil {
		return nil, err
	}
	return o.(*hashObj), nil
}

func (e *Engine) hashCreate(key []byte) (*hashObj, error) {
	h, err := e.hash(key)
	if err != nil || h != nil {
		return h, err
	}
	h = &hashObj{}
	e.cur().put(key, h, noExpire)
	return h, nil
}

func cmdHSet(e *Engine, a [][]byte) error {
	if len(a)%2 != 0 {
		return errArity(string(map[bool]string{true: "hmset", false: "hset"}[eq(a[0], "hmset")]))
	}
	h, err := e.hashCreate(a[1])
	if err != nil {
		return err
	}
	if h.big == nil && h.small.len() == 0 {
		h.small.reserve(argBytes(a[2:]), len(a)-2)
	}
	for j := 2; j < len(a); j += 2 {
		h.set(a[j], a[j+1], noExpire)
	}
	return nil
}

func cmdHSetNX(e *Engine, a [][]byte) error {
	h, err := e.hash(a[1])
	if err != nil {
		return err
	}
	if h != nil {
		if _, _, ok := h.get(a[2]); ok {
			return nil
		}
	}
	if h, err = e.hashCreate(a[1]); err != nil {
		return err
	}
	h.set(a[2], a[3], noExpire)
	return nil
}

func cmdHDel(e *Engine, a [][]byte) error {
	h, err := e.hash(a[1])
	if err != nil || h == nil {
		return err
	}
	for _, f := range a[2:] {
		if h.remove(f) && h.length() == 0 {
			e.cur().del(a[1])
			break
		}
	}
	return nil
}

func cmdHIncrBy(e *Engine, a [][]byte) error {
	incr, err := argInt(a[3])
	if err != nil {
		return err
	}
	h, err := e.hash(a[1])
	if err != nil {
		return err
	}
	var cur int64
	exp := int64(noExpire)
	if h != nil {
		if v, x, ok := h.get(a[2]); ok {
			n, ok := parseInt(v)
			if !ok {
				return replyErr("ERR hash value is not an integer")
			}
			cur, exp = n, x
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		return errOverflow
	}
	if h, err = e.hashCreate(a[1]); err != nil {
		return err
	}
	var buf [24]byte
	h.set(a[2], intObj(cur+incr).text(buf[:0]), exp)
	return nil
}

func cmdHIncrByFloat(e *Engine, a [][]byte) error {
	incr, ok := parseLongDouble(a[3])
	if !ok {
		return errNotFloat
	}
	h, err := e.hash(a[1])
	if err != nil {
		return err
	}
	cur := newLD()
	exp := int64(noExpire)
	if h != nil {
		if v, x, ok := h.get(a[2]); ok {
			f, ok := parseLongDouble(v)
			if !ok {
				return replyErr("ERR hash value is not a float")
			}
			cur, exp = f, x
		}
	}
	sum, ok := ldAdd(cur, incr)
	if !ok {
		return replyErr("ERR increment would produce NaN or Infinity")
	}
	if h, err = e.hashCreate(a[1]); err != nil {
		return err
	}
	h.set(a[2], formatLongDouble(sum), exp)
	return nil
}

// fieldsArg parses "FIELDS numfields f1 ... fn" at a[i:], requiring that
// the fields end the command; pairs doubles the count (HSETEX).
func fieldsArg(a [][]byte, i int, pairs bool) ([][]byte, error) {
	if i >= len(a) || !eq(a[i], "fields") {
		return nil, replyErr("ERR Mandatory argument FIELDS is missing or not at the right position")
	}
	if i+1 >= len(a) {
		return nil, errSyntax
	}
	n, ok := parseInt(a[i+1])
	if !ok || n < 1 {
		return nil, replyErr("ERR Number of fields must be a positive integer")
	}
	per := int64(1)
	if pairs {
		per = 2
	}
	if n > math.MaxInt64/2 || n*per != int64(len(a)-i-2) {
		return nil, replyErr("ERR The `numfields` parameter must match the number of arguments")
	}
	return a[i+2:], nil
}

// fieldExpireAllowed applies NX/XX/GT/LT to a field's current TTL.
func fieldExpireAllowed(f int, cur, when int64) bool {
	if cur == noExpire {
		return f&(expXX|expGT) == 0
	}
	return !((f&expGT != 0 && when <= cur) || (f&expLT != 0 && when >= cur) || f&expNX != 0)
}

func (e *Engine) hexpire(a [][]byte, base, unit int64, name string) error {
	h, err := e.hash(a[1])
	if err != nil {
		return err
	}
	when, err := argInt(a[2])
	if err != nil {
		return err
	}
	if when < 0 {
		return replyErr("ERR invalid expire time, must be >= 0")
	}
	if unit == 1000 {
		if when > hfeMaxMs/1000 {
			return badExpire(name)
		}
		when *= 1000
	}
	if when > hfeMaxMs-base {
		return badExpire(name)
	}
	when += base
	at, cond := 3, 0
	switch {
	case eq(a[3], "nx"):
		cond, at = expNX, 4
	case eq(a[3], "xx"):
		cond, at = expXX, 4
	case eq(a[3], "gt"):
		cond, at = expGT, 4
	case eq(a[3], "lt"):
		cond, at = expLT, 4
	}
	fields, err := fieldsArg(a, at, false)
	if err != nil || h == nil {
		return err
	}
	for _, f := range fields {
		_, cur, ok := h.get(f)
		if !ok || !fieldExpireAllowed(cond, cur, when) {
			continue
		}
		// While loading, a time in the past is set like any other.
		h.setExpire(f, when)
	}
	return nil
}

func cmdHPersist(e *Engine, a [][]byte) error {
	h, err := e.hash(a[1])
	if err != nil {
		return err
	}
	fields, err := fieldsArg(a, 2, false)
	if err != nil || h == nil {
		return err
	}
	for _, f := range fields {
		if _, cur, ok := h.get(f); ok && cur != noExpire {
			h.setExpire(f, noExpire)
		}
	}
	return nil
}

// hashExpireOpts parses EX/PX/EXAT/PXAT/KEEPTTL/PERSIST options before
// FIELDS; extra handles command-specific words (returning true if used).
func (e *Engine) hashExpireOpts(a [][]byte, i int, persistOK, keepOK bool, name string, extra func([]byte) bool) (int, int, int64, error) {
	f := 0
	exp := int64(noExpire)
	for ; i < len(a) && !eq(a[i], "fields"); i++ {
		o := a[i]
		var flag int
		switch {
		case eq(o, "ex"):
			flag = setEX
		case eq(o, "px"):
			flag = setPX
		case eq(o, "exat"):
			flag = setEXAT
		case eq(o, "pxat"):
			flag = setPXAT
		case eq(o, "keepttl") && keepOK:
			flag = setKeepTTL
		case eq(o, "persist") && persistOK:
			flag = setPersist
		case extra != nil && extra(o):
			continue
		default:
			return 0, 0, 0, errSyntax
		}
		if f&(setEX|setPX|setEXAT|setPXAT|setKeepTTL|setPersist) != 0 {
			return 0, 0, 0, errSyntax
		}
		f |= flag
		if flag&(setEX|setPX|setEXAT|setPXAT) != 0 {
			if i+1 >= len(a) {
				return 0, 0, 0, errSyntax
			}
			n, err := argInt(a[i+1])
			if err != nil {
				return 0, 0, 0, err
			}
			if n < 0 {
				return 0, 0, 0, badExpire(name)
			}
			if flag&(setEX|setEXAT) != 0 {
				if n > hfeMaxMs/1000 {
					return 0, 0, 0, badExpire(name)
				}
				n *= 1000
			}
			if flag&(setEX|setPX) != 0 {
				n += e.now()
			}
			if n > hfeMaxMs {
				return 0, 0, 0, badExpire(name)
			}
			exp = n
			i++
		}
	}
	return i, f, exp, nil
}

// cmdHSetEx is HSETEX key [NX|XX (Valkey)] [FNX|FXX]
// [EX|PX|EXAT|PXAT|KEEPTTL] FIELDS n field value ...
func cmdHSetEx(e *Engine, a [][]byte) error {
	var fnx, fxx, nx, xx bool
	i, f, exp, err := e.hashExpireOpts(a, 2, false, true, "hsetex", func(o []byte) bool {
		switch {
		case eq(o, "fnx") && !fxx:
			fnx = true
		case eq(o, "fxx") && !fnx:
			fxx = true
		case e.v.Valkey && eq(o, "nx") && !xx:
			nx = true
		case e.v.Valkey && eq(o, "xx") && !nx:
			xx = true
		default:
			return false
		}
		return true
	})
	if err != nil {
		return err
	}
	pairs, err := fieldsArg(a, i, true)
	if err != nil {
		return err
	}
	h, err := e.hash(a[1])
	if err != nil {
		return err
	}
	if (nx && h != nil) || (xx && h == nil) {
		return nil
	}
	if fnx || fxx {
		for j := 0; j < len(pairs); j += 2 {
			exists := false
			if h != nil {
				_, _, exists = h.get(pairs[j])
			}
			if (fnx && exists) || (fxx && !exists) {
				return nil
			}
		}
	}
	if h == nil {
		h = &hashObj{}
		e.cur().put(a[1], h, noExpire)
	}
	for j := 0; j < len(pairs); j += 2 {
		x := exp
		if f&setKeepTTL != 0 {
			_, x, _ = h.get(pairs[j])
		}
		h.set(pairs[j], pairs[j+1], x)
	}
	return nil
}

// cmdHGetEx is HGETEX key [EX|PX|EXAT|PXAT|PERSIST] FIELDS n field ...:
// it changes the TTL of the fields that exist.
func cmdHGetEx(e *Engine, a [][]byte) error {
	i, f, exp, err := e.hashExpireOpts(a, 2, true, false, "hgetex", nil)
	if err != nil {
		return err
	}
	fields, err := fieldsArg(a, i, false)
	if err != nil {
		return err
	}
	h, err := e.hash(a[1])
	if err != nil || h == nil || f == 0 {
		return err
	}
	for _, fl := range fields {
		if _, _, ok := h.get(fl); ok {
			if f&setPersist != 0 {
				h.setExpire(fl, noExpire)
			} else {
				h.setExpire(fl, exp)
			}
		}
	}
	return nil
}

func cmdHGetDel(e *Engine, a [][]byte) error {
	fields, err := fieldsArg(a, 2, false)
	if err != nil {
		return err
	}
	h, err := e.hash(a[1])
	if err != nil || h == nil {
		return err
	}
	for _, f := range fields {
		h.remove(f)
	}
	e.cur().deleteIfEmpty(a[1], h)
	return nil
}
