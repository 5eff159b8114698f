package cmd

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPackageBoundaries enforces the import direction of docs/architecture.md:
// format packages import only the standard library (and lower format
// packages), the engine one hash library besides; nothing but cmd/rdbkit
// imports cmd.
func TestPackageBoundaries(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	const mod = "github.com/rdbkit/rdbkit/"
	allowed := map[string][]string{
		"release":              nil,
		"rdbfile":              {"release"},
		"internal/glob":        nil,
		"internal/input/ctxio": nil,
		"internal/atomicfile":  nil,
		"manifest":             nil,
		"aoffile":              {"rdbfile", "release"},
		"engine":               {"rdbfile", "release"},
		"rdbscan":              {"rdbfile", "aoffile", "release", "internal/glob"},
		"repair":               {"rdbfile", "rdbscan", "aoffile", "manifest", "release", "internal/input/ctxio", "internal/glob", "internal/atomicfile"},
		"replay":               {"rdbfile", "aoffile", "manifest", "engine", "release", "internal/input/ctxio"},
		"estimate":             {"rdbfile", "aoffile", "release"},
		"internal/serverproc":  {"aoffile", "rdbfile", "release"},
		"internal/calibrate":   {"estimate", "internal/serverproc", "aoffile", "manifest", "rdbfile", "release"},
		"convert":              {"rdbfile", "rdbscan", "aoffile", "release", "internal/glob"},
	}
	// The one library below cmd that is not ours: the XXH3-128 hash of
	// XADD IDMPAUTO (the server's own deps/xxhash), with its CPU feature
	// detection, in the engine and so in what imports it.
	external := map[string][]string{
		"engine": {"github.com/zeebo/xxh3", "github.com/klauspost/cpuid/v2"},
	}
	for pkg, ok := range allowed {
		out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", "../"+pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", pkg, err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == mod+pkg {
				continue
			}
			good := false
			for _, a := range append([]string{pkg}, ok...) {
				good = good || dep == mod+a
				for _, x := range external[a] {
					good = good || dep == x
				}
			}
			if !good {
				t.Errorf("%s imports %s: allowed are the standard library and %v (docs/architecture.md)", pkg, dep, ok)
			}
		}
	}
}
