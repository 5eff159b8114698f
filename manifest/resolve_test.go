package manifest

import (
	"encoding/json"
	"errors"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var corpusServers = []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"}

func corpusDir(t testing.TB) string { t.Helper(); return testcorpus.Dir(t) }

type verdict struct {
	Artifact string `json:"artifact"`
	Checker  struct {
		Cmd    string `json:"cmd"`
		RC     int    `json:"rc"`
		Stdout string `json:"stdout"`
	} `json:"checker"`
}

var (
	atLineRE   = regexp.MustCompile(`Reading the manifest file, at line (\d+)`)
	textRE     = regexp.MustCompile(`# >>> '(.*)'`)
	reasonRE   = regexp.MustCompile(`# ([^\n]+)\n\n$`)
	cannotRE   = regexp.MustCompile(`Cannot open file (\S+): No such file or directory`)
	manifestRE = regexp.MustCompile(`^(damaged/)?aof-[a-z-]+/appendonlydir$`)
)

// TestCorpusVerdicts resolves every multi-part AOF directory of every server
// and compares with the real checker: manifest errors (line, text, message),
// missing files (rc=1), and no error at all where the checker found the
// manifest and files valid.
func TestCorpusVerdicts(t *testing.T) {
	root := corpusDir(t)
	n := 0
	for _, srv := range corpusServers {
		b, err := os.ReadFile(filepath.Join(root, srv, "verdicts.json"))
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ Verdicts []verdict }
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		for _, vd := range v.Verdicts {
			if !manifestRE.MatchString(vd.Artifact) {
				continue
			}
			n++
			t.Run(srv+"/"+vd.Artifact, func(t *testing.T) {
				dir := filepath.Join(root, srv, vd.Artifact)
				out := vd.Checker.Stdout
				set, err := Resolve(dir, nil)
				if strings.Contains(out, "FATAL AOF MANIFEST FILE ERROR") {
					var pe *ParseError
					if !errors.As(err, &pe) {
						t.Fatalf("checker refused the manifest, we got %v", err)
					}
					line, _ := strconv.Atoi(atLineRE.FindStringSubmatch(out)[1])
					if pe.Line != line || pe.Text != textRE.FindStringSubmatch(out)[1] || pe.Reason() != reasonRE.FindStringSubmatch(out)[1] {
						t.Errorf("got line %d %q %q; checker: %s", pe.Line, pe.Text, pe.Reason(), out)
					}
					return
				}
				if err != nil {
					t.Fatalf("Resolve: %v", err)
				}
				errs := set.Errors()
				if m := cannotRE.FindStringSubmatch(out); m != nil {
					if len(errs) == 0 || errs[0].Problem != ProblemMissing || errs[0].Name != filepath.Base(m[1]) {
						t.Errorf("checker: missing %s; findings %v", m[1], set.Findings)
					}
					if vd.Checker.RC != 1 {
						t.Errorf("checker rc %d", vd.Checker.RC)
					}
					return
				}
				if len(errs) != 0 {
					t.Errorf("unexpected errors %v (checker rc %d)", errs, vd.Checker.RC)
				}
				unlisted := 0
				for _, f := range set.Findings {
					if f.Problem == ProblemUnlisted {
						unlisted++
						if f.Severity != SevWarning || f.Name != "appendonly.aof.99.incr.aof" {
							t.Errorf("unexpected finding %v", f)
						}
					}
				}
				if want := strings.Contains(vd.Artifact, "unlisted"); want != (unlisted == 1) {
					t.Errorf("unlisted findings %v", set.Findings)
				}
				// Sizes, content by magic, and a byte-exact Format.
				for _, f := range append(set.Files(), ptrs(set.History)...) {
					st, err := os.Stat(f.Path)
					if err != nil || st.Size() != f.Size {
						t.Errorf("%s: size %d, stat %v", f.Name, f.Size, err)
					}
					want := ContentRESP
					if strings.HasSuffix(f.Name, ".rdb") {
						want = ContentRDB
					}
					if f.Size == 0 {
						want = ContentEmpty
					}
					if f.Content != want {
						t.Errorf("%s: content %v, want %v", f.Name, f.Content, want)
					}
				}
				raw, _ := os.ReadFile(set.ManifestPath)
				if got, err := Format(set.Manifest); err != nil || string(got) != string(raw) {
					t.Errorf("Format = %q, %v; file is %q", got, err, raw)
				}
			})
		}
	}
	if n < 50 {
		t.Errorf("only %d AOF directories checked", n)
	}
}

func ptrs(fs []File) []*File {
	var out []*File
	for i := range fs {
		out = append(out, &fs[i])
	}
	return out
}

func TestResolveForms(t *testing.T) {
	root := corpusDir(t)
	dir := filepath.Join(root, "redis-7.4.1", "aof-preamble")
	for _, p := range []string{dir, filepath.Join(dir, "appendonlydir"), filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest")} {
		s, err := Resolve(p, nil)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if s.Legacy || s.Base == nil || s.Base.Content != ContentRDB || len(s.Incrs) != 1 || s.Incrs[0].Content != ContentRESP ||
			s.Dir != filepath.Join(dir, "appendonlydir") || len(s.Findings) != 0 {
			t.Errorf("%s: %+v", p, s)
		}
	}
	for _, c := range []struct {
		path    string
		content Content
	}{
		{filepath.Join(root, "redis-7.0.15", "legacy-aof", "appendonly.aof"), ContentRESP},
		{filepath.Join(root, "redis-7.0.15", "legacy-aof"), ContentRESP},
		{filepath.Join(root, "redis-7.0.15", "legacy-aof-preamble"), ContentRDB},
		{filepath.Join(root, "upstream-assets", "redis", "rdb-preamble.aof"), ContentRDB},
	} {
		s, err := Resolve(c.path, nil)
		if err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if !s.Legacy || s.Base.Content != c.content || s.ManifestPath != "" || s.Manifest.Base.Seq != 1 || s.Base.Size <= 0 {
			t.Errorf("%s: %+v", c.path, s)
		}
		f, err := s.Open(s.Base)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestResolveConfigAndTemps(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"redis.conf": "# test\nappendonly yes\nappendfilename \"my.aof\"\nAPPENDDIRNAME aofs\n",
		"aofs/my.aof.manifest": "file my.aof.1.base.aof seq 1 type b\nfile my.aof.1.incr.aof seq 1 type h\n" +
			"file my.aof.2.incr.aof seq 2 type i\nfile my.aof.3.incr.aof seq 3 type i\n",
		"aofs/my.aof.1.base.aof":         "*1\r\n$4\r\nPING\r\n",
		"aofs/my.aof.2.incr.aof":         "",
		"aofs/my.aof.7.incr.aof":         "x",
		"aofs/temp-my.aof.incr":          "x",
		"aofs/appendonly.aof.1.base.rdb": "REDIS",
	})
	s, err := Resolve(dir, &ResolveOptions{ConfigPath: filepath.Join(dir, "redis.conf")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range s.Findings {
		got = append(got, f.Severity.String()+" "+f.Problem.String()+" "+f.Name)
	}
	want := []string{"error missing file my.aof.3.incr.aof", "warning file not in the manifest my.aof.7.incr.aof", "warning temporary file temp-my.aof.incr"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("findings %q, want %q", got, want)
	}
	if s.Incrs[0].Content != ContentEmpty || s.Base.Content != ContentRESP || s.History[0].Exists {
		t.Errorf("%+v", s)
	}
	// Without the config the single non-default manifest is still found.
	if s2, err := Resolve(filepath.Join(dir, "aofs"), nil); err != nil || s2.AppendFilename != "my.aof" {
		t.Errorf("without config: %v %+v", err, s2)
	}
}

func TestResolveStaysInDir(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"secret":                      "REDIS0011",
		"aof/appendonly.aof.manifest": "file .. seq 1 type b\nfile link seq 1 type i\n",
	})
	if err := os.Symlink(filepath.Join(dir, "secret"), filepath.Join(dir, "aof", "link")); err != nil {
		t.Skip(err)
	}
	s, err := Resolve(filepath.Join(dir, "aof"), nil)
	if err != nil {
		t.Fatal(err)
	}
	errs := s.Errors()
	if len(errs) != 2 || errs[0].Problem != ProblemNotRegular || errs[1].Problem != ProblemNotRegular {
		t.Errorf("findings %v", s.Findings)
	}
	if s.Incrs[0].Content != ContentUnknown {
		t.Errorf("the symlink out of the directory was read: %+v", s.Incrs[0])
	}
	if _, err := s.Open(&s.Incrs[0]); err == nil {
		t.Errorf("Open followed a symlink out of the directory")
	}
}

func TestResolveErrors(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"bad/appendonly.aof.manifest": "file a seq 1 type z\n",
		"empty/x":                     "",
		"conf":                        "appendfilename ../x\n",
	})
	var pe *ParseError
	if _, err := Resolve(filepath.Join(dir, "bad"), nil); !errors.As(err, &pe) || !errors.Is(err, ErrUnknownType) {
		t.Errorf("bad manifest: %v", err)
	}
	if _, err := Resolve(filepath.Join(dir, "empty"), nil); err == nil {
		t.Errorf("empty dir resolved")
	}
	if _, err := Resolve(dir, &ResolveOptions{ConfigPath: filepath.Join(dir, "conf")}); err == nil {
		t.Errorf("a path in appendfilename was accepted")
	}
}

func TestReadConfigValue(t *testing.T) {
	p := filepath.Join(t.TempDir(), "redis.conf")
	os.WriteFile(p, []byte("# aof-load-truncated yes\nAOF-LOAD-TRUNCATED yes\nappendonly yes\naof-load-truncated \"no\"\n"), 0o644)
	if v, ok, err := ReadConfigValue(p, "aof-load-truncated"); v != "no" || !ok || err != nil {
		t.Errorf("aof-load-truncated = %q, %v, %v; want the last one, no", v, ok, err)
	}
	if _, ok, err := ReadConfigValue(p, "appendfsync"); ok || err != nil {
		t.Errorf("appendfsync found: %v %v", ok, err)
	}
}
