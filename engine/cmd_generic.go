package engine

import (
	"math"
)

// Generic keyspace commands (Redis src/db.c, src/expire.c, src/cluster.c
// for RESTORE).

var genericCommands = []cmdSpec{
	{name: "select", fn: cmdSelect},
	{name: "del", fn: cmdDel},
	{name: "unlink", fn: cmdDel},
	{name: "expire", fn: func(e *Engine, a [][]byte) error { return e.expireGeneric(a, e.now(), 1000, "expire") }},
	{name: "pexpire", fn: func(e *Engine, a [][]byte) error { return e.expireGeneric(a, e.now(), 1, "pexpire") }},
	{name: "expireat", fn: func(e *Engine, a [][]byte) error { return e.expireGeneric(a, 0, 1000, "expireat") }},
	{name: "pexpireat", fn: func(e *Engine, a [][]byte) error { return e.expireGeneric(a, 0, 1, "pexpireat") }},
	{name: "persist", fn: cmdPersist},
	{name: "rename", fn: func(e *Engine, a [][]byte) error { return e.rename(a, false) }},
	{name: "renamenx", fn: func(e *Engine, a [][]byte) error { return e.rename(a, true) }},
	{name: "move", fn: cmdMove},
	{name: "copy", fn: cmdCopy},
	{name: "swapdb", fn: cmdSwapDB},
	{name: "flushdb", fn: cmdFlushDB},
	{name: "flushall", fn: cmdFlushAll},
	{name: "restore", fn: cmdRestore},
	{name: "restore-asking", fn: cmdRestore},
	{name: "sort", fn: cmdSort},
}

// argDB parses a database index (getIntFromObjectOrReply + selectDb).
func (e *Engine) argDB(b []byte) (int, error) {
	n, ok := parseInt(b)
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return 0, errNotInt
	}
	if n < 0 || n >= int64(len(e.dbs)) {
		return 0, errDBRange
	}
	return int(n), nil
}

func cmdSelect(e *Engine, a [][]byte) error {
	n, err := e.argDB(a[1])
	if err != nil {
		return err
	}
	e.sel = n
	return nil
}

func cmdDel(e *Engine, a [][]byte) error {
	d := e.cur()
	for _, k := range a[1:] {
		d.del(k)
	}
	return nil
}

const (
	expNX = 1 << iota
	expXX
	expGT
	expLT
)

// parseExpireFlags parses the NX/XX/GT/LT options of EXPIRE and friends
// (parseExtendedExpireArgumentsOrReply).
func parseExpireFlags(a [][]byte) (int, error) {
	f := 0
	for _, o := range a {
		switch {
		case eq(o, "nx"):
			f |= expNX
		case eq(o, "xx"):
			f |= expXX
		case eq(o, "gt"):
			f |= expGT
		case eq(o, "lt"):
			f |= expLT
		default:
			return 0, replyErr("ERR Unsupported option " + string(o))
		}
	}
	if f&expNX != 0 && f&(expXX|expGT|expLT) != 0 {
		return 0, replyErr("ERR NX and XX, GT or LT options at the same time are not compatible")
	}
	if f&expGT != 0 && f&expLT != 0 {
		return 0, replyErr("ERR GT and LT options at the same time are not compatible")
	}
	return f, nil
}

// expireAllowed applies NX/XX/GT/LT to a current expire (noExpire: none,
// considered infinite).
func expireAllowed(f int, cur, when int64) bool {
	if f&expNX != 0 && cur != noExpire {
		return false
	}
	if f&expXX != 0 && cur == noExpire {
		return false
	}
	if f&expGT != 0 && (when <= cur || cur == noExpire) {
		return false
	}
	if f&expLT != 0 && cur != noExpire && when >= cur {
		return false
	}
	return true
}

func (e *Engine) expireGeneric(a [][]byte, base, unit int64, name string) error {
	f, err := parseExpireFlags(a[3:])
	if err != nil {
		return err
	}
	when, err := argInt(a[2])
	if err != nil {
		return err
	}
	if unit == 1000 {
		if when > math.MaxInt64/1000 || when < math.MinInt64/1000 {
			return badExpire(name)
		}
		when *= 1000
	}
	if when > math.MaxInt64-base {
		return badExpire(name)
	}
	when += base
	d := e.cur()
	en, ok := d.get(a[1])
	if !ok || !expireAllowed(f, en.exp, when) {
		return nil
	}
	// While loading, a time in the past is set like any other.
	d.setExp(a[1], when)
	return nil
}

func cmdPersist(e *Engine, a [][]byte) error {
	d := e.cur()
	if en, ok := d.get(a[1]); ok && en.exp != noExpire {
		d.setExp(a[1], noExpire)
	}
	return nil
}

func (e *Engine) rename(a [][]byte, nx bool) error {
	d := e.cur()
	en, ok := d.get(a[1])
	if !ok {
		return errNoSuchKey
	}
	if string(a[1]) == string(a[2]) {
		return nil
	}
	if _, exists := d.get(a[2]); exists && nx {
		return nil
	}
	d.put(a[2], en.obj, en.exp)
	d.del(a[1])
	return nil
}

func cmdMove(e *Engine, a [][]byte) error {
	n, ok := parseInt(a[2])
	if !ok || n < math.MinInt32 || n > math.MaxInt32 {
		return errNotInt
	}
	if n < 0 || n >= int64(len(e.dbs)) {
		return errDBRange
	}
	if int(n) == e.sel {
		return errSameObject
	}
	src, dst := e.cur(), &e.dbs[n]
	en, ok := src.get(a[1])
	if !ok {
		return nil
	}
	if _, exists := dst.get(a[1]); exists {
		return nil
	}
	dst.put(a[1], en.obj, en.exp)
	src.del(a[1])
	return nil
}

func cmdCopy(e *Engine, a [][]byte) error {
	dstDB, replace := e.sel, false
	for j := 3; j < len(a); j++ {
		switch {
		case eq(a[j], "replace"):
			replace = true
		case eq(a[j], "db") && j+1 < len(a):
			n, err := e.argDB(a[j+1])
			if err != nil {
				return err
			}
			dstDB = n
			j++
		default:
			return errSyntax
		}
	}
	if dstDB == e.sel && string(a[1]) == string(a[2]) {
		return errSameObject
	}
	src, dst := e.cur(), &e.dbs[dstDB]
	en, ok := src.get(a[1])
	if !ok {
		return nil
	}
	if _, exists := dst.get(a[2]); exists && !replace {
		return nil
	}
	if _, isModule := en.obj.(*moduleObj); isModule {
		return unsupported("copying a module value needs the module")
	}
	dst.put(a[2], en.obj.dup(), en.exp)
	return nil
}

func cmdSwapDB(e *Engine, a [][]byte) error {
	parse := func(b []byte, which string) (int, error) {
		n, ok := parseInt(b)
		if !ok || n < math.MinInt32 || n > math.MaxInt32 {
			return 0, replyErr("ERR invalid " + which + " DB index")
		}
		if n < 0 || n >= int64(len(e.dbs)) {
			return 0, errDBRange
		}
		return int(n), nil
	}
	x, err := parse(a[1], "first")
	if err != nil {
		return err
	}
	y, err := parse(a[2], "second")
	if err != nil {
		return err
	}
	e.dbs[x], e.dbs[y] = e.dbs[y], e.dbs[x]
	return nil
}

func flushArgs(a [][]byte) error {
	if len(a) > 2 || (len(a) == 2 && !eq(a[1], "sync") && !eq(a[1], "async")) {
		return errSyntax
	}
	return nil
}

func cmdFlushDB(e *Engine, a [][]byte) error {
	if err := flushArgs(a); err != nil {
		return err
	}
	e.cur().reset()
	return nil
}

func cmdFlushAll(e *Engine, a [][]byte) error {
	if err := flushArgs(a); err != nil {
		return err
	}
	for i := range e.dbs {
		if e.dbs[i].len() > 0 {
			e.dbs[i].reset()
		}
	}
	return nil
}

// cmdRestore is RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s]
// [FREQ f]. The payload is decoded by rdbfile.ReadDump.
func cmdRestore(e *Engine, a [][]byte) error {
	replace, absttl := false, false
	idle, freq := false, false
	for j := 4; j < len(a); j++ {
		more := len(a) - j - 1
		switch {
		case eq(a[j], "replace"):
			replace = true
		case eq(a[j], "absttl"):
			absttl = true
		case eq(a[j], "idletime") && more >= 1 && !freq:
			n, err := argInt(a[j+1])
			if err != nil {
				return err
			}
			if n < 0 {
				return replyErr("ERR Invalid IDLETIME value, must be >= 0")
			}
			idle = true
			j++
		case eq(a[j], "freq") && more >= 1 && !idle:
			n, err := argInt(a[j+1])
			if err != nil {
				return err
			}
			if n < 0 || n > 255 {
				return replyErr("ERR Invalid FREQ value, must be >= 0 and <= 255")
			}
			freq = true
			j++
		default:
			return errSyntax
		}
	}
	d := e.cur()
	if _, exists := d.get(a[1]); exists && !replace {
		return replyErr("BUSYKEY Target key name already exists.")
	}
	ttl, err := argInt(a[2])
	if err != nil {
		return err
	}
	if ttl < 0 {
		return replyErr("ERR Invalid TTL value, must be >= 0")
	}
	val, err := e.decodeDump(a[3])
	if err != nil {
		return err
	}
	o, err := e.fromValue(val)
	if err != nil || o == nil {
		return replyErr("ERR Bad data format")
	}
	if replace {
		d.del(a[1])
	}
	exp := noExpire
	if ttl != 0 {
		if !absttl {
			ttl += e.now()
		}
		exp = ttl
	}
	d.put(a[1], o, exp)
	return nil
}
