package rdbscan_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
	"github.com/rdbkit/rdbkit/release"
)

// scanned is what one Scan gives a caller: the Result, Scan's error, and
// what the hooks saw (a Summary, a Compat verdict, one line per record).
type scanned struct {
	res     rdbscan.Result
	err     string
	resErr  string
	summary *rdbscan.Summary
	compat  rdbscan.CompatVerdict
	records []string
}

func scanJobs(t *testing.T, file []byte, jobs int) *scanned {
	t.Helper()
	out := &scanned{summary: &rdbscan.Summary{TopN: 5, Now: 1_700_000_000_000}}
	target, _ := release.Lookup("redis-7.0")
	var compat *rdbscan.Compat
	o := &rdbscan.Options{
		Jobs:       jobs,
		Tail:       true,
		Duplicates: true,
		Reopen:     reopen(file),
		Now:        1_700_000_000_000,
		OnHeader: func(h *rdbfile.Header) error {
			compat = rdbscan.NewCompat(target, h, 3)
			return nil
		},
		OnEntry: func(e *rdbfile.Entry) error {
			out.summary.Add(e)
			compat.Add(e)
			in, un := e.LZFBytes()
			out.records = append(out.records, fmt.Sprintf("%v %d %q off %d size %d len %d count %d lzf %d/%d",
				e.Kind, e.DB, e.Key, e.Offset, e.Size, e.Len, e.Count(), in, un))
			return nil
		},
	}
	res, err := rdbscan.Scan(context.Background(), rdbfile.NewReader(bytes.NewReader(file), &rdbfile.Options{Size: int64(len(file))}), o)
	out.err = fmt.Sprint(err)
	if res != nil {
		out.res = *res
		out.resErr = fmt.Sprint(res.Err)
		out.res.Err = nil
	}
	if compat != nil {
		out.compat = compat.Verdict()
	}
	return out
}

// sameScan compares a scan with jobs workers with one with Jobs 1, field
// by field: the Result (findings word for word, the error's text, every
// offset and count), Scan's error, and what the hooks saw.
func sameScan(t *testing.T, name string, file []byte, jobs int, want *scanned) {
	t.Helper()
	got := scanJobs(t, file, jobs)
	fail := func(what string, a, b any) {
		t.Fatalf("%s: jobs %d and jobs 1 differ in %s:\n jobs 1: %+v\n jobs %d: %+v", name, jobs, what, a, jobs, b)
	}
	if got.err != want.err || got.resErr != want.resErr {
		fail("errors", want.err+" / "+want.resErr, got.err+" / "+got.resErr)
	}
	if len(got.res.Findings) != len(want.res.Findings) {
		fail("findings", len(want.res.Findings), len(got.res.Findings))
	}
	for i, f := range want.res.Findings {
		if g := got.res.Findings[i]; g.Severity != f.Severity || g.Err.Error() != f.Err.Error() || g.Err.Offset != f.Err.Offset {
			fail(fmt.Sprintf("finding %d", i), f.Err, g.Err)
		}
	}
	if !reflect.DeepEqual(got.res, want.res) {
		fail("the Result", want.res, got.res)
	}
	if !reflect.DeepEqual(got.records, want.records) {
		for i := range min(len(got.records), len(want.records)) {
			if got.records[i] != want.records[i] {
				fail(fmt.Sprintf("record %d", i), want.records[i], got.records[i])
			}
		}
		fail("record count", len(want.records), len(got.records))
	}
	if !reflect.DeepEqual(got.summary, want.summary) {
		fail("the Summary", want.summary, got.summary)
	}
	if !reflect.DeepEqual(got.compat, want.compat) {
		fail("the Compat verdict", want.compat, got.compat)
	}
}

// allRDBs returns every RDB file of testdata/ and of the corpus: the good
// ones (testcorpus.GoodRDBs) and the damaged copies and corrupt assets.
func allRDBs(t *testing.T) []string {
	files := testcorpus.GoodRDBs(t)
	if dir := testcorpus.Path(); dir != "" {
		filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".rdb") && !strings.Contains(p, "appendonlydir") &&
				(strings.Contains(p, "damaged") || strings.Contains(p, "corrupt")) {
				files = append(files, p)
			}
			return nil
		})
	}
	return files
}

// TestJobsSameResult: on every corpus RDB, good and damaged, Scan with
// Jobs 2 (the duplicate check on its own goroutine), 3 and 4 (also 1 and 2
// workers of a Checker) gives exactly the Result and the hook calls of
// Jobs 1; so does Jobs 3 on every 50th prefix and 20 one-bit flips of the
// damaged ones and of a few good files.
func TestJobsSameResult(t *testing.T) {
	rng := rand.New(rand.NewPCG(14, 1))
	damaged, keys, variants := 0, int64(0), 0
	for i, path := range allRDBs(t) {
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(filepath.Dir(filepath.Dir(path)), path)
		want := scanJobs(t, file, 1)
		for _, jobs := range []int{2, 3, 4} {
			sameScan(t, name, file, jobs, want)
		}
		keys += want.res.Keys
		if want.res.NErrors > 0 || want.resErr != "<nil>" {
			damaged++
		}
		if !strings.Contains(path, "damaged") && i%7 != 0 || len(file) > 1<<20 || len(file) < 16 {
			continue
		}
		for cut := 9; cut < len(file); cut += 1 + len(file)/50 {
			sameScan(t, fmt.Sprintf("%s[:%d]", name, cut), file[:cut], 3, scanJobs(t, file[:cut], 1))
			variants++
		}
		m := bytes.Clone(file)
		for range 20 {
			at := 9 + rng.IntN(len(file)-9)
			m[at] ^= 1 << rng.IntN(8)
			sameScan(t, fmt.Sprintf("%s bit flip at %d", name, at), m, 3, scanJobs(t, m, 1))
			m[at] = file[at]
			variants++
		}
	}
	t.Logf("%d keys, %d damaged files, %d prefixes and bit flips", keys, damaged, variants)
	if damaged < 40 || keys < 5000 {
		t.Errorf("only %d damaged files and %d keys compared", damaged, keys)
	}
}
