package repair

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/manifest"
)

var servers = []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"}

func corpus(t *testing.T) string { t.Helper(); return testcorpus.Dir(t) }

func planFor(t *testing.T, path string, o PlanOptions) (*Scan, *Plan) {
	t.Helper()
	set, err := manifest.Resolve(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ScanSet(context.Background(), set, &ScanOptions{Records: true})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlan(s, o)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := json.Marshal(p); err != nil {
		t.Fatal(err)
	}
	return s, p
}

func applyTo(t *testing.T, s *Scan, p *Plan) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "appendonlydir")
	if _, err := Apply(s, p, ApplyOptions{OutputDir: out}); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameDir(t *testing.T, got, want string) {
	t.Helper()
	ents, err := os.ReadDir(want)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		w, _ := os.ReadFile(filepath.Join(want, e.Name()))
		g, err := os.ReadFile(filepath.Join(got, e.Name()))
		if err != nil || !bytes.Equal(g, w) {
			t.Errorf("%s differs from %s (%d vs %d bytes, %v)", e.Name(), want, len(g), len(w), err)
		}
	}
}

func TestTruncatedMatchesCheckAOFFix(t *testing.T) {
	c := corpus(t)
	for _, srv := range servers {
		t.Run(srv, func(t *testing.T) {
			s, p := planFor(t, filepath.Join(c, srv, "damaged/aof-incr-truncated/appendonlydir"), PlanOptions{})
			if p.Refused != "" || p.DataDropped || !p.Changes {
				t.Fatalf("plan: %+v", p)
			}
			sameDir(t, applyTo(t, s, p), filepath.Join(c, srv, "damaged/aof-incr-truncated-fixed/appendonlydir"))
		})
	}
}

func TestGarbageSkipKeepsMore(t *testing.T) {
	c := corpus(t)
	for _, srv := range servers {
		t.Run(srv, func(t *testing.T) {
			dir := filepath.Join(c, srv, "damaged/aof-incr-garbage/appendonlydir")
			_, p := planFor(t, dir, PlanOptions{})
			if p.Refused == "" {
				t.Fatalf("garbage without --skip-corrupt must refuse")
			}
			s, p := planFor(t, dir, PlanOptions{SkipCorrupt: true})
			if p.Refused != "" || !p.DataDropped {
				t.Fatalf("plan: %+v", p)
			}
			out := applyTo(t, s, p)
			got := commandsOf(t, out)
			fixed := commandsOf(t, filepath.Join(c, srv, "damaged/aof-incr-garbage-fixed/appendonlydir"))
			if len(got) <= len(fixed) {
				t.Errorf("kept %d commands, check-aof --fix kept %d", len(got), len(fixed))
			}
			orig := map[string]bool{}
			for _, k := range commandsOf(t, filepath.Join(c, srv, "aof-preamble/appendonlydir")) {
				orig[k] = true
			}
			for _, k := range got {
				if !orig[k] {
					t.Errorf("kept command %q is not in the original", k)
				}
			}
			s2, p2 := planFor(t, out, PlanOptions{})
			if s2.Damaged() || p2.Changes {
				t.Errorf("repaired set still damaged")
			}
		})
	}
}

// commandsOf decodes every command frame of the incr files independently.
func commandsOf(t *testing.T, dir string) []string {
	t.Helper()
	set, err := manifest.Resolve(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i := range set.Incrs {
		data, _ := os.ReadFile(set.Incrs[i].Path)
		src := newSource(bytes.NewReader(data), int64(len(data)))
		for q := int64(0); q < int64(len(data)); {
			f, ok := parseFrame(src, q, src.size)
			if !ok {
				q++
				continue
			}
			out = append(out, showFrame(f))
			q += f.size
		}
	}
	return out
}

func TestToTimestampMatchesCheckAOF(t *testing.T) {
	c := corpus(t)
	re := regexp.MustCompile(`--truncate-to-timestamp (\d+)`)
	for _, srv := range servers {
		t.Run(srv, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(c, srv, "verdicts.json"))
			if err != nil {
				t.Fatal(err)
			}
			m := re.FindSubmatch(raw)
			if m == nil {
				t.Skip("no truncate-to-timestamp verdict")
			}
			ts, _ := strconv.ParseInt(string(m[1]), 10, 64)
			s, p := planFor(t, filepath.Join(c, srv, "aof-timestamp/appendonlydir"), PlanOptions{ToTimestamp: ts, HasTimestamp: true})
			if p.Refused != "" || !p.Changes {
				t.Fatalf("plan: %+v", p)
			}
			sameDir(t, applyTo(t, s, p), filepath.Join(c, srv, "damaged/aof-timestamp-truncated-to-ts/appendonlydir"))
		})
	}
}

func TestDamagedRDBBaseRefused(t *testing.T) {
	c := corpus(t)
	_, p := planFor(t, filepath.Join(c, "redis-7.0.15/damaged/aof-base-rdb-truncated/appendonlydir"), PlanOptions{SkipCorrupt: true, DropAfter: true})
	if p.Refused == "" || p.RefusedOffset <= 0 {
		t.Fatalf("want refusal naming an offset, got %+v", p)
	}
}

func TestDropAfterNonLastFile(t *testing.T) {
	c := corpus(t)
	dir := filepath.Join(c, "redis-7.0.15/damaged/aof-base-aof-truncated/appendonlydir")
	_, p := planFor(t, dir, PlanOptions{})
	if p.Refused == "" {
		t.Fatal("damage in a non-last file must be refused without --drop-after")
	}
	s, p := planFor(t, dir, PlanOptions{DropAfter: true})
	if p.Refused != "" || !p.DataDropped || len(p.MoveToHistory) != 1 {
		t.Fatalf("plan: %+v", p)
	}
	out := applyTo(t, s, p)
	s2, p2 := planFor(t, out, PlanOptions{})
	if s2.Damaged() || p2.Changes {
		t.Errorf("repaired set still damaged: %+v", p2)
	}
}

// TestSkipCorruptBigValues repairs a file whose commands are larger than
// the planner's window: the plan and the copy stream through it.
func TestSkipCorruptBigValues(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("v"), 3*windowSize+17)
	set := func(k string) []byte {
		return []byte("*3\r\n$3\r\nSET\r\n$" + strconv.Itoa(len(k)) + "\r\n" + k + "\r\n$" + strconv.Itoa(len(big)) + "\r\n" + string(big) + "\r\n")
	}
	var in, want bytes.Buffer
	for _, k := range []string{"a", "b"} {
		in.Write(set(k))
		want.Write(set(k))
	}
	in.Write(set("lost")[:windowSize+5]) // torn command in the middle
	in.WriteString("garbage\r\n")
	in.Write(set("c"))
	want.Write(set("c"))
	path := filepath.Join(dir, "appendonly.aof")
	if err := os.WriteFile(path, in.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	s, p := planFor(t, path, PlanOptions{SkipCorrupt: true})
	if p.Refused != "" || !p.Changes || p.Files[0].Action != ActionRewrite || len(p.Files[0].Skips) != 1 {
		t.Fatalf("plan: %+v", p)
	}
	out := filepath.Join(t.TempDir(), "out")
	if _, err := Apply(s, p, ApplyOptions{OutputDir: out}); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(out, "appendonly.aof"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("repaired file: %d bytes, want %d", len(got), want.Len())
	}
}

// TestScanProgress: the progress callback ends at the total size of the set.
func TestScanProgress(t *testing.T) {
	dir := filepath.Join(corpus(t), "redis-7.0.15", "aof-nopreamble", "appendonlydir")
	set, err := manifest.Resolve(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	var total, last int64
	for _, f := range set.Files() {
		total += f.Size
	}
	if _, err := ScanSet(context.Background(), set, &ScanOptions{Progress: func(n int64) { last = n }}); err != nil {
		t.Fatal(err)
	}
	if total == 0 || last != total {
		t.Errorf("progress ended at %d, want %d", last, total)
	}
}
