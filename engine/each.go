package engine

import (
	"math"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// KeyInfo is what Each reports per key, without decoding the value.
type KeyInfo struct {
	Key      []byte // valid only during the callback
	Kind     rdbfile.Kind
	Len      int   // elements, counted as rdbfile.Entry.Len counts them (1 for strings, live entries for streams)
	ExpireAt int64 // ms since the Unix epoch, or rdbfile.NoExpire
}

// Each calls fn for every key of database n, in no particular order,
// without building values (cheap enough for summaries of big datasets).
func (e *Engine) Each(n int, fn func(KeyInfo)) {
	if n < 0 || n >= len(e.dbs) {
		return
	}
	var buf []byte
	e.dbs[n].each(func(k []byte, o object, exp int64) bool {
		buf = append(buf[:0], k...)
		fn(KeyInfo{Key: buf, Kind: o.kind(), Len: elements(o), ExpireAt: exp})
		return true
	})
}

// elements counts o's elements as the RDB reader counts a value's
// (rdbfile.Entry.Len): length() says 1 for a stream, which is a key even
// when empty, and for the values the engine only stores.
func elements(o object) int {
	switch x := o.(type) {
	case *streamObj:
		return int(min(x.count, uint64(math.MaxInt)))
	case *arrayObj:
		return int(min(x.count, uint64(math.MaxInt)))
	}
	return o.length()
}

// Stats is the summary of a database Stats returns.
type Stats struct {
	Keys     int
	Kinds    [256]int // keys by rdbfile.Kind
	KeyBytes int64    // the lengths of the key names, summed
	Elements int64    // the keys' elements (as KeyInfo.Len counts them), summed
	Expires  int      // keys with an expire time
	Expired  int      // of those, keys whose expire time is at or before now
}

// Stats sums up database n: what Each would report, added up, but without
// copying each key's name or looking up its expire time (the expire times
// are read in one pass of their own), which made Each over a whole
// keyspace slower than the summary it fed. now is in ms since the Unix
// epoch.
func (e *Engine) Stats(n int, now int64) Stats {
	var s Stats
	if n < 0 || n >= len(e.dbs) {
		return s
	}
	e.dbs[n].each(func(k []byte, o object, exp int64) bool {
		s.Keys++
		s.Kinds[o.kind()]++
		s.KeyBytes += int64(len(k))
		s.Elements += int64(elements(o))
		if exp != noExpire {
			s.Expires++
			if exp <= now {
				s.Expired++
			}
		}
		return true
	})
	return s
}
