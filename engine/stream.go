package engine

import (
	"bytes"
	"encoding/binary"
	"slices"
	"sort"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Streams (Redis src/t_stream.c). Entries live in packed nodes of at most
// streamNodeMax entries, like the server's listpack nodes (whose limits,
// stream-node-max-entries 100 and stream-node-max-bytes 4096, are also
// what approximate "~" trimming works on). Deleted entries are removed
// physically; a node remembers how many it lost so that it fills up like
// the server's node, which keeps them flagged.
type streamObj struct {
	nodes        []*snode
	count        uint64 // live entries (XLEN)
	lastID       sid
	firstID      sid
	maxDeletedID sid
	entriesAdded uint64
	groups       []*sgroup // sorted by name, as in the server's rax
	idmp         *rdbfile.StreamIDMP
}

type sid = rdbfile.StreamID

// snode is a node of entries. Each entry is, in vals: its ID as uvarints
// relative to base (see appendID), then its field, value, field, value, ...
// strings, each a uvarint length and the bytes (about 2 + 1 per string
// bytes of overhead, against 16 + 4 per string for an ID array and a
// string index).
type snode struct {
	base    sid      // the ID of the node's first entry when it was made
	ends    []uint32 // ends[i]: end of entry i in vals (byte offset)
	vals    []byte
	deleted int // entries removed from the node since it was created
	bytes   int // approximate listpack size, for stream-node-max-bytes
}

type sgroup struct {
	name      []byte
	lastID    sid
	read      int64 // entries-read, -1 unknown
	pel       map[sid]*spending
	consumers []*sconsumer // sorted by name
	nack      []sid
}

type spending struct {
	time  int64
	count uint64
	owner *sconsumer
}

type sconsumer struct {
	name   []byte
	seen   int64
	active int64
	pel    map[sid]struct{}
}

const (
	streamNodeMax      = 100  // stream-node-max-entries
	streamNodeMaxBytes = 4096 // stream-node-max-bytes
)

func (*streamObj) kind() rdbfile.Kind { return rdbfile.KindStream }
func (s *streamObj) length() int      { return 1 } // an empty stream is still a key

func (s *streamObj) dup() object {
	c := *s
	c.nodes = make([]*snode, len(s.nodes))
	for i, n := range s.nodes {
		c.nodes[i] = &snode{base: n.base, ends: slices.Clone(n.ends), vals: clone(n.vals), deleted: n.deleted, bytes: n.bytes}
	}
	c.groups = make([]*sgroup, len(s.groups))
	for i, g := range s.groups {
		c.groups[i] = g.dup()
	}
	if s.idmp != nil {
		c.idmp = cloneIDMP(s.idmp)
	}
	return &c
}

func (g *sgroup) dup() *sgroup {
	c := &sgroup{name: clone(g.name), lastID: g.lastID, read: g.read, pel: make(map[sid]*spending, len(g.pel)), nack: slices.Clone(g.nack)}
	byName := map[*sconsumer]*sconsumer{}
	for _, cs := range g.consumers {
		n := &sconsumer{name: clone(cs.name), seen: cs.seen, active: cs.active, pel: make(map[sid]struct{}, len(cs.pel))}
		for id := range cs.pel {
			n.pel[id] = struct{}{}
		}
		byName[cs] = n
		c.consumers = append(c.consumers, n)
	}
	for id, p := range g.pel {
		c.pel[id] = &spending{time: p.time, count: p.count, owner: byName[p.owner]}
	}
	return c
}

func idLess(a, b sid) bool { return a.Less(b) }

func idCmp(a, b sid) int {
	switch {
	case a.Less(b):
		return -1
	case b.Less(a):
		return 1
	}
	return 0
}

// len returns the number of entries of n.
func (n *snode) len() int { return len(n.ends) }

// id returns the ID of entry i.
func (n *snode) id(i int) sid {
	s, _ := n.entry(i)
	id, _ := readID(n.base, n.vals[s:])
	return id
}

// last returns the ID of the last entry (n is not empty).
func (n *snode) last() sid { return n.id(n.len() - 1) }

// fields appends the field/value strings of entry i to f (slices alias
// n.vals, capacity-limited) and returns the entry's ID.
func (n *snode) fields(i int, f [][]byte) (sid, [][]byte) {
	s, t := n.entry(i)
	id, w := readID(n.base, n.vals[s:t])
	return id, appendVarStrings(f, n.vals[s+w:t])
}

// appendID appends id (>= base) relative to base: the milliseconds
// difference, then the sequence number (its difference from base's when
// the milliseconds are equal), both uvarints.
func appendID(p []byte, base, id sid) []byte {
	dm := id.Ms - base.Ms
	seq := id.Seq
	if dm == 0 {
		seq -= base.Seq
	}
	return appendUvarint(appendUvarint(p, dm), seq)
}

// appendUvarint is binary.AppendUvarint with the one-byte case inline (IDs
// and string lengths in a node are nearly always below 128).
func appendUvarint(p []byte, n uint64) []byte {
	if n < 0x80 {
		return append(p, byte(n))
	}
	return binary.AppendUvarint(p, n)
}

// readID decodes an ID written by appendID at the start of p and returns it
// with its length in bytes.
func readID(base sid, p []byte) (sid, int) {
	dm, w := binary.Uvarint(p)
	seq, w2 := binary.Uvarint(p[w:])
	if dm == 0 {
		seq += base.Seq
	}
	return sid{Ms: base.Ms + dm, Seq: seq}, w + w2
}

// idLen is the length of appendID's encoding of id.
func idLen(base, id sid) int {
	dm, seq := id.Ms-base.Ms, id.Seq
	if dm == 0 {
		seq -= base.Seq
	}
	return uvarintLen64(dm) + uvarintLen64(seq)
}

// uvarintLen64 is the length of binary.AppendUvarint's encoding of n.
func uvarintLen64(n uint64) int {
	w := 1
	for ; n >= 0x80; n >>= 7 {
		w++
	}
	return w
}

// entry returns the byte range of entry i (ID and strings) in n.vals.
func (n *snode) entry(i int) (int, int) {
	s := 0
	if i > 0 {
		s = int(n.ends[i-1])
	}
	return s, int(n.ends[i])
}

// lpEntrySize approximates the listpack bytes of one string element.
func lpEntrySize(b []byte) int {
	if _, ok := parseInt(b); ok {
		return 9 // integer encodings: at most 9 bytes + backlen
	}
	n := len(b)
	switch {
	case n < 64:
		return 1 + n + 1
	case n < 4096:
		return 2 + n + 2
	}
	return 5 + n + 5
}

// append adds an entry with an ID greater than every other.
func (s *streamObj) append(id sid, fields [][]byte) {
	size := 4
	for _, f := range fields {
		size += lpEntrySize(f)
	}
	var n *snode
	if len(s.nodes) > 0 {
		n = s.nodes[len(s.nodes)-1]
		if n.len()+n.deleted >= streamNodeMax || n.bytes+size > streamNodeMaxBytes {
			n = nil
		}
	}
	if n == nil {
		n = &snode{base: id}
		s.nodes = append(s.nodes, n)
	}
	n.vals = appendID(n.vals, n.base, id)
	for _, f := range fields {
		n.vals = appendVarString(n.vals, f)
	}
	n.ends = append(n.ends, uint32(len(n.vals)))
	n.bytes += size
	s.count++
	if s.count == 1 {
		s.firstID = id
	}
}

// appendVarString appends b to p as a uvarint length and the bytes: a
// stream node's strings, with one byte of overhead for strings under 128
// bytes (an index of 4-byte ends would take four).
func appendVarString(p, b []byte) []byte {
	return append(appendUvarint(p, uint64(len(b))), b...)
}

// appendVarStrings appends to f the strings of p, a run written by
// appendVarString (slices alias p, capacity-limited).
func appendVarStrings(f [][]byte, p []byte) [][]byte {
	for len(p) > 0 {
		n, w := binary.Uvarint(p)
		t := w + int(n)
		f = append(f, p[w:t:t])
		p = p[t:]
	}
	return f
}

// find returns the node and position of id.
func (s *streamObj) find(id sid) (int, int, bool) {
	k := sort.Search(len(s.nodes), func(i int) bool {
		n := s.nodes[i]
		return !idLess(n.last(), id)
	})
	if k == len(s.nodes) {
		return k, 0, false
	}
	n := s.nodes[k]
	j := sort.Search(n.len(), func(i int) bool { return !idLess(n.id(i), id) })
	return k, j, j < n.len() && n.id(j) == id
}

func (s *streamObj) has(id sid) bool {
	_, _, ok := s.find(id)
	return ok
}

// removeAt deletes entry j of node k.
func (s *streamObj) removeAt(k, j int) {
	n := s.nodes[k]
	a, b := n.entry(j)
	n.vals = append(n.vals[:a], n.vals[b:]...)
	n.ends = append(n.ends[:j], n.ends[j+1:]...)
	for i := j; i < len(n.ends); i++ {
		n.ends[i] -= uint32(b - a)
	}
	n.deleted++
	s.count--
	if n.len() == 0 {
		s.nodes = append(s.nodes[:k], s.nodes[k+1:]...)
	}
}

// updateFirst recomputes firstID after deletions (streamGetEdgeID).
func (s *streamObj) updateFirst() {
	if s.count == 0 {
		s.firstID = sid{}
		return
	}
	s.firstID = s.nodes[0].id(0)
}

// delete removes id if present (XDEL): it maintains max-deleted-entry-id
// and the first ID.
func (s *streamObj) delete(id sid) bool {
	k, j, ok := s.find(id)
	if !ok {
		return false
	}
	s.removeAt(k, j)
	if idLess(s.maxDeletedID, id) {
		s.maxDeletedID = id
	}
	s.updateFirst()
	return true
}

// maxID returns the greatest live ID, false if the stream is empty.
func (s *streamObj) maxID() (sid, bool) {
	if len(s.nodes) == 0 {
		return sid{}, false
	}
	n := s.nodes[len(s.nodes)-1]
	return n.last(), true
}

// each calls fn for every entry in ID order until fn returns false.
func (s *streamObj) each(fn func(id sid, fields [][]byte) bool) {
	var f [][]byte
	for _, n := range s.nodes {
		for i := range n.len() {
			var id sid
			id, f = n.fields(i, f[:0])
			if !fn(id, f) {
				return
			}
		}
	}
}

// trim implements streamTrim: strategy "maxlen" keeps the newest maxlen
// entries, "minid" removes entries below minid. approx trims whole nodes
// only; limit (approx only) caps the entries removed (0: none). It returns
// the number of entries removed.
func (s *streamObj) trim(maxlen bool, n uint64, minid sid, approx bool, limit int64) int64 {
	var deleted int64
	for len(s.nodes) > 0 {
		if maxlen && s.count <= n {
			break
		}
		nd := s.nodes[0]
		entries := int64(nd.len())
		if approx && limit > 0 && deleted+entries > limit {
			break
		}
		var whole bool
		if maxlen {
			whole = s.count-uint64(entries) >= n
		} else {
			whole = idLess(nd.last(), minid)
		}
		if whole {
			s.nodes = s.nodes[1:]
			s.count -= uint64(entries)
			deleted += entries
			continue
		}
		if approx {
			break
		}
		for nd.len() > 0 {
			if maxlen {
				if s.count <= n {
					break
				}
			} else if !idLess(nd.id(0), minid) {
				break
			}
			s.removeAt(0, 0)
			deleted++
		}
		break
	}
	s.updateFirst()
	return deleted
}

// Groups.

func (s *streamObj) group(name []byte) *sgroup {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *sgroup, n []byte) int { return bytes.Compare(g.name, n) })
	if !ok {
		return nil
	}
	return s.groups[i]
}

func (s *streamObj) addGroup(g *sgroup) {
	i, _ := slices.BinarySearchFunc(s.groups, g.name, func(g *sgroup, n []byte) int { return bytes.Compare(g.name, n) })
	s.groups = slices.Insert(s.groups, i, g)
}

func (s *streamObj) removeGroup(name []byte) bool {
	i, ok := slices.BinarySearchFunc(s.groups, name, func(g *sgroup, n []byte) int { return bytes.Compare(g.name, n) })
	if !ok {
		return false
	}
	s.groups = slices.Delete(s.groups, i, i+1)
	return true
}

// addConsumer returns the named consumer, creating it if needed.
func (g *sgroup) addConsumer(name []byte, now int64) (*sconsumer, bool) {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *sconsumer, n []byte) int { return bytes.Compare(c.name, n) })
	if ok {
		return g.consumers[i], false
	}
	c := &sconsumer{name: clone(name), seen: now, active: -1, pel: map[sid]struct{}{}}
	g.consumers = slices.Insert(g.consumers, i, c)
	return c, true
}

func (g *sgroup) deleteConsumer(name []byte) int {
	i, ok := slices.BinarySearchFunc(g.consumers, name, func(c *sconsumer, n []byte) int { return bytes.Compare(c.name, n) })
	if !ok {
		return 0
	}
	c := g.consumers[i]
	for id := range c.pel {
		delete(g.pel, id)
	}
	g.consumers = slices.Delete(g.consumers, i, i+1)
	return len(c.pel)
}

// sortedPEL returns the group's pending IDs in order.
func (g *sgroup) sortedPEL() []sid {
	ids := make([]sid, 0, len(g.pel))
	for id := range g.pel {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, idCmp)
	return ids
}
