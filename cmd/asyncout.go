package cmd

import (
	"hash"
	"io"
	"sync"
)

// asyncOut buffers what is written to it and hands each full buffer to one
// goroutine, which feeds it to a hash and then writes it to dst. The hashing
// and the write system calls of an output thus run beside the conversion,
// on a second core when there is one. The bytes reach dst in the order they
// were written; memory is asyncBufs buffers of asyncBufSize bytes.
//
// The first error of dst is returned by the next Write and by Close; after
// it, nothing more is written to dst.
type asyncOut struct {
	dst  io.Writer
	sum  hash.Hash
	buf  []byte
	full chan []byte
	free chan []byte
	done chan struct{}

	mu  sync.Mutex
	err error
}

const (
	asyncBufSize = 256 << 10
	asyncBufs    = 4
)

func newAsyncOut(dst io.Writer, sum hash.Hash) *asyncOut {
	a := &asyncOut{dst: dst, sum: sum, buf: make([]byte, 0, asyncBufSize),
		full: make(chan []byte, asyncBufs), free: make(chan []byte, asyncBufs), done: make(chan struct{})}
	for i := 1; i < asyncBufs; i++ {
		a.free <- make([]byte, 0, asyncBufSize)
	}
	go a.run(a.full)
	return a
}

func (a *asyncOut) run(full <-chan []byte) {
	defer close(a.done)
	for b := range full {
		if a.error() == nil {
			a.sum.Write(b)
			if _, err := a.dst.Write(b); err != nil {
				a.mu.Lock()
				a.err = err
				a.mu.Unlock()
			}
		}
		a.free <- b[:0]
	}
}

func (a *asyncOut) error() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// Write copies p into the current buffer, handing it on whenever it fills.
func (a *asyncOut) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if err := a.error(); err != nil {
			return n, err
		}
		c := copy(a.buf[len(a.buf):cap(a.buf)], p)
		a.buf = a.buf[:len(a.buf)+c]
		p, n = p[c:], n+c
		if len(a.buf) == cap(a.buf) {
			a.full <- a.buf
			a.buf = <-a.free
		}
	}
	return n, nil
}

// Close hands on the last buffer, waits until every byte is hashed and
// written, and returns the first error of dst. It does not close dst.
func (a *asyncOut) Close() error {
	if a.full == nil {
		return a.error()
	}
	if len(a.buf) > 0 {
		a.full <- a.buf
		a.buf = nil
	}
	close(a.full)
	a.full = nil
	<-a.done
	return a.error()
}
