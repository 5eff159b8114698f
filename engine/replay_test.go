package engine

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// respCmd is one command of an AOF with its byte offset.
type respCmd struct {
	argv   [][]byte
	offset int64
}

// parseRESP is a minimal AOF command reader for the tests: arrays of bulk
// strings, "#..." annotation lines skipped ("#TS:" values reported through
// ts). It stops with an error at the first malformed byte.
func parseRESP(data []byte, base int64, fn func(c respCmd, ts int64) error) error {
	i := 0
	line := func() ([]byte, error) {
		j := bytes.Index(data[i:], []byte("\r\n"))
		if j < 0 {
			return nil, io.ErrUnexpectedEOF
		}
		l := data[i : i+j]
		i += j + 2
		return l, nil
	}
	for i < len(data) {
		start := i
		if data[i] == '#' {
			l, err := line()
			if err != nil {
				return err
			}
			if ts, ok := bytes.CutPrefix(l, []byte("#TS:")); ok {
				n, err := strconv.ParseInt(string(ts), 10, 64)
				if err == nil {
					if err := fn(respCmd{offset: base + int64(start)}, n); err != nil {
						return err
					}
				}
			}
			continue
		}
		l, err := line()
		if err != nil {
			return err
		}
		if len(l) < 2 || l[0] != '*' {
			return fmt.Errorf("offset %d: expected '*', got %q", base+int64(start), l)
		}
		n, err := strconv.Atoi(string(l[1:]))
		if err != nil || n < 1 {
			return fmt.Errorf("offset %d: bad array length %q", base+int64(start), l)
		}
		argv := make([][]byte, n)
		for k := range argv {
			l, err := line()
			if err != nil {
				return err
			}
			if len(l) < 2 || l[0] != '$' {
				return fmt.Errorf("offset %d: expected '$', got %q", base+int64(i), l)
			}
			m, err := strconv.Atoi(string(l[1:]))
			if err != nil || m < 0 || i+m+2 > len(data) {
				return fmt.Errorf("offset %d: bad bulk length %q", base+int64(i), l)
			}
			argv[k] = data[i : i+m]
			i += m + 2
		}
		if err := fn(respCmd{argv: argv, offset: base + int64(start)}, -1); err != nil {
			return err
		}
	}
	return nil
}

// aofHist, when set, counts the replayed command names (lower case).
var aofHist map[string]int

// replayAOFFile loads one AOF file (RDB preamble or RESP) into e.
func replayAOFFile(e *Engine, path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	var base int64
	if bytes.HasPrefix(data, []byte("REDIS")) || bytes.HasPrefix(data, []byte("VALKEY")) {
		r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
		if err := e.LoadRDB(r); err != nil {
			return 0, fmt.Errorf("%s: %w", path, err)
		}
		base = r.Offset()
		data = data[base:]
	}
	n := 0
	err = parseRESP(data, base, func(c respCmd, ts int64) error {
		if c.argv == nil {
			e.SetTime(ts * 1000)
			return nil
		}
		n++
		if aofHist != nil {
			aofHist[strings.ToLower(string(c.argv[0]))]++
		}
		if err := e.Exec(c.argv); err != nil {
			return fmt.Errorf("%s: offset %d: %q: %w", path, c.offset, abbrev(c.argv), err)
		}
		return nil
	})
	return n, err
}

func abbrev(argv [][]byte) string {
	var parts []string
	for i, a := range argv {
		if i == 6 {
			parts = append(parts, "...")
			break
		}
		s := string(a)
		if len(s) > 40 {
			s = s[:40] + "..."
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}

// readManifest returns the base and incr file names of an appendonlydir
// manifest (history entries are skipped), ordered by seq as listed.
func readManifest(dir string) (base string, incr []string, err error) {
	f, err := os.Open(filepath.Join(dir, "appendonly.aof.manifest"))
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		kv := map[string]string{}
		for i := 0; i+1 < len(fields); i += 2 {
			kv[fields[i]] = fields[i+1]
		}
		switch kv["type"] {
		case "b":
			base = kv["file"]
		case "i":
			incr = append(incr, kv["file"])
		}
	}
	return base, incr, sc.Err()
}

// replayDir loads an appendonlydir: base, then every incr file.
func replayDir(e *Engine, dir string) (int, error) {
	base, incr, err := readManifest(dir)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, name := range append([]string{base}, incr...) {
		if name == "" {
			continue
		}
		n, err := replayAOFFile(e, filepath.Join(dir, name))
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// gtServerVersion reads the "server" object of a ground-truth file.
func gtServerVersion(t testing.TB, path string) ServerVersion {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g struct {
		Server map[string]string `json:"server"`
	}
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	if s, ok := g.Server["valkey_version"]; ok {
		v, err := ParseServerVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		v.Valkey = true
		return v
	}
	v, err := ParseServerVersion(g.Server["redis_version"])
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// checkAgainstGT compares the engine with a ground-truth file: DEBUG
// DIGEST and every key's DEBUG DIGEST-VALUE, and that the key sets agree.
func checkAgainstGT(t *testing.T, e *Engine, gtPath string) {
	t.Helper()
	gt := loadGT(t, gtPath)
	want := map[string]string{}
	for db, d := range gt.DBs {
		for _, k := range d.Keys {
			id, err := bstrID(k.Key)
			if err != nil {
				t.Fatal(err)
			}
			want[db+"\x00"+id] = k.DigestValue
		}
	}
	bad := 0
	for _, db := range e.DBs() {
		for _, k := range e.Keys(db) {
			id := strconv.Itoa(db) + "\x00" + keyID(k)
			w, ok := want[id]
			if !ok {
				t.Errorf("db %d key %q: in the engine, not in the ground truth", db, k)
				bad++
				continue
			}
			delete(want, id)
			if got := e.DigestValue(db, k); got != w {
				v, _, _ := e.Lookup(db, k)
				t.Errorf("db %d key %q (%s): DIGEST-VALUE %s, want %s", db, k, v.Kind, got, w)
				bad++
			}
		}
	}
	for id := range want {
		t.Errorf("key %q of the ground truth is missing from the engine", id)
		bad++
	}
	if got := e.Digest(); got != gt.DebugDigest {
		t.Errorf("DEBUG DIGEST %s, want %s (%d key differences)", got, gt.DebugDigest, bad)
	}
	if e.UndigestedKeys() != 0 {
		t.Errorf("%d keys left out of the digest", e.UndigestedKeys())
	}
	resp, _ := filepath.Glob(filepath.Join(filepath.Dir(gtPath), "appendonlydir", "*.base.aof"))
	checkV5Values(t, e, gtPath, len(resp) == 0)
}

// TestReplayCorpus replays every good AOF of the corpus (base + incr
// files, and the legacy single-file AOFs) and compares the result with the
// server's ground truth captured after the workload.
func TestReplayCorpus(t *testing.T) {
	dir := corpusDir(t)
	type tc struct{ name, path, gt string }
	var cases []tc
	for _, s := range corpusServers {
		for _, v := range []string{"aof-preamble", "aof-nopreamble", "aof-timestamp", "aof-timestamp-preamble"} {
			cases = append(cases, tc{s + "/" + v, filepath.Join(dir, s, v, "appendonlydir"), filepath.Join(dir, s, v, "gt.json")})
		}
	}
	cases = append(cases,
		tc{"redis-7.0.15/legacy-aof", filepath.Join(dir, "redis-7.0.15", "legacy-aof", "appendonly.aof"), filepath.Join(dir, "redis-7.0.15", "aof-nopreamble", "gt.json")},
		tc{"redis-7.0.15/legacy-aof-preamble", filepath.Join(dir, "redis-7.0.15", "legacy-aof-preamble", "appendonly.aof"), filepath.Join(dir, "redis-7.0.15", "aof-preamble", "gt.json")},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := New(gtServerVersion(t, c.gt))
			var n int
			var err error
			if strings.HasSuffix(c.path, ".aof") {
				n, err = replayAOFFile(e, c.path)
			} else {
				n, err = replayDir(e, c.path)
			}
			if err != nil {
				t.Fatal(err)
			}
			if e.InMulti() {
				t.Errorf("AOF ends inside MULTI")
			}
			checkAgainstGT(t, e, c.gt)
			if !t.Failed() {
				t.Logf("%v: %d commands, digest %s", e.Version(), n, e.Digest())
			}
		})
	}
}
