package rdbfile

import (
	"errors"
	"io"
	"os"
	"testing"
	"time"
)

// stallReader returns its bytes, then zero bytes and no error forever (a
// broken io.Reader, which io.Reader's contract discourages but allows).
type stallReader struct {
	b     []byte
	calls int
}

func (s *stallReader) Read(p []byte) (int, error) {
	s.calls++
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// TestNoProgressReader: a source that stops returning bytes without an error
// ends the read with io.ErrNoProgress instead of spinning forever.
func TestNoProgressReader(t *testing.T) {
	data, err := os.ReadFile("../testdata/redis-7.4.1-dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{0, 3, 9, len(data) / 2, len(data) - 1} {
		src := &stallReader{b: data[:cut]}
		done := make(chan error, 1)
		go func() {
			r := NewReader(src, nil)
			if _, err := r.Header(); err != nil {
				done <- err
				return
			}
			for {
				e, err := r.Next()
				if err != nil {
					done <- err
					return
				}
				if err := e.Skip(); err != nil {
					done <- err
					return
				}
			}
		}()
		select {
		case err := <-done:
			if !errors.Is(err, io.ErrNoProgress) {
				t.Errorf("cut at %d: %v, want io.ErrNoProgress", cut, err)
			}
			if src.calls > 1000 {
				t.Errorf("cut at %d: %d reads before giving up", cut, src.calls)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("cut at %d: the reader spins on (0, nil) reads", cut)
		}
	}
}

// hiccupReader returns (0, nil) a few times before each chunk of data: a
// slow but working source, which must read like a plain one.
type hiccupReader struct {
	b    []byte
	wait int
}

func (h *hiccupReader) Read(p []byte) (int, error) {
	if len(h.b) == 0 {
		return 0, io.EOF
	}
	if h.wait < maxEmptyReads-1 {
		h.wait++
		return 0, nil
	}
	h.wait = 0
	n := copy(p[:min(len(p), 4096)], h.b)
	h.b = h.b[n:]
	return n, nil
}

func TestEmptyReadsBelowTheLimit(t *testing.T) {
	data, err := os.ReadFile("../testdata/redis-7.4.1-dump.rdb")
	if err != nil {
		t.Fatal(err)
	}
	r := NewReader(&hiccupReader{b: data}, nil)
	if _, err := r.Header(); err != nil {
		t.Fatal(err)
	}
	keys := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("after %d keys: %v", keys, err)
		}
		if err := e.Skip(); err != nil {
			t.Fatal(err)
		}
		keys++
	}
	if keys == 0 {
		t.Fatal("no records read")
	}
}
