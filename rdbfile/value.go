package rdbfile

import "strconv"

// NoExpire marks "no TTL" in Entry.ExpireAt and HashField.ExpireAt.
const NoExpire int64 = -1

// Value is a fully decoded value, as returned by Entry.Value. Exactly the
// field that matches Kind is set. All byte slices are owned by the Value.
type Value struct {
	Kind   Kind
	String []byte       // KindString
	List   [][]byte     // KindList: elements head to tail
	Set    [][]byte     // KindSet: members in file order (unordered)
	ZSet   []ZMember    // KindZSet: in file order
	Hash   []HashField  // KindHash: in file order
	Stream *Stream      // KindStream
	Module *ModuleValue // KindModule
	Array  *Array       // KindArray
	GCRA   int64        // KindGCRA: the "tat" value
}

// ZMember is one sorted-set member with its score.
type ZMember struct {
	Member []byte
	Score  float64
}

// HashField is one hash field. ExpireAt is the field's absolute expire time
// in ms since the Unix epoch, or NoExpire.
type HashField struct {
	Field    []byte
	Value    []byte
	ExpireAt int64
}

// StreamID is a stream entry ID <ms>-<seq>.
type StreamID struct {
	Ms  uint64
	Seq uint64
}

func (id StreamID) String() string {
	return strconv.FormatUint(id.Ms, 10) + "-" + strconv.FormatUint(id.Seq, 10)
}

// Less reports whether id sorts before o.
func (id StreamID) Less(o StreamID) bool {
	return id.Ms < o.Ms || (id.Ms == o.Ms && id.Seq < o.Seq)
}

// StreamEntry is one live stream entry. Fields holds field, value, field,
// value, ... in the order stored.
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// Stream is a decoded stream value (types 15, 19, 21, 26, 27), layout per
// Redis src/rdb.c rdbLoadObject and src/t_stream.c.
type Stream struct {
	Entries      []StreamEntry // live entries in ID order
	Length       uint64        // number of live entries as stored
	LastID       StreamID
	FirstID      StreamID // v2+ (type 19+); zero in v1
	MaxDeletedID StreamID // v2+
	EntriesAdded uint64   // v2+; in v1 files equal to Length
	HasV2Meta    bool     // FirstID, MaxDeletedID, EntriesAdded were stored
	Groups       []StreamGroup
	IDMP         *StreamIDMP // type 26+ only
}

// StreamGroup is a consumer group.
type StreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // -1 when unknown (stored as 2^64-1) or absent (v1)
	PEL         []StreamPending
	Consumers   []StreamConsumer
	NACK        []StreamID // type 27: NACK-zone order of released entries
}

// StreamPending is an entry of a group's pending entries list.
type StreamPending struct {
	ID            StreamID
	DeliveryTime  int64 // ms since the Unix epoch
	DeliveryCount uint64
}

// StreamConsumer is a consumer of a group.
type StreamConsumer struct {
	Name       []byte
	SeenTime   int64 // ms since the Unix epoch
	ActiveTime int64 // ms since the Unix epoch; -1 before type 21
	PEL        []StreamID
}

// StreamIDMP is the idempotent-producer state of type 26/27 streams
// (Redis 8.6+ src/rdb.c rdbSaveStreamIdmpEntries, read in rdbLoadObject).
type StreamIDMP struct {
	Duration       uint64 // seconds
	MaxEntries     uint64
	Producers      []IDMPProducer
	IIDsAdded      uint64
	IIDsDuplicates uint64
}

// IDMPProducer is one producer's tracked idempotent ids.
type IDMPProducer struct {
	PID     []byte
	Entries []IDMPEntry
}

// IDMPEntry maps an idempotent id to the stream entry it produced.
type IDMPEntry struct {
	IID []byte
	ID  StreamID
}

// ModuleValue describes a module value (type 7) that was skipped
// structurally: the module's data cannot be interpreted without the module.
type ModuleValue struct {
	ID       uint64 // 64-bit module type id
	TypeName string // 9-character module type name decoded from ID
	EncVer   int    // 10-bit encoding version
	Size     int64  // serialized bytes of the opaque body
	// Raw is the opaque body itself, Size bytes exactly as stored after
	// the module type id: the items the module's rdb_save callback wrote
	// with RM_Save* (Redis src/module.c), each a length-encoded
	// RDB_MODULE_OPCODE_* tag (src/rdb.h) and its payload, then the
	// RDB_MODULE_OPCODE_EOF tag (src/rdb.c rdbSaveObject); LZF strings
	// stay compressed. Set by Value and Walk; nil for MODULE_AUX records
	// and for values that were skipped.
	Raw []byte
}

// Array is a Redis 8.8 ARRAY value (type 28, Redis src/t_array.c; layout per
// src/rdb.c rdbSaveArraySlice and rdbLoadObject).
type Array struct {
	Elements  []ArrayElement // in file order (ascending index as written)
	HasCursor bool
	InsertIdx uint64
}

// ArrayElement tags, per Redis src/rdb.c.
const (
	ArraySDS      = 0
	ArrayInt      = 1
	ArrayFloat    = 2
	ArraySmallStr = 3
)

// ArrayElement is one non-empty array slot.
type ArrayElement struct {
	Index uint64
	Tag   int // ArraySDS, ArrayInt, ArrayFloat or ArraySmallStr
	Str   []byte
	Int   int64
	Float float64
}
