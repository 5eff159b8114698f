// Package testcorpus locates the shared persistence corpus (real RDB and
// AOF files written by real servers, with ground truth) for tests. The
// corpus lives in ../shared/corpus beside the repository; RDBKIT_CORPUS
// overrides the path. Tests skip with a message when it is absent.
package testcorpus

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Servers are the corpus directories, one per server that wrote the files.
var Servers = []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"}

// Path returns the corpus directory, or "" if there is none: $RDBKIT_CORPUS,
// else shared/corpus beside the module root (the nearest directory above
// the working directory that holds go.mod).
func Path() string {
	if d := os.Getenv("RDBKIT_CORPUS"); d != "" {
		return d
	}
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for dir := wd; ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			c := filepath.Join(filepath.Dir(dir), "shared", "corpus")
			if st, err := os.Stat(c); err == nil && st.IsDir() {
				return c
			}
			return ""
		}
		if filepath.Dir(dir) == dir {
			return ""
		}
	}
}

// Dir returns Path, or skips the test when the corpus is absent.
func Dir(tb testing.TB) string {
	tb.Helper()
	d := Path()
	if d == "" {
		tb.Skip("corpus not found: ../shared/corpus beside the repository is absent (set RDBKIT_CORPUS to run this test)")
	}
	return d
}

// GoodRDBs lists the readable RDB files of the repository's testdata/ and
// of the corpus (when present): every *.rdb outside damaged/, AOF
// directories and upstream corrupt_* assets. Run from a package directory
// one level below the module root.
func GoodRDBs(tb testing.TB) []string {
	tb.Helper()
	var out []string
	add := func(root string) {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".rdb") || strings.Contains(p, "damaged") ||
				strings.Contains(p, "appendonlydir") || strings.Contains(p, "corrupt") {
				return nil
			}
			out = append(out, p)
			return nil
		})
	}
	add(filepath.Join("..", "testdata"))
	if dir := Path(); dir != "" {
		if _, err := os.Stat(dir); err == nil {
			add(dir)
		}
	}
	if len(out) == 0 {
		tb.Fatal("no RDB files found")
	}
	return out
}

// DistinctGoodRDBs is GoodRDBs without repeated contents (testdata/ holds
// copies of corpus files): the first path of each content.
func DistinctGoodRDBs(tb testing.TB) []string {
	tb.Helper()
	seen := map[[32]byte]bool{}
	var out []string
	for _, p := range GoodRDBs(tb) {
		data, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		if sum := sha256.Sum256(data); !seen[sum] {
			seen[sum] = true
			out = append(out, p)
		}
	}
	return out
}
