package cmd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/")

// fixedNow is the clock of every test: 2026-11-21T12:00:00Z.
var fixedNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// result is one run of the command line.
type result struct {
	out, err string
	code     int
}

// run executes rdbkit args through the root command (SetArgs/SetOut/SetErr)
// with captured streams, a fixed clock and an empty environment.
func run(t *testing.T, stdin io.Reader, args ...string) result {
	t.Helper()
	return runCtx(t, context.Background(), stdin, args...)
}

func runCtx(t *testing.T, ctx context.Context, stdin io.Reader, args ...string) result {
	t.Helper()
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	app := newApp(IOStreams{In: stdin, Out: &out, ErrOut: &errb})
	app.Getenv = func(string) string { return "" }
	app.Clock = func() time.Time { return fixedNow }
	code := app.run(ctx, args)
	return result{out: out.String(), err: errb.String(), code: code}
}

// sample is the committed fixture at the module root.
const sample = "../testdata/redis-7.4.1-dump.rdb"

// corpusDir locates the shared corpus (../shared/corpus from the module
// root; RDBKIT_CORPUS overrides) or skips the test.
func corpusDir(t testing.TB) string {
	t.Helper()
	if d := findCorpus(); d != "" {
		return d
	}
	t.Skip("corpus not found: ../shared/corpus (relative to the module root) is absent; set RDBKIT_CORPUS to run this test")
	return ""
}

// jsonLines decodes JSON Lines output into generic maps.
func jsonLines(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(s))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("bad JSON line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// byType returns the JSON Lines records with "type" == typ.
func byType(recs []map[string]any, typ string) []map[string]any {
	var out []map[string]any
	for _, r := range recs {
		if r["type"] == typ {
			out = append(out, r)
		}
	}
	return out
}

// golden compares got with testdata/<name>, rewriting it with -update and
// writing <name>.got on a mismatch.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd -run %s -update to create it)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		_ = os.WriteFile(path+".got", got, 0o644)
		t.Errorf("%s differs from the golden file; got written to %s.got (run with -update if the change is intended)", path, path)
	}
}

// findCorpus returns the corpus directory or "".
func findCorpus() string { return testcorpus.Path() }

func jsonCompact(dst *bytes.Buffer, src []byte) error { return json.Compact(dst, src) }
