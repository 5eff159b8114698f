package rdbfile

import (
	"encoding/binary"
	"strconv"
)

// EntryKind says what record an Entry describes.
type EntryKind uint8

const (
	EntryKey          EntryKind = iota // a key/value record (with its EXPIRETIME/IDLE/FREQ/KEY_META prefixes)
	EntryAux                           // AUX field after the header (opcode 0xFA)
	EntrySelectDB                      // SELECTDB (0xFE)
	EntryResizeDB                      // RESIZEDB (0xFB)
	EntryFunction                      // FUNCTION2 (0xF5), or the pre-release FUNCTION (0xF6): a function library
	EntryModuleAux                     // MODULE_AUX (0xF7), skipped structurally
	EntrySlotInfo                      // SLOT_INFO (0xF4), Redis 7.4+ cluster mode
	EntrySlotImport                    // SLOT_IMPORT (0xF3 with VALKEY magic)
	EntryHashTemplate                  // HASH_TEMPLATE (0xF2, Redis RDB 15)
)

var entryKindNames = [...]string{"key", "aux", "selectdb", "resizedb", "function", "module-aux", "slot-info", "slot-import", "hash-template"}

func (k EntryKind) String() string {
	if int(k) < len(entryKindNames) {
		return entryKindNames[k]
	}
	return "entry(" + strconv.Itoa(int(k)) + ")"
}

// KeyMeta is one class of Redis 8.6+ key metadata (opcode KEY_META), skipped
// structurally (Redis src/rdb.c rdbSaveKeyMetadata and rdbLoadKeyMetadata,
// class specs per src/keymeta.c).
type KeyMeta struct {
	Class       string // 4-character class name
	Version     int    // 0..31
	AllowIgnore bool   // a server without the class may skip it
	Size        int64  // serialized bytes of the class value
}

// SlotRange is an inclusive hash-slot range.
type SlotRange struct{ Start, End uint64 }

// Entry is one record of the file. It is reused by the Reader: valid until
// the next call to Next.
type Entry struct {
	Kind   EntryKind
	Offset int64 // offset of the record's first byte (first prefix opcode for keys)
	// Size is the record's size in bytes; for keys it is known once the value
	// was read or skipped (after Value, Walk or Skip).
	Size int64
	DB   int // database the record belongs to

	// Key records.
	Key         []byte   // key name (for EntryAux: the AUX name)
	Type        Type     // object type id as stored
	TypeName    string   // dialect-aware name of Type, e.g. "HASH_2"
	ValueKind   Kind     // logical type (TYPE command)
	Encoding    Encoding // encoding as serialized
	ExpireAt    int64    // absolute expire, ms since the Unix epoch, or NoExpire
	Idle        int64    // LRU idle seconds (opcode IDLE) or -1
	Freq        int      // LFU counter (opcode FREQ) or -1
	KeyMeta     []KeyMeta
	ValueOffset int64 // offset of the value's first byte
	// Len is the number of elements (list items, members, fields, live
	// stream entries; 1 for strings), known after the value was consumed.
	Len int64
	// MaxLen is the longest string element of a set, sorted set or hash
	// value in a plain encoding (types 2, 3, 4, 5: members, fields,
	// values), bytes, known after the value was consumed; 0 for every
	// other encoding, whose blob carries its own limits. A loading server
	// turns such a value into a listpack when it has at most
	// *-max-listpack-entries elements and MaxLen is within
	// *-max-listpack-value (Redis src/rdb.c rdbLoadObject).
	MaxLen int64
	// Module is set for module values (type 7) once consumed, and for EntryModuleAux.
	Module *ModuleValue
	// ModuleWhen is MODULE_AUX's "when" (1 before keyspace, 2 after).
	ModuleWhen int

	// Other records.
	Opcode      Opcode      // the opcode that starts the record (0 for keys), e.g. OpFunctionPre
	Data        []byte      // AUX value, function library source
	DBSize      uint64      // RESIZEDB: keys; SLOT_INFO: keys in slot
	ExpiresSize uint64      // RESIZEDB / SLOT_INFO: keys with expire
	Slot        uint64      // SLOT_INFO slot id
	ImportJob   []byte      // SLOT_IMPORT job name
	SlotRanges  []SlotRange // SLOT_IMPORT ranges
	TemplateID  uint64      // HASH_TEMPLATE id
	Fields      [][]byte    // HASH_TEMPLATE field names

	r        *Reader
	consumed bool
	softErr  error
	keyMeta  []KeyMeta
	stream   *Stream
	arr      *Array
	elems    int64
	count    int64 // element count from the value's header, -1 if none
	lzfIn0   int64 // Reader.lzfIn when the record started
	lzfOut0  int64
	// lzfDone: the record was checked apart (Checker), and lzfIn0 and
	// lzfOut0 hold its LZF byte counts themselves.
	lzfDone bool
}

// LZFBytes returns the compressed and uncompressed bytes of the
// LZF-compressed strings of this record read so far (all of them once the
// value was consumed by Skip, Value or Walk). A string is LZF-compressed
// when Redis saved it with rdbcompression yes and it is over 20 bytes
// (Redis src/rdb.c rdbSaveRawString, rdbLoadLzfStringObject); the
// difference is the bytes the server inflates while loading it.
func (e *Entry) LZFBytes() (compressed, uncompressed int64) {
	if e.lzfDone {
		return e.lzfIn0, e.lzfOut0
	}
	if e.r == nil {
		return 0, 0
	}
	return e.r.lzfIn - e.lzfIn0, e.r.lzfOut - e.lzfOut0
}

// reset prepares the reused entry for the next record without rewriting
// fields that are already zero (keeps the hot path free of write barriers).
func (e *Entry) reset(r *Reader) {
	e.r = r
	e.Kind, e.Size, e.DB = EntryKey, 0, r.db
	e.Key = e.Key[:0]
	e.Type, e.TypeName, e.ValueKind, e.Encoding = 0, "", 0, 0
	e.ExpireAt, e.Idle, e.Freq = NoExpire, -1, -1
	if e.KeyMeta != nil {
		e.KeyMeta = nil
	}
	e.keyMeta = e.keyMeta[:0]
	e.ValueOffset, e.Len, e.MaxLen, e.ModuleWhen = 0, 0, 0, 0
	if e.Module != nil {
		e.Module = nil
	}
	if e.Data != nil || e.ImportJob != nil || e.SlotRanges != nil || e.Fields != nil {
		e.Data, e.ImportJob, e.SlotRanges, e.Fields = nil, nil, nil, nil
	}
	e.DBSize, e.ExpiresSize, e.Slot, e.TemplateID = 0, 0, 0, 0
	e.Opcode, e.consumed = 0, false
	if e.softErr != nil || e.stream != nil || e.arr != nil {
		e.softErr, e.stream, e.arr = nil, nil, nil
	}
	e.elems, e.count = 0, -1
	e.lzfIn0, e.lzfOut0, e.lzfDone = r.lzfIn, r.lzfOut, false
	if len(r.lzfq.ents) > 0 {
		r.lzfq.reset()
	}
}

func (r *Reader) readOpcodeRecord(e *Entry, off int64, t byte) (*Entry, error) {
	d, v := r.hdr.Dialect, r.hdr.Version
	e.consumed, e.Opcode = true, Opcode(t)
	switch Opcode(t) {
	case OpSelectDB:
		n, err := r.readLen("SELECTDB index")
		if err != nil {
			return nil, err
		}
		if n > 1<<31 {
			return nil, r.corrupt(off+1, "SELECTDB index", ErrBadLength, "database index "+strconv.FormatUint(n, 10)+" is impossible")
		}
		r.db = int(n)
		e.Kind, e.DB = EntrySelectDB, r.db
		if n >= 16 {
			r.addFinding(SevWarning, r.corrupt(off, "SELECTDB index", ErrInvalid,
				"database "+strconv.FormatUint(n, 10)+" needs a server with 'databases' > "+strconv.FormatUint(n, 10)+" (default 16)"))
		}
	case OpResizeDB:
		a, err := r.readLen("RESIZEDB db size")
		if err != nil {
			return nil, err
		}
		b, err := r.readLen("RESIZEDB expires size")
		if err != nil {
			return nil, err
		}
		e.Kind, e.DBSize, e.ExpiresSize = EntryResizeDB, a, b
	case OpAux:
		name, val, err := r.readAux(off)
		if err != nil {
			return nil, err
		}
		e.Kind, e.Key, e.Data = EntryAux, name, val
	case OpFunction2:
		code, err := r.readString("FUNCTION2 library code")
		if err != nil {
			return nil, err
		}
		e.Kind, e.Data = EntryFunction, append([]byte(nil), code...)
	case OpFunctionPre:
		if d != DialectRedis || v < 10 {
			return nil, r.unknownTag(off, t)
		}
		code, err := r.readFunctionPreGA()
		if err != nil {
			return nil, err
		}
		e.Kind, e.Data = EntryFunction, code
	case OpModuleAux:
		id, err := r.readLen("MODULE_AUX module id")
		if err != nil {
			return nil, err
		}
		wop, err := r.readLen("MODULE_AUX when opcode")
		if err != nil {
			return nil, err
		}
		if wop != 2 {
			return nil, r.corrupt(off, "MODULE_AUX when opcode", ErrInvalid, "MODULE_AUX 'when' opcode is "+strconv.FormatUint(wop, 10)+", want 2 (UINT)")
		}
		when, err := r.readLen("MODULE_AUX when")
		if err != nil {
			return nil, err
		}
		start := r.in.offset()
		if err := r.skipModuleOpcodes("MODULE_AUX data"); err != nil {
			return nil, err
		}
		name, ver := ModuleTypeName(id)
		e.Kind, e.ModuleWhen = EntryModuleAux, int(when)
		e.Module = &ModuleValue{ID: id, TypeName: name, EncVer: ver, Size: r.in.offset() - start}
		e.Key = append(e.Key[:0], name...)
	case OpSlotInfo:
		if d == DialectRedis && v < 12 {
			return nil, r.unknownTag(off, t)
		}
		var vals [3]uint64
		for i, f := range []string{"SLOT_INFO slot", "SLOT_INFO keys", "SLOT_INFO expires"} {
			x, err := r.readLen(f)
			if err != nil {
				return nil, err
			}
			vals[i] = x
		}
		if vals[0] >= 16384 {
			r.addFinding(SevError, r.corrupt(off, "SLOT_INFO slot", ErrInvalid, "slot "+strconv.FormatUint(vals[0], 10)+" out of range 0..16383"))
		}
		e.Kind, e.Slot, e.DBSize, e.ExpiresSize = EntrySlotInfo, vals[0], vals[1], vals[2]
	case OpSlotImport: // == OpKeyMeta; KEY_META is handled in readRecord
		if d != DialectValkey {
			return nil, r.unknownTag(off, t)
		}
		job, err := r.readString("SLOT_IMPORT job name")
		if err != nil {
			return nil, err
		}
		e.ImportJob = append([]byte(nil), job...)
		n, err := r.readCount("SLOT_IMPORT range count", 2)
		if err != nil {
			return nil, err
		}
		for i := uint64(0); i < n; i++ {
			a, err := r.readLen("SLOT_IMPORT range start")
			if err != nil {
				return nil, err
			}
			b, err := r.readLen("SLOT_IMPORT range end")
			if err != nil {
				return nil, err
			}
			if a > b || b >= 16384 {
				r.addFinding(SevError, r.corrupt(off, "SLOT_IMPORT range", ErrInvalid, "bad slot range "+strconv.FormatUint(a, 10)+"-"+strconv.FormatUint(b, 10)))
			}
			e.SlotRanges = append(e.SlotRanges, SlotRange{a, b})
		}
		e.Kind = EntrySlotImport
	case OpHashTemplate:
		if d != DialectRedis || v < 15 {
			return nil, r.unknownTag(off, t)
		}
		id, err := r.readLen("HASH_TEMPLATE id")
		if err != nil {
			return nil, err
		}
		n, err := r.readCount("HASH_TEMPLATE field count", 1)
		if err != nil {
			return nil, err
		}
		if n == 0 {
			r.addFinding(SevError, r.corrupt(off, "HASH_TEMPLATE field count", ErrInvalid, "template with no fields"))
		}
		fields := make([][]byte, 0, min(n, 1024))
		for i := uint64(0); i < n; i++ {
			foff := r.in.offset()
			f, err := r.readString("HASH_TEMPLATE field")
			if err != nil {
				return nil, err
			}
			if i > 0 && !templateLess(fields[len(fields)-1], f) {
				r.addFinding(SevError, r.corrupt(foff, "HASH_TEMPLATE field", ErrInvalid, "template fields not strictly ascending (length, then bytes)"))
			}
			fields = append(fields, append([]byte(nil), f...))
		}
		if r.templates == nil {
			r.templates = map[uint64][][]byte{}
		}
		if _, dup := r.templates[id]; dup {
			r.addFinding(SevError, r.corrupt(off, "HASH_TEMPLATE id", ErrInvalid, "duplicate template id "+strconv.FormatUint(id, 10)))
		}
		r.templates[id] = fields
		e.Kind, e.TemplateID, e.Fields = EntryHashTemplate, id, fields
	default:
		return nil, r.unknownTag(off, t)
	}
	e.Size = r.in.offset() - off
	return e, nil
}

// templateLess is Redis's sdscmplen order: shorter first, then bytes.
func templateLess(a, b []byte) bool {
	if len(a) != len(b) {
		return len(a) < len(b)
	}
	return string(a) < string(b)
}

func (r *Reader) readKeyMeta(e *Entry, off int64) error {
	n, err := r.readLen("KEY_META class count")
	if err != nil {
		return err
	}
	if n == 0 || n > 7 {
		return r.corrupt(off+1, "KEY_META class count", ErrInvalid, "KEY_META class count "+strconv.FormatUint(n, 10)+" outside 1..7")
	}
	for i := uint64(0); i < n; i++ {
		soff := r.in.offset()
		b, err := r.in.next(4)
		if err != nil {
			return r.ioErr(soff, "KEY_META class spec", err)
		}
		spec := binary.LittleEndian.Uint32(b)
		if err := r.skipModuleOpcodes("KEY_META class value"); err != nil {
			return err
		}
		const cs = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
		name := []byte{cs[spec>>26&63], cs[spec>>20&63], cs[spec>>14&63], cs[spec>>8&63]}
		e.keyMeta = append(e.keyMeta, KeyMeta{Class: string(name), Version: int(spec >> 3 & 31),
			AllowIgnore: spec&1 != 0, Size: r.in.offset() - soff})
	}
	e.KeyMeta = e.keyMeta
	return nil
}

// ModuleTypeName decodes a 64-bit module type id into its 9-character name
// and 10-bit encoding version (Redis src/module.c moduleTypeNameByID).
func ModuleTypeName(id uint64) (string, int) {
	const cs = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var name [9]byte
	x := id >> 10
	for i := 8; i >= 0; i-- {
		name[i] = cs[x&63]
		x >>= 6
	}
	return string(name[:]), int(id & 1023)
}

// skipModuleOpcodes walks a module serialization (Redis src/module.c
// RM_Save*: tagged items ending with the EOF tag 0) without interpreting it.
func (r *Reader) skipModuleOpcodes(field string) error {
	for {
		off := r.in.offset()
		op, err := r.readLen(field + " opcode")
		if err != nil {
			return err
		}
		switch op {
		case 0:
			return nil
		case 1, 2:
			if _, err := r.readLen(field + " integer"); err != nil {
				return err
			}
		case 3:
			if err := r.in.discard(4); err != nil {
				return r.ioErr(off, field+" float", err)
			}
		case 4:
			if err := r.in.discard(8); err != nil {
				return r.ioErr(off, field+" double", err)
			}
		case 5:
			if _, _, err := r.readStringEx(field+" string", true); err != nil {
				return err
			}
		default:
			return r.corrupt(off, field+" opcode", ErrInvalid, "unknown module opcode "+strconv.FormatUint(op, 10)+" (value not MODULE_2 compliant)")
		}
	}
}

func (r *Reader) readKeyRecord(e *Entry, off int64, t byte) (*Entry, error) {
	ti, ok := r.types[t], r.typeOK[t]
	if !ok {
		return nil, r.unknownTag(off, t)
	}
	e.Kind = EntryKey
	e.Type, e.TypeName, e.ValueKind, e.Encoding = Type(t), ti.name, ti.kind, ti.enc
	e.DB = r.db
	k, err := r.readString("key")
	if err != nil {
		return nil, err
	}
	e.Key = append(e.Key[:0], k...)
	e.ValueOffset = r.in.offset()
	e.consumed = false
	r.cur = e
	if t == byte(TypeModulePreGA) {
		e.consumed = true
		return nil, r.corrupt(off, "value", ErrUnsupported, "pre-release module value (type 6, Redis 4.0 RCs): cannot be skipped or loaded")
	}
	return e, nil
}

// Value decodes the whole value into memory. It may be called once per
// entry, before Next. It returns a *CorruptError if the value is bad; when
// the bad part left the record framing intact the Reader can go on. A value
// already consumed (by Value, Walk, WalkPacked or Skip) gives ErrConsumed.
func (e *Entry) Value() (*Value, error) {
	if e.Kind != EntryKey {
		return nil, nil
	}
	if e.consumed {
		return nil, ErrConsumed
	}
	c := collector{v: &Value{Kind: e.ValueKind}}
	err := e.walk(c.add, true)
	if err != nil {
		return nil, err
	}
	if e.stream != nil {
		c.v.Stream = e.stream
		c.v.Stream.Entries = c.entries
	}
	if e.Module != nil {
		c.v.Module = e.Module
	}
	if e.arr != nil {
		if c.v.Array == nil {
			c.v.Array = &Array{}
		}
		c.v.Array.HasCursor, c.v.Array.InsertIdx = e.arr.HasCursor, e.arr.InsertIdx
	}
	return c.v, nil
}

// Walk reads the value element by element, calling fn for each: a string
// value is one element; lists, sets, sorted sets and hashes give one element
// per item; streams one per live entry (the stream's metadata is available
// from StreamMeta afterwards); arrays one per slot. The *Element and the
// byte slices in it are only valid during the call. If fn returns an error
// Walk stops calling it, consumes the rest of the value and returns that error.
// A value already consumed gives ErrConsumed.
func (e *Entry) Walk(fn func(*Element) error) error {
	if e.Kind != EntryKey {
		return nil
	}
	if e.consumed {
		return ErrConsumed
	}
	return e.walk(fn, true)
}

// WalkPacked is Walk, except that a hash stored as one listpack (type 16,
// HASH_LISTPACK, RDB 10+) whose blob is valid and free of duplicate fields
// is handed to fn whole, as a single Element with only Listpack set, instead
// of field by field. A loader that keeps or converts packed data in bulk
// saves a callback per field; every other value, and any listpack with a
// problem, is walked as Walk walks it.
func (e *Entry) WalkPacked(fn func(*Element) error) error {
	if e.Kind != EntryKey {
		return nil
	}
	if e.consumed {
		return ErrConsumed
	}
	e.r.walker.packed = true
	err := e.walk(fn, true)
	e.r.walker.packed = false
	return err
}

// Skip consumes the value without decoding it into memory, still checking it.
// It returns the value's corruption, if any. Next calls it for unread values.
func (e *Entry) Skip() error {
	if e.Kind != EntryKey || e.consumed {
		return nil
	}
	return e.skip()
}

func (e *Entry) skip() error {
	// Fast path: a plain string value that is entirely in the buffer.
	if e.Type == TypeString {
		in := &e.r.in
		if in.r < in.w {
			if c := in.buf[in.r]; c < 0x40 && in.r+1+int(c) <= in.w {
				in.r += 1 + int(c)
				e.consumed, e.Len = true, 1
				e.Size = in.offset() - e.Offset
				return nil
			}
		}
	}
	return e.walk(nil, false)
}

// Count returns the element count that the value's header declares, once
// Walk has read it (it is known in Walk's first callback): list, set,
// sorted set and hash values of the plain encodings (types 1-5, 24, Valkey
// 22). It is -1 for values whose count is inside a blob or not stored.
// A writer streaming the value element by element needs it first.
func (e *Entry) Count() int64 { return e.count }

// StreamMeta returns the stream metadata (everything but the entries) once a
// stream value was consumed. After Value, Walk or WalkPacked the Stream is
// the caller's to keep; after Skip it belongs to the Reader, which reuses
// it, and is valid only until the next call to Next, like the Entry.
func (e *Entry) StreamMeta() *Stream { return e.stream }

func (e *Entry) walk(fn func(*Element) error, want bool) error {
	r := e.r
	r.in.pin = -1
	e.consumed = true
	e.softErr = nil
	e.elems, e.MaxLen = 0, 0
	w := &r.walker
	w.r, w.e, w.fn, w.fnErr, w.want = r, e, fn, nil, want
	err := w.value()
	w.fn, w.e = nil, nil
	e.Len = e.elems
	e.Size = r.in.offset() - e.Offset
	if err != nil {
		r.err = err
		return err
	}
	if w.fnErr != nil {
		return w.fnErr
	}
	return e.softErr
}

// Element is one piece of a value handed to Walk.
type Element struct {
	Member   []byte  // string value; list item; set or zset member; hash field; array SDS/SMALLSTR
	Value    []byte  // hash value
	Score    float64 // zset score
	ExpireAt int64   // hash field expire (ms since the Unix epoch) or NoExpire
	// Stream is set for stream entries.
	Stream *StreamEntry
	// Array is set for array slots.
	Array *ArrayElement
	// Listpack is set only by WalkPacked: one whole listpack blob (layout
	// per Redis src/listpack.c) holding a hash's field, value, field,
	// value, ... entries, already validated and checked for duplicate
	// fields as Walk would. Read it with ListpackIter.
	Listpack []byte
}

// collector builds a Value from elements.
type collector struct {
	v       *Value
	entries []StreamEntry
}

func (c *collector) add(el *Element) error {
	v := c.v
	cp := func(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }
	switch v.Kind {
	case KindString:
		v.String = cp(el.Member)
	case KindList:
		v.List = append(v.List, cp(el.Member))
	case KindSet:
		v.Set = append(v.Set, cp(el.Member))
	case KindZSet:
		v.ZSet = append(v.ZSet, ZMember{Member: cp(el.Member), Score: el.Score})
	case KindHash:
		v.Hash = append(v.Hash, HashField{Field: cp(el.Member), Value: cp(el.Value), ExpireAt: el.ExpireAt})
	case KindStream:
		se := StreamEntry{ID: el.Stream.ID, Fields: make([][]byte, len(el.Stream.Fields))}
		for i, f := range el.Stream.Fields {
			se.Fields[i] = cp(f)
		}
		c.entries = append(c.entries, se)
	case KindArray:
		if v.Array == nil {
			v.Array = &Array{}
		}
		a := *el.Array
		a.Str = cp(a.Str)
		v.Array.Elements = append(v.Array.Elements, a)
	case KindGCRA:
		n, _ := strconv.ParseInt(string(el.Member), 10, 64)
		v.GCRA = n
	}
	return nil
}

// readFunctionPreGA reads the body of a pre-release FUNCTION record (opcode
// 0xF6), as written by Redis 7.0-rc1 and rc2 and loaded by every Redis 7.0.x
// (rdbFunctionLoad in Redis 7.0's src/rdb.c): the library name, the engine
// name, a length that is non-zero when a description follows, the
// description, and the library code, each a length-prefixed string. It
// returns the code in the form FUNCTION2 stores, as the server converts it:
// "#!<engine> name=<name>\n" followed by the code (the description is
// dropped).
func (r *Reader) readFunctionPreGA() ([]byte, error) {
	name, err := r.readString("FUNCTION library name")
	if err != nil {
		return nil, err
	}
	out := append([]byte(nil), name...)
	eng, err := r.readString("FUNCTION engine name")
	if err != nil {
		return nil, err
	}
	head := make([]byte, 0, 2+len(eng)+6+len(out)+1)
	head = append(append(append(head, "#!"...), eng...), " name="...)
	head = append(append(head, out...), '\n')
	hasDesc, err := r.readLen("FUNCTION description indicator")
	if err != nil {
		return nil, err
	}
	if hasDesc != 0 {
		if _, err := r.readString("FUNCTION description"); err != nil {
			return nil, err
		}
	}
	code, err := r.readString("FUNCTION library code")
	if err != nil {
		return nil, err
	}
	return append(head, code...), nil
}
