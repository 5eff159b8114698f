package rdbfile

import (
	"errors"
	"io"
)

// errRawGone is returned by WriteRaw when the record's bytes are no longer
// available: its value was already read (Value, Walk, Skip) or Next was
// called since.
var errRawGone = errors.New("rdbfile: raw bytes of the record are gone (call WriteRaw before reading its value)")

// WriteRaw writes the record's bytes exactly as they are in the file, from
// its first byte (the first prefix opcode of a key) to the end of its value,
// and returns how many bytes it wrote. It is the raw path of archive/zip's
// OpenRaw: a key's value is not decoded, only checked as Skip checks it,
// and it streams through the Reader's buffer, so memory stays bounded by
// the Reader's buffer whatever the value's size. Call it right after Next,
// before Value, Walk or Skip; it consumes the value. A value found corrupt
// is reported as Skip reports it, after its bytes were written.
func (e *Entry) WriteRaw(dst io.Writer) (int64, error) {
	var total int64
	var werr error
	err := e.rawTo(func(p []byte) {
		if werr != nil {
			return
		}
		n, err := dst.Write(p)
		total += int64(n)
		werr = err
	})
	if err == errRawGone {
		return 0, err
	}
	if werr != nil {
		return total, werr
	}
	return total, err
}

// rawTo hands the record's bytes to emit in order, in pieces that are
// only valid during the call (WriteRaw's contract otherwise).
func (e *Entry) rawTo(emit func([]byte)) error {
	r := e.r
	if r == nil || e != &r.entry {
		return errRawGone
	}
	in := &r.in
	start := e.Offset - in.base
	if in.pin < 0 || start < int64(in.pin) || start < 0 {
		return errRawGone
	}
	if e.Kind != EntryKey || e.consumed {
		// Opcode records are read whole by Next and still pinned.
		if e.consumed && e.Kind == EntryKey {
			return errRawGone
		}
		emit(in.buf[start : start+e.Size])
		return nil
	}
	emit(in.buf[start : e.ValueOffset-in.base])
	in.tee, in.teeFrom = emit, in.r // the header went out above: the tee starts at the value
	err := e.skip()
	in.flushTee()
	in.tee = nil
	return err
}

// CopyEntry writes e, the record the Reader just returned, byte for byte
// (Entry.WriteRaw) when the target reads it with the same meaning: a key
// whose type id means the same type in the target's dialect and version
// (and whose IDLE/FREQ/KEY_META prefixes the target has), an AUX, SELECTDB,
// RESIZEDB, FUNCTION2, MODULE_AUX, SLOT_INFO, SLOT_IMPORT or HASH_TEMPLATE
// record that the target has. Anything else is refused with an
// *UnsupportedError before a byte is written; re-encode such keys with
// WriteKey instead. It must be called before e's value is read.
func (w *Writer) CopyEntry(e *Entry) error {
	if err := w.begin(); err != nil {
		return err
	}
	if err := w.rawOK(e); err != nil {
		return err
	}
	if e.Kind == EntrySelectDB {
		w.db = e.DB
	}
	// The bytes go through the Writer's buffer (large writes, the CRC
	// computed per buffer), not to out piece by piece.
	if w.rawFn == nil {
		w.rawFn = w.raw
	}
	mark, flushed := len(w.buf), w.written
	if r := e.r; r.lzfKeep {
		// A record copied byte for byte needs none of its strings kept
		// for ReuseLZF (lzfreuse.go).
		saw := r.lzfSaw
		r.lzfKeep, r.lzfSaw = false, false
		defer func() { r.lzfKeep, r.lzfSaw = true, saw }()
	}
	err := e.rawTo(w.rawFn)
	if w.err != nil {
		return w.err
	}
	if err != nil && err != errRawGone {
		if w.written == flushed {
			// None of the record's bytes left the buffer: the file can go
			// on without it.
			w.buf = w.buf[:mark]
		} else {
			// Part of the record went out: the file cannot go on.
			w.err = err
		}
		return err
	}
	if err != nil {
		return err
	}
	return w.flush(false)
}

// CanCopy reports whether CopyEntry would copy e: nil, or the
// *UnsupportedError it would return. It writes nothing.
func (w *Writer) CanCopy(e *Entry) error { return w.rawOK(e) }

// rawOK refuses a record that the target would not read as the source did.
func (w *Writer) rawOK(e *Entry) error {
	if e.r == nil {
		return w.unsupported("entry not from a Reader", nil)
	}
	sd, sv := e.r.hdr.Dialect, e.r.hdr.Version
	switch e.Kind {
	case EntryKey:
		src, ok1 := lookupType(sd, sv, byte(e.Type))
		dst, ok2 := lookupType(w.d, w.v, byte(e.Type))
		if !ok1 || !ok2 || src.name != dst.name {
			return w.unsupported("type "+e.TypeName+" (raw copy)", e.Key)
		}
		if (e.Idle >= 0 || e.Freq >= 0) && w.d == DialectRedis && w.v < 9 {
			return w.unsupported("LRU/LFU data (opcodes IDLE, FREQ)", e.Key)
		}
		if e.KeyMeta != nil && !(w.d == DialectRedis && w.v >= 13) {
			return w.unsupported("key metadata (opcode KEY_META)", e.Key)
		}
		if e.ExpireAt != NoExpire && w.d == DialectRedis && w.v < 3 && sv >= 3 {
			return w.unsupported("expire in ms (opcode EXPIRETIME_MS)", e.Key)
		}
		return nil
	case EntryAux, EntryResizeDB:
		if w.d == DialectRedis && w.v < 7 {
			return w.unsupported("opcode "+Opcode(map[EntryKind]Opcode{EntryAux: OpAux, EntryResizeDB: OpResizeDB}[e.Kind]).String(), nil)
		}
	case EntrySelectDB:
	case EntryFunction:
		if w.d == DialectRedis && w.v < 10 {
			return w.unsupported("opcode FUNCTION2 (functions)", nil)
		}
		if e.Opcode == OpFunctionPre && !(w.d == DialectRedis && w.v == 10) {
			// Only Redis 7.0 reads the pre-release record; WriteFunction
			// writes its library as FUNCTION2.
			return w.unsupported("opcode FUNCTION_PRE_GA (raw copy)", nil)
		}
	case EntryModuleAux:
		if w.d == DialectRedis && w.v < 9 {
			return w.unsupported("opcode MODULE_AUX", nil)
		}
	case EntrySlotInfo:
		if !(w.d == DialectRedis && w.v >= 12) && w.d != DialectValkey {
			return w.unsupported("opcode SLOT_INFO", nil)
		}
	case EntrySlotImport:
		if w.d != DialectValkey {
			return w.unsupported("opcode SLOT_IMPORT", nil)
		}
	case EntryHashTemplate:
		if !(w.d == DialectRedis && w.v >= 15) {
			return w.unsupported("opcode HASH_TEMPLATE", nil)
		}
	default:
		return w.unsupported("record "+e.Kind.String(), nil)
	}
	return nil
}
