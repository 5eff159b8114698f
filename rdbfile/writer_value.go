package rdbfile

import (
	"bytes"
	"encoding/binary"
	"math"
	"slices"
	"strconv"
)

// KeyHeader describes a key/value record to write: what an Entry says about
// a key before its value.
type KeyHeader struct {
	Key      []byte
	Kind     Kind  // logical type of the value
	ExpireAt int64 // absolute expire, ms since the Unix epoch, or NoExpire
	Idle     int64 // LRU idle seconds (opcode IDLE, RDB 9+) or -1
	Freq     int   // LFU counter 0..255 (opcode FREQ, RDB 9+) or -1
	// Count is the number of elements that will be added (list items,
	// members, fields, stream entries, array slots), or -1 if unknown. With
	// a known Count, a value too big for a compact encoding is streamed
	// element by element; with -1 it is buffered until Close. Lists to a
	// quicklist target, streams and hashes with field TTLs to a Redis
	// target are held until Close whatever the Count (their encoding puts
	// a node count or the smallest TTL first): in memory up to
	// WriterOptions.ValueMemory, then in a temporary file.
	Count int64
	// FieldTTL says that some hash field may carry a TTL. A hash whose
	// header does not say so is refused at its first field with a TTL once
	// streaming has begun.
	FieldTTL bool
	// Array carries an array's insert cursor (HasCursor, InsertIdx); its
	// Elements are ignored.
	Array *Array
}

// HeaderOf returns the KeyHeader of a key entry as read: key, kind,
// expire, idle and freq (Count -1, FieldTTL from the type).
func HeaderOf(e *Entry) KeyHeader {
	h := KeyHeader{Key: e.Key, Kind: e.ValueKind, ExpireAt: e.ExpireAt, Idle: e.Idle, Freq: e.Freq, Count: -1}
	switch {
	case e.Type == TypeHashMetadata || e.Type == TypeHashListpackEx || e.Type == TypeHashLpExPreGA:
		h.FieldTTL = true
	case e.Type == 22:
		h.FieldTTL = true
	}
	return h
}

// WriteKey writes a whole key: its prefix opcodes, its type (the encoding
// the target server would choose, see Limits) and its value. Module values
// cannot be re-encoded (their body is opaque): copy them with CopyEntry.
func (w *Writer) WriteKey(h KeyHeader, v *Value) error {
	if v == nil {
		return w.unsupported("nil value", h.Key)
	}
	h.Kind = v.Kind
	switch v.Kind {
	case KindString:
		h.Count = 1
	case KindList:
		h.Count = int64(len(v.List))
	case KindSet:
		h.Count = int64(len(v.Set))
	case KindZSet:
		h.Count = int64(len(v.ZSet))
	case KindHash:
		h.Count = int64(len(v.Hash))
		for i := range v.Hash {
			if v.Hash[i].ExpireAt != NoExpire {
				h.FieldTTL = true
				break
			}
		}
	case KindStream:
		if v.Stream == nil {
			return w.unsupported("stream without metadata", h.Key)
		}
		h.Count = int64(len(v.Stream.Entries))
	case KindArray:
		if v.Array == nil {
			return w.unsupported("array without metadata", h.Key)
		}
		h.Count = int64(len(v.Array.Elements))
		h.Array = v.Array
	case KindGCRA:
		h.Count = 1
	case KindModule:
		// The module's serialization is opaque: written back as stored
		// (type MODULE_2, the 64-bit module type id, the body).
		if v.Module == nil || v.Module.Raw == nil {
			return w.unsupported("module value without its body (ModuleValue.Raw)", h.Key)
		}
		if err := w.begin(); err != nil {
			return err
		}
		if err := w.checkHeader(&h); err != nil {
			return err
		}
		w.writeKeyPrefix(&h, TypeModule2)
		w.writeLen(v.Module.ID)
		w.raw(v.Module.Raw)
		return w.flush(false)
	}
	vw, err := w.BeginKey(h)
	if err != nil {
		return err
	}
	vw.borrow = true // v outlives the value: its bytes need no copies
	var el Element
	add := func() error { return vw.Add(&el) }
	switch v.Kind {
	case KindString:
		el = Element{Member: v.String}
		err = add()
	case KindList:
		for _, m := range v.List {
			if el = (Element{Member: m}); add() != nil {
				break
			}
		}
	case KindSet:
		for _, m := range v.Set {
			if el = (Element{Member: m}); add() != nil {
				break
			}
		}
	case KindZSet:
		for _, m := range v.ZSet {
			if el = (Element{Member: m.Member, Score: m.Score}); add() != nil {
				break
			}
		}
	case KindHash:
		for _, f := range v.Hash {
			if el = (Element{Member: f.Field, Value: f.Value, ExpireAt: f.ExpireAt}); add() != nil {
				break
			}
		}
	case KindStream:
		vw.SetStreamMeta(v.Stream)
		for i := range v.Stream.Entries {
			if el = (Element{Stream: &v.Stream.Entries[i]}); add() != nil {
				break
			}
		}
	case KindArray:
		for i := range v.Array.Elements {
			if el = (Element{Array: &v.Array.Elements[i]}); add() != nil {
				break
			}
		}
	case KindGCRA:
		el = Element{Member: strconv.AppendInt(nil, v.GCRA, 10)}
		err = add()
	}
	if err == nil {
		err = vw.err
	}
	if cerr := vw.Close(); err == nil {
		err = cerr
	}
	return err
}

// A ValueWriter receives a key's value element by element, as Entry.Walk
// hands them out. Get one from Writer.BeginKey; call Close at the end.
type ValueWriter struct {
	w   *Writer
	h   KeyHeader
	err error
	n   int64 // elements added

	streaming bool // the type and the value's header are written; elements go straight out
	enc       Type // type chosen once streaming
	// buffered elements (compact-encoding candidates, or Count unknown)
	a, b   [][]byte
	score  []float64
	exp    []int64
	arr    []ArrayElement
	meta   *Stream
	str    []byte
	strSet bool
	borrow bool // Add's bytes stay valid until Close (WriteKey)
	// values held until Close whatever their size, kept in memory up to
	// the Writer's budget, then in a spill (writer_spill.go)
	ql      *qlBuild     // a list to a quicklist target
	sb      *streamBuild // a stream
	sp      *spill
	hspill  bool  // the hash's fields are in sp
	hbytes  int   // bytes of the hash's fields held in memory
	hTTL    bool  // spilled hash: a field has a TTL
	hmin    int64 // spilled hash: smallest field TTL
	hbad    bool  // spilled hash: a TTL is out of range (hbadExp the first)
	hbadExp int64
	// what the buffered elements hold, kept as they are added
	notInt     bool // a member is not a canonical integer (sets)
	maxA, maxB int  // longest member / hash value
}

// own returns b, copied unless the caller keeps it valid until Close.
func (vw *ValueWriter) own(b []byte) []byte {
	if vw.borrow || b == nil {
		return b
	}
	return vw.w.keep(b)
}

// keep copies b into the Writer's arena, a chunk reused from value to
// value: buffering a value costs no allocation per element. A chunk that
// fills up is left to the slices that point into it and a new one starts
// (as large as b if b is larger), so the arena holds at most one chunk
// between values: memory bounded by the largest element.
func (w *Writer) keep(b []byte) []byte {
	c := w.arena
	if cap(c)-len(c) < len(b) {
		c = make([]byte, 0, max(arenaChunk, len(b)))
	}
	n := len(c)
	c = append(c, b...)
	w.arena = c
	return c[n:len(c):len(c)]
}

const arenaChunk = 64 << 10

// release returns the ValueWriter's buffers to its Writer for the next value.
func (vw *ValueWriter) release() {
	w := vw.w
	w.arena = w.arena[:0]
	if vw.a != nil {
		clear(vw.a)
		w.sa = vw.a[:0]
	}
	if vw.b != nil {
		clear(vw.b)
		w.sb = vw.b[:0]
	}
	if vw.score != nil {
		w.sscore = vw.score[:0]
	}
	if vw.exp != nil {
		w.sexp = vw.exp[:0]
	}
	vw.a, vw.b, vw.score, vw.exp = nil, nil, nil, nil
}

// BeginKey starts a key/value record. The prefix opcodes are checked now
// and the record is written as elements arrive (or at Close when buffered).
// No other record may be written until the ValueWriter is closed. The
// ValueWriter is the Writer's, reused by the next BeginKey (as the writer
// zip.Writer.Create returns is valid until the next Create): it must not be
// used after Close.
func (w *Writer) BeginKey(h KeyHeader) (*ValueWriter, error) {
	if err := w.begin(); err != nil {
		return nil, err
	}
	if err := w.checkHeader(&h); err != nil {
		return nil, err
	}
	if h.Kind == KindModule {
		return nil, w.unsupported("module value element by element (write it whole with WriteKey, or CopyEntry)", h.Key)
	}
	// One ValueWriter per Writer, reused from key to key (a value's
	// struct allocated per key was a third of a transcode's allocations).
	vw := &w.vw
	*vw = ValueWriter{w: w, h: h, a: w.sa}
	w.sa = nil
	// (score, b and exp exist only for the kinds that have them)
	switch h.Kind {
	case KindZSet:
		vw.score, w.sscore = w.sscore, nil
	case KindHash:
		vw.b, vw.exp, w.sb, w.sexp = w.sb, w.sexp, nil, nil
	}
	w.arena = w.arena[:0]
	if h.Key != nil {
		// The key is copied into a buffer of the Writer's, reused by the
		// next key (errors that name it copy it: unsupported).
		w.key = append(w.key[:0], h.Key...)
		vw.h.Key = w.key
	}
	w.open = vw
	switch {
	case h.Kind == KindList && w.quicklist():
		vw.ql = vw.newQL()
	case h.Kind == KindStream:
		vw.sb = vw.newStreamBuild()
	}
	if h.Count > 0 && vw.bigFromStart() {
		vw.startStreaming()
	}
	return vw, vw.err
}

// checkHeader refuses what the target cannot hold in a key's header.
func (w *Writer) checkHeader(h *KeyHeader) error {
	if (h.Idle >= 0 || h.Freq >= 0) && w.d == DialectRedis && w.v < 9 {
		return w.unsupported("LRU/LFU data (opcodes IDLE, FREQ)", h.Key)
	}
	if h.ExpireAt != NoExpire && w.d == DialectRedis && w.v < 3 && (h.ExpireAt < 0 || h.ExpireAt > math.MaxInt32*1000) {
		return w.unsupported("expire time "+strconv.FormatInt(h.ExpireAt, 10)+" ms (RDB 1-2 hold 32-bit seconds)", h.Key)
	}
	if h.Freq > 255 {
		return w.unsupported("LFU counter "+strconv.Itoa(h.Freq), h.Key)
	}
	ok := true
	switch h.Kind {
	case KindString, KindList, KindSet, KindZSet, KindHash:
	case KindStream:
		ok = w.has(TypeStreamListpacks)
	case KindArray:
		ok = w.has(TypeArray)
	case KindGCRA:
		ok = w.has(TypeGCRA)
	case KindModule:
		ok = w.has(TypeModule2)
	default:
		ok = false
	}
	if !ok {
		return w.unsupported("type "+h.Kind.String(), h.Key)
	}
	return nil
}

func (w *Writer) hasFieldTTL() bool {
	return (w.d == DialectRedis && w.v >= 12) || w.d == DialectValkey
}

// hashSmallMax is the largest hash a compact encoding may hold.
func (w *Writer) hashSmallMax() int64 {
	if w.v < 2 && w.d == DialectRedis {
		return -1
	}
	return int64(w.lim.HashMaxListpackEntries)
}

// writeKeyPrefix writes the expire, idle and freq opcodes, the type byte
// and the key (rdbSaveKeyValuePair).
func (w *Writer) writeKeyPrefix(h *KeyHeader, t Type) {
	if w.dump {
		w.writeByte(byte(t)) // a DUMP payload has the type and the value only
		return
	}
	if h.ExpireAt != NoExpire {
		if w.d == DialectRedis && w.v < 3 {
			// RDB 1-2 hold seconds (EXPIRETIME): round up, so that a key
			// never expires before its time.
			s := h.ExpireAt / 1000
			if h.ExpireAt%1000 > 0 {
				s++
			}
			if s > math.MaxInt32 || s < 0 {
				// checkHeader refused it
				s = math.MaxInt32
			}
			w.writeByte(byte(OpExpireTime))
			w.buf = binary.LittleEndian.AppendUint32(w.buf, uint32(int32(s)))
		} else {
			w.writeByte(byte(OpExpireTimeMs))
			w.writeU64(uint64(h.ExpireAt))
		}
	}
	if h.Idle >= 0 {
		w.writeByte(byte(OpIdle))
		w.writeLen(uint64(h.Idle))
	}
	if h.Freq >= 0 {
		w.writeByte(byte(OpFreq))
		w.writeByte(byte(h.Freq))
	}
	w.writeByte(byte(t))
	w.writeString(h.Key)
}

// Add adds one element: Member for strings, list items and set members;
// Member and Score for sorted sets; Member, Value and ExpireAt for hashes
// (ExpireAt NoExpire for none); Stream for stream entries (in ID order);
// Array for array slots. The element's bytes are copied or written before
// Add returns.
func (vw *ValueWriter) Add(el *Element) error {
	if vw.err != nil {
		return vw.err
	}
	w := vw.w
	if vw.h.Count >= 0 && vw.n >= vw.h.Count {
		return vw.fail(w.unsupported("more elements than the header's Count", vw.h.Key))
	}
	vw.n++
	switch vw.h.Kind {
	case KindString, KindGCRA:
		if vw.strSet {
			return vw.fail(w.unsupported("second element for a "+vw.h.Kind.String(), vw.h.Key))
		}
		vw.str, vw.strSet = vw.own(el.Member), true
		return nil
	case KindStream:
		if el.Stream == nil {
			return vw.fail(w.unsupported("stream element without an entry", vw.h.Key))
		}
		vw.sb.add(vw, el.Stream)
		return vw.err
	case KindArray:
		if el.Array == nil {
			return vw.fail(w.unsupported("array element without a slot", vw.h.Key))
		}
		if vw.streaming {
			w.writeArrayElement(el.Array)
			return vw.flushErr()
		}
		a := *el.Array
		a.Str = vw.own(a.Str)
		vw.arr = append(vw.arr, a)
		return nil
	case KindHash:
		if el.ExpireAt != NoExpire {
			if !vw.h.FieldTTL && vw.streaming {
				return vw.fail(w.unsupported("hash field TTL not announced in the header (KeyHeader.FieldTTL)", vw.h.Key))
			}
			if !w.hasFieldTTL() {
				// refused at once: nothing of the record is written
				return vw.fail(w.unsupported("hash field TTL", vw.h.Key))
			}
		}
		if vw.hspill {
			vw.hashSpillAdd(el)
			return vw.err
		}
	case KindList:
		if vw.ql != nil {
			vw.ql.add(vw, el.Member)
			return vw.err
		}
	}
	if vw.streaming {
		vw.writeElement(el)
		return vw.flushErr()
	}
	vw.a = append(vw.a, vw.own(el.Member))
	vw.maxA = max(vw.maxA, len(el.Member))
	switch vw.h.Kind {
	case KindSet:
		if !vw.notInt {
			_, isInt := isCanonicalInt(el.Member)
			vw.notInt = !isInt
		}
	case KindZSet:
		vw.score = append(vw.score, el.Score)
	case KindHash:
		vw.b = append(vw.b, vw.own(el.Value))
		vw.maxB = max(vw.maxB, len(el.Value))
		vw.exp = append(vw.exp, el.ExpireAt)
		if !vw.streaming {
			vw.hbytes += len(el.Member) + len(el.Value) + 16
			if vw.hbytes > w.valueMemory() {
				if vw.hashMaybeSpill(); vw.hspill {
					return vw.err
				}
			}
		}
	}
	// A buffered value that can no longer be compact starts streaming.
	if vw.h.Count > 0 && !vw.compactPossible() {
		vw.startStreaming()
	}
	return vw.err
}

// SetStreamMeta gives a stream's metadata (everything but its entries:
// length, IDs, consumer groups, IDMP), as Entry.StreamMeta returns it.
func (vw *ValueWriter) SetStreamMeta(st *Stream) { vw.meta = st }

func (vw *ValueWriter) fail(err error) error {
	if vw.err == nil {
		vw.err = err
	}
	if vw.streaming && vw.w.err == nil {
		vw.w.err = err // the record is incomplete: the file cannot go on
	}
	return err
}

func (vw *ValueWriter) flushErr() error {
	if err := vw.w.flush(false); err != nil {
		return vw.fail(err)
	}
	return nil
}

// Close finishes the value: a buffered value is encoded and written now.
// It returns the first error of the value.
func (vw *ValueWriter) Close() error {
	w := vw.w
	if w.open != vw {
		return vw.err
	}
	w.open = nil
	defer vw.cleanup()
	if vw.err != nil {
		return vw.err
	}
	if vw.h.Count >= 0 && vw.n != vw.h.Count {
		return vw.fail(w.unsupported("value with "+strconv.FormatInt(vw.n, 10)+" elements, header said "+strconv.FormatInt(vw.h.Count, 10), vw.h.Key))
	}
	if !vw.streaming {
		vw.writeBuffered()
	}
	vw.release()
	if vw.err != nil {
		return vw.err
	}
	if err := w.flush(false); err != nil {
		return vw.fail(err)
	}
	return nil
}

// cleanup returns the buffers of a value held until Close to the Writer
// and removes its spill.
func (vw *ValueWriter) cleanup() {
	if vw.ql != nil {
		vw.ql.release(vw.w)
	}
	vw.sp.close()
	vw.sp = nil
}

// Encoding choice.

// bigFromStart reports whether a value of h.Count elements can never be
// compact, so it is streamed from the first element.
func (vw *ValueWriter) bigFromStart() bool {
	w, n := vw.w, vw.h.Count
	switch vw.h.Kind {
	case KindSet:
		return n > int64(max(w.lim.SetMaxIntsetEntries, w.setListpackMax()))
	case KindZSet:
		return n > w.zsetSmallMax()
	case KindHash:
		if vw.h.FieldTTL && (w.d == DialectRedis || !w.hasFieldTTL()) {
			// Type 24 needs the smallest TTL first, and a target without
			// field TTLs must refuse before writing anything: buffered.
			return false
		}
		if vw.h.FieldTTL && w.d == DialectValkey {
			return true // HASH_2 whatever the size
		}
		return n > w.hashSmallMax()
	case KindList:
		return !w.quicklist() && n > w.listZiplistMax()
	case KindArray:
		return true
	}
	return false
}

func (w *Writer) setListpackMax() int {
	if !w.has(TypeSetListpack) {
		return -1
	}
	return w.lim.SetMaxListpackEntries
}

func (w *Writer) zsetSmallMax() int64 {
	if w.d == DialectRedis && w.v < 2 {
		return -1
	}
	return int64(w.lim.ZSetMaxListpackEntries)
}

func (w *Writer) quicklist() bool { return w.has(TypeListQuicklist) }

func (w *Writer) listZiplistMax() int64 {
	if w.d == DialectRedis && w.v < 2 {
		return -1
	}
	return int64(w.lim.ListMaxZiplistEntries)
}

// compactPossible reports whether the buffered elements so far still fit
// a compact encoding (the count is checked against Count already).
func (vw *ValueWriter) compactPossible() bool {
	w := vw.w
	last := vw.a[len(vw.a)-1]
	switch vw.h.Kind {
	case KindSet:
		if !vw.notInt && int64(len(vw.a)) <= int64(w.lim.SetMaxIntsetEntries) {
			return true
		}
		return int64(len(vw.a)) <= int64(w.setListpackMax()) && vw.maxA <= w.lim.SetMaxListpackValue
	case KindZSet:
		return len(last) <= w.lim.ZSetMaxListpackValue
	case KindHash:
		if vw.h.FieldTTL && (w.d == DialectRedis || !w.hasFieldTTL()) {
			return true
		}
		return len(last) <= w.lim.HashMaxListpackValue && len(vw.b[len(vw.b)-1]) <= w.lim.HashMaxListpackValue
	case KindList:
		return w.quicklist() || len(last) <= w.lim.ListMaxZiplistValue
	}
	return true
}

// allInts reports whether every buffered set member is a canonical integer.
func (vw *ValueWriter) allInts() bool { return !vw.notInt }

func (vw *ValueWriter) anyTTL() bool {
	for _, e := range vw.exp {
		if e != NoExpire {
			return true
		}
	}
	return false
}

// bigType is the non-compact type of the value's kind for the target.
func (vw *ValueWriter) bigType() Type {
	w := vw.w
	switch vw.h.Kind {
	case KindSet:
		return TypeSet
	case KindZSet:
		if w.has(TypeZSet2) {
			return TypeZSet2
		}
		return TypeZSet
	case KindHash:
		if vw.h.FieldTTL && w.d == DialectValkey {
			return TypeHash2
		}
		if vw.h.FieldTTL && w.hasFieldTTL() {
			return TypeHashMetadata
		}
		return TypeHash
	case KindList:
		return TypeList
	case KindArray:
		return TypeArray
	}
	return TypeString
}

// startStreaming writes the big encoding's type, key and count, then the
// elements buffered so far; later elements go straight out.
func (vw *ValueWriter) startStreaming() {
	w := vw.w
	vw.enc = vw.bigType()
	if vw.enc == TypeHashMetadata {
		vw.fail(w.unsupported("streamed hash with field TTLs", vw.h.Key))
		return
	}
	vw.streaming = true
	w.writeKeyPrefix(&vw.h, vw.enc)
	if vw.enc == TypeArray {
		w.writeLen(uint64(vw.h.Count))
		if vw.h.Array != nil && vw.h.Array.HasCursor {
			w.writeLen(1)
			w.writeLen(vw.h.Array.InsertIdx)
		} else {
			w.writeLen(0)
		}
		for i := range vw.arr {
			w.writeArrayElement(&vw.arr[i])
		}
		vw.arr = nil
		vw.flushErr()
		return
	}
	w.writeLen(uint64(vw.h.Count))
	var el Element
	for i := range vw.a {
		el = Element{Member: vw.a[i], ExpireAt: NoExpire}
		if vw.score != nil {
			el.Score = vw.score[i]
		}
		if vw.b != nil {
			el.Value, el.ExpireAt = vw.b[i], vw.exp[i]
		}
		vw.writeElement(&el)
		if vw.flushErr() != nil {
			return
		}
	}
	// The buffers go back to the Writer for the next value (streamed
	// elements are not buffered).
	vw.release()
}

// writeElement writes one element of a streamed (hashtable-form) value.
func (vw *ValueWriter) writeElement(el *Element) {
	w := vw.w
	switch vw.enc {
	case TypeList, TypeSet:
		w.writeString(el.Member)
	case TypeZSet2:
		w.writeString(el.Member)
		w.writeU64(math.Float64bits(el.Score))
	case TypeZSet:
		w.writeString(el.Member)
		w.writeStringDouble(el.Score)
	case TypeHash:
		w.writeString(el.Member)
		w.writeString(el.Value)
	case TypeHash2:
		w.writeString(el.Member)
		w.writeString(el.Value)
		if el.ExpireAt == NoExpire {
			w.writeU64(math.MaxUint64)
		} else {
			w.writeU64(uint64(el.ExpireAt))
		}
	}
}

func (w *Writer) writeArrayElement(a *ArrayElement) {
	w.writeLen(a.Index)
	w.writeLen(uint64(a.Tag))
	switch a.Tag {
	case ArraySDS, ArraySmallStr:
		w.writeString(a.Str)
	case ArrayInt:
		w.writeU64(uint64(a.Int))
	case ArrayFloat:
		w.writeU64(math.Float64bits(a.Float))
	}
}

// writeBuffered encodes a value that was buffered whole.
func (vw *ValueWriter) writeBuffered() {
	w := vw.w
	h := &vw.h
	switch h.Kind {
	case KindString:
		w.writeKeyPrefix(h, TypeString)
		w.writeString(vw.str)
	case KindGCRA:
		n, ok := isCanonicalInt(vw.str)
		if !ok || n < 0 {
			vw.fail(w.unsupported("GCRA value "+strconv.Quote(string(vw.str)), h.Key))
			return
		}
		w.writeKeyPrefix(h, TypeGCRA)
		w.writeLen(uint64(n))
	case KindSet:
		vw.writeSet()
	case KindZSet:
		vw.writeZSet()
	case KindHash:
		vw.writeHash()
	case KindList:
		vw.writeList()
	case KindStream:
		vw.writeStream()
	case KindArray:
		h.Count = int64(len(vw.arr))
		vw.startStreaming()
	}
}

func (vw *ValueWriter) writeSet() {
	w := vw.w
	n := len(vw.a)
	if w.has(TypeSetIntset) && n <= w.lim.SetMaxIntsetEntries && vw.allInts() {
		vals := w.sints[:0]
		for _, m := range vw.a {
			v, _ := isCanonicalInt(m)
			vals = append(vals, v)
		}
		w.sints = vals
		slices.Sort(vals)
		w.writeKeyPrefix(&vw.h, TypeSetIntset)
		w.writeBlob(isBuild(w.blob[:0], vals...))
		return
	}
	if n <= w.setListpackMax() && vw.maxA <= w.lim.SetMaxListpackValue {
		w.writeKeyPrefix(&vw.h, TypeSetListpack)
		w.writeBlob(lpBuildStrings(w.blob[:0], vw.a...))
		return
	}
	vw.h.Count = int64(n)
	vw.startStreaming()
}

// scoreText is the text Redis stores for a score in a listpack or ziplist
// (d2string): integral values as integers, others as "%.17g" before RDB 11
// and as the shortest round-trip form from Redis 7.2 (RDB 11).
func (w *Writer) scoreText(dst []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case f == math.Trunc(f) && math.Abs(f) < 1<<52:
		return strconv.AppendInt(dst, int64(f), 10)
	case w.d == DialectRedis && w.v < 11:
		return strconv.AppendFloat(dst, f, 'g', 17, 64)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

func (vw *ValueWriter) writeZSet() {
	w := vw.w
	n := len(vw.a)
	if int64(n) <= w.zsetSmallMax() && vw.maxA <= w.lim.ZSetMaxListpackValue {
		idx := w.sidx[:0]
		for i := range n {
			idx = append(idx, i)
		}
		w.sidx = idx
		slices.SortStableFunc(idx, func(i, j int) int {
			si, sj := vw.score[i], vw.score[j]
			switch {
			case si < sj:
				return -1
			case si > sj:
				return 1
			}
			return bytes.Compare(vw.a[i], vw.a[j])
		})
		if w.has(TypeZSetListpack) {
			lp := lpBegin(w.blob[:0])
			for _, i := range idx {
				lp = lpAppendString(lp, vw.a[i])
				w.snum = w.scoreText(w.snum[:0], vw.score[i])
				lp = lpAppendString(lp, w.snum)
			}
			lp, _ = lpFinish(lp, 0, 2*n)
			w.writeKeyPrefix(&vw.h, TypeZSetListpack)
			w.writeBlob(lp)
			return
		}
		zl := zlBegin(w.blob[:0])
		prev, tail := 0, zlHdrSize
		for _, i := range idx {
			zl, prev = zlAppendEntry(zl, prev, packEntryOf(vw.a[i]))
			w.snum = w.scoreText(w.snum[:0], vw.score[i])
			tail = len(zl)
			zl, prev = zlAppendEntry(zl, prev, packEntryOf(w.snum))
		}
		zl = zlFinish(zl, tail, 2*n)
		w.writeKeyPrefix(&vw.h, TypeZSetZiplist)
		w.writeBlob(zl)
		return
	}
	vw.h.Count = int64(n)
	vw.startStreaming()
}

func zlBegin(dst []byte) []byte { return append(dst, make([]byte, zlHdrSize)...) }

// zlFinish completes a ziplist started by zlBegin at dst[0] whose last entry
// starts at tail and which holds n entries.
func zlFinish(dst []byte, tail, n int) []byte { return zlFinishAt(dst, 0, tail, n) }

// zlFinishAt is zlFinish for a ziplist that starts at dst[start] (tail
// relative to it).
func zlFinishAt(dst []byte, start, tail, n int) []byte {
	dst = append(dst, zlEnd)
	b := dst[start:]
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	binary.LittleEndian.PutUint32(b[4:], uint32(tail))
	binary.LittleEndian.PutUint16(b[8:], uint16(min(n, zlCountUnknown)))
	return dst
}

func (vw *ValueWriter) writeHash() {
	w := vw.w
	if vw.hspill {
		vw.writeHashSpilled()
		return
	}
	n := len(vw.a)
	small := int64(n) <= w.hashSmallMax() && vw.maxA <= w.lim.HashMaxListpackValue && vw.maxB <= w.lim.HashMaxListpackValue
	if vw.anyTTL() {
		if !w.hasFieldTTL() {
			vw.fail(w.unsupported("hash field TTL", vw.h.Key))
			return
		}
		vw.h.FieldTTL = true
		if w.d == DialectValkey {
			vw.h.Count = int64(n)
			vw.startStreaming()
			return
		}
		minExp := int64(math.MaxInt64)
		for _, e := range vw.exp {
			if e != NoExpire {
				if e < 0 || e > 0xFFFFFFFFFFFF {
					vw.fail(w.unsupported("hash field TTL "+strconv.FormatInt(e, 10)+" (outside 0..2^48-1)", vw.h.Key))
					return
				}
				minExp = min(minExp, e)
			}
		}
		if minExp == 0 {
			small = false // a listpack TTL of 0 means "none": only HASH_METADATA holds it
		}
		if small {
			// HASH_LISTPACK_EX: fields with a TTL first, ascending, then the others.
			idx := w.sidx[:0]
			for i := range n {
				idx = append(idx, i)
			}
			w.sidx = idx
			slices.SortStableFunc(idx, func(i, j int) int {
				ei, ej := vw.exp[i], vw.exp[j]
				switch {
				case ei == ej:
					return 0
				case ei == NoExpire:
					return 1
				case ej == NoExpire:
					return -1
				case ei < ej:
					return -1
				}
				return 1
			})
			lp := lpBegin(w.blob[:0])
			for _, i := range idx {
				lp = lpAppendString(lp, vw.a[i])
				lp = lpAppendString(lp, vw.b[i])
				e := vw.exp[i]
				if e == NoExpire {
					e = 0
				}
				lp = lpAppendInt(lp, e)
			}
			lp, _ = lpFinish(lp, 0, 3*n)
			w.writeKeyPrefix(&vw.h, TypeHashListpackEx)
			w.writeU64(uint64(minExp))
			w.writeBlob(lp)
			return
		}
		w.writeKeyPrefix(&vw.h, TypeHashMetadata)
		w.writeU64(uint64(minExp))
		w.writeLen(uint64(n))
		for i := range vw.a {
			if e := vw.exp[i]; e == NoExpire {
				w.writeLen(0)
			} else {
				w.writeLen(uint64(e-minExp) + 1)
			}
			w.writeString(vw.a[i])
			w.writeString(vw.b[i])
			if vw.flushErr() != nil {
				return
			}
		}
		return
	}
	vw.h.FieldTTL = false
	if small {
		switch {
		case w.has(TypeHashListpack):
			lp := lpBegin(w.blob[:0])
			for i := range vw.a {
				lp = lpAppendString(lp, vw.a[i])
				lp = lpAppendString(lp, vw.b[i])
			}
			lp, _ = lpFinish(lp, 0, 2*n)
			w.writeKeyPrefix(&vw.h, TypeHashListpack)
			w.writeBlob(lp)
			return
		case w.has(TypeHashZiplist):
			zl := zlBegin(w.blob[:0])
			prev, tail := 0, zlHdrSize
			for i := range vw.a {
				zl, prev = zlAppendEntry(zl, prev, packEntryOf(vw.a[i]))
				tail = len(zl)
				zl, prev = zlAppendEntry(zl, prev, packEntryOf(vw.b[i]))
			}
			zl = zlFinish(zl, tail, 2*n)
			w.writeKeyPrefix(&vw.h, TypeHashZiplist)
			w.writeBlob(zl)
			return
		case w.has(TypeHashZipmap) && n > 0:
			kv := make([][]byte, 0, 2*n)
			for i := range vw.a {
				kv = append(kv, vw.a[i], vw.b[i])
			}
			w.writeKeyPrefix(&vw.h, TypeHashZipmap)
			w.writeBlob(zmBuild(w.blob[:0], kv...))
			return
		}
	}
	vw.h.Count = int64(n)
	vw.startStreaming()
}

// writeBlob writes a compact encoding's blob built in w.blob and keeps its
// buffer for the next one (up to 1 MiB).
func (w *Writer) writeBlob(b []byte) {
	w.writeString(b)
	if cap(b) <= 1<<20 {
		w.blob = b[:0]
	}
}

// listNodeLimit returns the quicklist node limits: a byte size, or an
// entry count with the 8 KiB safety size (Redis src/quicklist.c
// _quicklistNodeAllowInsert).
func (w *Writer) listNodeLimit() (size, count int) {
	f := w.lim.ListMaxListpackSize
	if f < 0 {
		f = max(f, -5)
		return 4096 << (-f - 1), 0
	}
	if f == 0 {
		f = 1
	}
	return 8192, f
}

// packedThreshold returns the element size from which a Redis 7.0+
// quicklist keeps an element in a plain node of its own.
func (w *Writer) packedThreshold() int {
	if w.lim.ListPackedThreshold > 0 {
		return w.lim.ListPackedThreshold
	}
	return 1 << 30
}

func (vw *ValueWriter) writeList() {
	w := vw.w
	n := len(vw.a)
	if !w.quicklist() {
		if int64(n) <= w.listZiplistMax() && vw.maxA <= w.lim.ListMaxZiplistValue {
			zl := zlBegin(w.blob[:0])
			prev, tail := 0, zlHdrSize
			for _, m := range vw.a {
				tail = len(zl)
				zl, prev = zlAppendEntry(zl, prev, packEntryOf(m))
			}
			zl = zlFinish(zl, tail, n)
			w.writeKeyPrefix(&vw.h, TypeListZiplist)
			w.writeBlob(zl)
			return
		}
		vw.h.Count = int64(n)
		vw.startStreaming()
		return
	}
	q := vw.ql
	q.finish(vw)
	if vw.err != nil {
		return
	}
	if q.v2 {
		w.writeKeyPrefix(&vw.h, TypeListQuicklist2)
	} else {
		w.writeKeyPrefix(&vw.h, TypeListQuicklist)
	}
	total := q.done + len(q.nodes)
	w.writeLen(uint64(total))
	if vw.sp != nil {
		vw.copySpill()
	}
	for i := range q.nodes {
		if vw.err != nil {
			return
		}
		q.writeNode(vw, i, total)
		if vw.flushErr() != nil {
			return
		}
	}
}

// A qlBuild cuts a list into quicklist nodes as its items arrive, as
// Redis fills them (src/quicklist.c _quicklistNodeAllowInsert): packed
// nodes (listpacks, ziplists before RDB 10) of at most the size or count
// of list-max-listpack-size, and for RDB 10+ a plain node for each item
// of at least the packed threshold. The nodes are kept in memory up to the
// Writer's value budget; past it, every node but the last
// list-compress-depth ones (whose compression depends on the node count)
// is written to the spill at once.
type qlBuild struct {
	v2                bool
	sizeLim, countLim int
	packed            int // packed threshold (RDB 10+)
	depth             int
	budget            int
	// The packed nodes are built one after the other in all (the
	// Writer's scratch blob, reused from value to value); a plain node
	// points at its item.
	all   []byte
	nodes []struct {
		blob  []byte
		plain bool
	}
	spans []int // [start, end) of each packed node in all; -1 for plain
	plain int   // bytes of the plain nodes held
	done  int   // nodes written to the spill
	// the node being built
	start, curN, prev, tail int
	ent                     []byte
}

func (vw *ValueWriter) newQL() *qlBuild {
	w := vw.w
	q := w.qbuild
	if q == nil {
		q = &qlBuild{}
		w.qbuild = q
	}
	ent := q.ent[:0] // the entry buffer, kept for the next list up to 1 MiB
	if cap(ent) > 1<<20 {
		ent = nil
	}
	*q = qlBuild{v2: w.has(TypeListQuicklist2), packed: w.packedThreshold(), depth: max(w.lim.ListCompressDepth, 0), budget: w.valueMemory(),
		ent: ent}
	q.sizeLim, q.countLim = w.listNodeLimit()
	q.all, q.nodes, q.spans = w.blob[:0], w.snodes[:0], w.sspans[:0]
	w.blob, w.snodes, w.sspans = nil, nil, nil
	return q
}

// release returns the buffers to the Writer for the next value.
func (q *qlBuild) release(w *Writer) {
	clear(q.nodes)
	if cap(q.all) <= 1<<20 {
		w.blob = q.all[:0]
	}
	w.snodes, w.sspans = q.nodes[:0], q.spans[:0]
	q.all, q.nodes, q.spans = nil, nil, nil
}

// add adds item m.
func (q *qlBuild) add(vw *ValueWriter, m []byte) {
	if q.v2 && len(m) >= q.packed {
		q.finish(vw)
		q.nodes = append(q.nodes, struct {
			blob  []byte
			plain bool
		}{vw.own(m), true})
		q.spans = append(q.spans, -1, -1)
		q.plain += len(m)
		q.nodeDone(vw)
		return
	}
	if q.v2 {
		q.ent = lpAppendString(q.ent[:0], m)
	} else {
		q.ent, _ = zlAppendEntry(q.ent[:0], q.prev, packEntryOf(m))
	}
	if q.curN > 0 {
		size := len(q.all) - q.start
		over := size+len(q.ent) > q.sizeLim
		if q.countLim > 0 {
			over = q.curN >= q.countLim || size+len(q.ent) > q.sizeLim
		}
		if over {
			q.finish(vw)
			q.prev = 0
			if !q.v2 {
				q.ent, _ = zlAppendEntry(q.ent[:0], 0, packEntryOf(m))
			}
		}
	}
	if q.curN == 0 {
		q.start = len(q.all)
		if q.v2 {
			q.all = lpBegin(q.all)
		} else {
			q.all = zlBegin(q.all)
		}
	}
	q.tail = len(q.all) - q.start
	q.all = append(q.all, q.ent...)
	q.prev = len(q.ent)
	q.curN++
}

// finish completes the node being built, if any.
func (q *qlBuild) finish(vw *ValueWriter) {
	if q.curN == 0 {
		return
	}
	if q.v2 {
		q.all, _ = lpFinish(q.all, q.start, q.curN)
	} else {
		q.all = zlFinishAt(q.all, q.start, q.tail, q.curN)
	}
	q.nodes = append(q.nodes, struct {
		blob  []byte
		plain bool
	}{})
	q.spans = append(q.spans, q.start, len(q.all))
	q.curN = 0
	q.nodeDone(vw)
}

// nodeDone spills the nodes held past the budget, but the last depth ones.
func (q *qlBuild) nodeDone(vw *ValueWriter) {
	if vw.err != nil || (vw.sp == nil && len(q.all)+q.plain <= q.budget) {
		return
	}
	k := len(q.nodes) - q.depth // nodes to write now
	if k <= 0 {
		return
	}
	if vw.sp == nil && vw.newSpill() == nil {
		return
	}
	vw.divert(func() {
		for i := 0; i < k && vw.w.err == nil; i++ {
			q.writeNode(vw, i, -1)
			vw.w.flush(false)
		}
	})
	for i := 0; i < k; i++ {
		if q.nodes[i].plain {
			q.plain -= len(q.nodes[i].blob)
		}
	}
	q.done += k
	// Keep the packed bytes of the nodes held (and of the node being
	// built, none: finish was just called) at the start of all.
	n := copy(q.nodes, q.nodes[k:])
	clear(q.nodes[n:])
	q.nodes = q.nodes[:n]
	q.spans = q.spans[:copy(q.spans, q.spans[2*k:])]
	from := len(q.all)
	for i := 0; i < len(q.spans); i += 2 {
		if q.spans[i] >= 0 {
			from = q.spans[i]
			break
		}
	}
	q.all = q.all[:copy(q.all, q.all[from:])]
	for i := range q.spans {
		if q.spans[i] >= 0 {
			q.spans[i] -= from
		}
	}
}

// writeNode writes held node i; total is the list's node count, or -1
// when node i is followed by more than depth nodes.
func (q *qlBuild) writeNode(vw *ValueWriter, i, total int) {
	w := vw.w
	nd := q.nodes[i]
	blob := nd.blob
	if !nd.plain {
		blob = q.all[q.spans[2*i]:q.spans[2*i+1]]
	}
	if q.v2 {
		if nd.plain {
			w.writeLen(1)
		} else {
			w.writeLen(2)
		}
	}
	idx := q.done + i
	inner := q.depth > 0 && idx >= q.depth && (total < 0 || idx < total-q.depth)
	if inner && !nd.plain && len(blob) >= 48 {
		// A node compressed in memory is saved compressed
		// (rdbSaveLzfBlob) whatever rdbcompression says, if LZF saved
		// at least 8 bytes (__quicklistCompressNode).
		if c := lzfCompress(w.lzfScratch(len(blob)), blob); c != nil && len(c)+8 <= len(blob) {
			w.writeByte(0xC3)
			w.writeLen(uint64(len(c)))
			w.writeLen(uint64(len(blob)))
			w.raw(c)
			return
		}
	}
	w.writeString(blob)
}
