package rdbfile

import "bytes"

// Re-using the LZF bytes of the input
//
// A conversion that re-encodes a value often writes a string or a blob
// (a listpack, an intset, a quicklist node) whose bytes are those it just
// read. When the input held it LZF-compressed, the Writer can write the
// input's compressed bytes instead of compressing it again: they are what
// the target server would write too (the same liblzf with the same
// settings, see lzfCompress), and compressing is the costliest step of
// re-encoding.
//
// A string the input held plain is, in itself, no proof that the input's
// writer tried to compress it: a file saved with rdbcompression no holds
// plain strings only (except the LZF quicklist nodes of a compressed list,
// rdbSaveLzfBlob, which do not depend on it). But once the Reader has met
// one LZF string that is not a quicklist node, the file's writer
// compressed strings, and rdbSaveRawString tries LZF on every string
// longer than 20 bytes: a plain one longer than that is one the same
// compressor did not shrink by more than 4 bytes. Such strings are kept
// too and written plain again, without a second attempt that would fail
// the same way (a compressor differing at the margins, e.g. an older
// liblzf's end-of-input rule, can only make the output differ from a
// fresh compression by keeping the input's own choice).

// lzfQueue holds the LZF strings the Reader decompressed in the current
// value, in order, until the Writer takes them. Its memory is bounded by
// lzfQueueMax; a string that does not fit is not kept (it is compressed
// again).
type lzfQueue struct {
	ents  []lzfEnt
	head  int // ents[:head] were taken or skipped
	arena []byte
}

type lzfEnt struct{ co, cl, po, pl int } // compressed / plain bytes in arena; cl -1: held plain

const lzfQueueMax = 4 << 20

// lzfMinLen: rdbSaveRawString tries LZF only on strings longer than this
// (Redis src/rdb.c).
const lzfMinLen = 20

// fieldQuicklistNode names a quicklist node for the Reader's errors; an LZF
// node (rdbSaveLzfBlob) says nothing of rdbcompression.
const fieldQuicklistNode = "quicklist node"

func (q *lzfQueue) reset() {
	q.ents, q.head, q.arena = q.ents[:0], 0, q.arena[:0]
}

// add keeps comp, the compressed bytes of plain.
func (q *lzfQueue) add(comp, plain []byte) {
	if q.head == len(q.ents) {
		q.reset()
	}
	if len(q.arena)+len(comp)+len(plain) > lzfQueueMax {
		return
	}
	co := len(q.arena)
	q.arena = append(q.arena, comp...)
	po := len(q.arena)
	q.arena = append(q.arena, plain...)
	q.ents = append(q.ents, lzfEnt{co, len(comp), po, len(plain)})
}

// addPlain keeps plain, a string the input held plain although its
// writer compressed strings.
func (q *lzfQueue) addPlain(plain []byte) {
	if q.head == len(q.ents) {
		q.reset()
	}
	if len(q.arena)+len(plain) > lzfQueueMax {
		return
	}
	po := len(q.arena)
	q.arena = append(q.arena, plain...)
	q.ents = append(q.ents, lzfEnt{0, -1, po, len(plain)})
}

// take looks s up among the next strings of the queue. It returns
// found false if s is not there; else the compressed bytes to write (valid
// until the Reader reads on), or nil when s is to be written plain: its
// compressed form is longer than len(s)-4 bytes, which
// rdbSaveLzfStringObject does not keep.
func (q *lzfQueue) take(s []byte) (comp []byte, found bool) {
	for j := q.head; j < len(q.ents) && j < q.head+8; j++ {
		e := q.ents[j]
		if e.pl == len(s) && bytes.Equal(q.arena[e.po:e.po+e.pl], s) {
			q.head = j + 1
			if e.cl < 0 || e.cl > len(s)-4 {
				return nil, true
			}
			return q.arena[e.co : e.co+e.cl], true
		}
	}
	return nil, false
}

// ReuseLZF lets w write a string that r has just read LZF-compressed, as
// a value's element or blob, with r's compressed bytes instead of
// compressing it again, when the uncompressed bytes are equal and w
// compresses strings (not NoCompression). The output is the same as
// without it when r's input was written by a Redis or Valkey server (the
// same LZF compressor). Call it once, before the first record; r must be
// the Reader whose entries are written to w.
func (w *Writer) ReuseLZF(r *Reader) {
	w.src = r
	r.lzfKeep = true
}
