package rdbscan

import (
	"bytes"
	"container/heap"
	"sort"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Summary collects statistics about the records of one file: per database,
// per object type, function libraries, module types and the biggest keys.
// It never reads input itself and holds no reference to an Entry after Add
// returns. The zero value is ready to use (with no top-N list and no expiry
// reference time).
//
//	s := &rdbscan.Summary{TopN: 10, Now: nowMs}
//	for {
//		e, err := r.Next()
//		...
//		if e.Kind == rdbfile.EntryKey {
//			if err := e.Skip(); err != nil { ... } // Size and Len are known now
//		}
//		s.Add(e)
//	}
type Summary struct {
	// TopN is how many of the biggest keys (by serialized size) to keep.
	TopN int
	// Now is the reference time in ms since the Unix epoch for counting keys
	// that are already expired (ExpireAt < Now, as a server decides). Zero
	// disables that count. The library never reads the clock itself.
	Now int64

	Keys      int64 // key records
	Expires   int64 // keys with a TTL
	Expired   int64 // keys whose TTL is before Now
	KeyBytes  int64 // serialized bytes of all key records (Entry.Size)
	Elements  int64 // elements of all values (Entry.Len)
	WithIdle  int64 // keys preceded by an IDLE opcode (LRU)
	WithFreq  int64 // keys preceded by a FREQ opcode (LFU)
	WithMeta  int64 // keys with KEY_META (Redis 8.6+)
	SlotInfos int64 // SLOT_INFO records (Redis 7.4+ cluster mode)
	// Aux holds AUX records found after other records (the header's leading
	// AUX fields are in Header.Aux).
	Aux []rdbfile.Aux

	dbs       map[int]*DBStats
	types     map[rdbfile.Type]*TypeStats
	functions []FunctionLibrary
	modules   map[string]*ModuleStats
	top       topHeap
}

// DBStats counts the keys of one database.
type DBStats struct {
	DB       int
	Keys     int64
	Expires  int64
	Expired  int64
	KeyBytes int64
	// Resize holds the RESIZEDB hint (keys, expires) when the file has one.
	HasResize     bool
	ResizeKeys    uint64
	ResizeExpires uint64
}

// TypeStats counts the keys stored with one object type id, e.g. all
// HASH_LISTPACK values.
type TypeStats struct {
	Type     rdbfile.Type
	TypeName string           // dialect-aware name, e.g. "HASH_2"
	Kind     rdbfile.Kind     // logical type (TYPE command)
	Encoding rdbfile.Encoding // encoding the type id stands for
	Count    int64
	Bytes    int64 // serialized bytes of the key records (Entry.Size)
	Elements int64 // sum of Entry.Len
}

// KeyStat describes one key for the top-N list.
type KeyStat struct {
	DB       int
	Key      []byte
	Type     rdbfile.Type
	TypeName string
	Kind     rdbfile.Kind
	Encoding rdbfile.Encoding
	Size     int64 // serialized bytes of the record (Entry.Size)
	Len      int64 // elements (Entry.Len)
	ExpireAt int64 // ms since the Unix epoch, or NoExpire
	Offset   int64 // offset of the record
}

// FunctionLibrary is a FUNCTION2 record: a function library's source.
type FunctionLibrary struct {
	Engine string // from the "#!<engine> name=<name>" first line, e.g. "lua"
	Name   string // library name, "" if the first line has none
	Size   int    // bytes of source code
	Offset int64  // offset of the record
}

// ModuleStats counts what the file holds for one module type.
type ModuleStats struct {
	TypeName string // 9-character module type name, e.g. "ReJSON-RL"
	EncVer   int    // highest encoding version seen
	Keys     int64  // module values (type 7)
	Bytes    int64  // serialized bytes of those values
	AuxCount int64  // MODULE_AUX records
}

// Add accounts for one record. For key records call it after the value was
// consumed (Skip, Value or Walk), when Entry.Size and Entry.Len are known.
func (s *Summary) Add(e *rdbfile.Entry) {
	switch e.Kind {
	case rdbfile.EntryKey:
		s.addKey(e)
	case rdbfile.EntryResizeDB:
		d := s.db(e.DB)
		d.HasResize, d.ResizeKeys, d.ResizeExpires = true, e.DBSize, e.ExpiresSize
	case rdbfile.EntryFunction:
		lib, _ := ParseLibraryHeader(e.Data)
		lib.Size, lib.Offset = len(e.Data), e.Offset
		s.functions = append(s.functions, lib)
	case rdbfile.EntryModuleAux:
		if e.Module != nil {
			m := s.module(e.Module)
			m.AuxCount++
		}
	case rdbfile.EntrySlotInfo:
		s.SlotInfos++
	case rdbfile.EntryAux:
		s.Aux = append(s.Aux, rdbfile.Aux{Name: bytes.Clone(e.Key), Value: bytes.Clone(e.Data), Offset: e.Offset})
	case rdbfile.EntrySelectDB:
		s.db(e.DB)
	}
}

func (s *Summary) addKey(e *rdbfile.Entry) {
	s.Keys++
	s.KeyBytes += e.Size
	s.Elements += e.Len
	d := s.db(e.DB)
	d.Keys++
	d.KeyBytes += e.Size
	if e.ExpireAt != rdbfile.NoExpire {
		s.Expires++
		d.Expires++
		if s.Now != 0 && e.ExpireAt < s.Now {
			s.Expired++
			d.Expired++
		}
	}
	if e.Idle >= 0 {
		s.WithIdle++
	}
	if e.Freq >= 0 {
		s.WithFreq++
	}
	if len(e.KeyMeta) > 0 {
		s.WithMeta++
	}
	if s.types == nil {
		s.types = map[rdbfile.Type]*TypeStats{}
	}
	t := s.types[e.Type]
	if t == nil {
		t = &TypeStats{Type: e.Type, TypeName: e.TypeName, Kind: e.ValueKind, Encoding: e.Encoding}
		s.types[e.Type] = t
	}
	t.Count++
	t.Bytes += e.Size
	t.Elements += e.Len
	if e.ValueKind == rdbfile.KindModule && e.Module != nil {
		m := s.module(e.Module)
		m.Keys++
		m.Bytes += e.Size
	}
	if s.TopN > 0 {
		s.pushTop(e)
	}
}

func (s *Summary) db(n int) *DBStats {
	if s.dbs == nil {
		s.dbs = map[int]*DBStats{}
	}
	d := s.dbs[n]
	if d == nil {
		d = &DBStats{DB: n}
		s.dbs[n] = d
	}
	return d
}

func (s *Summary) module(mv *rdbfile.ModuleValue) *ModuleStats {
	if s.modules == nil {
		s.modules = map[string]*ModuleStats{}
	}
	m := s.modules[mv.TypeName]
	if m == nil {
		m = &ModuleStats{TypeName: mv.TypeName}
		s.modules[mv.TypeName] = m
	}
	m.EncVer = max(m.EncVer, mv.EncVer)
	return m
}

// DBs returns the per-database counts in database order. A database that
// was selected but holds no key is listed with zero counts.
func (s *Summary) DBs() []DBStats {
	out := make([]DBStats, 0, len(s.dbs))
	for _, d := range s.dbs {
		out = append(out, *d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].DB < out[j].DB })
	return out
}

// Types returns the per-type counts ordered by logical type, then type id.
func (s *Summary) Types() []TypeStats {
	out := make([]TypeStats, 0, len(s.types))
	for _, t := range s.types {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Type < out[j].Type
	})
	return out
}

// Functions returns the function libraries in file order.
func (s *Summary) Functions() []FunctionLibrary { return s.functions }

// Modules returns the module types seen, by name.
func (s *Summary) Modules() []ModuleStats {
	out := make([]ModuleStats, 0, len(s.modules))
	for _, m := range s.modules {
		out = append(out, *m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TypeName < out[j].TypeName })
	return out
}

// Top returns the TopN biggest keys, biggest first; keys of equal size in
// file order.
func (s *Summary) Top() []KeyStat {
	out := append([]KeyStat(nil), s.top...)
	sort.Slice(out, func(i, j int) bool { return topBetter(out[i], out[j]) })
	return out
}

func (s *Summary) pushTop(e *rdbfile.Entry) {
	k := KeyStat{DB: e.DB, Type: e.Type, TypeName: e.TypeName, Kind: e.ValueKind, Encoding: e.Encoding,
		Size: e.Size, Len: e.Len, ExpireAt: e.ExpireAt, Offset: e.Offset}
	if len(s.top) < s.TopN {
		k.Key = bytes.Clone(e.Key)
		heap.Push(&s.top, k)
		return
	}
	if !topBetter(k, s.top[0]) {
		return
	}
	k.Key = append(s.top[0].Key[:0], e.Key...)
	s.top[0] = k
	heap.Fix(&s.top, 0)
}

// topBetter reports whether a ranks before b: bigger, or as big and earlier.
func topBetter(a, b KeyStat) bool {
	if a.Size != b.Size {
		return a.Size > b.Size
	}
	return a.Offset < b.Offset
}

// topHeap is a min-heap: the root is the key that ranks last.
type topHeap []KeyStat

func (h topHeap) Len() int           { return len(h) }
func (h topHeap) Less(i, j int) bool { return topBetter(h[j], h[i]) }
func (h topHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *topHeap) Push(x any)        { *h = append(*h, x.(KeyStat)) }
func (h *topHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// ParseLibraryHeader reads the first line of a function library's source,
// "#!<engine> name=<name> [...]" (Redis src/functions.c
// functionExtractLibMetaData). ok is false when the code does not start
// with a "#!" line; Name is empty when the line has no name= part.
func ParseLibraryHeader(code []byte) (lib FunctionLibrary, ok bool) {
	if !bytes.HasPrefix(code, []byte("#!")) {
		return lib, false
	}
	line := code[2:]
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	parts := bytes.Fields(line)
	if len(parts) == 0 {
		return lib, false
	}
	lib.Engine = string(parts[0])
	for _, p := range parts[1:] {
		if v, found := bytes.CutPrefix(p, []byte("name=")); found {
			lib.Name = string(v)
		}
	}
	return lib, true
}
