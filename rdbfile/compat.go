package rdbfile

import (
	"bytes"
	"sort"
	"strconv"
)

// Target is a server release line that a file may be loaded into. The
// acceptance rules are the loaders' magic and version checks (Redis src/rdb.c
// rdbLoadRioWithLoadingCtx against RDB_VERSION of src/rdb.h; Valkey 9 src/rdb.c
// rdbIsVersionAccepted) and their type and opcode tables (src/rdb.h):
//
//   - Redis reads files with the "REDIS" magic up to its own RDB version and
//     never loads a "VALKEY"-magic file ("Wrong signature").
//   - Valkey 7.2, 8.0 and 8.1 read "REDIS" files up to RDB 11 (8.1 reserves
//     12..79 and refuses them even with rdb-version-check relaxed).
//   - Valkey 9.0/9.1 read "VALKEY080" and "REDIS" up to 11 by default; with
//     rdb-version-check relaxed also "REDIS" 12..79 (if no tag in 22..243
//     appears) and future "VALKEY" versions (if every tag is known).
type Target struct {
	Name    string // command-line name, e.g. "redis-7.4"
	Server  string // "Redis" or "Valkey"
	Release string // e.g. "7.4"
	RDB     int    // highest RDB version the release reads (and writes)
}

func (t Target) valkey() bool { return t.Server == "Valkey" }

func (t Target) String() string { return t.Server + " " + t.Release }

var targets = []Target{
	{"redis-7.0", "Redis", "7.0", 10},
	{"redis-7.2", "Redis", "7.2", 11},
	{"redis-7.4", "Redis", "7.4", 12},
	{"redis-8.0", "Redis", "8.0", 12},
	{"redis-8.2", "Redis", "8.2", 12},
	{"redis-8.4", "Redis", "8.4", 12},
	{"redis-8.6", "Redis", "8.6", 13},
	{"redis-8.8", "Redis", "8.8", 14},
	{"redis-8.10", "Redis", "8.10", 15},
	{"valkey-7.2", "Valkey", "7.2", 11},
	{"valkey-8.0", "Valkey", "8.0", 11},
	{"valkey-8.1", "Valkey", "8.1", 11},
	{"valkey-9.0", "Valkey", "9.0", 80},
	{"valkey-9.1", "Valkey", "9.1", 80},
}

// Targets returns every known target, Redis first, oldest first.
func Targets() []Target { return append([]Target(nil), targets...) }

// LookupTarget returns the target with the given name ("redis-7.4").
func LookupTarget(name string) (Target, bool) {
	for _, t := range targets {
		if t.Name == name {
			return t, true
		}
	}
	return Target{}, false
}

// redisRelease names the first Redis release that writes RDB version v.
func redisRelease(v int) string {
	switch {
	case v <= 1:
		return "1.0"
	case v <= 5:
		return "2.4"
	case v == 6:
		return "2.6"
	case v == 7:
		return "3.2"
	case v == 8:
		return "4.0"
	case v == 9:
		return "5.0"
	case v == 10:
		return "7.0"
	case v == 11:
		return "7.2"
	case v == 12:
		return "7.4"
	case v == 13:
		return "8.6"
	case v == 14:
		return "8.8"
	}
	return "8.10"
}

// CompatStatus is the overall answer for one target.
type CompatStatus uint8

const (
	// CompatLoads: the target loads the file with its default configuration.
	CompatLoads CompatStatus = iota
	// CompatConditional: it loads only if every Condition of the problems holds.
	CompatConditional
	// CompatRefused: it refuses the file whatever its configuration.
	CompatRefused
)

var compatStatusNames = [...]string{"loads", "conditional", "refused"}

func (s CompatStatus) String() string {
	if int(s) < len(compatStatusNames) {
		return compatStatusNames[s]
	}
	return "status(" + strconv.Itoa(int(s)) + ")"
}

// CompatProblem is one reason a target refuses the file or needs a
// non-default setting to load it.
type CompatProblem struct {
	// Gate names the kind of rule: "magic", "version", "type", "opcode",
	// "module" or "databases".
	Gate string
	// Fatal is set when the target refuses the file whatever its configuration.
	Fatal bool
	// Condition is what must hold for the target to load the file anyway
	// (non-fatal problems only), e.g. "rdb-version-check relaxed".
	Condition string
	// What describes the problem, e.g. "RDB version 12 > 11 (Valkey 8.0 reads
	// up to RDB 11)" for a file-level gate, or "HASH_LISTPACK_EX (Redis 7.4+
	// only)" for a record-level one.
	What string
	// Records counts the records (keys, for key records) affected; 0 for a
	// file-level gate.
	Records int64
	// Unit is what Records counts: "key" or "record".
	Unit string
	// Keys lists the first affected keys (at most the limit given to NewCompat).
	Keys [][]byte
	// Offset is the offset of the first affected record (0 for file-level gates).
	Offset int64
}

// Describe returns a one-line description, e.g. "3 keys use HASH_LISTPACK_EX
// (Redis 7.4+ only)". Key names are not included.
func (p *CompatProblem) Describe() string {
	if p.Records == 0 {
		return p.What
	}
	unit := p.Unit
	if p.Records != 1 {
		unit += "s"
	}
	verb := " use "
	if p.Records == 1 {
		verb = " uses "
	}
	return strconv.FormatInt(p.Records, 10) + " " + unit + verb + p.What
}

// CompatVerdict is the outcome for one target.
type CompatVerdict struct {
	Target   Target
	Status   CompatStatus
	Problems []CompatProblem // file-level gates first, then in order of first appearance
}

// Compat decides whether a target server would load a file. Feed it the
// header and then every record (after the value was consumed, so module
// type names are known); Verdict gives the answer. It only knows what the
// records tell: whether the file is intact is for the Reader to say.
type Compat struct {
	t       Target
	magic   string
	version int
	dialect Dialect
	maxKeys int
	probs   []*CompatProblem
	index   map[string]*CompatProblem
}

// NewCompat starts a compatibility check of the file with header h against
// target t, keeping at most maxKeys key names per problem.
func NewCompat(t Target, h *Header, maxKeys int) *Compat {
	c := &Compat{t: t, magic: h.Magic, version: h.Version, dialect: h.Dialect, maxKeys: maxKeys,
		index: map[string]*CompatProblem{}}
	c.header()
	return c
}

func (c *Compat) add(p CompatProblem) *CompatProblem {
	c.probs = append(c.probs, &p)
	return &p
}

func (c *Compat) header() {
	t, v := c.t, c.version
	vs := strconv.Itoa(v)
	own := strconv.Itoa(t.RDB)
	if c.dialect == DialectValkey {
		switch {
		case !t.valkey():
			c.add(CompatProblem{Gate: "magic", Fatal: true,
				What: "VALKEY-magic file (RDB " + vs + "): Redis never loads it (\"Wrong signature\")"})
		case t.RDB < 80:
			c.add(CompatProblem{Gate: "magic", Fatal: true,
				What: "VALKEY-magic file (RDB " + vs + "): " + t.String() + " knows only the REDIS magic (\"Wrong signature\"; Valkey 9.0+ writes VALKEY080)"})
		case v > t.RDB:
			c.add(CompatProblem{Gate: "version", Condition: "rdb-version-check relaxed",
				What: "RDB version " + vs + " > " + own + " (future version: " + t.String() + " refuses it in the default strict mode; relaxed mode loads it if every type is known)"})
		}
		return
	}
	// REDIS magic.
	switch {
	case !t.valkey():
		if v > t.RDB {
			c.add(CompatProblem{Gate: "version", Fatal: true,
				What: "RDB version " + vs + " > " + own + " (" + t.String() + " reads up to RDB " + own + ")"})
		}
	case t.RDB < 80:
		if v > t.RDB {
			what := "RDB version " + vs + " > " + own + " (" + t.String() + " reads up to RDB " + own
			if t.Release == "8.1" {
				what += "; 12-79 are reserved and refused even with rdb-version-check relaxed"
			}
			c.add(CompatProblem{Gate: "version", Fatal: true, What: what + ")"})
		}
	default: // Valkey 9
		if v > 11 {
			c.add(CompatProblem{Gate: "version", Condition: "rdb-version-check relaxed",
				What: "RDB version " + vs + " is a foreign (Redis) version: " + t.String() +
					" reads REDIS up to 11 and VALKEY 80 in the default strict mode"})
		}
	}
}

// Add accounts for one record.
func (c *Compat) Add(e *Entry) {
	switch e.Kind {
	case EntryKey:
		c.addKey(e)
	case EntrySelectDB:
		if e.DB >= 16 {
			n := strconv.Itoa(e.DB)
			c.record("databases:"+n, e, CompatProblem{Gate: "databases", Unit: "record",
				Condition: "config databases > " + n,
				What:      "SELECTDB " + n + " (the default 'databases 16' refuses it)"})
		}
	case EntryModuleAux:
		if e.Module != nil {
			name := e.Module.TypeName
			c.record("module:"+name, e, CompatProblem{Gate: "module", Unit: "record",
				Condition: "module type " + name + " loaded",
				What:      "MODULE_AUX of module type " + name + " (needs that module)"})
		}
	case EntrySlotInfo:
		if !c.t.valkey() && c.t.RDB < 12 {
			c.opcode(e, OpSlotInfo, "SLOT_INFO (Redis 7.4+ only)")
		}
	case EntryHashTemplate:
		switch {
		case c.t.valkey():
			c.opcode(e, OpHashTemplate, "HASH_TEMPLATE (opcode 242: Valkey refuses tags 22..243 in REDIS-magic files)")
		case c.t.RDB < 15:
			c.opcode(e, OpHashTemplate, "HASH_TEMPLATE (Redis 8.10+ only)")
		}
	case EntrySlotImport:
		if c.t.RDB < 80 {
			c.opcode(e, OpSlotImport, "SLOT_IMPORT (Valkey 9.0+ only)")
		}
	}
}

func (c *Compat) opcode(e *Entry, op Opcode, what string) {
	c.record("opcode:"+strconv.Itoa(int(op)), e, CompatProblem{Gate: "opcode", Fatal: true, Unit: "record", What: what})
}

func (c *Compat) addKey(e *Entry) {
	t := c.t
	if len(e.KeyMeta) > 0 {
		switch {
		case t.valkey():
			c.key("opcode:243", e, CompatProblem{Gate: "opcode", Fatal: true,
				What: "KEY_META (opcode 243: Valkey refuses tags 22..243 in REDIS-magic files)"})
		case t.RDB < 13:
			c.key("opcode:243", e, CompatProblem{Gate: "opcode", Fatal: true, What: "KEY_META (Redis 8.6+ only)"})
		default:
			for _, m := range e.KeyMeta {
				if !m.AllowIgnore {
					c.key("keymeta:"+m.Class, e, CompatProblem{Gate: "module",
						Condition: "key metadata class " + m.Class + " registered",
						What:      "key metadata class " + m.Class + " without ALLOW_IGNORE (needs the module that registers it)"})
				}
			}
		}
	}
	ty := e.Type
	name := e.TypeName
	switch {
	case ty == TypeModulePreGA:
		c.key("type:6", e, CompatProblem{Gate: "type", Fatal: true, What: "MODULE_PRE_GA (Redis 4.0 release candidates only)"})
		return
	case ty == TypeModule2:
		mod := "?"
		if e.Module != nil {
			mod = e.Module.TypeName
		}
		c.key("module:"+mod, e, CompatProblem{Gate: "module", Condition: "module type " + mod + " loaded",
			What: "module type " + mod + " (needs that module)"})
		return
	}
	if c.dialect == DialectValkey {
		if ty == TypeHash2 && t.RDB < 80 {
			c.key("type:"+strconv.Itoa(int(ty)), e, CompatProblem{Gate: "type", Fatal: true, What: name + " (Valkey 9.0+ only)"})
		}
		return
	}
	// REDIS-magic file.
	if t.valkey() {
		if ty >= 22 {
			if t.RDB >= 80 {
				c.key("type:"+strconv.Itoa(int(ty)), e, CompatProblem{Gate: "type", Fatal: true,
					What: name + " (type " + strconv.Itoa(int(ty)) + ": Valkey refuses tags 22..243 in REDIS-magic files)"})
			} else {
				ti, _ := lookupType(DialectRedis, 99, byte(ty))
				c.key("type:"+strconv.Itoa(int(ty)), e, CompatProblem{Gate: "type", Fatal: true,
					What: name + " (Redis " + redisRelease(ti.minVersion) + "+ only)"})
			}
		}
		return
	}
	ti, ok := lookupType(DialectRedis, 99, byte(ty))
	if !ok {
		return
	}
	switch {
	case ty == TypeGCRA && t.RDB >= 15:
		c.key("type:33", e, CompatProblem{Gate: "type", Condition: "a server built with GCRA support",
			What: name + " (only builds with ENABLE_GCRA)"})
	case ty == TypeGCRA:
		c.key("type:33", e, CompatProblem{Gate: "type", Fatal: true, What: name + " (Redis 8.10+ builds with ENABLE_GCRA only)"})
	case ti.minVersion > t.RDB:
		c.key("type:"+strconv.Itoa(int(ty)), e, CompatProblem{Gate: "type", Fatal: true,
			What: name + " (Redis " + redisRelease(ti.minVersion) + "+ only)"})
	}
}

func (c *Compat) key(id string, e *Entry, p CompatProblem) {
	p.Unit = "key"
	c.record(id, e, p)
}

func (c *Compat) record(id string, e *Entry, p CompatProblem) {
	q := c.index[id]
	if q == nil {
		p.Offset = e.Offset
		q = c.add(p)
		c.index[id] = q
	}
	q.Records++
	if p.Unit == "key" && len(q.Keys) < c.maxKeys {
		q.Keys = append(q.Keys, bytes.Clone(e.Key))
	}
}

// Verdict returns the answer so far: the status and every problem, file-level
// gates first, then record-level ones by first offset.
func (c *Compat) Verdict() CompatVerdict {
	v := CompatVerdict{Target: c.t}
	for _, p := range c.probs {
		v.Problems = append(v.Problems, *p)
		switch {
		case p.Fatal:
			v.Status = CompatRefused
		case v.Status == CompatLoads:
			v.Status = CompatConditional
		}
	}
	sort.SliceStable(v.Problems, func(i, j int) bool {
		a, b := v.Problems[i], v.Problems[j]
		if (a.Records == 0) != (b.Records == 0) {
			return a.Records == 0
		}
		return a.Offset < b.Offset
	})
	return v
}
