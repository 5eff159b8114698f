package engine

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"runtime"
	"strconv"
	"sync"
)

// Digests of the engine's keyspace, computed directly over its own
// representation with the primitives of digest.go (the same algorithm as
// ValueDigest over rdbfile values; TestEngineDigestMatchesValueDigest keeps
// the two in step).

// objDigest continues d with the digest of o (xorObjectDigest). It reports
// false for values whose digest is unknown (GCRA) or too long to compute
// (arrays longer than ArrayDigestMaxLen).
func (e *Engine) objDigest(d *sum20, o object, hasExpire bool) bool {
	return objDigest(e.v, d, o, hasExpire, e.now(), &e.scratch)
}

// objDigest is Engine.objDigest for version v with a scratch buffer of the
// caller (so that several goroutines can digest values at once). now is
// the engine's time (ms since the Unix epoch, 0 when unknown): Valkey 9+
// leaves hash fields expired at now out (DigestSkipsExpiredFields).
func objDigest(v ServerVersion, d *sum20, o object, hasExpire bool, now int64, scratch *[]byte) bool {
	typ := func(t uint32) {
		// mix of the 4-byte type code, with its SHA-1 precomputed
		h := &typeCodeSums[t]
		for i := range d {
			d[i] ^= h[i]
		}
		*d = sha1.Sum(d[:])
	}
	switch x := o.(type) {
	case strObj:
		typ(objString)
		d.mix(x)
	case pstr:
		typ(objString)
		d.mix(x.bytes())
	case intObj:
		typ(objString)
		(*scratch) = x.text((*scratch)[:0])
		d.mix((*scratch))
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
			(*scratch) = AppendScore((*scratch)[:0], v, s)
			el.mix((*scratch))
			d.xor(el[:])
			return true
		})
	case *hashObj:
		typ(objHash)
		ttl := v.DigestsFieldTTL()
		skip := v.DigestSkipsExpiredFields() && now != 0
		x.each(func(f, v []byte, exp int64) bool {
			if skip && exp != noExpire && now > exp {
				return true
			}
			var el sum20
			el.mix(f)
			el.mix(v)
			if ttl && exp != noExpire {
				el.xorSum(&markHExpireSum)
			}
			d.xor(el[:])
			return true
		})
	case *streamObj:
		typ(objStream)
		x.each(func(id sid, f [][]byte) bool {
			(*scratch) = strconv.AppendUint((*scratch)[:0], id.Ms, 10)
			(*scratch) = append((*scratch), '.')
			(*scratch) = strconv.AppendUint((*scratch), id.Seq, 10)
			d.mix((*scratch))
			for _, b := range f {
				d.mix(b)
			}
			return true
		})
	case *moduleObj:
		typ(objModule)
	case *arrayObj:
		if x.arLen() > ArrayDigestMaxLen {
			return false
		}
		typ(objArray)
		digestArray(d, x)
	default:
		return false
	}
	if hasExpire {
		d.xorSum(&markExpireSum)
	}
	return true
}

// SHA-1s of the constants objDigest mixes in.
var (
	typeCodeSums = func() (t [objArray + 1]sum20) {
		for i := range t {
			var code [4]byte
			binary.BigEndian.PutUint32(code[:], uint32(i))
			t[i] = sha1.Sum(code[:])
		}
		return t
	}()
	markExpireSum  = sum20(sha1.Sum(markExpire))
	markHExpireSum = sum20(sha1.Sum(markHExpire))
)

// xorSum XORs a precomputed SHA-1 into d (d.xor(p) with h = SHA1(p)).
func (d *sum20) xorSum(h *sum20) {
	for i := range d {
		d[i] ^= h[i]
	}
}

// Digest returns DEBUG DIGEST of the keyspace: 40 lowercase hex digits, all
// zeros when empty. Logically expired keys count (the engine never expires
// keys by time, like a server loading files); for Valkey 9+, hash fields
// expired at the engine's time (Options.Now, else SetTime) do not, as in
// the server's digest (DigestSkipsExpiredFields). Keys whose digest is not
// known (GCRA values; see ErrNoDigest) or too long to compute (arrays
// longer than ArrayDigestMaxLen) are left out; UndigestedKeys counts them.
func (e *Engine) Digest() string {
	var final sum20
	var code [4]byte
	for n := range e.dbs {
		db := &e.dbs[n]
		if db.len() == 0 {
			continue
		}
		binary.BigEndian.PutUint32(code[:], uint32(n))
		final.mix(code[:])
		acc := e.dbDigest(db)
		for i, b := range acc {
			final[i] ^= b
		}
	}
	return hex.EncodeToString(final[:])
}

// digestJob is a run of keys for a digest worker.
type digestJob struct {
	keys [][]byte
	objs []object
	exps []bool
}

// dbDigest returns the XOR of the key digests of db. Keys are independent,
// so GOMAXPROCS workers digest runs of them (SHA-1 dominates: two per
// element and more).
func (e *Engine) dbDigest(db *db) sum20 {
	now := e.now()
	workers := min(runtime.GOMAXPROCS(0), 1+db.len()/1024)
	digestKey := func(acc *sum20, k []byte, o object, hasExp bool, scratch *[]byte) {
		var d sum20
		d.mix(k)
		if objDigest(e.v, &d, o, hasExp, now, scratch) {
			acc.xor(d[:])
		}
	}
	var acc sum20
	if workers <= 1 {
		db.each(func(k []byte, o object, exp int64) bool {
			digestKey(&acc, k, o, exp != noExpire, &e.scratch)
			return true
		})
		return acc
	}
	const run = 256
	jobs := make(chan *digestJob, 2*workers)
	free := make(chan *digestJob, 4*workers)
	for range cap(free) {
		free <- &digestJob{}
	}
	accs := make([]sum20, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var scratch []byte
			for j := range jobs {
				for i, k := range j.keys {
					digestKey(&accs[w], k, j.objs[i], j.exps[i], &scratch)
				}
				clear(j.objs)
				clear(j.keys)
				j.keys, j.objs, j.exps = j.keys[:0], j.objs[:0], j.exps[:0]
				free <- j
			}
		}()
	}
	j := <-free
	db.each(func(k []byte, o object, exp int64) bool {
		j.keys = append(j.keys, k)
		j.objs = append(j.objs, o)
		j.exps = append(j.exps, exp != noExpire)
		if len(j.keys) == run {
			jobs <- j
			j = <-free
		}
		return true
	})
	jobs <- j
	close(jobs)
	wg.Wait()
	for _, a := range accs {
		for i, b := range a {
			acc[i] ^= b
		}
	}
	return acc
}

// UndigestedKeys returns how many keys Digest leaves out.
func (e *Engine) UndigestedKeys() int {
	n := 0
	for i := range e.dbs {
		e.dbs[i].each(func(_ []byte, o object, _ int64) bool {
			switch x := o.(type) {
			case *opaqueObj:
				n++
			case *arrayObj:
				if x.arLen() > ArrayDigestMaxLen {
					n++
				}
			}
			return true
		})
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
	en, ok := e.dbs[n].get(key)
	if !ok {
		return hex.EncodeToString(d[:])
	}
	if !e.objDigest(&d, en.obj, en.exp != noExpire) {
		return ""
	}
	return hex.EncodeToString(d[:])
}
