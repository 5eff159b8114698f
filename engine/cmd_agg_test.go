package engine

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

func TestListCommands(t *testing.T) {
	e := newEngine(t, "7.2.6")
	do(t, e, "RPUSH", "l", "a", "b", "c")
	do(t, e, "LPUSH", "l", "z", "y")
	eqStrings(t, "push", getList(t, e, "l"), []string{"y", "z", "a", "b", "c"})
	do(t, e, "LPUSHX", "nolist", "a")
	if value(t, e, "nolist") != nil {
		t.Errorf("LPUSHX created a key")
	}
	do(t, e, "LINSERT", "l", "BEFORE", "a", "x")
	do(t, e, "LINSERT", "l", "AFTER", "c", "w")
	do(t, e, "LINSERT", "l", "AFTER", "missing", "q")
	eqStrings(t, "LINSERT", getList(t, e, "l"), []string{"y", "z", "x", "a", "b", "c", "w"})
	do(t, e, "LSET", "l", "-1", "W")
	fails(t, e, "LSET", "l", "7", "v")
	fails(t, e, "LSET", "nolist", "0", "v")
	do(t, e, "RPUSH", "r", "a", "b", "a", "c", "a")
	do(t, e, "LREM", "r", "-2", "a")
	eqStrings(t, "LREM -2", getList(t, e, "r"), []string{"a", "b", "c"})
	do(t, e, "LREM", "r", "0", "a")
	eqStrings(t, "LREM 0", getList(t, e, "r"), []string{"b", "c"})
	do(t, e, "LTRIM", "l", "1", "-2")
	eqStrings(t, "LTRIM", getList(t, e, "l"), []string{"z", "x", "a", "b", "c"})
	do(t, e, "LTRIM", "l", "5", "10")
	if value(t, e, "l") != nil {
		t.Errorf("LTRIM to empty kept the key")
	}
	do(t, e, "RPUSH", "p", "1", "2", "3", "4", "5")
	do(t, e, "LPOP", "p", "2")
	do(t, e, "RPOP", "p")
	do(t, e, "LPOP", "p", "0")
	eqStrings(t, "pops", getList(t, e, "p"), []string{"3", "4"})
	fails(t, e, "LPOP", "p", "-1")
	do(t, e, "LMOVE", "p", "p", "LEFT", "RIGHT")
	eqStrings(t, "rotate", getList(t, e, "p"), []string{"4", "3"})
	do(t, e, "RPOPLPUSH", "p", "q")
	do(t, e, "BLMOVE", "p", "q", "RIGHT", "RIGHT", "0")
	if value(t, e, "p") != nil {
		t.Errorf("source not deleted")
	}
	eqStrings(t, "q", getList(t, e, "q"), []string{"3", "4"})
	do(t, e, "SET", "str", "x")
	do(t, e, "RPUSH", "one", "v")
	fails(t, e, "LMOVE", "one", "str", "LEFT", "LEFT")
	eqStrings(t, "failed LMOVE popped", getList(t, e, "one"), []string{"v"})
	do(t, e, "LMPOP", "3", "none", "q", "one", "RIGHT", "COUNT", "5")
	if value(t, e, "q") != nil || value(t, e, "one") == nil {
		t.Errorf("LMPOP popped from the wrong list")
	}
	do(t, e, "BLPOP", "none", "one", "0")
	if value(t, e, "one") != nil {
		t.Errorf("BLPOP")
	}
}

// TestListModel checks the packed-node list against a slice under random
// operations that cross node boundaries.
func TestListModel(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	l := &listObj{}
	var m [][]byte
	for i := 0; i < 20000; i++ {
		v := []byte(strconv.Itoa(i) + strings.Repeat("x", r.IntN(100)))
		switch op := r.IntN(10); {
		case op < 3:
			l.pushBack(v)
			m = append(m, v)
		case op < 5:
			l.pushFront(v)
			m = append([][]byte{v}, m...)
		case op < 7 && len(m) > 0:
			k := r.IntN(len(m) + 1)
			l.insert(k, v)
			m = slices.Insert(m, k, v)
		case op < 8 && len(m) > 0:
			a := r.IntN(len(m))
			b := a + r.IntN(min(len(m)-a, 5)+1)
			l.removeRange(a, b)
			m = slices.Delete(m, a, b)
		case op < 9 && len(m) > 0:
			k := r.IntN(len(m))
			l.set(k, v)
			m[k] = v
		}
		if l.n != len(m) {
			t.Fatalf("step %d: length %d, want %d", i, l.n, len(m))
		}
	}
	i := 0
	l.each(func(b []byte) bool {
		if !bytes.Equal(b, m[i]) {
			t.Fatalf("element %d differs", i)
		}
		i++
		return true
	})
	for k := 0; k < len(m); k += 37 {
		if !bytes.Equal(l.at(k), m[k]) {
			t.Fatalf("at(%d) differs", k)
		}
	}
}

func TestSetCommands(t *testing.T) {
	e := newEngine(t, "7.0.15")
	do(t, e, "SADD", "a", "1", "2", "3", "x")
	do(t, e, "SADD", "b", "2", "3", "4")
	do(t, e, "SINTERSTORE", "i", "a", "b")
	do(t, e, "SUNIONSTORE", "u", "a", "b")
	do(t, e, "SDIFFSTORE", "d", "a", "b", "missing")
	eqStrings(t, "inter", getSet(t, e, "i"), []string{"2", "3"})
	eqStrings(t, "union", getSet(t, e, "u"), []string{"1", "2", "3", "4", "x"})
	eqStrings(t, "diff", getSet(t, e, "d"), []string{"1", "x"})
	do(t, e, "SINTERSTORE", "i", "a", "missing")
	if value(t, e, "i") != nil {
		t.Errorf("empty SINTERSTORE kept the destination")
	}
	do(t, e, "SMOVE", "a", "b", "x")
	do(t, e, "SMOVE", "a", "a", "1")
	eqStrings(t, "after SMOVE", getSet(t, e, "a"), []string{"1", "2", "3"})
	do(t, e, "SREM", "a", "1", "2", "3")
	if value(t, e, "a") != nil {
		t.Errorf("empty set kept")
	}
	do(t, e, "SET", "s", "x")
	fails(t, e, "SADD", "s", "m")
	fails(t, e, "SUNIONSTORE", "u", "s")
	do(t, e, "SMOVE", "nokey", "s", "m") // missing source: no type check of the destination
	for i := 0; i < 300; i++ {
		do(t, e, "SADD", "big", strconv.Itoa(i))
	}
	do(t, e, "SREM", "big", "5")
	if n := len(getSet(t, e, "big")); n != 299 {
		t.Errorf("big set: %d members", n)
	}
}

func TestZSetCommands(t *testing.T) {
	e := newEngine(t, "7.2.6")
	do(t, e, "ZADD", "z", "1", "a", "2", "b", "3", "c")
	do(t, e, "ZADD", "z", "XX", "GT", "0", "a", "5", "b", "9", "new")
	if got := getZSet(t, e, "z"); got != "a:1 c:3 b:5" {
		t.Errorf("XX GT: %s", got)
	}
	do(t, e, "ZADD", "z", "NX", "7", "a", "4", "d")
	do(t, e, "ZADD", "z", "LT", "INCR", "-1", "c")
	do(t, e, "ZINCRBY", "z", "0.5", "a")
	if got := getZSet(t, e, "z"); got != "a:1.5 c:2 d:4 b:5" {
		t.Errorf("NX/LT INCR/ZINCRBY: %s", got)
	}
	fails(t, e, "ZADD", "z", "NX", "XX", "1", "a")
	fails(t, e, "ZADD", "z", "GT", "LT", "1", "a")
	fails(t, e, "ZADD", "z", "INCR", "1", "a", "2", "b")
	fails(t, e, "ZADD", "z", "nan", "a")
	do(t, e, "ZADD", "inf", "inf", "x")
	if err := fails(t, e, "ZINCRBY", "inf", "-inf", "x"); !strings.Contains(err.Error(), "NaN") {
		t.Errorf("inf-inf: %v", err)
	}
	do(t, e, "ZADD", "z", "XX", "1", "nokey-member")
	do(t, e, "ZADD", "nokey", "XX", "1", "m")
	if value(t, e, "nokey") != nil {
		t.Errorf("ZADD XX created a key")
	}
	do(t, e, "ZREMRANGEBYSCORE", "z", "(1.5", "4")
	if got := getZSet(t, e, "z"); got != "a:1.5 b:5" {
		t.Errorf("ZREMRANGEBYSCORE: %s", got)
	}
	do(t, e, "ZADD", "r", "1", "a", "2", "b", "3", "c", "4", "d")
	do(t, e, "ZREMRANGEBYRANK", "r", "-3", "-2")
	if got := getZSet(t, e, "r"); got != "a:1 d:4" {
		t.Errorf("ZREMRANGEBYRANK: %s", got)
	}
	do(t, e, "ZADD", "lex", "0", "a", "0", "b", "0", "c", "0", "d", "0", "e")
	do(t, e, "ZREMRANGEBYLEX", "lex", "(a", "[c")
	if got := getZSet(t, e, "lex"); got != "a:0 d:0 e:0" {
		t.Errorf("ZREMRANGEBYLEX: %s", got)
	}
	fails(t, e, "ZREMRANGEBYLEX", "lex", "a", "c")
	do(t, e, "ZPOPMIN", "lex", "2")
	do(t, e, "ZPOPMAX", "lex")
	if value(t, e, "lex") != nil {
		t.Errorf("ZPOP to empty kept the key")
	}
	do(t, e, "ZADD", "p", "1", "a", "2", "b", "3", "c")
	do(t, e, "ZMPOP", "2", "none", "p", "MAX", "COUNT", "2")
	do(t, e, "BZPOPMIN", "none", "p", "0")
	if value(t, e, "p") != nil {
		t.Errorf("ZMPOP/BZPOPMIN")
	}

	// ZUNIONSTORE/ZINTERSTORE with sets, weights and aggregates.
	do(t, e, "ZADD", "z1", "1", "a", "2", "b", "inf", "c")
	do(t, e, "ZADD", "z2", "10", "b", "-inf", "c", "5", "d")
	do(t, e, "SADD", "s", "a", "d")
	do(t, e, "ZUNIONSTORE", "u", "3", "z1", "z2", "s", "WEIGHTS", "1", "2", "3")
	if got := getZSet(t, e, "u"); got != "c:0 a:4 d:13 b:22" {
		t.Errorf("ZUNIONSTORE: %s", got)
	}
	do(t, e, "ZINTERSTORE", "i", "2", "z1", "z2", "AGGREGATE", "MAX")
	if got := getZSet(t, e, "i"); got != "b:10 c:+Inf" {
		t.Errorf("ZINTERSTORE MAX: %s", got)
	}
	do(t, e, "ZDIFFSTORE", "d", "2", "z1", "s")
	if got := getZSet(t, e, "d"); got != "b:2 c:+Inf" {
		t.Errorf("ZDIFFSTORE: %s", got)
	}
	do(t, e, "ZINTERSTORE", "i", "2", "z1", "missing")
	if value(t, e, "i") != nil {
		t.Errorf("empty ZINTERSTORE kept the key")
	}
	fails(t, e, "ZUNIONSTORE", "u", "0", "z1")
	fails(t, e, "ZUNIONSTORE", "u", "1", "z1", "WEIGHTS", "x")
	fails(t, e, "ZDIFFSTORE", "u", "1", "z1", "AGGREGATE", "MIN")

	// ZRANGESTORE.
	do(t, e, "ZADD", "src", "1", "a", "2", "b", "3", "c", "4", "d", "5", "e")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"1", "-2"}, "b:2 c:3 d:4"},
		{[]string{"0", "1", "REV"}, "d:4 e:5"},
		{[]string{"(1", "4", "BYSCORE", "LIMIT", "1", "2"}, "c:3 d:4"},
		{[]string{"4", "(1", "BYSCORE", "REV", "LIMIT", "0", "2"}, "c:3 d:4"},
		{[]string{"[b", "(d", "BYLEX"}, "b:2 c:3"},
		{[]string{"+", "-", "BYLEX", "REV", "LIMIT", "1", "1"}, "d:4"},
		{[]string{"10", "20"}, ""},
	} {
		do(t, e, append([]string{"ZRANGESTORE", "dst", "src"}, c.args...)...)
		if got := getZSet(t, e, "dst"); got != c.want {
			t.Errorf("ZRANGESTORE %q: %q, want %q", c.args, got, c.want)
		}
	}
	fails(t, e, "ZRANGESTORE", "dst", "src", "0", "1", "LIMIT", "0", "1")

	// -0: a listpack-sized zset stores 0, a big one keeps -0.
	do(t, e, "ZADD", "neg", "-0", "m")
	if v := value(t, e, "neg"); math.Signbit(v.ZSet[0].Score) {
		t.Errorf("small zset kept -0")
	}
	args := []string{"ZADD", "bigneg"}
	for i := 0; i < 200; i++ {
		args = append(args, strconv.Itoa(i+1), "m"+strconv.Itoa(i))
	}
	do(t, e, append(args, "-0", "zero")...)
	s, _ := value(t, e, "bigneg").ZSet[0].Score, 0
	if !math.Signbit(s) {
		t.Errorf("big zset lost -0")
	}
}

// TestZSetModel checks the chunked sorted set against a sorted slice.
func TestZSetModel(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	v := defaultZSetLimits
	z := &zsetObj{}
	m := map[string]float64{}
	for i := 0; i < 30000; i++ {
		mem := []byte("m" + strconv.Itoa(r.IntN(700)))
		s := float64(r.IntN(50))
		switch r.IntN(5) {
		case 0, 1, 2:
			z.add(v, mem, s)
			m[string(mem)] = s
		case 3:
			z.del(mem)
			delete(m, string(mem))
		default:
			if z.n > 0 {
				a := r.IntN(z.n)
				b := min(z.n-1, a+r.IntN(4))
				for k := a; k <= b; k++ {
					mm, _ := z.at(k)
					delete(m, string(mm))
				}
				z.removeRanks(a, b)
			}
		}
	}
	type ms struct {
		m string
		s float64
	}
	var want []ms
	for k, s := range m {
		want = append(want, ms{k, s})
	}
	sort.Slice(want, func(i, j int) bool { return zcmp(want[i].s, []byte(want[i].m), want[j].s, []byte(want[j].m)) < 0 })
	if z.n != len(want) || (z.dict != nil && z.dict.len() != len(want)) {
		dn := -1
		if z.dict != nil {
			dn = z.dict.len()
		}
		t.Fatalf("length %d (dict %d), want %d", z.n, dn, len(want))
	}
	i := 0
	z.each(func(mm []byte, s float64) bool {
		if string(mm) != want[i].m || s != want[i].s {
			t.Fatalf("rank %d: %s:%v, want %s:%v", i, mm, s, want[i].m, want[i].s)
		}
		if got := z.rank(mm, s); got != i {
			t.Fatalf("rank(%s) = %d, want %d", mm, got, i)
		}
		i++
		return true
	})
}

func TestHashCommands(t *testing.T) {
	e := newEngine(t, "7.4.1")
	do(t, e, "HSET", "h", "a", "1", "b", "2")
	do(t, e, "HMSET", "h", "c", "x")
	do(t, e, "HSETNX", "h", "a", "9")
	do(t, e, "HINCRBY", "h", "a", "10")
	do(t, e, "HINCRBYFLOAT", "h", "f", "1.5")
	if got := getHash(t, e, "h"); got != "a=11 b=2 c=x f=1.5" {
		t.Errorf("hash: %s", got)
	}
	fails(t, e, "HINCRBY", "h", "c", "1")
	fails(t, e, "HINCRBYFLOAT", "h", "c", "1")
	fails(t, e, "HSET", "h", "a")
	do(t, e, "HSET", "h", "n", "9223372036854775807")
	fails(t, e, "HINCRBY", "h", "n", "1")

	// Field TTLs (Redis 7.4).
	do(t, e, "HPEXPIREAT", "h", "5000", "FIELDS", "2", "a", "nofield")
	do(t, e, "HEXPIREAT", "h", "6", "NX", "FIELDS", "1", "a") // has a TTL: NX fails
	do(t, e, "HPEXPIREAT", "h", "4000", "GT", "FIELDS", "1", "a")
	do(t, e, "HPEXPIREAT", "h", "7000", "XX", "FIELDS", "2", "a", "b") // b has none
	do(t, e, "HPEXPIREAT", "h", "3000", "LT", "FIELDS", "1", "b")      // none is infinite: LT sets
	if got := getHash(t, e, "h"); got != "a=11@7000 b=2@3000 c=x f=1.5 n=9223372036854775807" {
		t.Errorf("field TTLs: %s", got)
	}
	do(t, e, "HINCRBY", "h", "a", "1") // keeps the TTL
	do(t, e, "HSET", "h", "b", "3")    // clears it
	do(t, e, "HPERSIST", "h", "FIELDS", "1", "c")
	if got := getHash(t, e, "h"); got != "a=12@7000 b=3 c=x f=1.5 n=9223372036854775807" {
		t.Errorf("after HINCRBY/HSET: %s", got)
	}
	fails(t, e, "HPEXPIREAT", "h", "1", "FIELDS", "2", "a")
	fails(t, e, "HPEXPIREAT", "h", "1", "FELDS", "1", "a")
	fails(t, e, "HPEXPIREAT", "h", "-1", "FIELDS", "1", "a")
	fails(t, e, "HPEXPIREAT", "h", "281474976710656", "FIELDS", "1", "a")
	// The digest marks fields with a TTL on Redis 7.4+, not on Valkey.
	v, _, _ := e.Lookup(0, []byte("h"))
	d74, _ := ValueDigest(e.Version(), v, false)
	if got := e.DigestValue(0, []byte("h")); got != d74 {
		t.Errorf("engine digest %s, ValueDigest %s", got, d74)
	}
	dv, _ := ValueDigest(ServerVersion{Major: 9, Valkey: true}, v, false)
	if dv == d74 {
		t.Errorf("field TTL not in the 7.4 digest")
	}
	fails(t, e, "HSETEX", "h", "FIELDS", "1", "a", "1") // Redis 8.0

	r8 := newEngine(t, "8.0.0")
	do(t, r8, "HSET", "h", "a", "1")
	do(t, r8, "HSETEX", "h", "FNX", "PXAT", "9000", "FIELDS", "2", "a", "2", "b", "2") // a exists
	do(t, r8, "HSETEX", "h", "FXX", "PXAT", "9000", "FIELDS", "1", "a", "3")
	do(t, r8, "HSETEX", "h", "PXAT", "8000", "FIELDS", "1", "c", "4")
	do(t, r8, "HSETEX", "h", "KEEPTTL", "FIELDS", "1", "a", "5")
	if got := getHash(t, r8, "h"); got != "a=5@9000 c=4@8000" {
		t.Errorf("HSETEX: %s", got)
	}
	do(t, r8, "HGETEX", "h", "PERSIST", "FIELDS", "2", "a", "zz")
	do(t, r8, "HGETEX", "h", "PXAT", "100", "FIELDS", "1", "c")
	if got := getHash(t, r8, "h"); got != "a=5 c=4@100" {
		t.Errorf("HGETEX: %s", got)
	}
	do(t, r8, "HGETDEL", "h", "FIELDS", "2", "a", "c")
	if value(t, r8, "h") != nil {
		t.Errorf("HGETDEL to empty kept the key")
	}
	vk := newEngine(t, "valkey-9.0.0")
	do(t, vk, "HSETEX", "h", "NX", "EXAT", "10", "FIELDS", "1", "a", "1")
	do(t, vk, "HSETEX", "h", "NX", "FIELDS", "1", "b", "1") // key exists
	if got := getHash(t, vk, "h"); got != "a=1@10000" {
		t.Errorf("Valkey HSETEX NX: %s", got)
	}
	for i := 0; i < 200; i++ {
		do(t, e, "HSET", "big", "f"+strconv.Itoa(i), strings.Repeat("v", i))
	}
	do(t, e, "HPEXPIREAT", "big", "1000", "FIELDS", "1", "f150")
	do(t, e, "HDEL", "big", "f1")
	if got := value(t, e, "big"); len(got.Hash) != 199 {
		t.Errorf("big hash: %d fields", len(got.Hash))
	}
}

func TestStreamCommands(t *testing.T) {
	e := newEngine(t, "7.0.15")
	do(t, e, "XADD", "s", "1-1", "f", "v")
	do(t, e, "XADD", "s", "1-*", "f", "v")
	do(t, e, "XADD", "s", "5", "f", "v")
	fails(t, e, "XADD", "s", "5-0", "f", "v")
	fails(t, e, "XADD", "s", "0-0", "f", "v")
	fails(t, e, "XADD", "s", "x-1", "f", "v")
	fails(t, e, "XADD", "s", "9-1", "f")
	do(t, e, "XADD", "nos", "NOMKSTREAM", "1-1", "f", "v")
	if value(t, e, "nos") != nil {
		t.Errorf("NOMKSTREAM created the key")
	}
	ids := func(key string) string {
		v := value(t, e, key)
		var out []string
		for _, en := range v.Stream.Entries {
			out = append(out, en.ID.String())
		}
		return strings.Join(out, " ")
	}
	if got := ids("s"); got != "1-1 1-2 5-0" {
		t.Fatalf("ids %s", got)
	}
	for i := 6; i < 260; i++ {
		do(t, e, "XADD", "s", strconv.Itoa(i)+"-1", "field", strconv.Itoa(i))
	}
	do(t, e, "XTRIM", "s", "MAXLEN", "=", "100")
	st := value(t, e, "s").Stream
	if len(st.Entries) != 100 || st.FirstID.String() != "160-1" || st.LastID.String() != "259-1" {
		t.Errorf("MAXLEN =: %d entries, first %v, last %v", len(st.Entries), st.FirstID, st.LastID)
	}
	do(t, e, "XTRIM", "s", "MINID", "200")
	if got := value(t, e, "s").Stream.FirstID.String(); got != "200-1" {
		t.Errorf("MINID: first %s", got)
	}
	// Approximate trimming removes whole nodes only (100 entries each).
	for i := 0; i < 250; i++ {
		do(t, e, "XADD", "a", strconv.Itoa(i+1)+"-1", "f", "v")
	}
	do(t, e, "XTRIM", "a", "MAXLEN", "~", "120")
	if n := len(value(t, e, "a").Stream.Entries); n != 150 {
		t.Errorf("MAXLEN ~ 120 of 250: %d entries, want 150", n)
	}
	do(t, e, "XADD", "a", "MAXLEN", "=", "3", "LIMIT", "7", "1000-1", "f", "v") // AOF form
	if n := len(value(t, e, "a").Stream.Entries); n != 3 {
		t.Errorf("MAXLEN = 3 LIMIT: %d entries", n)
	}
	do(t, e, "XDEL", "a", "999-1", "1000-1", "77-7")
	st = value(t, e, "a").Stream
	if st.MaxDeletedID.String() != "1000-1" || st.LastID.String() != "1000-1" || len(st.Entries) != 2 || st.EntriesAdded != 251 {
		t.Errorf("XDEL: %+v", st)
	}
	fails(t, e, "XSETID", "a", "5-0")                              // below the top entry
	fails(t, e, "XSETID", "a", "2000-0", "MAXDELETEDID", "3000-0") // above the last id
	do(t, e, "XSETID", "a", "2000-0", "ENTRIESADDED", "500", "MAXDELETEDID", "1500-0")
	st = value(t, e, "a").Stream
	if st.LastID.String() != "2000-0" || st.EntriesAdded != 500 || st.MaxDeletedID.String() != "1500-0" {
		t.Errorf("XSETID: %+v", st)
	}
	fails(t, e, "XSETID", "nokey", "1-1")

	// Groups, PEL, XCLAIM, XACK.
	fails(t, e, "XGROUP", "CREATE", "nokey", "g", "$")
	do(t, e, "XGROUP", "CREATE", "nokey", "g", "$", "MKSTREAM")
	if v := value(t, e, "nokey"); v == nil || v.Kind != rdbfile.KindStream {
		t.Errorf("MKSTREAM")
	}
	do(t, e, "XADD", "g", "1-1", "a", "1")
	do(t, e, "XADD", "g", "2-1", "a", "2")
	do(t, e, "XGROUP", "CREATE", "g", "grp", "0", "ENTRIESREAD", "0")
	fails(t, e, "XGROUP", "CREATE", "g", "grp", "0")
	do(t, e, "XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "g", ">")
	do(t, e, "XCLAIM", "g", "grp", "bob", "0", "2-1", "TIME", "123", "RETRYCOUNT", "3", "FORCE", "JUSTID", "LASTID", "2-1")
	g := value(t, e, "g").Stream.Groups[0]
	if len(g.PEL) != 2 || g.LastID.String() != "2-1" || len(g.Consumers) != 2 {
		t.Fatalf("group after XREADGROUP/XCLAIM: %+v", g)
	}
	if g.PEL[1].DeliveryCount != 3 || g.PEL[1].DeliveryTime != 123 {
		t.Errorf("XCLAIM RETRYCOUNT/TIME: %+v", g.PEL[1])
	}
	do(t, e, "XACK", "g", "grp", "1-1")
	do(t, e, "XGROUP", "SETID", "g", "grp", "0", "ENTRIESREAD", "-1")
	do(t, e, "XGROUP", "CREATECONSUMER", "g", "grp", "carol")
	do(t, e, "XGROUP", "DELCONSUMER", "g", "grp", "bob")
	g = value(t, e, "g").Stream.Groups[0]
	if len(g.PEL) != 0 || g.LastID.String() != "0-0" || len(g.Consumers) != 2 {
		t.Errorf("after XACK/SETID/DELCONSUMER: %+v", g)
	}
	fails(t, e, "XGROUP", "SETID", "g", "nogroup", "0")
	do(t, e, "XGROUP", "DESTROY", "g", "grp")
	if len(value(t, e, "g").Stream.Groups) != 0 {
		t.Errorf("DESTROY")
	}
	fails(t, e, "XCLAIM", "g", "grp", "c", "0", "1-1")
	// Stream digests ignore groups.
	before := e.DigestValue(0, []byte("g"))
	do(t, e, "XGROUP", "CREATE", "g", "grp2", "$")
	if e.DigestValue(0, []byte("g")) != before {
		t.Errorf("group changed the digest")
	}
}

func TestSortStore(t *testing.T) {
	e := newEngine(t, "7.0.15")
	do(t, e, "RPUSH", "l", "3", "1", "2", "10")
	do(t, e, "SORT", "l", "STORE", "d")
	eqStrings(t, "numeric", getList(t, e, "d"), []string{"1", "2", "3", "10"})
	do(t, e, "SORT", "l", "ALPHA", "DESC", "LIMIT", "1", "2", "STORE", "d")
	eqStrings(t, "alpha desc limit", getList(t, e, "d"), []string{"2", "10"})
	do(t, e, "MSET", "w_3", "1", "w_1", "3", "w_2", "2", "o_1", "one")
	do(t, e, "HSET", "h_10", "f", "zero")
	do(t, e, "SORT", "l", "BY", "w_*", "GET", "#", "GET", "o_*", "GET", "h_*->f", "STORE", "d")
	// weights: 10 → missing (0), 3 → 1, 2 → 2, 1 → 3
	eqStrings(t, "by/get", getList(t, e, "d"), []string{"10", "", "zero", "3", "", "", "2", "", "", "1", "one", ""})
	do(t, e, "SORT", "l", "BY", "nosort", "DESC", "STORE", "d")
	eqStrings(t, "nosort desc", getList(t, e, "d"), []string{"10", "2", "1", "3"})
	do(t, e, "SADD", "s", "b", "a", "c")
	do(t, e, "SORT", "s", "BY", "nosort", "STORE", "d")
	eqStrings(t, "set nosort → alpha", getList(t, e, "d"), []string{"a", "b", "c"})
	if err := fails(t, e, "SORT", "s", "STORE", "d"); !strings.Contains(err.Error(), "double") {
		t.Errorf("numeric sort of words: %v", err)
	}
	do(t, e, "SORT", "missing", "STORE", "d")
	if value(t, e, "d") != nil {
		t.Errorf("empty SORT STORE kept the destination")
	}
	do(t, e, "SORT", "l") // no STORE: a read
}

func TestGeo(t *testing.T) {
	e := newEngine(t, "7.0.15")
	// Documentation example: Sicily.
	do(t, e, "GEOADD", "Sicily", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania")
	want := map[string]float64{"Palermo": 3479099956230698, "Catania": 3479447370796909}
	for _, z := range value(t, e, "Sicily").ZSet {
		if want[string(z.Member)] != z.Score {
			t.Errorf("%s: score %v, want %v", z.Member, z.Score, want[string(z.Member)])
		}
	}
	lon, lat := geoDecode(3479099956230698)
	if math.Abs(lon-13.361389) > 1e-5 || math.Abs(lat-38.115556) > 1e-5 {
		t.Errorf("decode: %v %v", lon, lat)
	}
	// GEODIST Palermo Catania is 166274.1516 m.
	lon2, lat2 := geoDecode(3479447370796909)
	if d := geoDistance(lon, lat, lon2, lat2); math.Abs(d-166274.1516) > 0.001 {
		t.Errorf("distance %v", d)
	}
	fails(t, e, "GEOADD", "Sicily", "200", "38", "x")
	fails(t, e, "GEOADD", "Sicily", "NX", "XX", "13", "38", "x")
	do(t, e, "GEOSEARCHSTORE", "dst", "Sicily", "FROMLONLAT", "15", "37", "BYRADIUS", "200", "km", "ASC")
	if got := getZSet(t, e, "dst"); got != "Palermo:3479099956230698 Catania:3479447370796909" {
		t.Errorf("GEOSEARCHSTORE: %s", got)
	}
	do(t, e, "GEOSEARCHSTORE", "dst", "Sicily", "FROMMEMBER", "Palermo", "BYBOX", "400", "400", "km", "COUNT", "1", "STOREDIST")
	if got := getZSet(t, e, "dst"); got != "Palermo:0" {
		t.Errorf("GEOSEARCHSTORE STOREDIST: %s", got)
	}
	do(t, e, "GEORADIUS", "Sicily", "15", "37", "100", "km", "STORE", "dst")
	if got := getZSet(t, e, "dst"); got != "Catania:3479447370796909" {
		t.Errorf("GEORADIUS STORE: %s", got)
	}
	do(t, e, "GEORADIUSBYMEMBER", "Sicily", "Palermo", "1", "km", "STORE", "dst")
	do(t, e, "GEORADIUS", "Sicily", "0", "0", "1", "km", "STORE", "dst")
	if value(t, e, "dst") != nil {
		t.Errorf("empty GEORADIUS STORE kept the destination")
	}
	fails(t, e, "GEOSEARCHSTORE", "dst", "Sicily", "BYRADIUS", "1", "km")
	fails(t, e, "GEOSEARCHSTORE", "dst", "Sicily", "FROMMEMBER", "nobody", "BYRADIUS", "1", "km")
	fails(t, e, "GEORADIUS", "Sicily", "15", "37", "100", "km", "WITHDIST", "STORE", "dst")
}

// TestEngineDigestMatchesValueDigest: the engine's own digest code and
// ValueDigest/Digester over Lookup values agree for every key of a random
// workload.
func TestEngineDigestMatchesValueDigest(t *testing.T) {
	for _, ver := range []ServerVersion{{Major: 7}, {Major: 7, Minor: 4}, {Major: 8, Valkey: true}} {
		e := New(ver)
		g := &gen{r: rand.New(rand.NewPCG(11, 12)), direct: true, now: func() int64 { return 1e12 },
			query: func(...string) any { return nil }, xlast: map[string]uint64{}, dbs: 4}
		for i := 0; i < 4000; i++ {
			for _, c := range g.block() {
				err := e.Exec(toArgv(c))
				var ue *UnsupportedError
				if errors.As(err, &ue) && !ue.Unknown {
					t.Fatalf("%q: %v", c, err)
				}
			}
		}
		do(t, e, "HSET", "hfe", "a", "1", "b", "2")
		if ver.DigestsFieldTTL() {
			do(t, e, "HPEXPIREAT", "hfe", "99", "FIELDS", "1", "a")
		}
		dg := NewDigester(ver)
		n := 0
		for _, db := range e.DBs() {
			for _, k := range e.Keys(db) {
				v, exp, _ := e.Lookup(db, k)
				want, err := ValueDigest(ver, v, exp != rdbfile.NoExpire)
				if err != nil {
					t.Fatal(err)
				}
				if got := e.DigestValue(db, k); got != want {
					t.Errorf("%v db %d key %q: DigestValue %s, ValueDigest %s", ver, db, k, got, want)
				}
				dg.AddKey(db, k, v, exp != rdbfile.NoExpire)
				n++
			}
		}
		if got, want := e.Digest(), dg.Sum(); got != want {
			t.Errorf("%v: Digest %s, Digester %s", ver, got, want)
		}
		if n < 100 {
			t.Errorf("only %d keys", n)
		}
	}
}

// TestLoadRDBCorpus loads every corpus dump.rdb and compares with the
// ground truth (the same files TestDigestCorpus checks value by value).
func TestLoadRDBCorpus(t *testing.T) {
	dir := corpusDir(t)
	for _, s := range corpusServers {
		t.Run(s, func(t *testing.T) {
			h, _ := readRDB(t, dir+"/"+s+"/rdb/dump.rdb")
			v, _ := VersionFromHeader(h)
			e := New(v)
			if _, err := replayAOFFile(e, dir+"/"+s+"/rdb/dump.rdb"); err != nil {
				t.Fatal(err)
			}
			checkAgainstGT(t, e, dir+"/"+s+"/rdb/gt-dataset.json")
			if len(e.Functions()) != 2 {
				t.Errorf("%d function libraries, want 2", len(e.Functions()))
			}
		})
	}
}

func TestStreamPolicies82(t *testing.T) {
	e := newEngine(t, "8.2.0")
	for i := 1; i <= 6; i++ {
		do(t, e, "XADD", "s", strconv.Itoa(i)+"-1", "f", "v")
	}
	do(t, e, "XGROUP", "CREATE", "s", "g", "0")
	do(t, e, "XREADGROUP", "GROUP", "g", "c", "COUNT", "3", "STREAMS", "s", ">") // 1..3 pending, last 3-1
	do(t, e, "XDELEX", "s", "ACKED", "IDS", "3", "1-1", "4-1", "5-1")            // pending / undelivered: kept
	do(t, e, "XACKDEL", "s", "g", "ACKED", "IDS", "1", "2-1")                    // acked and delivered: deleted
	do(t, e, "XDELEX", "s", "DELREF", "IDS", "1", "3-1")                         // deleted with its PEL entry
	st := value(t, e, "s").Stream
	var ids []string
	for _, en := range st.Entries {
		ids = append(ids, en.ID.String())
	}
	eqStrings(t, "entries", ids, []string{"1-1", "4-1", "5-1", "6-1"})
	if p := st.Groups[0].PEL; len(p) != 1 || p[0].ID.String() != "1-1" {
		t.Errorf("PEL %+v", p)
	}
	do(t, e, "XADD", "s", "DELREF", "MAXLEN", "=", "2", "7-1", "f", "v")
	if p := value(t, e, "s").Stream.Groups[0].PEL; len(p) != 0 {
		t.Errorf("DELREF trim left %+v", p)
	}
	fails(t, e, "XDELEX", "s", "IDS", "2", "1-1")
	fails(t, e, "XACKDEL", "s", "nogroup", "IDS", "1", "1-1")
	err := fails(t, e, "XTRIM", "s", "ACKED", "MAXLEN", "1")
	var ue *UnsupportedError
	if !errors.As(err, &ue) {
		t.Errorf("ACKED trim: %v", err)
	}

	r84 := newEngine(t, "8.4.0")
	do(t, r84, "MSET", "a", "1", "b", "2")
	do(t, r84, "DELEX", "a", "IFEQ", "2")
	do(t, r84, "DELEX", "b", "IFNE", "2")
	if value(t, r84, "a") == nil || value(t, r84, "b") == nil {
		t.Errorf("DELEX deleted on a failed condition")
	}
	do(t, r84, "DELEX", "a", "IFEQ", "1")
	do(t, r84, "DELEX", "b")
	do(t, r84, "MSETEX", "2", "c", "3", "d", "4", "PXAT", "5000")
	if value(t, r84, "a") != nil || value(t, r84, "b") != nil || ttl(r84, "d") != 5000 {
		t.Errorf("DELEX/MSETEX")
	}
	do(t, r84, "SET", "k", "v")
	do(t, r84, "SET", "k", "w", "IFNE", "v")
	do(t, r84, "SET", "n", "x", "IFNE", "v")
	if getStr(t, r84, "k") != "v" || getStr(t, r84, "n") != "x" {
		t.Errorf("SET IFNE")
	}
	v9 := newEngine(t, "valkey-9.0.0")
	do(t, v9, "SET", "k", "v")
	do(t, v9, "DELIFEQ", "k", "x")
	if value(t, v9, "k") == nil {
		t.Errorf("DELIFEQ mismatch deleted")
	}
	do(t, v9, "DELIFEQ", "k", "v")
	if value(t, v9, "k") != nil {
		t.Errorf("DELIFEQ")
	}
}

// TestLoadNewerRDB loads the Redis 8.8 (RDB 14: arrays, stream type 27)
// and Valkey 9 (HASH_2) samples: arrays load with their cursor and are
// digested; NACK and IDMP state survive; Valkey field TTLs load.
func TestLoadNewerRDB(t *testing.T) {
	dir := corpusDir(t)
	e := New(ServerVersion{Major: 8, Minor: 8})
	if _, err := replayAOFFile(e, dir+"/newer/redis-8.8dev-rdb14.rdb"); err != nil {
		t.Fatal(err)
	}
	if e.Len(0) != 6 || e.UndigestedKeys() != 0 || e.DigestValue(0, []byte("a")) == "" {
		t.Errorf("%d keys, %d undigested", e.Len(0), e.UndigestedKeys())
	}
	if got := e.Digest(); got != "71dcc288816511f511cf2da7e5eb62631453128f" {
		t.Errorf("DEBUG DIGEST %s", got)
	}
	s, _, _ := e.Lookup(0, []byte("s"))
	if len(s.Stream.Entries) != 7 || s.Stream.IDMP == nil || len(s.Stream.Groups[0].NACK) != 2 {
		t.Errorf("stream: %d entries, IDMP %v, NACK %v", len(s.Stream.Entries), s.Stream.IDMP, s.Stream.Groups[0].NACK)
	}
	a2, _, _ := e.Lookup(0, []byte("a2"))
	if a2.Array == nil || !a2.Array.HasCursor || a2.Array.InsertIdx != 2 || len(a2.Array.Elements) != 3 {
		t.Errorf("a2: %+v", a2.Array)
	}
	do(t, e, "ARINSERT", "a2", "w")
	if got := arrayString(t, e, "a2"); got != "0=x 1=y 2=z 3=w next=4" {
		t.Errorf("ARINSERT after load: %s", got)
	}
	do(t, e, "COPY", "a", "a3")
	do(t, e, "XADD", "s", "MAXLEN", "=", "1", "99999999999999-1", "f", "v") // keeps NACK/IDMP state
	v := New(ServerVersion{Major: 9, Valkey: true})
	if _, err := replayAOFFile(v, dir+"/newer/valkey-9-hash2.rdb"); err != nil {
		t.Fatal(err)
	}
	if got := getHash(t, v, "hash2-hfe"); got != "F1=V1@2715785640000 F2=V2@2400425640000 F3=V3" {
		t.Errorf("HASH_2: %s", got)
	}
	do(t, v, "HPERSIST", "hash2-hfe", "FIELDS", "1", "F1")
}

// TestPQSort: the partial quicksort puts the right elements in the
// requested range (checked against a full sort on distinct keys).
func TestPQSort(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for iter := 0; iter < 2000; iter++ {
		n := 1 + r.IntN(120)
		v := r.Perm(n)
		lo := r.IntN(n)
		hi := lo + r.IntN(n-lo)
		pqsort(n, func(i, j int) int { return v[i] - v[j] }, func(i, j int) { v[i], v[j] = v[j], v[i] }, lo, hi)
		for k := lo; k <= hi; k++ {
			if v[k] != k {
				t.Fatalf("n=%d range %d..%d: position %d holds %d", n, lo, hi, k, v[k])
			}
		}
	}
}
