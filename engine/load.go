package engine

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// LoadRDB reads every record of r into the keyspace, as the server loads an
// RDB file or the RDB preamble of an AOF: keys go to the database of their
// SELECTDB (replacing a key of the same name), FUNCTION2 records become
// function libraries, AUX and other metadata are ignored. Keys are kept
// whatever their expire time (AOF-preamble semantics: nothing is expired
// while loading) and empty aggregates are skipped, as the server does.
// Errors of r are returned as they are (*rdbfile.CorruptError, ...).
func (e *Engine) LoadRDB(r *rdbfile.Reader) error {
	for {
		ent, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if err := e.LoadEntry(ent); err != nil {
			return err
		}
	}
}

// ErrTooManyDBs is returned by LoadEntry for a key of a database the
// engine does not have (Options.Databases).
var ErrTooManyDBs = errors.New("engine: database index out of range")

// LoadEntry adds one record read from an RDB file (see LoadRDB). Only
// EntryKey and EntryFunction records have an effect; the value is
// consumed.
func (e *Engine) LoadEntry(ent *rdbfile.Entry) error {
	switch ent.Kind {
	case rdbfile.EntryFunction:
		name, ok := libraryName(ent.Data)
		if !ok {
			return fmt.Errorf("engine: function library at offset %d: no \"#!<engine> name=<library>\" header", ent.Offset)
		}
		e.libs[name] = clone(ent.Data)
		return nil
	case rdbfile.EntryKey:
	default:
		return nil
	}
	if ent.DB < 0 || ent.DB >= len(e.dbs) {
		return fmt.Errorf("%w: key %q in database %d (engine has %d)", ErrTooManyDBs, ent.Key, ent.DB, len(e.dbs))
	}
	o, err := e.walkValue(ent)
	if err != nil {
		return err
	}
	if o == nil {
		return nil // empty aggregate: the server skips it
	}
	e.dbs[ent.DB].put(ent.Key, o, ent.ExpireAt)
	return nil
}

// walkValue decodes an entry's value element by element (Entry.Walk) into
// the engine's packed forms, so that big values are not held twice.
func (e *Engine) walkValue(ent *rdbfile.Entry) (object, error) {
	var o object
	var fn func(el *rdbfile.Element) error
	var ms [][]byte
	var ss []float64
	switch ent.ValueKind {
	case rdbfile.KindString:
		fn = func(el *rdbfile.Element) error { o = newString(el.Member); return nil }
	case rdbfile.KindList:
		l := &listObj{}
		o, fn = l, func(el *rdbfile.Element) error { l.pushBack(el.Member); return nil }
	case rdbfile.KindSet:
		st := &setObj{}
		o, fn = st, func(el *rdbfile.Element) error { st.add(el.Member); return nil }
	case rdbfile.KindHash:
		h := &hashObj{}
		o, fn = h, func(el *rdbfile.Element) error { h.set(el.Member, el.Value, el.ExpireAt); return nil }
	case rdbfile.KindZSet:
		// Collected first: the encoding (and so -0 handling) depends on the
		// final size, as when the server converts after loading.
		fn = func(el *rdbfile.Element) error {
			ms = append(ms, clone(el.Member))
			ss = append(ss, el.Score)
			return nil
		}
	case rdbfile.KindStream:
		sm := &streamObj{}
		o, fn = sm, func(el *rdbfile.Element) error { sm.append(el.Stream.ID, el.Stream.Fields); return nil }
	default:
		val, err := ent.Value()
		if err != nil {
			return nil, err
		}
		o, err = e.fromValue(val)
		if err != nil {
			return nil, fmt.Errorf("engine: key %q: %w", ent.Key, err)
		}
		return o, nil
	}
	if err := ent.Walk(fn); err != nil {
		return nil, err
	}
	switch x := o.(type) {
	case *streamObj:
		meta := ent.StreamMeta()
		if meta == nil {
			meta = &rdbfile.Stream{}
		}
		m := *meta
		m.Entries = nil
		streamMeta(x, &m)
		return x, nil
	case nil:
		if ent.ValueKind != rdbfile.KindZSet || len(ms) == 0 {
			return nil, nil
		}
		seen := make(map[string]bool, len(ms))
		for _, m := range ms {
			if seen[string(m)] {
				return nil, fmt.Errorf("engine: key %q: duplicate sorted-set member", ent.Key)
			}
			seen[string(m)] = true
		}
		return newZSetSized(e.v, ms, ss), nil
	}
	if o.length() == 0 {
		return nil, nil
	}
	return o, nil
}

// fromValue converts a decoded RDB value. It returns nil for an empty list,
// set, sorted set or hash (the server refuses to create them).
func (e *Engine) fromValue(v *rdbfile.Value) (object, error) {
	switch v.Kind {
	case rdbfile.KindString:
		return newString(v.String), nil
	case rdbfile.KindList:
		if len(v.List) == 0 {
			return nil, nil
		}
		l := &listObj{}
		for _, x := range v.List {
			l.pushBack(x)
		}
		return l, nil
	case rdbfile.KindSet:
		if len(v.Set) == 0 {
			return nil, nil
		}
		s := &setObj{}
		for _, m := range v.Set {
			s.add(m)
		}
		return s, nil
	case rdbfile.KindZSet:
		if len(v.ZSet) == 0 {
			return nil, nil
		}
		ms := make([][]byte, 0, len(v.ZSet))
		ss := make([]float64, 0, len(v.ZSet))
		seen := make(map[string]bool, len(v.ZSet))
		for _, z := range v.ZSet {
			if seen[string(z.Member)] {
				return nil, errors.New("duplicate sorted-set member")
			}
			seen[string(z.Member)] = true
			ms = append(ms, z.Member)
			ss = append(ss, z.Score)
		}
		return newZSetSized(e.v, ms, ss), nil
	case rdbfile.KindHash:
		if len(v.Hash) == 0 {
			return nil, nil
		}
		h := &hashObj{}
		for _, f := range v.Hash {
			h.set(f.Field, f.Value, f.ExpireAt)
		}
		return h, nil
	case rdbfile.KindStream:
		return streamFromValue(v.Stream), nil
	case rdbfile.KindModule:
		if v.Module == nil {
			return nil, errors.New("module value without metadata")
		}
		mv := *v.Module
		return &moduleObj{mv: &mv}, nil
	case rdbfile.KindArray, rdbfile.KindGCRA:
		return &opaqueObj{v: v}, nil
	}
	return nil, errors.New("value of unknown kind " + v.Kind.String())
}

func streamFromValue(st *rdbfile.Stream) *streamObj {
	s := &streamObj{}
	if st == nil {
		return s
	}
	for _, en := range st.Entries {
		s.append(en.ID, en.Fields)
	}
	streamMeta(s, st)
	return s
}

// streamMeta sets the metadata and groups of s (whose entries are loaded)
// from st.
func streamMeta(s *streamObj, st *rdbfile.Stream) {
	s.count = st.Length
	if uint64(countEntries(s)) != st.Length {
		s.count = uint64(countEntries(s))
	}
	s.lastID, s.firstID, s.maxDeletedID, s.entriesAdded = st.LastID, st.FirstID, st.MaxDeletedID, st.EntriesAdded
	if !st.HasV2Meta {
		s.updateFirst()
	}
	for _, g := range st.Groups {
		ng := &sgroup{name: clone(g.Name), lastID: g.LastID, read: g.EntriesRead, pel: make(map[sid]*spending, len(g.PEL)), nack: slices.Clone(g.NACK)}
		for _, p := range g.PEL {
			ng.pel[p.ID] = &spending{time: p.DeliveryTime, count: p.DeliveryCount}
		}
		for _, c := range g.Consumers {
			nc, _ := ng.addConsumer(c.Name, c.SeenTime)
			nc.active = c.ActiveTime
			for _, id := range c.PEL {
				nc.pel[id] = struct{}{}
				if p := ng.pel[id]; p != nil {
					p.owner = nc
				}
			}
		}
		s.addGroup(ng)
	}
	if st.IDMP != nil {
		m := *st.IDMP
		s.idmp = &m
	}
}

func countEntries(s *streamObj) int {
	n := 0
	for _, nd := range s.nodes {
		n += len(nd.ids)
	}
	return n
}

// libraryName extracts the library name from the "#!<engine> name=<lib>"
// first line of a function library's code.
func libraryName(code []byte) (string, bool) {
	line := code
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	if !bytes.HasPrefix(line, []byte("#!")) {
		return "", false
	}
	for _, f := range bytes.Fields(line[2:])[1:] {
		if v, ok := bytes.CutPrefix(f, []byte("name=")); ok && len(v) > 0 {
			return string(v), true
		}
	}
	return "", false
}

// DUMP payloads.

// maxRDBVersion is the newest RDB version the server's RESTORE accepts.
func maxRDBVersion(v ServerVersion) int {
	if v.Valkey {
		if v.AtLeast(9, 0) {
			return 80
		}
		return 11
	}
	switch {
	case v.AtLeast(8, 10):
		return 15
	case v.AtLeast(8, 8):
		return 14
	case v.AtLeast(8, 6):
		return 13
	case v.AtLeast(7, 4):
		return 12
	case v.AtLeast(7, 2):
		return 11
	case v.AtLeast(7, 0):
		return 10
	}
	return 9
}

// DecodeDump decodes a DUMP payload (FORMATS.md §1.12): the type byte and
// value as in an RDB file, the 2-byte little-endian RDB version and the
// CRC-64 of everything before it. The version must not be newer than
// maxVersion (0: no limit) and the CRC must match.
//
// rdbfile has no public entry point for a bare value, so the payload is
// wrapped in a minimal RDB file in memory and read with rdbfile.NewReader:
// magic "REDIS" + the payload's version as 4 digits ("VALKEY" + 3 digits
// from version 80), SELECTDB 0, the type byte, a one-byte key "k", the
// value bytes, the EOF opcode and a zero (= not verified) checksum.
func DecodeDump(payload []byte, maxVersion int) (*rdbfile.Value, error) {
	if len(payload) < 11 {
		return nil, errors.New("engine: DUMP payload too short")
	}
	body, footer := payload[:len(payload)-10], payload[len(payload)-10:]
	ver := int(binary.LittleEndian.Uint16(footer))
	if maxVersion > 0 && ver > maxVersion {
		return nil, fmt.Errorf("engine: DUMP payload of RDB version %d (server accepts up to %d)", ver, maxVersion)
	}
	if crc64Jones(0, payload[:len(payload)-8]) != binary.LittleEndian.Uint64(footer[2:]) {
		return nil, errors.New("engine: DUMP payload checksum mismatch")
	}
	var magic string
	switch {
	case ver >= 80 && ver <= 999:
		magic = fmt.Sprintf("VALKEY%03d", ver)
	case ver >= 1 && ver <= 79:
		magic = fmt.Sprintf("REDIS%04d", ver)
	default:
		return nil, fmt.Errorf("engine: DUMP payload of unknown RDB version %d", ver)
	}
	buf := make([]byte, 0, len(body)+24)
	buf = append(buf, magic...)
	buf = append(buf, 0xFE, 0x00, body[0], 0x01, 'k')
	buf = append(buf, body[1:]...)
	buf = append(buf, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0)
	r := rdbfile.NewReader(bytes.NewReader(buf), &rdbfile.Options{Size: int64(len(buf))})
	var val *rdbfile.Value
	for {
		ent, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("engine: bad DUMP payload: %w", err)
		}
		if ent.Kind != rdbfile.EntryKey {
			continue
		}
		if val != nil {
			return nil, errors.New("engine: bad DUMP payload: trailing data")
		}
		if val, err = ent.Value(); err != nil {
			return nil, fmt.Errorf("engine: bad DUMP payload: %w", err)
		}
	}
	if val == nil {
		return nil, errors.New("engine: bad DUMP payload: no value")
	}
	return val, nil
}

func (e *Engine) decodeDump(p []byte) (*rdbfile.Value, error) {
	v, err := DecodeDump(p, maxRDBVersion(e.v))
	if err != nil {
		return nil, replyErr("ERR DUMP payload version or checksum are wrong")
	}
	return v, nil
}

// crc64Jones is Redis's CRC-64 (FORMATS.md §1.6).
func crc64Jones(crc uint64, p []byte) uint64 {
	for _, c := range p {
		crc = crcTable[byte(crc)^c] ^ crc>>8
	}
	return crc
}

var crcTable = func() (t [256]uint64) {
	for i := range t {
		c := uint64(i)
		for range 8 {
			if c&1 != 0 {
				c = c>>1 ^ 0x95AC9329AC4BC9B5
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}()

// Export.

// Lookup returns the value of a key as an rdbfile.Value (a copy) with its
// expire time (rdbfile.NoExpire if none); ok is false if the key does not
// exist. Sorted-set members come in score order, stream entries in ID
// order; set and hash order is unspecified.
func (e *Engine) Lookup(n int, key []byte) (v *rdbfile.Value, expireAt int64, ok bool) {
	if n < 0 || n >= len(e.dbs) {
		return nil, noExpire, false
	}
	en, ok := e.dbs[n].keys[string(key)]
	if !ok {
		return nil, noExpire, false
	}
	return toValue(en.obj), en.exp, true
}

func toValue(o object) *rdbfile.Value {
	switch x := o.(type) {
	case strObj:
		return &rdbfile.Value{Kind: rdbfile.KindString, String: clone(x)}
	case intObj:
		return &rdbfile.Value{Kind: rdbfile.KindString, String: x.text(nil)}
	case *listObj:
		v := &rdbfile.Value{Kind: rdbfile.KindList, List: make([][]byte, 0, x.n)}
		x.each(func(b []byte) bool { v.List = append(v.List, clone(b)); return true })
		return v
	case *setObj:
		v := &rdbfile.Value{Kind: rdbfile.KindSet, Set: make([][]byte, 0, x.length())}
		x.each(func(b []byte) bool { v.Set = append(v.Set, clone(b)); return true })
		return v
	case *zsetObj:
		v := &rdbfile.Value{Kind: rdbfile.KindZSet, ZSet: make([]rdbfile.ZMember, 0, x.n)}
		x.each(func(m []byte, s float64) bool {
			v.ZSet = append(v.ZSet, rdbfile.ZMember{Member: clone(m), Score: s})
			return true
		})
		return v
	case *hashObj:
		v := &rdbfile.Value{Kind: rdbfile.KindHash, Hash: make([]rdbfile.HashField, 0, x.length())}
		x.each(func(f, val []byte, exp int64) bool {
			v.Hash = append(v.Hash, rdbfile.HashField{Field: clone(f), Value: clone(val), ExpireAt: exp})
			return true
		})
		return v
	case *streamObj:
		return &rdbfile.Value{Kind: rdbfile.KindStream, Stream: x.export()}
	case *moduleObj:
		mv := *x.mv
		return &rdbfile.Value{Kind: rdbfile.KindModule, Module: &mv}
	case *opaqueObj:
		return x.v
	}
	return nil
}

func (s *streamObj) export() *rdbfile.Stream {
	st := &rdbfile.Stream{Length: s.count, LastID: s.lastID, FirstID: s.firstID, MaxDeletedID: s.maxDeletedID,
		EntriesAdded: s.entriesAdded, HasV2Meta: true}
	s.each(func(id sid, f [][]byte) bool {
		se := rdbfile.StreamEntry{ID: id, Fields: make([][]byte, len(f))}
		for i, b := range f {
			se.Fields[i] = clone(b)
		}
		st.Entries = append(st.Entries, se)
		return true
	})
	for _, g := range s.groups {
		sg := rdbfile.StreamGroup{Name: clone(g.name), LastID: g.lastID, EntriesRead: g.read, NACK: slices.Clone(g.nack)}
		for _, id := range g.sortedPEL() {
			p := g.pel[id]
			sg.PEL = append(sg.PEL, rdbfile.StreamPending{ID: id, DeliveryTime: p.time, DeliveryCount: p.count})
		}
		for _, c := range g.consumers {
			sc := rdbfile.StreamConsumer{Name: clone(c.name), SeenTime: c.seen, ActiveTime: c.active}
			for id := range c.pel {
				sc.PEL = append(sc.PEL, id)
			}
			slices.SortFunc(sc.PEL, idCmp)
			sg.Consumers = append(sg.Consumers, sc)
		}
		st.Groups = append(st.Groups, sg)
	}
	if s.idmp != nil {
		m := *s.idmp
		st.IDMP = &m
	}
	return st
}
