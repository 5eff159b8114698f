package rdbscan

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"hash/maphash"
	"io"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"sync"
	"weak"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// A Duplicate is a key that appears more than once in one database. Redis
// and Valkey refuse such a file: the loader finds the key already in the
// keyspace, logs "RDB has duplicated key" and aborts with "Duplicated key
// found in RDB file" (src/rdb.c, rdbLoadRioWithLoadingCtx; rdbLoadRio
// before 7.0). The same key in two databases is fine.
type Duplicate struct {
	// DB is the database; -1 when Unconfirmed and the database is not one
	// of the first 255 of the file that hold keys (the check then knows
	// only a hash of the database and the key).
	DB  int
	Key []byte // nil when Unconfirmed
	// Copies are the key's records in file order (nil when Unconfirmed).
	Copies []Copy
	// Unconfirmed: the first pass saw N keys of this database with the same
	// 64-bit hash but the stream could not be read a second time
	// (Options.Reopen unset) to compare them and find their offsets. Two
	// different keys share a hash with probability 2^-64.
	Unconfirmed bool
	N           int // copies (or, when Unconfirmed, keys with that hash)
	// Outcome is what a server does with the file because of this key.
	Outcome DupOutcome
}

// Copy is one record of a duplicated key.
type Copy struct {
	Offset   int64 // offset of the key record (its first opcode)
	ExpireAt int64 // ms since the Unix epoch, or rdbfile.NoExpire
	// Empty: an aggregate without elements, which servers skip with a
	// warning instead of loading it (Redis 7.0+ rdbLoadObject,
	// RDB_LOAD_ERR_EMPTY_KEY).
	Empty bool
}

// DupOutcome says what loading a file with a duplicated key does.
type DupOutcome uint8

const (
	// DupAborts: at least two copies are loaded; every server aborts.
	DupAborts DupOutcome = iota
	// DupAbortsUnlessExpired: only one copy is live at Options.Now. A
	// primary drops keys already expired while it loads, so it loads the
	// file; a replica and an AOF preamble keep expired keys and abort.
	DupAbortsUnlessExpired
	// DupLoads: at most one copy is a non-empty value; servers skip the
	// empty ones and load the file.
	DupLoads
)

func (o DupOutcome) String() string {
	switch o {
	case DupAborts:
		return "aborts"
	case DupAbortsUnlessExpired:
		return "aborts-unless-expired"
	case DupLoads:
		return "loads"
	}
	return "unknown"
}

// outcome applies the loader's rules in order: an empty aggregate is
// skipped, then (on a primary not loading an AOF preamble) a key expired
// at the load time, then the key is added, and a second add aborts.
func outcome(copies []Copy, now int64) DupOutcome {
	nonEmpty, live := 0, 0
	for _, c := range copies {
		if c.Empty {
			continue
		}
		nonEmpty++
		if now == 0 || c.ExpireAt == rdbfile.NoExpire || c.ExpireAt >= now {
			live++
		}
	}
	switch {
	case live >= 2:
		return DupAborts
	case nonEmpty >= 2:
		return DupAbortsUnlessExpired
	}
	return DupLoads
}

// DefaultDupMemory is the memory budget of the duplicate check when
// Options.DupMemory is 0: 16 MiB, the hashes of 2 Mi keys.
const DefaultDupMemory = 16 << 20

// MinDupMemory is the smallest budget the duplicate check takes; a smaller
// Options.DupMemory is raised to it.
const MinDupMemory = 64 << 10

// maxDupMemory keeps a run's counts within uint32.
const maxDupMemory = 16 << 30

// dupSet remembers a 64-bit hash (hash/maphash) of every key together with
// its database, 8 bytes a key, in a fixed budget of memory (the pool) and,
// beyond it, in one temporary file.
//
// The database is a tag of 8 bits: the first 255 databases met get tags 0
// to 254 in order; keys of any further database get the tag 255 and their
// database number mixed into the hash (h + db*dupMix, which keeps equal keys
// of one database equal and keys of two databases apart). A slot holds the
// tag in its top byte and the hash's low 56 bits: the hash's top byte is the
// bucket (of 256) the slot is kept in, so no bit of the hash is lost.
//
// The pool is cut into chunks of 1/1024 of it that the buckets take in
// turn. When the pool is full, every bucket's chunks are written to the
// temporary file as one run (the buckets one after the other, their sizes
// kept in memory: 1 KiB a run) and the pool is used again from its start,
// so its pages are touched once. At the end, each bucket in turn is read
// back from every run into an open-addressing table laid out in the pool
// (twice its size); a value met twice is a candidate. A bucket too big for
// the table is first split the same way into 256 by the next byte of the
// hash, and so on down (partitionLevels): memory stays within the budget
// up to about 128 × budget/8 keys with one read of the file (250 M keys
// at 16 MiB) and at any number of keys with more passes.
//
// When nothing was written to the file, each bucket goes through a small
// table of its own (twice the bucket, about 1/128 of the budget) instead.
type dupSet struct {
	seed    maphash.Seed
	dir     string // for the temporary file; "" = os.TempDir()
	pool    []uint64
	poolRef *[]uint64 // keeps the pool's weak reference (lastPool) valid
	chunk   int

	top     parts // the first level: buckets by the hash's top byte
	lastDB  int
	lastTag uint64 // tag << 56
	lastMix uint64 // added to the hash (databases beyond the 255 first)
	tags    map[int]uint64
	dbOf    []int // tag -> database

	f       *os.File
	name    string // the file's name while it still exists on disk
	end     int64  // bytes written to f
	wbuf    []byte
	rd      dupIO                                      // the buffers for reading the file back
	marks   []uint64                                   // a bit per slot of the pool, for tableCheck
	err     error                                      // sticky: the first error writing or reading f
	creates func(dir string) (*os.File, string, error) // createTemp; tests replace it
	splits  int                                        // buckets split to a lower level
	feed    *dupFeed                                   // set: keys are added on a goroutine (startFeed)
	// two: the file is read back on two goroutines (walkTwo); Scan sets it
	// from Options.Jobs. twoDone: walkTwo did (for tests).
	two, twoDone bool
}

// dupIO is what one goroutine reads the file back with: bytes, and the
// slots decoded from them.
type dupIO struct {
	buf  []byte
	vals []uint64
}

func newDupIO() dupIO { return dupIO{buf: make([]byte, dupIOBuf), vals: make([]uint64, dupIOBuf/8)} }

// parts is one level of the partition: 256 buckets of chunks taken from the
// pool, and the runs already written to the file.
type parts struct {
	s     *dupSet
	shift uint // bucket = slot >> shift & 0xff (not used for the first level)
	used  int  // slots of the pool handed out as chunks
	cur   [256][]uint64
	full  [256][][]uint64
	runs  []dupRun
}

// dupRun is one run in the file: the slots of bucket 0, then of bucket 1,
// and so on, from offset start.
type dupRun struct {
	start int64
	n     [256]uint32
}

// section is a range of slots in the file.
type section struct {
	off int64
	n   int
}

const (
	dupTagBits     = 8
	dupLowMask     = 1<<(64-dupTagBits) - 1
	dupOverflowTag = 1<<dupTagBits - 1
	dupMix         = 0x9e3779b97f4a7c15 // odd: db -> db*dupMix is one-to-one
	dupIOBuf       = 64 << 10
	// partitionLevels: the first level splits by the hash's top byte, the
	// next ones by bytes 6, 5, ... 0 of the slot; then only the tag is
	// left, so a partition holds at most 256 distinct slots.
	partitionLevels = 8
)

func newDupSet(o *Options) *dupSet {
	budget := DefaultDupMemory
	dir := ""
	if o != nil {
		if o.DupMemory > 0 {
			budget = min(max(o.DupMemory, MinDupMemory), maxDupMemory)
		}
		dir = o.TempDir
	}
	s := &dupSet{seed: maphash.MakeSeed(), dir: dir, lastDB: -1, tags: map[int]uint64{}}
	s.setBudget(budget / 8)
	return s
}

// lastPool is the pool of the last finished check, until the garbage
// collector frees it: the next check (verify reads many files in a row)
// takes it, instead of allocating a second one while the first is not yet
// freed.
var lastPool struct {
	sync.Mutex
	p weak.Pointer[[]uint64]
}

// setBudget sets the pool to n slots (tests use tiny pools).
func (s *dupSet) setBudget(n int) {
	// The pool is allocated once and its pages are touched as the chunks
	// are handed out, so a small file costs little.
	lastPool.Lock()
	p := lastPool.p.Value()
	if p != nil && len(*p) == n {
		lastPool.p = weak.Pointer[[]uint64]{}
	} else {
		p = &[]uint64{}
		*p = make([]uint64, n)
	}
	lastPool.Unlock()
	s.poolRef, s.pool = p, *p
	s.chunk = max(n/1024, 1)
	s.top = parts{s: s}
}

func (s *dupSet) hash(key []byte) uint64 { return maphash.Bytes(s.seed, key) }

// tagOf returns the tag (shifted to the top byte) and the hash offset of
// database db, giving it a tag when assign is set and it has none.
func (s *dupSet) tagOf(db int, assign bool) (tag, mix uint64) {
	if t, ok := s.tags[db]; ok {
		return t << (64 - dupTagBits), 0
	}
	if assign && len(s.dbOf) < dupOverflowTag {
		t := uint64(len(s.dbOf))
		s.tags[db] = t
		s.dbOf = append(s.dbOf, db)
		return t << (64 - dupTagBits), 0
	}
	return dupOverflowTag << (64 - dupTagBits), uint64(db) * dupMix
}

// add records one key of database db.
func (s *dupSet) add(db int, key []byte) {
	s.insert(s.slot(db, key))
}

// slot returns the first-level bucket and the slot of a key of database
// db (giving the database a tag when it has none).
func (s *dupSet) slot(db int, key []byte) (b, v uint64) {
	if db != s.lastDB {
		s.lastDB = db
		s.lastTag, s.lastMix = s.tagOf(db, true)
	}
	h := maphash.Bytes(s.seed, key) + s.lastMix
	return h >> (64 - dupTagBits), s.lastTag | h&dupLowMask
}

// insert keeps slot v in first-level bucket b.
func (s *dupSet) insert(b, v uint64) {
	p := &s.top
	if c := p.cur[b]; len(c) < cap(c) {
		p.cur[b] = append(c, v)
		return
	}
	p.grow(int(b), v)
}

// put adds a slot to a lower level.
func (p *parts) put(v uint64) {
	b := v >> p.shift & 0xff
	if c := p.cur[b]; len(c) < cap(c) {
		p.cur[b] = append(c, v)
		return
	}
	p.grow(int(b), v)
}

// grow gives bucket b a new chunk for v, writing a run first when the pool
// is full. After an error writing the file, it drops v: the check has
// failed and says so at the end.
func (p *parts) grow(b int, v uint64) {
	s := p.s
	if s.err != nil {
		return
	}
	if c := p.cur[b]; c != nil {
		p.full[b] = append(p.full[b], c)
		p.cur[b] = nil
	}
	if p.used+s.chunk > len(s.pool) {
		if p.spill(); s.err != nil {
			return
		}
	}
	c := s.pool[p.used : p.used : p.used+s.chunk]
	p.used += s.chunk
	p.cur[b] = append(c, v)
}

// spill writes every bucket's slots to the file as one run and empties the
// pool.
func (p *parts) spill() {
	s := p.s
	if s.err != nil {
		return
	}
	if s.f == nil {
		s.create()
		if s.err != nil {
			return
		}
	}
	r := dupRun{start: s.end}
	w := s.wbuf[:0]
	for b := range p.cur {
		for _, c := range append(p.full[b], p.cur[b]) {
			r.n[b] += uint32(len(c))
			for len(c) > 0 {
				if len(w) == cap(w) {
					s.write(w)
					w = w[:0]
				}
				k := min(len(c), (cap(w)-len(w))/8)
				for _, v := range c[:k] {
					w = binary.LittleEndian.AppendUint64(w, v)
				}
				c = c[k:]
			}
		}
		clear(p.full[b])
		p.full[b], p.cur[b] = p.full[b][:0], nil
	}
	s.write(w)
	p.used = 0
	p.runs = append(p.runs, r)
}

// flush writes what is left in the pool as a last run, when the level has
// runs already: then all of it is in the file.
func (p *parts) flush() {
	if len(p.runs) > 0 && p.used > 0 {
		p.spill()
	}
}

// create opens the temporary file.
func (s *dupSet) create() {
	create := s.creates
	if create == nil {
		create = createTemp
	}
	f, name, err := create(s.dir)
	if err != nil {
		s.err = &DupTempError{Dir: s.tempDir(), Err: err}
		return
	}
	s.f, s.name = f, name
	s.wbuf, s.rd = make([]byte, dupIOBuf), newDupIO()
}

// createTemp creates a file in dir (or os.TempDir()) and removes its name at
// once where the system allows it: the file then goes away with the
// process, however it ends. It returns the name still to remove, if any.
func createTemp(dir string) (*os.File, string, error) {
	f, err := os.CreateTemp(dir, "rdbkit-dup-*")
	if err != nil {
		return nil, "", err
	}
	if os.Remove(f.Name()) != nil {
		return f, f.Name(), nil // removed by close
	}
	return f, "", nil
}

func (s *dupSet) tempDir() string {
	if s.dir != "" {
		return s.dir
	}
	return os.TempDir()
}

func (s *dupSet) write(w []byte) {
	if s.err != nil || len(w) == 0 {
		return
	}
	if _, err := s.f.WriteAt(w, s.end); err != nil {
		s.err = &DupTempError{Dir: s.tempDir(), Written: s.end, Err: err}
		return
	}
	s.end += int64(len(w))
}

// close closes and removes the temporary file, if any, and drops the pool.
// Scan calls it on every way out.
func (s *dupSet) close() {
	s.drain()
	if s.f != nil {
		s.f.Close()
		if s.name != "" {
			os.Remove(s.name)
		}
		s.f, s.name = nil, ""
	}
	if s.poolRef != nil {
		lastPool.Lock()
		lastPool.p = weak.Make(s.poolRef)
		lastPool.Unlock()
	}
	s.pool, s.poolRef, s.marks = nil, nil, nil
}

// A DupTempError reports that the duplicate check could not use its
// temporary file: the budget of Options.DupMemory was exceeded and the
// hashes beyond it (8 bytes a key) could not be written or read back, for
// instance because the disk is full. The check did not run to the end; the
// rest of the scan's Result stands.
type DupTempError struct {
	Dir     string // the directory of the temporary file
	Written int64  // bytes written to it before the error
	Err     error  // from the os package, e.g. syscall.ENOSPC
}

func (e *DupTempError) Error() string {
	return "duplicate key check: temporary file in " + e.Dir + " (8 bytes a key beyond the memory budget, " +
		strconv.FormatInt(e.Written, 10) + " bytes written): " + e.Err.Error()
}

func (e *DupTempError) Unwrap() error { return e.Err }

// candidate is a hash seen more than once in one database.
type candidate struct {
	db  int // -1: a database beyond the 255 first (tag dupOverflowTag)
	tag uint64
	h   uint64
	n   int
}

type candKey struct{ tag, h uint64 }

// collector keeps the first keep candidates in the order of database and
// hash, with their number of copies, and counts all of them.
type collector struct {
	keep  int
	total int64
	cands []candidate
	n     map[candKey]int
}

func (c *collector) order(a, b candidate) int {
	da, db := a.db, b.db
	if da < 0 {
		da = math.MaxInt
	}
	if db < 0 {
		db = math.MaxInt
	}
	if da != db {
		return cmp.Compare(da, db)
	}
	return cmp.Compare(a.h, b.h)
}

// first records a slot met for the second time.
func (c *collector) first(x candidate) {
	c.total++
	c.cands = append(c.cands, x)
	c.n[candKey{x.tag, x.h}] = 2
	if len(c.cands) >= 2*c.keep {
		c.prune()
	}
}

// again records one more copy of a slot already recorded.
func (c *collector) again(tag, h uint64) {
	k := candKey{tag, h}
	if n, ok := c.n[k]; ok {
		c.n[k] = n + 1
	}
}

func (c *collector) prune() {
	slices.SortFunc(c.cands, c.order)
	if len(c.cands) > c.keep {
		for _, x := range c.cands[c.keep:] {
			delete(c.n, candKey{x.tag, x.h})
		}
		c.cands = c.cands[:c.keep]
	}
}

// cand makes the candidate of slot v of first-level bucket top.
func (s *dupSet) cand(top, v uint64) candidate {
	tag := v >> (64 - dupTagBits)
	db := -1
	if tag < uint64(len(s.dbOf)) {
		db = s.dbOf[tag]
	}
	return candidate{db: db, tag: tag, h: top<<(64-dupTagBits) | v&dupLowMask}
}

// candidates returns the hashes seen more than once (at most keep of them,
// in database order) and how many there are in all. It frees the pool and
// closes the file.
func (s *dupSet) candidates(ctx context.Context, keep int) ([]candidate, int64, error) {
	s.drain()
	c := &collector{keep: keep, n: map[candKey]int{}}
	err := s.scanBuckets(ctx, c)
	s.close()
	if err != nil {
		return nil, 0, err
	}
	c.prune()
	for i := range c.cands {
		c.cands[i].n = c.n[candKey{c.cands[i].tag, c.cands[i].h}]
	}
	return c.cands, c.total, nil
}

func (s *dupSet) scanBuckets(ctx context.Context, c *collector) error {
	p := &s.top
	if s.err != nil {
		return s.err
	}
	if len(p.runs) == 0 {
		// Everything is in the pool: a table of its own for each bucket,
		// unless a bucket is too big for a small table (many copies of
		// one key), then the pool goes to the file and serves as table.
		most := 0
		for b := range p.cur {
			most = max(most, bucketLen(p.full[b], p.cur[b]))
		}
		if tableSize(most) <= len(s.pool)/16 {
			var tab, marks []uint64
			for b := range p.cur {
				if err := ctx.Err(); err != nil {
					return err
				}
				n := bucketLen(p.full[b], p.cur[b])
				if n < 2 {
					continue
				}
				size := tableSize(n)
				if cap(tab) < size {
					tab, marks = make([]uint64, size), make([]uint64, size/64+1)
				}
				if err := s.tableCheck(ctx, &s.rd, tab[:size], marks, append(p.full[b], p.cur[b]), nil, uint64(b), c); err != nil {
					return err
				}
			}
			return nil
		}
		p.spill()
	} else {
		p.flush()
	}
	if s.err != nil {
		return s.err
	}
	if s.two {
		if ok, err := s.walkTwo(ctx, p, c); ok {
			return s.fail(err)
		}
	}
	return s.fail(s.walk(ctx, p, 0, 0, c))
}

// fail keeps the first error of the temporary file in s.err, and returns
// err.
func (s *dupSet) fail(err error) error {
	var te *DupTempError
	if s.err == nil && errors.As(err, &te) {
		s.err = err
	}
	return err
}

// walkTwo is walk for the first level on two goroutines, when every
// bucket fits in a table of half the pool: the calling goroutine resolves
// buckets 0-127 in the pool's first half, another one buckets 128-255 in
// its second half, each reading its own sections of the file into its own
// collector; the two collectors are then added to c. A slot is in one
// bucket, so the candidates and their counts are those of walk. It reports
// false, having done nothing, when a bucket is too big for half the pool
// (walk then splits it).
func (s *dupSet) walkTwo(ctx context.Context, p *parts, c *collector) (bool, error) {
	half, most := len(s.pool)/2, 0
	var secs [256][]section
	cursor := make([]int64, len(p.runs))
	for i := range p.runs {
		cursor[i] = p.runs[i].start
	}
	for b := range 256 {
		total := 0
		for i := range p.runs {
			if n := int(p.runs[i].n[b]); n > 0 {
				secs[b] = append(secs[b], section{off: cursor[i], n: n})
				cursor[i] += 8 * int64(n)
				total += n
			}
		}
		if tableSize(total) > half {
			return false, nil
		}
		most = max(most, tableSize(total))
	}
	run := func(rd *dupIO, tab []uint64, from, to int, col *collector) error {
		marks := make([]uint64, most/64+1)
		for b := from; b < to; b++ {
			total := 0
			for _, sec := range secs[b] {
				total += sec.n
			}
			if total < 2 {
				continue
			}
			size := tableSize(total)
			if err := s.tableCheck(ctx, rd, tab[:size], marks[:size/64+1], nil, secs[b], uint64(b), col); err != nil {
				return err
			}
		}
		return nil
	}
	other := &collector{keep: c.keep, n: map[candKey]int{}}
	var otherErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		rd := newDupIO()
		otherErr = run(&rd, s.pool[half:2*half], 128, 256, other)
	}()
	err := run(&s.rd, s.pool[:half], 0, 128, c)
	<-done
	if err == nil {
		err = otherErr
	}
	s.twoDone = true
	if err != nil {
		return true, err
	}
	c.total += other.total
	for _, x := range other.cands {
		c.cands = append(c.cands, x)
		c.n[candKey{x.tag, x.h}] = other.n[candKey{x.tag, x.h}]
	}
	return true, nil
}

func bucketLen(full [][]uint64, cur []uint64) int {
	n := len(cur)
	for _, c := range full {
		n += len(c)
	}
	return n
}

// tableSize is the power of two at least twice n (and at least 16).
func tableSize(n int) int {
	size := 16
	for size < 2*n {
		size *= 2
	}
	return size
}

// walk resolves each bucket of level p, whose slots are all in the file.
// top is the first-level bucket the level is in (for levels below the
// first).
func (s *dupSet) walk(ctx context.Context, p *parts, level int, top uint64, c *collector) error {
	cursor := make([]int64, len(p.runs))
	for i := range p.runs {
		cursor[i] = p.runs[i].start
	}
	var secs []section
	for b := range 256 {
		secs = secs[:0]
		total := 0
		for i := range p.runs {
			if n := int(p.runs[i].n[b]); n > 0 {
				secs = append(secs, section{off: cursor[i], n: n})
				cursor[i] += 8 * int64(n)
				total += n
			}
		}
		if total < 2 {
			continue
		}
		t := top
		if level == 0 {
			t = uint64(b)
		}
		if err := s.resolvePart(ctx, secs, total, level+1, t, c); err != nil {
			return err
		}
	}
	return nil
}

// resolvePart finds the slots met twice among the total slots of secs, a
// bucket of level-1: in a table in the pool when it fits, else by
// splitting it into the 256 buckets of the next level.
func (s *dupSet) resolvePart(ctx context.Context, secs []section, total, level int, top uint64, c *collector) error {
	if size := tableSize(total); size <= len(s.pool) || level >= partitionLevels {
		if level >= partitionLevels {
			// At most 256 distinct slots are left (one per tag).
			size = tableSize(min(total, 256))
		}
		tab := s.pool
		if size > len(tab) {
			tab = make([]uint64, size) // a tiny pool (tests)
		}
		if s.marks == nil {
			s.marks = make([]uint64, len(tab)/64+1) // the pool's, reused
		}
		marks := s.marks
		if len(marks) < size/64+1 {
			marks = make([]uint64, size/64+1)
		}
		return s.tableCheck(ctx, &s.rd, tab[:size], marks[:size/64+1], nil, secs, top, c)
	}
	s.splits++
	sub := &parts{s: s, shift: uint(64 - dupTagBits - 8*level)}
	err := s.each(ctx, &s.rd, nil, secs, func(vals []uint64) {
		for _, v := range vals {
			sub.put(v)
		}
	})
	if err != nil {
		return s.fail(err)
	}
	if sub.spill(); s.err != nil {
		return s.err
	}
	return s.walk(ctx, sub, level, top, c)
}

// each hands the slots of mem and then of secs to fn, a piece at a time,
// reading the file with rd's buffers.
func (s *dupSet) each(ctx context.Context, rd *dupIO, mem [][]uint64, secs []section, fn func([]uint64)) error {
	for _, m := range mem {
		fn(m)
	}
	for _, sec := range secs {
		off, n := sec.off, sec.n
		for n > 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
			k := min(n, len(rd.vals))
			if _, err := s.f.ReadAt(rd.buf[:8*k], off); err != nil {
				return &DupTempError{Dir: s.tempDir(), Written: s.end, Err: err}
			}
			for i := range rd.vals[:k] {
				rd.vals[i] = binary.LittleEndian.Uint64(rd.buf[8*i:])
			}
			fn(rd.vals[:k])
			off += 8 * int64(k)
			n -= k
		}
	}
	return nil
}

// tableCheck puts the slots into tab, an open-addressing table on their low
// bits (0 = empty; the slot 0 is counted apart) at most half full, and
// reports those met more than once to c. marks has a bit per entry of tab:
// set when its slot was met twice.
func (s *dupSet) tableCheck(ctx context.Context, rd *dupIO, tab, marks []uint64, mem [][]uint64, secs []section, top uint64, c *collector) error {
	clear(tab)
	clear(marks)
	mask := uint64(len(tab) - 1)
	zeros := 0
	return s.each(ctx, rd, mem, secs, func(vals []uint64) {
		for _, v := range vals {
			if v == 0 {
				if zeros++; zeros == 2 {
					c.first(s.cand(top, 0))
				} else if zeros > 2 {
					x := s.cand(top, 0)
					c.again(x.tag, x.h)
				}
				continue
			}
			for i := v & mask; ; i = (i + 1) & mask {
				t := tab[i]
				if t == 0 {
					tab[i] = v
					break
				}
				if t == v {
					x := s.cand(top, v)
					if marks[i/64]&(1<<(i%64)) == 0 {
						marks[i/64] |= 1 << (i % 64)
						c.first(x)
					} else {
						c.again(x.tag, x.h)
					}
					break
				}
			}
		}
	})
}

// resolveDuplicates turns the candidate hashes of the first pass into
// Duplicates: confirmed by a second pass when Options.Reopen is set,
// reported as unconfirmed otherwise.
func (s *Result) resolveDuplicates(ctx context.Context, set *dupSet, o *Options) error {
	set.drain()
	defer set.close()
	keep := o.MaxDuplicates
	if keep <= 0 {
		keep = 1000
	}
	spilled := set.end
	cands, total, err := set.candidates(ctx, keep)
	s.DupTempBytes = max(spilled, set.end)
	if err != nil {
		s.DupChecked = false
		return err
	}
	if total == 0 {
		return nil
	}
	if o.Reopen == nil {
		s.DupCount = total
		for _, c := range cands {
			s.Duplicates = append(s.Duplicates, Duplicate{DB: c.db, Unconfirmed: true, N: c.n, Outcome: DupAborts})
		}
		return nil
	}
	want := make(map[candKey]bool, len(cands))
	for _, c := range cands {
		want[candKey{c.tag, c.h}] = true
	}
	type occ struct {
		db  int
		key []byte
		c   Copy
	}
	var occs []occ
	lastDB, tag, mix := -1, uint64(0), uint64(0)
	r, err := o.Reopen()
	if err != nil {
		return err
	}
	if _, err := r.Header(); err != nil {
		return secondPassErr(err)
	}
	for n := 0; ; n++ {
		if n&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			// The first pass stopped at the same place.
			if err := secondPassErr(err); err != nil {
				return err
			}
			break
		}
		if e.Kind != rdbfile.EntryKey {
			continue
		}
		if e.DB != lastDB {
			lastDB = e.DB
			tag, mix = set.tagOf(e.DB, false)
		}
		if !want[candKey{tag >> (64 - dupTagBits), set.hash(e.Key) + mix}] {
			continue
		}
		if err := e.Skip(); err != nil {
			if err := secondPassErr(err); err != nil {
				return err
			}
		}
		empty := e.Len == 0 && e.ValueKind >= rdbfile.KindList && e.ValueKind <= rdbfile.KindHash
		occs = append(occs, occ{db: e.DB, key: bytes.Clone(e.Key), c: Copy{Offset: e.Offset, ExpireAt: e.ExpireAt, Empty: empty}})
	}
	// Group the copies by database and key, in file order of their first copy.
	type group struct {
		db     int
		key    []byte
		copies []Copy
	}
	index := map[string]int{}
	var groups []*group
	for _, oc := range occs {
		id := strconv.Itoa(oc.db) + ":" + string(oc.key)
		i, ok := index[id]
		if !ok {
			i = len(groups)
			index[id] = i
			groups = append(groups, &group{db: oc.db, key: oc.key})
		}
		groups[i].copies = append(groups[i].copies, oc.c)
	}
	var confirmed []Duplicate
	for _, g := range groups {
		if len(g.copies) > 1 {
			confirmed = append(confirmed, Duplicate{DB: g.db, Key: g.key, Copies: g.copies, N: len(g.copies), Outcome: outcome(g.copies, o.Now)})
		}
	}
	sort.SliceStable(confirmed, func(i, j int) bool { return confirmed[i].Copies[1].Offset < confirmed[j].Copies[1].Offset })
	// Hash groups beyond the kept ones were not compared: count them as
	// duplicates (a false match has probability 2^-64 per pair).
	s.DupCount = int64(len(confirmed)) + total - int64(len(cands))
	s.Duplicates = confirmed
	return nil
}

// secondPassErr keeps the errors of the second pass that are not the
// file's: the file's problems were reported by the first pass.
func secondPassErr(err error) error {
	var ce *rdbfile.CorruptError
	if errors.As(err, &ce) {
		return nil
	}
	return err
}
