package rdbscan

// dupFeed runs the adds of a dupSet (hashing each key and keeping its slot,
// spilling to the temporary file) on a goroutine of its own, fed the keys in
// batches, so that a scan with more than one job spends the second core on
// them. The goroutine adds the keys in the order they were fed, which is all
// the first pass needs: its result is a set of hashes, and the second pass
// (resolveDuplicates) reads the file again for the offsets.
//
// Memory: dupFeedBatches batches of at most dupFeedKeys keys or about
// dupFeedBytes key bytes each (a bigger key makes a batch of its own, and
// its buffer is dropped afterwards).
type dupFeed struct {
	s    *dupSet
	b    *dupBatch // being filled; nil when none is
	work chan *dupBatch
	free chan *dupBatch
	done chan struct{}
	shut bool
}

// dupBatch is keys handed to the goroutine at once: key i is
// keys[ends[i-1]:ends[i]] of database dbs[i].
type dupBatch struct {
	dbs  []uint32 // a database number is at most 2^31 (rdbfile.Reader)
	ends []int32
	keys []byte
}

const (
	dupFeedKeys    = 2048
	dupFeedBytes   = 64 << 10
	dupFeedBatches = 4
)

// startFeed makes later calls of key go through a goroutine. drain stops
// it, and must be called before s is read or closed.
func (s *dupSet) startFeed() {
	f := &dupFeed{s: s, work: make(chan *dupBatch, dupFeedBatches), free: make(chan *dupBatch, dupFeedBatches),
		done: make(chan struct{})}
	for range dupFeedBatches {
		f.free <- &dupBatch{}
	}
	go func() {
		defer close(f.done)
		for b := range f.work {
			start := int32(0)
			for i, end := range b.ends {
				s.add(int(b.dbs[i]), b.keys[start:end])
				start = end
			}
			if cap(b.keys) > 4*dupFeedBytes {
				b.keys = nil
			}
			b.dbs, b.ends, b.keys = b.dbs[:0], b.ends[:0], b.keys[:0]
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
	b.keys = append(b.keys, key...)
	b.ends = append(b.ends, int32(len(b.keys)))
	b.dbs = append(b.dbs, uint32(db))
	if len(b.ends) >= dupFeedKeys || len(b.keys) >= dupFeedBytes {
		f.b = nil
		f.work <- b
	}
}

// drain waits until every key fed was added and stops the feed's goroutine.
func (s *dupSet) drain() {
	f := s.feed
	if f == nil || f.shut {
		return
	}
	f.shut = true
	if f.b != nil && len(f.b.ends) > 0 {
		f.work <- f.b
	}
	f.b = nil
	close(f.work)
	<-f.done
}
