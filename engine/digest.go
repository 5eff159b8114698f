package engine

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"maps"
	"slices"
	"strconv"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// This file computes DEBUG DIGEST and DEBUG DIGEST-VALUE offline, as the
// server would after loading the same data (Redis src/debug.c
// computeDatasetDigest and xorObjectDigest).
//
// Two SHA-1 based primitives build everything: xor(D, p) XORs SHA1(p) into
// D, so it is order-independent (set members, hash fields, keys); mix(D, p)
// is xor followed by D = SHA1(D), so it depends on order (list elements,
// stream entries, the value after the key). Digests never depend on the
// encoding a value has in memory or in the file.

// ErrNoDigest is returned for values whose digest cannot be computed from
// the file: nil values, types whose digest is not known (GCRA rate
// limiters) and arrays longer than ArrayDigestMaxLen.
var ErrNoDigest = errors.New("engine: digest of this value type is not known")

// Object type codes hashed at the start of every value (Redis OBJ_*).
const (
	objString = 0
	objList   = 1
	objSet    = 2
	objZSet   = 3
	objHash   = 4
	objModule = 5
	objStream = 6
	objArray  = 7
)

type sum20 [20]byte

// xor XORs SHA1(p) into d.
func (d *sum20) xor(p []byte) {
	h := sha1.Sum(p)
	for i := range d {
		d[i] ^= h[i]
	}
}

// mix XORs SHA1(p) into d and replaces d by the SHA-1 of the result.
func (d *sum20) mix(p []byte) {
	d.xor(p)
	*d = sha1.Sum(d[:])
}

var (
	markExpire  = []byte("!!expire!!")
	markHExpire = []byte("!!hexpire!!")
)

// valueDigest continues d with the digest of val as xorObjectDigest does:
// the type code, the content and, for a key with a TTL, "!!expire!!". scratch
// is a reusable buffer; the grown buffer is returned.
func valueDigest(d *sum20, v ServerVersion, val *rdbfile.Value, hasExpire bool, scratch []byte) ([]byte, error) {
	if val == nil {
		return scratch, ErrNoDigest
	}
	var code [4]byte
	switch val.Kind {
	case rdbfile.KindString:
		binary.BigEndian.PutUint32(code[:], objString)
		d.mix(code[:])
		d.mix(val.String)
	case rdbfile.KindList:
		binary.BigEndian.PutUint32(code[:], objList)
		d.mix(code[:])
		for _, e := range val.List {
			d.mix(e)
		}
	case rdbfile.KindSet:
		binary.BigEndian.PutUint32(code[:], objSet)
		d.mix(code[:])
		for _, m := range val.Set {
			d.xor(m)
		}
	case rdbfile.KindZSet:
		binary.BigEndian.PutUint32(code[:], objZSet)
		d.mix(code[:])
		for _, z := range val.ZSet {
			var e sum20
			e.mix(z.Member)
			scratch = AppendScore(scratch[:0], v, z.Score)
			e.mix(scratch)
			d.xor(e[:])
		}
	case rdbfile.KindHash:
		binary.BigEndian.PutUint32(code[:], objHash)
		d.mix(code[:])
		ttl := v.DigestsFieldTTL()
		for _, f := range val.Hash {
			var e sum20
			e.mix(f.Field)
			e.mix(f.Value)
			if ttl && f.ExpireAt != rdbfile.NoExpire {
				e.xor(markHExpire)
			}
			d.xor(e[:])
		}
	case rdbfile.KindStream:
		binary.BigEndian.PutUint32(code[:], objStream)
		d.mix(code[:])
		if val.Stream != nil {
			for _, se := range val.Stream.Entries {
				scratch = strconv.AppendUint(scratch[:0], se.ID.Ms, 10)
				scratch = append(scratch, '.')
				scratch = strconv.AppendUint(scratch, se.ID.Seq, 10)
				d.mix(scratch)
				for _, p := range se.Fields {
					d.mix(p)
				}
			}
		}
	case rdbfile.KindModule:
		// A module's digest callback cannot run offline; modules without
		// one contribute only the type code.
		binary.BigEndian.PutUint32(code[:], objModule)
		d.mix(code[:])
	case rdbfile.KindArray:
		a := arrayFromValue(val.Array)
		if a.arLen() > ArrayDigestMaxLen {
			return scratch, ErrNoDigest
		}
		binary.BigEndian.PutUint32(code[:], objArray)
		d.mix(code[:])
		digestArray(d, a)
	default:
		return scratch, ErrNoDigest
	}
	if hasExpire {
		d.xor(markExpire)
	}
	return scratch, nil
}

// ValueDigest returns DEBUG DIGEST-VALUE of a key holding val on a server
// of version v: 40 lowercase hex digits. hasExpire tells whether the key
// has a TTL (the TTL's value does not matter). The key name is not part of
// it. Module values are digested as modules without a digest callback. It
// returns ErrNoDigest for nil values and for types whose digest is unknown.
func ValueDigest(v ServerVersion, val *rdbfile.Value, hasExpire bool) (string, error) {
	var d sum20
	if _, err := valueDigest(&d, v, val, hasExpire, nil); err != nil {
		return "", err
	}
	return hex.EncodeToString(d[:]), nil
}

// A Digester computes DEBUG DIGEST of a whole dataset fed key by key in
// any order. The zero value is not usable; call NewDigester.
type Digester struct {
	v       ServerVersion
	dbs     map[int]*sum20 // per database: XOR of SHA1(key digest)
	scratch []byte
}

// NewDigester returns a Digester reproducing a server of version v.
func NewDigester(v ServerVersion) *Digester {
	return &Digester{v: v, dbs: map[int]*sum20{}}
}

// AddKey adds one key of database db. Keys may come in any order and from
// any database; adding the same key twice counts it twice (a server holds
// it once). On error (ErrNoDigest) nothing is added.
func (g *Digester) AddKey(db int, key []byte, val *rdbfile.Value, hasExpire bool) error {
	var d sum20
	d.mix(key)
	var err error
	if g.scratch, err = valueDigest(&d, g.v, val, hasExpire, g.scratch); err != nil {
		return err
	}
	acc := g.dbs[db]
	if acc == nil {
		acc = new(sum20)
		g.dbs[db] = acc
	}
	acc.xor(d[:])
	return nil
}

// Sum returns DEBUG DIGEST of the keys added so far: 40 lowercase hex
// digits, all zeros for an empty dataset. Databases are combined in
// ascending order, each introduced by its big-endian 32-bit number.
func (g *Digester) Sum() string {
	var final sum20
	var code [4]byte
	for _, db := range slices.Sorted(maps.Keys(g.dbs)) {
		binary.BigEndian.PutUint32(code[:], uint32(db))
		final.mix(code[:])
		for i, b := range g.dbs[db] {
			final[i] ^= b
		}
	}
	return hex.EncodeToString(final[:])
}
