package rdbfile_test

import (
	"errors"
	"io"
	"os"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// TestValueTwice: reading a value a second time is the caller's mistake. It
// gives the plain ErrConsumed, never a *CorruptError (which callers report
// as "file corrupt"), and leaves no finding behind; the next records read
// as usual.
func TestValueTwice(t *testing.T) {
	f, err := os.Open("../testdata/rdb/redis-7.0.15-dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rdbfile.NewReader(f, nil)
	keys := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != rdbfile.EntryKey {
			continue
		}
		keys++
		first := func() error { _, err := e.Value(); return err }
		if keys%2 == 0 {
			first = e.Skip
		}
		if err := first(); err != nil {
			t.Fatalf("key %q: first read: %v", e.Key, err)
		}
		for name, again := range map[string]func() error{
			"Value":      func() error { _, err := e.Value(); return err },
			"Walk":       func() error { return e.Walk(func(*rdbfile.Element) error { return nil }) },
			"WalkPacked": func() error { return e.WalkPacked(func(*rdbfile.Element) error { return nil }) },
		} {
			err := again()
			if !errors.Is(err, rdbfile.ErrConsumed) {
				t.Fatalf("key %q: second %s: %v, want ErrConsumed", e.Key, name, err)
			}
			var ce *rdbfile.CorruptError
			if errors.As(err, &ce) {
				t.Fatalf("key %q: second %s gives a CorruptError: %v", e.Key, name, err)
			}
		}
		if err := e.Skip(); err != nil {
			t.Fatalf("key %q: Skip after Value: %v", e.Key, err)
		}
	}
	if keys == 0 {
		t.Fatal("no keys read")
	}
	if all, _ := r.FindingCount(); all != 0 {
		t.Errorf("%d findings after reading values twice: %v", all, r.Findings())
	}
}
