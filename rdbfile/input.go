package rdbfile

import (
	"encoding/binary"
	"errors"
	"io"
)

// input is the Reader's byte source: a growable buffer over an io.Reader that
// tracks the absolute offset of every byte and a running CRC-64 of every
// byte consumed while crcOn is set. Slices it returns alias the buffer and
// are valid until the next call that reads.
type input struct {
	src     io.Reader
	buf     []byte
	r, w    int   // buf[r:w] is unread
	base    int64 // absolute offset of buf[0]
	crc     uint64
	crcFrom int  // buf[crcFrom:r] is consumed but not yet in crc
	crcOn   bool // consumed bytes go into crc
	srcErr  error
	// capture: while capOn, consumed bytes are copied to capBuf
	// (buf[capFrom:r] is consumed but not yet copied), like the CRC.
	capOn   bool
	capFrom int
	capBuf  []byte
	total   int64 // total input size if known, else -1
	// pin, when >= 0, is a buffer index that compaction keeps: the start of
	// the current record, so that its raw bytes stay readable (Entry.WriteRaw).
	pin int
	// tee, when set, receives every consumed byte from teeFrom on
	// (buf[teeFrom:r] is consumed but not yet handed to it), in pieces as
	// large as the buffer allows (flushTee; flushCRC also flushes it).
	tee     func([]byte)
	teeFrom int
	// frame: a value is being framed (Entry.frame). Its bytes, from pin
	// on, stay in buf and out of the CRC (and of the tee) until it is
	// either handed on or read again from pin; fill refuses to hold more
	// than frameMax of them (errFrameTooBig). A tee is on only while
	// rawTo skips a value and framing happens only in Entry.frame, which
	// ends with pin at -1 (no raw copy after it): the two never overlap,
	// but flushTee stops at pin as flushCRC does all the same.
	frame    bool
	frameMax int
}

// errFrameTooBig stops the framing of a value too big for a Checker's
// budget; the value is then checked where it is, as Skip checks it.
var errFrameTooBig = errors.New("rdbfile: value over the check budget")

const (
	minBuf = 256 << 10
	maxBuf = 4 << 20 // buffer size we return to after a big value
)

func (in *input) init(src io.Reader, size int64) {
	in.src = src
	want := minBuf
	if size >= 0 && size < minBuf {
		want = int(size) + 16 // small known input: no need for a big buffer
	}
	if cap(in.buf) < want {
		in.buf = make([]byte, want)
	}
	in.buf = in.buf[:cap(in.buf)]
	in.r, in.w, in.base, in.crc, in.crcFrom, in.crcOn = 0, 0, 0, 0, 0, true
	in.srcErr = nil
	in.total = size
	in.pin, in.tee, in.teeFrom = -1, nil, 0
}

// offset is the absolute offset of the next unread byte.
func (in *input) offset() int64 { return in.base + int64(in.r) }

// remaining returns how many unread bytes are known to exist, or -1.
func (in *input) remaining() int64 {
	if in.total < 0 {
		return -1
	}
	return in.total - in.offset()
}

// flushCRC folds consumed bytes into the CRC.
func (in *input) flushCRC() {
	end := in.consumedEnd()
	if end > in.crcFrom {
		if in.crcOn {
			in.crc = crc64Update(in.crc, in.buf[in.crcFrom:end])
		}
	}
	in.crcFrom = end
	in.flushTee()
}

// consumedEnd is the end of the consumed bytes that may be folded into
// the CRC and handed to the tee: r, or pin while a value is framed.
func (in *input) consumedEnd() int {
	if in.frame && in.pin < in.r {
		return in.pin
	}
	return in.r
}

// flushTee hands consumed bytes to the tee.
func (in *input) flushTee() {
	end := in.consumedEnd()
	if in.tee != nil && end > in.teeFrom {
		in.tee(in.buf[in.teeFrom:end])
	}
	in.teeFrom = end
}

// startCapture starts copying every byte consumed from now on.
func (in *input) startCapture() {
	in.capOn, in.capFrom, in.capBuf = true, in.r, nil
}

// flushCapture copies consumed bytes to capBuf.
func (in *input) flushCapture() {
	if in.capOn && in.r > in.capFrom {
		in.capBuf = append(in.capBuf, in.buf[in.capFrom:in.r]...)
	}
	in.capFrom = in.r
}

// stopCapture ends a capture and returns the bytes consumed since
// startCapture (owned by the caller).
func (in *input) stopCapture() []byte {
	in.flushCapture()
	b := in.capBuf
	in.capOn, in.capBuf = false, nil
	return b
}

// setCRC turns CRC accumulation on or off at the current position.
func (in *input) setCRC(on bool) {
	in.flushCRC()
	in.crcOn = on
}

// checksum returns the CRC of every byte consumed so far with CRC on.
func (in *input) checksum() uint64 {
	in.flushCRC()
	return in.crc
}

// maxEmptyReads is how many reads in a row may return no bytes and no
// error before fill gives up with io.ErrNoProgress (as bufio.Reader does).
const maxEmptyReads = 100

// fill makes at least n bytes available in buf[r:w], reading from src. It
// grows the buffer only as real data arrives, so a corrupt length never
// causes an allocation much larger than the input itself. It returns
// io.ErrUnexpectedEOF if the input ends first, and io.ErrNoProgress if src
// keeps returning no bytes and no error.
func (in *input) fill(n int) error {
	if in.w-in.r >= n {
		return nil
	}
	if in.frame && in.r+n-in.pin > in.frameMax {
		return errFrameTooBig
	}
	empty := 0
	for in.w-in.r < n {
		if in.srcErr != nil {
			if in.srcErr == io.EOF {
				return io.ErrUnexpectedEOF
			}
			return in.srcErr
		}
		// Compact: move unread bytes (and a pinned record start) to the front.
		keep := in.r
		if in.pin >= 0 && in.pin < keep {
			keep = in.pin
		}
		if keep > 0 && (in.w == len(in.buf) || n > len(in.buf)-in.r) {
			in.flushCRC()
			in.flushCapture()
			copy(in.buf, in.buf[keep:in.w])
			in.base += int64(keep)
			in.w -= keep
			in.crcFrom -= keep
			in.teeFrom -= keep
			in.capFrom -= keep
			in.r -= keep
			if in.pin >= 0 {
				in.pin -= keep
			}
		}
		if in.w == len(in.buf) {
			// Buffer full of unread data and still not enough: grow, at most doubling.
			nb := make([]byte, min(max(2*len(in.buf), 4096), max(n, len(in.buf))+len(in.buf)))
			copy(nb, in.buf[:in.w])
			in.buf = nb
		}
		m, err := in.src.Read(in.buf[in.w:])
		if m < 0 || m > len(in.buf)-in.w {
			in.srcErr = errors.New("rdbfile: invalid Read count from the underlying reader")
			continue
		}
		in.w += m
		switch {
		case err != nil:
			in.srcErr = err
		case m > 0:
			empty = 0
		default:
			if empty++; empty >= maxEmptyReads {
				in.srcErr = io.ErrNoProgress
			}
		}
	}
	return nil
}

// shrink returns an oversized buffer to maxBuf once it is mostly unused.
func (in *input) shrink() {
	if len(in.buf) > maxBuf && in.pin < 0 && in.w-in.r < maxBuf/2 {
		in.flushCRC()
		in.flushCapture()
		nb := make([]byte, maxBuf)
		copy(nb, in.buf[in.r:in.w])
		in.base += int64(in.r)
		in.w -= in.r
		in.crcFrom -= in.r
		in.teeFrom -= in.r
		in.capFrom -= in.r
		in.r = 0
		in.buf = nb
	}
}

// peek returns the next n bytes without consuming them.
func (in *input) peek(n int) ([]byte, error) {
	if err := in.fill(n); err != nil {
		return in.buf[in.r:in.w], err
	}
	return in.buf[in.r : in.r+n], nil
}

// next consumes and returns the next n bytes.
func (in *input) next(n int) ([]byte, error) {
	if in.w-in.r < n {
		if err := in.fill(n); err != nil {
			return nil, err
		}
	}
	b := in.buf[in.r : in.r+n]
	in.r += n
	return b, nil
}

func (in *input) byte() (byte, error) {
	if in.r < in.w {
		c := in.buf[in.r]
		in.r++
		return c, nil
	}
	if err := in.fill(1); err != nil {
		return 0, err
	}
	c := in.buf[in.r]
	in.r++
	return c, nil
}

func (in *input) u64le() (uint64, error) {
	b, err := in.next(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// discard consumes n bytes without keeping them in memory at once.
func (in *input) discard(n int64) error {
	for n > 0 {
		if in.r == in.w {
			if err := in.fill(1); err != nil {
				return err
			}
		}
		k := int64(in.w - in.r)
		if k > n {
			k = n
		}
		in.r += int(k)
		n -= k
	}
	return nil
}

// tail returns the unread buffered bytes followed by the rest of src.
func (in *input) tail() io.Reader {
	rest := append([]byte(nil), in.buf[in.r:in.w]...)
	in.r = in.w
	if in.srcErr != nil {
		if in.srcErr == io.EOF {
			return &byteReader{b: rest}
		}
		return io.MultiReader(&byteReader{b: rest}, errReader{in.srcErr})
	}
	return io.MultiReader(&byteReader{b: rest}, in.src)
}

type byteReader struct{ b []byte }

func (b *byteReader) Read(p []byte) (int, error) {
	if len(b.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, b.b)
	b.b = b.b[n:]
	return n, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
