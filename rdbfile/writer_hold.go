package rdbfile

import (
	"errors"
	"io"
)

// Holding output: a record whose fate is known only once it was read (a
// size filter on the source record, whose size is known after its value)
// is written while its output is held back, then kept or taken back.

// HoldState is what a hold's decide function answers as output arrives.
type HoldState uint8

const (
	// HoldUndecided keeps holding the output in memory.
	HoldUndecided HoldState = iota
	// HoldKeep writes what was held and lets the rest of the record through.
	HoldKeep
	// HoldDrop stops holding: the rest of the record is discarded as it comes.
	HoldDrop
)

// errHoldOpen is returned by Hold while a hold is open, and by Release
// without one.
var errHoldOpen = errors.New("rdbfile: Hold and Release must alternate")

// errHoldKept is returned by Release(false) once decide answered HoldKeep.
var errHoldKept = errors.New("rdbfile: held output was already let through: it cannot be taken back")

// holdSink replaces the Writer's output during a hold.
type holdSink struct {
	dst     io.Writer
	decide  func() HoldState
	state   HoldState
	held    []byte
	crc     uint64 // the Writer's CRC and count when the hold began
	written int64
}

func (h *holdSink) Write(p []byte) (int, error) {
	if h.state == HoldUndecided {
		h.state = h.decide()
	}
	switch h.state {
	case HoldDrop:
		h.held = nil
		return len(p), nil
	case HoldKeep:
		if len(h.held) > 0 {
			if err := h.flushHeld(); err != nil {
				return 0, err
			}
		}
		return h.dst.Write(p)
	}
	h.held = append(h.held, p...)
	return len(p), nil
}

func (h *holdSink) flushHeld() error {
	n, err := h.dst.Write(h.held)
	if err == nil && n < len(h.held) {
		err = io.ErrShortWrite
	}
	h.held = h.held[:0]
	return err
}

// Hold holds back the output from here on, from the next record to
// Release. decide is called as output arrives, until it answers other
// than HoldUndecided: HoldKeep lets the held bytes and the rest through,
// HoldDrop discards them and the rest. Memory: the output held before the
// decision. Records written before Hold are handed to the output first.
func (w *Writer) Hold(decide func() HoldState) error {
	if err := w.begin(); err != nil {
		return err
	}
	if _, ok := w.out.(*holdSink); ok {
		return errHoldOpen
	}
	if err := w.flush(true); err != nil {
		return err
	}
	w.out = &holdSink{dst: w.out, decide: decide, crc: w.crc, written: w.written}
	return nil
}

// Release ends a hold. With keep, what was held is written; without, the
// output since Hold is taken back as if never written (the CRC-64 and
// Offset too), which fails once decide answered HoldKeep.
func (w *Writer) Release(keep bool) error {
	h, ok := w.out.(*holdSink)
	if !ok {
		return errHoldOpen
	}
	if w.open != nil {
		return errValueOpen
	}
	if keep {
		if w.err == nil {
			w.flush(true)
		}
		w.out = h.dst
		if h.state != HoldDrop && len(h.held) > 0 && w.err == nil {
			if err := h.flushHeld(); err != nil {
				w.err = err
			}
		}
		if h.state == HoldDrop && w.err == nil {
			w.err = errors.New("rdbfile: held output was dropped: it cannot be kept")
		}
		return w.err
	}
	w.out = h.dst
	if h.state == HoldKeep {
		if w.err == nil {
			w.err = errHoldKept
		}
		return w.err
	}
	w.buf = w.buf[:0]
	w.crc, w.written = h.crc, h.written
	return w.err
}
