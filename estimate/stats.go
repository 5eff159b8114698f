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

// Packed reports whether values of class c are held in memory as the blob
// they are serialized as, so that their memory follows their payload bytes
// rather than their element count: listpack, listpackex, ziplist, zipmap,
// intset and quicklist (a list of listpack nodes) encodings (Redis
// src/rdb.c rdbLoadObject copies these blobs whole).
func (c Class) Packed() bool {
	_, enc, _ := strings.Cut(string(c), "/")
	switch enc {
	case "listpack", "listpackex", "ziplist", "zipmap", "intset", "quicklist":
		return true
	}
	return false
}

// ClassOf returns the class of an RDB key record.
func ClassOf(kind rdbfile.Kind, enc rdbfile.Encoding) Class {
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

	inMulti  bool
	sketches int                      // command names with a key sketch
	byEnc    map[classKey]*ClassStats // Classes by kind and encoding, without building the name per key
}

type classKey struct {
	kind rdbfile.Kind
	enc  rdbfile.Encoding
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
		}
	}
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
	k := classKey{e.ValueKind, e.Encoding}
	s := p.byEnc[k]
	if s == nil {
		if p.Classes == nil {
			p.Classes, p.byEnc = map[Class]*ClassStats{}, map[classKey]*ClassStats{}
		}
		c := ClassOf(e.ValueKind, e.Encoding)
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
