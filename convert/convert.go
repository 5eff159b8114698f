// RDB to RDB conversion: Convert pipes an rdbfile.Reader into an
// rdbfile.Writer through their public APIs only. A record that the target
// reads with the same meaning is copied byte for byte (Writer.CopyEntry);
// any other key is decoded and re-encoded as the target server would save
// it (Writer.WriteKey). What the target cannot hold is decided by a Policy
// per case and always reported.

package convert

import (
	"errors"
	"io"
	"slices"
	"strconv"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
)

// Policy decides what happens to data the target cannot hold.
type Policy uint8

const (
	// Fail writes nothing and reports every blocking key or record.
	Fail Policy = iota
	// Drop leaves the data out and reports what was left out.
	Drop
)

func (p Policy) String() string {
	if p == Drop {
		return "drop"
	}
	return "fail"
}

// Loss categories, one per Policy field of Options (and "lru-lfu", which is
// kept where the target has it and dropped silently otherwise).
const (
	LossFieldTTL   = "field-ttl"   // hash field TTLs on a target without them
	LossStreamMeta = "stream-meta" // stream metadata the target's stream type lacks
	LossFunctions  = "functions"   // function libraries on a target before RDB 10
	LossModules    = "modules"     // module values and module aux
	LossTypes      = "types"       // what the target has no type for: arrays, GCRA, streams before RDB 9, expires after 2038 before RDB 3
	LossSlotInfo   = "slot-info"   // slot sizing hints and Valkey slot-import state
	LossKeyMeta    = "key-meta"    // Redis 8.6 key metadata (KEY_META)
	LossLRU        = "lru-lfu"     // LRU idle times and LFU counters
	LossExpired    = "expired"     // keys expired at Options.Now, with ExpiredDrop
)

// Options control a conversion. The zero value fails on every loss and
// keeps every key.
type Options struct {
	FieldTTL, StreamMeta, Functions, Modules, Types, SlotInfo, KeyMeta Policy

	// Filters. A nil DBs keeps every database.
	DBs   []int       // databases to keep
	DBMap map[int]int // source database -> target database
	Match []byte      // glob pattern a key must match (Redis KEYS syntax)
	Kinds []rdbfile.Kind
	// MinBytes and MaxBytes bound the serialized size of a key's record in
	// the input (rdbscan.KeyFilter, as `inspect --keys` shows it); 0: no
	// bound. The size is known once the key was read: its output is held
	// in memory until then (Writer.Hold), at most the converted bytes of
	// MinBytes (MaxBytes when set) of input.
	MinBytes, MaxBytes int64
	Expired            bool  // drop keys already expired at Now (as a primary does when it loads)
	Now                int64 // ms since the Unix epoch, for Expired

	// NoRaw re-encodes every key even where a raw copy is possible.
	NoRaw bool
	// MaxNamed caps the keys kept per loss category in the report (default 20).
	MaxNamed int
}

// Loss is one category of data left out.
type Loss struct {
	Category string
	Policy   Policy
	Count    int64    // keys or records affected
	Keys     [][]byte // the first MaxNamed keys (library names for functions, module type names for module aux)
}

// Report says what a conversion read, wrote and left out.
type Report struct {
	KeysRead, KeysWritten int64
	KeysFiltered          int64 // left out by a filter (not a loss)
	Raw, Reencoded        int64 // keys copied byte for byte / decoded and re-encoded
	Records               int64 // non-key records written
	BytesRead             int64
	BytesWritten          int64
	// Encodings counts re-encoded keys by their source type name as the
	// source's dialect names it (e.g. "SET_LISTPACK", "HASH_2"): the keys
	// whose encoding may have changed.
	Encodings map[string]int64
	Losses    []*Loss
	// Blocked is set when a Fail policy met data the target cannot hold:
	// the output must be discarded. Losses then list every blocker.
	Blocked bool
}

func (rep *Report) loss(cat string, p Policy, key []byte, max int) {
	var l *Loss
	for _, x := range rep.Losses {
		if x.Category == cat {
			l = x
		}
	}
	if l == nil {
		l = &Loss{Category: cat, Policy: p}
		rep.Losses = append(rep.Losses, l)
	}
	l.Count++
	if len(l.Keys) < max {
		l.Keys = append(l.Keys, slices.Clone(key))
	}
	if p == Fail {
		rep.Blocked = true
	}
}

// Loss returns the loss of category cat, or nil.
func (rep *Report) Loss(cat string) *Loss {
	for _, l := range rep.Losses {
		if l.Category == cat {
			return l
		}
	}
	return nil
}

// ErrBlocked is returned when a Fail policy stopped the conversion; the
// Report lists every blocker.
var ErrBlocked = errors.New("convert: the target cannot hold some of the data (see the report)")

// Convert reads every record of r and writes the converted file to w, then
// closes w. It returns ErrBlocked (after reading the whole input, to list
// every blocker) when a Fail policy met data the target cannot hold, the
// Reader's errors as they are, and the Writer's *rdbfile.UnsupportedError
// for anything no policy covers.
func Convert(r *rdbfile.Reader, w *rdbfile.Writer, opts *Options) (*Report, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxNamed == 0 {
		o.MaxNamed = 20
	}
	w.ReuseLZF(r) // re-encoded strings and blobs that come out unchanged are not compressed again
	c := &conv{r: r, w: w, o: &o, rep: &Report{Encodings: map[string]int64{}}, db: -1,
		f: rdbscan.KeyFilter{DBs: o.DBs, Kinds: o.Kinds, Match: o.Match, MinBytes: o.MinBytes, MaxBytes: o.MaxBytes}}
	err := c.run()
	c.rep.BytesRead = r.Offset()
	c.rep.BytesWritten = w.Offset()
	if err == nil && c.rep.Blocked {
		err = ErrBlocked
	}
	return c.rep, err
}

type conv struct {
	keyBuf []byte // the key being converted (keyBody)
	r      *rdbfile.Reader
	w      *rdbfile.Writer
	o      *Options
	rep    *Report
	f      rdbscan.KeyFilter // Options' filters
	db     int               // source database of the records being read
	out    int               // target database selected in the output, -1 before any
	sel    bool
	kw     keyWalk                      // walkKey's state, reused from key to key
	add    func(*rdbfile.Element) error // kw.add, bound once
	vwAdd  func(*rdbfile.Element) error // vwFor.Add, bound once per ValueWriter
	vwFor  *rdbfile.ValueWriter
}

// keyWalk is the state of walkKey while Entry.Walk hands out a value's
// elements; it lives in conv so that converting a key allocates nothing.
type keyWalk struct {
	c       *conv
	e       *rdbfile.Entry
	h       rdbfile.KeyHeader
	vw      *rdbfile.ValueWriter
	ttlOK   bool // the target keeps hash field TTLs
	ttlLost bool
	writing bool
	cp      rdbfile.Element
}

func (k *keyWalk) add(el *rdbfile.Element) error {
	if k.vw == nil && k.writing {
		k.h.Count = k.e.Count()
		var err error
		if k.vw, err = k.c.w.BeginKey(k.h); err != nil {
			return err
		}
	}
	if el.ExpireAt != rdbfile.NoExpire && !k.ttlOK {
		if !k.ttlLost {
			k.ttlLost = true
			k.c.rep.loss(LossFieldTTL, k.c.o.FieldTTL, k.h.Key, k.c.o.MaxNamed)
		}
		k.cp = *el
		k.cp.ExpireAt = rdbfile.NoExpire
		el = &k.cp
	}
	if k.vw != nil {
		return k.vw.Add(el)
	}
	return nil
}

func (c *conv) run() error {
	hdr, err := c.r.Header()
	if err != nil {
		return err
	}
	for _, a := range hdr.Aux {
		if err := c.w.WriteAux(a.Name, a.Value); err != nil && !errors.Is(err, rdbfile.ErrUnsupported) {
			return err // (AUX fields are metadata: left out before RDB 7)
		}
	}
	td, tv := c.w.Target()
	for {
		e, err := c.r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		if err := c.record(e, td, tv); err != nil {
			return err
		}
	}
	if c.rep.Blocked {
		return nil
	}
	return c.w.Close()
}

// writing reports whether output is still produced (nothing is, once blocked).
func (c *conv) writing() bool { return !c.rep.Blocked }

func (c *conv) targetDB(db int) int {
	if d, ok := c.o.DBMap[db]; ok {
		return d
	}
	return db
}

func (c *conv) record(e *rdbfile.Entry, td rdbfile.Dialect, tv int) error {
	switch e.Kind {
	case rdbfile.EntryKey:
		return c.key(e)
	case rdbfile.EntrySelectDB:
		c.db = e.DB
		if c.filtering() {
			return nil // written before the first kept key of the database
		}
		return c.opcode(e, func() error { return c.selectDB(e.DB) }, "", Drop)
	case rdbfile.EntryResizeDB:
		if c.filtering() {
			return nil // a hint whose counts would be wrong after filtering
		}
		return c.opcode(e, func() error { return c.w.ResizeDB(e.DBSize, e.ExpiresSize) }, "", Drop)
	case rdbfile.EntryAux:
		return c.opcode(e, func() error { return c.w.WriteAux(e.Key, e.Data) }, "", Drop)
	case rdbfile.EntryFunction:
		return c.opcode(e, func() error { return c.w.WriteFunction(e.Data) }, LossFunctions, c.o.Functions)
	case rdbfile.EntryModuleAux:
		if c.o.Modules == Drop {
			c.rep.loss(LossModules, Drop, e.Key, c.o.MaxNamed)
			return nil
		}
		return c.opcode(e, nil, LossModules, c.o.Modules)
	case rdbfile.EntrySlotInfo:
		return c.opcode(e, func() error { return c.w.WriteSlotInfo(e.Slot, e.DBSize, e.ExpiresSize) }, LossSlotInfo, c.o.SlotInfo)
	case rdbfile.EntrySlotImport:
		return c.opcode(e, func() error { return c.w.WriteSlotImport(e.ImportJob, e.SlotRanges) }, LossSlotInfo, c.o.SlotInfo)
	case rdbfile.EntryHashTemplate:
		// Keys that use a template are decoded with it and re-encoded as
		// plain hashes when the template record cannot be copied.
		if !c.writing() {
			return nil
		}
		if err := c.w.CopyEntry(e); err == nil || !errors.Is(err, rdbfile.ErrUnsupported) {
			return err
		}
		return nil
	}
	return nil
}

// filtering reports whether a filter may leave keys out.
func (c *conv) filtering() bool {
	o := c.o
	return o.DBs != nil || o.DBMap != nil || o.Match != nil || o.Kinds != nil || o.Expired || c.f.Sized()
}

// opcode copies a non-key record raw, else re-writes it with rewrite, else
// applies policy p of category cat; a record of no category is metadata
// the target has no place for, left out silently.
func (c *conv) opcode(e *rdbfile.Entry, rewrite func() error, cat string, p Policy) error {
	name := e.Key // module type name for MODULE_AUX
	if e.Kind == rdbfile.EntryFunction {
		lib, _ := rdbscan.ParseLibraryHeader(e.Data)
		name = []byte(lib.Name)
	}
	if !c.writing() {
		if cat != "" && !c.canCopy(e) && (rewrite == nil || !c.canRewrite(e)) {
			c.rep.loss(cat, p, name, c.o.MaxNamed)
		}
		return nil
	}
	err := c.w.CopyEntry(e)
	if err != nil && errors.Is(err, rdbfile.ErrUnsupported) && rewrite != nil {
		err = rewrite()
	}
	if err != nil && errors.Is(err, rdbfile.ErrUnsupported) {
		if cat != "" {
			c.rep.loss(cat, p, name, c.o.MaxNamed)
		}
		return nil
	}
	if err == nil {
		c.rep.Records++
		if e.Kind == rdbfile.EntrySelectDB {
			c.sel, c.out = true, c.targetDB(e.DB)
		}
	}
	return err
}

// canCopy / canRewrite answer, without writing, whether a record would
// pass: used once blocked, when only the report is being completed.
func (c *conv) canCopy(e *rdbfile.Entry) bool {
	td, tv := c.w.Target()
	switch e.Kind {
	case rdbfile.EntryFunction:
		return td == rdbfile.DialectValkey || tv >= 10
	case rdbfile.EntryModuleAux:
		return td == rdbfile.DialectValkey || tv >= 9
	case rdbfile.EntrySlotInfo:
		return td == rdbfile.DialectValkey || tv >= 12
	case rdbfile.EntrySlotImport:
		return td == rdbfile.DialectValkey
	}
	return true
}

func (c *conv) canRewrite(e *rdbfile.Entry) bool {
	td, tv := c.w.Target()
	if e.Kind == rdbfile.EntrySlotInfo {
		return td == rdbfile.DialectValkey || tv >= 7
	}
	return c.canCopy(e)
}

func (c *conv) selectDB(db int) error {
	t := c.targetDB(db)
	if c.sel && c.out == t {
		return nil
	}
	c.sel, c.out = true, t
	return c.w.SelectDB(t)
}

func (c *conv) key(e *rdbfile.Entry) error {
	c.rep.KeysRead++
	if !c.f.Head(e) {
		c.rep.KeysFiltered++
		return nil
	}
	if c.f.Sized() {
		return c.sizedKey(e)
	}
	return c.keyBody(e)
}

// moduleKey converts a module value, which has no re-encoding: it is
// copied byte for byte (with --reencode too) for a server that has its
// module, where the target has module values (type 7 from RDB 8; a
// MODULE_PRE_GA value loads nowhere). --modules drop leaves every module
// value out, whatever the target; otherwise a target without them gets the
// policy.
func (c *conv) moduleKey(e *rdbfile.Entry) error {
	o := c.o
	if o.Modules == Drop || c.w.CanCopy(e) != nil {
		c.rep.loss(LossModules, o.Modules, e.Key, o.MaxNamed)
		return nil
	}
	if !c.writing() {
		return nil // it would be copied: nothing lost
	}
	if err := c.w.CopyEntry(e); err != nil {
		return err
	}
	c.rep.Raw++
	c.rep.KeysWritten++
	return nil
}

// keyBody converts a key that passed the filters.
func (c *conv) keyBody(e *rdbfile.Entry) error {
	o := c.o
	if o.Expired && e.ExpireAt != rdbfile.NoExpire && e.ExpireAt < o.Now {
		c.rep.loss(LossExpired, Drop, e.Key, o.MaxNamed)
		return nil
	}
	if e.KeyMeta != nil {
		td, tv := c.w.Target()
		if !(td == rdbfile.DialectRedis && tv >= 13) {
			c.rep.loss(LossKeyMeta, o.KeyMeta, e.Key, o.MaxNamed)
			if o.KeyMeta == Fail {
				return nil
			}
		}
	}
	if c.writing() {
		if err := c.selectDB(e.DB); err != nil {
			return err
		}
	}
	if e.ValueKind == rdbfile.KindModule {
		return c.moduleKey(e)
	}
	if !o.NoRaw && c.writing() {
		err := c.w.CopyEntry(e)
		if err == nil {
			c.rep.Raw++
			c.rep.KeysWritten++
			return nil
		}
		if !errors.Is(err, rdbfile.ErrUnsupported) {
			return err
		}
	}
	h := rdbfile.HeaderOf(e)
	// The Entry's key is the Reader's, overwritten while the value is
	// read: it is copied into a buffer reused from key to key.
	c.keyBuf = append(c.keyBuf[:0], h.Key...)
	h.Key = c.keyBuf
	if !c.header(&h) {
		return nil
	}
	if counted(e) {
		return c.walkKey(e, h)
	}
	if e.ValueKind == rdbfile.KindStream {
		return c.walkStream(e, h)
	}
	srcType := e.TypeName
	v, err := e.Value()
	if err != nil {
		return err
	}
	return c.writeValue(h, v, srcType)
}

// header applies the policies to a key's header; false: the key is left out.
func (c *conv) header(h *rdbfile.KeyHeader) bool {
	o := c.o
	td, tv := c.w.Target()
	// LRU/LFU data: kept where the target has it.
	if (h.Idle >= 0 || h.Freq >= 0) && td == rdbfile.DialectRedis && tv < 9 {
		h.Idle, h.Freq = -1, -1
		c.rep.loss(LossLRU, Drop, h.Key, o.MaxNamed)
	}
	if h.ExpireAt != rdbfile.NoExpire && td == rdbfile.DialectRedis && tv < 3 && (h.ExpireAt > (1<<31-1)*1000 || h.ExpireAt < 0) {
		// RDB 1-2 hold expire times as 32-bit seconds: up to January 2038.
		c.rep.loss(LossTypes, o.Types, h.Key, o.MaxNamed)
		return false
	}
	return true
}

// counted reports whether e's value is converted element by element
// (walkKey): strings, lists, sets, sorted sets and hashes. A value of a
// plain encoding declares its element count up front and is streamed, with
// memory bounded by the largest element; a compact one (listpack, ziplist,
// intset, zipmap, quicklist) is buffered by the ValueWriter, whose encoding
// depends on all its elements. Streams, arrays, GCRA values and modules are
// decoded whole (writeValue), where the policies need the whole value.
func counted(e *rdbfile.Entry) bool {
	switch e.ValueKind {
	case rdbfile.KindString, rdbfile.KindList, rdbfile.KindSet, rdbfile.KindZSet, rdbfile.KindHash:
		return true
	}
	return false
}

// walkKey converts a value of a plain encoding element by element: memory
// stays bounded by the largest element, whatever the value's size.
func (c *conv) walkKey(e *rdbfile.Entry, h rdbfile.KeyHeader) error {
	td, tv := c.w.Target()
	k := &c.kw
	*k = keyWalk{c: c, e: e, h: h, ttlOK: td == rdbfile.DialectValkey || tv >= 12}
	defer func() { k.e, k.vw, k.cp = nil, nil, rdbfile.Element{} }()
	if !k.ttlOK {
		k.h.FieldTTL = false // the TTLs are dropped below, or the output is discarded
	}
	// A key begun is written to its end even if it blocks the output
	// (which is then abandoned): a held key (sizedKey) may be taken back.
	k.writing = c.writing()
	if c.add == nil {
		c.add = k.add
	}
	err := e.Walk(c.add)
	h, vw, writing := k.h, k.vw, k.writing
	if vw == nil && err == nil && writing {
		// No element: the value is empty, written as the target would.
		h.Count = max(e.Count(), 0)
		vw, err = c.w.BeginKey(h)
	}
	return c.endKey(vw, err, h.Key, e.TypeName)
}

// endKey closes the ValueWriter of a re-encoded key (nil: none was begun),
// names the key in an unsupported-value error, and counts the key written.
func (c *conv) endKey(vw *rdbfile.ValueWriter, err error, key []byte, srcType string) error {
	if vw != nil {
		if cerr := vw.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		if errors.Is(err, rdbfile.ErrUnsupported) {
			return errors.Join(errors.New("convert: key "+strconv.Quote(string(key))), err)
		}
		return err
	}
	if c.writing() {
		c.rep.KeysWritten++
		c.rep.Reencoded++
		c.rep.Encodings[srcType]++
	}
	return nil
}

// writeValue writes a decoded key, applying the drop policies to what the
// target refuses, one refusal at a time.
func (c *conv) writeValue(h rdbfile.KeyHeader, v *rdbfile.Value, srcType string) error {
	o := c.o
	td, tv := c.w.Target()
	lost := func(cat string, p Policy) bool {
		c.rep.loss(cat, p, h.Key, o.MaxNamed)
		return p == Drop
	}
	switch v.Kind {
	case rdbfile.KindHash:
		if !(td == rdbfile.DialectValkey || tv >= 12) && hasFieldTTL(v) {
			if !lost(LossFieldTTL, o.FieldTTL) {
				return nil
			}
			for i := range v.Hash {
				v.Hash[i].ExpireAt = rdbfile.NoExpire
			}
			h.FieldTTL = false
		}
	case rdbfile.KindStream:
		if why := stripStream(v.Stream, streamTypeOf(td, tv), false); why {
			if !lost(LossStreamMeta, o.StreamMeta) {
				return nil
			}
			stripStream(v.Stream, streamTypeOf(td, tv), true)
		}
		if td == rdbfile.DialectRedis && tv < 9 {
			lost(LossTypes, o.Types)
			return nil
		}
	case rdbfile.KindArray, rdbfile.KindGCRA:
		if !(td == rdbfile.DialectRedis && tv >= map[rdbfile.Kind]int{rdbfile.KindArray: 14, rdbfile.KindGCRA: 15}[v.Kind]) {
			lost(LossTypes, o.Types)
			return nil
		}
	}
	if !c.writing() {
		return nil
	}
	err := c.w.WriteKey(h, v)
	if err != nil {
		var ue *rdbfile.UnsupportedError
		if errors.As(err, &ue) {
			return errors.Join(errors.New("convert: key "+strconv.Quote(string(h.Key))), err)
		}
		return err
	}
	c.rep.KeysWritten++
	c.rep.Reencoded++
	c.rep.Encodings[srcType]++
	return nil
}

// walkStream converts a stream entry by entry: the ValueWriter holds its
// node listpacks (spilled to a temporary file past its memory budget), and
// the metadata, which follows the entries in the file, is checked against
// the target and given to the writer before Close. Memory stays bounded
// whatever the number of entries.
func (c *conv) walkStream(e *rdbfile.Entry, h rdbfile.KeyHeader) error {
	o := c.o
	td, tv := c.w.Target()
	if td == rdbfile.DialectRedis && tv < 9 {
		c.rep.loss(LossTypes, o.Types, h.Key, o.MaxNamed)
		return nil
	}
	st := streamTypeOf(td, tv)
	if !c.writing() {
		// The output is abandoned: only the losses are counted.
		if err := e.Skip(); err != nil {
			return err
		}
		if m := e.StreamMeta(); m != nil && stripStream(m, st, false) {
			c.rep.loss(LossStreamMeta, o.StreamMeta, h.Key, o.MaxNamed)
		}
		return nil
	}
	h.Count = e.Count()
	vw, err := c.w.BeginKey(h)
	if err != nil {
		return err
	}
	if c.vwFor != vw {
		// The Writer hands out one ValueWriter, reused from key to key.
		c.vwFor, c.vwAdd = vw, vw.Add
	}
	err = e.Walk(c.vwAdd)
	if err == nil {
		m := e.StreamMeta()
		if stripStream(m, st, false) {
			c.rep.loss(LossStreamMeta, o.StreamMeta, h.Key, o.MaxNamed)
			// Dropped, or the output is abandoned (fail): either way the
			// record is finished without what the target cannot hold.
			stripStream(m, st, true)
		}
		vw.SetStreamMeta(m)
	}
	err = c.endKey(vw, err, h.Key, e.TypeName)
	// The writer is done with the metadata: the next stream is read into it.
	c.r.RecycleStream(e.StreamMeta())
	return err
}

func hasFieldTTL(v *rdbfile.Value) bool {
	for i := range v.Hash {
		if v.Hash[i].ExpireAt != rdbfile.NoExpire {
			return true
		}
	}
	return false
}

// streamTypeOf is the stream type id a target writes (0: none).
func streamTypeOf(d rdbfile.Dialect, v int) rdbfile.Type {
	switch {
	case d == rdbfile.DialectValkey:
		return rdbfile.TypeStreamListpacks3
	case v >= 14:
		return rdbfile.TypeStreamListpacks5
	case v == 13:
		return rdbfile.TypeStreamListpacks4
	case v >= 11:
		return rdbfile.TypeStreamListpacks3
	case v == 10:
		return rdbfile.TypeStreamListpacks2
	case v == 9:
		return rdbfile.TypeStreamListpacks
	}
	return 0
}

// stripStream reports whether st holds metadata that stream type t cannot
// hold; with apply it removes that metadata (the inverse of what a server
// fills in when it loads the older type).
func stripStream(st *rdbfile.Stream, t rdbfile.Type, apply bool) bool {
	found := false
	if t == rdbfile.TypeStreamListpacks && st.HasV2Meta {
		if st.MaxDeletedID != (rdbfile.StreamID{}) || st.EntriesAdded != st.Length {
			found = true
			if apply {
				st.MaxDeletedID, st.EntriesAdded = rdbfile.StreamID{}, st.Length
			}
		}
		for gi := range st.Groups {
			if st.Groups[gi].EntriesRead != -1 {
				found = true
				if apply {
					st.Groups[gi].EntriesRead = -1
				}
			}
		}
		if apply {
			st.HasV2Meta = false
		}
	}
	if t != 0 && t < rdbfile.TypeStreamListpacks3 {
		for gi := range st.Groups {
			for ci := range st.Groups[gi].Consumers {
				cs := &st.Groups[gi].Consumers[ci]
				if cs.ActiveTime != -1 && cs.ActiveTime != cs.SeenTime {
					found = true
					if apply {
						cs.ActiveTime = -1
					}
				}
			}
		}
	}
	if t != 0 && t < rdbfile.TypeStreamListpacks4 && st.IDMP != nil {
		found = true
		if apply {
			st.IDMP = nil
		}
	}
	if t != 0 && t < rdbfile.TypeStreamListpacks5 {
		for gi := range st.Groups {
			if len(st.Groups[gi].NACK) > 0 {
				found = true
				if apply {
					// NACK-zone entries are pending without an owner, which
					// older stream types cannot hold: they leave the PEL too.
					g := &st.Groups[gi]
					nack := map[rdbfile.StreamID]bool{}
					for _, id := range g.NACK {
						nack[id] = true
					}
					g.PEL = slices.DeleteFunc(g.PEL, func(p rdbfile.StreamPending) bool { return nack[p.ID] })
					g.NACK = nil
				}
			}
		}
	}
	return found
}
