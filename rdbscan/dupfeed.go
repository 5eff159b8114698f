package rdbscan

// dupFeed keeps the slots of a dupSet (in its buckets, spilling them to the
// temporary file) on a goroutine of its own, so that a scan with more than
// one job spends a second core on them. The scanning goroutine hashes each
// key (dupSet.slot: 8 bytes and a bucket number a key) and hands the slots
// over in batches; the goroutine keeps them in the order they were fed,
// which is all the first pass needs: its result is a set of hashes, and the
// second pass (resolveDuplicates) reads the file again for the offsets.
//
// Memory: dupFeedBatches batches of dupFeedKeys slots (9 bytes each: 288
// KiB in all).
type dupFeed struct {
	s    *dupSet
	b    *dupBatch // being filled; nil when none is
	work chan *dupBatch
	free chan *dupBatch
	done chan struct{}
	shut bool
}

// dupBatch is slots handed to the goroutine at once: slot vs[i] of
// first-level bucket bs[i].
type dupBatch struct {
	vs []uint64
	bs []uint8
}

const (
	dupFeedKeys    = 8192
	dupFeedBatches = 4
)

// startFeed makes later calls of key go through a goroutine. drain stops
// it, and must be called before s is read or closed.
func (s *dupSet) startFeed() {
	f := &dupFeed{s: s, work: make(chan *dupBatch, dupFeedBatches), free: make(chan *dupBatch, dupFeedBatches),
		done: make(chan struct{})}
	for range dupFeedBatches {
		f.free <- &dupBatch{vs: make([]uint64, 0, dupFeedKeys), bs: make([]uint8, 0, dupFeedKeys)}
	}
	go func() {
		defer close(f.done)
		for b := range f.work {
			for i, v := range b.vs {
				s.insert(uint64(b.bs[i]), v)
			}
			b.vs, b.bs = b.vs[:0], b.bs[:0]
			f.free <- b
		}
	}()
	s.feed = f
}

// key records one key of database db: at once, or through the feed.
func (s *dupSet) key(db int, key []byte) {
	f := s.feed
	if f == nil {
		s.add(db, key)
		return
	}
	b := f.b
	if b == nil {
		b = <-f.free
		f.b = b
	}
	bucket, v := s.slot(db, key)
	b.vs = append(b.vs, v)
	b.bs = append(b.bs, uint8(bucket))
	if len(b.vs) == dupFeedKeys {
		f.b = nil
		f.work <- b
	}
}

// drain waits until every slot fed is kept and stops the feed's goroutine.
func (s *dupSet) drain() {
	f := s.feed
	if f == nil || f.shut {
		return
	}
	f.shut = true
	if f.b != nil && len(f.b.vs) > 0 {
		f.work <- f.b
	}
	f.b = nil
	close(f.work)
	<-f.done
}
