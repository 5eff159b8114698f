package ctxio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestCounterAcrossReaders(t *testing.T) {
	var last int64
	c := NewCounter(func(n int64) { last = n })
	for _, s := range []string{"hello", strings.Repeat("x", 100000)} {
		if _, err := io.Copy(io.Discard, NewReader(context.Background(), strings.NewReader(s), c)); err != nil {
			t.Fatal(err)
		}
	}
	if c.N() != 100005 || last != 100005 {
		t.Errorf("counted %d, progress %d, want 100005", c.N(), last)
	}
	c.SetProgress(nil)
	io.Copy(io.Discard, NewReader(context.Background(), strings.NewReader("abc"), c))
	if c.N() != 100008 || last != 100005 {
		t.Errorf("after SetProgress(nil): counted %d, progress %d", c.N(), last)
	}
	// A nil Counter counts nothing and does not fail.
	if _, err := io.Copy(io.Discard, NewReader(context.Background(), strings.NewReader("abc"), nil)); err != nil {
		t.Fatal(err)
	}
}

func TestStopsWhenDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r := NewReader(ctx, bytes.NewReader(make([]byte, 1000)), nil)
	var b [10]byte
	if n, err := r.Read(b[:]); n != 10 || err != nil {
		t.Fatalf("Read: %d %v", n, err)
	}
	cancel()
	if n, err := r.Read(b[:]); n != 0 || !errors.Is(err, context.Canceled) {
		t.Fatalf("Read after cancel: %d %v", n, err)
	}
}

// TestBlockedReadEnds: a Read waiting on a pipe with an idle writer returns
// ctx.Err() once ctx is done, whether the runtime polls the pipe
// (os.Pipe) or not (a blocking descriptor, as standard input usually is).
func TestBlockedReadEnds(t *testing.T) {
	polled := func() (*os.File, *os.File) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		return r, w
	}
	blocking := func() (*os.File, *os.File) {
		var fds [2]int
		if err := syscall.Pipe(fds[:]); err != nil {
			t.Fatal(err)
		}
		return os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")
	}
	for name, mk := range map[string]func() (*os.File, *os.File){"polled": polled, "blocking": blocking} {
		r, w := mk()
		w.Write([]byte("abc"))
		ctx, cancel := context.WithCancel(context.Background())
		c := NewCounter(nil)
		rd := NewReader(ctx, r, c)
		var b [10]byte
		if n, err := rd.Read(b[:]); n != 3 || err != nil {
			t.Fatalf("%s: first Read %d %v", name, n, err)
		}
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		n, err := rd.Read(b[:])
		if n != 0 || !errors.Is(err, context.Canceled) {
			t.Errorf("%s: blocked Read: %d %v, want context.Canceled", name, n, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: blocked Read returned after %v", name, d)
		}
		if c.N() != 3 {
			t.Errorf("%s: counted %d", name, c.N())
		}
		w.Close()
		r.Close()
	}
}
