package rdbscan

import (
	"bytes"
	"context"
	"errors"
	"hash/maphash"
	"io"
	"slices"
	"sort"
	"strconv"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// A Duplicate is a key that appears more than once in one database. Redis
// and Valkey refuse such a file: the loader finds the key already in the
// keyspace, logs "RDB has duplicated key" and aborts with "Duplicated key
// found in RDB file" (src/rdb.c, rdbLoadRioWithLoadingCtx; rdbLoadRio
// before 7.0). The same key in two databases is fine.
type Duplicate struct {
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

// dupSet remembers a 64-bit hash of every key, per database: 8 bytes a key.
// The hashes go into 256 buckets by their top byte, each a list of blocks
// that grow from 16 to 8192 slots, so the memory is 8 bytes per key plus at
// most one partly used block per bucket (64 KiB, so 16 MiB per database at
// most), and nothing is ever copied to grow. At the end the hashes of each
// bucket in turn go into a small open-addressing table (twice the bucket's
// size, reused): a hash already there is a candidate duplicate.
type dupSet struct {
	seed   maphash.Seed
	dbs    map[int]*dupDB
	lastN  int
	lastDB *dupDB
}

type dupDB struct {
	cur  [256][]uint64   // the block being filled, per bucket
	full [256][][]uint64 // the bucket's full blocks
}

const (
	dupFirstBlock = 16
	dupMaxBlock   = 8192
)

func newDupSet() *dupSet { return &dupSet{seed: maphash.MakeSeed(), dbs: map[int]*dupDB{}, lastN: -1} }

func (s *dupSet) hash(key []byte) uint64 { return maphash.Bytes(s.seed, key) }

// add records one key of database db.
func (s *dupSet) add(db int, key []byte) {
	d := s.lastDB
	if db != s.lastN {
		d = s.dbs[db]
		if d == nil {
			d = &dupDB{}
			s.dbs[db] = d
		}
		s.lastN, s.lastDB = db, d
	}
	h := s.hash(key)
	b := h >> 56
	if c := d.cur[b]; len(c) < cap(c) {
		d.cur[b] = append(c, h)
		return
	}
	size := dupFirstBlock
	if c := d.cur[b]; c != nil {
		d.full[b] = append(d.full[b], c)
		size = min(2*cap(c), dupMaxBlock)
	}
	blk := make([]uint64, 1, size)
	blk[0] = h
	d.cur[b] = blk
}

// candidate is a hash seen more than once in one database.
type candidate struct {
	db int
	h  uint64
	n  int
}

// candidates returns the hashes seen more than once (at most keep of them,
// in database order) and how many there are in all. It frees the blocks as
// it goes.
func (s *dupSet) candidates(keep int) ([]candidate, int64) {
	dbs := make([]int, 0, len(s.dbs))
	for n := range s.dbs {
		dbs = append(dbs, n)
	}
	sort.Ints(dbs)
	var out []candidate
	var total int64
	var tab []uint64 // open addressing on the hash's low bits; 0 = empty
	var zeros int    // copies of the hash 0, counted apart
	seen := map[uint64]int{}
	for _, n := range dbs {
		d := s.dbs[n]
		for b := range d.cur {
			blocks := append(d.full[b], d.cur[b])
			d.full[b], d.cur[b] = nil, nil
			size := 0
			for _, blk := range blocks {
				size += len(blk)
			}
			want := 16
			for want < 2*size {
				want *= 2
			}
			if cap(tab) < want {
				tab = make([]uint64, want)
			} else {
				tab = tab[:want]
				clear(tab)
			}
			mask := uint64(want - 1)
			zeros = 0
			clear(seen)
			for _, blk := range blocks {
				for _, h := range blk {
					if h == 0 {
						if zeros++; zeros >= 2 {
							seen[0] = zeros - 1
						}
						continue
					}
					for i := h & mask; ; i = (i + 1) & mask {
						if tab[i] == 0 {
							tab[i] = h
							break
						}
						if tab[i] == h {
							seen[h]++
							break
						}
					}
				}
			}
			if len(seen) == 0 {
				continue
			}
			hs := make([]uint64, 0, len(seen))
			for h := range seen {
				hs = append(hs, h)
			}
			slices.Sort(hs)
			for _, h := range hs {
				total++
				if len(out) < keep {
					out = append(out, candidate{db: n, h: h, n: seen[h] + 1})
				}
			}
		}
	}
	s.dbs = nil
	return out, total
}

// resolveDuplicates turns the candidate hashes of the first pass into
// Duplicates: confirmed by a second pass when Options.Reopen is set,
// reported as unconfirmed otherwise.
func (s *Result) resolveDuplicates(ctx context.Context, set *dupSet, o *Options) error {
	keep := o.MaxDuplicates
	if keep <= 0 {
		keep = 1000
	}
	cands, total := set.candidates(keep)
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
	want := map[int]map[uint64]bool{}
	for _, c := range cands {
		if want[c.db] == nil {
			want[c.db] = map[uint64]bool{}
		}
		want[c.db][c.h] = true
	}
	type occ struct {
		db  int
		key []byte
		c   Copy
	}
	var occs []occ
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
		if e.Kind != rdbfile.EntryKey || !want[e.DB][set.hash(e.Key)] {
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
