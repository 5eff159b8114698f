package engine

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// TestDigestCorpus checks DEBUG DIGEST and every key's DEBUG DIGEST-VALUE
// against the ground truth captured from the real server that wrote each
// good RDB of the corpus.
func TestDigestCorpus(t *testing.T) {
	dir := corpusDir(t)
	type pair struct{ rdb, gt string }
	var cases []pair
	for _, s := range corpusServers {
		for _, f := range []string{"dump.rdb", "dump-nocompress.rdb", "dump-nochecksum.rdb", "dump-lfu.rdb", "dump-lru.rdb"} {
			cases = append(cases, pair{filepath.Join(s, "rdb", f), filepath.Join(s, "rdb", "gt-dataset.json")})
		}
		cases = append(cases,
			pair{filepath.Join(s, "rdb", "dump-empty.rdb"), filepath.Join(s, "rdb", "gt-empty.json")},
			pair{filepath.Join(s, "rdb", "dump-bigvalue.rdb"), filepath.Join(s, "rdb", "gt-bigvalue.json")},
			pair{filepath.Join(s, "aof-preamble", "appendonlydir", "appendonly.aof.2.base.rdb"), filepath.Join(s, "aof-preamble", "gt-base.json")},
			pair{filepath.Join(s, "aof-timestamp-preamble", "appendonlydir", "appendonly.aof.2.base.rdb"), filepath.Join(s, "aof-timestamp-preamble", "gt-base.json")},
		)
	}
	files, keys := 0, 0
	for _, c := range cases {
		t.Run(c.rdb, func(t *testing.T) {
			h, fk := readRDB(t, filepath.Join(dir, c.rdb))
			gt := loadGT(t, filepath.Join(dir, c.gt))
			v, ok := VersionFromHeader(h)
			if !ok {
				t.Fatalf("no redis-ver/valkey-ver AUX field")
			}
			want := map[string]string{}
			for db, d := range gt.DBs {
				for _, k := range d.Keys {
					id, err := bstrID(k.Key)
					if err != nil {
						t.Fatal(err)
					}
					want[db+"\x00"+id] = k.DigestValue
				}
			}
			dg := NewDigester(v)
			for _, k := range fk {
				if err := dg.AddKey(k.db, k.key, k.val, k.hasExpire); err != nil {
					t.Fatalf("key %q: %v", k.key, err)
				}
				id := strconv.Itoa(k.db) + "\x00" + keyID(k.key)
				w, found := want[id]
				if !found {
					t.Errorf("db %d key %q: not in %s", k.db, k.key, c.gt)
					continue
				}
				delete(want, id)
				got, err := ValueDigest(v, k.val, k.hasExpire)
				if err != nil {
					t.Fatal(err)
				}
				if got != w {
					t.Errorf("%s db %d key %q (%s): DIGEST-VALUE %s, want %s", v, k.db, k.key, k.val.Kind, got, w)
				} else {
					keys++
				}
			}
			for id := range want {
				t.Errorf("key %q of the ground truth is missing from the file", id)
			}
			if got := dg.Sum(); got != gt.DebugDigest {
				t.Errorf("%s: DEBUG DIGEST %s, want %s", v, got, gt.DebugDigest)
			} else {
				files++
			}
		})
	}
	t.Logf("%d of %d files: DEBUG DIGEST equal; %d keys: DIGEST-VALUE equal", files, len(cases), keys)
}

// TestDigestRDB14 checks the Redis 8.8 development sample, whose DEBUG
// DIGEST is given in newer/README.md: two arrays (type 28, one with an
// element at index 1000000), a v5 stream, a hash with a field TTL.
func TestDigestRDB14(t *testing.T) {
	dir := corpusDir(t)
	path := filepath.Join(dir, "newer", "redis-8.8dev-rdb14.rdb")
	if _, err := os.Stat(path); err != nil {
		t.Skip("newer/redis-8.8dev-rdb14.rdb not in the corpus")
	}
	const want = "71dcc288816511f511cf2da7e5eb62631453128f"
	h, fk := readRDB(t, path)
	v, ok := VersionFromHeader(h)
	if !ok || !v.AtLeast(8, 8) {
		t.Fatalf("version %v (from AUX: %v), want 8.8+", v, ok)
	}
	dg := NewDigester(v)
	var unknown []string
	for _, k := range fk {
		if err := dg.AddKey(k.db, k.key, k.val, k.hasExpire); err != nil {
			if !errors.Is(err, ErrNoDigest) {
				t.Fatal(err)
			}
			unknown = append(unknown, string(k.key)+" ("+k.val.Kind.String()+")")
		}
	}
	if len(unknown) > 0 {
		t.Fatalf("cannot digest %d of %d keys: %q", len(unknown), len(fk), unknown)
	}
	if got := dg.Sum(); got != want {
		t.Errorf("DEBUG DIGEST %s, want %s", got, want)
	}
}

func TestDigestEmptyAndOrder(t *testing.T) {
	v := ServerVersion{Major: 7, Minor: 4}
	if got := NewDigester(v).Sum(); got != "0000000000000000000000000000000000000000" {
		t.Errorf("empty dataset: %s", got)
	}
	type kv struct {
		db  int
		key string
		val *rdbfile.Value
		exp bool
	}
	data := []kv{
		{0, "a", &rdbfile.Value{Kind: rdbfile.KindString, String: []byte("1")}, false},
		{0, "b", &rdbfile.Value{Kind: rdbfile.KindList, List: [][]byte{[]byte("x"), []byte("y")}}, true},
		{3, "a", &rdbfile.Value{Kind: rdbfile.KindSet, Set: [][]byte{[]byte("m"), []byte("n")}}, false},
		{1, "z", &rdbfile.Value{Kind: rdbfile.KindZSet, ZSet: []rdbfile.ZMember{{Member: []byte("m"), Score: 1.5}}}, false},
	}
	sum := func(order []int) string {
		d := NewDigester(v)
		for _, i := range order {
			if err := d.AddKey(data[i].db, []byte(data[i].key), data[i].val, data[i].exp); err != nil {
				t.Fatal(err)
			}
		}
		return d.Sum()
	}
	a, b := sum([]int{0, 1, 2, 3}), sum([]int{3, 2, 1, 0})
	if a != b {
		t.Errorf("digest depends on key order: %s vs %s", a, b)
	}
	// Sets are order-independent, lists are not.
	s1, _ := ValueDigest(v, &rdbfile.Value{Kind: rdbfile.KindSet, Set: [][]byte{[]byte("m"), []byte("n")}}, false)
	s2, _ := ValueDigest(v, &rdbfile.Value{Kind: rdbfile.KindSet, Set: [][]byte{[]byte("n"), []byte("m")}}, false)
	l1, _ := ValueDigest(v, &rdbfile.Value{Kind: rdbfile.KindList, List: [][]byte{[]byte("m"), []byte("n")}}, false)
	l2, _ := ValueDigest(v, &rdbfile.Value{Kind: rdbfile.KindList, List: [][]byte{[]byte("n"), []byte("m")}}, false)
	if s1 != s2 || l1 == l2 {
		t.Errorf("set %s/%s list %s/%s", s1, s2, l1, l2)
	}
	if _, err := ValueDigest(v, nil, false); !errors.Is(err, ErrNoDigest) {
		t.Errorf("nil value: %v", err)
	}
	if err := NewDigester(v).AddKey(0, []byte("k"), &rdbfile.Value{Kind: rdbfile.KindGCRA}, false); !errors.Is(err, ErrNoDigest) {
		t.Errorf("GCRA value: %v", err)
	}
}

// TestDigestFieldTTLByVersion pins which servers hash "!!hexpire!!".
func TestDigestFieldTTLByVersion(t *testing.T) {
	val := &rdbfile.Value{Kind: rdbfile.KindHash, Hash: []rdbfile.HashField{{Field: []byte("f"), Value: []byte("v"), ExpireAt: 4102444800000}}}
	plain := &rdbfile.Value{Kind: rdbfile.KindHash, Hash: []rdbfile.HashField{{Field: []byte("f"), Value: []byte("v"), ExpireAt: rdbfile.NoExpire}}}
	for _, c := range []struct {
		v    ServerVersion
		diff bool
	}{
		{ServerVersion{Major: 7, Minor: 2, Patch: 6}, false},
		{ServerVersion{Major: 7, Minor: 4, Patch: 1}, true},
		{ServerVersion{Major: 7, Minor: 9, Patch: 224}, true},
		{ServerVersion{Major: 9, Valkey: true}, false},
	} {
		a, _ := ValueDigest(c.v, val, false)
		b, _ := ValueDigest(c.v, plain, false)
		if (a != b) != c.diff {
			t.Errorf("%v: field TTL changes digest = %v, want %v", c.v, a != b, c.diff)
		}
	}
}
