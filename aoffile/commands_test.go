package aoffile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTargets(t *testing.T) {
	for _, tg := range Targets() {
		got, ok := ParseTarget(tg.String())
		if !ok || got != tg {
			t.Errorf("ParseTarget(%q) = %v, %v", tg.String(), got, ok)
		}
	}
	for s, want := range map[string]Target{"7.4": Redis74, "Redis 8.0": Redis80, "valkey-8.1.1": Valkey81, "redis-7.4.1": Redis74, "VALKEY9.0": Valkey90} {
		if got, ok := ParseTarget(s); !ok || got != want {
			t.Errorf("ParseTarget(%q) = %v, %v; want %v", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "redis-6.2", "valkey-7.2", "keydb-6.3", "8"} {
		if _, ok := ParseTarget(s); ok {
			t.Errorf("ParseTarget(%q) accepted", s)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		target Target
		args   []string
		name   string
		err    error
	}{
		{Redis70, []string{"set", "k", "v"}, "set", nil},
		{Redis70, []string{"SET", "k"}, "set", ErrArity},
		{Redis70, []string{"HPEXPIREAT", "h", "1", "FIELDS", "1", "f"}, "", ErrUnknownCommand},
		{Redis74, []string{"HPEXPIREAT", "h", "1", "FIELDS", "1", "f"}, "hpexpireat", nil},
		{Valkey80, []string{"HPEXPIREAT", "h", "1", "FIELDS", "1", "f"}, "", ErrUnknownCommand},
		{Valkey90, []string{"hsetex", "h", "FIELDS", "1", "f", "v"}, "hsetex", nil},
		{Valkey90, []string{"hgetdel", "h", "FIELDS", "1", "f"}, "", ErrUnknownCommand},
		{Redis80, []string{"hgetdel", "h", "FIELDS", "1", "f"}, "hgetdel", nil},
		{Redis84, []string{"XCFGSET", "s"}, "", ErrUnknownCommand},
		{Redis86, []string{"XCFGSET", "s"}, "xcfgset", nil},
		{Redis86, []string{"ARSET", "a", "0", "x"}, "", ErrUnknownCommand},
		{Redis88, []string{"ARSET", "a", "0", "x"}, "arset", nil},
		{Redis88, []string{"arseek", "a", "3"}, "arseek", nil},
		{Valkey90, []string{"DELIFEQ", "k", "v"}, "delifeq", nil},
		{Redis86, []string{"DELIFEQ", "k", "v"}, "", ErrUnknownCommand},
		{Redis70, []string{"FUNCTION", "LOAD", "code"}, "function|load", nil},
		{Redis70, []string{"function", "load"}, "function|load", ErrArity},
		{Redis70, []string{"FUNCTION"}, "function", ErrArity},
		{Redis70, []string{"FUNCTION", "NOPE"}, "", ErrUnknownCommand},
		{Redis70, []string{"XGROUP", "CREATECONSUMER", "s", "g", "c"}, "xgroup|createconsumer", nil},
		{Redis70, []string{"MULTI"}, "multi", nil},
		{Redis70, []string{"EXEC"}, "exec", nil},
		{Redis70, []string{"SELECT", "0"}, "select", nil},
		{Redis70, []string{"EVAL", "return 1", "0"}, "eval", nil},
		{Redis80, []string{"VADD", "k", "VALUES", "1", "1", "e"}, "vadd", nil},
		{Valkey90, []string{"VADD", "k"}, "", ErrUnknownCommand},
		{Redis70, []string{"NOSUCHCOMMAND"}, "", ErrUnknownCommand},
		{Redis70, []string{strings.Repeat("x", 100)}, "", ErrUnknownCommand},
	}
	for _, tc := range tests {
		var args [][]byte
		for _, a := range tc.args {
			args = append(args, []byte(a))
		}
		c, err := Validate(tc.target, args)
		if !errors.Is(err, tc.err) || (tc.name != "" && c.Name != tc.name) {
			t.Errorf("%v %q: %q, %v; want %q, %v", tc.target, tc.args, c.Name, err, tc.name, tc.err)
		}
	}
	if c, ok := Lookup(Redis70, []byte("SeT")); !ok || !c.Write || c.Arity != -3 || c.Group != "string" {
		t.Errorf("Lookup SeT: %+v %v", c, ok)
	}
	if c, _ := Lookup(Redis70, []byte("get")); c.Write {
		t.Errorf("GET is not a write command")
	}
}

// TestTableConsistency checks the table's own invariants.
func TestTableConsistency(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range commandTable {
		if seen[c.Name] || c.Name != strings.ToLower(c.Name) || c.Arity == 0 || (c.Redis == 0 && c.Valkey == 0) {
			t.Errorf("bad row %+v", c)
		}
		seen[c.Name] = true
		if top, sub, ok := strings.Cut(c.Name, "|"); ok {
			if p, ok := Lookup(Redis88, []byte(top)); (!ok && c.Redis != 0) || (ok && !p.Container) || sub == "" {
				t.Errorf("subcommand %s without its container", c.Name)
			}
		}
		if c.Redis != 0 && c.Redis <= 702 && c.Valkey != 702 {
			t.Errorf("%s: Valkey inherited it from Redis 7.2", c.Name)
		}
	}
	// Write commands grow with versions: nothing disappears.
	for i, tg := range Targets()[1:] {
		prev := Targets()[i]
		if prev.Valkey() != tg.Valkey() {
			continue
		}
		for _, c := range Commands(prev) {
			if !c.In(tg) {
				t.Errorf("%s is in %v but not %v", c.Name, prev, tg)
			}
		}
	}
	if n := len(Commands(Redis70)); n < 150 {
		t.Errorf("only %d commands for Redis 7.0", n)
	}
}

// TestCorpusCommandsKnown checks that every command in every corpus AOF is
// in the table for the server that wrote it, with a fitting arity.
func TestCorpusCommandsKnown(t *testing.T) {
	root := corpusDir(t)
	targets := map[string]Target{"redis-7.0.15": Redis70, "redis-7.2.6": Redis72, "redis-7.4.1": Redis74,
		"redis-8.0-m01": Redis80, "valkey-8.0.1": Valkey80, "upstream-assets": Redis70}
	for _, fn := range corpusAOFFiles(t) {
		rel, _ := filepath.Rel(root, fn)
		tg := targets[strings.Split(rel, string(filepath.Separator))[0]]
		data, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		r := NewReader(bytes.NewReader(data), nil)
		for {
			c, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			if c.Kind != KindCommand {
				continue
			}
			if _, err := Validate(tg, c.Args); err != nil {
				t.Errorf("%s at %d: %v", rel, c.Offset, err)
			}
		}
	}
}
