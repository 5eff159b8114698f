package rdbfile

import (
	"bytes"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// The budget of a Checker: what is in flight between the goroutine that
// reads and the ones that check, whatever the file's size.
const (
	// CheckMaxValues is the most records read ahead of the one handed out.
	CheckMaxValues = 256
	// CheckMaxBytes is the most value bytes held for the workers (bytes);
	// reading ahead pauses once they hold more.
	CheckMaxBytes = 1 << 20
	// CheckMaxValue is the largest value handed to a worker (bytes, also
	// the largest uncompressed LZF string in it); a bigger value is
	// checked by the reading goroutine, streamed as Entry.Skip does.
	CheckMaxValue = 256 << 10
)

// A Checker reads the records of a Reader and checks their values, as
// Entry.Skip does, on several goroutines: the calling goroutine reads each
// record and the framing of its value (lengths, the CRC-64 of every byte),
// and workers, each with buffers of its own, decompress its LZF strings and
// check its content (listpacks, ziplists, intsets, zipmaps, stream nodes,
// duplicate members). Records come back from Next in file order with their
// values consumed, and everything observable is what a single goroutine
// calling Reader.Next and Entry.Skip would see: the same entries, the same
// findings in the same order and with the same offsets, the same error at
// the same offset (ValueErr, then Next's error), the same Offset,
// Findings, FindingCount and Checksum after each record.
//
// Memory is bounded by the budget (CheckMaxValues records and
// CheckMaxBytes value bytes in flight, values up to CheckMaxValue each)
// plus what one Reader needs per worker, not by the file's size. Values
// whose framing depends on their content (hash templates), that have
// nothing to check beyond their framing (plain strings, modules, arrays,
// GCRA), that are bigger than CheckMaxValue, or whose framing fails are
// checked by the reading goroutine itself.
//
// While a Checker is in use, its Reader must not be used directly. Close
// stops the workers; call it when done, also after an error.
type Checker struct {
	r     *Reader
	work  chan *batch
	wg    sync.WaitGroup
	quit  atomic.Bool
	q     []*ticket // read, not yet handed out; q[qh] is next
	qh    int
	free  []*ticket
	open  *batch // tickets for the workers, not sent yet
	freeB []*batch
	// bigFree: buffers of batches that held a value bigger than
	// checkBatchBytes, at most 2 kept for the next ones
	bigFree [][]byte
	bytes   int  // value bytes of q waiting for or held by workers
	read    bool // the Reader returned its last record or error (queued)
	// the budget: CheckMaxValues, CheckMaxBytes, CheckMaxValue (tests
	// make it smaller)
	maxValues, maxBytes, maxValue int
	// values sent to workers, and values framed but then checked here
	// (too big, or their framing failed): for tests
	sent, refused int

	// streams are Streams to recycle (ticket.st); curSt is the one of
	// cur, recycled once the caller moves on
	streams []*Stream
	curSt   *Stream

	cur      Entry
	valErr   error
	off      int64
	err      error // sticky once handed out
	byWorker bool  // err came from a worker, inside a value
	closed   bool
}

// ticket is one record on its way from the reading goroutine, through a
// worker when its value was copied into raw, to Next.
type ticket struct {
	ent  Entry  // the record as Next hands it out
	key  []byte // storage of ent.Key
	raw  []byte // the value's bytes, from ent.ValueOffset
	size int64  // input size (Options.Size), for the length checks

	valErr error // what Skip returned
	hard   error // the worker lost the value's framing (a *CorruptError)
	err    error // the Reader's Next error: the last record (io.EOF, ...)
	end    int64 // offset after the record, or where reading stopped

	held              []Finding // findings made by the reading goroutine
	heldAll, heldErrs int
	vf                []Finding // findings made by the worker
	vAll, vErrs       int

	b  *batch  // the batch of a ticket for a worker
	st *Stream // for the worker to read a stream into (Reader.spare)
}

// batch is a few tickets sent to a worker together (checkBatch), so that
// waking a worker and waiting for it is paid once for all of them.
type batch struct {
	ts    []*ticket
	buf   []byte // the values of ts, one after the other (ticket.raw)
	big   []byte // or the one value of ts, bigger than buf
	left  int    // tickets of ts not yet handed out
	done  chan struct{}
	ready bool
}

// checkBatch is the most tickets, and value bytes, of one batch.
const checkBatch, checkBatchBytes = 32, 128 << 10

// checkStreams is the most Streams kept to recycle, each filled only from
// values of at most checkStreamBytes (so their slices stay small).
const checkStreams, checkStreamBytes = 64, 16 << 10

// NewChecker returns a Checker reading r with jobs workers (0 or less: one
// per CPU). r's header must have been read (Reader.Header) and no record
// yet, or only records whose values were consumed.
func NewChecker(r *Reader, jobs int) *Checker {
	if jobs < 1 {
		jobs = runtime.NumCPU()
	}
	c := &Checker{r: r, work: make(chan *batch, CheckMaxValues+1), off: r.Offset(),
		maxValues: CheckMaxValues, maxBytes: CheckMaxBytes, maxValue: CheckMaxValue}
	r.hold, r.ownStreams = true, true
	hdr := Header{Magic: r.hdr.Magic, Version: r.hdr.Version, Dialect: r.hdr.Dialect}
	for range jobs {
		c.wg.Add(1)
		sub := &Reader{hdr: hdr, opts: r.opts, headerDone: true, ownStreams: true}
		go func() {
			defer c.wg.Done()
			for b := range c.work {
				for _, t := range b.ts {
					if !c.quit.Load() {
						sub.check(t)
					}
				}
				b.done <- struct{}{}
			}
		}()
	}
	return c
}

// Close stops the workers and gives the Reader back. Records read ahead
// and not handed out are dropped.
func (c *Checker) Close() {
	if c.closed {
		return
	}
	c.closed = true
	c.quit.Store(true)
	close(c.work)
	c.wg.Wait()
	c.q, c.free = nil, nil
	r := c.r
	r.hold, r.ownStreams = false, false
	r.held, r.heldAll, r.heldErrs = nil, 0, 0
}

// Offset is Reader.Offset as of the last record handed out.
func (c *Checker) Offset() int64 { return c.off }

// Findings is Reader.Findings as of the last record handed out.
func (c *Checker) Findings() []Finding { return c.r.Findings() }

// FindingCount is Reader.FindingCount as of the last record handed out.
func (c *Checker) FindingCount() (all, errs int) { return c.r.FindingCount() }

// Checksum is Reader.Checksum: meaningful once Next returned io.EOF.
func (c *Checker) Checksum() ChecksumStatus {
	if c.err == nil || c.byWorker {
		return ChecksumStatus{}
	}
	return c.r.Checksum()
}

// Tail is Reader.Tail, for use after Next returned io.EOF.
func (c *Checker) Tail() io.Reader { return c.r.Tail() }

// ValueErr returns what Entry.Skip returned for the record Next returned
// last: nil, the value's first recoverable problem, or the
// *CorruptError that lost its framing (which Next then returns).
func (c *Checker) ValueErr() error { return c.valErr }

// Next returns the next record, its value consumed and checked (see
// ValueErr), or the error Reader.Next returns at that point (io.EOF at the
// end). The Entry is valid until the next call to Next; its value can no
// longer be read (Value, Walk and WalkPacked give ErrConsumed), but Size,
// Len, Count, LZFBytes, StreamMeta and Module are those Skip leaves.
func (c *Checker) Next() (*Entry, error) {
	c.valErr = nil
	if c.err != nil {
		return nil, c.err
	}
	for {
		if c.queued() > 0 {
			h := c.q[c.qh]
			ready := h.b == nil
			if !ready && h.b != c.open {
				if !h.b.ready {
					select {
					case <-h.b.done:
						h.b.ready = true
					default:
					}
				}
				ready = h.b.ready
			}
			if ready || c.read || c.queued() >= c.maxValues || c.bytes >= c.maxBytes {
				return c.handOut()
			}
		}
		if e := c.readOne(); e != nil {
			return e, nil
		}
	}
}

// queued is how many records wait to be handed out.
func (c *Checker) queued() int { return len(c.q) - c.qh }

// send hands the open batch to the workers.
func (c *Checker) send() {
	if b := c.open; b != nil {
		c.open = nil
		c.work <- b
	}
}

// handOut waits for the first record of the queue and hands it out,
// committing its findings to the Reader in file order.
func (c *Checker) handOut() (*Entry, error) {
	t := c.q[c.qh]
	c.q[c.qh] = nil
	if c.qh++; c.qh == len(c.q) {
		c.q, c.qh = c.q[:0], 0
	} else if c.qh >= 64 && 2*c.qh >= len(c.q) {
		n := copy(c.q, c.q[c.qh:])
		clear(c.q[n:])
		c.q, c.qh = c.q[:n], 0
	}
	if b := t.b; b != nil {
		if b == c.open {
			c.send()
		}
		if !b.ready {
			<-b.done
			b.ready = true
		}
		if b.left--; b.left == 0 {
			if b.big != nil && len(c.bigFree) < 2 {
				c.bigFree = append(c.bigFree, b.big[:0])
			}
			clear(b.ts)
			*b = batch{ts: b.ts[:0], buf: b.buf[:0], done: b.done}
			c.freeB = append(c.freeB, b)
		}
	}
	c.bytes -= len(t.raw)
	if c.curSt != nil {
		if len(c.streams) < checkStreams {
			c.streams = append(c.streams, c.curSt)
		}
		c.curSt = nil
	}
	if t.st != nil && t.ent.stream == t.st {
		c.curSt = t.st // valid as the entry's StreamMeta until the next Next
	}
	r := c.r
	r.commit(t.held, t.heldAll, t.heldErrs)
	r.commit(t.vf, t.vAll, t.vErrs)
	c.off = t.end
	if t.err != nil {
		c.err = t.err
		c.release(t)
		return nil, c.err
	}
	c.cur, c.valErr = t.ent, t.valErr
	if t.hard != nil {
		c.err, c.byWorker = t.hard, true
	}
	c.release(t)
	return &c.cur, nil
}

// commit adds findings made apart, in file order, as addFinding would
// have: all are counted, the first MaxFindings kept.
func (r *Reader) commit(f []Finding, all, errs int) {
	r.nFindings += all
	r.nErrors += errs
	for _, x := range f {
		if len(r.findings) >= r.opts.MaxFindings {
			break
		}
		r.findings = append(r.findings, x)
	}
}

// bigBuf returns an empty buffer for a value of n bytes, more than
// checkBatchBytes: from bigFree when one there is big enough.
func (c *Checker) bigBuf(n int) []byte {
	for i, b := range c.bigFree {
		if cap(b) >= n {
			c.bigFree = append(c.bigFree[:i], c.bigFree[i+1:]...)
			return b
		}
	}
	if len(c.bigFree) > 0 {
		c.bigFree = c.bigFree[1:] // the oldest goes
	}
	return make([]byte, 0, max(n, 2*checkBatchBytes))
}

func (c *Checker) ticket() *ticket {
	if n := len(c.free); n > 0 {
		t := c.free[n-1]
		c.free = c.free[:n-1]
		return t
	}
	return &ticket{}
}

func (c *Checker) release(t *ticket) {
	key := t.key[:0]
	if cap(key) > 16<<10 {
		key = nil
	}
	*t = ticket{key: key}
	c.free = append(c.free, t)
}

// readOne reads one record and queues it: checked already, or for a
// worker, or the Reader's last word. A record checked here while nothing
// is queued is handed out as it is, the Reader's own entry, and returned.
func (c *Checker) readOne() *Entry {
	r := c.r
	e, err := r.Next()
	if err != nil {
		t := c.ticket()
		t.err, t.end = err, r.Offset()
		c.take(t)
		c.q = append(c.q, t)
		c.read = true
		return nil
	}
	if e.Kind == EntryKey && e.frameable() {
		if raw, ok := e.frame(c.maxValue); ok {
			b := c.open
			if b != nil && len(b.buf)+len(raw) > cap(b.buf) && len(b.ts) > 0 {
				c.send() // full: raw starts the next batch
				b = nil
			}
			if b == nil {
				if n := len(c.freeB); n > 0 {
					b = c.freeB[n-1]
					c.freeB = c.freeB[:n-1]
				} else {
					b = &batch{done: make(chan struct{}, 1)}
				}
				if b.buf == nil {
					b.buf = make([]byte, 0, checkBatchBytes)
				}
				c.open = b
			}
			t := c.ticket()
			if len(raw) > cap(b.buf) {
				// alone in b (full batches were sent above)
				b.big = append(c.bigBuf(len(raw)), raw...)
				t.raw = b.big
			} else {
				at := len(b.buf)
				b.buf = append(b.buf, raw...)
				t.raw = b.buf[at:len(b.buf):len(b.buf)]
			}
			t.size = r.in.total
			if e.ValueKind == KindStream && len(raw) <= checkStreamBytes {
				if n := len(c.streams); n > 0 {
					t.st = c.streams[n-1]
					c.streams = c.streams[:n-1]
				} else {
					t.st = &Stream{}
				}
			}
			c.keep(t, e)
			// The key's LZF bytes (framing counts none of the value's):
			// the worker adds the value's to them (check).
			t.ent.lzfIn0, t.ent.lzfOut0 = e.LZFBytes()
			c.take(t)
			c.bytes += len(t.raw)
			c.q = append(c.q, t)
			c.sent++
			t.b = b
			b.ts = append(b.ts, t)
			b.left++
			if len(b.ts) >= checkBatch || len(b.buf) >= checkBatchBytes || b.big != nil {
				c.send()
			}
			return nil
		}
		c.refused++
	}
	valErr := e.Skip()
	if c.queued() == 0 {
		r.commit(r.held, r.heldAll, r.heldErrs)
		r.held, r.heldAll, r.heldErrs = nil, 0, 0
		c.off, c.valErr = r.Offset(), valErr
		return e
	}
	t := c.ticket()
	t.valErr = ownKey(valErr)
	c.keep(t, e)
	t.ent.lzfIn0, t.ent.lzfOut0 = e.LZFBytes()
	t.ent.lzfDone = true
	t.end = r.Offset()
	c.take(t)
	c.q = append(c.q, t)
	return nil
}

// keep copies the Reader's entry into t.
func (c *Checker) keep(t *ticket, e *Entry) {
	t.key = append(t.key, e.Key...)
	t.ent = *e
	switch {
	case e.Key == nil:
		t.ent.Key = nil // an opcode record
	case t.key == nil:
		t.ent.Key = []byte{} // an empty key is still a key: errors name it
	default:
		t.ent.Key = t.key
	}
	if e.KeyMeta != nil {
		t.ent.KeyMeta = append([]KeyMeta(nil), e.KeyMeta...)
	}
	t.ent.keyMeta = nil
}

// take moves the findings the Reader held for this record to t.
func (c *Checker) take(t *ticket) {
	r := c.r
	t.held, t.heldAll, t.heldErrs = r.held, r.heldAll, r.heldErrs
	r.held, r.heldAll, r.heldErrs = nil, 0, 0
}

// frameable reports whether a Checker hands this value to a worker: one
// whose framing does not depend on its content and that has content to
// check (an LZF string, a blob, members to deduplicate).
func (e *Entry) frameable() bool {
	switch e.Type {
	case TypeString:
		in := &e.r.in
		return in.r < in.w && in.buf[in.r] == 0xC3 // an LZF string (RDB_ENC_LZF)
	case TypeList, TypeSet, TypeZSet, TypeZSet2, TypeHash, TypeHashZipmap, TypeListZiplist,
		TypeSetIntset, TypeZSetZiplist, TypeHashZiplist, TypeListQuicklist, TypeListQuicklist2,
		TypeHashListpack, TypeZSetListpack, TypeSetListpack, TypeStreamListpacks,
		TypeStreamListpacks2, TypeStreamListpacks3, TypeStreamListpacks4, TypeStreamListpacks5,
		TypeHashMetadataPreGA, TypeHashLpExPreGA, TypeHashMetadata, TypeHashListpackEx:
		return true
	}
	return false
}

// frame reads the framing of e's value (walker.frame) and returns its
// bytes, which stay in the input buffer until the next read. When the
// framing fails, or the value is bigger than max, it puts the value back
// unread and returns false: the caller checks it with Skip, which reads
// the same bytes again and reports what a single pass reports.
func (e *Entry) frame(max int) ([]byte, bool) {
	r := e.r
	in := &r.in
	in.pin, in.frame, in.frameMax = in.r, true, max
	r.frame = true
	e.consumed, e.softErr, e.elems = true, nil, 0
	w := &r.walker
	w.r, w.e, w.fn, w.fnErr, w.want, w.frame = r, e, nil, nil, false, true
	err := w.value()
	w.e, w.frame = nil, false
	r.frame, in.frame = false, false
	start := in.pin
	in.pin = -1
	if err != nil {
		in.r = start // the CRC has not gone past start (input.flushCRC)
		e.consumed, e.softErr, e.elems, e.count = false, nil, 0, -1
		e.stream, e.arr, e.Module = nil, nil, nil
		return nil, false
	}
	return in.buf[start:in.r], true
}

// check runs on a worker: it checks t's value with Skip, over the bytes
// captured by frame, at the value's offset in the file, as if it were
// reading the file itself.
func (r *Reader) check(t *ticket) {
	r.in = input{buf: t.raw, w: len(t.raw), base: t.ent.ValueOffset, total: t.size, srcErr: io.EOF, pin: -1}
	r.err, r.findings, r.nFindings, r.nErrors = nil, nil, 0, 0
	r.lzfIn, r.lzfOut = t.ent.lzfIn0, t.ent.lzfOut0 // the key's (readOne)
	e := &r.entry
	r.db = t.ent.DB
	e.reset(r)
	e.Kind, e.Offset, e.Key, e.ValueOffset = t.ent.Kind, t.ent.Offset, t.ent.Key, t.ent.ValueOffset
	e.Type, e.TypeName, e.ValueKind, e.Encoding = t.ent.Type, t.ent.TypeName, t.ent.ValueKind, t.ent.Encoding
	r.cur = e
	r.spare = t.st
	t.valErr = ownKey(e.skip())
	r.spare = nil
	t.hard = r.err
	t.vf, t.vAll, t.vErrs = r.findings, r.nFindings, r.nErrors
	t.ent.Len, t.ent.MaxLen, t.ent.Size, t.ent.count = e.Len, e.MaxLen, e.Size, e.count
	t.ent.stream, t.ent.arr, t.ent.Module = e.stream, e.arr, e.Module
	t.ent.lzfIn0, t.ent.lzfOut0, t.ent.lzfDone = r.lzfIn, r.lzfOut, true
	t.end = r.in.offset()
	r.in.buf, r.cur = nil, nil
}

// ownKey gives a *CorruptError a copy of its key, which aliases an Entry
// that is reused before the error is handed out.
func ownKey(err error) error {
	if ce, ok := err.(*CorruptError); ok {
		ce.Key = bytes.Clone(ce.Key) // nil stays nil: no key
	}
	return err
}
