// This file holds the JSON form of a value (rdbfile.Value), the one that
// "rdbkit replay --json" prints and docs/json.md documents. It is lossless:
// everything a Value holds is written, and ValueFromJSON reads it back.
// It is deterministic: the same value gives the same bytes, whatever the
// order of an unordered collection in memory.

package convert

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// JSONBytes is a byte string in JSON, exact for any content: a plain JSON
// string when the bytes are valid UTF-8, else {"b64": "<standard base64
// with padding>"}.
type JSONBytes []byte

// MarshalJSON implements json.Marshaler.
func (b JSONBytes) MarshalJSON() ([]byte, error) {
	if utf8.Valid(b) {
		return marshalNoEscape(string(b))
	}
	return JSONBlob(b).MarshalJSON()
}

// UnmarshalJSON implements json.Unmarshaler. It accepts both forms.
func (b *JSONBytes) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err == nil {
		*b = []byte(s)
		return nil
	}
	var o struct {
		B64 *string `json:"b64"`
	}
	if err := json.Unmarshal(data, &o); err != nil {
		return err
	}
	if o.B64 == nil {
		return errors.New(`convert: byte string: want a JSON string or {"b64": ...}`)
	}
	v, err := base64.StdEncoding.DecodeString(*o.B64)
	*b = v
	return err
}

// JSONBlob is binary data in JSON: always {"b64": "<standard base64 with
// padding>"}, even when the bytes happen to be valid UTF-8. It reads both
// forms of JSONBytes.
type JSONBlob []byte

// MarshalJSON implements json.Marshaler.
func (b JSONBlob) MarshalJSON() ([]byte, error) {
	out := make([]byte, 0, base64.StdEncoding.EncodedLen(len(b))+10)
	out = append(out, `{"b64":"`...)
	out = base64.StdEncoding.AppendEncode(out, b)
	return append(out, `"}`...), nil
}

// UnmarshalJSON implements json.Unmarshaler.
func (b *JSONBlob) UnmarshalJSON(data []byte) error { return (*JSONBytes)(b).UnmarshalJSON(data) }

// MarshalNoEscape is json.Marshal without HTML escaping (<, >, & stay as
// they are).
func MarshalNoEscape(v any) ([]byte, error) { return marshalNoEscape(v) }

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil // Encode adds a newline
}

// JSONTimeFormat is the layout of times in JSON: RFC3339 in UTC with
// milliseconds.
const JSONTimeFormat = "2006-01-02T15:04:05.000Z07:00"

// JSONValue returns the JSON form of v, a value that encoding/json turns
// into the documented schema (docs/json.md, "replay --json" values):
//
//	KindString  JSONBytes
//	KindList    []JSONBytes, head to tail
//	KindSet     []JSONBytes, sorted by bytes
//	KindZSet    []JSONZMember, in ZRANGE order (score, then member bytes)
//	KindHash    []JSONHashField, sorted by field bytes
//	KindStream  *JSONStream
//	KindModule  *JSONModule
//	KindArray   *JSONArray
//	KindGCRA    *JSONGCRA
//
// It returns nil (JSON null) for a nil v or a stream or module without
// its data. Byte slices of v are shared, not copied.
func JSONValue(v *rdbfile.Value) any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case rdbfile.KindString:
		return JSONBytes(v.String)
	case rdbfile.KindList:
		return bytesList(v.List)
	case rdbfile.KindSet:
		s := bytesList(v.Set)
		slices.SortFunc(s, func(a, b JSONBytes) int { return bytes.Compare(a, b) })
		return s
	case rdbfile.KindZSet:
		z := make([]JSONZMember, len(v.ZSet))
		for i, m := range v.ZSet {
			z[i] = JSONZMember{Member: m.Member, Score: m.Score}
		}
		slices.SortFunc(z, func(a, b JSONZMember) int {
			if a.Score != b.Score {
				if a.Score < b.Score {
					return -1
				}
				return 1
			}
			return bytes.Compare(a.Member, b.Member)
		})
		return z
	case rdbfile.KindHash:
		h := make([]JSONHashField, len(v.Hash))
		for i, f := range v.Hash {
			h[i] = JSONHashField{Field: f.Field, Value: f.Value, ExpireAt: f.ExpireAt}
		}
		slices.SortFunc(h, func(a, b JSONHashField) int { return bytes.Compare(a.Field, b.Field) })
		return h
	case rdbfile.KindStream:
		if v.Stream == nil {
			return nil
		}
		return streamJSON(v.Stream)
	case rdbfile.KindModule:
		if v.Module == nil {
			return nil
		}
		m := &JSONModule{Module: v.Module.TypeName, EncVer: v.Module.EncVer, ID: v.Module.ID}
		if v.Module.Raw != nil {
			raw := JSONBlob(v.Module.Raw)
			m.Raw = &raw
		}
		return m
	case rdbfile.KindArray:
		a := &JSONArray{Elements: []JSONArrayElement{}}
		if v.Array == nil {
			return a
		}
		if v.Array.HasCursor {
			n := v.Array.InsertIdx
			a.InsertIndex = &n
		}
		for _, el := range v.Array.Elements {
			je := JSONArrayElement{Index: el.Index}
			switch el.Tag {
			case rdbfile.ArrayInt:
				je.Tag, je.Value = "int", el.Int
			case rdbfile.ArrayFloat:
				je.Tag, je.Value = "float", FloatJSON(el.Float)
			case rdbfile.ArraySmallStr:
				je.Tag, je.Value = "smallstr", JSONBytes(el.Str)
			default:
				je.Tag, je.Value = "sds", JSONBytes(el.Str)
			}
			a.Elements = append(a.Elements, je)
		}
		return a
	case rdbfile.KindGCRA:
		return &JSONGCRA{TAT: v.GCRA}
	}
	return nil
}

func bytesList(list [][]byte) []JSONBytes {
	out := make([]JSONBytes, len(list))
	for i, b := range list {
		out[i] = b
	}
	return out
}

// JSONZMember is a sorted-set member: the JSON array [member, score], with
// the score a JSON number, or "inf", "-inf" or "nan".
type JSONZMember struct {
	Member JSONBytes
	Score  float64
}

// MarshalJSON implements json.Marshaler.
func (m JSONZMember) MarshalJSON() ([]byte, error) {
	return marshalNoEscape([2]any{m.Member, FloatJSON(m.Score)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (m *JSONZMember) UnmarshalJSON(data []byte) error {
	var a []json.RawMessage
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	if len(a) != 2 {
		return fmt.Errorf("convert: zset member: want [member, score], got %d items", len(a))
	}
	if err := json.Unmarshal(a[0], &m.Member); err != nil {
		return err
	}
	var err error
	m.Score, err = parseFloatJSON(a[1])
	return err
}

// JSONHashField is a hash field: the JSON array [field, value, expire_at]
// with expire_at null without a field TTL, else the absolute expire time
// as an RFC3339 time (JSONTimeFormat); a time outside the years 0 to 9999,
// which RFC3339 cannot write, is an integer in ms since the Unix epoch.
type JSONHashField struct {
	Field    JSONBytes
	Value    JSONBytes
	ExpireAt int64 // ms since the Unix epoch, or rdbfile.NoExpire
}

// MarshalJSON implements json.Marshaler.
func (f JSONHashField) MarshalJSON() ([]byte, error) {
	return marshalNoEscape([3]any{f.Field, f.Value, TimeJSON(f.ExpireAt)})
}

// UnmarshalJSON implements json.Unmarshaler.
func (f *JSONHashField) UnmarshalJSON(data []byte) error {
	var a []json.RawMessage
	if err := json.Unmarshal(data, &a); err != nil {
		return err
	}
	if len(a) != 3 {
		return fmt.Errorf("convert: hash field: want [field, value, expire_at], got %d items", len(a))
	}
	if err := json.Unmarshal(a[0], &f.Field); err != nil {
		return err
	}
	if err := json.Unmarshal(a[1], &f.Value); err != nil {
		return err
	}
	var err error
	f.ExpireAt, err = ParseTimeJSON(a[2])
	return err
}

// TimeJSON returns the JSON value of an absolute time in ms since the Unix
// epoch: nil for rdbfile.NoExpire, an RFC3339 string (JSONTimeFormat) for
// the years 0 to 9999, else the integer itself.
func TimeJSON(ms int64) any {
	if ms == rdbfile.NoExpire {
		return nil
	}
	t := time.UnixMilli(ms).UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return ms
	}
	return t.Format(JSONTimeFormat)
}

// ParseTimeJSON reads what TimeJSON writes: null gives rdbfile.NoExpire.
func ParseTimeJSON(data json.RawMessage) (int64, error) {
	var x any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&x); err != nil {
		return 0, err
	}
	switch x := x.(type) {
	case nil:
		return rdbfile.NoExpire, nil
	case json.Number:
		return strconv.ParseInt(string(x), 10, 64)
	case string:
		t, err := time.Parse(JSONTimeFormat, x)
		if err != nil {
			return 0, err
		}
		return t.UnixMilli(), nil
	}
	return 0, fmt.Errorf("convert: time: want null, a string or an integer, got %s", data)
}

// FloatJSON returns the JSON value of a float64 (a score, an array
// element): f itself, or "inf", "-inf" or "nan", which JSON numbers
// cannot write.
func FloatJSON(f float64) any {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	case math.IsNaN(f):
		return "nan"
	}
	return f
}

func parseFloatJSON(data json.RawMessage) (float64, error) {
	var s string
	if json.Unmarshal(data, &s) == nil {
		switch s {
		case "inf":
			return math.Inf(1), nil
		case "-inf":
			return math.Inf(-1), nil
		case "nan":
			return math.NaN(), nil
		}
		return 0, fmt.Errorf("convert: number: want a JSON number, \"inf\", \"-inf\" or \"nan\", got %q", s)
	}
	var f float64
	err := json.Unmarshal(data, &f)
	return f, err
}

// JSONStream is a stream (Redis src/t_stream.c; RDB layout per src/rdb.c
// rdbSaveObject, stream types 15, 19, 21, 26, 27). IDs are "<ms>-<seq>"
// strings; times are integers in ms since the Unix epoch, exact whatever
// their value. Entries are in ID order; groups, consumers and pending
// lists are sorted (by name bytes, by ID) as the server's radix trees
// keep them; the NACK zone and the IDMP producers keep their stored order.
type JSONStream struct {
	Length       uint64            `json:"length"`         // live entries as stored (XLEN)
	LastID       string            `json:"last_id"`        // last generated ID
	FirstID      string            `json:"first_id"`       // recorded first entry ID
	MaxDeletedID string            `json:"max_deleted_id"` // largest deleted entry ID
	EntriesAdded uint64            `json:"entries_added"`  // entries ever added
	V2Meta       bool              `json:"v2_meta"`        // first_id, max_deleted_id and entries_added were stored (types 19+)
	Entries      []JSONStreamEntry `json:"entries"`
	Groups       []JSONStreamGroup `json:"groups"`
	IDMP         *JSONStreamIDMP   `json:"idmp"` // idempotent-producer state (types 26+), or null
}

// JSONStreamEntry is a live stream entry; Fields is field, value, field,
// value, ... in stored order.
type JSONStreamEntry struct {
	ID     string      `json:"id"`
	Fields []JSONBytes `json:"fields"`
}

// JSONStreamGroup is a consumer group.
type JSONStreamGroup struct {
	Name        JSONBytes      `json:"name"`
	LastID      string         `json:"last_delivered_id"`
	EntriesRead int64          `json:"entries_read"` // -1: unknown
	Pending     int            `json:"pending"`      // len(pel)
	PEL         []JSONPending  `json:"pel"`          // the group's pending entries list, by ID
	Consumers   []JSONConsumer `json:"consumers"`    // by name
	NACK        []string       `json:"nack"`         // type 27: the NACK zone, in its order
}

// JSONPending is an entry of a group's pending entries list.
type JSONPending struct {
	ID            string `json:"id"`
	DeliveryTime  int64  `json:"delivery_time_ms"`
	DeliveryCount uint64 `json:"delivery_count"`
}

// JSONConsumer is a consumer of a group, with the IDs of the pending
// entries it owns (sorted).
type JSONConsumer struct {
	Name       JSONBytes `json:"name"`
	SeenTime   int64     `json:"seen_time_ms"`
	ActiveTime int64     `json:"active_time_ms"` // -1 before stream type 21
	PEL        []string  `json:"pel"`
}

// JSONStreamIDMP is the idempotent-producer state of stream types 26 and
// 27 (Redis src/rdb.c rdbSaveStreamIdmpEntries).
type JSONStreamIDMP struct {
	Duration       uint64             `json:"duration_s"` // seconds
	MaxEntries     uint64             `json:"max_entries"`
	Producers      []JSONIDMPProducer `json:"producers"`
	IIDsAdded      uint64             `json:"iids_added"`
	IIDsDuplicates uint64             `json:"iids_duplicates"`
}

// JSONIDMPProducer is one producer's tracked idempotent IDs.
type JSONIDMPProducer struct {
	PID     JSONBytes       `json:"pid"`
	Entries []JSONIDMPEntry `json:"entries"`
}

// JSONIDMPEntry maps an idempotent ID to the stream entry it produced.
type JSONIDMPEntry struct {
	IID JSONBytes `json:"iid"`
	ID  string    `json:"id"`
}

func streamJSON(s *rdbfile.Stream) *JSONStream {
	st := &JSONStream{Length: s.Length, LastID: s.LastID.String(), FirstID: s.FirstID.String(),
		MaxDeletedID: s.MaxDeletedID.String(), EntriesAdded: s.EntriesAdded, V2Meta: s.HasV2Meta,
		Entries: make([]JSONStreamEntry, 0, len(s.Entries)), Groups: make([]JSONStreamGroup, 0, len(s.Groups))}
	for _, e := range s.Entries {
		st.Entries = append(st.Entries, JSONStreamEntry{ID: e.ID.String(), Fields: bytesList(e.Fields)})
	}
	for _, g := range s.Groups {
		jg := JSONStreamGroup{Name: g.Name, LastID: g.LastID.String(), EntriesRead: g.EntriesRead, Pending: len(g.PEL),
			PEL: make([]JSONPending, 0, len(g.PEL)), Consumers: make([]JSONConsumer, 0, len(g.Consumers)), NACK: idStrings(g.NACK, false)}
		pel := slices.Clone(g.PEL)
		slices.SortFunc(pel, func(a, b rdbfile.StreamPending) int { return idCmp(a.ID, b.ID) })
		for _, p := range pel {
			jg.PEL = append(jg.PEL, JSONPending{ID: p.ID.String(), DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount})
		}
		for _, c := range g.Consumers {
			jg.Consumers = append(jg.Consumers, JSONConsumer{Name: c.Name, SeenTime: c.SeenTime, ActiveTime: c.ActiveTime,
				PEL: idStrings(c.PEL, true)})
		}
		slices.SortFunc(jg.Consumers, func(a, b JSONConsumer) int { return bytes.Compare(a.Name, b.Name) })
		st.Groups = append(st.Groups, jg)
	}
	slices.SortFunc(st.Groups, func(a, b JSONStreamGroup) int { return bytes.Compare(a.Name, b.Name) })
	if m := s.IDMP; m != nil {
		jm := &JSONStreamIDMP{Duration: m.Duration, MaxEntries: m.MaxEntries, IIDsAdded: m.IIDsAdded,
			IIDsDuplicates: m.IIDsDuplicates, Producers: make([]JSONIDMPProducer, 0, len(m.Producers))}
		for _, p := range m.Producers {
			jp := JSONIDMPProducer{PID: p.PID, Entries: make([]JSONIDMPEntry, 0, len(p.Entries))}
			for _, e := range p.Entries {
				jp.Entries = append(jp.Entries, JSONIDMPEntry{IID: e.IID, ID: e.ID.String()})
			}
			jm.Producers = append(jm.Producers, jp)
		}
		st.IDMP = jm
	}
	return st
}

func idCmp(a, b rdbfile.StreamID) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

func idStrings(ids []rdbfile.StreamID, sorted bool) []string {
	if sorted {
		ids = slices.Clone(ids)
		slices.SortFunc(ids, idCmp)
	}
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// JSONModule is a module value (RDB type 7, MODULE_2): the module type
// name and encoding version decoded from the 64-bit type id (Redis
// src/module.c moduleTypeNameByID), the id itself, and the value's body
// as stored after the id (rdbfile.ModuleValue.Raw: the module's tagged
// items and the EOF tag), or null when it was not read.
type JSONModule struct {
	Module string    `json:"module"`
	EncVer int       `json:"encver"`
	ID     uint64    `json:"id"`
	Raw    *JSONBlob `json:"raw"`
}

// JSONArray is a Redis 8.8 array (RDB type 28; Redis src/t_array.c,
// src/rdb.c): its non-empty slots in stored (ascending index) order, and
// the insert cursor (ARINSERT's next index) or null without one.
type JSONArray struct {
	Elements    []JSONArrayElement `json:"elements"`
	InsertIndex *uint64            `json:"insert_index"`
}

// JSONArrayElement is one array slot. Tag is how the slot is stored:
// "sds" and "smallstr" (a string of at most 7 bytes) hold a byte string,
// "int" a signed 64-bit integer, "float" a double (a JSON number, or
// "inf", "-inf", "nan").
type JSONArrayElement struct {
	Index uint64 `json:"index"`
	Tag   string `json:"tag"`
	Value any    `json:"value"`
}

// UnmarshalJSON implements json.Unmarshaler: Value is left as a
// json.RawMessage, so that 64-bit integers keep every digit.
func (e *JSONArrayElement) UnmarshalJSON(data []byte) error {
	var x struct {
		Index uint64          `json:"index"`
		Tag   string          `json:"tag"`
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(data, &x); err != nil {
		return err
	}
	e.Index, e.Tag, e.Value = x.Index, x.Tag, x.Value
	return nil
}

// JSONGCRA is a GCRA rate-limiter value (RDB type 33, Redis built with
// ENABLE_GCRA): its stored "tat" (theoretical arrival time) integer.
type JSONGCRA struct {
	TAT int64 `json:"tat"`
}

// ValueFromJSON reads back the JSON form of a value of kind k, as
// JSONValue wrote it. The Value owns its byte slices. Collections come
// back in the JSON order (sorted where JSONValue sorts); the JSON form of a
// stream does not say which consumer group came first in the file. It
// returns an error for malformed JSON or a value that does not fit k.
func ValueFromJSON(k rdbfile.Kind, data []byte) (*rdbfile.Value, error) {
	v := &rdbfile.Value{Kind: k}
	var err error
	switch k {
	case rdbfile.KindString:
		var b JSONBytes
		err = json.Unmarshal(data, &b)
		v.String = b
	case rdbfile.KindList, rdbfile.KindSet:
		var list []JSONBytes
		err = json.Unmarshal(data, &list)
		out := make([][]byte, len(list))
		for i, b := range list {
			out[i] = b
		}
		if k == rdbfile.KindList {
			v.List = out
		} else {
			v.Set = out
		}
	case rdbfile.KindZSet:
		var z []JSONZMember
		err = json.Unmarshal(data, &z)
		for _, m := range z {
			v.ZSet = append(v.ZSet, rdbfile.ZMember{Member: m.Member, Score: m.Score})
		}
	case rdbfile.KindHash:
		var h []JSONHashField
		err = json.Unmarshal(data, &h)
		for _, f := range h {
			v.Hash = append(v.Hash, rdbfile.HashField{Field: f.Field, Value: f.Value, ExpireAt: f.ExpireAt})
		}
	case rdbfile.KindStream:
		var s *JSONStream
		if err = json.Unmarshal(data, &s); err == nil && s != nil {
			v.Stream, err = s.value()
		}
	case rdbfile.KindModule:
		var m *JSONModule
		if err = json.Unmarshal(data, &m); err == nil && m != nil {
			v.Module = &rdbfile.ModuleValue{ID: m.ID, TypeName: m.Module, EncVer: m.EncVer}
			if m.Raw != nil {
				v.Module.Raw = []byte(*m.Raw)
				v.Module.Size = int64(len(*m.Raw))
			}
		}
	case rdbfile.KindArray:
		var a JSONArray
		if err = json.Unmarshal(data, &a); err == nil {
			v.Array, err = a.value()
		}
	case rdbfile.KindGCRA:
		var g JSONGCRA
		err = json.Unmarshal(data, &g)
		v.GCRA = g.TAT
	default:
		return nil, fmt.Errorf("convert: no JSON form for values of kind %v", k)
	}
	if err != nil {
		return nil, fmt.Errorf("convert: %v value: %w", k, err)
	}
	return v, nil
}

func parseID(s string) (rdbfile.StreamID, error) {
	ms, seq, ok := strings.Cut(s, "-")
	a, err1 := strconv.ParseUint(ms, 10, 64)
	b, err2 := strconv.ParseUint(seq, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return rdbfile.StreamID{}, fmt.Errorf("stream ID %q: want <ms>-<seq>", s)
	}
	return rdbfile.StreamID{Ms: a, Seq: b}, nil
}

func parseIDs(list []string) ([]rdbfile.StreamID, error) {
	var out []rdbfile.StreamID
	for _, s := range list {
		id, err := parseID(s)
		if err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, nil
}

func (s *JSONStream) value() (*rdbfile.Stream, error) {
	st := &rdbfile.Stream{Length: s.Length, EntriesAdded: s.EntriesAdded, HasV2Meta: s.V2Meta}
	var err error
	for _, x := range []struct {
		dst *rdbfile.StreamID
		s   string
	}{{&st.LastID, s.LastID}, {&st.FirstID, s.FirstID}, {&st.MaxDeletedID, s.MaxDeletedID}} {
		if *x.dst, err = parseID(x.s); err != nil {
			return nil, err
		}
	}
	for _, e := range s.Entries {
		se := rdbfile.StreamEntry{Fields: make([][]byte, len(e.Fields))}
		if se.ID, err = parseID(e.ID); err != nil {
			return nil, err
		}
		for i, f := range e.Fields {
			se.Fields[i] = f
		}
		st.Entries = append(st.Entries, se)
	}
	for _, g := range s.Groups {
		sg := rdbfile.StreamGroup{Name: g.Name, EntriesRead: g.EntriesRead}
		if sg.LastID, err = parseID(g.LastID); err != nil {
			return nil, err
		}
		if sg.NACK, err = parseIDs(g.NACK); err != nil {
			return nil, err
		}
		for _, p := range g.PEL {
			sp := rdbfile.StreamPending{DeliveryTime: p.DeliveryTime, DeliveryCount: p.DeliveryCount}
			if sp.ID, err = parseID(p.ID); err != nil {
				return nil, err
			}
			sg.PEL = append(sg.PEL, sp)
		}
		for _, c := range g.Consumers {
			sc := rdbfile.StreamConsumer{Name: c.Name, SeenTime: c.SeenTime, ActiveTime: c.ActiveTime}
			if sc.PEL, err = parseIDs(c.PEL); err != nil {
				return nil, err
			}
			sg.Consumers = append(sg.Consumers, sc)
		}
		st.Groups = append(st.Groups, sg)
	}
	if m := s.IDMP; m != nil {
		st.IDMP = &rdbfile.StreamIDMP{Duration: m.Duration, MaxEntries: m.MaxEntries, IIDsAdded: m.IIDsAdded, IIDsDuplicates: m.IIDsDuplicates}
		for _, p := range m.Producers {
			ip := rdbfile.IDMPProducer{PID: p.PID}
			for _, e := range p.Entries {
				ie := rdbfile.IDMPEntry{IID: e.IID}
				if ie.ID, err = parseID(e.ID); err != nil {
					return nil, err
				}
				ip.Entries = append(ip.Entries, ie)
			}
			st.IDMP.Producers = append(st.IDMP.Producers, ip)
		}
	}
	return st, nil
}

func (a *JSONArray) value() (*rdbfile.Array, error) {
	arr := &rdbfile.Array{}
	if a.InsertIndex != nil {
		arr.HasCursor, arr.InsertIdx = true, *a.InsertIndex
	}
	for _, e := range a.Elements {
		el := rdbfile.ArrayElement{Index: e.Index}
		raw, ok := e.Value.(json.RawMessage) // as UnmarshalJSON leaves it
		if !ok {
			var err error
			if raw, err = json.Marshal(e.Value); err != nil {
				return nil, err
			}
		}
		var err error
		switch e.Tag {
		case "sds", "smallstr":
			el.Tag = rdbfile.ArraySDS
			if e.Tag == "smallstr" {
				el.Tag = rdbfile.ArraySmallStr
			}
			var b JSONBytes
			err = json.Unmarshal(raw, &b)
			el.Str = b
		case "int":
			el.Tag = rdbfile.ArrayInt
			err = json.Unmarshal(raw, &el.Int)
		case "float":
			el.Tag = rdbfile.ArrayFloat
			el.Float, err = parseFloatJSON(raw)
		default:
			err = fmt.Errorf("array element tag %q: want sds, smallstr, int or float", e.Tag)
		}
		if err != nil {
			return nil, fmt.Errorf("array element %d: %w", e.Index, err)
		}
		arr.Elements = append(arr.Elements, el)
	}
	return arr, nil
}
