package cmd

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var aofServers = []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"}

// countFrames counts RESP commands independently of aoffile: it skips an RDB
// part by locating the "*" after it only via the file's own size bookkeeping
// is not possible, so it counts "\r\n*<digits>\r\n$" frame starts plus a
// leading one.
func countFrames(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(string(data), "REDIS") {
		// RDB preamble: the RESP tail is the first '*' from which frames
		// chain contiguously to the end of the file.
		for q := 0; q < len(data); q++ {
			if data[q] == '*' {
				if n, ok := chain(data[q:]); ok {
					return n
				}
			}
		}
		return 0
	}
	re := regexp.MustCompile(`\*(\d+)\r\n`)
	n := 0
	for q := 0; q < len(data); {
		loc := re.FindSubmatchIndex(data[q:])
		if loc == nil {
			break
		}
		start := q + loc[0]
		argc, _ := strconv.Atoi(string(data[q+loc[2] : q+loc[3]]))
		p := q + loc[1]
		ok := true
		for k := 0; k < argc && ok; k++ {
			m := regexp.MustCompile(`^\$(\d+)\r\n`).FindSubmatch(data[p:])
			if m == nil {
				ok = false
				break
			}
			l, _ := strconv.Atoi(string(m[1]))
			p += len(m[0]) + l + 2
			if p > len(data) || data[p-2] != '\r' || data[p-1] != '\n' {
				ok = false
			}
		}
		if ok && (start == 0 || data[start-1] == '\n') {
			n++
			q = p
		} else {
			q = start + 1
		}
	}
	return n
}

// hashTree hashes every name, type, size, mode, mtime and content under
// dir (bbolt's requireDBNoChange, for a directory).
func hashTree(t *testing.T, dir string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%v\x00%d\x00%d\x00", p, info.Mode(), info.Size(), info.ModTime().UnixNano())
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			h.Write(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return string(h.Sum(nil))
}

// TestAOFReadOnly runs inspect, verify and repair --dry-run (with each
// repair choice) on every AOF set of the corpus and checks that nothing in
// it changed: names, sizes, modes, mtimes and contents.
func TestAOFReadOnly(t *testing.T) {
	c := corpusDir(t)
	var sets []string
	for _, srv := range aofServers {
		for _, pat := range []string{"aof-*", "legacy-aof*", "damaged/aof-*"} {
			m, _ := filepath.Glob(filepath.Join(c, srv, pat))
			sets = append(sets, m...)
		}
	}
	if len(sets) == 0 {
		t.Fatal("no AOF sets in the corpus")
	}
	runs := [][]string{
		{"inspect"}, {"inspect", "--json"}, {"verify"}, {"verify", "--json"},
		{"repair", "--dry-run"}, {"repair", "--dry-run", "--json", "--skip-corrupt"},
		{"repair", "--dry-run", "--drop-after"}, {"repair", "--dry-run", "--to-timestamp", "1"},
	}
	for _, p := range sets {
		t.Run(strings.TrimPrefix(p, c), func(t *testing.T) {
			before := hashTree(t, p)
			for _, args := range runs {
				if r := run(t, nil, append(args, p)...); r.code == 1 || r.code == 2 {
					t.Errorf("%v: exit %d\n%s", args, r.code, r.err)
				}
				if hashTree(t, p) != before {
					t.Fatalf("%v changed the input", args)
				}
			}
		})
	}
}

func TestAOFGoodSets(t *testing.T) {
	c := corpusDir(t)
	var cases []string
	for _, srv := range aofServers {
		for _, v := range []string{"aof-preamble", "aof-nopreamble", "aof-timestamp", "aof-timestamp-preamble"} {
			cases = append(cases, filepath.Join(c, srv, v))
		}
	}
	cases = append(cases, filepath.Join(c, "redis-7.0.15/legacy-aof/appendonly.aof"),
		filepath.Join(c, "redis-7.0.15/legacy-aof-preamble/appendonly.aof"),
		filepath.Join(c, "upstream-assets/redis/rdb-preamble.aof"))
	for _, p := range cases {
		t.Run(strings.TrimPrefix(p, c), func(t *testing.T) {
			before := hashTree(t, filepath.Dir(p))
			if r := run(t, nil, "verify", p); r.code != 0 {
				t.Fatalf("verify: exit %d\n%s%s", r.code, r.out, r.err)
			}
			r := run(t, nil, "inspect", "--json", p)
			if r.code != 0 {
				t.Fatalf("inspect: exit %d\n%s", r.code, r.err)
			}
			for _, rec := range byType(jsonLines(t, r.out), "aof_file") {
				var dir string
				if st, _ := os.Stat(p); !st.IsDir() {
					dir = filepath.Dir(p)
				} else {
					dir = filepath.Join(p, "appendonlydir")
				}
				want := countFrames(t, filepath.Join(dir, rec["name"].(string)))
				if got := int(rec["commands"].(float64)); got != want {
					t.Errorf("%s: %d commands, independent count %d", rec["name"], got, want)
				}
			}
			if hashTree(t, filepath.Dir(p)) != before {
				t.Error("input changed")
			}
		})
	}
}

func TestAOFDamagedSets(t *testing.T) {
	c := corpusDir(t)
	okRe := regexp.MustCompile(`filename=([^,]+), size=\d+, ok_up_to=(\d+)`)
	for _, srv := range aofServers {
		raw, err := os.ReadFile(filepath.Join(c, srv, "verdicts.json"))
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Verdicts []struct {
				Artifact string
				Kind     string
				Checker  struct {
					Rc     int
					Stdout string
				}
			}
		}
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
		for _, a := range v.Verdicts {
			if a.Kind != "aof-damaged" {
				continue
			}
			p := filepath.Join(c, srv, strings.TrimSuffix(a.Artifact, "/"))
			t.Run(srv+"/"+filepath.Base(p), func(t *testing.T) {
				before := hashTree(t, p)
				// --strict: redis-check-aof counts a torn tail as damage.
				r := run(t, nil, "verify", "--strict", "--json", p)
				want := 0
				if a.Checker.Rc == 1 {
					want = 3
				}
				if r.code != want {
					t.Fatalf("exit %d, want %d\n%s%s", r.code, want, r.out, r.err)
				}
				if strings.Contains(p, "unlisted") && !strings.Contains(r.out, "not in the manifest") {
					t.Errorf("no unlisted-file warning:\n%s", r.out)
				}
				files := map[string]map[string]any{}
				if want == 3 && r.out != "" {
					for _, rec := range byType(jsonLines(t, r.out), "aof_file") {
						files[rec["name"].(string)] = rec
					}
				}
				for _, m := range okRe.FindAllStringSubmatch(a.Checker.Stdout, -1) {
					rec := files[filepath.Base(m[1])]
					if rec == nil || !strings.Contains(a.Checker.Stdout, "not valid") {
						continue
					}
					if got := strconv.FormatInt(int64(rec["ok_up_to"].(float64)), 10); got != m[2] && rec["status"] == "damaged" {
						t.Errorf("%s: ok_up_to %s, checker %s", m[1], got, m[2])
					}
				}
				if hashTree(t, p) != before {
					t.Error("input changed")
				}
			})
		}
	}
}

func TestRepairCommand(t *testing.T) {
	c := corpusDir(t)
	src := filepath.Join(c, "redis-7.0.15/damaged/aof-incr-truncated")
	if r := run(t, nil, "repair", src); r.code != 2 || !strings.Contains(r.err, "--yes") {
		t.Fatalf("without --yes: exit %d %s", r.code, r.err)
	}
	out := filepath.Join(t.TempDir(), "out")
	if r := run(t, nil, "repair", "--yes", "--output", out, src); r.code != 0 {
		t.Fatalf("repair: exit %d %s%s", r.code, r.out, r.err)
	}
	if r := run(t, nil, "verify", out); r.code != 0 {
		t.Fatalf("verify after repair: exit %d %s", r.code, r.out)
	}
	g := filepath.Join(c, "redis-7.0.15/damaged/aof-incr-garbage")
	out2 := filepath.Join(t.TempDir(), "out")
	if r := run(t, nil, "repair", "--yes", "--skip-corrupt", "--output", out2, g); r.code != 4 {
		t.Fatalf("skip-corrupt: exit %d %s", r.code, r.err)
	}
	if r := run(t, nil, "verify", out2); r.code != 0 {
		t.Fatalf("verify after skip-corrupt: exit %d %s", r.code, r.out)
	}
	if r := run(t, nil, "repair", "--yes", filepath.Join(c, "redis-7.0.15/damaged/aof-base-rdb-truncated")); r.code != 3 || !strings.Contains(r.err, "offset") {
		t.Fatalf("rdb base: exit %d %s", r.code, r.err)
	}
}

// chain counts contiguous "*n" + n x "$len" frames (and "#" lines) covering
// all of data.
func chain(data []byte) (int, bool) {
	n, p := 0, 0
	num := regexp.MustCompile(`^[*$](\d+)\r\n`)
	for p < len(data) {
		if data[p] == '#' {
			i := strings.IndexByte(string(data[p:]), '\n')
			if i < 0 {
				return 0, false
			}
			p += i + 1
			continue
		}
		m := num.FindSubmatch(data[p:])
		if m == nil || data[p] != '*' {
			return 0, false
		}
		argc, _ := strconv.Atoi(string(m[1]))
		p += len(m[0])
		for k := 0; k < argc; k++ {
			m := num.FindSubmatch(data[p:])
			if m == nil || data[p] != '$' {
				return 0, false
			}
			l, _ := strconv.Atoi(string(m[1]))
			p += len(m[0]) + l + 2
			if p > len(data) {
				return 0, false
			}
		}
		n++
	}
	return n, true
}

// TestAOFVerifyQuiet: verify --quiet prints nothing for an intact set and
// still reports a damaged one.
func TestAOFVerifyQuiet(t *testing.T) {
	dir := corpusDir(t)
	r := run(t, nil, "verify", "--quiet", filepath.Join(dir, "redis-7.0.15", "aof-preamble", "appendonlydir"))
	if r.code != 0 || r.out != "" {
		t.Errorf("intact set: exit %d, output %q", r.code, r.out)
	}
	r = run(t, nil, "verify", "--quiet", filepath.Join(dir, "redis-7.0.15", "damaged", "aof-incr-garbage", "appendonlydir"))
	if r.code != 3 || !strings.Contains(r.out, "ok_up_to") {
		t.Errorf("damaged set: exit %d, output %q", r.code, r.out)
	}
}
