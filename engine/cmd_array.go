package engine

import (
	"bytes"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Array commands (Redis 8.8 src/t_array.c): every write command. (The
// read-only ones are never written to an AOF.)

var arrayCommands = []cmdSpec{
	{name: "arset", fn: cmdArSet},
	{name: "armset", fn: cmdArMSet},
	{name: "ardel", fn: cmdArDel},
	{name: "ardelrange", fn: cmdArDelRange},
	{name: "arinsert", fn: cmdArInsert},
	{name: "arring", fn: cmdArRing},
	{name: "arseek", fn: cmdArSeek},
}

var (
	errArIndex          = replyErr("ERR invalid array index")
	errArIndexOverflow  = replyErr("ERR array index overflow")
	errArInsertOverflow = replyErr("ERR insert index overflow")
)

// arIndex is getArrayIndexFromObject: string2ull of the argument up to its
// first NUL byte; 2^64-1 only when allowMax (ARSEEK).
func arIndex(b []byte, allowMax bool) (uint64, error) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	n, ok := string2ull(b)
	if !ok || (n == arNoInsert && !allowMax) {
		return 0, errArIndex
	}
	return n, nil
}

// array returns key's array, nil if the key is missing.
func (e *Engine) array(key []byte) (*arrayObj, error) {
	o, err := e.cur().typed(key, rdbfile.KindArray)
	if o == nil {
		return nil, err
	}
	return o.(*arrayObj), nil
}

// arrayForWrite is lookupArrayForWriteOrReply: key's array, created empty
// when missing (the caller always adds an element to a new one).
func (e *Engine) arrayForWrite(key []byte) (*arrayObj, error) {
	a, err := e.array(key)
	if err != nil || a != nil {
		return a, err
	}
	a = newArray()
	e.cur().put(key, a, noExpire)
	return a, nil
}

// ARSET key index value [value ...]: contiguous values from index.
func cmdArSet(e *Engine, a [][]byte) error {
	start, err := arIndex(a[2], false)
	if err != nil {
		return err
	}
	last := start + uint64(len(a)-3) - 1
	if last < start || last == arNoInsert {
		return errArIndexOverflow
	}
	ar, err := e.arrayForWrite(a[1])
	if err != nil {
		return err
	}
	for i, v := range a[3:] {
		ar.set(start+uint64(i), v)
	}
	return nil
}

// ARMSET key index value [index value ...]: indices are all checked first.
func cmdArMSet(e *Engine, a [][]byte) error {
	if (len(a)-2)%2 != 0 {
		return errArity("armset")
	}
	idx := make([]uint64, 0, (len(a)-2)/2)
	for i := 2; i < len(a); i += 2 {
		n, err := arIndex(a[i], false)
		if err != nil {
			return err
		}
		idx = append(idx, n)
	}
	ar, err := e.arrayForWrite(a[1])
	if err != nil {
		return err
	}
	for k, n := range idx {
		ar.set(n, a[3+2*k])
	}
	return nil
}

// deleteIfEmptyArray removes key once its array has no element (ARDEL,
// ARDELRANGE): the key goes, cursor and TTL with it.
func (e *Engine) deleteIfEmptyArray(key []byte, ar *arrayObj) {
	if ar.count == 0 {
		e.cur().del(key)
	}
}

// ARDEL key index [index ...].
func cmdArDel(e *Engine, a [][]byte) error {
	idx := make([]uint64, 0, len(a)-2)
	for _, b := range a[2:] {
		n, err := arIndex(b, false)
		if err != nil {
			return err
		}
		idx = append(idx, n)
	}
	ar, err := e.array(a[1])
	if err != nil || ar == nil {
		return err
	}
	for _, n := range idx {
		ar.del(n)
	}
	e.deleteIfEmptyArray(a[1], ar)
	return nil
}

// ARDELRANGE key start end [start end ...]: each pair in either order.
func cmdArDelRange(e *Engine, a [][]byte) error {
	if (len(a)-2)%2 != 0 {
		return errArity("ardelrange")
	}
	idx := make([]uint64, 0, len(a)-2)
	for _, b := range a[2:] {
		n, err := arIndex(b, false)
		if err != nil {
			return err
		}
		idx = append(idx, n)
	}
	ar, err := e.array(a[1])
	if err != nil || ar == nil {
		return err
	}
	for k := 0; k < len(idx); k += 2 {
		lo, hi := idx[k], idx[k+1]
		if lo > hi {
			lo, hi = hi, lo
		}
		ar.delRange(lo, hi)
	}
	e.deleteIfEmptyArray(a[1], ar)
	return nil
}

// ARINSERT key value [value ...]: values at the cursor + 1 on (0 when the
// array has no cursor); the cursor ends on the last one.
func cmdArInsert(e *Engine, a [][]byte) error {
	ar, err := e.arrayForWrite(a[1])
	if err != nil {
		return err
	}
	var start uint64
	if ar.insert != arNoInsert {
		if ar.insert >= arNoInsert-1 {
			return errArInsertOverflow
		}
		start = ar.insert + 1
	}
	last := start + uint64(len(a)-2) - 1
	if last < start || last == arNoInsert {
		return errArInsertOverflow
	}
	for i, v := range a[2:] {
		ar.set(start+uint64(i), v)
	}
	ar.insert = last
	return nil
}

// ARRING key size value [value ...]: ARINSERT into a ring of size slots.
// A size below the current span (ARLEN), or above it after the ring has
// wrapped, first rebuilds the array from the newest contiguous run of
// elements ending at the cursor (arRingNeedsRework, arRingRework).
func cmdArRing(e *Engine, a [][]byte) error {
	size, ok := parseInt(a[2])
	if !ok {
		return replyErr("ERR invalid size")
	}
	if size <= 0 {
		return replyErr("ERR size must be positive")
	}
	ring := uint64(size)
	ar, err := e.arrayForWrite(a[1])
	if err != nil {
		return err
	}
	if span, keep := ar.arLen(), uint64(0); span > 0 {
		switch {
		case ring < span:
			keep = ring
		case ring > span && ar.insert != arNoInsert && ar.nextInsert() < span:
			keep = span
		}
		if keep > 0 {
			nr := ar.ringRework(span, keep)
			*ar = *nr
		}
	}
	for _, v := range a[3:] {
		c := ar.nextInsert()
		if c >= ring {
			c %= ring
		}
		ar.set(c, v)
		ar.insert = c
	}
	return nil
}

// nextInsert is arRingNextCursor: the slot after the cursor, 0 without one.
func (a *arrayObj) nextInsert() uint64 {
	if a.insert == arNoInsert {
		return 0
	}
	return a.insert + 1
}

// ringRework is arRingRework: walking back from the cursor (folded into
// [0, span); the last slot without a cursor), at most keep elements up to
// the first empty slot are kept and copied, oldest first, to indices 0 on;
// the cursor ends on the newest.
func (a *arrayObj) ringRework(span, keep uint64) *arrayObj {
	anchor := span - 1
	if a.insert != arNoInsert {
		anchor = a.insert % span
	}
	var kept uint64
	src := anchor
	for kept < keep {
		if _, ok := a.get(src); !ok {
			break
		}
		kept++
		if src == 0 {
			src = span - 1
		} else {
			src--
		}
	}
	src++
	if src == span {
		src = 0
	}
	n := newArray()
	for dst := uint64(0); dst < kept; dst++ {
		v, _ := a.get(src)
		n.set(dst, v)
		src++
		if src == span {
			src = 0
		}
	}
	if kept != 0 {
		n.insert = kept - 1
	}
	return n
}

// ARSEEK key index: the next ARINSERT writes at index (0 clears the
// cursor; 2^64-1 leaves it exhausted). A missing key is not created.
func cmdArSeek(e *Engine, a [][]byte) error {
	n, err := arIndex(a[2], true)
	if err != nil {
		return err
	}
	ar, err := e.array(a[1])
	if err != nil || ar == nil {
		return err
	}
	if n == 0 {
		ar.insert = arNoInsert
	} else {
		ar.insert = n - 1
	}
	return nil
}
