package rdbscan

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// dupFile writes an RDB 11 file with rdbfile.Writer: n string keys
// "key:0".."key:N" in db 0, n/2 of the same names in db 5 (not duplicates),
// then, back in db 0, "key:7", "key:<n-1>" and an expired copy of
// "key:500", and in db 5 a second "key:3".
func dupFile(t testing.TB, n int) []byte {
	t.Helper()
	var out bytes.Buffer
	w := rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: 11})
	put := func(key string, expire int64) {
		h := rdbfile.KeyHeader{Key: []byte(key), ExpireAt: expire, Idle: -1, Freq: -1}
		if err := w.WriteKey(h, &rdbfile.Value{Kind: rdbfile.KindString, String: []byte("v")}); err != nil {
			t.Fatal(err)
		}
	}
	sel := func(db int) {
		if err := w.SelectDB(db); err != nil {
			t.Fatal(err)
		}
	}
	sel(0)
	for i := range n {
		put("key:"+strconv.Itoa(i), rdbfile.NoExpire)
	}
	sel(5)
	for i := range n / 2 {
		put("key:"+strconv.Itoa(i), rdbfile.NoExpire)
	}
	sel(0)
	put("key:7", rdbfile.NoExpire)
	put("key:"+strconv.Itoa(n-1), rdbfile.NoExpire)
	put("key:500", 1000)
	sel(5)
	put("key:3", rdbfile.NoExpire)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func reopenBytes(file []byte) func() (*rdbfile.Reader, error) {
	return func() (*rdbfile.Reader, error) { return rdbfile.NewReader(bytes.NewReader(file), nil), nil }
}

// scanSlots does what Scan does for the duplicate check, with a pool of
// the given number of slots (0: as Scan, from o.DupMemory), and returns the
// set for its statistics.
func scanSlots(ctx context.Context, t testing.TB, file []byte, slots int, o *Options, creates func(string) (*os.File, string, error)) (*Result, *dupSet, error) {
	t.Helper()
	set := newDupSet(o)
	defer set.close()
	if slots > 0 {
		set.setBudget(slots)
	}
	set.creates = creates
	r := rdbfile.NewReader(bytes.NewReader(file), nil)
	if _, err := r.Header(); err != nil {
		t.Fatal(err)
	}
	res := &Result{}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind == rdbfile.EntryKey {
			res.Keys++
			set.add(e.DB, e.Key)
		}
	}
	res.DupChecked = true
	err := res.resolveDuplicates(ctx, set, o)
	return res, set, err
}

// noTempFiles fails if dir holds a file or this process still has a
// duplicate check's temporary file open (Linux: /proc/self/fd).
func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	if ents, err := os.ReadDir(dir); err != nil || len(ents) != 0 {
		t.Errorf("temporary directory: %v, %v", ents, err)
	}
	if runtime.GOOS != "linux" {
		return
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range fds {
		if l, _ := os.Readlink(filepath.Join("/proc/self/fd", fd.Name())); strings.Contains(l, "rdbkit-dup-") {
			t.Errorf("still open: fd %s -> %s", fd.Name(), l)
		}
	}
}

// wantDups are the duplicates of dupFile(n), in the order of their second copy.
func wantDups(n int) []string {
	return []string{"0 key:7 aborts", "0 key:" + strconv.Itoa(n-1) + " aborts", "0 key:500 aborts-unless-expired", "5 key:3 aborts"}
}

func dupStrings(ds []Duplicate) []string {
	var out []string
	for _, d := range ds {
		out = append(out, fmt.Sprintf("%d %s %s", d.DB, d.Key, d.Outcome))
	}
	return out
}

// TestDupBudget: the same duplicates, word for word, with the hashes in
// memory, spilled to the temporary file under a 64 KiB budget, and split
// again below the first level under tiny pools; the file is gone after.
func TestDupBudget(t *testing.T) {
	const n = 100_000
	file := dupFile(t, n)
	ctx := context.Background()
	dir := t.TempDir()
	base := Options{Duplicates: true, Reopen: reopenBytes(file), Now: 2000, TempDir: dir}
	ref, err := Scan(ctx, rdbfile.NewReader(bytes.NewReader(file), nil), &base)
	if err != nil {
		t.Fatal(err)
	}
	if got := dupStrings(ref.Duplicates); !slices.Equal(got, wantDups(n)) || ref.DupCount != 4 || ref.DupTempBytes != 0 || !ref.DupChecked {
		t.Fatalf("in memory: %q, count %d, temp %d", got, ref.DupCount, ref.DupTempBytes)
	}
	keys := int64(n + n/2 + 4)
	// Scan with the smallest budget: 8192 hashes in memory, the rest (8
	// bytes a key) in the file.
	o := base
	o.DupMemory = 1 // raised to MinDupMemory
	res, err := Scan(ctx, rdbfile.NewReader(bytes.NewReader(file), nil), &o)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.Duplicates, ref.Duplicates) || res.DupCount != 4 || !res.DupChecked ||
		res.DupTempBytes < 8*(keys-MinDupMemory/8) || res.DupTempBytes > 8*keys {
		t.Errorf("64 KiB: %+v, count %d, temp %d bytes", res.Duplicates, res.DupCount, res.DupTempBytes)
	}
	noTempFiles(t, dir)
	// With two jobs the keys are added on a goroutine of their own, in
	// batches (dupFeed): the same Result, the same temporary file.
	for _, mem := range []int{0, 1} {
		o2 := o
		o2.DupMemory, o2.Jobs = mem, 1
		one, err := Scan(ctx, rdbfile.NewReader(bytes.NewReader(file), nil), &o2)
		if err != nil {
			t.Fatal(err)
		}
		o2.Jobs = 2
		two, err := Scan(ctx, rdbfile.NewReader(bytes.NewReader(file), nil), &o2)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(one, two) || !reflect.DeepEqual(two.Duplicates, ref.Duplicates) {
			t.Errorf("budget %d: jobs 2 %+v, jobs 1 %+v", mem, two, one)
		}
		noTempFiles(t, dir)
	}
	// Smaller pools than Options allow: 4096 slots hold a table for every
	// first-level bucket (about 590 slots), 1000 do not, so each bucket is
	// split again.
	for _, slots := range []int{4096, 1000} {
		res, set, err := scanSlots(ctx, t, file, slots, &o, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Duplicates, ref.Duplicates) || res.DupCount != 4 || !res.DupChecked || (slots < 1024) != (set.splits > 0) {
			t.Errorf("%d slots: %q, count %d, %d splits", slots, dupStrings(res.Duplicates), res.DupCount, set.splits)
		}
		noTempFiles(t, dir)
	}
	// Without a second pass: the same databases and copy counts, unconfirmed.
	o.Reopen = nil
	for _, slots := range []int{0, 1000} {
		res, _, err := scanSlots(ctx, t, file, slots, &o, nil)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range res.Duplicates {
			if !d.Unconfirmed || d.Key != nil {
				t.Errorf("%+v", d)
			}
			got = append(got, fmt.Sprintf("db %d n %d", d.DB, d.N))
		}
		slices.Sort(got)
		if want := []string{"db 0 n 2", "db 0 n 2", "db 0 n 2", "db 5 n 2"}; !slices.Equal(got, want) || res.DupCount != 4 {
			t.Errorf("unconfirmed, %d slots: %q, count %d", slots, got, res.DupCount)
		}
	}
	noTempFiles(t, dir)
}

// TestDupManyCopies: one key stored 5000 times, with a pool of 64 slots,
// goes down every level of the split; MaxDuplicates keeps the first hashes
// and counts all of them.
func TestDupManyCopies(t *testing.T) {
	var out bytes.Buffer
	w := rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: 11})
	w.SelectDB(0)
	for i := range 5000 {
		k := "same"
		if i%2 == 1 {
			k = "k" + strconv.Itoa(i%40) // 20 keys, 125 copies each
		}
		w.WriteKey(rdbfile.KeyHeader{Key: []byte(k), ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1}, &rdbfile.Value{Kind: rdbfile.KindString, String: []byte("v")})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := out.Bytes()
	for _, slots := range []int{0, 64} {
		o := &Options{Duplicates: true, TempDir: t.TempDir()}
		res, set, err := scanSlots(context.Background(), t, file, slots, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		ns := map[int]int{}
		for _, d := range res.Duplicates {
			ns[d.N]++
		}
		if res.DupCount != 21 || len(res.Duplicates) != 21 || ns[2500] != 1 || ns[125] != 20 || (slots > 0 && set.splits < partitionLevels-1) {
			t.Errorf("%d slots: count %d, copies %v, %d splits", slots, res.DupCount, ns, set.splits)
		}
		o.Reopen, o.MaxDuplicates = reopenBytes(file), 5
		res, _, err = scanSlots(context.Background(), t, file, slots, o, nil)
		if err != nil || res.DupCount != 21 || len(res.Duplicates) != 5 {
			t.Fatalf("%d slots, 5 kept: %v, count %d, %d kept", slots, err, res.DupCount, len(res.Duplicates))
		}
		for _, d := range res.Duplicates {
			if d.Unconfirmed || d.N != len(d.Copies) || (d.N != 2500 && d.N != 125) {
				t.Errorf("%d slots: %s: %d copies", slots, d.Key, d.N)
			}
		}
		noTempFiles(t, o.TempDir)
	}
}

// TestDupManyDatabases: past the 255th database, keys carry their database
// in the hash; a second pass still names the database, and the same key
// in two databases is never a duplicate.
func TestDupManyDatabases(t *testing.T) {
	var out bytes.Buffer
	w := rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: 11})
	put := func(k string) {
		w.WriteKey(rdbfile.KeyHeader{Key: []byte(k), ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1}, &rdbfile.Value{Kind: rdbfile.KindString, String: []byte("v")})
	}
	for db := range 300 {
		w.SelectDB(db)
		for i := range 20 {
			put("key:" + strconv.Itoa(i))
		}
	}
	for _, db := range []int{0, 254, 255, 299} {
		w.SelectDB(db)
		put("key:" + strconv.Itoa(db%20))
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	file := out.Bytes()
	for _, slots := range []int{0, 64} {
		o := &Options{Duplicates: true, Reopen: reopenBytes(file), TempDir: t.TempDir()}
		res, _, err := scanSlots(context.Background(), t, file, slots, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"0 key:0 aborts", "254 key:14 aborts", "255 key:15 aborts", "299 key:19 aborts"}
		if got := dupStrings(res.Duplicates); !slices.Equal(got, want) || res.DupCount != 4 {
			t.Errorf("%d slots: %q, count %d", slots, got, res.DupCount)
		}
		o.Reopen = nil
		res, _, err = scanSlots(context.Background(), t, file, slots, o, nil)
		if err != nil {
			t.Fatal(err)
		}
		var dbs []int
		for _, d := range res.Duplicates {
			dbs = append(dbs, d.DB)
			if name := d.DBName(); (d.DB < 0) != (name == "a db beyond the file's first 255") {
				t.Errorf("db %d named %q", d.DB, name)
			}
		}
		slices.Sort(dbs)
		if !slices.Equal(dbs, []int{-1, -1, 0, 254}) {
			t.Errorf("%d slots, unconfirmed: databases %v", slots, dbs)
		}
	}
}

// TestDupDiskFull: a temporary file that cannot be written (the disk is
// full: /dev/full) or created is an error of the check, never "no
// duplicates"; the rest of the scan's result stands.
func TestDupDiskFull(t *testing.T) {
	file := dupFile(t, 20_000)
	if _, err := os.Stat("/dev/full"); err == nil {
		full := func(string) (*os.File, string, error) {
			f, err := os.OpenFile("/dev/full", os.O_RDWR, 0)
			return f, "", err
		}
		o := &Options{Duplicates: true, Reopen: reopenBytes(file)}
		res, _, err := scanSlots(context.Background(), t, file, 1024, o, full)
		var te *DupTempError
		if !errors.As(err, &te) || !errors.Is(err, syscall.ENOSPC) || res.DupChecked || res.Duplicates != nil || res.DupCount != 0 || res.Keys != 30_004 {
			t.Errorf("disk full: %v; checked %v, %d duplicates, %d keys", err, res.DupChecked, res.DupCount, res.Keys)
		} else {
			t.Log(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "missing")
	for _, jobs := range []int{1, 2} {
		res, err := Scan(context.Background(), rdbfile.NewReader(bytes.NewReader(file), nil),
			&Options{Duplicates: true, Reopen: reopenBytes(file), TempDir: dir, DupMemory: MinDupMemory, Jobs: jobs})
		var te *DupTempError
		if !errors.As(err, &te) || te.Dir != dir || !errors.Is(err, os.ErrNotExist) || res.DupChecked || res.DupCount != 0 ||
			res.Keys != 30_004 || res.Err != nil || res.End != int64(len(file)) {
			t.Errorf("no directory, jobs %d: %v; checked %v, %d duplicates, %d keys", jobs, err, res.DupChecked, res.DupCount, res.Keys)
		}
	}
}

// TestDupCancel: cancelled in the scan or at the end, the check leaves no
// temporary file behind, open or on disk.
func TestDupCancel(t *testing.T) {
	file := dupFile(t, 50_000)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	res, err := Scan(ctx, rdbfile.NewReader(bytes.NewReader(file), nil), &Options{Duplicates: true, TempDir: dir, DupMemory: MinDupMemory,
		OnEntry: func(*rdbfile.Entry) error {
			if n++; n == 40_000 {
				cancel()
			}
			return nil
		}})
	if !errors.Is(err, context.Canceled) || res.DupChecked || res.Keys >= 75_004 {
		t.Errorf("cancelled in the scan: %v, checked %v, %d keys", err, res.DupChecked, res.Keys)
	}
	noTempFiles(t, dir)
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	res, set, err := scanSlots(ctx, t, file, 1024, &Options{Duplicates: true, TempDir: dir}, nil)
	if !errors.Is(err, context.Canceled) || res.DupChecked || set.end == 0 || set.f != nil {
		t.Errorf("cancelled at the end: %v, checked %v, %d bytes written", err, res.DupChecked, set.end)
	}
	noTempFiles(t, dir)
}

// BenchmarkDupSetAdd: the cost of remembering one key of 16 bytes (as
// DEBUG POPULATE writes them) in the default budget, the temporary file
// written every 2 Mi keys or so included.
func BenchmarkDupSetAdd(b *testing.B) {
	keys := make([][]byte, 1<<20)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%012d", i)
	}
	set := newDupSet(&Options{TempDir: b.TempDir()})
	defer set.close()
	b.SetBytes(16)
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		set.add(0, keys[n&(len(keys)-1)])
		n++
	}
	if set.err != nil {
		b.Fatal(set.err)
	}
}

// TestDupReadBackTwo: the temporary file read back on two goroutines
// (walkTwo, Jobs 2 and more) gives the candidates of the one-goroutine walk,
// with their counts, in both halves of the buckets, also when the
// collectors keep fewer candidates than there are.
func TestDupReadBackTwo(t *testing.T) {
	ctx := context.Background()
	const keys, twice, thrice = 20_000, 3000, 40
	seed := maphash.MakeSeed() // both sets hash alike
	for _, keep := range []int{5000, 10} {
		var got [2][]candidate
		var totals [2]int64
		for i, two := range []bool{false, true} {
			set := newDupSet(&Options{TempDir: t.TempDir()})
			set.setBudget(4096) // spilled; a bucket (about 100 slots) fits half the pool
			set.seed, set.two = seed, two
			for k := range keys {
				key := []byte("key:" + strconv.Itoa(k))
				set.add(k%3, key)
				if k < twice {
					set.add(k%3, key)
				}
				if k < thrice {
					set.add(k%3, key)
				}
			}
			if set.end == 0 {
				t.Fatal("nothing spilled")
			}
			cands, total, err := set.candidates(ctx, keep)
			if err != nil {
				t.Fatal(err)
			}
			if set.twoDone != two {
				t.Fatalf("two %v: walkTwo ran %v", two, set.twoDone)
			}
			got[i], totals[i] = cands, total
		}
		if !reflect.DeepEqual(got[0], got[1]) || totals[0] != totals[1] || totals[0] != twice || len(got[0]) != min(keep, twice) {
			t.Fatalf("keep %d: one goroutine %d of %d, two %d of %d", keep, len(got[0]), totals[0], len(got[1]), totals[1])
		}
		halves := [2]int{}
		threes := 0
		for _, c := range got[1] {
			halves[c.h>>56/128]++
			if c.n == 3 {
				threes++
			}
		}
		if keep > twice && (halves[0] == 0 || halves[1] == 0 || threes != thrice) {
			t.Fatalf("candidates by half %v, %d with three copies", halves, threes)
		}
	}
}
