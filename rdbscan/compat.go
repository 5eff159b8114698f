package rdbscan

import (
	"bytes"
	"sort"
	"strconv"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

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
	// "module", "databases", "stream" or (SetCompat) "command".
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
	// Unit is what Records counts: "key", "record" or (SetCompat) "command".
	Unit string
	// Keys lists the first affected keys (at most the limit given to
	// NewCompat); for commands, their first arguments.
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
	Target   *release.Release
	Status   CompatStatus
	Problems []CompatProblem // file-level gates first, then in order of first appearance
}

// Compat decides whether a server release would load a file, by the rules
// of the release table (release.Release's CheckRDB, CheckType, CheckOpcode,
// StreamLengthChecked and Limits). Feed it the header and then every
// record (after the value was consumed, so module type names and stream
// lengths are known); Verdict gives the answer. It only knows what the
// records tell: whether the file is intact is for the Reader to say.
type Compat struct {
	t       *release.Release
	dialect release.Dialect
	maxKeys int
	probs   []*CompatProblem
	index   map[string]*CompatProblem
}

// NewCompat starts a compatibility check of the file with header h against
// release t, keeping at most maxKeys key names per problem.
func NewCompat(t *release.Release, h *rdbfile.Header, maxKeys int) *Compat {
	c := &Compat{t: t, dialect: release.Redis, maxKeys: maxKeys, index: map[string]*CompatProblem{}}
	if h.Dialect == rdbfile.DialectValkey {
		c.dialect = release.Valkey
	}
	if g, bad := t.CheckRDB(c.dialect, h.Version); bad {
		gate := "version"
		if c.dialect == release.Valkey && (t.Dialect == release.Redis || t.Magic != "VALKEY") {
			gate = "magic"
		}
		c.add(CompatProblem{Gate: gate, Fatal: g.Fatal, Condition: g.Condition, What: g.Why})
	}
	return c
}

func (c *Compat) add(p CompatProblem) *CompatProblem {
	c.probs = append(c.probs, &p)
	return &p
}

// Add accounts for one record.
func (c *Compat) Add(e *rdbfile.Entry) {
	switch e.Kind {
	case rdbfile.EntryKey:
		c.addKey(e)
	case rdbfile.EntrySelectDB:
		if n := c.t.Limits.Databases; e.DB >= n {
			db, ns := strconv.Itoa(e.DB), strconv.Itoa(n)
			c.record("databases:"+db, e, CompatProblem{Gate: "databases", Unit: "record",
				Condition: "config databases > " + db,
				What:      "SELECTDB " + db + " (the default 'databases " + ns + "' refuses it)"})
		}
	case rdbfile.EntryModuleAux:
		if e.Module != nil {
			name := e.Module.TypeName
			c.record("module:"+name, e, CompatProblem{Gate: "module", Unit: "record",
				Condition: "module type " + name + " loaded",
				What:      "MODULE_AUX of module type " + name + " (needs that module)"})
		}
	case rdbfile.EntryFunction, rdbfile.EntrySlotInfo, rdbfile.EntryHashTemplate, rdbfile.EntrySlotImport:
		c.opcode(e, byte(e.Opcode))
	}
}

// opcode applies the release's opcode gate to a record.
func (c *Compat) opcode(e *rdbfile.Entry, op byte) {
	if g, bad := c.t.CheckOpcode(c.dialect, op); bad {
		c.record("opcode:"+strconv.Itoa(int(op)), e, CompatProblem{Gate: "opcode", Fatal: g.Fatal, Condition: g.Condition, Unit: "record", What: g.Why})
	}
}

func (c *Compat) addKey(e *rdbfile.Entry) {
	if len(e.KeyMeta) > 0 {
		if g, bad := c.t.CheckOpcode(c.dialect, release.OpKeyMeta); bad {
			c.key("opcode:243", e, CompatProblem{Gate: "opcode", Fatal: g.Fatal, Condition: g.Condition, What: g.Why})
		} else {
			for _, m := range e.KeyMeta {
				if !m.AllowIgnore {
					c.key("keymeta:"+m.Class, e, CompatProblem{Gate: "module",
						Condition: "key metadata class " + m.Class + " registered",
						What:      "key metadata class " + m.Class + " without ALLOW_IGNORE (needs the module that registers it)"})
				}
			}
		}
	}
	if e.Type == rdbfile.TypeModule2 {
		mod := "?"
		if e.Module != nil {
			mod = e.Module.TypeName
		}
		c.key("module:"+mod, e, CompatProblem{Gate: "module", Condition: "module type " + mod + " loaded",
			What: "module type " + mod + " (needs that module)"})
		return
	}
	if g, bad := c.t.CheckType(c.dialect, byte(e.Type), e.TypeName); bad {
		c.key("type:"+strconv.Itoa(int(e.Type)), e, CompatProblem{Gate: "type", Fatal: g.Fatal, Condition: g.Condition, What: g.Why})
		return
	}
	if e.ValueKind == rdbfile.KindStream && c.t.StreamLengthChecked() {
		if st := e.StreamMeta(); st != nil && st.Length != uint64(e.Len) {
			c.key("stream-length", e, CompatProblem{Gate: "stream", Fatal: true,
				What: "a stream length that differs from its live entries (" + c.t.String() +
					" refuses it: \"Stream length inconsistent with live entries\")"})
		}
	}
}

func (c *Compat) key(id string, e *rdbfile.Entry, p CompatProblem) {
	p.Unit = "key"
	c.record(id, e, p)
}

func (c *Compat) record(id string, e *rdbfile.Entry, p CompatProblem) {
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
