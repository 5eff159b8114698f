package manifest

import (
	"errors"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse checks that Parse never panics and that Parse -> Format -> Parse
// is stable: whatever parses formats (unless a name starts with a single
// quote, which Format refuses) to text that parses to the same manifest and
// formats to the same bytes.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.2.incr.aof seq 2 type i\n",
		"# c\nfile \"a b\\x00\" seq 1 type h\nfile 'x\\'y' seq 3 type i startoffset 5 endoffset 9 k v\n",
		"file a seq 1 type b\r\n\n",
		"",
	} {
		f.Add([]byte(s))
	}
	if m, err := filepath.Glob(filepath.Join(corpusDirNoSkip(), "*", "*", "appendonlydir", "*.manifest")); err == nil {
		for _, p := range m {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			t.Skip()
		}
		m, err := Parse(data)
		if err != nil {
			return
		}
		out, err := Format(m)
		if errors.Is(err, ErrLineTooLong) {
			return // quoting made a line too long for the server to read
		}
		if err != nil {
			for _, e := range append(append([]Entry{}, m.History...), m.Incr...) {
				if strings.HasPrefix(e.Name, "'") {
					return
				}
			}
			if m.Base != nil && strings.HasPrefix(m.Base.Name, "'") {
				return
			}
			t.Fatalf("Format refused a parsed manifest: %v\n%q", err, data)
		}
		if len(out) == 0 {
			return
		}
		m2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-Parse: %v\n%q\n%q", err, data, out)
		}
		if !equalIgnoringLines(m, m2) {
			t.Fatalf("round trip changed the manifest\n%q\n%q", data, out)
		}
		out2, err := Format(m2)
		if err != nil || string(out2) != string(out) {
			t.Fatalf("Format not idempotent: %q / %q", out, out2)
		}
	})
}

func corpusDirNoSkip() string { return testcorpus.Path() }
