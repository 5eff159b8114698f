package release

// Limits are the encoding thresholds a release ships with: a value that fits
// every limit of its type is stored compactly (listpack, intset), a larger
// one in the general encoding (hashtable, skiplist, quicklist of several
// nodes). The defaults are src/config.c's standardConfig defaults, which
// the shipped redis.conf and valkey.conf repeat.
//
// Names: Redis 7.0 renamed the *-ziplist-* settings to *-listpack-*; the old
// names stay accepted as aliases (ConfigAliases).
type Limits struct {
	HashMaxListpackEntries int // hash-max-listpack-entries (alias hash-max-ziplist-entries)
	HashMaxListpackValue   int // hash-max-listpack-value, bytes (alias hash-max-ziplist-value)
	ZSetMaxListpackEntries int // zset-max-listpack-entries (alias zset-max-ziplist-entries)
	ZSetMaxListpackValue   int // zset-max-listpack-value, bytes (alias zset-max-ziplist-value)
	SetMaxIntsetEntries    int // set-max-intset-entries
	// SetMaxListpackEntries and SetMaxListpackValue are 0 on releases
	// without listpack sets (Redis 7.0): a small set of strings is a hashtable.
	SetMaxListpackEntries int // set-max-listpack-entries, Redis 7.2+
	SetMaxListpackValue   int // set-max-listpack-value, bytes, Redis 7.2+
	// ListMaxListpackSize is a quicklist node's limit: > 0 entries, < 0 a
	// size class (-1 4 KiB, -2 8 KiB, -3 16 KiB, -4 32 KiB, -5 64 KiB).
	ListMaxListpackSize  int // list-max-listpack-size (alias list-max-ziplist-size)
	ListCompressDepth    int // list-compress-depth: quicklist nodes left uncompressed at each end (0: none compressed)
	StreamNodeMaxBytes   int // stream-node-max-bytes
	StreamNodeMaxEntries int // stream-node-max-entries
	Databases            int // databases: SELECT and SELECTDB indexes below it
}

// limits70 are Redis 7.0's defaults (src/config.c, redis.conf of 7.0).
var limits70 = Limits{
	HashMaxListpackEntries: 512, HashMaxListpackValue: 64,
	ZSetMaxListpackEntries: 128, ZSetMaxListpackValue: 64,
	SetMaxIntsetEntries: 512,
	ListMaxListpackSize: -2, ListCompressDepth: 0,
	StreamNodeMaxBytes: 4096, StreamNodeMaxEntries: 100,
	Databases: 16,
}

// limits72 are the defaults of Redis 7.2 and later and of every Valkey:
// 7.0's plus listpack sets (set-max-listpack-entries 128,
// set-max-listpack-value 64; src/config.c of Redis 7.2).
var limits72 = func() Limits {
	l := limits70
	l.SetMaxListpackEntries, l.SetMaxListpackValue = 128, 64
	return l
}()

// DefaultLimits returns the defaults of Redis 7.2 and later and of every
// Valkey release: the limits to assume when the loading server's release is
// not known.
func DefaultLimits() Limits { return limits72 }

// ConfigAliases maps the pre-7.0 setting names to the current ones, as
// src/config.c registers them (createSizeTConfig's alias argument).
var ConfigAliases = map[string]string{
	"hash-max-ziplist-entries": "hash-max-listpack-entries",
	"hash-max-ziplist-value":   "hash-max-listpack-value",
	"zset-max-ziplist-entries": "zset-max-listpack-entries",
	"zset-max-ziplist-value":   "zset-max-listpack-value",
	"list-max-ziplist-size":    "list-max-listpack-size",
}

// Set sets the limit named name (a redis.conf setting, current name or
// alias) to n; ok is false for a name that is no encoding limit.
func (l *Limits) Set(name string, n int) bool {
	if a, ok := ConfigAliases[name]; ok {
		name = a
	}
	p := l.field(name)
	if p == nil {
		return false
	}
	*p = n
	return true
}

// Get returns the limit named name (current name or alias).
func (l *Limits) Get(name string) (int, bool) {
	if a, ok := ConfigAliases[name]; ok {
		name = a
	}
	p := l.field(name)
	if p == nil {
		return 0, false
	}
	return *p, true
}

func (l *Limits) field(name string) *int {
	switch name {
	case "hash-max-listpack-entries":
		return &l.HashMaxListpackEntries
	case "hash-max-listpack-value":
		return &l.HashMaxListpackValue
	case "zset-max-listpack-entries":
		return &l.ZSetMaxListpackEntries
	case "zset-max-listpack-value":
		return &l.ZSetMaxListpackValue
	case "set-max-intset-entries":
		return &l.SetMaxIntsetEntries
	case "set-max-listpack-entries":
		return &l.SetMaxListpackEntries
	case "set-max-listpack-value":
		return &l.SetMaxListpackValue
	case "list-max-listpack-size":
		return &l.ListMaxListpackSize
	case "list-compress-depth":
		return &l.ListCompressDepth
	case "stream-node-max-bytes":
		return &l.StreamNodeMaxBytes
	case "stream-node-max-entries":
		return &l.StreamNodeMaxEntries
	case "databases":
		return &l.Databases
	}
	return nil
}
