package engine

import (
	"math"
	"math/big"
)

// String commands (Redis src/t_string.c).

const protoMaxBulkLen = 512 << 20

var stringCommands = []cmdSpec{
	{name: "set", fn: cmdSet},
	{name: "setnx", fn: cmdSetNX},
	{name: "setex", fn: func(e *Engine, a [][]byte) error { return e.setEx(a, 1000, "setex") }},
	{name: "psetex", fn: func(e *Engine, a [][]byte) error { return e.setEx(a, 1, "psetex") }},
	{name: "mset", fn: func(e *Engine, a [][]byte) error { return e.mset(a, false) }},
	{name: "msetnx", fn: func(e *Engine, a [][]byte) error { return e.mset(a, true) }},
	{name: "msetex", fn: cmdMSetEx},
	{name: "append", fn: cmdAppend},
	{name: "setrange", fn: cmdSetRange},
	{name: "incr", fn: func(e *Engine, a [][]byte) error { return e.incrBy(a[1], 1) }},
	{name: "decr", fn: func(e *Engine, a [][]byte) error { return e.incrBy(a[1], -1) }},
	{name: "incrby", fn: cmdIncrBy},
	{name: "decrby", fn: cmdDecrBy},
	{name: "incrbyfloat", fn: cmdIncrByFloat},
	{name: "getset", fn: cmdGetSet},
	{name: "getdel", fn: cmdGetDel},
	{name: "getex", fn: cmdGetEx},
	{name: "delex", fn: cmdDelEx},
	{name: "delifeq", fn: cmdDelIfEq},
}

const (
	setNX = 1 << iota
	setXX
	setGet
	setKeepTTL
	setEX
	setPX
	setEXAT
	setPXAT
	setIfEq
	setIfNe
	setPersist // GETEX
)

// setArgs parses the options of SET (getex=false) or GETEX (getex=true)
// like parseExtendedStringArgumentsOrReply, returning the flags, the
// expire argument and the IFEQ/IFNE comparison value.
func (e *Engine) setArgs(a [][]byte, getex bool) (int, []byte, []byte, error) {
	f := 0
	var exp, cmp []byte
	ttlFlags := setEX | setPX | setEXAT | setPXAT
	for j := 0; j < len(a); j++ {
		o := a[j]
		var next []byte
		if j+1 < len(a) {
			next = a[j+1]
		}
		switch {
		case !getex && eq(o, "nx") && f&(setXX|setIfEq|setIfNe) == 0:
			f |= setNX
		case !getex && eq(o, "xx") && f&(setNX|setIfEq|setIfNe) == 0:
			f |= setXX
		case !getex && eq(o, "get"):
			f |= setGet
		case !getex && (eq(o, "ifeq") || eq(o, "ifne")) && next != nil && f&(setNX|setXX|setIfEq|setIfNe) == 0 &&
			(e.v.Valkey && e.v.AtLeast(8, 1) || !e.v.Valkey && e.v.AtLeast(8, 4)) && (eq(o, "ifeq") || !e.v.Valkey):
			if eq(o, "ifeq") {
				f |= setIfEq
			} else {
				f |= setIfNe
			}
			cmp = next
			j++
		case !getex && (eq(o, "ifdeq") || eq(o, "ifdne")) && !e.v.Valkey && e.v.AtLeast(8, 4):
			return 0, nil, nil, unsupported("SET " + string(o) + " compares XXH3 digests")
		case !getex && eq(o, "keepttl") && f&(setPersist|ttlFlags) == 0:
			f |= setKeepTTL
		case getex && eq(o, "persist") && f&(ttlFlags|setKeepTTL) == 0:
			f |= setPersist
		case eq(o, "ex") && next != nil && f&(setKeepTTL|setPersist|setEXAT|setPX|setPXAT) == 0:
			f |= setEX
			exp = next
			j++
		case eq(o, "px") && next != nil && f&(setKeepTTL|setPersist|setEX|setEXAT|setPXAT) == 0:
			f |= setPX
			exp = next
			j++
		case eq(o, "exat") && next != nil && f&(setKeepTTL|setPersist|setEX|setPX|setPXAT) == 0:
			f |= setEXAT
			exp = next
			j++
		case eq(o, "pxat") && next != nil && f&(setKeepTTL|setPersist|setEX|setEXAT|setPX) == 0:
			f |= setPXAT
			exp = next
			j++
		default:
			return 0, nil, nil, errSyntax
		}
	}
	return f, exp, cmp, nil
}

// expireMs converts an EX/PX/EXAT/PXAT argument to absolute ms
// (getExpireMillisecondsOrReply).
func (e *Engine) expireMs(f int, arg []byte, name string) (int64, error) {
	ms, err := argInt(arg)
	if err != nil {
		return 0, err
	}
	sec := f&(setEX|setEXAT) != 0
	if ms <= 0 || (sec && ms > math.MaxInt64/1000) {
		return 0, badExpire(name)
	}
	if sec {
		ms *= 1000
	}
	if f&(setEX|setPX) != 0 {
		if ms > math.MaxInt64-e.now() {
			return 0, badExpire(name)
		}
		ms += e.now()
	}
	if ms <= 0 {
		return 0, badExpire(name)
	}
	return ms, nil
}

func cmdSet(e *Engine, a [][]byte) error {
	f, exparg, cmp, err := e.setArgs(a[3:], false)
	if err != nil {
		return err
	}
	exp := int64(noExpire)
	if exparg != nil {
		if exp, err = e.expireMs(f, exparg, "set"); err != nil {
			return err
		}
	}
	d := e.cur()
	if f&(setNX|setXX|setGet|setKeepTTL|setIfEq|setIfNe) == 0 {
		// A plain SET replaces whatever the key held, and its TTL: no
		// lookup first (put drops an old expire time).
		d.putString(a[1], a[2], exp)
		return nil
	}
	en, found := d.get(a[1])
	if (f&(setGet|setIfEq|setIfNe) != 0) && found && en.obj.kind() != kindString {
		return errWrongType
	}
	if (f&setNX != 0 && found) || (f&setXX != 0 && !found) {
		return nil
	}
	if f&setIfEq != 0 && (!found || string(strBytes(en.obj, e.scratch[:0])) != string(cmp)) {
		return nil
	}
	if f&setIfNe != 0 && found && string(strBytes(en.obj, e.scratch[:0])) == string(cmp) {
		return nil
	}
	if f&setKeepTTL != 0 && found {
		exp = en.exp
		if exparg != nil {
			exp = noExpire // not reachable: KEEPTTL excludes the others
		}
	}
	d.putString(a[1], a[2], exp)
	return nil
}

func cmdSetNX(e *Engine, a [][]byte) error {
	d := e.cur()
	if _, found := d.get(a[1]); !found {
		d.putString(a[1], a[2], noExpire)
	}
	return nil
}

func (e *Engine) setEx(a [][]byte, unit int64, name string) error {
	n, err := argInt(a[2])
	if err != nil {
		return err
	}
	if n <= 0 || (unit == 1000 && n > math.MaxInt64/1000) {
		return badExpire(name)
	}
	n *= unit
	if n > math.MaxInt64-e.now() {
		return badExpire(name)
	}
	e.cur().put(a[1], newString(a[3]), n+e.now())
	return nil
}

func (e *Engine) mset(a [][]byte, nx bool) error {
	if len(a)%2 == 0 {
		return errArity(map[bool]string{false: "mset", true: "msetnx"}[nx])
	}
	d := e.cur()
	if nx {
		for j := 1; j < len(a); j += 2 {
			if _, found := d.get(a[j]); found {
				return nil
			}
		}
	}
	for j := 1; j < len(a); j += 2 {
		d.putString(a[j], a[j+1], noExpire)
	}
	return nil
}

// cmdMSetEx is Redis 8.4 MSETEX numkeys key value ... [NX|XX]
// [EX s|PX ms|EXAT s|PXAT ms|KEEPTTL].
func cmdMSetEx(e *Engine, a [][]byte) error {
	n, err := argInt(a[1])
	if err != nil {
		return err
	}
	if n <= 0 || n > int64(len(a)-2)/2 {
		return replyErr("ERR invalid numkeys value")
	}
	kv := a[2 : 2+2*n]
	f, exparg, _, err := e.setArgs(a[2+2*n:], false)
	if err != nil {
		return err
	}
	if f&^(setNX|setXX|setKeepTTL|setEX|setPX|setEXAT|setPXAT) != 0 {
		return errSyntax
	}
	exp := int64(noExpire)
	if exparg != nil {
		if exp, err = e.expireMs(f, exparg, "msetex"); err != nil {
			return err
		}
	}
	d := e.cur()
	for j := 0; j < len(kv); j += 2 {
		_, found := d.get(kv[j])
		if (f&setNX != 0 && found) || (f&setXX != 0 && !found) {
			return nil
		}
	}
	for j := 0; j < len(kv); j += 2 {
		x := exp
		if f&setKeepTTL != 0 {
			if en, found := d.get(kv[j]); found {
				x = en.exp
			}
		}
		d.putString(kv[j], kv[j+1], x)
	}
	return nil
}

func cmdAppend(e *Engine, a [][]byte) error {
	d := e.cur()
	en, found := d.get(a[1])
	if !found {
		d.putString(a[1], a[2], noExpire)
		return nil
	}
	if en.obj.kind() != kindString {
		return errWrongType
	}
	var cur strObj
	switch s := en.obj.(type) {
	case strObj:
		cur = s
	case pstr:
		cur = s.bytes() // no spare capacity: append below copies
	case intObj:
		cur = strObj(s.text(make([]byte, 0, 20+len(a[2]))))
	}
	if len(cur)+len(a[2]) > protoMaxBulkLen {
		return errTooBig
	}
	d.setKeep(a[1], append(cur, a[2]...))
	return nil
}

func cmdSetRange(e *Engine, a [][]byte) error {
	off, err := argInt(a[2])
	if err != nil {
		return err
	}
	if off < 0 {
		return replyErr("ERR offset is out of range")
	}
	val := a[3]
	d := e.cur()
	en, found := d.get(a[1])
	if found && en.obj.kind() != kindString {
		return errWrongType
	}
	if len(val) == 0 {
		return nil
	}
	if off > protoMaxBulkLen-int64(len(val)) { // checkStringLength, overflow included
		return errTooBig
	}
	var cur []byte
	if found {
		cur = strBytes(en.obj, nil)
	}
	need := int(off) + len(val)
	if need > len(cur) {
		cur = append(cur, make([]byte, need-len(cur))...)
	}
	copy(cur[off:], val)
	if found {
		d.setKeep(a[1], strObj(cur))
	} else {
		d.put(a[1], strObj(cur), noExpire)
	}
	return nil
}

func cmdIncrBy(e *Engine, a [][]byte) error {
	n, err := argInt(a[2])
	if err != nil {
		return err
	}
	return e.incrBy(a[1], n)
}

func cmdDecrBy(e *Engine, a [][]byte) error {
	n, err := argInt(a[2])
	if err != nil {
		return err
	}
	if n == math.MinInt64 {
		return replyErr("ERR decrement would overflow")
	}
	return e.incrBy(a[1], -n)
}

// incrBy is incrDecrCommand: the value must be a canonical integer; the TTL
// is kept.
func (e *Engine) incrBy(key []byte, incr int64) error {
	d := e.cur()
	en, found := d.get(key)
	var cur int64
	if found {
		switch s := en.obj.(type) {
		case intObj:
			cur = int64(s)
		case strObj, pstr:
			n, ok := parseInt(strBytes(s, nil))
			if !ok {
				return errNotInt
			}
			cur = n
		default:
			return errWrongType
		}
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		return errOverflow
	}
	d.setKeep(key, intObj(cur+incr))
	return nil
}

// ldFromObject parses a string object as a long double
// (getLongDoubleFromObject).
func ldFromObject(o object) (*big.Float, bool) {
	switch s := o.(type) {
	case intObj:
		return newLD().SetInt64(int64(s)), true
	case strObj:
		return parseLongDouble(s)
	case pstr:
		return parseLongDouble(s.bytes())
	}
	return nil, false
}

func cmdIncrByFloat(e *Engine, a [][]byte) error {
	d := e.cur()
	en, found := d.get(a[1])
	cur := newLD()
	if found {
		if en.obj.kind() != kindString {
			return errWrongType
		}
		x, ok := ldFromObject(en.obj)
		if !ok {
			return errNotFloat
		}
		cur = x
	}
	incr, ok := parseLongDouble(a[2])
	if !ok {
		return errNotFloat
	}
	sum, ok := ldAdd(cur, incr)
	if !ok {
		return replyErr("ERR increment would produce NaN or Infinity")
	}
	d.setKeep(a[1], newString(formatLongDouble(sum)))
	return nil
}

func cmdGetSet(e *Engine, a [][]byte) error {
	d := e.cur()
	if en, found := d.get(a[1]); found && en.obj.kind() != kindString {
		return errWrongType
	}
	d.putString(a[1], a[2], noExpire)
	return nil
}

func cmdGetDel(e *Engine, a [][]byte) error {
	d := e.cur()
	if en, found := d.get(a[1]); found {
		if en.obj.kind() != kindString {
			return errWrongType
		}
		d.del(a[1])
	}
	return nil
}

func cmdGetEx(e *Engine, a [][]byte) error {
	f, exparg, _, err := e.setArgs(a[2:], true)
	if err != nil {
		return err
	}
	exp := int64(noExpire)
	if exparg != nil {
		if exp, err = e.expireMs(f, exparg, "getex"); err != nil {
			return err
		}
	}
	d := e.cur()
	en, found := d.get(a[1])
	if !found {
		return nil
	}
	if en.obj.kind() != kindString {
		return errWrongType
	}
	switch {
	case exparg != nil:
		d.setExp(a[1], exp)
	case f&setPersist != 0:
		d.setExp(a[1], noExpire)
	}
	return nil
}

// cmdDelEx is Redis 8.4 DELEX key [IFEQ v | IFNE v | IFDEQ d | IFDNE d].
func cmdDelEx(e *Engine, a [][]byte) error {
	d := e.cur()
	if len(a) == 2 {
		d.del(a[1])
		return nil
	}
	if len(a) != 4 {
		return errSyntax
	}
	var ifeq bool
	switch {
	case eq(a[2], "ifeq"):
		ifeq = true
	case eq(a[2], "ifne"):
	case eq(a[2], "ifdeq"), eq(a[2], "ifdne"):
		return unsupported("DELEX " + string(a[2]) + " compares XXH3 digests")
	default:
		return errSyntax
	}
	en, found := d.get(a[1])
	if !found {
		return nil
	}
	if en.obj.kind() != kindString {
		return errWrongType
	}
	same := string(strBytes(en.obj, e.scratch[:0])) == string(a[3])
	if same == ifeq {
		d.del(a[1])
	}
	return nil
}

// cmdDelIfEq is Valkey 9 DELIFEQ key value.
func cmdDelIfEq(e *Engine, a [][]byte) error {
	d := e.cur()
	en, found := d.get(a[1])
	if !found {
		return nil
	}
	if en.obj.kind() != kindString {
		return errWrongType
	}
	if string(strBytes(en.obj, e.scratch[:0])) == string(a[2]) {
		d.del(a[1])
	}
	return nil
}
