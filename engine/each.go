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
	d := &e.dbs[n]
	for k, o := range d.keys {
		buf = append(buf[:0], k...)
		fn(KeyInfo{Key: buf, Kind: o.kind(), Len: elements(o), ExpireAt: d.expOf(k)})
	}
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
