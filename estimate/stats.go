package estimate

import (
	"bytes"
	"sort"
	"strings"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// BigValue is the serialized size, in bytes, from which a value counts as
// big (Stats.BigValues): 1 MiB, the size from which a single key's load
// shows up as a latency spike of its own.
const BigValue = 1 << 20

// Role is the place of a file in what a server loads at startup.
type Role uint8

const (
	RoleRDB  Role = iota // a standalone RDB file (dbfilename)
	RoleBase             // the base file of an AOF set (RDB or RESP)
	RoleIncr             // an incr file of an AOF set, or an old-style single AOF
)

var roleNames = [...]string{"rdb", "base", "incr"}

// MarshalText writes the role's name ("rdb", "base", "incr").
func (r Role) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "role?"
}

// Class is a cost class of an RDB record: the logical type and the encoding
// as serialized, e.g. "hash/listpack" or "zset/skiplist".
type Class string

// StringClass is the class of string values, the only class whose cost
// the model counts per byte of payload rather than per element.
const StringClass Class = "string/string"

// Packed reports whether values of class c are held in memory as a blob
// (the loaded encoding, Loaded), so that their memory follows their
// payload bytes rather than their element count: listpack, listpackex,
// ziplist, zipmap, intset, quicklist (a list of listpack nodes) and stream
// (a radix tree of listpack nodes, plus its consumer groups) encodings
// (Redis src/rdb.c rdbLoadObject copies these blobs whole). A stream's
// entries are no measure of its memory: an entry with the master entry's
// fields holds a few bytes of its node, and its consumer groups' pending
// entries are no entries at all.
func (c Class) Packed() bool {
	return packedEnc(string(c.Loaded()))
}

func packedEnc(c string) bool {
	_, enc, _ := strings.Cut(c, "/")
	switch enc {
	case "listpack", "listpackex", "ziplist", "zipmap", "intset", "quicklist", "stream":
		return true
	}
	return false
}

// Loaded returns the class of c's values in the loading server's memory:
// c itself, or for a converted class "kind/serialized>loaded"
// (LoadedEncoding) "kind/loaded".
func (c Class) Loaded() Class {
	kind, enc, _ := strings.Cut(string(c), "/")
	if _, to, ok := strings.Cut(enc, ">"); ok {
		return Class(kind + "/" + to)
	}
	return c
}

// Serialized returns the class of c's values as the file holds them: c
// itself, or "kind/serialized" for a converted class.
func (c Class) Serialized() Class {
	if i := strings.IndexByte(string(c), '>'); i >= 0 {
		return c[:i]
	}
	return c
}

// LoadCost returns the class whose per-element load cost c's values take:
// a value the server reads element by element (a plain encoding, whichever
// way it converts) costs as its plain class, a blob it copies as its loaded
// class (a blob converted to a plain encoding is rebuilt element by
// element).
func (c Class) LoadCost() Class {
	if s := c.Serialized(); !packedEnc(string(s)) {
		return s
	}
	return c.Loaded()
}

// ClassOf returns the class of an RDB key record serialized in enc and
// loaded as loaded: "kind/enc", or "kind/enc>loaded" when the loading
// server converts it (LoadedEncoding).
func ClassOf(kind rdbfile.Kind, enc, loaded rdbfile.Encoding) Class {
	if loaded != enc {
		return Class(kind.String() + "/" + enc.String() + ">" + loaded.String())
	}
	return Class(kind.String() + "/" + enc.String())
}

// ClassStats counts the keys of one class.
type ClassStats struct {
	Keys     int64 `json:"keys"`
	Elements int64 `json:"elements"` // as rdbfile.Entry.Len
	// Bytes are the serialized bytes of the records (rdbfile.Entry.Size).
	Bytes int64 `json:"bytes"`
	// Payload are Bytes with every LZF string counted at its uncompressed
	// length: what the server holds in memory as strings and blobs.
	Payload int64 `json:"payload"`
}

// CommandStats counts the commands of one name in the AOF part of a file.
type CommandStats struct {
	Commands int64 `json:"commands"`
	ArgBytes int64 `json:"arg_bytes"` // bytes of all arguments, the name included
	// Keys is the number of distinct keys the commands name (their first
	// key argument), counted in fixed memory (a 16 KiB HyperLogLog sketch
	// per command name: within 1 % up to 1000 keys, a standard error of
	// 0.8 % above); 0 for commands without a key, and for names beyond the
	// first MaxSketchedCommands of a file.
	Keys int64 `json:"keys"`
	// Elements is the number of elements the commands write: the fields of
	// HSET and HMSET, the members of SADD and ZADD, the items of RPUSH and
	// LPUSH, the keys of MSET; 1 for any other command with a key.
	// Elements / Keys is the mean size the keys grow to (an upper bound:
	// an overwrite counts again).
	Elements int64 `json:"elements"`

	sketch *keySketch
	keyed  int8 // 0 unknown, 1 the first argument is a key, -1 not
}

// MaxSketchedCommands bounds the command names of one file whose distinct
// keys are counted (16 KiB each), so that a file of made-up names cannot
// make the statistics pass grow: 64 names, 1 MiB at most.
const MaxSketchedCommands = 64

// Part holds the statistics of one file, in the order the server loads
// them: an RDB file alone, or an AOF set's base then its incr files. It is
// filled by one streaming pass: AddHeader and AddEntry for an RDB file or an
// RDB base or preamble, AddCommand and AddTimestamp for the RESP part. It
// never reads input itself.
type Part struct {
	Name   string `json:"name"`
	Role   Role   `json:"role"`
	Format string `json:"format"` // "rdb", "resp" or "rdb+resp" (preamble)
	Size   int64  `json:"size"`   // bytes of the file
	// MTime is the file's modification time, ms since the Unix epoch (0:
	// unknown); the last-write fallback when the file proves no time.
	MTime int64 `json:"mtime_ms"`

	// RDB part.
	Server    string                `json:"server,omitempty"` // writer's release name from redis-ver/valkey-ver, e.g. "redis-7.4"
	CTime     int64                 `json:"ctime_ms"`         // ctime AUX, ms since the Unix epoch; 0 when absent
	UsedMem   int64                 `json:"used_mem"`         // used-mem AUX, bytes; 0 when absent
	Keys      int64                 `json:"keys"`
	Expires   int64                 `json:"expires"`
	KeyNames  int64                 `json:"key_name_bytes"` // bytes of all key names
	LZFIn     int64                 `json:"lzf_bytes"`      // compressed bytes of LZF strings
	LZFOut    int64                 `json:"lzf_uncompressed_bytes"`
	BigValues int64                 `json:"big_values"`    // records of BigValue bytes or more
	Biggest   int64                 `json:"biggest_value"` // bytes of the biggest record
	Classes   map[Class]*ClassStats `json:"classes"`

	// RESP part.
	Commands    map[string]*CommandStats `json:"commands"` // by upper-case name
	ArgBytes    int64                    `json:"arg_bytes"`
	MultiBlocks int64                    `json:"multi_blocks"`
	LastTS      int64                    `json:"last_ts"` // last "#TS:" annotation, Unix seconds; 0 when none

	limits *release.Limits // the loading server's encoding limits (LoadWith)
	config *Config         // encoding directives over the writer's limits

	inMulti  bool
	sketches int                      // command names with a key sketch
	byEnc    map[classKey]*ClassStats // Classes by kind and encoding, without building the name per key
}

type classKey struct {
	kind        rdbfile.Kind
	enc, loaded rdbfile.Encoding
}

// LoadWith sets what decides the class each value is counted in (the
// encoding the loading server gives it in memory, which may differ from
// the serialized one: LoadedEncoding): the encoding limits l of the server
// that will load the file (its release's, release.Release.Limits), with
// the encoding directives of c over them (Config.ApplyLimits; c nil:
// none). With l nil, the limits are those of the release that wrote the
// file, once AddHeader finds it in the AUX fields, with c's directives;
// until then, and for a writer no release matches, values keep their
// serialized encodings. Call it before the statistics pass.
func (p *Part) LoadWith(l *release.Limits, c *Config) {
	p.config = c
	p.limits = nil
	if l != nil {
		m := *l
		if c != nil {
			c.ApplyLimits(&m)
		}
		p.limits = &m
	}
}

// Limits returns the encoding limits of the server that loads the part:
// those LoadWith set, else those of the release that wrote the file (once
// AddHeader found it), else release.DefaultLimits with the encoding
// directives of LoadWith's Config over them.
func (p *Part) Limits() *release.Limits {
	if p.limits != nil {
		return p.limits
	}
	l := release.DefaultLimits()
	if p.config != nil {
		p.config.ApplyLimits(&l)
	}
	return &l
}

// AddHeader takes the writer and ctime from an RDB header's AUX fields.
func (p *Part) AddHeader(h *rdbfile.Header) {
	if h == nil {
		return
	}
	p.addAux(h.Aux)
}

func (p *Part) addAux(aux []rdbfile.Aux) {
	info := rdbfile.ParseAux(aux)
	if info.CTime != nil {
		p.CTime = *info.CTime * 1000
	}
	if info.UsedMem != nil {
		p.UsedMem = *info.UsedMem
	}
	if info.Version != "" {
		if r, ok := release.FromServerVersion(info.Server + " " + info.Version); ok {
			p.Server = r.Name
			if p.limits == nil {
				l := r.Limits
				if p.config != nil {
					p.config.ApplyLimits(&l)
				}
				p.limits = &l
			}
		}
	}
}

// LoadedEncoding returns the encoding a server with limits l gives a value
// of kind serialized in enc, with n elements whose longest string element
// is maxLen bytes (rdbfile.Entry.Len and MaxLen; maxLen 0 when unknown),
// as its RDB loader does (Redis src/rdb.c rdbLoadObject): lists become
// quicklists; a plain hash, or a plain sorted set, within the listpack
// limits becomes a listpack, a packed one beyond them a hashtable or a
// skiplist; an intset beyond set-max-intset-entries, and a set listpack
// beyond set-max-listpack-entries, a hashtable; a plain set within the
// set-max-listpack limits (Redis 7.2+) a listpack (an all-integer set,
// which the loader makes an intset, cannot be told from the statistics and
// counts as the listpack or hashtable). With l nil, enc.
func LoadedEncoding(kind rdbfile.Kind, enc rdbfile.Encoding, n, maxLen int64, l *release.Limits) rdbfile.Encoding {
	if l == nil {
		return enc
	}
	within := func(entries, value int) bool { return n <= int64(entries) && maxLen <= int64(value) }
	packed := enc == rdbfile.EncListpack || enc == rdbfile.EncZiplist || enc == rdbfile.EncZipmap
	// A hash or a sorted set: its plain encoding within the listpack
	// limits becomes a listpack, a packed one past the entries limit the
	// plain encoding, any other packed one a listpack.
	pair := func(plain rdbfile.Encoding, entries, value int) rdbfile.Encoding {
		switch {
		case enc == plain && within(entries, value):
			return rdbfile.EncListpack
		case packed && n > int64(entries):
			return plain
		case packed:
			return rdbfile.EncListpack
		}
		return enc
	}
	switch kind {
	case rdbfile.KindList:
		if enc == rdbfile.EncLinkedList || enc == rdbfile.EncZiplist {
			return rdbfile.EncQuicklist
		}
	case rdbfile.KindHash:
		return pair(rdbfile.EncHashtable, l.HashMaxListpackEntries, l.HashMaxListpackValue)
	case rdbfile.KindZSet:
		return pair(rdbfile.EncSkiplist, l.ZSetMaxListpackEntries, l.ZSetMaxListpackValue)
	case rdbfile.KindSet:
		switch {
		case enc == rdbfile.EncHashtable && l.SetMaxListpackEntries > 0 && within(l.SetMaxListpackEntries, l.SetMaxListpackValue):
			return rdbfile.EncListpack
		case enc == rdbfile.EncIntset && n > int64(l.SetMaxIntsetEntries):
			return rdbfile.EncHashtable
		case enc == rdbfile.EncListpack && n > int64(l.SetMaxListpackEntries):
			return rdbfile.EncHashtable
		}
	}
	return enc
}

// AddEntry accounts for one RDB record. For key records call it after the
// value was consumed (Skip, Value or Walk), when Size, Len and LZFBytes are
// known. AUX records after the header are read like the header's.
func (p *Part) AddEntry(e *rdbfile.Entry) {
	switch e.Kind {
	case rdbfile.EntryAux:
		p.addAux([]rdbfile.Aux{{Name: bytes.Clone(e.Key), Value: bytes.Clone(e.Data)}})
		return
	case rdbfile.EntryKey:
	default:
		return
	}
	p.Keys++
	if e.ExpireAt != rdbfile.NoExpire {
		p.Expires++
	}
	p.KeyNames += int64(len(e.Key))
	in, out := e.LZFBytes()
	p.LZFIn += in
	p.LZFOut += out
	if e.Size >= BigValue {
		p.BigValues++
	}
	p.Biggest = max(p.Biggest, e.Size)
	loaded := LoadedEncoding(e.ValueKind, e.Encoding, e.Len, e.MaxLen, p.limits)
	if loaded != e.Encoding && e.ValueKind == rdbfile.KindHash && e.Encoding == rdbfile.EncHashtable {
		switch e.TypeName {
		case "HASH_METADATA", "HASH_METADATA_PRE_GA":
			// A hash with field TTLs within the limits loads as a
			// listpack with TTLs (Redis 7.4 src/rdb.c).
			loaded = rdbfile.EncListpackEx
		case "HASH_2":
			// Valkey keeps hashes with field TTLs in a hashtable.
			loaded = e.Encoding
		}
	}
	k := classKey{e.ValueKind, e.Encoding, loaded}
	s := p.byEnc[k]
	if s == nil {
		if p.Classes == nil {
			p.Classes, p.byEnc = map[Class]*ClassStats{}, map[classKey]*ClassStats{}
		}
		c := ClassOf(k.kind, k.enc, k.loaded)
		if s = p.Classes[c]; s == nil {
			s = &ClassStats{}
			p.Classes[c] = s
		}
		p.byEnc[k] = s
	}
	s.Keys++
	s.Elements += e.Len
	s.Bytes += e.Size
	s.Payload += e.Size - in + out
}

// AddCommand accounts for one AOF command (argv, Args[0] the name in any
// case): its name, argument bytes, and MULTI/EXEC blocks.
func (p *Part) AddCommand(args [][]byte) {
	if len(args) == 0 {
		return
	}
	name := strings.ToUpper(string(args[0]))
	var n int64
	for _, a := range args {
		n += int64(len(a))
	}
	if p.Commands == nil {
		p.Commands = map[string]*CommandStats{}
	}
	c := p.Commands[name]
	if c == nil {
		c = &CommandStats{}
		p.Commands[name] = c
	}
	c.Commands++
	c.ArgBytes += n
	if c.keyed == 0 {
		c.keyed = -1
		if len(args) > 1 && keyedCommand(name) && p.sketches < MaxSketchedCommands {
			c.keyed, c.sketch = 1, newKeySketch()
			p.sketches++
		}
	}
	if c.keyed > 0 && len(args) > 1 {
		c.addKeys(name, args)
	}
	if p.Format == "rdb" {
		p.Format = "rdb+resp"
	}
	p.ArgBytes += n
	switch name {
	case "MULTI":
		p.inMulti = true
	case "EXEC":
		if p.inMulti {
			p.MultiBlocks++
		}
		p.inMulti = false
	}
}

// keyGroups are the command groups (release.Command.Group) whose commands
// name a key as their first argument.
var keyGroups = map[string]bool{"string": true, "hash": true, "list": true, "set": true, "sorted-set": true,
	"stream": true, "hyperloglog": true, "geo": true, "bitmap": true, "generic": true}

// keyedCommand reports whether the write command name (upper case) takes a
// key as its first argument, from the release command table.
func keyedCommand(name string) bool {
	c, ok := release.LookupCommand(release.Redis, strings.ToLower(name))
	if !ok {
		c, ok = release.LookupCommand(release.Valkey, strings.ToLower(name))
	}
	return ok && c.Write && !c.Container && keyGroups[c.Group]
}

// addKeys counts the keys and elements of one command (args[0] is name).
func (c *CommandStats) addKeys(name string, args [][]byte) {
	add := func(k []byte) {
		if c.sketch.add(k) {
			c.Keys = c.sketch.count()
		}
	}
	n := int64(1)
	switch name {
	case "HSET", "HMSET":
		n = int64(len(args)-2) / 2
	case "SADD", "RPUSH", "LPUSH", "RPUSHX", "LPUSHX":
		n = int64(len(args) - 2)
	case "ZADD":
		// ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ...
		i := 2
		for i < len(args) && zaddFlag(args[i]) {
			i++
		}
		n = int64(len(args)-i) / 2
	case "MSET", "MSETNX":
		n = 0
		for i := 1; i < len(args); i += 2 {
			add(args[i])
			n++
		}
		c.Elements += n
		return
	}
	add(args[1])
	c.Elements += max(n, 0)
}

func zaddFlag(b []byte) bool {
	for _, f := range [...]string{"NX", "XX", "GT", "LT", "CH", "INCR"} {
		if bytes.EqualFold(b, []byte(f)) {
			return true
		}
	}
	return false
}

// AddTimestamp records a "#TS:" annotation (Unix seconds); the last one
// added is the file's last proven write.
func (p *Part) AddTimestamp(ts int64) { p.LastTS = ts }

// CommandCount returns the commands of the RESP part.
func (p *Part) CommandCount() int64 {
	var n int64
	for _, c := range p.Commands {
		n += c.Commands
	}
	return n
}

// ClassNames returns the classes of the RDB part, sorted.
func (p *Part) ClassNames() []Class {
	out := make([]Class, 0, len(p.Classes))
	for c := range p.Classes {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// CommandNames returns the command names of the RESP part, sorted.
func (p *Part) CommandNames() []string {
	out := make([]string, 0, len(p.Commands))
	for c := range p.Commands {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}
