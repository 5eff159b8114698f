package engine

import "github.com/rdbkit/rdbkit/rdbfile"

// KeyInfo is what Each reports per key, without decoding the value.
type KeyInfo struct {
	Key      []byte // valid only during the callback
	Kind     rdbfile.Kind
	Len      int   // elements (1 for strings)
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
		fn(KeyInfo{Key: buf, Kind: o.kind(), Len: o.length(), ExpireAt: d.expOf(k)})
	}
}
