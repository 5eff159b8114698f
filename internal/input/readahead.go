package input

import (
	"io"
	"sync"
)

// Read-ahead: how many buffers of how many bytes are read ahead of the
// reader (ReadAhead).
const (
	aheadBuffers = 4
	aheadSize    = 256 << 10
)

// ReadAhead makes R read on a goroutine of its own, up to aheadBuffers
// buffers of aheadSize bytes (1 MiB) ahead of the caller: the read system
// calls, and the decompression of a compressed input, then run beside the
// caller's work on another core. The bytes and errors R gives are the same,
// in the same order; a read error is handed out after the bytes read before
// it. Close stops the goroutine (waiting for a read it is in) before it
// closes the file. It is only for a regular file (Regular), whose reads
// end; it does nothing for other inputs, or when R is nil.
func (in *Input) ReadAhead() {
	if in.R == nil || !in.Regular {
		return
	}
	a := &aheadReader{full: make(chan aheadChunk, aheadBuffers), free: make(chan []byte, aheadBuffers),
		stop: make(chan struct{})}
	for range aheadBuffers {
		a.free <- make([]byte, aheadSize)
	}
	a.wg.Add(1)
	go a.run(in.R)
	in.R = a
	in.closers = append(in.closers, func() error { a.close(); return nil }) // closed first
}

// aheadReader hands out the chunks its goroutine (run) reads.
type aheadReader struct {
	full chan aheadChunk // read, in order
	free chan []byte     // buffers to read into
	stop chan struct{}   // closed by close
	wg   sync.WaitGroup
	cur  aheadChunk // being handed out: cur.b[off:]
	off  int
	err  error // the error handed out last: returned forever
	once sync.Once
}

// aheadChunk is one read: its bytes, and the error that ended it, if any.
type aheadChunk struct {
	b   []byte
	err error
}

func (a *aheadReader) run(r io.Reader) {
	defer a.wg.Done()
	for {
		var buf []byte
		select {
		case buf = <-a.free:
		case <-a.stop:
			return
		}
		n, err := r.Read(buf[:cap(buf)])
		select {
		case a.full <- aheadChunk{b: buf[:n], err: err}:
		case <-a.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (a *aheadReader) Read(p []byte) (int, error) {
	for a.off == len(a.cur.b) {
		if a.err != nil {
			return 0, a.err
		}
		if a.cur.err != nil {
			a.err = a.cur.err
			return 0, a.err
		}
		if a.cur.b != nil {
			a.free <- a.cur.b[:0]
		}
		a.cur, a.off = <-a.full, 0
	}
	n := copy(p, a.cur.b[a.off:])
	a.off += n
	return n, nil
}

// close stops the goroutine and waits until it has left the input's
// reader, so that the file and the decoders can be closed.
func (a *aheadReader) close() {
	a.once.Do(func() { close(a.stop) })
	a.wg.Wait()
}
