package rdbscan

import (
	"bytes"
	"errors"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// SetCompat decides whether a server release would load an AOF set: the
// RDB base or preamble (its version, types and opcodes, as Compat checks
// them) and every command (the release's command table and arities, as
// aoffile.Validate checks them). A command the release lacks makes the set
// one it will not load, not a damaged one.
type SetCompat struct {
	t       *release.Release
	maxKeys int
	rdb     []*Compat
	rdbFile []string
	cmds    []*CompatProblem
	index   map[string]*CompatProblem
}

// NewSetCompat starts a check of an AOF set against release t, keeping at
// most maxKeys key names per problem.
func NewSetCompat(t *release.Release, maxKeys int) *SetCompat {
	return &SetCompat{t: t, maxKeys: maxKeys, index: map[string]*CompatProblem{}}
}

// RDB starts the check of an RDB base or preamble of file (named in the
// problems) with header h, and returns the function to call with each of
// its records after the value was consumed.
func (s *SetCompat) RDB(file string, h *rdbfile.Header) func(*rdbfile.Entry) {
	c := NewCompat(s.t, h, s.maxKeys)
	s.rdb = append(s.rdb, c)
	s.rdbFile = append(s.rdbFile, file)
	return c.Add
}

// Command checks one command of file.
func (s *SetCompat) Command(file string, c *aoffile.Command) {
	_, err := aoffile.Validate(s.t, c.Args)
	if err == nil {
		return
	}
	var ce *aoffile.CommandError
	if !errors.As(err, &ce) {
		return
	}
	id := ce.Name
	what := strings.ToUpper(ce.Name)
	if errors.Is(err, aoffile.ErrArity) {
		id += "/" + strconv.Itoa(ce.Argc)
		what += " with " + strconv.Itoa(ce.Argc) + " arguments (arity " + strconv.Itoa(ce.Arity) + " on " + s.t.String() + ")"
	} else {
		what += " (" + s.since(c.Args) + ")"
	}
	p := s.index[id]
	if p == nil {
		p = &CompatProblem{Gate: "command", Fatal: true, Unit: "command", Offset: c.Offset,
			What: what + ", first in " + file + " at offset " + strconv.FormatInt(c.Offset, 10)}
		s.index[id] = p
		s.cmds = append(s.cmds, p)
	}
	p.Records++
	if len(c.Args) > 1 && len(p.Keys) < s.maxKeys {
		p.Keys = append(p.Keys, bytes.Clone(c.Args[1]))
	}
}

// since says which releases have the command argv invokes: "Redis 8.0+
// only", "Valkey 9.0+ only" or "no such command in Redis 7.2".
func (s *SetCompat) since(args [][]byte) string {
	var first *release.Release
	for _, r := range release.All() {
		if c, ok := r.CommandArgs(args); ok && c.ArityOK(len(args)) {
			if r.Dialect == s.t.Dialect {
				return r.String() + "+ only"
			}
			if first == nil {
				first = r
			}
		}
	}
	if first != nil {
		return first.String() + "+ only"
	}
	return "no such command in " + s.t.String()
}

// Verdict returns the answer: the problems of the RDB parts (file-level
// gates first), then the commands in order of first appearance.
func (s *SetCompat) Verdict() CompatVerdict {
	v := CompatVerdict{Target: s.t}
	for i, c := range s.rdb {
		for _, p := range c.Verdict().Problems {
			if p.Records == 0 {
				p.What = s.rdbFile[i] + ": " + p.What
			} else {
				p.What += " in " + s.rdbFile[i]
			}
			v.Problems = append(v.Problems, p)
		}
	}
	for _, p := range s.cmds {
		v.Problems = append(v.Problems, *p)
	}
	for _, p := range v.Problems {
		switch {
		case p.Fatal:
			v.Status = CompatRefused
		case v.Status == CompatLoads:
			v.Status = CompatConditional
		}
	}
	return v
}
