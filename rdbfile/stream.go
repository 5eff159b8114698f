package rdbfile

import (
	"math"
	"slices"
	"strconv"
)

// Stream flags of an entry in a node listpack (Redis src/stream.h).
const (
	streamItemDeleted    = 1
	streamItemSameFields = 2
)

// stream reads types 15, 19, 21, 26 and 27: node listpacks keyed by master
// ID, then metadata, consumer groups with their PEL and consumers, the NACK
// zone (27) and the IDMP block (26+). Layout per Redis src/rdb.c
// rdbLoadObject (written by rdbSaveObject; the IDMP block by
// rdbSaveStreamIdmpEntries, Redis 8.6+), node format per src/t_stream.c
// (streamValidateListpackIntegrity).
func (w *walker) stream() error {
	r := w.r
	t := w.e.Type
	nodes, err := r.readCount("stream listpack count", 2)
	if err != nil {
		return err
	}
	// A value read with Value, Walk or WalkPacked gets a Stream of its
	// own, which the caller may keep (one it handed back with
	// RecycleStream, when it did); a skipped one reuses the walker's.
	// A Checker's worker reads it into a Stream the Checker recycles
	// (Reader.spare), when it has one.
	var st *Stream
	switch {
	case w.fn != nil || w.want:
		st, r.recycled = r.recycled, nil
	case !r.ownStreams || w.frame:
		st = &w.stScratch
	case r.spare != nil:
		st, r.spare = r.spare, nil
	}
	if w.stReuse = st; st != nil {
		*st = Stream{Groups: st.Groups[:0]}
	} else {
		st = &Stream{}
	}
	w.e.stream = st
	var last StreamID
	haveLast := false
	live := uint64(0)
	se := &w.se // valid during one callback, like every Element
	*se = StreamEntry{Fields: se.Fields[:0]}
	for i := uint64(0); i < nodes; i++ {
		koff := r.in.offset()
		k, err := r.readString("stream node key")
		if err != nil {
			return err
		}
		var master StreamID
		if len(k) != 16 {
			w.soft(koff, "stream node key", "stream node key is "+strconv.Itoa(len(k))+" bytes, want 16")
		} else {
			master = be128(k)
		}
		b, base, lzf, err := w.readBlob("stream listpack")
		if err != nil {
			return err
		}
		if w.frame {
			continue
		}
		n, ok := w.streamNode(b, base, lzf, master, &last, &haveLast, se)
		if ok {
			live += n
		}
	}
	w.el.Stream = nil
	var err2 error
	lenOff := r.in.offset()
	if st.Length, err2 = r.readLen("stream length"); err2 != nil {
		return err2
	}
	if st.LastID.Ms, err2 = r.readLen("stream last id"); err2 != nil {
		return err2
	}
	if st.LastID.Seq, err2 = r.readLen("stream last id"); err2 != nil {
		return err2
	}
	if t != TypeStreamListpacks {
		st.HasV2Meta = true
		for _, p := range []*uint64{&st.FirstID.Ms, &st.FirstID.Seq, &st.MaxDeletedID.Ms, &st.MaxDeletedID.Seq, &st.EntriesAdded} {
			if *p, err2 = r.readLen("stream metadata"); err2 != nil {
				return err2
			}
		}
	} else {
		st.EntriesAdded = st.Length
	}
	if st.Length != live && w.e.softErr == nil && !w.frame { // framing counts no entry
		w.warn(lenOff, "stream length", "stream length "+strconv.FormatUint(st.Length, 10)+" differs from the "+
			strconv.FormatUint(live, 10)+" live entries (older servers wrote this; Redis builds since May 2026 refuse it)")
	}
	if haveLast && st.LastID.Less(last) {
		w.soft(lenOff, "stream last id", "stream last id "+st.LastID.String()+" is lower than entry "+last.String())
	}
	if err := w.streamGroups(st, t); err != nil {
		return err
	}
	if t == TypeStreamListpacks4 || t == TypeStreamListpacks5 {
		if err := w.streamIDMP(st); err != nil {
			return err
		}
	}
	return nil
}

// streamNode walks one node listpack, emitting live entries. It returns the
// node's live count and whether the node was intact.
func (w *walker) streamNode(b []byte, base int64, lzf bool, master StreamID, last *StreamID, haveLast *bool, se *StreamEntry) (uint64, bool) {
	if !noFastPaths {
		if live, ok := streamNodeCheck(b, master, last, haveLast); ok {
			if w.fn == nil {
				w.e.elems += int64(live)
			} else {
				w.streamNodeEmit(b, master, se)
			}
			return live, true
		}
		fastPathRefusals.Add(1)
	}
	it, err := lpOpen(b)
	if err != nil {
		w.blobErr(base, lzf, "stream listpack", err)
		return 0, false
	}
	bad := func(what string) (uint64, bool) {
		w.soft(base, "stream listpack", what)
		return 0, false
	}
	nextInt := func() (int64, bool, error) {
		ent, ok, err := it.Next()
		if err != nil || !ok {
			return 0, ok, err
		}
		if ent.IsInt {
			return ent.Int, true, nil
		}
		v, perr := strconv.ParseInt(string(ent.Str), 10, 64)
		if perr != nil {
			return 0, true, &blobError{What: "stream listpack: integer expected, got " + strconv.Quote(string(ent.Str))}
		}
		return v, true, nil
	}
	count, ok, err := nextInt()
	if err != nil {
		w.blobErr(base, lzf, "stream listpack", err)
		return 0, false
	}
	if !ok {
		return bad("empty listpack inside stream")
	}
	deleted, ok, err := nextInt()
	if err != nil || !ok {
		return bad("stream master entry truncated")
	}
	nf, ok, err := nextInt()
	if err != nil || !ok || nf < 0 || nf > int64(len(b)) {
		return bad("stream master entry: bad field count")
	}
	// Master fields alias the blob (strings) or the walker's int arena.
	w.mfields, w.ints, w.refs = w.mfields[:0], w.ints[:0], w.refs[:0]
	for i := int64(0); i < nf; i++ {
		ent, ok, err := it.Next()
		if err != nil || !ok {
			return bad("stream master entry truncated")
		}
		w.addText(&w.mfields, &w.ints, ent)
	}
	w.fixRefs(w.mfields, w.ints)
	masterFields := w.mfields
	if z, ok, err := nextInt(); err != nil || !ok || z != 0 {
		return bad("stream master entry not terminated by 0")
	}
	var nLive, nDel int64
	for {
		flags, ok, err := nextInt()
		if err != nil {
			w.blobErr(base, lzf, "stream entry", err)
			return 0, false
		}
		if !ok {
			break
		}
		msd, ok1, err1 := nextInt()
		seqd, ok2, err2 := nextInt()
		if err1 != nil || err2 != nil || !ok1 || !ok2 {
			return bad("stream entry truncated")
		}
		id := StreamID{Ms: master.Ms + uint64(msd), Seq: master.Seq + uint64(seqd)}
		w.vals, w.arena, w.refs = w.vals[:0], w.arena[:0], w.refs[:0]
		var lpCount int64
		if flags&streamItemSameFields != 0 {
			for i := int64(0); i < nf; i++ {
				ent, ok, err := it.Next()
				if err != nil || !ok {
					return bad("stream entry truncated")
				}
				w.vals = append(w.vals, masterFields[i])
				w.addText(&w.vals, &w.arena, ent)
			}
			lpCount = nf + 3
		} else {
			k, ok, err := nextInt()
			if err != nil || !ok || k < 0 || k > int64(len(b)) {
				return bad("stream entry: bad field count")
			}
			for i := int64(0); i < 2*k; i++ {
				ent, ok, err := it.Next()
				if err != nil || !ok {
					return bad("stream entry truncated")
				}
				w.addText(&w.vals, &w.arena, ent)
			}
			lpCount = 2*k + 4
		}
		w.fixRefs(w.vals, w.arena)
		lc, ok, err := nextInt()
		if err != nil || !ok {
			return bad("stream entry truncated before its lp-count")
		}
		if lc != lpCount {
			return bad("stream entry lp-count " + strconv.FormatInt(lc, 10) + ", want " + strconv.FormatInt(lpCount, 10))
		}
		if id.Less(master) {
			w.soft(base, "stream entry", "stream entry "+id.String()+" precedes its node's master id "+master.String())
		}
		if *haveLast && !last.Less(id) {
			w.soft(base, "stream entry", "stream entry "+id.String()+" does not follow "+last.String())
		}
		*last, *haveLast = id, true
		if flags&streamItemDeleted != 0 {
			nDel++
			continue
		}
		nLive++
		se.ID, se.Fields = id, w.vals
		w.el.Stream = se
		w.emit()
	}
	if err := it.Done(); err != nil {
		w.blobErr(base, lzf, "stream listpack", err)
	}
	if nLive != count {
		w.soft(base, "stream listpack", "stream node says "+strconv.FormatInt(count, 10)+" live entries, has "+strconv.FormatInt(nLive, 10))
	}
	if nDel != deleted {
		w.soft(base, "stream listpack", "stream node says "+strconv.FormatInt(deleted, 10)+" deleted entries, has "+strconv.FormatInt(nDel, 10))
	}
	if nLive == 0 && nDel == 0 {
		w.soft(base, "stream listpack", "stream node without entries")
	}
	return uint64(nLive), true
}

// streamNodeCheck is the fast path of streamNode when no element is wanted
// (verify): one lpCheck pass over the node listpack, then one pass over its
// entries with every check streamNode makes (master entry, flags, deltas,
// field counts, lp-count, ID order, live and deleted counts). It returns the
// node's live count and true, having advanced *last and *haveLast, only if
// all of them hold; otherwise it changes nothing and streamNode walks the
// node again to report the finding. Layout per Redis src/t_stream.c.
func streamNodeCheck(b []byte, master StreamID, last *StreamID, haveLast *bool) (uint64, bool) {
	n, ok := lpCheck(b, nil, 0, nil)
	if !ok {
		return 0, false
	}
	pos, i := lpHdrSize, 0
	// next returns the next entry as an integer; ok is false at the end or
	// for a string entry (which streamNode parses, or reports).
	// The entries are valid (lpCheck), so the common shapes are decoded
	// inline: 7-bit, 13-bit and 16- to 64-bit integers (flags, ID deltas,
	// counts, numeric values) and 6-bit strings (most field names and
	// values), whose backlen is one byte.
	next := func() (int64, bool) {
		if i == n {
			return 0, false
		}
		i++
		switch c := b[pos]; {
		case c < 0x80:
			pos += 2
			return int64(c), true
		case c >= 0xC0 && c < 0xE0:
			iv := int64(c&0x1F)<<8 | int64(b[pos+1])
			if iv >= 1<<12 {
				iv -= 1 << 13
			}
			pos += 3
			return iv, true
		case c >= 0xF1 && c <= 0xF4:
			iv := lpIntAt(b[pos:], c)
			pos += 2 + lpIntBytes[c-0xF1]
			return iv, true
		}
		var e packEntry
		e, pos = lpEntryAt(b, pos)
		return e.Int, e.IsInt
	}
	skip := func(k int64) bool {
		if k > int64(n-i) {
			return false
		}
		for range k {
			switch c := b[pos]; {
			case c < 0x80:
				pos += 2
			case c < 0xC0:
				pos += 2 + int(c&0x3F) // encoding byte, data, 1-byte backlen
			case c < 0xE0:
				pos += 3
			case c >= 0xF1 && c <= 0xF4:
				pos += 2 + lpIntBytes[c-0xF1]
			default:
				_, pos = lpEntryAt(b, pos)
			}
		}
		i += int(k)
		return true
	}
	count, ok1 := next()
	deleted, ok2 := next()
	nf, ok3 := next()
	if !ok1 || !ok2 || !ok3 || nf < 0 || nf > int64(len(b)) || !skip(nf) {
		return 0, false
	}
	if z, ok := next(); !ok || z != 0 {
		return 0, false
	}
	lastID, have := *last, *haveLast
	var nLive, nDel int64
	for i < n {
		flags, ok1 := next()
		msd, ok2 := next()
		seqd, ok3 := next()
		if !ok1 || !ok2 || !ok3 {
			return 0, false
		}
		id := StreamID{Ms: master.Ms + uint64(msd), Seq: master.Seq + uint64(seqd)}
		var lpCount int64
		if flags&streamItemSameFields != 0 {
			if !skip(nf) {
				return 0, false
			}
			lpCount = nf + 3
		} else {
			k, ok := next()
			if !ok || k < 0 || k > int64(len(b)) || !skip(2*k) {
				return 0, false
			}
			lpCount = 2*k + 4
		}
		if lc, ok := next(); !ok || lc != lpCount {
			return 0, false
		}
		if id.Less(master) || have && !lastID.Less(id) {
			return 0, false
		}
		lastID, have = id, true
		if flags&streamItemDeleted != 0 {
			nDel++
		} else {
			nLive++
		}
	}
	if nLive != count || nDel != deleted || nLive == 0 && nDel == 0 {
		return 0, false
	}
	*last, *haveLast = lastID, have
	return uint64(nLive), true
}

// streamNodeEmit emits the live entries of a node listpack that
// streamNodeCheck accepted, exactly as streamNode's checked walk would, but
// without checking anything again.
func (w *walker) streamNodeEmit(b []byte, master StreamID, se *StreamEntry) {
	pos := lpHdrSize
	next := func() packEntry {
		// 7-bit integers and strings below 64 bytes inline, as in
		// streamNodeCheck.
		switch c := b[pos]; {
		case c < 0x80:
			pos += 2
			return packEntry{Int: int64(c), IsInt: true}
		case c&0xC0 == 0x80:
			p := pos + 1
			pos = p + int(c&0x3F) + 1
			return packEntry{Str: b[p : pos-1]}
		}
		var e packEntry
		e, pos = lpEntryAt(b, pos)
		return e
	}
	next() // live count
	next() // deleted count
	nf := next().Int
	w.mfields, w.ints, w.refs = w.mfields[:0], w.ints[:0], w.refs[:0]
	for range nf {
		w.addText(&w.mfields, &w.ints, next())
	}
	w.fixRefs(w.mfields, w.ints)
	masterFields := w.mfields
	next() // master terminator
	for pos < len(b)-1 {
		flags, msd, seqd := next().Int, next().Int, next().Int
		w.vals, w.arena, w.refs = w.vals[:0], w.arena[:0], w.refs[:0]
		if flags&streamItemSameFields != 0 {
			for i := range nf {
				w.vals = append(w.vals, masterFields[i])
				w.addText(&w.vals, &w.arena, next())
			}
		} else {
			for range 2 * next().Int {
				w.addText(&w.vals, &w.arena, next())
			}
		}
		w.fixRefs(w.vals, w.arena)
		next() // lp-count
		if flags&streamItemDeleted != 0 {
			continue
		}
		se.ID = StreamID{Ms: master.Ms + uint64(msd), Seq: master.Seq + uint64(seqd)}
		se.Fields = w.vals
		w.el.Stream = se
		w.emit()
	}
}

func (w *walker) rawID(field string) (StreamID, error) {
	off := w.r.in.offset()
	b, err := w.r.in.next(16)
	if err != nil {
		return StreamID{}, w.r.ioErr(off, field, err)
	}
	return be128(b), nil
}

func (w *walker) msTime(field string) (int64, error) {
	off := w.r.in.offset()
	u, err := w.r.in.u64le()
	if err != nil {
		return 0, w.r.ioErr(off, field, err)
	}
	return int64(u), nil
}

// pelIndex finds a group's PEL entries by ID, to check that every consumer
// PEL and NACK entry is in the group PEL exactly once, with one owner.
// Redis writes a PEL in rax order, so IDs normally arrive strictly
// increasing and are found by binary search; a PEL that does not (a
// duplicate, or a file from another writer) switches to a map.
type pelIndex struct {
	ids    []StreamID
	owner  []int // -1: none yet; consumer index; math.MaxInt: NACK zone
	sorted bool
	m      map[StreamID]int // ID -> position, once not sorted
}

func (p *pelIndex) reset() {
	p.ids, p.owner, p.sorted = p.ids[:0], p.owner[:0], true
	if p.m != nil {
		if len(p.m) > 1<<12 {
			p.m = nil // do not keep clearing a huge map for small groups
		} else {
			clear(p.m)
		}
	}
}

// add appends id and reports whether it was new.
func (p *pelIndex) add(id StreamID) bool {
	if p.sorted && len(p.ids) > 0 && !p.ids[len(p.ids)-1].Less(id) {
		p.sorted = false
		if p.m == nil {
			p.m = make(map[StreamID]int, len(p.ids)+1)
		}
		for i, x := range p.ids {
			p.m[x] = i
		}
	}
	if !p.sorted {
		if _, dup := p.m[id]; dup {
			return false
		}
		p.m[id] = len(p.ids)
	}
	p.ids = append(p.ids, id)
	p.owner = append(p.owner, -1)
	return true
}

// find returns id's position, or -1.
func (p *pelIndex) find(id StreamID) int {
	if !p.sorted {
		if i, ok := p.m[id]; ok {
			return i
		}
		return -1
	}
	lo, hi := 0, len(p.ids)
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if p.ids[mid].Less(id) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	if lo < len(p.ids) && p.ids[lo] == id {
		return lo
	}
	return -1
}

// streamGroups reads the consumer groups (Redis src/rdb.c rdbLoadObject,
// the stream part after the metadata). Checks as the loader does: a PEL ID
// stored twice, a consumer PEL entry missing from the group PEL or owned
// twice, a NACK entry with an owner, a PEL entry no consumer owns.
func (w *walker) streamGroups(st *Stream, t Type) error {
	r := w.r
	ng, err := r.readCount("stream group count", 4)
	if err != nil {
		return err
	}
	pel := &w.pel
	for g := uint64(0); g < ng; g++ {
		goff := r.in.offset()
		name, err := r.readString("stream group name")
		if err != nil {
			return err
		}
		grp := w.newGroup(st)
		grp.Name = append(grp.Name, name...)
		if grp.LastID.Ms, err = r.readLen("stream group last id"); err != nil {
			return err
		}
		if grp.LastID.Seq, err = r.readLen("stream group last id"); err != nil {
			return err
		}
		if t != TypeStreamListpacks {
			er, err := r.readLen("stream group entries read")
			if err != nil {
				return err
			}
			grp.EntriesRead = int64(er) // 2^64-1 becomes -1
		}
		np, err := r.readCount("stream PEL size", 25)
		if err != nil {
			return err
		}
		pel.reset()
		grp.PEL = slices.Grow(grp.PEL, int(min(np, 1<<16)))
		for i := uint64(0); i < np; i++ {
			poff := r.in.offset()
			id, err := w.rawID("stream PEL id")
			if err != nil {
				return err
			}
			dt, err := w.msTime("stream PEL delivery time")
			if err != nil {
				return err
			}
			dc, err := r.readLen("stream PEL delivery count")
			if err != nil {
				return err
			}
			if !w.frame && !pel.add(id) {
				w.soft(poff, "stream PEL id", "duplicated PEL entry "+id.String()+" in group "+strconv.Quote(string(grp.Name)))
			}
			grp.PEL = append(grp.PEL, StreamPending{ID: id, DeliveryTime: dt, DeliveryCount: dc})
		}
		nc, err := r.readCount("stream consumer count", 10)
		if err != nil {
			return err
		}
		for c := uint64(0); c < nc; c++ {
			cname, err := r.readString("stream consumer name")
			if err != nil {
				return err
			}
			cons := w.newConsumer(grp)
			cons.Name = append(cons.Name, cname...)
			if cons.SeenTime, err = w.msTime("stream consumer seen time"); err != nil {
				return err
			}
			if t >= TypeStreamListpacks3 {
				if cons.ActiveTime, err = w.msTime("stream consumer active time"); err != nil {
					return err
				}
			}
			ncp, err := r.readCount("stream consumer PEL size", 16)
			if err != nil {
				return err
			}
			cons.PEL = slices.Grow(cons.PEL, int(min(ncp, 1<<16)))
			for i := uint64(0); i < ncp; i++ {
				ioff := r.in.offset()
				id, err := w.rawID("stream consumer PEL id")
				if err != nil {
					return err
				}
				switch at := pel.find(id); {
				case w.frame: // no group PEL is kept while framing
				case at < 0:
					w.soft(ioff, "stream consumer PEL id", "consumer PEL entry "+id.String()+" not found in the group PEL")
				case pel.owner[at] >= 0:
					w.soft(ioff, "stream consumer PEL id", "PEL entry "+id.String()+" owned by two consumers")
				default:
					pel.owner[at] = int(c)
				}
				cons.PEL = append(cons.PEL, id)
			}
		}
		if t == TypeStreamListpacks5 {
			nn, err := r.readCount("stream NACK count", 16)
			if err != nil {
				return err
			}
			for i := uint64(0); i < nn; i++ {
				ioff := r.in.offset()
				id, err := w.rawID("stream NACK id")
				if err != nil {
					return err
				}
				switch at := pel.find(id); {
				case w.frame:
				case at < 0:
					w.soft(ioff, "stream NACK id", "NACK zone entry "+id.String()+" not in the group PEL")
				case pel.owner[at] >= 0:
					w.soft(ioff, "stream NACK id", "stream NACK zone entry "+id.String()+" has a consumer assigned")
				default:
					pel.owner[at] = math.MaxInt
				}
				grp.NACK = append(grp.NACK, id)
			}
		}
		for i, o := range pel.owner {
			if o == -1 {
				w.soft(goff, "stream PEL", "PEL entry "+pel.ids[i].String()+" of group "+strconv.Quote(string(grp.Name))+" has no consumer")
				break
			}
		}
	}
	return nil
}

// newGroup appends a group to st. When the walker reuses its scratch Stream
// (Skip), the element keeps the capacity of its slices from earlier streams.
func (w *walker) newGroup(st *Stream) *StreamGroup {
	if len(st.Groups) < cap(st.Groups) && st == w.stReuse {
		st.Groups = st.Groups[:len(st.Groups)+1]
		g := &st.Groups[len(st.Groups)-1]
		*g = StreamGroup{Name: g.Name[:0], PEL: g.PEL[:0], Consumers: g.Consumers[:0], NACK: g.NACK[:0], EntriesRead: -1}
		return g
	}
	st.Groups = append(st.Groups, StreamGroup{EntriesRead: -1})
	return &st.Groups[len(st.Groups)-1]
}

// newConsumer appends a consumer to grp, reusing capacity like newGroup.
func (w *walker) newConsumer(grp *StreamGroup) *StreamConsumer {
	if len(grp.Consumers) < cap(grp.Consumers) && w.e.stream == w.stReuse {
		grp.Consumers = grp.Consumers[:len(grp.Consumers)+1]
		c := &grp.Consumers[len(grp.Consumers)-1]
		*c = StreamConsumer{Name: c.Name[:0], PEL: c.PEL[:0], ActiveTime: -1}
		return c
	}
	grp.Consumers = append(grp.Consumers, StreamConsumer{ActiveTime: -1})
	return &grp.Consumers[len(grp.Consumers)-1]
}

func (w *walker) streamIDMP(st *Stream) error {
	r := w.r
	m := &StreamIDMP{}
	off := r.in.offset()
	var err error
	if m.Duration, err = r.readLen("stream IDMP duration"); err != nil {
		return err
	}
	if m.MaxEntries, err = r.readLen("stream IDMP max entries"); err != nil {
		return err
	}
	if m.Duration < 1 || m.Duration > 86400 {
		w.soft(off, "stream IDMP duration", "IDMP duration "+strconv.FormatUint(m.Duration, 10)+" outside 1..86400")
	}
	if m.MaxEntries < 1 || m.MaxEntries > 10000 {
		w.soft(off, "stream IDMP max entries", "IDMP max entries "+strconv.FormatUint(m.MaxEntries, 10)+" outside 1..10000")
	}
	np, err := r.readCount("stream IDMP producer count", 2)
	if err != nil {
		return err
	}
	for i := uint64(0); i < np; i++ {
		pid, err := r.readString("stream IDMP producer id")
		if err != nil {
			return err
		}
		p := IDMPProducer{PID: append([]byte(nil), pid...)}
		ne, err := r.readCount("stream IDMP entry count", 3)
		if err != nil {
			return err
		}
		for j := uint64(0); j < ne; j++ {
			iid, err := r.readString("stream IDMP iid")
			if err != nil {
				return err
			}
			ent := IDMPEntry{IID: append([]byte(nil), iid...)}
			if ent.ID.Ms, err = r.readLen("stream IDMP entry id"); err != nil {
				return err
			}
			if ent.ID.Seq, err = r.readLen("stream IDMP entry id"); err != nil {
				return err
			}
			p.Entries = append(p.Entries, ent)
		}
		m.Producers = append(m.Producers, p)
	}
	if m.IIDsAdded, err = r.readLen("stream IDMP iids added"); err != nil {
		return err
	}
	if m.IIDsDuplicates, err = r.readLen("stream IDMP iids duplicates"); err != nil {
		return err
	}
	st.IDMP = m
	return nil
}

// textRef marks an element of a [][]byte whose bytes live in an int arena
// that may still move while it grows.
type textRef struct{ i, s, e int }

// addText appends ent's logical text to *dst: strings alias the blob,
// integers are formatted into *arena and patched in by fixRefs.
func (w *walker) addText(dst *[][]byte, arena *[]byte, ent packEntry) {
	if !ent.IsInt {
		*dst = append(*dst, ent.Str)
		return
	}
	s := len(*arena)
	*arena = strconv.AppendInt(*arena, ent.Int, 10)
	w.refs = append(w.refs, textRef{len(*dst), s, len(*arena)})
	*dst = append(*dst, nil)
}

func (w *walker) fixRefs(dst [][]byte, arena []byte) {
	for _, p := range w.refs {
		dst[p.i] = arena[p.s:p.e]
	}
	w.refs = w.refs[:0]
}
