package rdbscan_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
	"github.com/rdbkit/rdbkit/release"
)

// compatOf checks path against target.
func compatOf(t *testing.T, path, target string) rdbscan.CompatVerdict {
	t.Helper()
	tg, ok := release.Lookup(target)
	if !ok {
		t.Fatalf("unknown target %s", target)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rdbfile.NewReader(f, nil)
	h, err := r.Header()
	if err != nil {
		t.Fatal(err)
	}
	c := rdbscan.NewCompat(tg, h, 2)
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Skip(); err != nil {
			t.Fatal(err)
		}
		c.Add(e)
	}
	return c.Verdict()
}

func TestCompat(t *testing.T) {
	tests := []struct {
		file, target string
		want         rdbscan.CompatStatus
		problems     []string // substrings of Describe(), in order
	}{
		{"redis-7.4.1-dump-lfu.rdb", "redis-7.4", rdbscan.CompatLoads, nil},
		{"redis-7.4.1-dump-lfu.rdb", "redis-8.10", rdbscan.CompatLoads, nil},
		{"redis-7.4.1-dump-lfu.rdb", "redis-7.2", rdbscan.CompatRefused, []string{
			"RDB version 12 > 11 (Redis 7.2 reads up to RDB 11)", "2 keys use HASH_METADATA (Redis 7.4+ only)", "3 keys use HASH_LISTPACK_EX (Redis 7.4+ only)"}},
		{"redis-7.4.1-dump-lfu.rdb", "valkey-8.0", rdbscan.CompatRefused, []string{
			"RDB version 12 > 11 (Valkey 8.0 reads up to RDB 11)", "HASH_METADATA (Redis 7.4+ only)", "HASH_LISTPACK_EX (Redis 7.4+ only)"}},
		{"redis-7.4.1-dump-lfu.rdb", "valkey-9.0", rdbscan.CompatRefused, []string{
			"foreign (Redis) version", "HASH_METADATA (type 24: Valkey refuses tags 22..243", "HASH_LISTPACK_EX (type 25"}},
		{"redis-7.2.6-dump-nochecksum.rdb", "valkey-9.1", rdbscan.CompatLoads, nil},
		{"redis-7.2.6-dump-nochecksum.rdb", "valkey-8.0", rdbscan.CompatLoads, nil},
		{"redis-7.2.6-dump-nochecksum.rdb", "redis-7.0", rdbscan.CompatRefused, []string{
			"RDB version 11 > 10", "2 keys use SET_LISTPACK (Redis 7.2+ only)", "5 keys use STREAM_LISTPACKS_3 (Redis 7.2+ only)"}},
		{"valkey-8.0.1-dump.rdb", "redis-7.2", rdbscan.CompatLoads, nil},
		{"redis-7.0.15-dump.rdb", "redis-7.0", rdbscan.CompatLoads, nil},
		{"redis-tests-encodings-rdb4.rdb", "valkey-9.0", rdbscan.CompatLoads, nil},
		{"valkey-9-hash2-rdb80.rdb", "valkey-9.0", rdbscan.CompatLoads, nil},
		{"valkey-9-hash2-rdb80.rdb", "redis-8.10", rdbscan.CompatRefused, []string{"VALKEY-magic file (RDB 80): Redis never loads it", "1 key uses HASH_2 (Valkey 9.0+ only)"}},
		{"valkey-9-hash2-rdb80.rdb", "valkey-8.1", rdbscan.CompatRefused, []string{"knows only the REDIS magic", "HASH_2 (Valkey 9.0+ only)"}},
		{"redis-8.8dev-rdb14.rdb", "redis-8.8", rdbscan.CompatLoads, nil},
		{"redis-8.8dev-rdb14.rdb", "redis-8.6", rdbscan.CompatRefused, []string{"RDB version 14 > 13", "2 keys use ARRAY (Redis 8.8+ only)", "1 key uses STREAM_LISTPACKS_5 (Redis 8.8+ only)"}},
		{"redis-8.8dev-rdb14.rdb", "valkey-9.0", rdbscan.CompatRefused, []string{"foreign (Redis) version", "ARRAY (type 28: Valkey refuses tags 22..243"}},
	}
	for _, tt := range tests {
		v := compatOf(t, filepath.Join("../testdata/rdb", tt.file), tt.target)
		if v.Status != tt.want {
			t.Errorf("%s on %s: %v, want %v (%+v)", tt.file, tt.target, v.Status, tt.want, v.Problems)
			continue
		}
		var got []string
		for _, p := range v.Problems {
			got = append(got, p.Describe())
		}
		all := strings.Join(got, " | ")
		last := -1
		for _, w := range tt.problems {
			i := strings.Index(all, w)
			if i < 0 || i < last {
				t.Errorf("%s on %s: problems %q lack %q (in order)", tt.file, tt.target, all, w)
			}
			last = i
		}
		if tt.problems == nil && len(v.Problems) != 0 {
			t.Errorf("%s on %s: unexpected problems %q", tt.file, tt.target, all)
		}
		for _, p := range v.Problems {
			if len(p.Keys) > 2 {
				t.Errorf("%s on %s: %d keys kept, limit 2", tt.file, tt.target, len(p.Keys))
			}
			if p.Records > 0 && p.Unit == "key" && len(p.Keys) == 0 {
				t.Errorf("%s on %s: problem %q names no key", tt.file, tt.target, p.Describe())
			}
		}
	}
}

// TestCompatRelaxed covers the non-fatal gates with synthetic records.
func TestCompatRelaxed(t *testing.T) {
	tg, _ := release.Lookup("valkey-9.0")
	c := rdbscan.NewCompat(tg, &rdbfile.Header{Magic: "REDIS", Version: 12, Dialect: rdbfile.DialectRedis}, 5)
	c.Add(&rdbfile.Entry{Kind: rdbfile.EntryKey, Key: []byte("s"), Type: rdbfile.TypeString, TypeName: "STRING"})
	c.Add(&rdbfile.Entry{Kind: rdbfile.EntrySlotInfo})
	v := c.Verdict()
	if v.Status != rdbscan.CompatConditional || len(v.Problems) != 1 || v.Problems[0].Condition != "rdb-version-check relaxed" {
		t.Errorf("REDIS 12 without tags 22..243 on valkey-9.0: %+v", v)
	}
	tg, _ = release.Lookup("redis-7.4")
	c = rdbscan.NewCompat(tg, &rdbfile.Header{Magic: "REDIS", Version: 12, Dialect: rdbfile.DialectRedis}, 5)
	c.Add(&rdbfile.Entry{Kind: rdbfile.EntrySelectDB, DB: 20})
	c.Add(&rdbfile.Entry{Kind: rdbfile.EntryKey, Key: []byte("m"), Type: rdbfile.TypeModule2, TypeName: "MODULE_2",
		ValueKind: rdbfile.KindModule, Module: &rdbfile.ModuleValue{TypeName: "ReJSON-RL"}})
	v = c.Verdict()
	if v.Status != rdbscan.CompatConditional || len(v.Problems) != 2 ||
		v.Problems[0].Condition != "config databases > 20" || v.Problems[1].Condition != "module type ReJSON-RL loaded" {
		t.Errorf("db 20 + module on redis-7.4: %+v", v)
	}
}
