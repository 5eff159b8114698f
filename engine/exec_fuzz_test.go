package engine

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// Fuzz targets for the engine: Exec on command streams (RESP, as in an AOF)
// and LoadRDB on RDB files. Properties: no panic; memory bounded by the
// input (offset-driven growth such as SETRANGE is capped by the harness, as
// the server's own 512 MB limit is far above what a fuzzer can afford);
// Digest succeeds afterwards and is 40 hex digits.

// serverSeedsFile holds DUMP payloads, FUNCTION DUMP payloads and HYLL
// strings captured from redis-server 7.0.15 (RDBKIT_WRITE_FUZZ_SEEDS=1
// go test ./engine -run TestWriteServerFuzzSeeds rewrites it). One line per
// value: kind, name, hex bytes, separated by tabs.
const serverSeedsFile = "testdata/server-seeds-7.0.15.txt"

type serverSeed struct {
	kind, name string // kind: "dump", "function", "hll"
	data       []byte
}

func readServerSeeds(tb testing.TB) []serverSeed {
	tb.Helper()
	b, err := os.ReadFile(serverSeedsFile)
	if err != nil {
		tb.Fatal(err)
	}
	var out []serverSeed
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			tb.Fatalf("%s: bad line %q", serverSeedsFile, line)
		}
		data, err := hex.DecodeString(f[2])
		if err != nil {
			tb.Fatalf("%s: %v", serverSeedsFile, err)
		}
		out = append(out, serverSeed{f[0], f[1], data})
	}
	if len(out) == 0 {
		tb.Fatalf("%s holds no seeds", serverSeedsFile)
	}
	return out
}

// TestWriteServerFuzzSeeds captures the seeds of serverSeedsFile from the
// local redis-server. It runs only with RDBKIT_WRITE_FUZZ_SEEDS=1.
func TestWriteServerFuzzSeeds(t *testing.T) {
	if os.Getenv("RDBKIT_WRITE_FUZZ_SEEDS") != "1" {
		t.Skip("set RDBKIT_WRITE_FUZZ_SEEDS=1 to rewrite " + serverSeedsFile)
	}
	c, v, _ := startServer(t, "--appendonly", "no", "--list-compress-depth", "1")
	var cmds [][]string
	add := func(a ...string) { cmds = append(cmds, a) }
	add("SET", "str:int", "12345")
	add("SET", "str:embstr", "hello")
	add("SET", "str:raw", strings.Repeat("0123456789", 5))
	add("SET", "str:lzf", strings.Repeat("abcabcabd", 40))
	add("SET", "str:bin", "\x00\xff\r\n\x01")
	add("RPUSH", "list:small", "a", "1", "-7", "", strings.Repeat("x", 70))
	for i := range 600 {
		add("RPUSH", "list:big", strconv.Itoa(i), strings.Repeat("v", i%90))
	}
	add("SADD", "set:intset", "1", "-2", "300000", "9223372036854775807")
	add("SADD", "set:hashtable", "a", "b", "", "\x00")
	add("ZADD", "zset:listpack", "1", "a", "-2.5", "b", "inf", "c")
	for i := range 200 {
		add("ZADD", "zset:skiplist", strconv.Itoa(i*7%101)+".25", "m"+strconv.Itoa(i))
	}
	add("HSET", "hash:listpack", "f", "v", "n", "12", "e", "")
	for i := range 200 {
		add("HSET", "hash:hashtable", "f"+strconv.Itoa(i), strings.Repeat("h", i%80))
	}
	for i := range 30 {
		add("XADD", "stream", strconv.Itoa(1000+i)+"-"+strconv.Itoa(i%3), "f", strconv.Itoa(i), "g", "v")
	}
	add("XGROUP", "CREATE", "stream", "g1", "0")
	add("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "stream", ">")
	add("XGROUP", "CREATE", "stream", "g2", "$")
	add("XDEL", "stream", "1003-0")
	add("XADD", "stream:empty", "1-1", "a", "b")
	add("XDEL", "stream:empty", "1-1")
	add("PFADD", "hll:sparse", "a", "b", "c", "d")
	for i := range 40 {
		args := []string{"PFADD", "hll:dense"}
		for j := range 100 {
			args = append(args, "e"+strconv.Itoa(i*100+j))
		}
		add(args...)
	}
	add("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('f', function() return 1 end)")
	add("FUNCTION", "LOAD", "#!lua name=other\nredis.register_function{function_name='g', callback=function() return 2 end, flags={'no-writes'}}")
	c.pipeline(t, cmds)

	var out bytes.Buffer
	fmt.Fprintf(&out, "# captured from %v by TestWriteServerFuzzSeeds (exec_fuzz_test.go)\n", v)
	for _, k := range []string{"str:int", "str:embstr", "str:raw", "str:lzf", "str:bin", "list:small", "list:big",
		"set:intset", "set:hashtable", "zset:listpack", "zset:skiplist", "hash:listpack", "hash:hashtable",
		"stream", "stream:empty", "hll:sparse", "hll:dense"} {
		p, ok := c.do(t, "DUMP", k).(string)
		if !ok {
			t.Fatalf("DUMP %s: not a string", k)
		}
		fmt.Fprintf(&out, "dump\t%s\t%x\n", k, p)
	}
	for _, k := range []string{"hll:sparse", "hll:dense"} {
		fmt.Fprintf(&out, "hll\t%s\t%x\n", k, c.do(t, "GET", k).(string))
	}
	fmt.Fprintf(&out, "function\tall\t%x\n", c.do(t, "FUNCTION", "DUMP").(string))
	if err := os.WriteFile(serverSeedsFile, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fuzzResp encodes argv as a RESP array of bulk strings.
func fuzzResp(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

func fuzzResps(cmds ...[]string) []byte {
	var b []byte
	for _, c := range cmds {
		b = append(b, fuzzResp(c...)...)
	}
	return b
}

// fuzzVersions are the server versions FuzzExec and FuzzLoadRDB choose from.
var fuzzVersions = func() []ServerVersion {
	var out []ServerVersion
	for _, s := range []string{"7.0.15", "6.2.14", "7.2.6", "7.4.1", "8.0.0", "8.8.0", "valkey-8.0.1", "valkey-9.0.0"} {
		v, err := ParseServerVersion(s)
		if err != nil {
			panic(err)
		}
		out = append(out, v)
	}
	return out
}()

// fixFooter rewrites the CRC-64 of a DUMP or FUNCTION DUMP payload so that
// mutated payloads get past the checksum to the decoders.
func fixFooter(p []byte) []byte {
	if len(p) < 10 {
		return p
	}
	body := clone(p[:len(p)-10])
	return rdbfile.AppendDumpFooter(body, int(binary.LittleEndian.Uint16(p[len(p)-10:])))
}

// execSeeds returns the seeds of FuzzExec: the server's DUMP payloads,
// FUNCTION DUMP payloads and HYLL strings in commands that read them, and
// the commands of the corpus's AOF files in chunks.
func execSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	var hlls [][]byte
	for _, s := range readServerSeeds(tb) {
		p := string(s.data)
		switch s.kind {
		case "dump":
			seeds = append(seeds, fuzzResps(
				[]string{"RESTORE", "k", "0", p},
				[]string{"RESTORE", "k", "4102444800000", p, "REPLACE", "ABSTTL", "IDLETIME", "3"},
				[]string{"COPY", "k", "k2"},
				[]string{"RENAME", "k2", "k3"},
			))
			if strings.HasPrefix(s.name, "hll:") {
				seeds = append(seeds, fuzzResps(
					[]string{"RESTORE", "h", "0", p},
					[]string{"PFCOUNT", "h"},
					[]string{"PFADD", "h", "x", "y"},
					[]string{"PFMERGE", "d", "h"},
				))
			}
		case "function":
			seeds = append(seeds, fuzzResps(
				[]string{"FUNCTION", "RESTORE", p},
				[]string{"FUNCTION", "RESTORE", p, "REPLACE"},
				[]string{"FUNCTION", "DELETE", "mylib"},
				[]string{"FUNCTION", "RESTORE", p, "FLUSH"},
			))
		case "hll":
			hlls = append(hlls, s.data)
		}
	}
	if len(hlls) < 2 {
		tb.Fatalf("%s: want a sparse and a dense HYLL string", serverSeedsFile)
	}
	sparse, dense := string(hlls[0]), string(hlls[1])
	seeds = append(seeds,
		fuzzResps([]string{"SET", "a", sparse}, []string{"PFCOUNT", "a"}, []string{"PFADD", "a", "z"}),
		fuzzResps([]string{"SET", "a", dense}, []string{"SET", "b", sparse}, []string{"PFMERGE", "c", "a", "b"}, []string{"PFCOUNT", "a", "b", "c"}),
		fuzzResps([]string{"SET", "a", dense[:len(dense)/2]}, []string{"PFCOUNT", "a"}),
		fuzzResps([]string{"SET", "a", sparse[:16] + "\x7f\xff\xff"}, []string{"PFADD", "a", "q"}, []string{"PFMERGE", "a", "a"}),
		fuzzResps([]string{"SET", "a", "HYLL"}, []string{"PFCOUNT", "a"}),
		fuzzResps([]string{"PFADD", "a", "1", "2"}, []string{"APPEND", "a", "\x00\x00"}, []string{"PFCOUNT", "a"}),
		fuzzResps([]string{"SETRANGE", "s", "5", "x"}, []string{"SETBIT", "s", "100", "1"}, []string{"BITFIELD", "s", "SET", "u8", "#3", "255", "INCRBY", "i5", "60", "7"}),
		fuzzResps([]string{"MULTI"}, []string{"SET", "k", "v"}, []string{"SELECT", "3"}, []string{"EXEC"}, []string{"SWAPDB", "0", "3"}),
	)
	for _, p := range rdbDumpPayloads(tb) {
		seeds = append(seeds, fuzzResps([]string{"RESTORE", "k", "0", string(p), "REPLACE"}, []string{"PFCOUNT", "k"}))
	}
	seeds = append(seeds, corpusCommandSeeds(tb)...)
	return seeds
}

// rdbDumpPayloads builds DUMP payloads (FORMATS.md §1.12: type byte, value
// bytes, RDB version, CRC-64) from the values of the small sample RDB files
// of the repository and the corpus, one per type id and file: the newer
// encodings (listpack sets, hashes with field TTLs, Valkey's) that the 7.0.15
// server's own DUMP never writes.
func rdbDumpPayloads(tb testing.TB) [][]byte {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "rdb", "*.rdb"))
	if root := testcorpus.Path(); root != "" {
		m, _ := filepath.Glob(filepath.Join(root, "*", "rdb", "*.rdb"))
		files = append(files, m...)
	}
	var out [][]byte
	for _, fn := range files {
		data, err := os.ReadFile(fn)
		if err != nil || len(data) > 256<<10 {
			continue
		}
		r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
		h, err := r.Header()
		if err != nil {
			continue
		}
		seen := map[rdbfile.Type]bool{}
		for {
			ent, err := r.Next()
			if err != nil {
				break
			}
			if ent.Kind != rdbfile.EntryKey || seen[ent.Type] {
				continue
			}
			if err := ent.Skip(); err != nil {
				break
			}
			end := ent.Offset + ent.Size
			if ent.ValueOffset <= 0 || end > int64(len(data)) || ent.ValueOffset > end || end-ent.ValueOffset > 16<<10 {
				continue
			}
			seen[ent.Type] = true
			p := append([]byte{byte(ent.Type)}, data[ent.ValueOffset:end]...)
			out = append(out, rdbfile.AppendDumpFooter(p, h.Version))
		}
	}
	return out
}

// corpusCommandSeeds cuts the commands of the corpus's AOF files (RESP
// part only) into chunks of up to 40 commands, a few chunks per file.
func corpusCommandSeeds(tb testing.TB) [][]byte {
	root := testcorpus.Path()
	if root == "" {
		return nil
	}
	var files []string
	for _, srv := range testcorpus.Servers {
		for _, v := range []string{"aof-nopreamble", "aof-timestamp"} {
			m, _ := filepath.Glob(filepath.Join(root, srv, v, "appendonlydir", "appendonly.aof.*.*.aof"))
			files = append(files, m...)
		}
	}
	var seeds [][]byte
	for _, fn := range files {
		f, err := os.Open(fn)
		if err != nil {
			continue
		}
		r := aoffile.NewReader(bufio.NewReader(f), &aoffile.Options{NoPreamble: true, SkipAnnotations: true})
		var chunk []byte
		n, chunks := 0, 0
		for chunks < 4 {
			c, err := r.Next()
			if err != nil {
				break
			}
			args := make([]string, len(c.Args))
			for i, a := range c.Args {
				args[i] = string(a)
			}
			chunk = append(chunk, fuzzResp(args...)...)
			if n++; n == 40 {
				seeds, chunk, n = append(seeds, chunk), nil, 0
				chunks++
			}
		}
		if len(chunk) > 0 {
			seeds = append(seeds, chunk)
		}
		f.Close()
	}
	return seeds
}

// growthCapped reports whether argv is a command whose memory grows with
// an offset argument (SETRANGE, SETBIT, BITFIELD) and one of its numbers
// is over 64 KiB: the harness skips those commands.
func growthCapped(argv [][]byte) bool {
	if len(argv) == 0 {
		return false
	}
	switch strings.ToLower(string(argv[0])) {
	case "setrange", "setbit", "bitfield", "bitfield_ro":
	default:
		return false
	}
	for _, a := range argv[1:] {
		s := strings.TrimPrefix(string(a), "#")
		if n, err := strconv.ParseInt(s, 10, 64); err == nil && (n > 1<<16 || n < -(1<<16)) {
			return true
		}
		if _, err := strconv.ParseUint(s, 10, 64); err != nil && len(s) > 18 && strings.Trim(s, "0123456789+-") == "" {
			return true // out of int64 range
		}
	}
	return false
}

var hexDigest = regexp.MustCompile(`^[0-9a-f]{40}$`)

func checkDigest(t *testing.T, e *Engine) {
	t.Helper()
	if d := e.Digest(); !hexDigest.MatchString(d) {
		t.Fatalf("Digest() = %q", d)
	}
	unknown := 0
	for _, n := range e.DBs() {
		for _, k := range e.Keys(n) {
			switch d := e.DigestValue(n, k); {
			case d == "":
				unknown++
			case !hexDigest.MatchString(d):
				t.Fatalf("DigestValue(%d, %q) = %q", n, k, d)
			}
		}
	}
	if unknown != e.UndigestedKeys() {
		t.Fatalf("%d values without a digest, UndigestedKeys %d", unknown, e.UndigestedKeys())
	}
}

// FuzzExec runs a RESP command stream through Exec. fixCRC rewrites the
// checksum of RESTORE and FUNCTION RESTORE payloads, so that damaged
// payloads reach the value decoders; ver picks the server version.
func FuzzExec(f *testing.F) {
	for _, s := range execSeeds(f) {
		f.Add(s, uint8(0), true)
	}
	f.Add(fuzzResps([]string{"RESTORE", "k", "0", "\x00\x03abc\x0a\x00\x00\x00\x00\x00\x00\x00\x00\x00"}), uint8(0), true)
	f.Fuzz(func(t *testing.T, data []byte, ver uint8, fixCRC bool) {
		if len(data) > 1<<20 {
			t.Skip("input over 1 MiB")
		}
		v := fuzzVersions[int(ver)%len(fuzzVersions)]
		e := NewWithOptions(v, Options{Now: func() int64 { return 1795236325000 }})
		r := aoffile.NewReader(bytes.NewReader(data), &aoffile.Options{NoPreamble: true, SkipAnnotations: true, Size: int64(len(data))})
		for {
			c, err := r.Next()
			if err != nil {
				break
			}
			argv := c.Args
			if growthCapped(argv) {
				continue
			}
			if fixCRC && len(argv) >= 4 && (eq(argv[0], "restore") || eq(argv[0], "restore-asking")) {
				argv = append([][]byte{}, argv...)
				argv[3] = fixFooter(argv[3])
			}
			if fixCRC && len(argv) >= 3 && eq(argv[0], "function") && eq(argv[1], "restore") {
				argv = append([][]byte{}, argv...)
				argv[2] = fixFooter(argv[2])
			}
			_ = e.Exec(argv) // error replies are expected; panics are not
		}
		if e.InMulti() {
			_ = e.Exec([][]byte{[]byte("EXEC")})
		}
		checkDigest(t, e)
	})
}

// loadRDBSeeds returns the seeds of FuzzLoadRDB: rdbfile's FuzzReader seed
// corpus (testdata/fuzz/FuzzReader), the repository's sample RDB files and
// the corpus's RDB files up to 64 KiB.
func loadRDBSeeds(tb testing.TB) [][]byte {
	var seeds [][]byte
	if m, err := filepath.Glob(filepath.Join("..", "rdbfile", "testdata", "fuzz", "FuzzReader", "*")); err == nil {
		for _, p := range m {
			if b, err := readFuzzSeedBytes(p); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	var files []string
	files, _ = filepath.Glob(filepath.Join("..", "testdata", "rdb", "*.rdb"))
	if root := testcorpus.Path(); root != "" {
		m, _ := filepath.Glob(filepath.Join(root, "*", "rdb", "*.rdb"))
		files = append(files, m...)
		m, _ = filepath.Glob(filepath.Join(root, "upstream-assets", "*", "*.rdb"))
		files = append(files, m...)
	}
	for _, fn := range files {
		if st, err := os.Stat(fn); err == nil && st.Size() <= 64<<10 {
			if b, err := os.ReadFile(fn); err == nil {
				seeds = append(seeds, b)
			}
		}
	}
	return seeds
}

// readFuzzSeedBytes reads a "go test fuzz v1" file holding one []byte.
func readFuzzSeedBytes(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.SplitN(string(b), "\n", 3)
	if len(lines) < 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "[]byte(") {
		return nil, fmt.Errorf("%s: not a []byte seed", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
	return []byte(s), err
}

// FuzzLoadRDB loads arbitrary bytes as an RDB file: an error, or an engine
// that digests.
func FuzzLoadRDB(f *testing.F) {
	for _, s := range loadRDBSeeds(f) {
		f.Add(s, uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, ver uint8) {
		if len(data) > 1<<20 {
			t.Skip("input over 1 MiB")
		}
		v := fuzzVersions[int(ver)%len(fuzzVersions)]
		e := New(v)
		r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
		if err := e.LoadRDB(r); err != nil {
			if err == io.EOF {
				t.Fatalf("LoadRDB returned io.EOF")
			}
			return
		}
		checkDigest(t, e)
	})
}

// TestServerFuzzSeeds checks that FuzzExec's seeds reach the decoders: every
// captured DUMP payload restores, the FUNCTION DUMP payload restores both
// libraries, and PFCOUNT reads both HYLL strings.
func TestServerFuzzSeeds(t *testing.T) {
	e := newEngine(t, "7.0.15")
	for _, s := range readServerSeeds(t) {
		var err error
		switch s.kind {
		case "dump":
			err = e.Exec([][]byte{[]byte("RESTORE"), []byte(s.name), []byte("0"), s.data})
		case "function":
			if err = e.Exec([][]byte{[]byte("FUNCTION"), []byte("RESTORE"), s.data}); err == nil && len(e.Functions()) != 2 {
				t.Errorf("FUNCTION RESTORE gave %d libraries, want 2", len(e.Functions()))
			}
		case "hll":
			k := []byte("copy:" + s.name)
			if err = e.Exec([][]byte{[]byte("SET"), k, s.data}); err == nil {
				err = e.Exec([][]byte{[]byte("PFCOUNT"), k})
			}
		}
		if err != nil {
			t.Errorf("%s %s: %v", s.kind, s.name, err)
		}
	}
	if got := e.Len(0); got != 19 {
		t.Errorf("%d keys restored, want 19", got)
	}
	// The payloads built from sample RDB files restore too (on the newest
	// versions, which accept every RDB version).
	ps := rdbDumpPayloads(t)
	if len(ps) < 10 {
		t.Fatalf("only %d DUMP payloads from the sample RDB files", len(ps))
	}
	ok := 0
	for _, p := range ps {
		for _, v := range []string{"8.8.0", "valkey-9.0.0"} {
			if newEngine(t, v).Exec([][]byte{[]byte("RESTORE"), []byte("k"), []byte("0"), p}) == nil {
				ok++
				break
			}
		}
	}
	if ok < len(ps)*3/4 {
		t.Errorf("%d of %d DUMP payloads from sample RDB files restore", ok, len(ps))
	}
	t.Logf("%d of %d DUMP payloads from sample RDB files restore", ok, len(ps))
}
