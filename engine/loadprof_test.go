package engine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// TestLoadProfile loads the RDB file named by RDBKIT_LOAD_RDB (skipped when
// unset), to profile LoadRDB with -cpuprofile/-memprofile.
func TestLoadProfile(t *testing.T) {
	path := os.Getenv("RDBKIT_LOAD_RDB")
	if path == "" {
		t.Skip("RDBKIT_LOAD_RDB not set")
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r := rdbfile.NewReader(bufio.NewReaderSize(f, 1<<16), &rdbfile.Options{Size: st.Size()})
	if _, err := r.Header(); err != nil {
		t.Fatal(err)
	}
	if os.Getenv("RDBKIT_LOAD_WALKONLY") != "" {
		// Decoding alone (rdbfile), the producer's lower bound.
		t0 := time.Now()
		nop := func(*rdbfile.Element) error { return nil }
		for {
			ent, err := r.Next()
			if err != nil {
				break
			}
			if ent.Kind == rdbfile.EntryKey {
				if err := ent.Walk(nop); err != nil {
					t.Fatal(err)
				}
			}
		}
		t.Logf("walk only: %v", time.Since(t0))
		return
	}
	e := New(ServerVersion{Major: 7, Minor: 0})
	var ms0 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	t0 := time.Now()
	if err := e.LoadRDB(r); err != nil {
		t.Fatal(err)
	}
	d := time.Since(t0)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("load %v, keys %d, heap in use %d MB, sys %d MB, GCs %d", d, e.Len(0), ms.HeapInuse>>20, ms.Sys>>20, ms.NumGC)
	runtime.GC()
	runtime.ReadMemStats(&ms)
	t.Logf("after GC: heap in use %d MB, alloc %d MB, objects %d", ms.HeapInuse>>20, ms.HeapAlloc>>20, ms.HeapObjects)
	if n := e.Len(0); n > 0 {
		live := ms.HeapAlloc - ms0.HeapAlloc
		t.Logf("live heap of the keyspace: %d bytes, %d bytes per key (db 0)", live, live/uint64(n))
	}
	if p := os.Getenv("RDBKIT_LOAD_HEAPPROFILE"); p != "" {
		hf, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		pprof.Lookup("heap").WriteTo(hf, 0)
		hf.Close()
	}
	runtime.KeepAlive(e)
}

// TestLoadEntryMatchesLoadRDB loads every corpus dump.rdb record by record
// (LoadEntry, sequential) and with LoadRDB (pipelined): same keyspace.
func TestLoadEntryMatchesLoadRDB(t *testing.T) {
	dir := corpusDir(t)
	for _, s := range corpusServers {
		t.Run(s, func(t *testing.T) {
			path := dir + "/" + s + "/rdb/dump.rdb"
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			open := func() *rdbfile.Reader {
				return rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
			}
			h, err := open().Header()
			if err != nil {
				t.Fatal(err)
			}
			v, _ := VersionFromHeader(h)
			a, b := New(v), New(v)
			if err := a.LoadRDB(open()); err != nil {
				t.Fatal(err)
			}
			r := open()
			for {
				ent, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if err := b.LoadEntry(ent); err != nil {
					t.Fatal(err)
				}
			}
			if a.Len(0) == 0 || a.Digest() != b.Digest() || a.Len(0) != b.Len(0) || len(a.Functions()) != len(b.Functions()) {
				t.Errorf("LoadRDB: %d keys, digest %s; LoadEntry: %d keys, digest %s", a.Len(0), a.Digest(), b.Len(0), b.Digest())
			}
		})
	}
}

// TestLoadRDBErrors checks that the pipelined LoadRDB returns the errors of
// the file and of the keyspace, and stops its producer.
func TestLoadRDBErrors(t *testing.T) {
	dir := corpusDir(t)
	data, err := os.ReadFile(dir + "/redis-7.4.1/rdb/dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{len(data) / 3, len(data) / 2, len(data) - 12} {
		cut := data[:n]
		r := rdbfile.NewReader(bytes.NewReader(cut), &rdbfile.Options{Size: int64(len(cut))})
		if err := New(ServerVersion{Major: 7, Minor: 4}).LoadRDB(r); err == nil {
			t.Errorf("truncated to %d bytes: no error", n)
		}
	}
	// A database the engine does not have: the consumer stops the producer.
	e := NewWithOptions(ServerVersion{Major: 7, Minor: 4}, Options{Databases: 1})
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	before := runtime.NumGoroutine()
	err = e.LoadRDB(r)
	if err == nil || !errors.Is(err, ErrTooManyDBs) {
		t.Logf("Databases: 1: %v (the file may only use db 0)", err)
	}
	if runtime.NumGoroutine() > before {
		t.Errorf("producer still running: %d goroutines, %d before", runtime.NumGoroutine(), before)
	}
}

// TestHashFromListpack: the consumer-side conversion of a hash listpack
// (WalkPacked) builds the same hash as staged fields would, packed or
// indexed by size, and refuses listpacks that cannot be a hash.
func TestHashFromListpack(t *testing.T) {
	e := New(ServerVersion{Major: 7, Minor: 4})
	build := func(items ...string) []byte { // listpack of 6-bit strings and 7-bit ints
		lp := []byte{0, 0, 0, 0, byte(len(items)), 0}
		for _, it := range items {
			if n, err := strconv.Atoi(it); err == nil && n >= 0 && n < 128 {
				lp = append(lp, byte(n), 1)
				continue
			}
			lp = append(lp, 0x80|byte(len(it)))
			lp = append(lp, it...)
			lp = append(lp, byte(1+len(it)))
		}
		lp = append(lp, 0xFF)
		binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
		return lp
	}
	o, err := e.loadBS.hashFromListpack(build("f1", "v1", "7", "x"))
	h, ok := o.(*hashObj)
	if err != nil || !ok || h.small.len() != 4 || string(h.small.at(2)) != "7" || string(h.small.at(3)) != "x" {
		t.Fatalf("small hash: %#v, %v", o, err)
	}
	items := make([]string, 0, 2*(setMaxPacked+1))
	for i := range setMaxPacked + 1 {
		items = append(items, "f"+strconv.Itoa(i), "v")
	}
	lp := build(items...)
	binary.LittleEndian.PutUint16(lp[4:], 65535) // count unknown: more than the 16-bit field holds
	if o, err := e.loadBS.hashFromListpack(lp); err != nil || o.(*hashObj).big == nil {
		t.Fatalf("%d fields: want an indexed hash, got %#v, %v", setMaxPacked+1, o, err)
	}
	for name, bad := range map[string][]byte{
		"odd entry count": build("f1", "v1", "f2"),
		"empty":           build(),
		"corrupt":         {7, 0, 0, 0, 0, 0, 0xFE},
	} {
		if _, err := e.loadBS.hashFromListpack(bad); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestLoadProducerBuilds loads every RDB file of the corpus (damaged ones
// included) with the producer building every object and with the consumer
// building every one (produceBuilds forced either way): the same keyspace,
// or the same error.
func TestLoadProducerBuilds(t *testing.T) {
	dir := corpusDir(t)
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rdb") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 50 {
		t.Fatalf("only %d RDB files under %s", len(paths), dir)
	}
	saved := produceBuilds
	defer func() { produceBuilds = saved }()
	load := func(data []byte, producer bool) (string, error) {
		produceBuilds = func(int, int) bool { return producer }
		r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
		h, err := r.Header()
		if err != nil {
			return "", err
		}
		v, _ := VersionFromHeader(h)
		e := New(v)
		if err := e.LoadRDB(r); err != nil {
			return "", err
		}
		n := 0
		for _, db := range e.DBs() {
			n += e.Len(db)
		}
		return fmt.Sprintf("%d keys, %d libraries, digest %s", n, len(e.Functions()), e.Digest()), nil
	}
	var loaded, failed int
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		a, errA := load(data, true)
		b, errB := load(data, false)
		if fmt.Sprint(errA) != fmt.Sprint(errB) || a != b {
			t.Errorf("%s: producer builds: %s (%v); consumer builds: %s (%v)", p, a, errA, b, errB)
		}
		if errA != nil {
			failed++
		} else {
			loaded++
		}
	}
	t.Logf("%d files loaded, %d refused, alike both ways", loaded, failed)
}
