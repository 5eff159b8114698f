package aoffile

import (
	"bytes"
	"encoding/json"
	"errors"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// The corpus (see ../shared/corpus/README.md beside the repository) holds real AOF files of five
// servers and the output of their real redis-check-aof / valkey-check-aof.
// These tests replay every AOF artifact and compare with that output.

var corpusServers = []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"}

func corpusDir(t testing.TB) string { t.Helper(); return testcorpus.Dir(t) }

type checkerRun struct {
	Cmd    string `json:"cmd"`
	RC     int    `json:"rc"`
	Stdout string `json:"stdout"`
}

type verdict struct {
	Artifact  string          `json:"artifact"`
	Kind      string          `json:"kind"`
	Checker   checkerRun      `json:"checker"`
	Recheck   *checkerRun     `json:"recheck"`
	FixResult json.RawMessage `json:"fix_result"`
}

func loadVerdicts(t *testing.T, path string) []verdict {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Verdicts []verdict `json:"verdicts"`
		Results  []verdict `json:"results"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return append(v.Verdicts, v.Results...)
}

// analyzed is one "AOF analyzed: ..." line of check-aof.
type analyzed struct {
	file                     string
	size, okUpTo, line, diff int64
}

var (
	analyzedRE = regexp.MustCompile(`AOF analyzed: filename=(.*), size=(\d+), ok_up_to=(\d+), ok_up_to_line=(\d+), diff=(\d+)`)
	errLineRE  = regexp.MustCompile(`(?m)^0x\s*([0-9a-f]+): (.*)$`)
)

func parseAnalyzed(stdout string) []analyzed {
	var out []analyzed
	for _, m := range analyzedRE.FindAllStringSubmatch(stdout, -1) {
		a := analyzed{file: m[1]}
		a.size, _ = strconv.ParseInt(m[2], 10, 64)
		a.okUpTo, _ = strconv.ParseInt(m[3], 10, 64)
		a.line, _ = strconv.ParseInt(m[4], 10, 64)
		a.diff, _ = strconv.ParseInt(m[5], 10, 64)
		out = append(out, a)
	}
	return out
}

// manifestFiles returns the base then the incr file names of a manifest, in
// order, with a deliberately minimal parser (package manifest has the real one).
func manifestFiles(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var base, incr []string
	for _, ln := range strings.Split(string(b), "\n") {
		f := strings.Fields(ln)
		if len(f) < 6 || f[0] != "file" {
			continue
		}
		switch f[5] {
		case "b":
			base = append(base, f[1])
		case "i":
			incr = append(incr, f[1])
		}
	}
	return append(base, incr...)
}

// fileResult is what reading one file gave.
type fileResult struct {
	commands, annotations, ts int
	err                       error
	ok                        Position
	lastTS                    int64
}

func readFile(t *testing.T, path string, opts *Options) fileResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	o := *opts
	o.Size = st.Size()
	r := NewReader(f, &o)
	var res fileResult
	res.lastTS = NoTimestamp
	for {
		c, err := r.Next()
		if err != nil {
			if err != io.EOF {
				res.err = err
			}
			break
		}
		if c.Kind == KindCommand {
			res.commands++
		} else {
			res.annotations++
			if ts, ok := c.TS(); ok {
				res.ts++
				res.lastTS = ts
			} else if bytes.HasPrefix(c.Text, []byte("TS:")) {
				t.Errorf("%s: malformed timestamp annotation %q at %d", path, c.Text, c.Offset)
			}
		}
	}
	res.ok = r.OKUpTo()
	return res
}

// scanRESP is an independent, minimal RESP scanner: it counts commands and
// "#TS:" lines of well-formed RESP data, to cross-check the Reader.
func scanRESP(t *testing.T, b []byte) (commands, ts int) {
	t.Helper()
	num := func(i int) (int, int) {
		j := bytes.Index(b[i:], []byte("\r\n"))
		n, err := strconv.Atoi(string(b[i+1 : i+j]))
		if err != nil {
			t.Fatalf("scanRESP: bad number at %d", i)
		}
		return n, i + j + 2
	}
	for i := 0; i < len(b); {
		switch b[i] {
		case '#':
			if bytes.HasPrefix(b[i:], []byte("#TS:")) {
				ts++
			}
			i += bytes.IndexByte(b[i:], '\n') + 1
		case '*':
			n, j := num(i)
			for k := 0; k < n; k++ {
				l, j2 := num(j)
				j = j2 + l + 2
			}
			i = j
			commands++
		default:
			t.Fatalf("scanRESP: unexpected byte %q at %d", b[i], i)
		}
	}
	return commands, ts
}

var checksumOKRE = regexp.MustCompile(`\[offset (\d+)\] Checksum OK`)

// respPart returns the RESP bytes of a file: all of it, or what follows the
// RDB part, whose end is taken from the checker's "[offset N] Checksum OK".
func respPart(t *testing.T, path, stdout string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if Detect(b) != FormatRDB {
		return b
	}
	m := checksumOKRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("%s: no RDB end in the checker output", path)
	}
	end, _ := strconv.Atoi(m[1])
	return b[end:]
}

// TestCorpusCheckAOF reads every AOF artifact of every server and compares
// the outcome with the real checker's "AOF analyzed" lines: ok_up_to,
// ok_up_to_line, diff and the error message and offset.
func TestCorpusCheckAOF(t *testing.T) {
	root := corpusDir(t)
	checked := 0
	for _, srv := range append(corpusServers, "upstream-assets") {
		vs := loadVerdicts(t, filepath.Join(root, srv, "verdicts.json"))
		for _, v := range vs {
			if !strings.Contains(v.Artifact, "aof") || strings.Contains(v.Artifact, "manifest") ||
				strings.Contains(v.Artifact, "unlisted") || strings.Contains(v.Artifact, "truncated-to-ts") {
				continue
			}
			run := v.Checker
			if v.Recheck != nil {
				run = *v.Recheck // the stored files are the state after --fix
			}
			an := parseAnalyzed(run.Stdout)
			name := srv + "/" + v.Artifact
			t.Run(name, func(t *testing.T) {
				var dir string
				var files []string
				artifact := v.Artifact
				if srv == "upstream-assets" {
					artifact = strings.TrimPrefix(artifact, "upstream-assets/")
				}
				path := filepath.Join(root, srv, artifact)
				if st, err := os.Stat(path); err == nil && st.IsDir() {
					dir = path
					files = manifestFiles(t, filepath.Join(dir, "appendonly.aof.manifest"))
				} else {
					dir = filepath.Dir(path)
					files = []string{filepath.Base(path)}
				}
				if strings.Contains(v.Artifact, "aof-base-rdb-truncated") {
					res := readFile(t, filepath.Join(dir, files[0]), &Options{})
					var ce *rdbfile.CorruptError
					if !errors.As(res.err, &ce) || !errors.Is(res.err, io.ErrUnexpectedEOF) {
						t.Fatalf("truncated RDB base: got %v, want an rdbfile truncation", res.err)
					}
					return
				}
				// The checker stops at the first file with a problem.
				if len(an) == 0 || len(an) > len(files) || (len(an) < len(files) && an[len(an)-1].diff == 0) {
					t.Fatalf("checker analyzed %d files, manifest lists %d", len(an), len(files))
				}
				line := int64(1)
				for i, a := range an {
					fn := files[i]
					if filepath.Base(a.file) != fn {
						t.Fatalf("checker file %q, want %q", a.file, fn)
					}
					fp := filepath.Join(dir, fn)
					res := readFile(t, fp, &Options{Line: line, NoPreamble: i > 0})
					if res.ok.Offset != a.okUpTo || res.ok.Line != a.line {
						t.Errorf("%s: ok_up_to=%d ok_up_to_line=%d, checker says %d %d (err %v)",
							fn, res.ok.Offset, res.ok.Line, a.okUpTo, a.line, res.err)
					}
					st, _ := os.Stat(fp)
					if st.Size() != a.size || st.Size()-res.ok.Offset != a.diff {
						t.Errorf("%s: size %d diff %d, checker %d %d", fn, st.Size(), st.Size()-res.ok.Offset, a.size, a.diff)
					}
					if (a.diff > 0) != (res.err != nil) {
						t.Errorf("%s: diff=%d but err=%v", fn, a.diff, res.err)
					}
					if res.err != nil {
						checkErrAgainstChecker(t, fn, res.err, run.Stdout)
					} else {
						want, wantTS := scanRESP(t, respPart(t, fp, run.Stdout))
						if res.commands != want || res.ts != wantTS {
							t.Errorf("%s: %d commands %d #TS, independent scan %d %d", fn, res.commands, res.ts, want, wantTS)
						}
						if strings.Contains(v.Artifact, "timestamp") && i > 0 && (res.ts == 0 || res.lastTS < 1.7e9) {
							t.Errorf("%s: timestamps %d, last %d", fn, res.ts, res.lastTS)
						}
					}
					line = res.ok.Line
				}
				checked++
			})
		}
	}
	if checked < 40 {
		t.Errorf("only %d AOF artifacts checked", checked)
	}
}

// checkErrAgainstChecker compares a *SyntaxError with the checker's message.
func checkErrAgainstChecker(t *testing.T, fn string, err error, stdout string) {
	t.Helper()
	var se *SyntaxError
	if !errors.As(err, &se) {
		t.Fatalf("%s: error %v is not a *SyntaxError", fn, err)
	}
	if strings.Contains(stdout, " format error\n") {
		if !errors.Is(err, ErrFormat) {
			t.Errorf("%s: checker says format error, we say %v", fn, err)
		}
		return
	}
	m := errLineRE.FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("%s: no error line in checker output", fn)
	}
	off, _ := strconv.ParseInt(m[1], 16, 64)
	if se.Offset != off {
		t.Errorf("%s: error offset %#x, checker %#x", fn, se.Offset, off)
	}
	msg := m[2]
	if strings.HasPrefix(msg, `Expected \r\n, got: `) {
		msg = `Expected \r\n, got: ` // the checker prints stack garbage after EOF
	}
	if !strings.HasPrefix(se.Detail, msg) {
		t.Errorf("%s: detail %q, checker %q", fn, se.Detail, m[2])
	}
	if !errors.Is(err, ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("%s: %v should be a truncation", fn, err)
	}
}

// TestCorpusFixSizes checks that truncating at OKUpTo is what the real
// --fix did: the damaged incr file read by us gives ok_up_to equal to the
// size of the checker-fixed file, and the fixed file reads cleanly.
func TestCorpusFixSizes(t *testing.T) {
	root := corpusDir(t)
	for _, srv := range corpusServers {
		fixes := map[string]int64{} // artifact -> size_after_fix recorded by the real --fix
		for _, v := range loadVerdicts(t, filepath.Join(root, srv, "verdicts.json")) {
			var fr struct {
				SizeAfterFix int64 `json:"size_after_fix"`
			}
			if len(v.FixResult) > 0 && json.Unmarshal(v.FixResult, &fr) == nil && fr.SizeAfterFix > 0 {
				fixes[v.Artifact] = fr.SizeAfterFix
			}
		}
		for _, c := range []string{"aof-incr-truncated", "aof-incr-garbage"} {
			damaged := filepath.Join(root, srv, "damaged", c, "appendonlydir", "appendonly.aof.2.incr.aof")
			fixed := filepath.Join(root, srv, "damaged", c+"-fixed", "appendonlydir", "appendonly.aof.2.incr.aof")
			res := readFile(t, damaged, &Options{NoPreamble: true})
			st, err := os.Stat(fixed)
			if err != nil {
				t.Fatal(err)
			}
			if want, ok := fixes["damaged/"+c+"-fixed/appendonlydir"]; !ok || want != res.ok.Offset {
				t.Errorf("%s %s: ok_up_to %d, real --fix truncated to %d (recorded: %v)", srv, c, res.ok.Offset, want, ok)
			}
			if res.err == nil || res.ok.Offset != st.Size() {
				t.Errorf("%s %s: ok_up_to %d (err %v), fixed size %d", srv, c, res.ok.Offset, res.err, st.Size())
			}
			a, _ := os.ReadFile(damaged)
			b, _ := os.ReadFile(fixed)
			if !bytes.Equal(a[:st.Size()], b) {
				t.Errorf("%s %s: fixed file is not a prefix of the damaged one", srv, c)
			}
			if r := readFile(t, fixed, &Options{NoPreamble: true}); r.err != nil {
				t.Errorf("%s %s fixed: %v", srv, c, r.err)
			}
			t.Logf("%s %s: ok_up_to=%d line=%d (fixed file %d bytes)", srv, c, res.ok.Offset, res.ok.Line, st.Size())
		}
	}
}

// TestCorpusTruncatedToTimestamp checks that after the real
// --truncate-to-timestamp T every #TS left is <= T.
func TestCorpusTruncatedToTimestamp(t *testing.T) {
	root := corpusDir(t)
	re := regexp.MustCompile(`--truncate-to-timestamp (\d+)`)
	for _, srv := range corpusServers {
		for _, v := range loadVerdicts(t, filepath.Join(root, srv, "verdicts.json")) {
			m := re.FindStringSubmatch(v.Checker.Cmd)
			if m == nil {
				continue
			}
			limit, _ := strconv.ParseInt(m[1], 10, 64)
			dir := filepath.Join(root, srv, v.Artifact)
			line := int64(1)
			for i, fn := range manifestFiles(t, filepath.Join(dir, "appendonly.aof.manifest")) {
				f, err := os.Open(filepath.Join(dir, fn))
				if err != nil {
					t.Fatal(err)
				}
				r := NewReader(f, &Options{Line: line, NoPreamble: i > 0})
				for {
					c, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s %s: %v", srv, fn, err)
					}
					if ts, ok := c.TS(); ok && ts > limit {
						t.Errorf("%s %s: #TS:%d > %d left at %d", srv, fn, ts, limit, c.Offset)
					}
				}
				line = r.OKUpTo().Line
				f.Close()
			}
		}
	}
}

// corpusAOFFiles lists the good AOF files (base and incr) of the corpus.
func corpusAOFFiles(t testing.TB) []string {
	root := corpusDir(t)
	var out []string
	for _, srv := range corpusServers {
		for _, v := range []string{"aof-preamble", "aof-nopreamble", "aof-timestamp", "aof-timestamp-preamble"} {
			m, _ := filepath.Glob(filepath.Join(root, srv, v, "appendonlydir", "appendonly.aof.*.*.*"))
			out = append(out, m...)
		}
	}
	out = append(out,
		filepath.Join(root, "redis-7.0.15", "legacy-aof", "appendonly.aof"),
		filepath.Join(root, "redis-7.0.15", "legacy-aof-preamble", "appendonly.aof"),
		filepath.Join(root, "upstream-assets", "redis", "rdb-preamble.aof"),
		filepath.Join(root, "upstream-assets", "valkey", "rdb-preamble.aof"))
	return out
}

// TestCorpusPrefixes cuts real files at many offsets: every prefix must end
// cleanly at a record boundary or be reported as a truncation (never a
// format error, never a panic), with OKUpTo at a boundary not past the cut.
func TestCorpusPrefixes(t *testing.T) {
	files := corpusAOFFiles(t)
	if testing.Short() {
		files = files[:4]
	}
	for _, fn := range files {
		data, err := os.ReadFile(fn)
		if err != nil {
			t.Fatal(err)
		}
		step := 1
		if len(data) > 16<<10 {
			step = len(data)/150 + 1 // big files (RDB parts, RESP bases) are sampled
		}
		checkPrefixes(t, filepath.Base(filepath.Dir(filepath.Dir(fn)))+"/"+filepath.Base(fn), data, step)
	}
}
