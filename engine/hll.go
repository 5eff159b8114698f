package engine

import (
	"encoding/binary"
	"math"
)

// HyperLogLog, a port of Redis src/hyperloglog.c: the value is a string
// "HYLL" + encoding byte (0 dense, 1 sparse) + 3 unused bytes + an 8-byte
// little-endian cached cardinality whose top bit (byte 15, bit 7) marks it
// invalid, then the registers. Dense: 16384 6-bit registers, LSB first.
// Sparse: run-length opcodes ZERO (00xxxxxx: 1..64 zero registers), XZERO
// (01xxxxxx yyyyyyyy: 1..16384), VAL (1vvvvvxx: 1..4 registers of value
// 1..32). A sparse HLL is promoted to dense when a register exceeds 32 or
// the string would exceed hll-sparse-max-bytes. The bytes produced here are
// the server's, so PFADD/PFMERGE/PFCOUNT replays give identical strings.

const (
	hllP         = 14
	hllQ         = 64 - hllP
	hllRegisters = 1 << hllP
	hllPMask     = hllRegisters - 1
	hllBits      = 6
	hllRegMax    = 1<<hllBits - 1
	hllHdrSize   = 16
	hllDenseSize = hllHdrSize + (hllRegisters*hllBits+7)/8
	hllDense     = 0
	hllSparse    = 1

	hllSparseValMaxValue  = 32
	hllSparseValMaxLen    = 4
	hllSparseZeroMaxLen   = 64
	hllSparseXZeroMaxLen  = 16384
	hllAlphaInf           = 0.721347520444481703680
	errInvalidHLL         = replyErr("INVALIDOBJ Corrupted HLL object detected")
	errNotHLL             = replyErr("WRONGTYPE Key is not a valid HyperLogLog string value.")
	hllSparseXZeroBit     = 0x40
	hllSparseValBit       = 0x80
	hllSparseZeroLenMask  = 0x3f
	hllSparseValValueMask = 0x1f
)

var hllCommands = []cmdSpec{
	{name: "pfadd", fn: cmdPFAdd},
	{name: "pfmerge", fn: cmdPFMerge},
	{name: "pfcount", fn: cmdPFCount},
}

// murmurHash64A is MurmurHash2, 64-bit version, by Austin Appleby, with the
// server's little-endian reads.
func murmurHash64A(key []byte, seed uint64) uint64 {
	const m = 0xc6a4a7935bd1e995
	const r = 47
	h := seed ^ uint64(len(key))*m
	n := len(key) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(key[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	tail := key[n:]
	switch len(tail) {
	case 7:
		h ^= uint64(tail[6]) << 48
		fallthrough
	case 6:
		h ^= uint64(tail[5]) << 40
		fallthrough
	case 5:
		h ^= uint64(tail[4]) << 32
		fallthrough
	case 4:
		h ^= uint64(tail[3]) << 24
		fallthrough
	case 3:
		h ^= uint64(tail[2]) << 16
		fallthrough
	case 2:
		h ^= uint64(tail[1]) << 8
		fallthrough
	case 1:
		h ^= uint64(tail[0])
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// hllPatLen returns the register index and the run length of the element.
func hllPatLen(ele []byte) (int, uint8) {
	hash := murmurHash64A(ele, 0xadc83b19)
	index := int(hash & hllPMask)
	hash >>= hllP
	hash |= 1 << hllQ
	count := uint8(1)
	for bit := uint64(1); hash&bit == 0; bit <<= 1 {
		count++
	}
	return index, count
}

func denseGet(regs []byte, i int) uint8 {
	byteIdx := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	b0 := uint(regs[byteIdx])
	var b1 uint
	if byteIdx+1 < len(regs) {
		b1 = uint(regs[byteIdx+1])
	}
	return uint8((b0>>fb | b1<<(8-fb)) & hllRegMax)
}

func denseSet(regs []byte, i int, v uint8) {
	byteIdx := i * hllBits / 8
	fb := uint(i * hllBits & 7)
	regs[byteIdx] &^= byte(hllRegMax << fb)
	regs[byteIdx] |= byte(uint(v) << fb)
	if byteIdx+1 < len(regs) {
		regs[byteIdx+1] &^= byte(hllRegMax >> (8 - fb))
		regs[byteIdx+1] |= byte(uint(v) >> (8 - fb))
	}
}

// hll is a HyperLogLog string being modified.
type hll struct {
	b        []byte
	maxBytes int
}

func (h *hll) invalidate() { h.b[15] |= 1 << 7 }

func isHLL(b []byte) bool {
	if len(b) < hllHdrSize || string(b[:4]) != "HYLL" || b[4] > hllSparse {
		return false
	}
	return b[4] != hllDense || len(b) == hllDenseSize
}

// newHLL is createHLLObject: an empty sparse HLL (XZERO opcodes covering
// every register), cached cardinality 0 (valid).
func newHLL() []byte {
	b := make([]byte, hllHdrSize, hllHdrSize+2)
	copy(b, "HYLL")
	b[4] = hllSparse
	for aux := hllRegisters; aux > 0; {
		xz := min(aux, hllSparseXZeroMaxLen)
		b = append(b, byte((xz-1)>>8)|hllSparseXZeroBit, byte((xz-1)&0xff))
		aux -= xz
	}
	return b
}

// toDense is hllSparseToDense.
func (h *hll) toDense() bool {
	if h.b[4] == hllDense {
		return true
	}
	dense := make([]byte, hllDenseSize)
	copy(dense, h.b[:hllHdrSize])
	dense[4] = hllDense
	regs := dense[hllHdrSize:]
	idx := 0
	p := hllHdrSize
	for p < len(h.b) {
		op := h.b[p]
		switch {
		case op&0xc0 == 0:
			idx += int(op&hllSparseZeroLenMask) + 1
			p++
		case op&0xc0 == hllSparseXZeroBit:
			if p+1 >= len(h.b) {
				return false
			}
			idx += (int(op&hllSparseZeroLenMask)<<8 | int(h.b[p+1])) + 1
			p += 2
		default:
			runlen := int(op&3) + 1
			val := (op>>2)&hllSparseValValueMask + 1
			if runlen+idx > hllRegisters {
				return false
			}
			for ; runlen > 0; runlen-- {
				denseSet(regs, idx, val)
				idx++
			}
			p++
		}
	}
	if idx != hllRegisters {
		return false
	}
	h.b = dense
	return true
}

// sparseSet is hllSparseSet: 1 updated, 0 unchanged, -1 corrupt.
func (h *hll) sparseSet(index int, count uint8) int {
	if count > hllSparseValMaxValue {
		return h.promote(index, count)
	}
	b := h.b
	p := hllHdrSize
	end := len(b)
	first, span := 0, 0
	prev := -1
	for p < end {
		oplen := 1
		op := b[p]
		switch {
		case op&0xc0 == 0:
			span = int(op&hllSparseZeroLenMask) + 1
		case op&hllSparseValBit != 0:
			span = int(op&3) + 1
		default:
			if p+1 >= end {
				return -1
			}
			span = (int(op&hllSparseZeroLenMask)<<8 | int(b[p+1])) + 1
			oplen = 2
		}
		if index <= first+span-1 {
			break
		}
		prev = p
		p += oplen
		first += span
	}
	if span == 0 || p >= end {
		return -1
	}
	op := b[p]
	isZero := op&0xc0 == 0
	isXZero := op&0xc0 == hllSparseXZeroBit
	isVal := op&hllSparseValBit != 0
	var runlen int
	switch {
	case isZero:
		runlen = int(op&hllSparseZeroLenMask) + 1
	case isXZero:
		runlen = (int(op&hllSparseZeroLenMask)<<8 | int(b[p+1])) + 1
	default:
		runlen = int(op&3) + 1
	}
	valSet := func(v uint8, l int) byte { return byte((int(v)-1)<<2|(l-1)) | hllSparseValBit }
	if isVal {
		old := (op>>2)&hllSparseValValueMask + 1
		if old >= count {
			return 0
		}
		if runlen == 1 {
			b[p] = valSet(count, 1)
			return h.sparseMerge(prev, p)
		}
	}
	if isZero && runlen == 1 {
		b[p] = valSet(count, 1)
		return h.sparseMerge(prev, p)
	}
	// General case: split the opcode into up to three.
	var seq []byte
	last := first + span - 1
	zeroRun := func(l int) {
		if l > hllSparseZeroMaxLen {
			seq = append(seq, byte((l-1)>>8)|hllSparseXZeroBit, byte((l-1)&0xff))
		} else {
			seq = append(seq, byte(l-1))
		}
	}
	if isZero || isXZero {
		if index != first {
			zeroRun(index - first)
		}
		seq = append(seq, valSet(count, 1))
		if index != last {
			zeroRun(last - index)
		}
	} else {
		cur := (op>>2)&hllSparseValValueMask + 1
		if index != first {
			seq = append(seq, valSet(cur, index-first))
		}
		seq = append(seq, valSet(count, 1))
		if index != last {
			seq = append(seq, valSet(cur, last-index))
		}
	}
	oldlen := 1
	if isXZero {
		oldlen = 2
	}
	delta := len(seq) - oldlen
	if delta > 0 && len(b)+delta > h.maxBytes {
		return h.promote(index, count)
	}
	nb := make([]byte, 0, len(b)+delta)
	nb = append(nb, b[:p]...)
	nb = append(nb, seq...)
	nb = append(nb, b[p+oldlen:]...)
	h.b = nb
	return h.sparseMerge(prev, p)
}

// sparseMerge is step 4 of hllSparseSet: merge adjacent VAL opcodes of the
// same value, scanning up to 5 opcodes from prev; then invalidate the cache.
func (h *hll) sparseMerge(prev, _ int) int {
	b := h.b
	p := hllHdrSize
	if prev >= 0 {
		p = prev
	}
	end := len(b)
	for scan := 5; p < end && scan > 0; scan-- {
		op := b[p]
		if op&0xc0 == hllSparseXZeroBit {
			p += 2
			continue
		} else if op&0xc0 == 0 {
			p++
			continue
		}
		if p+1 < end && b[p+1]&hllSparseValBit != 0 {
			v1 := (op>>2)&hllSparseValValueMask + 1
			v2 := (b[p+1]>>2)&hllSparseValValueMask + 1
			if v1 == v2 {
				l := int(op&3) + 1 + int(b[p+1]&3) + 1
				if l <= hllSparseValMaxLen {
					b[p+1] = byte((int(v1)-1)<<2|(l-1)) | hllSparseValBit
					copy(b[p:], b[p+1:end])
					end--
					b = b[:end]
					continue
				}
			}
		}
		p++
	}
	h.b = b
	h.invalidate()
	return 1
}

func (h *hll) promote(index int, count uint8) int {
	if !h.toDense() {
		return -1
	}
	denseSetMax(h.b[hllHdrSize:], index, count)
	return 1
}

// denseSetMax is hllDenseSet: set the register if count is larger.
func denseSetMax(regs []byte, index int, count uint8) bool {
	if count > denseGet(regs, index) {
		denseSet(regs, index, count)
		return true
	}
	return false
}

// add is hllAdd: 1 if a register changed, 0 if not, -1 if corrupt.
func (h *hll) add(ele []byte) int {
	index, count := hllPatLen(ele)
	switch h.b[4] {
	case hllDense:
		if denseSetMax(h.b[hllHdrSize:], index, count) {
			return 1
		}
		return 0
	case hllSparse:
		return h.sparseSet(index, count)
	}
	return -1
}

// set stores a register maximum (PFMERGE).
func (h *hll) set(index int, count uint8) int {
	if h.b[4] == hllDense {
		denseSetMax(h.b[hllHdrSize:], index, count)
		return 1
	}
	return h.sparseSet(index, count)
}

// merge is hllMerge: max[i] = max(max[i], register i).
func hllMerge(maxr *[hllRegisters]uint8, b []byte) bool {
	if b[4] == hllDense {
		regs := b[hllHdrSize:]
		for i := range maxr {
			if v := denseGet(regs, i); v > maxr[i] {
				maxr[i] = v
			}
		}
		return true
	}
	i := 0
	p := hllHdrSize
	for p < len(b) {
		op := b[p]
		switch {
		case op&0xc0 == 0:
			i += int(op&hllSparseZeroLenMask) + 1
			p++
		case op&0xc0 == hllSparseXZeroBit:
			if p+1 >= len(b) {
				return false
			}
			i += (int(op&hllSparseZeroLenMask)<<8 | int(b[p+1])) + 1
			p += 2
		default:
			runlen := int(op&3) + 1
			val := (op>>2)&hllSparseValValueMask + 1
			if runlen+i > hllRegisters {
				return false
			}
			for ; runlen > 0; runlen-- {
				if val > maxr[i] {
					maxr[i] = val
				}
				i++
			}
			p++
		}
	}
	return i == hllRegisters
}

// hllCount is the Ertl estimator of hllCount (Redis 5+).
func hllCount(b []byte) (uint64, bool) {
	var histo [64]int
	if b[4] == hllDense {
		regs := b[hllHdrSize:]
		for i := 0; i < hllRegisters; i++ {
			histo[denseGet(regs, i)]++
		}
	} else {
		idx := 0
		p := hllHdrSize
		for p < len(b) {
			op := b[p]
			switch {
			case op&0xc0 == 0:
				l := int(op&hllSparseZeroLenMask) + 1
				idx += l
				histo[0] += l
				p++
			case op&0xc0 == hllSparseXZeroBit:
				if p+1 >= len(b) {
					return 0, false
				}
				l := (int(op&hllSparseZeroLenMask)<<8 | int(b[p+1])) + 1
				idx += l
				histo[0] += l
				p += 2
			default:
				l := int(op&3) + 1
				v := (op>>2)&hllSparseValValueMask + 1
				idx += l
				histo[v] += l
				p++
			}
		}
		if idx != hllRegisters {
			return 0, false
		}
	}
	m := float64(hllRegisters)
	z := m * hllTau((m-float64(histo[hllQ+1]))/m)
	for j := hllQ; j >= 1; j-- {
		z += float64(histo[j])
		z *= 0.5
	}
	z += m * hllSigma(float64(histo[0])/m)
	return uint64(math.Round(hllAlphaInf * m * m / z)), true
}

func hllSigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y := 1.0
	z := x
	for {
		x *= x
		zp := z
		z += x * y
		y += y
		if zp == z {
			break
		}
	}
	return z
}

func hllTau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y := 1.0
	z := 1 - x
	for {
		x = math.Sqrt(x)
		zp := z
		y *= 0.5
		d := 1 - x
		z -= d * d * y
		if zp == z {
			break
		}
	}
	return z / 3
}

// hllValue returns key's HLL bytes (a copy the caller may modify), nil if
// the key is missing.
func (e *Engine) hllValue(key []byte) ([]byte, error) {
	en, found := e.cur().get(key)
	if !found {
		return nil, nil
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
		return nil, errWrongType
	}
	if !isHLL(b) {
		return nil, errNotHLL
	}
	return b, nil
}

func cmdPFAdd(e *Engine, a [][]byte) error {
	b, err := e.hllValue(a[1])
	if err != nil {
		return err
	}
	updated := 0
	if b == nil {
		b = newHLL()
		updated++
	} else {
		b = clone(b)
	}
	h := &hll{b: b, maxBytes: e.opts.HLLSparseMaxBytes}
	for _, el := range a[2:] {
		switch h.add(el) {
		case 1:
			updated++
		case -1:
			return errInvalidHLL
		}
	}
	if updated > 0 {
		h.invalidate()
		e.cur().setKeep(a[1], strObj(h.b))
	}
	return nil
}

func cmdPFMerge(e *Engine, a [][]byte) error {
	var maxr [hllRegisters]uint8
	useDense := false
	for _, k := range a[1:] {
		b, err := e.hllValue(k)
		if err != nil {
			return err
		}
		if b == nil {
			continue
		}
		if b[4] == hllDense {
			useDense = true
		}
		if !hllMerge(&maxr, b) {
			return errInvalidHLL
		}
	}
	b, _ := e.hllValue(a[1])
	if b == nil {
		b = newHLL()
	} else {
		b = clone(b)
	}
	h := &hll{b: b, maxBytes: e.opts.HLLSparseMaxBytes}
	if useDense && !h.toDense() {
		return errInvalidHLL
	}
	for i, v := range maxr {
		if v == 0 {
			continue
		}
		if h.set(i, v) < 0 {
			return errInvalidHLL
		}
	}
	h.invalidate()
	e.cur().setKeep(a[1], strObj(h.b))
	return nil
}

// cmdPFCount updates the cached cardinality of a single key when it is
// invalid (which is why PFCOUNT reaches the AOF); with several keys it
// only reads.
func cmdPFCount(e *Engine, a [][]byte) error {
	if len(a) > 2 {
		for _, k := range a[1:] {
			if _, err := e.hllValue(k); err != nil {
				return err
			}
		}
		return nil
	}
	b, err := e.hllValue(a[1])
	if err != nil || b == nil {
		return err
	}
	if b[15]&(1<<7) == 0 {
		return nil // cache valid
	}
	card, ok := hllCount(b)
	if !ok {
		return errInvalidHLL
	}
	b = clone(b)
	binary.LittleEndian.PutUint64(b[8:16], card)
	e.cur().setKeep(a[1], strObj(b))
	return nil
}
