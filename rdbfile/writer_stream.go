package rdbfile

import "encoding/binary"

// streamType is the stream type the target writes: 15 (RDB 9), 19 (RDB 10),
// 21 (RDB 11-12, Valkey 80), 26 (RDB 13), 27 (RDB 14+).
func (w *Writer) streamType() Type {
	for _, t := range []Type{TypeStreamListpacks5, TypeStreamListpacks4, TypeStreamListpacks3, TypeStreamListpacks2, TypeStreamListpacks} {
		if w.has(t) {
			return t
		}
	}
	return 0
}

// streamLoss names stream metadata that type t cannot hold, or "".
func streamLoss(st *Stream, t Type) string {
	if t == TypeStreamListpacks && st.HasV2Meta {
		if st.MaxDeletedID != (StreamID{}) || st.EntriesAdded != st.Length {
			return "stream metadata (max-deleted-id, entries-added) on a STREAM_LISTPACKS target"
		}
		for _, g := range st.Groups {
			if g.EntriesRead != -1 {
				return "stream consumer group entries-read on a STREAM_LISTPACKS target"
			}
		}
	}
	if t < TypeStreamListpacks3 {
		for _, g := range st.Groups {
			for _, c := range g.Consumers {
				if c.ActiveTime != -1 && c.ActiveTime != c.SeenTime {
					return "stream consumer active-time on a target before STREAM_LISTPACKS_3"
				}
			}
		}
	}
	if t < TypeStreamListpacks4 && st.IDMP != nil {
		return "stream IDMP state on a target before STREAM_LISTPACKS_4"
	}
	if t < TypeStreamListpacks5 {
		for _, g := range st.Groups {
			if len(g.NACK) > 0 {
				return "stream NACK zone on a target before STREAM_LISTPACKS_5"
			}
		}
	}
	return ""
}

// A streamBuild packs a stream's entries into node listpacks as they
// arrive (Redis src/t_stream.c streamAppendItem): nodes of at most
// StreamNodeMaxBytes / StreamNodeMaxEntries entries, each keyed by its
// master ID. The nodes are kept in memory up to the Writer's value budget;
// past it, they are written to the spill as they are completed. The
// entries are checked as they arrive; a refusal waits for Close, where
// the metadata is known, and nothing of the record is written before it.
type streamBuild struct {
	budget               int
	maxBytes, maxEntries int
	nodes                []streamNode
	held                 int // bytes of the nodes held
	done                 int // nodes written to the spill
	count                uint64
	first, last          StreamID
	badOrder, badFields  bool
	// the node being built
	all      []byte // the completed nodes held, one after the other
	lp       []byte
	master   StreamID
	mfields  [][]byte
	mbuf     []byte // the master entry's field names
	n, elems int
}

type streamNode struct {
	master StreamID
	lp     []byte
}

// newStreamBuild returns the Writer's stream builder, emptied, keeping the
// capacity of its buffers for the next stream (up to 1 MiB of node bytes).
func (vw *ValueWriter) newStreamBuild() *streamBuild {
	w := vw.w
	b := w.sbuild
	if b == nil {
		b = &streamBuild{}
		w.sbuild = b
	}
	clear(b.nodes)
	clear(b.mfields)
	all := b.all[:0]
	if cap(all) > 1<<20 {
		all = nil
	}
	*b = streamBuild{budget: w.valueMemory(), maxBytes: w.lim.StreamNodeMaxBytes, maxEntries: w.lim.StreamNodeMaxEntries,
		nodes: b.nodes[:0], all: all, lp: b.lp[:0], mfields: b.mfields[:0], mbuf: b.mbuf[:0]}
	return b
}

func (b *streamBuild) addInt(v int64)  { b.lp = lpAppendInt(b.lp, v); b.elems++ }
func (b *streamBuild) addStr(s []byte) { b.lp = lpAppendString(b.lp, s); b.elems++ }

// add adds entry e (its bytes are copied).
func (b *streamBuild) add(vw *ValueWriter, e *StreamEntry) {
	if b.count > 0 && !b.last.Less(e.ID) {
		b.badOrder = true
	}
	if len(e.Fields)%2 != 0 || len(e.Fields) == 0 {
		b.badFields = true
	}
	if b.count == 0 {
		b.first = e.ID
	}
	b.last = e.ID
	b.count++
	if b.badOrder || b.badFields || vw.err != nil {
		b.nodes, b.lp = nil, nil // refused at Close
		return
	}
	size := 0
	for _, f := range e.Fields {
		size += len(f)
	}
	if b.n > 0 && ((b.maxBytes > 0 && len(b.lp)+size >= b.maxBytes) || (b.maxEntries > 0 && b.n >= b.maxEntries)) {
		b.finish(vw)
	}
	if b.n == 0 {
		b.master = e.ID
		b.mfields, b.mbuf = b.mfields[:0], b.mbuf[:0]
		b.lp, b.elems = lpBegin(b.lp[:0]), 0
		b.addInt(0) // live count, set by finish
		b.addInt(0) // deleted entries
		b.addInt(int64(len(e.Fields) / 2))
		for j := 0; j < len(e.Fields); j += 2 {
			b.mbuf = append(b.mbuf, e.Fields[j]...)
			b.addStr(e.Fields[j])
		}
		off := 0
		for j := 0; j < len(e.Fields); j += 2 {
			b.mfields = append(b.mfields, b.mbuf[off:off+len(e.Fields[j])])
			off += len(e.Fields[j])
		}
		b.addInt(0) // master entry terminator
	}
	same := len(e.Fields)/2 == len(b.mfields)
	for j := 0; same && j < len(b.mfields); j++ {
		same = string(b.mfields[j]) == string(e.Fields[2*j])
	}
	flags := int64(0)
	if same {
		flags = streamItemSameFields
	}
	b.addInt(flags)
	b.addInt(int64(e.ID.Ms - b.master.Ms))
	b.addInt(int64(e.ID.Seq - b.master.Seq))
	nf := int64(len(e.Fields) / 2)
	if same {
		for j := 1; j < len(e.Fields); j += 2 {
			b.addStr(e.Fields[j])
		}
		b.addInt(nf + 3)
	} else {
		b.addInt(nf)
		for _, f := range e.Fields {
			b.addStr(f)
		}
		b.addInt(2*nf + 4)
	}
	b.n++
}

// finish completes the node being built, if any, and spills the nodes
// held once they are over the budget.
func (b *streamBuild) finish(vw *ValueWriter) {
	if b.n == 0 {
		return
	}
	// The node's first element, the live count, was a 2-byte 0
	// placeholder: rebuild the header with the real count.
	// The nodes are built one after the other in all; a node keeps its
	// bytes when all grows (it points into the array it was built in).
	start := len(b.all)
	b.all = lpAppendInt(lpBegin(b.all), int64(b.n))
	b.all = append(b.all, b.lp[lpHdrSize+2:]...)
	b.all, _ = lpFinish(b.all, start, b.elems)
	out := b.all[start:len(b.all):len(b.all)]
	b.nodes = append(b.nodes, streamNode{b.master, out})
	b.held += len(out)
	b.lp, b.n = b.lp[:0], 0
	if vw.sp == nil && b.held <= b.budget {
		return
	}
	if vw.sp == nil && vw.newSpill() == nil {
		return
	}
	vw.divert(func() {
		for i := range b.nodes {
			vw.w.writeStreamNode(&b.nodes[i])
			vw.w.flush(false)
		}
	})
	b.done += len(b.nodes)
	clear(b.nodes)
	b.nodes, b.held, b.all = b.nodes[:0], 0, b.all[:0]
}

// writeStreamNode writes a node: its master ID as a 16-byte big-endian
// string, then its listpack.
func (w *Writer) writeStreamNode(nd *streamNode) {
	key := w.nodeKey[:] // a local array would escape through writeString
	binary.BigEndian.PutUint64(key[:8], nd.master.Ms)
	binary.BigEndian.PutUint64(key[8:], nd.master.Seq)
	w.writeString(key)
	w.writeString(nd.lp)
}

// writeStream writes a stream (Redis src/rdb.c rdbSaveObject, stream
// part): its nodes, then the metadata and consumer groups.
func (vw *ValueWriter) writeStream() {
	w := vw.w
	b := vw.sb
	t := w.streamType()
	st := vw.meta
	if st == nil {
		st = &Stream{Length: b.count}
		if b.count > 0 {
			st.LastID = b.last
		}
	}
	if why := streamLoss(st, t); why != "" {
		vw.fail(w.unsupported(why, vw.h.Key))
		return
	}
	if b.badOrder {
		vw.fail(w.unsupported("stream entries not in ascending ID order", vw.h.Key))
		return
	}
	if b.badFields {
		vw.fail(w.unsupported("stream entry without field/value pairs", vw.h.Key))
		return
	}
	b.finish(vw)
	if vw.err != nil {
		return
	}

	w.writeKeyPrefix(&vw.h, t)
	w.writeLen(uint64(b.done + len(b.nodes)))
	if vw.sp != nil {
		vw.copySpill()
	}
	for i := range b.nodes {
		w.writeStreamNode(&b.nodes[i])
		if vw.flushErr() != nil {
			return
		}
	}
	w.writeLen(st.Length)
	w.writeLen(st.LastID.Ms)
	w.writeLen(st.LastID.Seq)
	if t != TypeStreamListpacks {
		first, maxDel, added := st.FirstID, st.MaxDeletedID, st.EntriesAdded
		if !st.HasV2Meta {
			// What a server fills in when it loads a STREAM_LISTPACKS value.
			first, maxDel, added = StreamID{}, StreamID{}, st.Length
			if b.count > 0 {
				first = b.first
			}
		}
		w.writeLen(first.Ms)
		w.writeLen(first.Seq)
		w.writeLen(maxDel.Ms)
		w.writeLen(maxDel.Seq)
		w.writeLen(added)
	}
	w.writeLen(uint64(len(st.Groups)))
	for gi := range st.Groups {
		g := &st.Groups[gi]
		w.writeString(g.Name)
		w.writeLen(g.LastID.Ms)
		w.writeLen(g.LastID.Seq)
		if t != TypeStreamListpacks {
			w.writeLen(uint64(g.EntriesRead)) // -1 is written as 2^64-1
		}
		w.writeLen(uint64(len(g.PEL)))
		for _, p := range g.PEL {
			w.writeRawID(p.ID)
			w.writeU64(uint64(p.DeliveryTime))
			w.writeLen(p.DeliveryCount)
		}
		w.writeLen(uint64(len(g.Consumers)))
		for ci := range g.Consumers {
			c := &g.Consumers[ci]
			w.writeString(c.Name)
			w.writeU64(uint64(c.SeenTime))
			if t >= TypeStreamListpacks3 {
				at := c.ActiveTime
				if at == -1 {
					at = c.SeenTime
				}
				w.writeU64(uint64(at))
			}
			w.writeLen(uint64(len(c.PEL)))
			for _, id := range c.PEL {
				w.writeRawID(id)
			}
			if vw.flushErr() != nil {
				return
			}
		}
		if t == TypeStreamListpacks5 {
			w.writeLen(uint64(len(g.NACK)))
			for _, id := range g.NACK {
				w.writeRawID(id)
			}
		}
	}
	if t == TypeStreamListpacks4 || t == TypeStreamListpacks5 {
		m := st.IDMP
		if m == nil {
			// Redis's defaults for a stream without IDMP configuration
			// (src/t_stream.c, the IDMP defaults of streams): duration 100 s, 100 entries.
			m = &StreamIDMP{Duration: 100, MaxEntries: 100}
		}
		w.writeLen(m.Duration)
		w.writeLen(m.MaxEntries)
		w.writeLen(uint64(len(m.Producers)))
		for _, p := range m.Producers {
			w.writeString(p.PID)
			w.writeLen(uint64(len(p.Entries)))
			for _, e := range p.Entries {
				w.writeString(e.IID)
				w.writeLen(e.ID.Ms)
				w.writeLen(e.ID.Seq)
			}
		}
		w.writeLen(m.IIDsAdded)
		w.writeLen(m.IIDsDuplicates)
	}
}

func (w *Writer) writeRawID(id StreamID) {
	w.buf = binary.BigEndian.AppendUint64(w.buf, id.Ms)
	w.buf = binary.BigEndian.AppendUint64(w.buf, id.Seq)
}
