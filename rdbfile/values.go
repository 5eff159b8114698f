package rdbfile

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
	"sync/atomic"
)

// walker reads one value, layout per Redis src/rdb.c rdbLoadObject (and
// Valkey src/rdb.c for HASH_2). Hard errors (framing lost) are returned;
// soft ones (bad blob content, duplicates, ordering) are recorded as findings
// and the walk goes on so the reader stays in sync.
type walker struct {
	r     *Reader
	e     *Entry
	fn    func(*Element) error
	fnErr error
	want  bool // element bytes are needed (Value/Walk), not just validated
	// packed: hash listpacks go to fn whole (Element.Listpack; WalkPacked)
	packed bool
	el     Element
	sc     []byte // scratch for a copied first half of a pair
	// stream scratch, reused across nodes and entries
	mfields, vals [][]byte
	ints, arena   []byte
	refs          []textRef
	// stream group scratch: the PEL index, and the Stream a skipped value
	// is read into (Entry.StreamMeta after Skip)
	pel       pelIndex
	stScratch Stream
	stReuse   *Stream     // the Stream being read keeps the capacity of its slices: stScratch or Reader.spare
	se        StreamEntry // the entry a stream Element points to
	// frame: only the framing of the value is read (Entry.frame): LZF
	// strings are not decompressed, blobs not walked, members not
	// deduplicated, and no finding is recorded. A Checker hands the
	// value's bytes to a worker for those checks.
	frame bool
}

// dupReset and dupAdd are r.dup.reset and r.dup.add, skipped when only
// the framing is read.
func (w *walker) dupReset(n uint64) {
	if !w.frame {
		w.r.dup.reset(int(min(n, 1<<20)))
	}
}

func (w *walker) dupAdd(b []byte) bool {
	return w.frame || w.r.dup.add(b)
}

func (w *walker) emit() {
	w.e.elems++
	if w.fn == nil {
		return
	}
	if err := w.fn(&w.el); err != nil {
		w.fnErr = err
		w.fn = nil
	}
}

// soft records a recoverable problem in the current value.
func (w *walker) soft(off int64, field, detail string) {
	if w.frame {
		return
	}
	ce := w.r.corrupt(off, field, ErrInvalid, detail)
	w.r.addFinding(SevError, ce)
	if w.e.softErr == nil {
		w.e.softErr = ce
	}
}

func (w *walker) warn(off int64, field, detail string) {
	if w.frame {
		return
	}
	w.r.addFinding(SevWarning, w.r.corrupt(off, field, ErrInvalid, detail))
}

func (w *walker) value() error {
	e := w.e
	w.el = Element{ExpireAt: NoExpire}
	switch e.Type {
	case TypeString:
		b, _, err := w.r.readStringEx("string value", !w.want)
		if err != nil {
			return err
		}
		w.el.Member = b
		w.emit()
		return nil
	case TypeList:
		return w.plainList()
	case TypeSet:
		return w.plainSet()
	case TypeZSet, TypeZSet2:
		return w.plainZSet(e.Type == TypeZSet2)
	case TypeHash:
		return w.plainHash()
	case TypeModule2:
		return w.module()
	case TypeHashZipmap:
		return w.zipmapHash()
	case TypeListZiplist:
		return w.ziplistBlob(blobList)
	case TypeSetIntset:
		return w.intsetBlob()
	case TypeZSetZiplist:
		return w.ziplistBlob(blobZSet)
	case TypeHashZiplist:
		return w.ziplistBlob(blobHash)
	case TypeListQuicklist:
		return w.quicklist(false)
	case TypeListQuicklist2:
		return w.quicklist(true)
	case TypeHashListpack:
		return w.listpackBlob(blobHash)
	case TypeZSetListpack:
		return w.listpackBlob(blobZSet)
	case TypeSetListpack:
		return w.listpackBlob(blobSet)
	case TypeStreamListpacks, TypeStreamListpacks2, TypeStreamListpacks3, TypeStreamListpacks4, TypeStreamListpacks5:
		return w.stream()
	case 22:
		if w.r.hdr.Dialect == DialectValkey {
			return w.valkeyHash2()
		}
		return w.hashMetadata(false)
	case TypeHashMetadata:
		return w.hashMetadata(true)
	case TypeHashLpExPreGA:
		return w.listpackEx(false)
	case TypeHashListpackEx:
		return w.listpackEx(true)
	case TypeArray:
		return w.array()
	case TypeHashTmplLP, TypeHashTmplLPRef, TypeHashTmplArray, TypeHashTmplArrayRef:
		return w.template()
	case TypeGCRA:
		v, err := w.r.readLen("GCRA value")
		if err != nil {
			return err
		}
		w.el.Member = strconv.AppendInt(w.r.numBuf[:0], int64(v), 10)
		w.emit()
		return nil
	}
	return w.r.corrupt(e.ValueOffset, "value", ErrUnknownType, "no decoder for type "+e.TypeName)
}

// emptyCheck records the empty-aggregate condition: redis-server skips such
// keys with a log line, redis-check-rdb rejects the file.
func (w *walker) emptyCheck(n uint64) {
	if n == 0 {
		w.soft(w.e.ValueOffset, "value", "empty "+w.e.ValueKind.String()+" (redis-server skips the key, redis-check-rdb rejects the file)")
	}
}

func (w *walker) plainList() error {
	r := w.r
	n, err := r.readCount("list length", 1)
	if err != nil {
		return err
	}
	w.e.count = int64(n)
	w.emptyCheck(n)
	for i := uint64(0); i < n; i++ {
		b, err := r.readString("list element")
		if err != nil {
			return err
		}
		w.el.Member = b
		w.emit()
	}
	return nil
}

func (w *walker) plainSet() error {
	r := w.r
	n, err := r.readCount("set size", 1)
	if err != nil {
		return err
	}
	w.e.count = int64(n)
	w.emptyCheck(n)
	w.dupReset(n)
	for i := uint64(0); i < n; i++ {
		off := r.in.offset()
		b, err := r.readString("set member")
		if err != nil {
			return err
		}
		w.e.MaxLen = max(w.e.MaxLen, int64(len(b)))
		if !w.dupAdd(b) {
			w.soft(off, "set member", "duplicate set member")
		}
		w.el.Member = b
		w.emit()
	}
	return nil
}

func (w *walker) plainZSet(binaryScores bool) error {
	r := w.r
	n, err := r.readCount("zset size", 2)
	if err != nil {
		return err
	}
	w.e.count = int64(n)
	w.emptyCheck(n)
	w.dupReset(n)
	for i := uint64(0); i < n; i++ {
		off := r.in.offset()
		m, err := r.readString("zset member")
		if err != nil {
			return err
		}
		w.e.MaxLen = max(w.e.MaxLen, int64(len(m)))
		if w.fn != nil { // the next read may move m
			w.sc = append(w.sc[:0], m...)
		}
		if !w.dupAdd(m) {
			w.soft(off, "zset member", "duplicate zset member")
		}
		soff := r.in.offset()
		var score float64
		if binaryScores {
			u, err := r.in.u64le()
			if err != nil {
				return r.ioErr(soff, "zset score", err)
			}
			score = math.Float64frombits(u)
		} else {
			score, err = w.stringDouble()
			if err != nil {
				return err
			}
		}
		if math.IsNaN(score) {
			w.soft(soff, "zset score", "zset score is NaN")
		}
		w.el.Member, w.el.Score = w.sc, score
		w.emit()
	}
	return nil
}

// stringDouble reads the old string-form double (rdbLoadDoubleValue).
func (w *walker) stringDouble() (float64, error) {
	r := w.r
	off := r.in.offset()
	c, err := r.in.byte()
	if err != nil {
		return 0, r.ioErr(off, "zset score", err)
	}
	switch c {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := r.in.next(int(c))
	if err != nil {
		return 0, r.ioErr(off, "zset score", err)
	}
	if w.frame {
		return 0, nil
	}
	f, ok := parseCDouble(b)
	if !ok {
		w.soft(off, "zset score", "score "+strconv.Quote(string(b))+" is not a number")
	}
	return f, nil
}

// parseCDouble parses a number the way strtod would for the texts Redis
// writes (%.17g, Grisu2, "inf", "-inf", "nan").
func parseCDouble(b []byte) (float64, bool) {
	s := string(b)
	switch s {
	case "inf", "+inf", "infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	case "nan", "-nan":
		return math.NaN(), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
			return f, true
		}
		return 0, false
	}
	return f, true
}

func (w *walker) plainHash() error {
	r := w.r
	n, err := r.readCount("hash size", 2)
	if err != nil {
		return err
	}
	w.e.count = int64(n)
	w.emptyCheck(n)
	w.dupReset(n)
	for i := uint64(0); i < n; i++ {
		off := r.in.offset()
		f, err := r.readString("hash field")
		if err != nil {
			return err
		}
		if !w.dupAdd(f) {
			w.soft(off, "hash field", "duplicate hash field")
		}
		if w.fn != nil { // the next read may move f
			w.sc = append(w.sc[:0], f...)
		}
		v, err := r.readString("hash value")
		if err != nil {
			return err
		}
		w.e.MaxLen = max(w.e.MaxLen, int64(len(f)), int64(len(v)))
		w.el.Member, w.el.Value = w.sc, v
		w.emit()
	}
	return nil
}

// hashMetadata reads types 24 (GA, relative TTLs after minExpire) and the
// Redis 22 pre-GA form (absolute TTLs).
func (w *walker) hashMetadata(ga bool) error {
	r := w.r
	var minExp uint64
	if ga {
		off := r.in.offset()
		v, err := r.in.u64le()
		if err != nil {
			return r.ioErr(off, "hash min expire", err)
		}
		minExp = v
	}
	n, err := r.readCount("hash size", 3)
	if err != nil {
		return err
	}
	w.e.count = int64(n)
	w.emptyCheck(n)
	w.dupReset(n)
	for i := uint64(0); i < n; i++ {
		toff := r.in.offset()
		ttl, err := r.readLen("hash field TTL")
		if err != nil {
			return err
		}
		exp := NoExpire
		if ttl != 0 {
			if ga {
				exp = int64(ttl + minExp - 1)
			} else {
				exp = int64(ttl)
			}
			if uint64(exp) > 0xFFFFFFFFFFFF {
				w.soft(toff, "hash field TTL", "field expire time beyond 2^48-1 ms")
			}
		}
		off := r.in.offset()
		f, err := r.readString("hash field")
		if err != nil {
			return err
		}
		if !w.dupAdd(f) {
			w.soft(off, "hash field", "duplicate hash field")
		}
		if w.fn != nil { // the next read may move f
			w.sc = append(w.sc[:0], f...)
		}
		v, err := r.readString("hash value")
		if err != nil {
			return err
		}
		w.el.Member, w.el.Value, w.el.ExpireAt = w.sc, v, exp
		w.emit()
	}
	w.el.ExpireAt = NoExpire
	return nil
}

// valkeyHash2 reads Valkey 9 HASH_2 (type 22 with the VALKEY magic).
func (w *walker) valkeyHash2() error {
	r := w.r
	n, err := r.readCount("hash size", 10)
	if err != nil {
		return err
	}
	w.e.count = int64(n)
	w.emptyCheck(n)
	w.dupReset(n)
	for i := uint64(0); i < n; i++ {
		off := r.in.offset()
		f, err := r.readString("hash field")
		if err != nil {
			return err
		}
		if !w.dupAdd(f) {
			w.soft(off, "hash field", "duplicate hash field")
		}
		if w.fn != nil { // the next read may move f
			w.sc = append(w.sc[:0], f...)
		}
		v, err := r.readString("hash value")
		if err != nil {
			return err
		}
		toff := r.in.offset()
		u, err := r.in.u64le()
		if err != nil {
			return r.ioErr(toff, "hash field TTL", err)
		}
		exp := int64(u)
		if exp < -1 {
			w.soft(toff, "hash field TTL", "field expire time "+strconv.FormatInt(exp, 10)+" (< -1)")
		}
		if exp == -1 {
			exp = NoExpire
		}
		w.el.Member, w.el.Value, w.el.ExpireAt = w.sc, v, exp
		w.emit()
	}
	w.el.ExpireAt = NoExpire
	return nil
}

func (w *walker) module() error {
	r := w.r
	id, err := r.readLen("module type id")
	if err != nil {
		return err
	}
	start := r.in.offset()
	if w.want {
		r.in.startCapture()
	}
	err = r.skipModuleOpcodes("module value")
	var raw []byte
	if w.want {
		raw = r.in.stopCapture()
	}
	if err != nil {
		return err
	}
	name, ver := ModuleTypeName(id)
	w.e.Module = &ModuleValue{ID: id, TypeName: name, EncVer: ver, Size: r.in.offset() - start, Raw: raw}
	w.warn(w.e.ValueOffset, "module value", "module type "+name+" (encver "+strconv.Itoa(ver)+"): loading needs that module")
	w.e.elems = 1
	return nil
}

// Blob-based values.

type blobKind uint8

const (
	blobList blobKind = iota
	blobSet
	blobZSet
	blobHash
)

// readBlob reads a string holding an encoded structure and returns it with
// the offset that blob positions are relative to (the string's start when
// LZF-compressed, since positions then refer to decompressed bytes).
func (w *walker) readBlob(field string) ([]byte, int64, bool, error) {
	r := w.r
	start := r.in.offset()
	b, lzf, err := r.readStringEx(field, false)
	if err != nil {
		return nil, 0, false, err
	}
	if r.blobHook != nil && !w.frame {
		r.blobHook(b)
	}
	if lzf {
		return b, start, true, nil
	}
	return b, r.in.offset() - int64(len(b)), false, nil
}

// blobErr records a soft error inside a blob.
func (w *walker) blobErr(base int64, lzf bool, field string, err error) {
	var be *blobError
	off := base
	what := err.Error()
	if errors.As(err, &be) {
		what = be.What
		if !lzf {
			off = base + int64(be.Pos)
		} else {
			what += " (at byte " + strconv.Itoa(be.Pos) + " of the decompressed blob)"
		}
	}
	w.soft(off, field, what)
}

// pairState tracks alternate elements of ziplist/listpack pairs.
type packSink struct {
	w     *walker
	kind  blobKind
	base  int64
	lzf   bool
	field string
	half  bool // a first half is pending in w.sc
	nodup bool // members were already deduplicated (lpFast)
}

func (p *packSink) put(ent packEntry) {
	w := p.w
	r := w.r
	// dupAdd records a member or field; strings are remembered by their
	// position in the blob (no copy), integers by their decimal text.
	dupAdd := func() bool {
		if p.nodup {
			return true
		}
		if ent.IsInt {
			return r.dup.add(strconv.AppendInt(r.numBuf[:0], ent.Int, 10))
		}
		return r.dup.addRef(ent.Str)
	}
	switch p.kind {
	case blobList:
		if w.fn == nil {
			w.e.elems++
			return
		}
		w.el.Member = ent.text(r.numBuf[:0])
		w.emit()
	case blobSet:
		if !dupAdd() {
			w.soft(p.base, p.field, "duplicate set member")
		}
		if w.fn == nil {
			w.e.elems++
			return
		}
		w.el.Member = ent.text(r.numBuf[:0])
		w.emit()
	case blobHash, blobZSet:
		if !p.half {
			if !dupAdd() {
				what := "duplicate hash field"
				if p.kind == blobZSet {
					what = "duplicate zset member"
				}
				w.soft(p.base, p.field, what)
			}
			if w.fn != nil {
				w.sc = ent.appendText(w.sc[:0])
			}
			p.half = true
			return
		}
		p.half = false
		if w.fn == nil {
			w.e.elems++
			return
		}
		if p.kind == blobHash {
			w.el.Member, w.el.Value = w.sc, ent.text(r.numBuf[:0])
			w.emit()
			return
		}
		var score float64
		if ent.IsInt {
			score = float64(ent.Int)
		} else {
			// Redis does not check the text of listpack/ziplist scores when it
			// loads (zzlStrtod), so only parse them when the value is wanted.
			f, ok := parseCDouble(ent.Str)
			if !ok || math.IsNaN(f) {
				w.soft(p.base, p.field, "zset score "+strconv.Quote(string(ent.Str))+" is not a number")
			}
			score = f
		}
		w.el.Member, w.el.Score = w.sc, score
		w.emit()
	}
}

func (p *packSink) finish() {
	if p.half {
		p.w.soft(p.base, p.field, "odd number of elements in a "+p.w.e.ValueKind.String()+" blob")
	}
}

func (w *walker) listpackBlob(kind blobKind) error {
	b, base, lzf, err := w.readBlob("listpack")
	if err != nil || w.frame {
		return err
	}
	w.r.dup.reset(blobCountHint(b, 4))
	w.r.dup.setBlob(b)
	p := packSink{w: w, kind: kind, base: base, lzf: lzf, field: "listpack"}
	n := w.walkListpack(b, base, lzf, &p)
	if n == 0 && w.e.softErr == nil {
		w.emptyCheck(0)
	}
	p.finish()
	return nil
}

// packIter is what listpack and ziplist iterators have in common.
type packIter interface {
	Next() (packEntry, bool, error)
	Done() error
}

// walkListpack iterates a listpack blob into p; returns the entry count.
// Valid blobs take lpCheck's one-pass fast path; anything it refuses is
// walked again with lpIter, which names the exact finding.
func (w *walker) walkListpack(b []byte, base int64, lzf bool, p *packSink) int {
	if w.frame {
		return 1
	}
	if n, ok := w.lpFast(b, p); ok {
		return n
	}
	if p.kind != blobList {
		w.r.dup.reset(blobCountHint(b, 4))
		w.r.dup.setBlob(b)
	}
	it, err := lpOpen(b)
	if err != nil {
		w.blobErr(base, lzf, "listpack", err)
		return 0
	}
	return w.walkPack(&it, "listpack", base, lzf, p)
}

// noFastPaths is a test hook: when set, every listpack and stream node
// takes the checked walk, so tests can compare the fast paths against it.
var noFastPaths = false

// fastPathRefusals counts the blobs a fast path (lpCheck, streamNodeCheck)
// handed to the checked walk. Valid files should leave it at 0: a test
// checks that, so that a fast path that silently refuses everything (still
// correct, but slow) cannot go unnoticed.
var fastPathRefusals atomic.Int64

// lpFast validates and deduplicates listpack b with lpCheck and, when that
// accepts it, hands its entries to p without checking them again. It
// returns false, having emitted nothing, when lpCheck refuses the blob or a
// pair type has an odd number of entries.
func (w *walker) lpFast(b []byte, p *packSink) (int, bool) {
	if noFastPaths {
		return 0, false
	}
	stride := 0
	switch p.kind {
	case blobSet:
		stride = 1
	case blobHash, blobZSet:
		stride = 2
	}
	n, ok := lpCheck(b, &w.r.dup, stride, w.r.numBuf[:0])
	if !ok || stride == 2 && n&1 != 0 {
		fastPathRefusals.Add(1)
		return 0, false
	}
	if w.fn == nil {
		if stride == 2 {
			w.e.elems += int64(n / 2)
		} else {
			w.e.elems += int64(n)
		}
		return n, true
	}
	if w.packed && p.kind == blobHash && n > 0 {
		w.e.elems += int64(n / 2)
		saved := w.el
		w.el = Element{ExpireAt: NoExpire, Listpack: b}
		if err := w.fn(&w.el); err != nil {
			w.fnErr, w.fn = err, nil
		}
		w.el = saved
		return n, true
	}
	w.lpEmit(b, n, p)
	return n, true
}

// lpEmit hands the n entries of a listpack that lpCheck accepted (and
// deduplicated) to the walker's callback, as packSink.put would, without
// checking them again. Lists and sets emit every entry; hashes and sorted
// sets emit pairs, whose first half is texted into w.sc when it is an
// integer (numBuf holds the second).
func (w *walker) lpEmit(b []byte, n int, p *packSink) {
	r := w.r
	pos := lpHdrSize
	switch p.kind {
	case blobList, blobSet:
		for range n {
			var e packEntry
			e, pos = lpEntryAt(b, pos)
			w.el.Member = e.text(r.numBuf[:0])
			w.emit()
		}
	case blobHash:
		for range n / 2 {
			var f, v packEntry
			f, pos = lpEntryAt(b, pos)
			v, pos = lpEntryAt(b, pos)
			if f.IsInt {
				w.sc = strconv.AppendInt(w.sc[:0], f.Int, 10)
				w.el.Member = w.sc
			} else {
				w.el.Member = f.Str
			}
			w.el.Value = v.text(r.numBuf[:0])
			w.emit()
		}
	default: // blobZSet: the score checks stay in put
		p.nodup = true
		for range n {
			var e packEntry
			e, pos = lpEntryAt(b, pos)
			p.put(e)
		}
		p.nodup = false
	}
}

// walkZiplist iterates a ziplist blob into p; returns the entry count.
func (w *walker) walkZiplist(b []byte, base int64, lzf bool, p *packSink) int {
	if w.frame {
		return 1
	}
	it, err := zlOpen(b)
	if err != nil {
		w.blobErr(base, lzf, "ziplist", err)
		return 0
	}
	return w.walkPack(&it, "ziplist", base, lzf, p)
}

// walkPack feeds every entry of an opened listpack or ziplist to p and
// checks the header count at the end.
func (w *walker) walkPack(it packIter, name string, base int64, lzf bool, p *packSink) int {
	n := 0
	for {
		ent, ok, err := it.Next()
		if err != nil {
			w.blobErr(base, lzf, name+" entry", err)
			return n
		}
		if !ok {
			break
		}
		n++
		p.put(ent)
	}
	if err := it.Done(); err != nil {
		w.blobErr(base, lzf, name+" header", err)
	}
	return n
}

func (w *walker) ziplistBlob(kind blobKind) error {
	b, base, lzf, err := w.readBlob("ziplist")
	if err != nil || w.frame {
		return err
	}
	w.r.dup.reset(blobCountHint(b, 8))
	w.r.dup.setBlob(b)
	p := packSink{w: w, kind: kind, base: base, lzf: lzf, field: "ziplist"}
	n := w.walkZiplist(b, base, lzf, &p)
	if n == 0 && w.e.softErr == nil {
		w.emptyCheck(0)
	}
	p.finish()
	return nil
}

func (w *walker) intsetBlob() error {
	r := w.r
	b, base, lzf, err := w.readBlob("intset")
	if err != nil || w.frame {
		return err
	}
	it, err := isOpen(b)
	if err != nil {
		w.blobErr(base, lzf, "intset", err)
		return nil
	}
	for {
		v, ok, err := it.Next()
		if err != nil {
			w.blobErr(base, lzf, "intset member", err)
			return nil
		}
		if !ok {
			break
		}
		if w.fn != nil { // formatting only for a caller that reads it
			w.el.Member = strconv.AppendInt(r.numBuf[:0], v, 10)
		}
		w.emit()
	}
	return nil
}

func (w *walker) zipmapHash() error {
	r := w.r
	b, base, lzf, err := w.readBlob("zipmap")
	if err != nil || w.frame {
		return err
	}
	it, err := zmOpen(b)
	if err != nil {
		w.blobErr(base, lzf, "zipmap", err)
		return nil
	}
	r.dup.reset(16)
	for {
		f, v, ok, err := it.Next()
		if err != nil {
			w.blobErr(base, lzf, "zipmap entry", err)
			return nil
		}
		if !ok {
			break
		}
		if !r.dup.add(f) {
			w.soft(base, "zipmap", "duplicate hash field")
		}
		w.el.Member, w.el.Value = f, v
		w.emit()
	}
	if err := it.Done(); err != nil {
		w.blobErr(base, lzf, "zipmap", err)
	}
	return nil
}

// quicklist reads types 14 (ziplist nodes) and 18 (container + listpack or
// plain nodes), per Redis src/rdb.c and src/quicklist.h.
func (w *walker) quicklist(v2 bool) error {
	r := w.r
	n, err := r.readCount("quicklist node count", 2)
	if err != nil {
		return err
	}
	if n == 0 {
		w.emptyCheck(0)
	}
	p := packSink{w: w, kind: blobList, field: "quicklist node"}
	for i := uint64(0); i < n; i++ {
		container := uint64(2)
		coff := r.in.offset()
		if v2 {
			container, err = r.readLen("quicklist container")
			if err != nil {
				return err
			}
			if container != 1 && container != 2 {
				return r.corrupt(coff, "quicklist container", ErrInvalid, "quicklist container "+strconv.FormatUint(container, 10)+" (want 1 plain or 2 packed)")
			}
		}
		b, base, lzf, err := w.readBlob(fieldQuicklistNode)
		if err != nil {
			return err
		}
		p.base, p.lzf = base, lzf
		switch {
		case container == 1:
			if len(b) == 0 {
				w.soft(base, "quicklist node", "empty plain quicklist node")
			}
			w.el.Member = b
			w.emit()
		case v2:
			if k := w.walkListpack(b, base, lzf, &p); k == 0 {
				w.soft(base, "quicklist node", "empty listpack node in quicklist")
			}
		default:
			if k := w.walkZiplist(b, base, lzf, &p); k == 0 {
				w.soft(base, "quicklist node", "empty ziplist node in quicklist")
			}
		}
	}
	return nil
}

// listpackEx reads HASH_LISTPACK_EX (25; with minExpire) and its pre-GA form
// (23): a listpack of field, value, expireAt triplets.
func (w *walker) listpackEx(ga bool) error {
	r := w.r
	if ga {
		off := r.in.offset()
		if _, err := r.in.u64le(); err != nil {
			return r.ioErr(off, "hash min expire", err)
		}
	}
	b, base, lzf, err := w.readBlob("listpack")
	if err != nil || w.frame {
		return err
	}
	it, err := lpOpen(b)
	if err != nil {
		w.blobErr(base, lzf, "listpack", err)
		return nil
	}
	r.dup.reset(blobCountHint(b, 4) / 3)
	var prevTTL int64 = 0
	seenNoTTL := false
	n := 0
	for {
		f, ok, err := it.Next()
		if err != nil {
			w.blobErr(base, lzf, "listpack entry", err)
			return nil
		}
		if !ok {
			break
		}
		v, ok2, err := it.Next()
		if err == nil && !ok2 {
			w.soft(base, "listpack", "listpackex ends inside a field/value/TTL triplet")
			return nil
		}
		if err != nil {
			w.blobErr(base, lzf, "listpack entry", err)
			return nil
		}
		t, ok3, err := it.Next()
		if err == nil && !ok3 {
			w.soft(base, "listpack", "listpackex ends inside a field/value/TTL triplet")
			return nil
		}
		if err != nil {
			w.blobErr(base, lzf, "listpack entry", err)
			return nil
		}
		n++
		w.sc = f.appendText(w.sc[:0])
		if !r.dup.add(w.sc) {
			w.soft(base, "listpack", "duplicate hash field")
		}
		if !t.IsInt {
			w.soft(base, "listpack", "field TTL is not an integer")
		}
		exp := NoExpire
		if t.Int != 0 {
			exp = t.Int
			if t.Int < 0 || uint64(t.Int) > 0xFFFFFFFFFFFF {
				w.soft(base, "listpack", "field TTL out of range")
			}
			if seenNoTTL || t.Int < prevTTL {
				w.soft(base, "listpack", "listpackex fields not ordered by TTL (fields with TTL ascending, then fields without)")
			}
			prevTTL = t.Int
		} else {
			seenNoTTL = true
		}
		w.el.Member, w.el.Value, w.el.ExpireAt = w.sc, v.text(r.numBuf[:0]), exp
		w.emit()
	}
	w.el.ExpireAt = NoExpire
	if err := it.Done(); err != nil {
		w.blobErr(base, lzf, "listpack header", err)
	}
	if n == 0 {
		w.emptyCheck(0)
	}
	return nil
}

// array reads the Redis 8.8 ARRAY type (Redis src/rdb.c rdbSaveArraySlice
// writes it, rdbLoadObject reads it).
func (w *walker) array() error {
	r := w.r
	n, err := r.readCount("array count", 3)
	if err != nil {
		return err
	}
	if n == 0 {
		w.soft(w.e.ValueOffset, "array count", "empty array")
	}
	foff := r.in.offset()
	flag, err := r.readLen("array insert flag")
	if err != nil {
		return err
	}
	meta := &Array{}
	switch flag {
	case 0:
	case 1:
		meta.HasCursor = true
		if meta.InsertIdx, err = r.readLen("array insert index"); err != nil {
			return err
		}
	default:
		return r.corrupt(foff, "array insert flag", ErrInvalid, "array insert flag "+strconv.FormatUint(flag, 10)+" (want 0 or 1)")
	}
	w.e.arr = meta
	var ae ArrayElement
	var prev uint64
	for i := uint64(0); i < n; i++ {
		ioff := r.in.offset()
		idx, err := r.readLen("array index")
		if err != nil {
			return err
		}
		if idx == math.MaxUint64 {
			w.soft(ioff, "array index", "array index 2^64-1 is reserved")
		}
		if i > 0 && idx <= prev {
			w.warn(ioff, "array index", "array indices not strictly ascending (duplicate or out of order)")
		}
		prev = idx
		toff := r.in.offset()
		tag, err := r.readLen("array element tag")
		if err != nil {
			return err
		}
		ae = ArrayElement{Index: idx, Tag: int(tag)}
		switch tag {
		case ArraySDS, ArraySmallStr:
			s, err := r.readString("array element")
			if err != nil {
				return err
			}
			if tag == ArraySmallStr && len(s) > 7 {
				w.soft(toff, "array element", "SMALLSTR longer than 7 bytes")
			}
			ae.Str = s
		case ArrayInt, ArrayFloat:
			u, err := r.in.u64le()
			if err != nil {
				return r.ioErr(toff, "array element", err)
			}
			if tag == ArrayInt {
				ae.Int = int64(u)
			} else {
				ae.Float = math.Float64frombits(u)
			}
		default:
			return r.corrupt(toff, "array element tag", ErrInvalid, "array element tag "+strconv.FormatUint(tag, 10)+" (want 0..3)")
		}
		w.el.Array = &ae
		w.el.Member = ae.Str
		w.emit()
	}
	w.el.Array = nil
	return nil
}

// template reads hash template types 29..32 (Redis 8.10 src/rdb.c,
// RDB_TYPE_HASH_TMPL_* of src/rdb.h, added by redis/redis#15364).
func (w *walker) template() error {
	r := w.r
	t := w.e.Type
	var fields [][]byte
	var own [][]byte
	switch t {
	case TypeHashTmplLP, TypeHashTmplArray:
		fmtOff := r.in.offset()
		ff, err := r.readLen("template fields format")
		if err != nil {
			return err
		}
		switch ff {
		case 0:
			b, base, lzf, err := w.readBlob("template fields listpack")
			if err != nil {
				return err
			}
			it, err := lpOpen(b)
			if err != nil {
				w.blobErr(base, lzf, "template fields listpack", err)
			} else {
				for {
					ent, ok, err := it.Next()
					if err != nil {
						w.blobErr(base, lzf, "template fields listpack", err)
						break
					}
					if !ok {
						break
					}
					own = append(own, ent.appendText(nil))
				}
			}
		case 1:
			n, err := r.readCount("template field count", 1)
			if err != nil {
				return err
			}
			for i := uint64(0); i < n; i++ {
				f, err := r.readString("template field")
				if err != nil {
					return err
				}
				own = append(own, append([]byte(nil), f...))
			}
		default:
			return r.corrupt(fmtOff, "template fields format", ErrInvalid, "template fields format "+strconv.FormatUint(ff, 10))
		}
		for i := 1; i < len(own); i++ {
			if !templateLess(own[i-1], own[i]) {
				w.soft(fmtOff, "template fields", "template fields not strictly ascending")
				break
			}
		}
		fields = own
	case TypeHashTmplArrayRef:
		ioff := r.in.offset()
		id, err := r.readLen("template id")
		if err != nil {
			return err
		}
		f, ok := r.templates[id]
		if !ok {
			return r.corrupt(ioff, "template id", ErrInvalid, "reference to unknown hash template "+strconv.FormatUint(id, 10))
		}
		fields = f
	}
	if t == TypeHashTmplArray || t == TypeHashTmplArrayRef {
		for _, f := range fields {
			v, err := r.readString("template hash value")
			if err != nil {
				return err
			}
			w.el.Member, w.el.Value = f, v
			w.emit()
		}
		return nil
	}
	// Values listpack: entry 0 is the template id, then one value per field.
	b, base, lzf, err := w.readBlob("template values listpack")
	if err != nil {
		return err
	}
	it, err := lpOpen(b)
	if err != nil {
		w.blobErr(base, lzf, "template values listpack", err)
		return nil
	}
	first, ok, err := it.Next()
	if err != nil || !ok || !first.IsInt || first.Int < 0 {
		w.soft(base, "template values listpack", "values listpack does not start with a template id")
		return nil
	}
	if t == TypeHashTmplLPRef {
		f, ok := r.templates[uint64(first.Int)]
		if !ok {
			w.soft(base, "template values listpack", "reference to unknown hash template "+strconv.FormatInt(first.Int, 10))
			return nil
		}
		fields = f
	}
	i := 0
	for {
		ent, ok, err := it.Next()
		if err != nil {
			w.blobErr(base, lzf, "template values listpack", err)
			return nil
		}
		if !ok {
			break
		}
		if i >= len(fields) {
			i++
			continue
		}
		w.el.Member, w.el.Value = fields[i], ent.text(r.numBuf[:0])
		w.emit()
		i++
	}
	if i != len(fields) {
		w.soft(base, "template values listpack", "values listpack has "+strconv.Itoa(i)+" values for "+strconv.Itoa(len(fields))+" template fields")
	}
	return nil
}

// be128 decodes a 16-byte big-endian stream ID.
func be128(b []byte) StreamID {
	return StreamID{Ms: binary.BigEndian.Uint64(b[:8]), Seq: binary.BigEndian.Uint64(b[8:16])}
}

// blobCountHint reads a ziplist/listpack header's 16-bit element count at
// off, for sizing the duplicate detector (65535 means unknown).
func blobCountHint(b []byte, off int) int {
	if len(b) < off+2 {
		return 0
	}
	n := int(b[off]) | int(b[off+1])<<8
	if n == 65535 {
		n = 1024
	}
	return min(n, len(b)/2) // an entry takes at least 2 bytes
}
