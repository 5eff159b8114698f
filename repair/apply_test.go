package repair

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/manifest"
)

// copySet copies the set directory src into a fresh, writable directory
// and returns its path.
func copySet(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "appendonlydir")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	ents, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// snapshot maps each regular file below dir to its bytes.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		m[strings.TrimPrefix(p, dir)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func sameSnapshot(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d files, want %d", what, len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %s differs (%d bytes, want %d)", what, k, len(got[k]), len(w))
		}
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// TestInPlaceTruncateBacksUpOnlyTail: a torn tail is cut in place; the
// backup holds only the removed bytes; the result equals redis-check-aof
// --fix; Undo gives back the original byte for byte.
func TestInPlaceTruncateBacksUpOnlyTail(t *testing.T) {
	c := corpus(t)
	for _, srv := range servers {
		t.Run(srv, func(t *testing.T) {
			dir := copySet(t, filepath.Join(c, srv, "damaged/aof-incr-truncated/appendonlydir"))
			orig := snapshot(t, dir)
			s, p := planFor(t, dir, PlanOptions{})
			var removed int64
			for _, f := range p.Files {
				if f.Action == ActionTruncate {
					removed += f.BytesLost
				}
				if f.Check == nil || f.Check.Hash == "" {
					t.Fatalf("%s: no check in the plan", f.Name)
				}
			}
			bak := filepath.Join(t.TempDir(), "bak")
			res, err := Apply(s, p, ApplyOptions{BackupDir: bak})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.BackedUp) != 1 || len(res.Written) != 1 {
				t.Fatalf("result %+v", res)
			}
			sameDir(t, dir, filepath.Join(c, srv, "damaged/aof-incr-truncated-fixed/appendonlydir"))
			st, err := os.Stat(res.BackedUp[0])
			if err != nil {
				t.Fatal(err)
			}
			if st.Size() > removed+1024 {
				t.Errorf("undo file is %d bytes for %d removed bytes", st.Size(), removed)
			}
			h, err := ReadUndoHeader(res.BackedUp[0])
			if err != nil || h.Kind != UndoTail || h.Length != removed {
				t.Fatalf("undo header %+v, %v", h, err)
			}
			u, err := Undo(bak, UndoOptions{})
			if err != nil || len(u.Restored) != 1 {
				t.Fatalf("undo: %+v, %v", u, err)
			}
			sameSnapshot(t, "after undo", snapshot(t, dir), orig)
			// A second undo finds the original in place and changes nothing.
			if u, err := Undo(res.BackedUp[0], UndoOptions{}); err != nil || len(u.Restored) != 0 || len(u.Already) != 1 {
				t.Errorf("second undo: %+v, %v", u, err)
			}
		})
	}
}

// TestInPlaceRewriteAndUndo: --skip-corrupt changes the middle of a file:
// the undo file holds it whole, and Undo restores it.
func TestInPlaceRewriteAndUndo(t *testing.T) {
	c := corpus(t)
	dir := copySet(t, filepath.Join(c, "redis-7.0.15/damaged/aof-incr-garbage/appendonlydir"))
	orig := snapshot(t, dir)
	s, p := planFor(t, dir, PlanOptions{SkipCorrupt: true})
	bak := filepath.Join(t.TempDir(), "bak")
	res, err := Apply(s, p, ApplyOptions{BackupDir: bak})
	if err != nil {
		t.Fatal(err)
	}
	if _, p2 := planFor(t, dir, PlanOptions{}); p2.Changes || p2.Refused != "" {
		t.Fatalf("after repair the set still needs one: %+v", p2)
	}
	h, err := ReadUndoHeader(res.BackedUp[0])
	if err != nil || h.Kind != UndoRanges || h.Length != p.Files[len(p.Files)-1].BytesLost {
		t.Fatalf("undo header %+v, %v", h, err)
	}
	if _, err := Undo(bak, UndoOptions{}); err != nil {
		t.Fatal(err)
	}
	sameSnapshot(t, "after undo", snapshot(t, dir), orig)
}

// TestApplyRefusesStalePlan: a file that grows between plan and apply (a
// server still writing) makes Apply refuse, in place and to --output, and
// nothing is left changed or written.
func TestApplyRefusesStalePlan(t *testing.T) {
	c := corpus(t)
	for _, out := range []bool{false, true} {
		dir := copySet(t, filepath.Join(c, "redis-7.0.15/damaged/aof-incr-truncated/appendonlydir"))
		s, p := planFor(t, dir, PlanOptions{})
		last := s.Files[len(s.Files)-1].File.Path
		appendTo(t, last, "\r\n$3\r\nabc\r\n")
		before := snapshot(t, dir)
		o := ApplyOptions{BackupDir: filepath.Join(t.TempDir(), "bak")}
		if out {
			o = ApplyOptions{OutputDir: filepath.Join(t.TempDir(), "out")}
		}
		res, err := Apply(s, p, o)
		var se *StaleError
		if !errors.As(err, &se) || se.Path != last {
			t.Fatalf("output=%v: Apply error %v, want a StaleError on %s", out, err, last)
		}
		if len(res.Written) != 0 {
			t.Errorf("output=%v: wrote %v", out, res.Written)
		}
		sameSnapshot(t, "input", snapshot(t, dir), before)
		if out {
			// The base was copied before the stale file was found: it is
			// removed again, and so is the directory this run created.
			if len(res.Removed) == 0 {
				t.Errorf("output: nothing reported removed: %+v", res)
			}
			if _, err := os.Stat(o.OutputDir); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("output dir left behind: %v", err)
			}
		} else if _, err := os.Stat(o.BackupDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("backup dir made for a refused repair: %v", err)
		}
	}
	// A file that changed between scan and plan: NewPlan refuses.
	dir := copySet(t, filepath.Join(c, "redis-7.0.15/damaged/aof-incr-truncated/appendonlydir"))
	set, err := manifest.Resolve(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ScanSet(context.Background(), set, &ScanOptions{Records: true})
	if err != nil {
		t.Fatal(err)
	}
	appendTo(t, set.Incrs[0].Path, "*1\r\n")
	var se *StaleError
	if _, err := NewPlan(s, PlanOptions{}); !errors.As(err, &se) {
		t.Fatalf("NewPlan on a grown file: %v, want a StaleError", err)
	}
}

// TestUndoRefusesChangedFile: a file changed after the repair (a server
// started on it) is not overwritten by Undo.
func TestUndoRefusesChangedFile(t *testing.T) {
	c := corpus(t)
	dir := copySet(t, filepath.Join(c, "redis-7.0.15/damaged/aof-incr-truncated/appendonlydir"))
	s, p := planFor(t, dir, PlanOptions{})
	bak := filepath.Join(t.TempDir(), "bak")
	if _, err := Apply(s, p, ApplyOptions{BackupDir: bak}); err != nil {
		t.Fatal(err)
	}
	last := s.Files[len(s.Files)-1].File.Path
	appendTo(t, last, "*1\r\n$4\r\nPING\r\n")
	after := snapshot(t, dir)
	var se *StaleError
	if _, err := Undo(bak, UndoOptions{}); !errors.As(err, &se) {
		t.Fatalf("undo of a changed file: %v, want a StaleError", err)
	}
	sameSnapshot(t, "refused undo", snapshot(t, dir), after)
	// A damaged undo file is refused before anything is touched.
	ents, _ := filepath.Glob(filepath.Join(bak, "*"+UndoSuffix))
	b, _ := os.ReadFile(ents[0])
	os.WriteFile(ents[0], b[:len(b)-1], 0o644)
	if _, err := Undo(ents[0], UndoOptions{}); err == nil || !strings.Contains(err.Error(), "inconsistent") {
		t.Errorf("truncated undo file: %v", err)
	}
	os.WriteFile(ents[0], []byte("hello\n"), 0o644)
	if _, err := Undo(ents[0], UndoOptions{}); err == nil || !strings.Contains(err.Error(), "not an rdbkit undo file") {
		t.Errorf("not an undo file: %v", err)
	}
}

// TestLeftovers: temp files of earlier runs are found in the set's
// directory and its backup directories; only those older than the run and
// not open are removed.
func TestLeftovers(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	bak := BackupDirName(dir, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	for _, d := range []string{dir, bak} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-time.Hour)
	mk := func(p string, mt time.Time) {
		if err := os.WriteFile(p, bytes.Repeat([]byte("x"), 100), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(p, mt, mt)
	}
	stale1 := filepath.Join(dir, TempPrefix+"1")
	stale2 := filepath.Join(bak, TempPrefix+"2")
	fresh := filepath.Join(dir, TempPrefix+"3")
	open := filepath.Join(dir, TempPrefix+"4")
	other := filepath.Join(dir, "appendonly.aof.1.incr.aof")
	mk(stale1, old)
	mk(stale2, old)
	mk(fresh, time.Now().Add(time.Hour))
	mk(open, old)
	mk(other, old)
	// Another process holds one open.
	holder := holdOpen(t, open)
	runStart := time.Now()
	ls, err := FindLeftovers(LeftoverDirs(dir), runStart)
	if err != nil {
		t.Fatal(err)
	}
	if len(ls) != 4 {
		t.Fatalf("found %+v", ls)
	}
	rm, err := RemoveLeftovers(ls)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range rm {
		got = append(got, l.Path)
	}
	want := []string{stale1, stale2}
	if HolderCheckSupported() && holder {
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("removed %v, want %v", got, want)
		}
	}
	for _, p := range []string{fresh, open, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed", p)
		}
	}
}
