package engine

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// LoadRDB reads every record of r into the keyspace, as the server loads the
// RDB preamble of an AOF (or a replica loads an RDB file): keys go to the
// database of their SELECTDB (replacing a key of the same name), FUNCTION2
// records become function libraries, AUX and other metadata are ignored.
// Keys are kept whatever their expire time and empty aggregates are
// skipped. It is LoadRDBWith with the zero LoadOptions. Errors of r are
// returned as they are (*rdbfile.CorruptError, ...).
func (e *Engine) LoadRDB(r *rdbfile.Reader) error { return e.LoadRDBWith(r, LoadOptions{}) }

// LoadOptions tune LoadRDBWith.
type LoadOptions struct {
	// DropExpiredBefore, when not zero, drops every key whose expire time
	// (ms since the Unix epoch) is before it, as a primary does when it
	// loads an RDB file at startup: Redis src/rdb.c rdbLoadRioWithLoadingCtx
	// deletes a key with "iAmMaster() && !(rdbflags&RDBFLAGS_AOF_PREAMBLE)
	// && expiretime != -1 && expiretime < now", now being the time the load
	// started. Zero keeps every key, as a replica and the RDB preamble of an
	// AOF do.
	DropExpiredBefore int64
	// OnSkip, when set, is told about every key that was not loaded, in
	// file order, on the goroutine that called LoadRDBWith.
	OnSkip func(LoadSkip)
}

// SkipReason says why LoadRDBWith did not load a key.
type SkipReason int

const (
	// SkipEmpty: an empty list, set, sorted set or hash. The server does
	// not load such a key and logs "rdbLoadObject skipping empty key"
	// (src/rdb.c, rdbLoadObject's emptykey path, since Redis 7.0); an
	// empty ziplist or listpack node of a quicklist is dropped silently,
	// and the list is an empty key when no element is left.
	SkipEmpty SkipReason = iota + 1
	// SkipExpired: the key's expire time is before
	// LoadOptions.DropExpiredBefore.
	SkipExpired
)

func (s SkipReason) String() string {
	switch s {
	case SkipEmpty:
		return "empty"
	case SkipExpired:
		return "expired"
	}
	return "SkipReason(" + strconv.Itoa(int(s)) + ")"
}

// LoadSkip is a key LoadRDBWith did not load.
type LoadSkip struct {
	Reason   SkipReason
	DB       int
	Key      []byte // valid only during the OnSkip call
	Kind     rdbfile.Kind
	Offset   int64 // offset of the key's record in the file
	ExpireAt int64 // ms since the Unix epoch, or rdbfile.NoExpire
}

// LoadRDBWith reads every record of r into the keyspace, as LoadRDB does,
// tuned by o: keys that expired before o.DropExpiredBefore are dropped, and
// each key not loaded (expired, or an empty aggregate) is passed to
// o.OnSkip. Errors of r are returned as they are (*rdbfile.CorruptError,
// ...), except the findings of an empty aggregate, which the server
// tolerates (see SkipEmpty).
func (e *Engine) LoadRDBWith(r *rdbfile.Reader, o LoadOptions) error {
	// Decoding (rdbfile) and building the engine's objects run in two
	// goroutines: a producer reads records and gathers each value's
	// elements into a batch arena; LoadRDB builds the objects from it and
	// fills the keyspace, in file order. When batches queue up, the
	// producer builds objects too (produceBuilds). Both finish before it
	// returns.
	free := make(chan *loadBatch, 4)
	for range cap(free) {
		free <- &loadBatch{}
	}
	full := make(chan *loadBatch, cap(free))
	stop := make(chan struct{})
	var panicked any // a panic of the producer, re-raised here
	go func() {
		defer close(full)
		defer func() { panicked = recover() }()
		e.produce(r, &o, free, full, stop)
	}()
	var err error
	for b := range full {
		if err == nil {
			err = e.consume(b, &o)
			if err != nil {
				close(stop)
			}
		}
		free <- b
	}
	if panicked != nil {
		panic(panicked)
	}
	return err
}

// loadBatch is a run of consecutive records staged by produce: keys and
// value elements in one arena, values built from it by consume.
type loadBatch struct {
	a    arena
	ss   []float64 // sorted-set scores
	exps []int64   // hash field expire times
	ids  []sid     // stream entry IDs
	nf   []int32   // stream entry field counts
	recs []loadRec
	err  error                                            // the error that ended the file, after recs
	cur  loadRec                                          // the record stage is filling
	walk map[rdbfile.Kind]func(el *rdbfile.Element) error // walkFunc's callbacks
}

type loadRec struct {
	ent    rdbfile.EntryKind
	vkind  rdbfile.Kind
	db     int
	exp    int64
	key    int // arena element holding the key
	lo, hi int // arena elements of the value; scores/expires from lo - key - 1
	sx     int // first index in ss / exps
	maxLen int
	ttl    bool
	packed bool            // hash: arena element lo is a whole listpack (WalkPacked)
	meta   *rdbfile.Stream // stream metadata (owned)
	val    *rdbfile.Value
	data   []byte // function library code (owned)
	size   uint64 // RESIZEDB db size (capped: presizeLimit)
	offset int64
	skip   SkipReason // not loaded: told to LoadOptions.OnSkip
	built  bool       // obj and err were made by the producer (build)
	obj    object
	err    error
}

// arena holds byte strings back to back: element i is data[ends[i-1]:ends[i]].
type arena struct {
	data []byte
	ends []int
}

func (a *arena) push(b []byte) {
	a.data = append(a.data, b...)
	a.ends = append(a.ends, len(a.data))
}

func (a *arena) start(i int) int {
	if i == 0 {
		return 0
	}
	return a.ends[i-1]
}

func (a *arena) at(i int) []byte {
	s, t := a.start(i), a.ends[i]
	return a.data[s:t:t]
}

// pack returns elements [lo, hi) as an exactly sized pack.
func (a *arena) pack(lo, hi int) pack {
	base := a.start(lo)
	p := pack{data: clone(a.data[base:a.ends[hi-1]]), ends: make([]uint32, hi-lo)}
	for i := lo; i < hi; i++ {
		p.ends[i-lo] = uint32(a.ends[i] - base)
	}
	return p
}

func (b *loadBatch) reset() {
	if cap(b.a.data) > 64<<20 {
		*b = loadBatch{}
		return
	}
	b.a.data, b.a.ends = b.a.data[:0], b.a.ends[:0]
	b.ss, b.exps, b.ids, b.nf = b.ss[:0], b.exps[:0], b.ids[:0], b.nf[:0]
	clear(b.recs)
	b.recs, b.err = b.recs[:0], nil
}

const (
	loadBatchBytes = 1 << 20
	loadBatchRecs  = 4096
)

// produce reads r to its end (or until stop is closed), sending batches of
// staged records on full.
func (e *Engine) produce(r *rdbfile.Reader, o *LoadOptions, free <-chan *loadBatch, full chan<- *loadBatch, stop <-chan struct{}) {
	b := <-free
	b.reset()
	send := func() bool {
		select {
		case full <- b:
		case <-stop:
			return false
		}
		select {
		case b = <-free:
		case <-stop:
			return false
		}
		b.reset()
		return true
	}
	var s buildScratch
	for {
		ent, err := r.Next()
		if err == nil {
			nrec := len(b.recs)
			err = b.stage(e, r, o, ent)
			if err == nil && len(b.recs) > nrec && produceBuilds(len(full), cap(full)) {
				// a string needs no building: consume copies it into the keyspace
				if rec := &b.recs[nrec]; rec.ent == rdbfile.EntryKey && rec.skip == 0 && rec.val == nil && rec.vkind != rdbfile.KindString {
					rec.obj, rec.err = e.build(&s, b, rec)
					rec.built = true
				}
			}
		}
		if err != nil {
			if err != io.EOF {
				b.err = err
			}
			select {
			case full <- b:
			case <-stop:
			}
			return
		}
		if len(b.a.data) >= loadBatchBytes || len(b.recs) >= loadBatchRecs {
			if !send() {
				return
			}
		}
	}
}

// produceBuilds tells the producer, after it staged a record, whether to
// build its object too (build) instead of leaving it to the consumer:
// when queued of the capacity batches wait for the consumer, the consumer
// is the slower side (it also fills the keyspace and takes the page faults
// of the new objects), and the producer takes over building until the
// queue drains, which balances the two cores whatever the mix of types.
// The object is the same whichever side builds it; tests replace this.
var produceBuilds = func(queued, capacity int) bool { return queued >= capacity/2 }

// stage records ent in b, reading its value into the arena.
func (b *loadBatch) stage(e *Engine, r *rdbfile.Reader, o *LoadOptions, ent *rdbfile.Entry) error {
	switch ent.Kind {
	case rdbfile.EntryFunction:
		b.recs = append(b.recs, loadRec{ent: ent.Kind, data: clone(ent.Data), offset: ent.Offset})
		return nil
	case rdbfile.EntryResizeDB:
		limit := presizeLimit(r.Size())
		b.recs = append(b.recs, loadRec{ent: ent.Kind, db: ent.DB, size: min(ent.DBSize, limit)})
		return nil
	case rdbfile.EntryKey:
	default:
		return nil
	}
	if ent.DB < 0 || ent.DB >= len(e.dbs) {
		return fmt.Errorf("%w: key %q in database %d (engine has %d)", ErrTooManyDBs, ent.Key, ent.DB, len(e.dbs))
	}
	a := &b.a
	b.cur = loadRec{ent: ent.Kind, vkind: ent.ValueKind, db: ent.DB, exp: ent.ExpireAt, key: len(a.ends), sx: len(b.ss), offset: ent.Offset}
	rec := &b.cur
	a.push(ent.Key)
	rec.lo = len(a.ends)
	if o.DropExpiredBefore != 0 && ent.ExpireAt != noExpire && ent.ExpireAt < o.DropExpiredBefore {
		// The server reads the value (its errors stop the load), then
		// skips an empty one, then drops an expired one.
		_, errs0 := r.FindingCount()
		if err := ent.Skip(); err != nil {
			if !emptyOnly(r, ent, errs0, err) {
				return err
			}
		}
		rec.skip = SkipExpired
		if ent.Len == 0 && isAggregate(ent.ValueKind) {
			rec.skip = SkipEmpty
		}
		rec.hi = rec.lo
		b.recs = append(b.recs, *rec)
		return nil
	}
	var fn func(el *rdbfile.Element) error
	switch ent.ValueKind {
	case rdbfile.KindString, rdbfile.KindList, rdbfile.KindSet, rdbfile.KindZSet, rdbfile.KindHash, rdbfile.KindStream:
		switch ent.ValueKind {
		case rdbfile.KindHash:
			rec.sx = len(b.exps)
		case rdbfile.KindStream:
			rec.sx = len(b.ids)
		}
		fn = b.walkFunc(ent.ValueKind)
	default:
		val, err := ent.Value()
		if err != nil {
			return err
		}
		rec.val = val
	}
	if fn != nil {
		_, errs0 := r.FindingCount()
		if err := ent.WalkPacked(fn); err != nil && !emptyOnly(r, ent, errs0, err) {
			return err
		}
	}
	rec.hi = len(a.ends)
	if rec.hi == rec.lo && isAggregate(ent.ValueKind) {
		rec.skip = SkipEmpty
	}
	if ent.ValueKind == rdbfile.KindStream {
		rec.meta = ent.StreamMeta()
		rec.maxLen = len(b.ids) - rec.sx // entries
	}
	b.recs = append(b.recs, *rec)
	return nil
}

// walkFunc returns the element callback that stages values of kind k into
// b.cur and the arena. The callbacks are made once per batch: a closure made
// per value (and the record it captured) was a heap allocation per key.
func (b *loadBatch) walkFunc(k rdbfile.Kind) func(el *rdbfile.Element) error {
	if b.walk == nil {
		b.walk = map[rdbfile.Kind]func(el *rdbfile.Element) error{}
	}
	if fn := b.walk[k]; fn != nil {
		return fn
	}
	a, rec := &b.a, &b.cur
	var fn func(el *rdbfile.Element) error
	switch k {
	case rdbfile.KindString, rdbfile.KindList:
		fn = func(el *rdbfile.Element) error { a.push(el.Member); return nil }
	case rdbfile.KindSet:
		fn = func(el *rdbfile.Element) error {
			a.push(el.Member)
			rec.maxLen = max(rec.maxLen, len(el.Member))
			return nil
		}
	case rdbfile.KindZSet:
		fn = func(el *rdbfile.Element) error {
			a.push(el.Member)
			rec.maxLen = max(rec.maxLen, len(el.Member))
			b.ss = append(b.ss, el.Score)
			return nil
		}
	case rdbfile.KindHash:
		fn = func(el *rdbfile.Element) error {
			if el.Listpack != nil { // the whole hash, converted by consume
				a.push(el.Listpack)
				rec.packed = true
				return nil
			}
			// Expire times are only recorded once a field has one.
			if el.ExpireAt != noExpire && !rec.ttl {
				rec.ttl = true
				for range (len(a.ends) - rec.lo) / 2 {
					b.exps = append(b.exps, noExpire)
				}
			}
			a.push(el.Member)
			a.push(el.Value)
			rec.maxLen = max(rec.maxLen, len(el.Member), len(el.Value))
			if rec.ttl {
				b.exps = append(b.exps, el.ExpireAt)
			}
			return nil
		}
	case rdbfile.KindStream:
		fn = func(el *rdbfile.Element) error {
			for _, f := range el.Stream.Fields {
				a.push(f)
			}
			b.ids = append(b.ids, el.Stream.ID)
			b.nf = append(b.nf, int32(len(el.Stream.Fields)))
			return nil
		}
	}
	b.walk[k] = fn
	return fn
}

// consume applies the records of b to the keyspace, then returns b's error.
func (e *Engine) consume(b *loadBatch, lo *LoadOptions) error {
	a := &b.a
	for i := range b.recs {
		rec := &b.recs[i]
		switch rec.ent {
		case rdbfile.EntryFunction:
			name, ok := libraryName(rec.data)
			if !ok {
				return fmt.Errorf("engine: function library at offset %d: no \"#!<engine> name=<library>\" header", rec.offset)
			}
			e.libs[name] = rec.data
			continue
		case rdbfile.EntryResizeDB:
			e.presize(rec.db, rec.size)
			continue
		}
		if rec.skip != 0 {
			if lo.OnSkip != nil {
				lo.OnSkip(LoadSkip{Reason: rec.skip, DB: rec.db, Key: a.at(rec.key), Kind: rec.vkind, Offset: rec.offset, ExpireAt: rec.exp})
			}
			continue
		}
		if !rec.built && rec.vkind == rdbfile.KindString && rec.val == nil && rec.hi-rec.lo == 1 {
			e.dbs[rec.db].putString(a.at(rec.key), a.at(rec.lo), rec.exp)
			continue
		}
		o, err := rec.obj, rec.err
		if !rec.built {
			o, err = e.build(&e.loadBS, b, rec)
		}
		if err != nil {
			return err
		}
		if o == nil { // an empty aggregate staged by Value (rec.val)
			if lo.OnSkip != nil && isAggregate(rec.vkind) {
				lo.OnSkip(LoadSkip{Reason: SkipEmpty, DB: rec.db, Key: a.at(rec.key), Kind: rec.vkind, Offset: rec.offset, ExpireAt: rec.exp})
			}
			continue
		}
		e.dbs[rec.db].put(a.at(rec.key), o, rec.exp)
	}
	return b.err
}

// buildScratch is the scratch space of build, one per goroutine that
// builds: the consumer's (Engine.loadBS) and the producer's.
type buildScratch struct {
	ms  [][]byte // sorted-set members
	idx []int32  // their order (newZSetScratch)
	lp  arena    // a listpack's entries (hashFromListpack)
}

// build makes the object of staged record rec of b, nil for an empty
// aggregate. It reads only b, rec and the engine's sorted-set limits, and
// writes only s and the new object, so the producer may run it too (see
// produceBuilds).
func (e *Engine) build(s *buildScratch, b *loadBatch, rec *loadRec) (object, error) {
	a := &b.a
	n := rec.hi - rec.lo
	switch {
	case rec.vkind == rdbfile.KindStream:
		return buildStream(b, rec), nil
	case rec.val != nil:
		o, err := e.fromValue(rec.val)
		if err != nil {
			return nil, fmt.Errorf("engine: key %q: %w", a.at(rec.key), err)
		}
		return o, nil
	case n == 0:
		return nil, nil
	case rec.vkind == rdbfile.KindString:
		return newString(a.at(rec.lo)), nil
	case rec.vkind == rdbfile.KindList:
		return buildList(a, rec.lo, rec.hi), nil
	case rec.vkind == rdbfile.KindSet:
		if n > setMaxPacked || rec.maxLen > packedMaxValueLen {
			d := newHdict(n, a.ends[rec.hi-1]-a.start(rec.lo))
			for i := rec.lo; i < rec.hi; i++ {
				d.push(a.at(i), nil, noExpire)
			}
			d.n = n
			d.reindex()
			return &setObj{big: d}, nil
		}
		return &setObj{small: a.pack(rec.lo, rec.hi)}, nil
	case rec.vkind == rdbfile.KindHash && rec.packed:
		o, err := s.hashFromListpack(a.at(rec.lo))
		if err != nil {
			return nil, fmt.Errorf("engine: key %q: %w", a.at(rec.key), err)
		}
		return o, nil
	case rec.vkind == rdbfile.KindHash:
		n /= 2
		var exps []int64 // nil: no field has an expire time
		if rec.ttl {
			exps = b.exps[rec.sx : rec.sx+n]
		}
		if n > setMaxPacked || rec.maxLen > packedMaxValueLen {
			return &hashObj{big: hdictOf(a, rec.lo, rec.hi, exps)}, nil
		}
		h := &hashObj{small: a.pack(rec.lo, rec.hi)}
		if rec.ttl {
			h.ttl = slices.Clone(exps)
		}
		return h, nil
	case rec.vkind == rdbfile.KindZSet:
		ms := s.ms[:0]
		for i := rec.lo; i < rec.hi; i++ {
			ms = append(ms, a.at(i))
		}
		o := newZSetScratch(e.zl, ms, b.ss[rec.sx:rec.sx+n], &s.idx)
		clear(ms)
		s.ms = ms[:0]
		return o, nil
	}
	return nil, nil
}

// isAggregate reports whether an empty value of kind k is an empty key the
// server skips.
func isAggregate(k rdbfile.Kind) bool {
	switch k {
	case rdbfile.KindList, rdbfile.KindSet, rdbfile.KindZSet, rdbfile.KindHash:
		return true
	}
	return false
}

// emptyOnly reports whether err, returned for ent's value by Walk, Skip or
// WalkPacked, and every error finding r recorded for it (r had errs0 error
// findings before) are about emptiness the server tolerates when it loads
// the file (src/rdb.c rdbLoadObject): an aggregate with no element
// (reported at the value's first byte), or an empty ziplist or listpack
// node of a quicklist, which the server drops silently. Any other finding,
// or findings that were not all kept (Options.MaxFindings), make it false.
func emptyOnly(r *rdbfile.Reader, ent *rdbfile.Entry, errs0 int, err error) bool {
	var ce *rdbfile.CorruptError
	if !isAggregate(ent.ValueKind) || !errors.As(err, &ce) || !tolerableEmpty(ent, ce) {
		return false
	}
	all, errs := r.FindingCount()
	fs := r.Findings()
	if errs <= errs0 || len(fs) != all {
		return false
	}
	// The findings of this value are the last errs-errs0 errors.
	n := errs - errs0
	var seen int
	for i := len(fs) - 1; i >= 0 && seen < n; i-- {
		if fs[i].Severity != rdbfile.SevError {
			continue
		}
		if !tolerableEmpty(ent, fs[i].Err) {
			return false
		}
		seen++
	}
	return seen == n
}

func tolerableEmpty(ent *rdbfile.Entry, ce *rdbfile.CorruptError) bool {
	if !errors.Is(ce.Err, rdbfile.ErrInvalid) {
		return false
	}
	switch ce.Field {
	case "value":
		return ce.Offset == ent.ValueOffset && strings.HasPrefix(ce.Detail, "empty ")
	case "quicklist node":
		return ce.Detail == "empty ziplist node in quicklist" || ce.Detail == "empty listpack node in quicklist"
	}
	return false
}

// hashFromListpack builds a hash (no field TTLs) from a listpack that
// WalkPacked delivered, as consume builds one from staged fields: entries
// are texted into the scratch arena s.lp (integers as decimal text, as
// the server hands them out), then packed or indexed by size.
func (s *buildScratch) hashFromListpack(lp []byte) (object, error) {
	it, err := rdbfile.NewListpackIter(lp)
	if err != nil {
		return nil, err
	}
	a := &s.lp
	a.data, a.ends = a.data[:0], a.ends[:0]
	maxLen := 0
	for {
		str, num, isInt, ok := it.Next()
		if !ok {
			break
		}
		if isInt {
			a.data = strconv.AppendInt(a.data, num, 10)
			a.ends = append(a.ends, len(a.data))
		} else {
			a.push(str)
		}
		maxLen = max(maxLen, a.ends[len(a.ends)-1]-a.start(len(a.ends)-1))
	}
	hi := len(a.ends)
	if hi == 0 || hi%2 != 0 {
		return nil, fmt.Errorf("listpack hash with %d entries", hi)
	}
	if hi/2 > setMaxPacked || maxLen > packedMaxValueLen {
		return &hashObj{big: hdictOf(a, 0, hi, nil)}, nil
	}
	return &hashObj{small: a.pack(0, hi)}, nil
}

// buildStream makes the stream of a staged record. Its nodes are cut where
// streamObj.append would cut them, but each is built once at its exact
// size: appending entry by entry leaves every node's slices with growth
// slack and garbage behind (half the memory of a stream-heavy load).
func buildStream(b *loadBatch, rec *loadRec) *streamObj {
	a := &b.a
	sm := &streamObj{}
	j, k, end := rec.lo, rec.sx, rec.sx+rec.maxLen
	for k < end {
		k2, j2, nb := k, j, 0
		for k2 < end {
			size := 4
			for x := j2; x < j2+int(b.nf[k2]); x++ {
				size += lpEntrySize(a.at(x))
			}
			if k2 > k && (k2-k >= streamNodeMax || nb+size > streamNodeMaxBytes) {
				break
			}
			nb += size
			j2 += int(b.nf[k2])
			k2++
		}
		base := b.ids[k]
		size := 0
		for i := k; i < k2; i++ {
			size += idLen(base, b.ids[i])
		}
		for x := j; x < j2; x++ {
			l := len(a.at(x))
			size += uvarintLen64(uint64(l)) + l
		}
		n := &snode{base: base, ends: make([]uint32, k2-k), vals: make([]byte, 0, size), bytes: nb}
		x := j
		for i := range n.ends {
			n.vals = appendID(n.vals, base, b.ids[k+i])
			for range b.nf[k+i] {
				n.vals = appendVarString(n.vals, a.at(x))
				x++
			}
			n.ends[i] = uint32(len(n.vals))
		}
		sm.nodes = append(sm.nodes, n)
		sm.count += uint64(k2 - k)
		j, k = j2, k2
	}
	if sm.count > 0 {
		sm.firstID = sm.nodes[0].id(0)
	}
	sm.nodes = slices.Clip(sm.nodes)
	m := rdbfile.Stream{}
	if rec.meta != nil {
		m = *rec.meta
	}
	m.Entries = nil
	streamMeta(sm, &m)
	return sm
}

// hdictOf makes the big hash of field/value arena elements [lo, hi) with
// their expire times (nil: none; fields are known to be distinct).
func hdictOf(a *arena, lo, hi int, exps []int64) *hdict {
	n := (hi - lo) / 2
	d := newHdict(n, a.ends[hi-1]-a.start(lo))
	for i := 0; i < n; i++ {
		exp := noExpire
		if exps != nil {
			exp = exps[i]
		}
		d.push(a.at(lo+2*i), a.at(lo+2*i+1), exp)
	}
	d.n = n
	d.reindex()
	return d
}

// buildList makes a list of arena elements [lo, hi) in nodes as pushBack
// would fill them.
func buildList(a *arena, lo, hi int) *listObj {
	l := &listObj{n: hi - lo}
	for lo < hi {
		j, nb := lo, 0
		for j < hi && !(j > lo && (j-lo >= listNodeMaxEntries || nb+len(a.at(j)) > listNodeMaxBytes)) {
			nb += len(a.at(j))
			j++
		}
		nd := a.pack(lo, j)
		l.nodes = append(l.nodes, &nd)
		lo = j
	}
	return l
}

// presize gives an empty database room for n keys (RESIZEDB; expire times
// live in the key records, so its expires count is not needed). The count
// comes from the file and is only a hint: the caller caps it
// (presizeLimit), so a damaged count costs little up front (uncapped, a
// 330-byte file claiming 2^64 keys got a map of 2^26 slots: gigabytes and
// minutes); the index and records grow past the cap as keys arrive.
func (e *Engine) presize(db int, n uint64) {
	if db < 0 || db >= len(e.dbs) {
		return
	}
	e.dbs[db].presize(int(min(n, math.MaxInt32)))
}

// presizeLimit is the most keys a RESIZEDB hint may presize a database
// for, in a file of size bytes (0: unknown): maxPresize, or one key per 32
// bytes of the file when that is more. A key's record takes at least 3
// bytes and 30 to 600 in the bench files, and a load needs far more memory
// per key than its presized room (a 24-byte record and 11 to 22 bytes of
// index), so damaged counts cost at most about twice the file's size in
// memory.
func presizeLimit(size int64) uint64 {
	return max(maxPresize, uint64(max(size, 0))/32)
}

const maxPresize = 1 << 20

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
	case rdbfile.EntryResizeDB:
		e.presize(ent.DB, min(ent.DBSize, maxPresize))
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
//
// Aggregates are first gathered into the engine's reusable scratch (e.ld)
// and then copied once into exactly sized packs or pre-sized maps: no
// append slack, no map growth, no garbage per element. Members are not
// checked for duplicates here: rdbfile reports a duplicate set member, hash
// field or sorted-set member as an error of Walk (and intsets are strictly
// ascending), which fails the load.
func (e *Engine) walkValue(ent *rdbfile.Entry) (object, error) {
	ld := &e.ld
	ld.reset()
	var o object
	var fn func(el *rdbfile.Element) error
	switch ent.ValueKind {
	case rdbfile.KindString:
		fn = func(el *rdbfile.Element) error { o = newString(el.Member); return nil }
	case rdbfile.KindList:
		l := &listObj{}
		fn = func(el *rdbfile.Element) error {
			if nodeFull(&ld.p, len(el.Member)) {
				nd := ld.p.exact()
				l.nodes = append(l.nodes, &nd)
				ld.p.truncate()
			}
			ld.p.push(el.Member)
			l.n++
			return nil
		}
		o = l
	case rdbfile.KindSet, rdbfile.KindZSet:
		fn = func(el *rdbfile.Element) error {
			ld.p.push(el.Member)
			ld.maxLen = max(ld.maxLen, len(el.Member))
			ld.ss = append(ld.ss, el.Score)
			return nil
		}
	case rdbfile.KindHash:
		fn = func(el *rdbfile.Element) error {
			ld.p.push(el.Member)
			ld.p.push(el.Value)
			ld.maxLen = max(ld.maxLen, len(el.Member), len(el.Value))
			ld.exps = append(ld.exps, el.ExpireAt)
			if el.ExpireAt != noExpire {
				ld.ttl = true
			}
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
	switch ent.ValueKind {
	case rdbfile.KindStream:
		x := o.(*streamObj)
		meta := ent.StreamMeta()
		if meta == nil {
			meta = &rdbfile.Stream{}
		}
		m := *meta
		m.Entries = nil
		streamMeta(x, &m)
		return x, nil
	case rdbfile.KindList:
		l := o.(*listObj)
		if ld.p.len() > 0 {
			nd := ld.p.exact()
			l.nodes = append(l.nodes, &nd)
		}
		if l.n == 0 {
			return nil, nil
		}
		l.nodes = slices.Clip(l.nodes)
		return l, nil
	case rdbfile.KindSet:
		if ld.p.len() == 0 {
			return nil, nil
		}
		return ld.set(), nil
	case rdbfile.KindHash:
		if ld.p.len() == 0 {
			return nil, nil
		}
		return ld.hash(), nil
	case rdbfile.KindZSet:
		if ld.p.len() == 0 {
			return nil, nil
		}
		ms := ld.ms[:0]
		for i := 0; i < ld.p.len(); i++ {
			ms = append(ms, ld.p.at(i))
		}
		ld.ms = ms
		z := newZSetSized(e.zl, ms, ld.ss)
		clear(ms) // do not keep the scratch arena reachable twice
		return z, nil
	}
	if o == nil || o.length() == 0 {
		return nil, nil
	}
	return o, nil
}

// loader is the scratch space walkValue reuses from value to value.
type loader struct {
	p      pack      // members, or field/value pairs
	ss     []float64 // sorted-set scores
	exps   []int64   // hash field expire times
	ttl    bool      // some field has an expire time
	maxLen int       // longest member, field or value
	ms     [][]byte
}

func (ld *loader) reset() {
	if cap(ld.p.data) > 1<<24 {
		ld.p = pack{} // do not keep a huge arena around
		ld.ss, ld.exps, ld.ms = nil, nil, nil
	}
	ld.p.truncate()
	ld.ss, ld.exps = ld.ss[:0], ld.exps[:0]
	ld.ttl, ld.maxLen = false, 0
}

// set builds the set of the gathered members (as setObj.add would: packed
// up to setMaxPacked members of at most packedMaxValueLen bytes).
func (ld *loader) set() *setObj {
	n := ld.p.len()
	if n > setMaxPacked || ld.maxLen > packedMaxValueLen {
		d := newHdict(n, ld.p.bytes())
		for i := 0; i < n; i++ {
			d.add(ld.p.at(i), nil, noExpire)
		}
		return &setObj{big: d}
	}
	return &setObj{small: ld.p.exact()}
}

// hash builds the hash of the gathered field/value pairs (as hashObj.set
// would).
func (ld *loader) hash() *hashObj {
	n := ld.p.len() / 2
	if n > setMaxPacked || ld.maxLen > packedMaxValueLen {
		d := newHdict(n, ld.p.bytes())
		for i := 0; i < n; i++ {
			d.add(ld.p.at(2*i), ld.p.at(2*i+1), ld.exps[i])
		}
		return &hashObj{big: d}
	}
	h := &hashObj{small: ld.p.exact()}
	if ld.ttl {
		h.ttl = slices.Clone(ld.exps)
	}
	return h
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
		return newZSetSized(e.zl, ms, ss), nil
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
	case rdbfile.KindArray:
		if v.Array == nil || len(v.Array.Elements) == 0 {
			return nil, errors.New("array with no elements (the server refuses it: empty arrays are invalid)")
		}
		return arrayFromValue(v.Array), nil
	case rdbfile.KindGCRA:
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
		n += nd.len()
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

func (e *Engine) decodeDump(p []byte) (*rdbfile.Value, error) {
	v, _, err := rdbfile.ReadDump(p, maxRDBVersion(e.v))
	if err != nil {
		return nil, replyErr("ERR DUMP payload version or checksum are wrong")
	}
	return v, nil
}

// Export.

// Lookup returns the value of a key as an rdbfile.Value (a copy) with its
// expire time (rdbfile.NoExpire if none); ok is false if the key does not
// exist. Sorted-set members come in score order, stream entries in ID
// order; set and hash order is unspecified.
func (e *Engine) Lookup(n int, key []byte) (v *rdbfile.Value, expireAt int64, ok bool) {
	if n < 0 || n >= len(e.dbs) {
		return nil, noExpire, false
	}
	en, ok := e.dbs[n].get(key)
	if !ok {
		return nil, noExpire, false
	}
	return toValue(en.obj), en.exp, true
}

func toValue(o object) *rdbfile.Value {
	switch x := o.(type) {
	case strObj:
		return &rdbfile.Value{Kind: rdbfile.KindString, String: clone(x)}
	case pstr:
		return &rdbfile.Value{Kind: rdbfile.KindString, String: clone(x.bytes())}
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
	case *arrayObj:
		return &rdbfile.Value{Kind: rdbfile.KindArray, Array: x.export()}
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
		st.IDMP = cloneIDMP(s.idmp)
	}
	return st
}
