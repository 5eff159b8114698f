package engine

import (
	"encoding/binary"
	"encoding/hex"
	"strconv"
)

// Digests of the engine's keyspace, computed directly over its own
// representation with the primitives of digest.go (the same algorithm as
// ValueDigest over rdbfile values; TestEngineDigestMatchesValueDigest keeps
// the two in step).

// objDigest continues d with the digest of o (xorObjectDigest). It reports
// false for values whose digest is unknown (arrays, GCRA).
func (e *Engine) objDigest(d *sum20, o object, hasExpire bool) bool {
	var code [4]byte
	typ := func(t uint32) {
		binary.BigEndian.PutUint32(code[:], t)
		d.mix(code[:])
	}
	switch x := o.(type) {
	case strObj:
		typ(objString)
		d.mix(x)
	case intObj:
		typ(objString)
		e.scratch = x.text(e.scratch[:0])
		d.mix(e.scratch)
	case *listObj:
		typ(objList)
		x.each(func(b []byte) bool { d.mix(b); return true })
	case *setObj:
		typ(objSet)
		x.each(func(b []byte) bool { d.xor(b); return true })
	case *zsetObj:
		typ(objZSet)
		x.each(func(m []byte, s float64) bool {
			var el sum20
			el.mix(m)
			e.scratch = AppendScore(e.scratch[:0], e.v, s)
			el.mix(e.scratch)
			d.xor(el[:])
			return true
		})
	case *hashObj:
		typ(objHash)
		ttl := e.v.DigestsFieldTTL()
		x.each(func(f, v []byte, exp int64) bool {
			var el sum20
			el.mix(f)
			el.mix(v)
			if ttl && exp != noExpire {
				el.xor(markHExpire)
			}
			d.xor(el[:])
			return true
		})
	case *streamObj:
		typ(objStream)
		x.each(func(id sid, f [][]byte) bool {
			e.scratch = strconv.AppendUint(e.scratch[:0], id.Ms, 10)
			e.scratch = append(e.scratch, '.')
			e.scratch = strconv.AppendUint(e.scratch, id.Seq, 10)
			d.mix(e.scratch)
			for _, b := range f {
				d.mix(b)
			}
			return true
		})
	case *moduleObj:
		typ(objModule)
	default:
		return false
	}
	if hasExpire {
		d.xor(markExpire)
	}
	return true
}

// Digest returns DEBUG DIGEST of the keyspace: 40 lowercase hex digits, all
// zeros when empty. Logically expired keys count (the engine never expires
// keys by time, like a server loading files). Keys whose digest is not
// known (Redis 8.8 arrays, GCRA values; see ErrNoDigest) are left out;
// UndigestedKeys counts them.
func (e *Engine) Digest() string {
	var final sum20
	var code [4]byte
	for n := range e.dbs {
		keys := e.dbs[n].keys
		if len(keys) == 0 {
			continue
		}
		binary.BigEndian.PutUint32(code[:], uint32(n))
		final.mix(code[:])
		var acc sum20
		for k, en := range keys {
			var d sum20
			d.mix([]byte(k))
			if !e.objDigest(&d, en.obj, en.exp != noExpire) {
				continue
			}
			acc.xor(d[:])
		}
		for i, b := range acc {
			final[i] ^= b
		}
	}
	return hex.EncodeToString(final[:])
}

// UndigestedKeys returns how many keys Digest leaves out.
func (e *Engine) UndigestedKeys() int {
	n := 0
	for i := range e.dbs {
		for _, en := range e.dbs[i].keys {
			if _, ok := en.obj.(*opaqueObj); ok {
				n++
			}
		}
	}
	return n
}

// DigestValue returns DEBUG DIGEST-VALUE of one key of database n: 40 hex
// zeros for a missing key, "" for a value whose digest is not known.
func (e *Engine) DigestValue(n int, key []byte) string {
	var d sum20
	if n < 0 || n >= len(e.dbs) {
		return hex.EncodeToString(d[:])
	}
	en, ok := e.dbs[n].keys[string(key)]
	if !ok {
		return hex.EncodeToString(d[:])
	}
	if !e.objDigest(&d, en.obj, en.exp != noExpire) {
		return ""
	}
	return hex.EncodeToString(d[:])
}
