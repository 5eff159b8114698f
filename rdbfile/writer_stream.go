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

// writeStream writes a buffered stream (Redis src/rdb.c rdbSaveObject,
// stream part; node layout per src/t_stream.c streamAppendItem): node
// listpacks of at most StreamNodeMaxBytes / StreamNodeMaxEntries entries,
// each keyed by its master ID, then the metadata and consumer groups.
func (vw *ValueWriter) writeStream() {
	w := vw.w
	t := w.streamType()
	st := vw.meta
	if st == nil {
		st = &Stream{Length: uint64(len(vw.sent))}
		if n := len(vw.sent); n > 0 {
			st.LastID = vw.sent[n-1].ID
		}
	}
	if why := streamLoss(st, t); why != "" {
		vw.fail(w.unsupported(why, vw.h.Key))
		return
	}
	for i := 1; i < len(vw.sent); i++ {
		if !vw.sent[i-1].ID.Less(vw.sent[i].ID) {
			vw.fail(w.unsupported("stream entries not in ascending ID order", vw.h.Key))
			return
		}
	}
	for i := range vw.sent {
		if len(vw.sent[i].Fields)%2 != 0 || len(vw.sent[i].Fields) == 0 {
			vw.fail(w.unsupported("stream entry without field/value pairs", vw.h.Key))
			return
		}
	}
	type node struct {
		master StreamID
		lp     []byte
	}
	var nodes []node
	var lp []byte
	var master StreamID
	var mfields [][]byte
	count, elems := 0, 0
	addInt := func(v int64) { lp = lpAppendInt(lp, v); elems++ }
	addStr := func(b []byte) { lp = lpAppendString(lp, b); elems++ }
	finish := func() {
		if count == 0 {
			return
		}
		// The node's first element, the live count, was a 2-byte 0
		// placeholder: rebuild the header with the real count.
		out := lpAppendInt(lpBegin(make([]byte, 0, len(lp)+8)), int64(count))
		out = append(out, lp[lpHdrSize+2:]...)
		out, _ = lpFinish(out, 0, elems)
		nodes = append(nodes, node{master, out})
		lp, count = nil, 0
	}
	maxBytes, maxEntries := w.lim.StreamNodeMaxBytes, w.lim.StreamNodeMaxEntries
	for i := range vw.sent {
		e := &vw.sent[i]
		size := 0
		for _, f := range e.Fields {
			size += len(f)
		}
		if count > 0 && ((maxBytes > 0 && len(lp)+size >= maxBytes) || (maxEntries > 0 && count >= maxEntries)) {
			finish()
		}
		if count == 0 {
			master = e.ID
			mfields = mfields[:0]
			lp, elems = lpBegin(nil), 0
			addInt(0) // live count, set by finish
			addInt(0) // deleted entries
			addInt(int64(len(e.Fields) / 2))
			for j := 0; j < len(e.Fields); j += 2 {
				mfields = append(mfields, e.Fields[j])
				addStr(e.Fields[j])
			}
			addInt(0) // master entry terminator
		}
		same := len(e.Fields)/2 == len(mfields)
		for j := 0; same && j < len(mfields); j++ {
			same = string(mfields[j]) == string(e.Fields[2*j])
		}
		flags := int64(0)
		if same {
			flags = streamItemSameFields
		}
		addInt(flags)
		addInt(int64(e.ID.Ms - master.Ms))
		addInt(int64(e.ID.Seq - master.Seq))
		nf := int64(len(e.Fields) / 2)
		if same {
			for j := 1; j < len(e.Fields); j += 2 {
				addStr(e.Fields[j])
			}
			addInt(nf + 3)
		} else {
			addInt(nf)
			for _, f := range e.Fields {
				addStr(f)
			}
			addInt(2*nf + 4)
		}
		count++
	}
	finish()

	w.writeKeyPrefix(&vw.h, t)
	w.writeLen(uint64(len(nodes)))
	var key [16]byte
	for _, nd := range nodes {
		binary.BigEndian.PutUint64(key[:8], nd.master.Ms)
		binary.BigEndian.PutUint64(key[8:], nd.master.Seq)
		w.writeString(key[:])
		w.writeString(nd.lp)
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
			if len(vw.sent) > 0 {
				first = vw.sent[0].ID
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
