package rdbfile_test

import (
	"errors"
	"io"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// stuckReader hands out data, then returns 0, nil forever.
type stuckReader struct {
	data  []byte
	calls int
}

func (s *stuckReader) Read(p []byte) (int, error) {
	s.calls++
	n := copy(p, s.data)
	s.data = s.data[n:]
	return n, nil
}

// TestNoProgress: a source that keeps returning 0, nil must not make the
// Reader spin: it gives up with io.ErrNoProgress, as bufio and aoffile do.
func TestNoProgress(t *testing.T) {
	for _, data := range []string{"", "REDIS00", "REDIS0009\xfe\x00\x00\x01k"} {
		src := &stuckReader{data: []byte(data)}
		done := make(chan error, 1)
		go func() {
			r := rdbfile.NewReader(src, nil)
			if _, err := r.Header(); err != nil {
				done <- err
				return
			}
			for {
				if _, err := r.Next(); err != nil {
					done <- err
					return
				}
			}
		}()
		select {
		case err := <-done:
			if !errors.Is(err, io.ErrNoProgress) {
				t.Errorf("%q: %v, want io.ErrNoProgress", data, err)
			}
			if src.calls > 1000 {
				t.Errorf("%q: %d reads before giving up", data, src.calls)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%q: the reader spins on a source returning 0, nil", data)
		}
	}
}
