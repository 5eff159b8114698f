package atomicfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// names lists what dir holds.
func names(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestWrite: the new content replaces the old one whole, with mode 0644;
// a write that fails keeps the old file and leaves no temporary file.
func TestWrite(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	if err := os.WriteFile(p, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("boom")
	err := Write(p, func(w io.Writer) error {
		w.Write([]byte("half of the new"))
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Write: %v, want %v", err, boom)
	}
	if b, _ := os.ReadFile(p); string(b) != "old" {
		t.Fatalf("after a failed write the file holds %q", b)
	}
	if err := Write(p, func(w io.Writer) error { _, err := w.Write([]byte("new")); return err }); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(p)
	st, _ := os.Stat(p)
	if string(b) != "new" || st.Mode().Perm() != 0o644 {
		t.Fatalf("file %q, mode %v", b, st.Mode().Perm())
	}
	if got := names(t, dir); len(got) != 1 {
		t.Fatalf("left in the directory: %v", got)
	}
}

// TestCreateAbortCommit: the temporary file carries TempPrefix, Abort
// removes it (twice is harmless), Commit renames it and a later Abort does
// not remove the result.
func TestCreateAbortCommit(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "out.rdb")
	f, err := Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(f.Name()) != dir || filepath.Base(f.Name())[:len(TempPrefix)] != TempPrefix {
		t.Fatalf("temporary file %s", f.Name())
	}
	f.Abort()
	f.Abort()
	if got := names(t, dir); len(got) != 0 {
		t.Fatalf("left after Abort: %v", got)
	}
	f, err = Create(p)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("data"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort()
	if err := f.Commit(); err == nil {
		t.Fatal("a second Commit succeeded")
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "data" {
		t.Fatalf("after Commit: %q, %v", b, err)
	}
	if got := names(t, dir); len(got) != 1 {
		t.Fatalf("left in the directory: %v", got)
	}
}
