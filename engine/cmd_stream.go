package engine

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/bits"
	"slices"

	"github.com/zeebo/xxh3"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Stream commands (Redis src/t_stream.c). Consumer-group state (PELs,
// consumers, last-delivered IDs) is maintained but is not part of DEBUG
// DIGEST; entries, lengths and IDs are.

var streamCommands = []cmdSpec{
	{name: "xadd", fn: cmdXAdd},
	{name: "xtrim", fn: cmdXTrim},
	{name: "xdel", fn: cmdXDel},
	{name: "xsetid", fn: cmdXSetID},
	{name: "xgroup", fn: cmdXGroup},
	{name: "xack", fn: cmdXAck},
	{name: "xclaim", fn: cmdXClaim},
	{name: "xautoclaim", fn: cmdXAutoClaim},
	{name: "xreadgroup", fn: cmdXReadGroup},
	{name: "xdelex", fn: cmdXDelEx},
	{name: "xackdel", fn: cmdXAckDel},
	{name: "xcfgset", fn: cmdXCfgSet},
	{name: "xidmprecord", fn: cmdXIdmpRecord},
	{name: "xnack", fn: cmdXNack},
}

var errBadStreamID = replyErr("ERR Invalid stream ID specified as stream command argument")

// string2ull is the server's string2ull: string2ll, else strtoull (which
// allows leading spaces, a sign, leading zeros; "-n" wraps around).
func string2ull(b []byte) (uint64, bool) {
	if n, ok := parseInt(b); ok {
		if n < 0 {
			return 0, false
		}
		return uint64(n), true
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] >= '\t' && b[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-uint64(c-'0'))/10 {
			return 0, false // ERANGE
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// parseStreamID is streamGenericParseIDOrReply: "<ms>[-<seq>]", "-" and
// "+" unless strict, "<ms>-*" when auto is allowed (seqGiven false).
func parseStreamID(b []byte, strict bool, missingSeq uint64, allowAuto bool) (id sid, seqGiven bool, err error) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) > 127 {
		return id, false, errBadStreamID
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false, errBadStreamID
		}
		if b[0] == '+' {
			return sid{Ms: math.MaxUint64, Seq: math.MaxUint64}, true, nil
		}
		return sid{}, true, nil
	}
	seqGiven = true
	msPart, seqPart, dash := bytes.Cut(b, []byte("-"))
	ms, ok := string2ull(msPart)
	if !ok {
		return id, false, errBadStreamID
	}
	seq := missingSeq
	if dash {
		if allowAuto && len(seqPart) == 1 && seqPart[0] == '*' {
			seq, seqGiven = 0, false
		} else if seq, ok = string2ull(seqPart); !ok {
			return id, false, errBadStreamID
		}
	}
	return sid{Ms: ms, Seq: seq}, seqGiven, nil
}

func (e *Engine) stream(key []byte) (*streamObj, error) {
	o, err := e.cur().typed(key, kindStream)
	if o == nil {
		return nil, err
	}
	return o.(*streamObj), nil
}

// trimArgs are the parsed XADD/XTRIM options.
type trimArgs struct {
	strategy   int // 0 none, 1 maxlen, 2 minid
	approx     bool
	maxlen     int64
	minid      sid
	nomkstream bool
	id         sid
	idGiven    bool
	seqGiven   bool
	policy     int    // 0 KEEPREF, 1 DELREF, 2 ACKED
	idmpPID    []byte // IDMP / IDMPAUTO producer id (Redis 8.6+)
	idmpIID    []byte // IDMP idempotent id
	idmpAuto   bool   // IDMPAUTO: the id is a hash of the fields
}

// parseTrimArgs is streamParseAddOrTrimArgsOrReply. It returns the index
// of the ID (XADD) or len(a).
func (e *Engine) parseTrimArgs(a [][]byte, xadd bool) (trimArgs, int, error) {
	var t trimArgs
	i := 2
	for ; i < len(a); i++ {
		more := len(a) - 1 - i
		o := a[i]
		redis82 := !e.v.Valkey && e.v.AtLeast(8, 2)
		switch {
		case xadd && len(o) == 1 && o[0] == '*':
			return t, i, nil
		case eq(o, "maxlen") && more > 0, eq(o, "minid") && more > 0:
			if t.strategy != 0 {
				return t, 0, replyErr("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
			}
			t.approx = false
			next := a[i+1]
			if more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				t.approx = next[0] == '~'
				i++
			}
			if eq(o, "maxlen") {
				n, err := argInt(a[i+1])
				if err != nil {
					return t, 0, err
				}
				if n < 0 {
					return t, 0, replyErr("ERR The MAXLEN argument must be >= 0.")
				}
				t.maxlen, t.strategy = n, 1
			} else {
				id, _, err := parseStreamID(a[i+1], true, 0, false)
				if err != nil {
					return t, 0, err
				}
				t.minid, t.strategy = id, 2
			}
			i++
		case eq(o, "limit") && more > 0:
			n, err := argInt(a[i+1])
			if err != nil {
				return t, 0, err
			}
			if n < 0 {
				return t, 0, replyErr("ERR The LIMIT argument must be >= 0.")
			}
			i++ // the AOF client ignores LIMIT (mustObeyClient)
		case xadd && eq(o, "nomkstream"):
			t.nomkstream = true
		case redis82 && eq(o, "keepref"):
			t.policy = 0
		case redis82 && eq(o, "delref"):
			t.policy = 1
		case redis82 && eq(o, "acked"):
			t.policy = 2
		case xadd && !e.v.Valkey && e.v.AtLeast(8, 6) && eq(o, "idmpauto") && more >= 1:
			if t.idmpPID != nil {
				return t, 0, replyErr("ERR syntax error, IDMP/IDMPAUTO specified multiple times")
			}
			if len(a[i+1]) == 0 {
				return t, 0, replyErr("ERR syntax error, IDMPAUTO requires a non-empty producer ID")
			}
			t.idmpPID, t.idmpAuto = a[i+1], true
			i++
		case xadd && !e.v.Valkey && e.v.AtLeast(8, 6) && eq(o, "idmp") && more >= 2:
			if t.idmpPID != nil {
				return t, 0, replyErr("ERR syntax error, IDMP/IDMPAUTO specified multiple times")
			}
			if len(a[i+1]) == 0 {
				return t, 0, replyErr("ERR syntax error, IDMP requires a non-empty producer ID")
			}
			if len(a[i+2]) == 0 {
				return t, 0, replyErr("ERR syntax error, IDMP requires a non-empty idempotent ID")
			}
			t.idmpPID, t.idmpIID = a[i+1], a[i+2]
			i += 2
		case xadd:
			id, seqGiven, err := parseStreamID(o, true, 0, true)
			if err != nil {
				return t, 0, err
			}
			t.id, t.idGiven, t.seqGiven = id, true, seqGiven
			return t, i, nil
		default:
			return t, 0, errSyntax
		}
	}
	if !xadd && t.strategy == 0 {
		return t, 0, replyErr("ERR syntax error, XTRIM must be called with a trimming strategy")
	}
	return t, i, nil
}

// applyTrim trims s as the arguments say. With DELREF the trimmed
// entries are also removed from every group's PEL.
func (e *Engine) applyTrim(s *streamObj, t *trimArgs) error {
	if t.strategy == 0 {
		return nil
	}
	if t.policy == 2 {
		return unsupported("trimming with ACKED")
	}
	var ids []sid
	if t.policy == 1 && len(s.groups) > 0 {
		s.each(func(id sid, _ [][]byte) bool { ids = append(ids, id); return true })
	}
	before := s.count
	s.trim(t.strategy == 1, uint64(max(t.maxlen, 0)), t.minid, t.approx, 0)
	for _, id := range ids[:min(len(ids), int(before-s.count))] {
		s.dropRefs(id) // trimming removes from the head
	}
	return nil
}

// dropRefs removes id from every group's PEL (DELREF).
func (s *streamObj) dropRefs(id sid) {
	for _, g := range s.groups {
		if p, ok := g.pel[id]; ok {
			if p.owner != nil {
				delete(p.owner.pel, id)
			}
			delete(g.pel, id)
		}
		g.unnack(id)
	}
}

// nextID is streamNextID: the clock, or last ID + 1.
func nextID(last sid, now int64) (sid, bool) {
	if now > 0 && uint64(now) > last.Ms {
		return sid{Ms: uint64(now)}, true
	}
	return incrID(last)
}

func incrID(id sid) (sid, bool) {
	if id.Seq == math.MaxUint64 {
		if id.Ms == math.MaxUint64 {
			return id, false
		}
		return sid{Ms: id.Ms + 1}, true
	}
	return sid{Ms: id.Ms, Seq: id.Seq + 1}, true
}

func cmdXAdd(e *Engine, a [][]byte) error {
	t, i, err := e.parseTrimArgs(a, true)
	if err != nil {
		return err
	}
	fp := i + 1
	if len(a)-fp < 2 || (len(a)-fp)%2 == 1 {
		return errArity("xadd")
	}
	if t.idGiven && t.seqGiven && t.id == (sid{}) {
		return replyErr("ERR The ID specified in XADD must be greater than 0-0")
	}
	s, err := e.stream(a[1])
	if err != nil {
		return err
	}
	if t.idmpAuto {
		t.idmpIID = idmpAutoIID(a[fp:])
	}
	if s == nil {
		if t.nomkstream {
			return nil
		}
		s = &streamObj{}
		e.cur().put(a[1], s, noExpire)
	}
	var prod *rdbfile.IDMPProducer
	if t.idmpPID != nil {
		m := s.idmpState()
		prod = m.producer(t.idmpPID)
		if _, ok := idmpLookup(prod, t.idmpIID); ok {
			m.IIDsDuplicates++ // a replay of a recorded id adds nothing
			return nil
		}
	}
	if s.lastID.Ms == math.MaxUint64 && s.lastID.Seq == math.MaxUint64 {
		return replyErr("ERR The stream has exhausted the last possible ID, unable to add more items")
	}
	tooSmall := replyErr("ERR The ID specified in XADD is equal or smaller than the target stream top item")
	var id sid
	switch {
	case t.idGiven && t.seqGiven:
		id = t.id
	case t.idGiven:
		if s.lastID.Ms == t.id.Ms {
			if s.lastID.Seq == math.MaxUint64 {
				return tooSmall
			}
			id = sid{Ms: t.id.Ms, Seq: s.lastID.Seq + 1}
		} else {
			id = t.id
		}
	default:
		var ok bool
		if id, ok = nextID(s.lastID, e.now()); !ok {
			return tooSmall
		}
	}
	if !idLess(s.lastID, id) {
		return tooSmall
	}
	s.append(id, a[fp:])
	s.entriesAdded++
	s.lastID = id
	if prod != nil {
		(*idmpState)(s.idmp).insert(prod, t.idmpIID, id)
	}
	return e.applyTrim(s, &t)
}

func cmdXTrim(e *Engine, a [][]byte) error {
	s, err := e.stream(a[1])
	if err != nil {
		return err
	}
	t, _, err := e.parseTrimArgs(a, false)
	if err != nil || s == nil {
		return err
	}
	return e.applyTrim(s, &t)
}

func cmdXDel(e *Engine, a [][]byte) error {
	s, err := e.stream(a[1])
	if err != nil || s == nil {
		return err
	}
	ids := make([]sid, 0, len(a)-2)
	for _, b := range a[2:] {
		id, _, err := parseStreamID(b, true, 0, false)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	for _, id := range ids {
		s.delete(id)
	}
	return nil
}

func cmdXSetID(e *Engine, a [][]byte) error {
	id, _, err := parseStreamID(a[2], true, 0, false)
	if err != nil {
		return err
	}
	entriesAdded := int64(-1)
	var maxDel sid
	for i := 3; i < len(a); i += 2 {
		more := len(a) - 1 - i
		switch {
		case eq(a[i], "entriesadded") && more > 0:
			n, err := argInt(a[i+1])
			if err != nil {
				return err
			}
			if n < 0 {
				return replyErr("ERR entries_added must be positive")
			}
			entriesAdded = n
		case eq(a[i], "maxdeletedid") && more > 0:
			m, _, err := parseStreamID(a[i+1], true, 0, false)
			if err != nil {
				return err
			}
			if idLess(id, m) {
				return replyErr("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
			}
			maxDel = m
		default:
			return errSyntax
		}
	}
	s, err := e.stream(a[1])
	if err != nil {
		return err
	}
	if s == nil {
		return errNoSuchKey
	}
	if idLess(id, s.maxDeletedID) {
		return replyErr("ERR The ID specified in XSETID is smaller than current max_deleted_entry_id")
	}
	if s.count > 0 {
		if top, _ := s.maxID(); idLess(id, top) {
			return replyErr("ERR The ID specified in XSETID is smaller than the target stream top item")
		}
		if entriesAdded != -1 && s.count > uint64(entriesAdded) {
			return replyErr("ERR The entries_added specified in XSETID is smaller than the target stream length")
		}
	}
	s.lastID = id
	if entriesAdded != -1 {
		s.entriesAdded = uint64(entriesAdded)
	}
	if maxDel != (sid{}) {
		s.maxDeletedID = maxDel
	}
	return nil
}

func cmdXGroup(e *Engine, a [][]byte) error {
	op := a[1]
	if eq(op, "help") {
		return nil
	}
	if len(a) < 4 {
		return replyErr("ERR unknown subcommand or wrong number of arguments for '" + string(op) + "'")
	}
	mkstream := false
	entriesRead := int64(-1)
	isCreate := eq(op, "create")
	if isCreate && len(a) >= 5 {
		for i := 5; i < len(a); {
			switch {
			case eq(a[i], "mkstream"):
				mkstream = true
				i++
			case eq(a[i], "entriesread") && i+1 < len(a):
				n, err := argInt(a[i+1])
				if err != nil {
					return err
				}
				if n < 0 && n != -1 {
					return replyErr("ERR value for ENTRIESREAD must be positive or -1")
				}
				entriesRead = n
				i += 2
			default:
				return errSyntax
			}
		}
	}
	s, err := e.stream(a[2])
	if err != nil {
		return err
	}
	if s == nil && !(isCreate && mkstream) {
		return replyErr("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
	}
	var g *sgroup
	if s != nil {
		g = s.group(a[3])
	}
	if g == nil && (eq(op, "setid") || eq(op, "createconsumer") || eq(op, "delconsumer")) {
		return replyErr("NOGROUP No such consumer group '" + string(a[3]) + "' for key name '" + string(a[2]) + "'")
	}
	switch {
	case isCreate && len(a) >= 5 && len(a) <= 8:
		var id sid
		if string(a[4]) == "$" {
			if s != nil {
				id = s.lastID
			}
		} else if id, _, err = parseStreamID(a[4], true, 0, false); err != nil {
			return err
		}
		if s == nil {
			s = &streamObj{}
			e.cur().put(a[2], s, noExpire)
		}
		if s.group(a[3]) != nil {
			return replyErr("BUSYGROUP Consumer Group name already exists")
		}
		s.addGroup(&sgroup{name: clone(a[3]), lastID: id, read: entriesRead, pel: map[sid]*spending{}})
	case eq(op, "setid") && (len(a) == 5 || len(a) == 7):
		var id sid
		if string(a[4]) == "$" {
			id = s.lastID
		} else if id, _, err = parseStreamID(a[4], false, 0, false); err != nil {
			return err
		}
		if len(a) == 7 {
			n, ok := parseInt(a[6])
			if !eq(a[5], "entriesread") || !ok {
				return errSyntax
			}
			if n < 0 && n != -1 {
				return replyErr("ERR value for ENTRIESREAD must be positive or -1")
			}
			entriesRead = n
		}
		g.lastID, g.read = id, entriesRead
	case eq(op, "destroy") && len(a) == 4:
		if g != nil {
			s.removeGroup(a[3])
		}
	case eq(op, "createconsumer") && len(a) == 5:
		g.addConsumer(a[4], e.now())
	case eq(op, "delconsumer") && len(a) == 5:
		g.deleteConsumer(a[4])
	default:
		return replyErr("ERR unknown subcommand or wrong number of arguments for '" + string(op) + "'")
	}
	return nil
}

func (e *Engine) streamGroup(a [][]byte) (*streamObj, *sgroup, error) {
	s, err := e.stream(a[1])
	if err != nil {
		return nil, nil, err
	}
	if s == nil {
		return nil, nil, nil
	}
	return s, s.group(a[2]), nil
}

// ack removes id from the group's PEL.
func (g *sgroup) ack(id sid) bool {
	p, ok := g.pel[id]
	if !ok {
		return false
	}
	if p.owner != nil {
		delete(p.owner.pel, id)
	}
	delete(g.pel, id)
	g.unnack(id)
	return true
}

func parseIDs(a [][]byte) ([]sid, error) {
	ids := make([]sid, 0, len(a))
	for _, b := range a {
		id, _, err := parseStreamID(b, true, 0, false)
		if err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func cmdXAck(e *Engine, a [][]byte) error {
	_, g, err := e.streamGroup(a)
	if err != nil {
		return err
	}
	ids, err := parseIDs(a[3:])
	if err != nil || g == nil {
		return err
	}
	for _, id := range ids {
		g.ack(id)
	}
	return nil
}

// claim gives pending entry id to consumer c (XCLAIM's inner loop).
func (g *sgroup) claim(id sid, c *sconsumer, p *spending, deliveryTime int64, retry int64, justid bool) {
	if p.owner != c {
		if p.owner != nil {
			delete(p.owner.pel, id)
		}
		c.pel[id] = struct{}{}
		p.owner = c
	}
	p.time = deliveryTime
	g.unnack(id) // a new delivery time moves it out of the NACK zone
	if retry >= 0 {
		p.count = uint64(retry)
	} else if !justid {
		p.count++
	}
}

func cmdXClaim(e *Engine, a [][]byte) error {
	s, g, err := e.streamGroup(a)
	if err != nil {
		return err
	}
	if s == nil || g == nil {
		return replyErr("NOGROUP No such key '" + string(a[1]) + "' or consumer group '" + string(a[2]) + "'")
	}
	minidle, ok := parseInt(a[4])
	if !ok {
		return replyErr("ERR Invalid min-idle-time argument for XCLAIM")
	}
	minidle = max(minidle, 0)
	j := 5
	var ids []sid
	for ; j < len(a); j++ {
		id, _, err := parseStreamID(a[j], true, 0, false)
		if err != nil {
			break
		}
		ids = append(ids, id)
	}
	now := e.now()
	retry, delivery := int64(-1), int64(-1)
	force, justid := false, false
	var lastID sid
	for ; j < len(a); j++ {
		more := len(a) - 1 - j
		switch {
		case eq(a[j], "force"):
			force = true
		case eq(a[j], "justid"):
			justid = true
		case eq(a[j], "idle") && more > 0:
			n, ok := parseInt(a[j+1])
			if !ok {
				return replyErr("ERR Invalid IDLE option argument for XCLAIM")
			}
			delivery = now - n
			j++
		case eq(a[j], "time") && more > 0:
			n, ok := parseInt(a[j+1])
			if !ok {
				return replyErr("ERR Invalid TIME option argument for XCLAIM")
			}
			delivery = n
			j++
		case eq(a[j], "retrycount") && more > 0:
			n, ok := parseInt(a[j+1])
			if !ok {
				return replyErr("ERR Invalid RETRYCOUNT option argument for XCLAIM")
			}
			retry = n
			j++
		case eq(a[j], "lastid") && more > 0:
			id, _, err := parseStreamID(a[j+1], true, 0, false)
			if err != nil {
				return err
			}
			lastID = id
			j++
		default:
			return replyErr("ERR Unrecognized XCLAIM option '" + string(a[j]) + "'")
		}
	}
	if idLess(g.lastID, lastID) {
		g.lastID = lastID
	}
	// A bogus delivery time becomes now; without a clock the time given
	// (from the AOF) is kept.
	if delivery == -1 || (e.clockKnown() && (delivery < 0 || delivery > now)) {
		delivery = now
	}
	var c *sconsumer
	for _, id := range ids {
		p := g.pel[id]
		if !s.has(id) {
			if p != nil {
				g.ack(id)
			}
			continue
		}
		if force && p == nil {
			p = &spending{}
			g.pel[id] = p
		}
		if p == nil {
			continue
		}
		if p.owner != nil && minidle > 0 && now-p.time < minidle {
			continue
		}
		if c == nil {
			c, _ = g.addConsumer(a[3], now)
		}
		g.claim(id, c, p, delivery, retry, justid)
	}
	return nil
}

func cmdXAutoClaim(e *Engine, a [][]byte) error {
	s, g, err := e.streamGroup(a)
	if err != nil {
		return err
	}
	if s == nil || g == nil {
		return replyErr("NOGROUP No such key '" + string(a[1]) + "' or consumer group '" + string(a[2]) + "'")
	}
	minidle, ok := parseInt(a[4])
	if !ok {
		return replyErr("ERR Invalid min-idle-time argument for XAUTOCLAIM")
	}
	minidle = max(minidle, 0)
	start, _, err := parseStreamID(a[5], false, 0, false)
	if err != nil {
		return err
	}
	count, justid := int64(100), false
	for j := 6; j < len(a); j++ {
		switch {
		case eq(a[j], "count") && j+1 < len(a):
			n, ok := parseInt(a[j+1])
			if !ok || n < 1 || n > math.MaxInt64/10 {
				return replyErr("ERR COUNT must be > 0")
			}
			count = n
			j++
		case eq(a[j], "justid"):
			justid = true
		default:
			return errSyntax
		}
	}
	now := e.now()
	attempts := count * 10
	var c *sconsumer
	for _, id := range g.sortedPEL() {
		if idLess(id, start) {
			continue
		}
		if attempts <= 0 || count <= 0 {
			break
		}
		attempts--
		p := g.pel[id]
		if !s.has(id) {
			g.ack(id)
			count--
			continue
		}
		if minidle > 0 && now-p.time < minidle {
			continue
		}
		if c == nil {
			c, _ = g.addConsumer(a[3], now)
		}
		g.claim(id, c, p, now, -1, justid)
		count--
	}
	return nil
}

// cmdXReadGroup delivers new entries (">") to a consumer; reading history
// changes nothing but the consumer. COUNT, NOACK and BLOCK are honoured
// (blocking never waits).
func cmdXReadGroup(e *Engine, a [][]byte) error {
	if !eq(a[1], "group") {
		return errSyntax
	}
	group, consumer := a[2], a[3]
	count, noack := int64(0), false
	i := 4
	for ; i < len(a); i++ {
		switch {
		case eq(a[i], "count") && i+1 < len(a):
			n, err := argInt(a[i+1])
			if err != nil {
				return err
			}
			count = max(n, 0)
			i++
		case eq(a[i], "block") && i+1 < len(a):
			i++
		case eq(a[i], "noack"):
			noack = true
		case eq(a[i], "streams"):
			goto streams
		default:
			return errSyntax
		}
	}
	return errSyntax
streams:
	i++
	if (len(a)-i)%2 != 0 || len(a) == i {
		return replyErr("ERR Unbalanced 'xreadgroup' list of streams: for each stream key an ID or '>' must be specified.")
	}
	n := (len(a) - i) / 2
	now := e.now()
	for k := 0; k < n; k++ {
		key, idb := a[i+k], a[i+n+k]
		s, err := e.stream(key)
		if err != nil {
			return err
		}
		var g *sgroup
		if s != nil {
			g = s.group(group)
		}
		if g == nil {
			return replyErr("NOGROUP No such key '" + string(key) + "' or consumer group '" + string(group) + "' in XREADGROUP with GROUP option")
		}
		c, _ := g.addConsumer(consumer, now)
		c.seen = now
		if string(idb) != ">" {
			if _, _, err := parseStreamID(idb, false, 0, false); err != nil {
				return err
			}
			continue
		}
		delivered := int64(0)
		s.each(func(id sid, _ [][]byte) bool {
			if count > 0 && delivered >= count {
				return false
			}
			if !idLess(g.lastID, id) {
				return true
			}
			g.lastID = id
			if g.read >= 0 {
				g.read++
			}
			delivered++
			c.active = now
			if !noack {
				if p, ok := g.pel[id]; ok {
					g.claim(id, c, p, now, -1, false)
					p.count = 1
				} else {
					g.pel[id] = &spending{time: now, count: 1, owner: c}
					c.pel[id] = struct{}{}
				}
			}
			return true
		})
	}
	return nil
}

// ackedByAll reports whether every group has delivered and acknowledged id
// (the ACKED policy of Redis 8.2).
func (s *streamObj) ackedByAll(id sid) bool {
	for _, g := range s.groups {
		if _, pending := g.pel[id]; pending || idLess(g.lastID, id) {
			return false
		}
	}
	return true
}

// deletePolicy parses KEEPREF|DELREF|ACKED and "IDS numids id..." at a[i:].
func deletePolicy(a [][]byte, i int) (int, []sid, error) {
	policy := 0
	if i < len(a) {
		switch {
		case eq(a[i], "keepref"):
			i++
		case eq(a[i], "delref"):
			policy = 1
			i++
		case eq(a[i], "acked"):
			policy = 2
			i++
		}
	}
	if i+1 >= len(a) || !eq(a[i], "ids") {
		return 0, nil, errSyntax
	}
	n, ok := parseInt(a[i+1])
	if !ok || n <= 0 || n != int64(len(a)-i-2) {
		return 0, nil, replyErr("ERR The `numids` parameter must match the number of arguments")
	}
	ids, err := parseIDs(a[i+2:])
	return policy, ids, err
}

// deleteWithPolicy deletes id from s per KEEPREF/DELREF/ACKED.
func (s *streamObj) deleteWithPolicy(id sid, policy int) {
	if policy == 2 && !s.ackedByAll(id) {
		return
	}
	if s.delete(id) && policy == 1 {
		s.dropRefs(id)
	}
}

func cmdXDelEx(e *Engine, a [][]byte) error {
	policy, ids, err := deletePolicy(a, 2)
	if err != nil {
		return err
	}
	s, err := e.stream(a[1])
	if err != nil || s == nil {
		return err
	}
	for _, id := range ids {
		s.deleteWithPolicy(id, policy)
	}
	return nil
}

func cmdXAckDel(e *Engine, a [][]byte) error {
	policy, ids, err := deletePolicy(a, 3)
	if err != nil {
		return err
	}
	s, g, err := e.streamGroup(a)
	if err != nil {
		return err
	}
	if s == nil || g == nil {
		return replyErr("NOGROUP No such key '" + string(a[1]) + "' or consumer group '" + string(a[2]) + "'")
	}
	for _, id := range ids {
		g.ack(id)
		s.deleteWithPolicy(id, policy)
	}
	return nil
}

// Redis 8.6/8.8 stream state: the idempotent-producer (IDMP) records and
// the NACK zone of consumer groups (src/t_stream.c). Neither is part of
// DEBUG DIGEST, but IDMP decides whether an XADD adds an entry.

// IDMP defaults of a new stream: stream-idmp-duration and
// stream-idmp-maxsize (both 100), and the XCFGSET limits.
const (
	idmpDefaultDuration = 100
	idmpDefaultMaxSize  = 100
	idmpMaxDuration     = 86400
	idmpMaxMaxSize      = 10000
)

// idmpState returns the stream's IDMP state, created with the defaults.
func (s *streamObj) idmpState() *idmpState {
	if s.idmp == nil {
		s.idmp = &rdbfile.StreamIDMP{Duration: idmpDefaultDuration, MaxEntries: idmpDefaultMaxSize}
	}
	return (*idmpState)(s.idmp)
}

// idmpState is a stream's IDMP state: producers in byte order of their ids
// (the server's rax), each with its records oldest first.
type idmpState rdbfile.StreamIDMP

// producer is idmpGetOrCreateProducer.
func (m *idmpState) producer(pid []byte) *rdbfile.IDMPProducer {
	i, ok := slices.BinarySearchFunc(m.Producers, pid, func(p rdbfile.IDMPProducer, k []byte) int { return bytes.Compare(p.PID, k) })
	if !ok {
		m.Producers = slices.Insert(m.Producers, i, rdbfile.IDMPProducer{PID: clone(pid)})
	}
	return &m.Producers[i]
}

// cloneIDMP returns a deep copy of m (COPY, Lookup: records are changed
// in place).
func cloneIDMP(m *rdbfile.StreamIDMP) *rdbfile.StreamIDMP {
	c := *m
	c.Producers = make([]rdbfile.IDMPProducer, len(m.Producers))
	for i, p := range m.Producers {
		c.Producers[i] = rdbfile.IDMPProducer{PID: clone(p.PID), Entries: make([]rdbfile.IDMPEntry, len(p.Entries))}
		for j, r := range p.Entries {
			c.Producers[i].Entries[j] = rdbfile.IDMPEntry{IID: clone(r.IID), ID: r.ID}
		}
	}
	return &c
}

// idmpLookup returns the entry ID producer p recorded for iid.
func idmpLookup(p *rdbfile.IDMPProducer, iid []byte) (sid, bool) {
	for _, r := range p.Entries {
		if bytes.Equal(r.IID, iid) {
			return r.ID, true
		}
	}
	return sid{}, false
}

// insert is idmpInsertEntry: records iid → id last in p, then drops p's
// oldest record beyond the stream's IDMP-MAXSIZE.
func (m *idmpState) insert(p *rdbfile.IDMPProducer, iid []byte, id sid) {
	p.Entries = append(p.Entries, rdbfile.IDMPEntry{IID: clone(iid), ID: id})
	m.IIDsAdded++
	if uint64(len(p.Entries)) > m.MaxEntries {
		p.Entries = slices.Delete(p.Entries, 0, 1)
	}
}

// XCFGSET key [IDMP-DURATION seconds] [IDMP-MAXSIZE entries]: a changed
// value drops every IDMP record of the stream (the counters stay).
func cmdXCfgSet(e *Engine, a [][]byte) error {
	s, err := e.stream(a[1])
	if err != nil {
		return err
	}
	if s == nil {
		return errNoSuchKey
	}
	duration, maxsize := int64(-1), int64(-1)
	for i := 2; i < len(a); i++ {
		more := len(a) - 1 - i
		switch {
		case eq(a[i], "idmp-duration") && more > 0:
			if duration != -1 {
				return replyErr("ERR IDMP-DURATION specified multiple times")
			}
			i++
			n, err := argInt(a[i])
			if err != nil {
				return err
			}
			if n < 1 || n > idmpMaxDuration {
				return replyErr("ERR IDMP-DURATION must be between 1 and 86400 seconds")
			}
			duration = n
		case eq(a[i], "idmp-maxsize") && more > 0:
			if maxsize != -1 {
				return replyErr("ERR IDMP-MAXSIZE specified multiple times")
			}
			i++
			n, err := argInt(a[i])
			if err != nil {
				return err
			}
			if n < 1 || n > idmpMaxMaxSize {
				return replyErr("ERR IDMP-MAXSIZE must be between 1 and 10000 entries")
			}
			maxsize = n
		default:
			return errSyntax
		}
	}
	if duration == -1 && maxsize == -1 {
		return replyErr("ERR At least one parameter must be specified")
	}
	m := s.idmpState()
	if duration != -1 && m.Duration != uint64(duration) {
		m.Duration, m.Producers = uint64(duration), nil
	}
	if maxsize != -1 && m.MaxEntries != uint64(maxsize) {
		m.MaxEntries, m.Producers = uint64(maxsize), nil
	}
	return nil
}

// XIDMPRECORD key pid iid id: records that entry id (which must exist)
// was added by producer pid with idempotent id iid (what an AOF rewrite
// emits per IDMP record).
func cmdXIdmpRecord(e *Engine, a [][]byte) error {
	id, _, err := parseStreamID(a[4], true, 0, false)
	if err != nil {
		return err
	}
	if len(a[2]) == 0 {
		return replyErr("ERR producer ID must be non-empty")
	}
	if len(a[3]) == 0 {
		return replyErr("ERR idempotent ID must be non-empty")
	}
	s, err := e.stream(a[1])
	if err != nil {
		return err
	}
	if s == nil {
		return errNoSuchKey
	}
	if !s.has(id) {
		return replyErr("ERR No such message in stream")
	}
	m := s.idmpState()
	p := m.producer(a[2])
	if old, ok := idmpLookup(p, a[3]); ok {
		if old != id {
			return replyErr("ERR IID already exists for this producer with a different stream ID")
		}
		return nil
	}
	m.insert(p, a[3], id)
	return nil
}

// XNACK modes.
const (
	xnackSilent = iota // delivery count - 1
	xnackFail          // delivery count kept
	xnackFatal         // delivery count = INT64_MAX
)

// XNACK key group SILENT|FAIL|FATAL IDS n id... [RETRYCOUNT count] [FORCE]:
// releases pending entries to the group: no owner, delivery time 0, last
// in the NACK zone; FORCE creates unowned entries for existing stream
// entries that are not pending.
func cmdXNack(e *Engine, a [][]byte) error {
	s, err := e.stream(a[1])
	if err != nil {
		return err
	}
	var g *sgroup
	if s != nil {
		g = s.group(a[2])
	}
	if g == nil {
		return replyErr("NOGROUP No such key '" + cString(a[1]) + "' or consumer group '" + cString(a[2]) + "'")
	}
	var mode int
	switch {
	case eq(a[3], "silent"):
		mode = xnackSilent
	case eq(a[3], "fail"):
		mode = xnackFail
	case eq(a[3], "fatal"):
		mode = xnackFatal
	default:
		return replyErr("ERR mode must be SILENT, FAIL, or FATAL")
	}
	idsStart, numids, force, retry := 0, 0, false, int64(-1)
	for i := 4; i < len(a); i++ {
		more := len(a) - 1 - i
		switch {
		case eq(a[i], "ids") && more > 0:
			n, ok := parseInt(a[i+1])
			if !ok || n < 1 || n > math.MaxInt32 {
				return replyErr("ERR numids must be a positive integer")
			}
			idsStart = i + 2
			if n > int64(len(a)-idsStart) {
				return replyErr("ERR number of IDs doesn't match numids")
			}
			numids = int(n)
			i = idsStart + numids - 1
		case eq(a[i], "force"):
			force = true
		case eq(a[i], "retrycount") && more > 0:
			i++
			n, err := argInt(a[i])
			if err != nil {
				return err
			}
			if n < 0 {
				return replyErr("ERR Invalid RETRYCOUNT value, must be >= 0")
			}
			retry = n
		default:
			return replyErr("ERR Unrecognized XNACK option '" + cString(a[i]) + "'")
		}
	}
	if idsStart == 0 {
		return replyErr("ERR syntax error, expected IDS keyword")
	}
	ids, err := parseIDs(a[idsStart : idsStart+numids])
	if err != nil {
		return err
	}
	count := func(c uint64) uint64 {
		switch {
		case retry >= 0:
			return uint64(retry)
		case mode == xnackSilent && c > 0:
			return c - 1
		case mode == xnackFatal:
			return math.MaxInt64
		}
		return c
	}
	for _, id := range ids {
		p, ok := g.pel[id]
		switch {
		case ok:
			p.count = count(p.count)
			if p.owner != nil {
				delete(p.owner.pel, id)
				p.owner = nil
			}
			g.unnack(id)
		case force && s.has(id):
			p = &spending{count: count(0)}
			g.pel[id] = p
		default:
			continue
		}
		p.time = 0
		g.nack = append(g.nack, id)
	}
	return nil
}

// unnack removes id from the group's NACK zone, if there.
func (g *sgroup) unnack(id sid) {
	if i := slices.Index(g.nack, id); i >= 0 {
		g.nack = slices.Delete(g.nack, i, i+1)
	}
}

// cString is b up to its first NUL byte, as the server prints a key or a
// name with %s.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

// idmpAutoIID returns the idempotent id that XADD IDMPAUTO derives from the
// entry's field-value pairs (Redis 8.6+ src/t_stream.c
// createIdempotencyHash): the XXH3-128 hash of each pair (the field, its
// length as an 8-byte little-endian integer, the value), combined so that
// the order of the pairs does not matter (the sums and the xors of the
// halves, each sum mixed with the other half's xor rotated by 1 bit), as
// the 16 bytes of the server's XXH128_hash_t on a little-endian machine
// (the low 64 bits first), which is what the server stores and writes to
// the RDB.
func idmpAutoIID(pairs [][]byte) []byte {
	var sumLo, sumHi, xorLo, xorHi uint64
	var buf []byte
	for i := 0; i+1 < len(pairs); i += 2 {
		buf = append(buf[:0], pairs[i]...)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(len(pairs[i])))
		buf = append(buf, pairs[i+1]...)
		h := xxh3.Hash128(buf)
		sumLo, sumHi = sumLo+h.Lo, sumHi+h.Hi
		xorLo, xorHi = xorLo^h.Lo, xorHi^h.Hi
	}
	iid := binary.LittleEndian.AppendUint64(make([]byte, 0, 16), sumLo^bits.RotateLeft64(xorHi, 1))
	return binary.LittleEndian.AppendUint64(iid, sumHi^bits.RotateLeft64(xorLo, 1))
}
