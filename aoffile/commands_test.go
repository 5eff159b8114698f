package aoffile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/release"
)

func rel(t *testing.T, name string) *release.Release {
	t.Helper()
	r, ok := release.Lookup(name)
	if !ok {
		t.Fatalf("no release %s", name)
	}
	return r
}

func TestLookup(t *testing.T) {
	tests := []struct {
		target string
		args   []string
		name   string
		err    error
	}{
		{"redis-7.0", []string{"set", "k", "v"}, "set", nil},
		{"redis-7.0", []string{"SET", "k"}, "set", ErrArity},
		{"redis-7.0", []string{"HPEXPIREAT", "h", "1", "FIELDS", "1", "f"}, "", ErrUnknownCommand},
		{"redis-7.4", []string{"HPEXPIREAT", "h", "1", "FIELDS", "1", "f"}, "hpexpireat", nil},
		{"valkey-8.0", []string{"HPEXPIREAT", "h", "1", "FIELDS", "1", "f"}, "", ErrUnknownCommand},
		{"valkey-9.0", []string{"hsetex", "h", "FIELDS", "1", "f", "v"}, "hsetex", nil},
		{"valkey-9.0", []string{"hgetdel", "h", "FIELDS", "1", "f"}, "", ErrUnknownCommand},
		{"redis-8.0", []string{"hgetdel", "h", "FIELDS", "1", "f"}, "hgetdel", nil},
		{"redis-8.4", []string{"XCFGSET", "s"}, "", ErrUnknownCommand},
		{"redis-8.6", []string{"XCFGSET", "s"}, "xcfgset", nil},
		{"redis-8.6", []string{"ARSET", "a", "0", "x"}, "", ErrUnknownCommand},
		{"redis-8.8", []string{"ARSET", "a", "0", "x"}, "arset", nil},
		{"redis-8.8", []string{"arseek", "a", "3"}, "arseek", nil},
		{"valkey-9.0", []string{"DELIFEQ", "k", "v"}, "delifeq", nil},
		{"redis-8.6", []string{"DELIFEQ", "k", "v"}, "", ErrUnknownCommand},
		{"redis-7.0", []string{"FUNCTION", "LOAD", "code"}, "function|load", nil},
		{"redis-7.0", []string{"function", "load"}, "function|load", ErrArity},
		{"redis-7.0", []string{"FUNCTION"}, "function", ErrArity},
		{"redis-7.0", []string{"FUNCTION", "NOPE"}, "", ErrUnknownCommand},
		{"redis-7.0", []string{"XGROUP", "CREATECONSUMER", "s", "g", "c"}, "xgroup|createconsumer", nil},
		{"redis-7.0", []string{"MULTI"}, "multi", nil},
		{"redis-7.0", []string{"EXEC"}, "exec", nil},
		{"redis-7.0", []string{"SELECT", "0"}, "select", nil},
		{"redis-7.0", []string{"EVAL", "return 1", "0"}, "eval", nil},
		{"redis-8.0", []string{"VADD", "k", "VALUES", "1", "1", "e"}, "vadd", nil},
		{"valkey-9.0", []string{"VADD", "k"}, "", ErrUnknownCommand},
		{"redis-7.0", []string{"NOSUCHCOMMAND"}, "", ErrUnknownCommand},
		{"redis-7.0", []string{strings.Repeat("x", 100)}, "", ErrUnknownCommand},
	}
	for _, tc := range tests {
		var args [][]byte
		for _, a := range tc.args {
			args = append(args, []byte(a))
		}
		c, err := Validate(rel(t, tc.target), args)
		if !errors.Is(err, tc.err) || (tc.name != "" && c.Name != tc.name) {
			t.Errorf("%v %q: %q, %v; want %q, %v", tc.target, tc.args, c.Name, err, tc.name, tc.err)
		}
	}
	if c, ok := rel(t, "redis-7.0").Command([]byte("SeT")); !ok || !c.Write || c.Arity != -3 || c.Group != "string" {
		t.Errorf("Command SeT: %+v %v", c, ok)
	}
	if c, _ := rel(t, "redis-7.0").Command([]byte("get")); c.Write {
		t.Errorf("GET is not a write command")
	}
	// A name no release has, or an arity no release allows, is refused
	// by every server; one that some release has passes.
	for _, tc := range []struct {
		args []string
		ok   bool
	}{{[]string{"SDT", "k", "v"}, false}, {[]string{"SET", "k"}, false}, {[]string{"hsetex", "h", "FIELDS", "1", "f", "v"}, true},
		{[]string{"DELEX", "k"}, true}, {[]string{"FUNCTION", "NOPE"}, false}} {
		var args [][]byte
		for _, a := range tc.args {
			args = append(args, []byte(a))
		}
		err := ValidateKnown(nil, args)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrUnknownCommand)) {
			t.Errorf("ValidateKnown(%q): %v", tc.args, err)
		}
	}
}

// TestCorpusCommandsKnown checks that every command in every corpus AOF is
// in the table for the server that wrote it, with a fitting arity.
func TestCorpusCommandsKnown(t *testing.T) {
	root := corpusDir(t)
	targets := map[string]*release.Release{"redis-7.0.15": rel(t, "redis-7.0"), "redis-7.2.6": rel(t, "redis-7.2"),
		"redis-7.4.1": rel(t, "redis-7.4"), "redis-8.0-m01": rel(t, "redis-8.0"), "valkey-8.0.1": rel(t, "valkey-8.0"),
		"upstream-assets": rel(t, "redis-7.0")}
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
