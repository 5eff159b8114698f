package rdbscan_test

import (
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
)

const summaryTestdata = "../testdata/rdb"

// summarize reads path with every value skipped and returns its summary.
func summarize(t *testing.T, path string, topN int, now int64) (*rdbscan.Summary, *rdbfile.Header) {
	t.Helper()
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
	s := &rdbscan.Summary{TopN: topN, Now: now}
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
		s.Add(e)
	}
	return s, h
}

func TestSummaryRedis74(t *testing.T) {
	s, _ := summarize(t, filepath.Join(summaryTestdata, "redis-7.4.1-dump-lfu.rdb"), 3, 4102444800124)
	if s.Keys != 74 || s.Expires != 9 || s.WithFreq != 74 || s.WithIdle != 0 {
		t.Errorf("keys %d expires %d freq %d idle %d", s.Keys, s.Expires, s.WithFreq, s.WithIdle)
	}
	// Before 2100-01-01T00:00:00.124Z: two keys of 2036, one of 2096, and
	// the ones at .000 and .123.
	if s.Expired != 5 {
		t.Errorf("expired %d, want 5", s.Expired)
	}
	want := map[int][2]int64{0: {66, 8}, 1: {5, 1}, 15: {3, 0}}
	dbs := s.DBs()
	if len(dbs) != 3 {
		t.Fatalf("dbs %+v", dbs)
	}
	var bytes int64
	for _, d := range dbs {
		if w := want[d.DB]; d.Keys != w[0] || d.Expires != w[1] || !d.HasResize || d.ResizeKeys != uint64(w[0]) {
			t.Errorf("db %d: %+v, want keys %d expires %d", d.DB, d, w[0], w[1])
		}
		bytes += d.KeyBytes
	}
	if bytes != s.KeyBytes {
		t.Errorf("per-db bytes %d, total %d", bytes, s.KeyBytes)
	}
	counts := map[string]int64{}
	var n, elems int64
	for _, ty := range s.Types() {
		counts[ty.TypeName] = ty.Count
		n += ty.Count
		elems += ty.Elements
	}
	if n != s.Keys || elems != s.Elements {
		t.Errorf("per-type keys %d elements %d, totals %d %d", n, elems, s.Keys, s.Elements)
	}
	for name, c := range map[string]int64{"HASH_LISTPACK_EX": 3, "HASH_METADATA": 2, "STREAM_LISTPACKS_3": 5, "SET_INTSET": 4} {
		if counts[name] != c {
			t.Errorf("%s: %d keys, want %d", name, counts[name], c)
		}
	}
	fns := s.Functions()
	if len(fns) != 2 || fns[0].Name != "corpuslib2" || fns[1].Name != "corpuslib" || fns[0].Engine != "lua" {
		t.Errorf("functions %+v", fns)
	}
	top := s.Top()
	if len(top) != 3 || string(top[0].Key) != "hash:large" || top[0].Size < top[1].Size || top[1].Size < top[2].Size {
		t.Errorf("top %+v", top)
	}
}

// TestSummaryTop checks the heap against a full sort, ties in file order.
func TestSummaryTop(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	var all []rdbscan.KeyStat
	s := &rdbscan.Summary{TopN: 7}
	for i := range 500 {
		e := &rdbfile.Entry{Kind: rdbfile.EntryKey, Key: []byte("k" + strconv.Itoa(i)), Size: int64(rng.Intn(40)),
			Offset: int64(i * 100), ExpireAt: rdbfile.NoExpire}
		s.Add(e)
		all = append(all, rdbscan.KeyStat{Key: e.Key, Size: e.Size, Offset: e.Offset})
		e.Key[0] = 'X' // Add must have copied the key
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Size > all[j].Size })
	top := s.Top()
	if len(top) != 7 {
		t.Fatalf("%d keys", len(top))
	}
	for i := range top {
		if top[i].Size != all[i].Size || top[i].Offset != all[i].Offset || top[i].Key[0] != 'k' {
			t.Errorf("top[%d] = %s/%d@%d, want %d@%d", i, top[i].Key, top[i].Size, top[i].Offset, all[i].Size, all[i].Offset)
		}
	}
	if (&rdbscan.Summary{}).Top() != nil && len((&rdbscan.Summary{}).Top()) != 0 {
		t.Error("empty summary has a top list")
	}
}

func TestParseLibraryHeader(t *testing.T) {
	tests := []struct {
		code, engine, name string
		ok                 bool
	}{
		{"#!lua name=mylib\nredis.register_function('f', function() end)", "lua", "mylib", true},
		{"#!lua  name=x  \r\n", "lua", "x", true},
		{"#!lua\n", "lua", "", true},
		{"#!js name=a other=b", "js", "a", true},
		{"return 1", "", "", false},
		{"#!", "", "", false},
	}
	for _, tt := range tests {
		lib, ok := rdbscan.ParseLibraryHeader([]byte(tt.code))
		if ok != tt.ok || lib.Engine != tt.engine || lib.Name != tt.name {
			t.Errorf("ParseLibraryHeader(%q) = %+v, %v", tt.code, lib, ok)
		}
	}
}
