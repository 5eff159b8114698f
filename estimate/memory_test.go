package estimate_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rdbkit/rdbkit/engine"
	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/rdbfile"
)

const sample = "../testdata/redis-7.4.1-dump.rdb"

func TestModelKey(t *testing.T) {
	m := estimate.Model{PerKey: 10, PerElement: 3}
	for _, c := range []struct {
		keyLen int
		elems  int64
		want   int64
	}{
		{0, 0, 10},
		{5, 1, 18},
		{5, 100, 315},
		{-1, -7, 10}, // negative counts are 0
	} {
		if got := m.Key(c.keyLen, c.elems); got != c.want {
			t.Errorf("Key(%d, %d) = %d, want %d", c.keyLen, c.elems, got, c.want)
		}
	}
	if d := estimate.Default; d.PerKey != 72 || d.PerElement != 64 {
		t.Errorf("Default = %+v: changing it changes every estimate; update docs/benchmarks.md and this test together", d)
	}
}

func TestMemoryZeroValueUsesDefault(t *testing.T) {
	var m estimate.Memory
	m.Add(3, 2)
	m.Add(1, 1)
	want := estimate.Default.Key(3, 2) + estimate.Default.Key(1, 1)
	if m.Keys != 2 || m.Bytes != want {
		t.Errorf("got keys=%d bytes=%d, want 2, %d", m.Keys, m.Bytes, want)
	}
	custom := estimate.Model{PerKey: 1, PerElement: 0}
	m = estimate.Memory{Model: &custom}
	m.Add(3, 1000)
	if m.Bytes != 4 {
		t.Errorf("custom model: %d bytes, want 4", m.Bytes)
	}
}

// scanMemory runs the model over an RDB file's key records.
func scanMemory(t *testing.T, path string) (estimate.Memory, int64, int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rdbfile.NewReader(f, nil)
	if _, err := r.Header(); err != nil {
		t.Fatal(err)
	}
	var m estimate.Memory
	var names, elems int64
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind == rdbfile.EntryKey {
			if err := e.Skip(); err != nil {
				t.Fatal(err)
			}
			names += int64(len(e.Key))
			elems += e.Len
		}
		m.AddEntry(e) // after Skip (Len is known); ignores non-key records
	}
	return m, names, elems
}

// TestMemoryOfRDBMatchesEngine checks that the two ways of feeding the
// model agree: an RDB scan (AddEntry, what "rdbkit estimate" uses) and the
// loaded keyspace of the engine (engine.Each, what "rdbkit replay" uses),
// and that the total is the formula applied to the file's counts.
func TestMemoryOfRDBMatchesEngine(t *testing.T) {
	files := []string{sample}
	if dir := testcorpus.Path(); dir != "" {
		for _, s := range append(testcorpus.Servers, "redis-unstable-2026-06-09") {
			files = append(files, filepath.Join(dir, s, "rdb", "dump.rdb"))
		}
	}
	for _, path := range files {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(path)))+"/"+filepath.Base(path), func(t *testing.T) {
			m, names, elems := scanMemory(t, path)
			want := m.Keys*estimate.Default.PerKey + names + elems*estimate.Default.PerElement
			if m.Bytes != want || m.Keys == 0 {
				t.Fatalf("scan: %d keys, %d bytes; formula gives %d", m.Keys, m.Bytes, want)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			v, _ := engine.ParseServerVersion("255.255.255")
			e := engine.New(v)
			if err := e.LoadRDB(rdbfile.NewReader(f, nil)); err != nil {
				t.Fatal(err)
			}
			var em estimate.Memory
			for _, db := range e.DBs() {
				e.Each(db, func(ki engine.KeyInfo) { em.Add(len(ki.Key), int64(ki.Len)) })
			}
			if em != m {
				t.Errorf("engine keyspace gives %+v, RDB scan %+v", em, m)
			}
		})
	}
}

// TestMemoryAddKeys checks that AddKeys of sums equals Add key by key, with
// the default model and with another one.
func TestMemoryAddKeys(t *testing.T) {
	keys := []struct {
		keyLen   int
		elements int64
	}{{1, 1}, {10, 0}, {0, 500}, {33, 7}}
	for _, model := range []*estimate.Model{nil, {PerKey: 5, PerElement: 3}} {
		var one, sum estimate.Memory
		one.Model, sum.Model = model, model
		var kb, el int64
		for _, k := range keys {
			one.Add(k.keyLen, k.elements)
			kb += int64(k.keyLen)
			el += k.elements
		}
		sum.AddKeys(int64(len(keys)), kb, el)
		if one != sum || one.Bytes == 0 {
			t.Errorf("model %v: Add one by one %+v, AddKeys %+v", model, one, sum)
		}
	}
}
