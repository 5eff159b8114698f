package estimate_test

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// loadedFile writes an RDB 10 file (as Redis 7.0 writes it, redis-ver
// 7.0.15 in its aux fields) whose aggregates are all in the plain
// encodings (every listpack limit 0, as a server with those limits set
// would save them), then packed ones past the default limits:
//
//	hsmall: a hash of 100 fields of at most 12 bytes (a listpack at 7.0's defaults)
//	hlong:  a hash of 10 fields, one value of 65 bytes (stays a hashtable)
//	hbig:   a hash of 600 fields, written with the default limits: a hashtable
//	zsmall: a sorted set of 50 members (a listpack at the defaults)
//	ssmall: a set of 50 strings (7.0 has no listpack sets: a hashtable)
func loadedFile(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zero := rdbfile.DefaultLimits(rdbfile.DialectRedis, 10)
	zero.HashMaxListpackEntries, zero.ZSetMaxListpackEntries, zero.SetMaxIntsetEntries = 0, 0, 0
	w := rdbfile.NewWriter(&buf, &rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: 10, Limits: &zero})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteAux([]byte("redis-ver"), []byte("7.0.15")))
	must(w.SelectDB(0))
	hdr := func(k string, kind rdbfile.Kind) rdbfile.KeyHeader {
		return rdbfile.KeyHeader{Key: []byte(k), Kind: kind, ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1, Count: -1}
	}
	hash := func(n int, long int) *rdbfile.Value {
		v := &rdbfile.Value{Kind: rdbfile.KindHash}
		for i := range n {
			val := fmt.Sprintf("value:%d", i)
			if i == long {
				val = strings.Repeat("v", 65)
			}
			v.Hash = append(v.Hash, rdbfile.HashField{Field: []byte(fmt.Sprintf("field:%d", i)), Value: []byte(val), ExpireAt: rdbfile.NoExpire})
		}
		return v
	}
	must(w.WriteKey(hdr("hsmall", rdbfile.KindHash), hash(100, -1)))
	must(w.WriteKey(hdr("hlong", rdbfile.KindHash), hash(10, 3)))
	must(w.WriteKey(hdr("hbig", rdbfile.KindHash), hash(600, -1)))
	z := &rdbfile.Value{Kind: rdbfile.KindZSet}
	s := &rdbfile.Value{Kind: rdbfile.KindSet}
	for i := range 50 {
		z.ZSet = append(z.ZSet, rdbfile.ZMember{Member: []byte(fmt.Sprintf("m:%d", i)), Score: float64(i)})
		s.Set = append(s.Set, []byte(fmt.Sprintf("member:%d", i)))
	}
	must(w.WriteKey(hdr("zsmall", rdbfile.KindZSet), z))
	must(w.WriteKey(hdr("ssmall", rdbfile.KindSet), s))
	must(w.Close())
	return buf.Bytes()
}

// TestLoadedClasses: the statistics pass counts each value in the encoding
// the loading server gives it (Redis src/rdb.c rdbLoadObject), from the
// element count and the longest element, with the writer's release
// defaults, a --server's, or a redis.conf's limits; the load time follows
// the class the server reads, the memory the class it holds.
func TestLoadedClasses(t *testing.T) {
	file := loadedFile(t)
	classes := func(p *estimate.Part) map[estimate.Class]int64 {
		if err := estimate.ReadRDB(bytes.NewReader(file), p); err != nil {
			t.Fatal(err)
		}
		m := map[estimate.Class]int64{}
		for cl, s := range p.Classes {
			m[cl] = s.Keys
		}
		return m
	}
	check := func(name string, got, want map[estimate.Class]int64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: classes %v, want %v", name, got, want)
		}
	}
	// The writer's release (7.0.15: 7.0's defaults).
	check("writer's defaults", classes(&estimate.Part{}), map[estimate.Class]int64{
		"hash/hashtable>listpack": 1, "hash/hashtable": 2, "zset/skiplist>listpack": 1, "set/hashtable": 1,
	})
	// Limits of 0: the serialized encodings.
	none := &estimate.Part{}
	none.LoadWith(&release.Limits{}, nil)
	check("limits 0", classes(none), map[estimate.Class]int64{"hash/hashtable": 3, "zset/skiplist": 1, "set/hashtable": 1})
	// Redis 7.2's defaults: the small set becomes a listpack.
	r72, _ := release.Lookup("redis-7.2")
	l72 := r72.Limits
	p72 := &estimate.Part{}
	p72.LoadWith(&l72, nil)
	check("redis-7.2", classes(p72), map[estimate.Class]int64{
		"hash/hashtable>listpack": 1, "hash/hashtable": 2, "zset/skiplist>listpack": 1, "set/hashtable>listpack": 1,
	})
	// A redis.conf raising the hash value limit: the hash with the
	// 65-byte value becomes a listpack too.
	cfg := estimate.DefaultConfig()
	if err := cfg.Apply([]string{"hash-max-ziplist-value", "100"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Apply([]string{"hash-max-listpack-entries", "x"}); err == nil {
		t.Error("hash-max-listpack-entries x accepted")
	}
	pc := &estimate.Part{}
	pc.LoadWith(nil, &cfg)
	check("config", classes(pc), map[estimate.Class]int64{
		"hash/hashtable>listpack": 2, "hash/hashtable": 1, "zset/skiplist>listpack": 1, "set/hashtable": 1,
	})

	cl := estimate.Class("hash/hashtable>listpack")
	if cl.Loaded() != "hash/listpack" || cl.Serialized() != "hash/hashtable" || cl.LoadCost() != "hash/hashtable" || !cl.Packed() {
		t.Errorf("%s: loaded %s, serialized %s, load cost %s, packed %v", cl, cl.Loaded(), cl.Serialized(), cl.LoadCost(), cl.Packed())
	}
	back := estimate.Class("hash/listpack>hashtable")
	if back.LoadCost() != "hash/hashtable" || back.Packed() {
		t.Errorf("%s: load cost %s, packed %v", back, back.LoadCost(), back.Packed())
	}
	// The memory of the converted hash is the listpack's, its load time
	// the hashtable's.
	c := estimate.DefaultCoefficients()
	p := &estimate.Part{}
	classes(p)
	rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Config: estimate.DefaultConfig()})
	var got float64
	for _, ct := range rep.Recovery.Classes {
		if ct.Class == string(cl) {
			got = ct.Seconds
		}
	}
	s := p.Classes[cl]
	elems := c.Load.NsPerElement["hash/hashtable"] * float64(s.Elements)
	if ppe, ok := c.Memory.PayloadPerElement["hash/hashtable"]; ok {
		elems = max(elems+c.Load.NsPerPayloadByte*(float64(s.Payload)-ppe*float64(s.Elements)), 0)
	}
	want := (c.Load.NsPerKey*float64(s.Keys) + elems) / 1e9
	if got == 0 || math.Abs(got-want) > 1e-15 {
		t.Errorf("%s: %g s, want %g s (the hashtable's cost per element and payload byte)", cl, got, want)
	}
}

// TestLoadedEncoding covers the packed encodings past the limits.
func TestLoadedEncoding(t *testing.T) {
	r70, _ := release.Lookup("redis-7.0")
	r72, _ := release.Lookup("redis-7.2")
	l70, l72 := &r70.Limits, &r72.Limits
	for _, c := range []struct {
		kind      rdbfile.Kind
		enc       rdbfile.Encoding
		n, maxLen int64
		l         *release.Limits
		want      rdbfile.Encoding
	}{
		{rdbfile.KindHash, rdbfile.EncListpack, 513, 0, l70, rdbfile.EncHashtable},
		{rdbfile.KindHash, rdbfile.EncZiplist, 512, 0, l70, rdbfile.EncListpack},
		{rdbfile.KindZSet, rdbfile.EncListpack, 129, 0, l70, rdbfile.EncSkiplist},
		{rdbfile.KindZSet, rdbfile.EncSkiplist, 128, 65, l70, rdbfile.EncSkiplist},
		{rdbfile.KindSet, rdbfile.EncIntset, 513, 0, l70, rdbfile.EncHashtable},
		{rdbfile.KindSet, rdbfile.EncListpack, 129, 0, l72, rdbfile.EncHashtable},
		{rdbfile.KindSet, rdbfile.EncHashtable, 100, 10, l70, rdbfile.EncHashtable},
		{rdbfile.KindList, rdbfile.EncZiplist, 10, 0, l70, rdbfile.EncQuicklist},
		{rdbfile.KindList, rdbfile.EncLinkedList, 10, 0, l70, rdbfile.EncQuicklist},
		{rdbfile.KindHash, rdbfile.EncHashtable, 10, 10, nil, rdbfile.EncHashtable},
	} {
		if got := estimate.LoadedEncoding(c.kind, c.enc, c.n, c.maxLen, c.l); got != c.want {
			t.Errorf("%v %v n=%d maxLen=%d: %v, want %v", c.kind, c.enc, c.n, c.maxLen, got, c.want)
		}
	}
}
