package engine

import "math"

// Bitmap commands (Redis src/bitops.c).

var bitCommands = []cmdSpec{
	{name: "setbit", fn: cmdSetBit},
	{name: "bitop", fn: cmdBitOp},
	{name: "bitfield", fn: cmdBitField},
}

// bitOffset is getBitOffsetFromArgument: "#n" (with hash) means n*bits.
func bitOffset(b []byte, hash bool, bits int64) (int64, error) {
	use := hash && bits > 0 && len(b) > 0 && b[0] == '#'
	if use {
		b = b[1:]
	}
	n, ok := parseInt(b)
	if !ok {
		return 0, replyErr("ERR bit offset is not an integer or out of range")
	}
	if use {
		n *= bits
	}
	if n < 0 || n>>3 >= protoMaxBulkLen {
		return 0, replyErr("ERR bit offset is not an integer or out of range")
	}
	return n, nil
}

// bitString returns key's string grown to hold bit maxbit
// (lookupStringForBitCommand), creating the key if needed; dirty reports
// whether it was created or grown. The caller stores the result back.
func (e *Engine) bitString(key []byte, maxbit int64) ([]byte, bool, error) {
	d := e.cur()
	en, found := d.get(key)
	n := int(maxbit>>3) + 1
	if !found {
		return make([]byte, n), true, nil
	}
	var b []byte
	switch s := en.obj.(type) {
	case strObj:
		b = s
	case pstr:
		b = s.bytes()
	case intObj:
		b = s.text(nil)
	default:
		return nil, false, errWrongType
	}
	if len(b) < n {
		b = append(b, make([]byte, n-len(b))...)
		return b, true, nil
	}
	return b, false, nil
}

func (e *Engine) storeBits(key []byte, b []byte) {
	e.cur().setKeep(key, strObj(b))
}

func cmdSetBit(e *Engine, a [][]byte) error {
	off, err := bitOffset(a[2], false, 0)
	if err != nil {
		return err
	}
	on, ok := parseInt(a[3])
	if !ok || on&^1 != 0 {
		return replyErr("ERR bit is not an integer or out of range")
	}
	b, dirty, err := e.bitString(a[1], off)
	if err != nil {
		return err
	}
	byteIdx, bit := off>>3, 7-uint(off&7)
	cur := b[byteIdx]>>bit&1 == 1
	if dirty || cur != (on == 1) {
		b[byteIdx] &^= 1 << bit
		b[byteIdx] |= byte(on) << bit
		e.storeBits(a[1], b)
	}
	return nil
}

func cmdBitOp(e *Engine, a [][]byte) error {
	op := a[1]
	need2 := false
	switch {
	case eq(op, "and"), eq(op, "or"), eq(op, "xor"):
	case eq(op, "not"):
		if len(a) != 4 {
			return replyErr("ERR BITOP NOT must be called with a single source key.")
		}
	case !e.v.Valkey && e.v.AtLeast(8, 2) && (eq(op, "diff") || eq(op, "diff1") || eq(op, "andor")):
		need2 = true
	case !e.v.Valkey && e.v.AtLeast(8, 2) && eq(op, "one"):
	default:
		return errSyntax
	}
	if need2 && len(a) < 5 {
		return replyErr("ERR BITOP " + string(op) + " must be called with at least two source keys.")
	}
	d := e.cur()
	srcs := make([][]byte, len(a)-3)
	maxlen := 0
	for i, k := range a[3:] {
		en, found := d.get(k)
		if !found {
			continue
		}
		switch s := en.obj.(type) {
		case strObj:
			srcs[i] = s
		case pstr:
			srcs[i] = s.bytes()
		case intObj:
			srcs[i] = s.text(nil)
		default:
			return errWrongType
		}
		maxlen = max(maxlen, len(srcs[i]))
	}
	if maxlen == 0 {
		d.del(a[2])
		return nil
	}
	at := func(i, j int) byte {
		if j < len(srcs[i]) {
			return srcs[i][j]
		}
		return 0
	}
	res := make([]byte, maxlen)
	for j := range res {
		var out byte
		switch {
		case eq(op, "and"):
			out = at(0, j)
			for i := 1; i < len(srcs); i++ {
				out &= at(i, j)
			}
		case eq(op, "or"):
			for i := range srcs {
				out |= at(i, j)
			}
		case eq(op, "xor"):
			for i := range srcs {
				out ^= at(i, j)
			}
		case eq(op, "not"):
			out = ^at(0, j)
		case eq(op, "one"):
			var one, more byte
			for i := range srcs {
				b := at(i, j)
				more |= one & b
				one = (one | b) &^ more
			}
			out = one
		default: // diff, diff1, andor: X op (Y1 | Y2 | ...)
			var ys byte
			for i := 1; i < len(srcs); i++ {
				ys |= at(i, j)
			}
			x := at(0, j)
			switch {
			case eq(op, "diff"):
				out = x &^ ys
			case eq(op, "diff1"):
				out = ^x & ys
			default:
				out = x & ys
			}
		}
		res[j] = out
	}
	d.put(a[2], strObj(res), noExpire)
	return nil
}

// BITFIELD.

const (
	bfWrap = iota
	bfSat
	bfFail
)

type bfOp struct {
	set, incr bool // neither: GET
	sign      bool
	bits      int64
	offset    int64
	val       int64
	ow        int
}

func bitfieldType(b []byte) (bool, int64, error) {
	bad := replyErr("ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.")
	if len(b) == 0 || (b[0] != 'i' && b[0] != 'u') {
		return false, 0, bad
	}
	sign := b[0] == 'i'
	n, ok := parseInt(b[1:])
	if !ok || n < 1 || (sign && n > 64) || (!sign && n > 63) {
		return false, 0, bad
	}
	return sign, n, nil
}

func cmdBitField(e *Engine, a [][]byte) error {
	var ops []bfOp
	ow := bfWrap
	write := false
	var highest int64
	for j := 2; j < len(a); j++ {
		more := len(a) - j - 1
		switch {
		case eq(a[j], "get") && more >= 2, eq(a[j], "set") && more >= 3, eq(a[j], "incrby") && more >= 3:
			op := bfOp{set: eq(a[j], "set"), incr: eq(a[j], "incrby"), ow: ow}
			var err error
			if op.sign, op.bits, err = bitfieldType(a[j+1]); err != nil {
				return err
			}
			if op.offset, err = bitOffset(a[j+2], true, op.bits); err != nil {
				return err
			}
			if op.set || op.incr {
				if op.val, err = argInt(a[j+3]); err != nil {
					return err
				}
				write = true
				highest = max(highest, op.offset+op.bits-1)
				j++
			}
			j += 2
			ops = append(ops, op)
		case eq(a[j], "overflow") && more >= 1:
			switch {
			case eq(a[j+1], "wrap"):
				ow = bfWrap
			case eq(a[j+1], "sat"):
				ow = bfSat
			case eq(a[j+1], "fail"):
				ow = bfFail
			default:
				return replyErr("ERR Invalid OVERFLOW type specified")
			}
			j++
		default:
			return errSyntax
		}
	}
	if !write {
		// Only GETs: the command reads (checking the type).
		if en, found := e.cur().get(a[1]); found && en.obj.kind() != kindString {
			return errWrongType
		}
		return nil
	}
	b, dirty, err := e.bitString(a[1], highest)
	if err != nil {
		return err
	}
	changes := 0
	for _, op := range ops {
		if !op.set && !op.incr {
			continue
		}
		if op.sign {
			old := getSignedBitfield(b, op.offset, op.bits)
			var nv, wrapped int64
			var overflow int
			if op.incr {
				overflow = checkSignedBitfieldOverflow(old, op.val, op.bits, op.ow, &wrapped)
				nv = old + op.val
				if overflow != 0 {
					nv = wrapped
				}
			} else {
				nv = op.val
				overflow = checkSignedBitfieldOverflow(nv, 0, op.bits, op.ow, &wrapped)
				if overflow != 0 {
					nv = wrapped
				}
			}
			if !(overflow != 0 && op.ow == bfFail) {
				setUnsignedBitfield(b, op.offset, op.bits, uint64(nv))
				if dirty || old != nv {
					changes++
				}
			}
		} else {
			old := getUnsignedBitfield(b, op.offset, op.bits)
			var nv, wrapped uint64
			var overflow int
			if op.incr {
				nv = old + uint64(op.val)
				overflow = checkUnsignedBitfieldOverflow(old, op.val, op.bits, op.ow, &wrapped)
			} else {
				nv = uint64(op.val)
				overflow = checkUnsignedBitfieldOverflow(nv, 0, op.bits, op.ow, &wrapped)
			}
			if overflow != 0 {
				nv = wrapped
			}
			if !(overflow != 0 && op.ow == bfFail) {
				setUnsignedBitfield(b, op.offset, op.bits, nv)
				if dirty || old != nv {
					changes++
				}
			}
		}
	}
	// The server creates or grows the string even if every write failed.
	if dirty || changes > 0 {
		e.storeBits(a[1], b)
	}
	return nil
}

func getUnsignedBitfield(p []byte, off, bits int64) uint64 {
	var v uint64
	for j := int64(0); j < bits; j++ {
		bit := 7 - uint(off&7)
		v = v<<1 | uint64(p[off>>3]>>bit&1)
		off++
	}
	return v
}

func getSignedBitfield(p []byte, off, bits int64) int64 {
	v := getUnsignedBitfield(p, off, bits)
	if bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= math.MaxUint64 << bits
	}
	return int64(v)
}

func setUnsignedBitfield(p []byte, off, bits int64, v uint64) {
	for j := int64(0); j < bits; j++ {
		on := v&(1<<(bits-1-j)) != 0
		bit := 7 - uint(off&7)
		if on {
			p[off>>3] |= 1 << bit
		} else {
			p[off>>3] &^= 1 << bit
		}
		off++
	}
}

func checkUnsignedBitfieldOverflow(value uint64, incr int64, bits int64, ow int, limit *uint64) int {
	maxv := uint64(1)<<bits - 1
	if bits == 64 {
		maxv = math.MaxUint64
	}
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	wrap := func() {
		mask := uint64(math.MaxUint64) << bits
		*limit = (value + uint64(incr)) &^ mask
	}
	if value > maxv || (incr > 0 && incr > maxincr) {
		if ow == bfWrap {
			wrap()
		} else if ow == bfSat {
			*limit = maxv
		}
		return 1
	} else if incr < 0 && incr < minincr {
		if ow == bfWrap {
			wrap()
			return 1
		} else if ow == bfSat {
			*limit = 0
		}
		return -1
	}
	return 0
}

func checkSignedBitfieldOverflow(value, incr int64, bits int64, ow int, limit *int64) int {
	maxv := int64(1)<<(bits-1) - 1
	if bits == 64 {
		maxv = math.MaxInt64
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	wrap := func() {
		msb := uint64(1) << (bits - 1)
		c := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := uint64(math.MaxUint64) << bits
			if c&msb != 0 {
				c |= mask
			} else {
				c &^= mask
			}
		}
		*limit = int64(c)
	}
	if value > maxv || (bits != 64 && incr > maxincr) || (value >= 0 && incr > 0 && incr > maxincr) {
		if ow == bfWrap {
			wrap()
		} else if ow == bfSat {
			*limit = maxv
		}
		return 1
	} else if value < minv || (bits != 64 && incr < minincr) || (value < 0 && incr < 0 && incr < minincr) {
		if ow == bfWrap {
			wrap()
			return 1
		} else if ow == bfSat {
			*limit = minv
		}
		return -1
	}
	return 0
}
