package rdbfile

import "sync"

// LZF, the compression used for RDB strings with the C3 encoding (Redis
// src/lzf_d.c lzf_decompress and src/lzf_c.c lzf_compress, liblzf 3.6). The stream has
// no header; it is a sequence of
//
//	000LLLLL <L+1 literal bytes>            literal run of 1..32 bytes
//	LLLooooo oooooooo                       back reference, length L+2 (3..8)
//	111ooooo LLLLLLLL oooooooo              back reference, length L+9 (9..264)
//
// where the 13-bit o is the distance minus one (1..8192 bytes back).

const (
	lzfMaxLit = 1 << 5        // longest literal run
	lzfMaxOff = 1 << 13       // back-reference distance limit
	lzfMaxRef = 1<<8 + 1<<3   // longest back reference (264)
	lzfHLog   = 16            // log2 of the hash table size in Redis's build (lzfP.h HLOG)
	lzfHSize  = 1 << lzfHLog  // hash table slots
	lzfMaxExp = lzfMaxRef / 3 // most output bytes one input byte can yield (88)
)

// lzfDecompress decompresses the LZF stream src, which must expand to exactly
// ulen bytes, into dst[:0], growing it only if its capacity is below ulen, and
// returns the result. Errors are *blobError with Pos the offset in src of the
// offending control byte (or len(src) for a short result). It never panics,
// and it refuses before allocating any ulen larger than src could possibly
// expand to.
func lzfDecompress(dst, src []byte, ulen int) ([]byte, error) {
	if ulen < 0 || uint64(ulen) > uint64(len(src))*lzfMaxExp {
		return dst[:0], &blobError{0, "LZF uncompressed length larger than the data can expand to"}
	}
	if cap(dst) < ulen {
		// Spare capacity lets lzfDecompressFast run to the end of the stream.
		dst = make([]byte, ulen, ulen+lzfMaxRef+32)
	}
	out := dst[:ulen]
	op, ip := lzfDecompressFast(out, src)
	// The careful loop finishes the stream (or reports the error the fast
	// loop stopped at): every length is checked against both ends.
	for ip < len(src) {
		at := ip
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 { // literal run
			n := ctrl + 1
			if n > len(src)-ip {
				return out[:op], &blobError{at, "LZF literal run past the end of the input"}
			}
			if n > ulen-op {
				return out[:op], &blobError{at, "LZF output longer than the uncompressed length"}
			}
			copy(out[op:], src[ip:ip+n])
			ip += n
			op += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(src) {
				return out[:op], &blobError{at, "LZF back reference past the end of the input"}
			}
			n += int(src[ip])
			ip++
		}
		if ip >= len(src) {
			return out[:op], &blobError{at, "LZF back reference past the end of the input"}
		}
		ref := op - (ctrl&0x1f)<<8 - int(src[ip]) - 1
		ip++
		n += 2
		if n > ulen-op {
			return out[:op], &blobError{at, "LZF output longer than the uncompressed length"}
		}
		if ref < 0 {
			return out[:op], &blobError{at, "LZF back reference before the start of the output"}
		}
		if op-ref >= n { // no overlap
			copy(out[op:op+n], out[ref:ref+n])
			op += n
		} else { // overlapping: the copy repeats the last op-ref bytes
			for end := op + n; op < end; op++ {
				out[op] = out[ref]
				ref++
			}
		}
	}
	if op != ulen {
		return out[:op], &blobError{len(src), "LZF output shorter than the uncompressed length"}
	}
	return out, nil
}

// lzfDecompressFast decodes as much of src into out as it can without
// checking every copy against the slice ends: literal runs are copied as
// fixed 32-byte blocks and back references as 8-, 16- or 32-byte blocks (the
// extra bytes land beyond op and are overwritten by what follows, or fall in
// the spare capacity past the output). Blocks may read and write up to the
// capacities of src and out, so a stream that ends within a buffer's
// capacity still runs at full speed to its end; every token is still checked
// against the exact lengths len(src) and len(out). It stops at the first
// token it cannot decode that way, or at an invalid back reference, and
// returns the input and output positions reached; lzfDecompress then goes
// on with its checked loop, which reports any error.
func lzfDecompressFast(out, src []byte) (op, ip int) {
	const inMargin = 2 + lzfMaxLit   // control byte + a 32-byte block (> 3-byte reference)
	const outMargin = lzfMaxRef + 32 // longest reference rounded up to a block
	olen, slen := len(out), len(src)
	out, src = out[:cap(out)], src[:cap(src)]
	for ip+inMargin <= len(src) && op+outMargin <= len(out) {
		ctrl := int(src[ip])
		if ctrl < 32 { // literal run of ctrl+1 bytes
			if ip+ctrl+2 > slen || op+ctrl+1 > olen {
				return op, ip
			}
			// Two 16-byte moves: a 32-byte array assignment compiles to a
			// runtime.memmove call, which costs more than the copy.
			*(*[16]byte)(out[op:]) = *(*[16]byte)(src[ip+1:])
			*(*[16]byte)(out[op+16:]) = *(*[16]byte)(src[ip+17:])
			op += ctrl + 1
			ip += ctrl + 2
			continue
		}
		n := ctrl>>5 + 2
		next := ip + 2
		if n == 9 {
			n += int(src[ip+1])
			next++
		}
		ref := op - (ctrl&0x1f)<<8 - int(src[next-1]) - 1
		if next > slen || n > olen-op || ref < 0 {
			return op, ip // the checked loop reports it
		}
		switch dist := op - ref; {
		case dist >= 32:
			for i := 0; i < n; i += 32 {
				*(*[16]byte)(out[op+i:]) = *(*[16]byte)(out[ref+i:])
				*(*[16]byte)(out[op+i+16:]) = *(*[16]byte)(out[ref+i+16:])
			}
		case dist >= 16:
			for i := 0; i < n; i += 16 {
				*(*[16]byte)(out[op+i:]) = *(*[16]byte)(out[ref+i:])
			}
		case dist >= 8:
			for i := 0; i < n; i += 8 {
				*(*[8]byte)(out[op+i:]) = *(*[8]byte)(out[ref+i:])
			}
		default: // overlapping: repeats the last dist bytes
			for i := range n {
				out[op+i] = out[ref+i]
			}
		}
		op += n
		ip = next
	}
	return op, ip
}

// lzfTable is a reusable compressor hash table. Slots hold base+position; a
// slot below base is empty, so the table needs clearing only when base wraps.
type lzfTable struct {
	slot [lzfHSize]uint32
	base uint32
}

var lzfTables = sync.Pool{New: func() any { return &lzfTable{base: 1} }}

// lzfCompress compresses src the way Redis's rdbSaveLzfStringObject does:
// liblzf 3.6's lzf_compress (Redis src/lzf_c.c, src/lzfP.h) with Redis's
// settings (HLOG 16, VERY_FAST) into a buffer of len(src)-4 bytes. It writes
// into dst[:0], reusing its capacity, and returns the stream, or nil when src
// is 4 bytes or shorter, 4 GiB or longer, or the stream would not fit in
// len(src)-4 bytes (Redis then stores the string raw). The caller applies
// Redis's other rule, compressing only strings longer than 20 bytes.
//
// The output is byte-identical to Redis 7.0+ for a zeroed hash table
// (checked against every LZF string of the shared corpus, Redis 7.0-8.0 and
// Valkey 8.0). Redis leaves its table uninitialised, so it may in rare cases
// find an extra match through a stale slot and produce different, equally
// valid, bytes. Older Redis shipped an older liblzf with an extra
// "ip + 4 < in_end" match condition, so its output can differ at the end of a
// string.
func lzfCompress(dst, src []byte) []byte {
	if len(src) <= 4 || uint64(len(src)) >= 1<<32-lzfHSize {
		return nil
	}
	outLen := len(src) - 4
	if cap(dst) < outLen+1 {
		dst = make([]byte, outLen+1)
	}
	out := dst[:outLen+1] // lzf_compress may touch one byte past out_len

	t := lzfTables.Get().(*lzfTable)
	defer lzfTables.Put(t)
	return t.compress(out, src)
}

// compress is lzfCompress with the table t; out has len(src)-4+1 bytes.
func (t *lzfTable) compress(out, src []byte) []byte {
	if uint64(t.base)+uint64(len(src)) >= 1<<32 {
		clear(t.slot[:])
		t.base = 1
	}
	base := t.base
	t.base += uint32(len(src))
	htab := &t.slot

	idx := func(h uint32) uint32 { return (h>>(3*8-lzfHLog) - h*5) & (lzfHSize - 1) }
	inEnd := len(src)
	outEnd := len(out) - 1
	ip, op, lit := 0, 1, 0 // op starts past the first run's header byte
	hval := uint32(src[0])<<8 | uint32(src[1])
	for ip < inEnd-2 {
		hval = hval<<8 | uint32(src[ip+2])
		h := idx(hval)
		ref := -1
		if v := htab[h]; v >= base {
			ref = int(v - base)
		}
		htab[h] = base + uint32(ip)
		if ref > 0 && ip-ref-1 < lzfMaxOff &&
			src[ref] == src[ip] && src[ref+1] == src[ip+1] && src[ref+2] == src[ip+2] {
			off := ip - ref - 1
			n := 2
			maxlen := min(inEnd-ip-n, lzfMaxRef)
			out[op-lit-1] = byte(lit - 1) // stop run
			if lit == 0 {
				op-- // undo the empty run
			}
			if op+3+1 >= outEnd {
				return nil
			}
			// Same match-length rule as liblzf, including its unrolled
			// first 16 steps that do not re-check maxlen.
			matched := false
			if maxlen > 16 {
				for range 16 {
					n++
					if src[ref+n] != src[ip+n] {
						matched = true
						break
					}
				}
			}
			if !matched {
				for {
					n++
					if !(n < maxlen && src[ref+n] == src[ip+n]) {
						break
					}
				}
			}
			n -= 2 // match length - 2, as encoded
			ip++
			if n < 7 {
				out[op] = byte(off>>8 + n<<5)
				op++
			} else {
				out[op] = byte(off>>8 + 7<<5)
				out[op+1] = byte(n - 7)
				op += 2
			}
			out[op] = byte(off)
			op++
			lit = 0
			op++ // start run
			ip += n + 1
			if ip >= inEnd-2 {
				break
			}
			ip -= 2
			hval = uint32(src[ip])<<8 | uint32(src[ip+1])
			hval = hval<<8 | uint32(src[ip+2])
			htab[idx(hval)] = base + uint32(ip)
			ip++
			hval = hval<<8 | uint32(src[ip+2])
			htab[idx(hval)] = base + uint32(ip)
			ip++
		} else {
			if op >= outEnd {
				return nil
			}
			lit++
			out[op] = src[ip]
			op++
			ip++
			if lit == lzfMaxLit {
				out[op-lit-1] = byte(lit - 1) // stop run
				lit = 0
				op++ // start run
			}
		}
	}
	if op+3 > outEnd {
		return nil
	}
	for ip < inEnd {
		lit++
		out[op] = src[ip]
		op++
		ip++
		if lit == lzfMaxLit {
			out[op-lit-1] = byte(lit - 1)
			lit = 0
			op++
		}
	}
	out[op-lit-1] = byte(lit - 1) // end run
	if lit == 0 {
		op--
	}
	return out[:op]
}

// lzfValidate checks that src is an LZF stream that decompresses to exactly
// ulen bytes, with the same checks and errors as lzfDecompress, without
// producing the output. Verification of string values uses it: their
// content is not needed, only proof that it would decompress.
func lzfValidate(src []byte, ulen int) error {
	if ulen < 0 || uint64(ulen) > uint64(len(src))*lzfMaxExp {
		return &blobError{0, "LZF uncompressed length larger than the data can expand to"}
	}
	op, ip := 0, 0
	for ip < len(src) {
		at := ip
		ctrl := int(src[ip])
		ip++
		if ctrl < 32 {
			n := ctrl + 1
			if n > len(src)-ip {
				return &blobError{at, "LZF literal run past the end of the input"}
			}
			if n > ulen-op {
				return &blobError{at, "LZF output longer than the uncompressed length"}
			}
			ip += n
			op += n
			continue
		}
		n := ctrl >> 5
		if n == 7 {
			if ip >= len(src) {
				return &blobError{at, "LZF back reference past the end of the input"}
			}
			n += int(src[ip])
			ip++
		}
		if ip >= len(src) {
			return &blobError{at, "LZF back reference past the end of the input"}
		}
		ref := op - (ctrl&0x1f)<<8 - int(src[ip]) - 1
		ip++
		n += 2
		if n > ulen-op {
			return &blobError{at, "LZF output longer than the uncompressed length"}
		}
		if ref < 0 {
			return &blobError{at, "LZF back reference before the start of the output"}
		}
		op += n
	}
	if op != ulen {
		return &blobError{len(src), "LZF output shorter than the uncompressed length"}
	}
	return nil
}
