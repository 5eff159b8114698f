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

// pieceReader returns its bytes at most n at a time.
type pieceReader struct {
	b []byte
	n int
}

func (c *pieceReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.b)
	c.b = c.b[k:]
	return k, nil
}

// TestInputTeeWhileFraming: bytes consumed while a value is framed reach
// neither the CRC nor the tee until the framing ends, whether the framed
// bytes are then kept or read again from pin; the tee gets every byte of
// the input once, in order.
func TestInputTeeWhileFraming(t *testing.T) {
	data := make([]byte, 3*minBuf+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>9)
	}
	for _, reread := range []bool{false, true} {
		var in input
		in.init(&pieceReader{b: data, n: 4093}, -1)
		var got []byte
		in.tee, in.teeFrom = func(p []byte) { got = append(got, p...) }, in.r
		step := func(n int) {
			t.Helper()
			if _, err := in.next(n); err != nil {
				t.Fatal(err)
			}
		}
		for range 300 {
			step(1001)
		}
		pinAt := in.offset()
		in.pin, in.frame, in.frameMax = in.r, true, len(data)
		for range 300 { // past the end of the first buffer
			step(997)
			in.flushCRC()
		}
		if int64(len(got)) != pinAt || string(got) != string(data[:pinAt]) {
			t.Fatalf("reread=%v: tee has %d bytes while framing from %d", reread, len(got), pinAt)
		}
		if c := in.checksum(); c != crc64Update(0, data[:pinAt]) {
			t.Fatalf("reread=%v: CRC went past the framed value's start", reread)
		}
		start := in.pin
		in.frame, in.pin = false, -1
		if reread {
			in.r = start
		}
		if err := in.discard(int64(len(data)) - in.offset()); err != nil {
			t.Fatal(err)
		}
		if c := in.checksum(); c != crc64Update(0, data) {
			t.Fatalf("reread=%v: CRC of the whole input differs", reread)
		}
		if string(got) != string(data) {
			t.Fatalf("reread=%v: tee got %d bytes, want the input's %d once", reread, len(got), len(data))
		}
	}
}
