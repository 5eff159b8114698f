// Package ctxio is rdbkit's one context-aware reader: every input, whether an
// RDB file, an AOF part or standard input, is read through NewReader, which
// stops once the context is done and adds the bytes read to a Counter that
// feeds the progress bar.
//
// A Read that blocks in the kernel (a pipe or FIFO whose writer is idle,
// standard input on a pipe) is interrupted too, so SIGINT and SIGTERM end
// such a read at once: a pollable *os.File gets a read deadline in the past,
// and a file the runtime cannot poll is read in a goroutine that Read stops
// waiting for. Regular files never block indefinitely and are read directly.
//
// The package imports only the standard library, so the library packages
// (repair, replay) may use it.
package ctxio

import (
	"context"
	"errors"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// A Counter adds up the bytes read through the Readers that share it: one
// file, or every file of an AOF set in turn. It is safe for concurrent use;
// the progress function is called by the goroutine that reads.
type Counter struct {
	n        atomic.Int64
	progress atomic.Pointer[func(int64)]
}

// NewCounter returns a Counter reporting every new total (bytes) to
// progress, which may be nil.
func NewCounter(progress func(total int64)) *Counter {
	c := &Counter{}
	c.SetProgress(progress)
	return c
}

// N returns the bytes counted so far.
func (c *Counter) N() int64 { return c.n.Load() }

// SetProgress sets (or, with nil, removes) the function told about every
// new total. It may be called while another goroutine reads.
func (c *Counter) SetProgress(progress func(total int64)) {
	if progress == nil {
		c.progress.Store(nil)
		return
	}
	c.progress.Store(&progress)
}

func (c *Counter) add(n int) {
	if c == nil || n <= 0 {
		return
	}
	total := c.n.Add(int64(n))
	if p := c.progress.Load(); p != nil {
		(*p)(total)
	}
}

// NewReader returns a reader of r that returns ctx.Err() once ctx is done,
// and counts the bytes it returns into c (nil: not counted).
//
// When r is an *os.File that is not a regular file (a pipe, a FIFO, a
// terminal), a Read blocked waiting for data also returns ctx.Err() as soon
// as ctx is done. For a file that cannot be polled the blocked read(2) then
// stays pending in a goroutine until data arrives or the process exits; its
// bytes are not returned. Other readers are only checked between reads.
func NewReader(ctx context.Context, r io.Reader, c *Counter) io.Reader {
	f, ok := r.(*os.File)
	if !ok {
		return &reader{ctx: ctx, r: r, c: c}
	}
	if st, err := f.Stat(); err == nil && (st.Mode().IsRegular() || st.IsDir()) {
		return &reader{ctx: ctx, r: r, c: c}
	}
	if ctx.Done() == nil {
		return &reader{ctx: ctx, r: r, c: c} // never cancelled
	}
	if f.SetReadDeadline(time.Time{}) == nil {
		// Polled by the runtime: a deadline in the past wakes a blocked Read.
		context.AfterFunc(ctx, func() { _ = f.SetReadDeadline(time.Unix(1, 0)) })
		return &reader{ctx: ctx, r: r, c: c, deadline: true}
	}
	return &bgReader{ctx: ctx, r: r, c: c}
}

// reader checks ctx before every Read.
type reader struct {
	ctx      context.Context
	r        io.Reader
	c        *Counter
	deadline bool // r is an *os.File whose blocked Read a deadline wakes
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := r.r.Read(p)
	r.c.add(n)
	if r.deadline && err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		if cerr := r.ctx.Err(); cerr != nil {
			err = cerr
		}
	}
	return n, err
}

type result struct {
	n   int
	err error
}

// bgReader reads in a goroutine and stops waiting for it when ctx is done.
type bgReader struct {
	ctx context.Context
	r   io.Reader
	c   *Counter
	buf []byte
	res chan result
}

func (b *bgReader) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if cap(b.buf) < len(p) {
		b.buf = make([]byte, len(p))
	}
	if b.res == nil {
		b.res = make(chan result, 1)
	}
	buf := b.buf[:len(p)]
	go func() {
		n, err := b.r.Read(buf)
		b.res <- result{n, err}
	}()
	select {
	case res := <-b.res:
		n := copy(p, buf[:res.n])
		b.c.add(n)
		return n, res.err
	case <-b.ctx.Done():
		// The goroutine keeps buf; later Reads return ctx.Err() above and
		// never touch it again.
		return 0, b.ctx.Err()
	}
}
