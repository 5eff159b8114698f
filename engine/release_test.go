package engine

import (
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/release"
)

// versionOf is the ServerVersion of a release line (patch 0).
func versionOf(r *release.Release) ServerVersion {
	return ServerVersion{Major: int(r.Version / 100), Minor: int(r.Version % 100), Valkey: r.Valkey()}
}

// TestEngineCoversReleaseWrites ties the engine to the release table: each
// write command (or script command) a release lists is executed by the
// engine for that release, or named in unsupportedCommands; no entry of
// that list is stale; and every command the engine executes is in the table.
func TestEngineCoversReleaseWrites(t *testing.T) {
	used := map[string]bool{}
	for _, r := range release.All() {
		e := New(versionOf(r))
		have := map[string]bool{}
		for _, n := range e.Commands() {
			have[n] = true
		}
		for _, c := range r.Commands() {
			if !c.Write && !c.Script {
				continue
			}
			top, _, _ := strings.Cut(c.Name, "|")
			if _, ok := unsupportedCommands[c.Name]; ok {
				used[c.Name] = true
				if have[c.Name] {
					t.Errorf("%s: %s is executed but listed as unsupported", r.Name, c.Name)
				}
				continue
			}
			if !have[top] {
				t.Errorf("%s: write command %s is neither executed nor listed in unsupportedCommands", r.Name, c.Name)
			}
		}
	}
	for n := range unsupportedCommands {
		if !used[n] {
			t.Errorf("unsupportedCommands lists %s, which no release has as a write command", n)
		}
	}
	for _, list := range commandLists() {
		for _, c := range list {
			if !c.noop && !c.known {
				t.Errorf("engine command %s is not in the release table", c.name)
			}
		}
	}
}
