package cmd

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// respCmds encodes commands as RESP arrays of bulk strings, as an AOF holds them.
func respCmds(cmds ...[]string) []byte {
	var b bytes.Buffer
	for _, c := range cmds {
		b.WriteString("*" + strconv.Itoa(len(c)) + "\r\n")
		for _, a := range c {
			b.WriteString("$" + strconv.Itoa(len(a)) + "\r\n" + a + "\r\n")
		}
	}
	return b.Bytes()
}

// aofSet writes a multi-part AOF set (manifest, base, one incr file) into a
// new directory and returns the directory.
func aofSet(t *testing.T, base []byte, baseRDB bool, incr []byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "appendonlydir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	baseName := "appendonly.aof.1.base.aof"
	if baseRDB {
		baseName = "appendonly.aof.1.base.rdb"
	}
	files := map[string][]byte{
		baseName:                    base,
		"appendonly.aof.1.incr.aof": incr,
		"appendonly.aof.manifest":   []byte("file " + baseName + " seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"),
	}
	for n, b := range files {
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTargetNamesEverywhere: every release name works on RDB and AOF inputs
// alike (a "target" line for it), and an unknown name is a usage error on
// both, never silently dropped.
func TestTargetNamesEverywhere(t *testing.T) {
	set := aofSet(t, respCmds([]string{"SET", "a", "1"}), false, respCmds([]string{"SET", "k", "v"}))
	for _, name := range release.Names() {
		for _, in := range []string{sample, set} {
			r := run(t, nil, "verify", "--target", name, in)
			if r.code != 0 && r.code != 3 {
				t.Errorf("verify --target %s %s: exit %d\n%s%s", name, in, r.code, r.out, r.err)
			}
			if !strings.Contains(r.out, "target:\t"+name+": ") {
				t.Errorf("verify --target %s %s: no verdict for the target\n%s", name, in, r.out)
			}
		}
		// The AOF set of plain SETs loads everywhere.
		if r := run(t, nil, "verify", "--target", name, set); r.code != 0 || !strings.Contains(r.out, name+": loads\n") {
			t.Errorf("verify --target %s on a SET-only set: exit %d\n%s", name, r.code, r.out)
		}
	}
	for _, bad := range []string{"valkey-7.0", "redis-6.2", "redis-8.1", "keydb-6.3"} {
		for _, in := range []string{sample, set} {
			if r := run(t, nil, "verify", "--target", bad, in); r.code != 2 || !strings.Contains(r.err, "unknown --target") {
				t.Errorf("verify --target %s %s: exit %d, want 2\n%s", bad, in, r.code, r.err)
			}
		}
	}
}

// TestAOFTargetChecksBase: --target checks the RDB base of an AOF set (its
// version, types and opcodes), not only the commands.
func TestAOFTargetChecksBase(t *testing.T) {
	set := aofSet(t, readFile(t, sample), true, respCmds([]string{"SET", "k", "v"}))
	r := run(t, nil, "verify", "--target", "redis-7.2", set)
	if r.code != 3 || !strings.Contains(r.out, "target:\tredis-7.2: will NOT load: appendonly.aof.1.base.rdb: RDB version 12 > 11") ||
		!strings.Contains(r.out, "HASH_LISTPACK_EX (Redis 7.4+ only) in appendonly.aof.1.base.rdb") ||
		!strings.Contains(r.out, "verdict:\tintact, but NOT loadable by every --target") {
		t.Errorf("RDB 12 base on redis-7.2: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := run(t, nil, "verify", "--target", "redis-7.4", set); r.code != 0 || !strings.Contains(r.out, "redis-7.4: loads\n") {
		t.Errorf("RDB 12 base on redis-7.4: exit %d\n%s", r.code, r.out)
	}
}

// TestAOFTargetCommandNotDamaged: an intact set holding a command the target
// lacks "will NOT load" there; the set is not damaged.
func TestAOFTargetCommandNotDamaged(t *testing.T) {
	set := aofSet(t, respCmds([]string{"SET", "a", "1"}), false,
		respCmds([]string{"HSETEX", "h", "FIELDS", "1", "f", "v"}, []string{"HSETEX", "h2", "FIELDS", "1", "f", "v"}))
	r := run(t, nil, "verify", "--target", "redis-7.2", set)
	if r.code != 3 || strings.Contains(r.out, "damaged") ||
		!strings.Contains(r.out, "redis-7.2: will NOT load: 2 commands use HSETEX (Redis 8.0+ only), first in appendonly.aof.1.incr.aof at offset 0: \"h\", \"h2\"") ||
		!strings.Contains(r.out, "verdict:\tintact, but NOT loadable") {
		t.Errorf("HSETEX on redis-7.2: exit %d\n%s%s", r.code, r.out, r.err)
	}
	recs := jsonLines(t, run(t, nil, "verify", "--json", "--target", "redis-7.2,redis-8.0", set).out)
	for _, f := range byType(recs, "aof_file") {
		if f["status"] != "intact" {
			t.Errorf("file %v: status %v", f["name"], f["status"])
		}
	}
	tg := byType(recs, "target")
	if len(tg) != 2 || tg[0]["status"] != "refused" || tg[1]["status"] != "loads" {
		t.Errorf("target records %v", tg)
	}
	if s := byType(recs, "aof_set"); len(s) != 1 || s[0]["status"] != "intact" || s[0]["exit_code"] != 3.0 {
		t.Errorf("aof_set %v", s)
	}
}

// TestAOFUnknownCommand: without --target, a command no release has (a
// flipped name) makes the set damaged; so does one that no release able to
// load the base has.
func TestAOFUnknownCommand(t *testing.T) {
	set := aofSet(t, respCmds([]string{"SET", "a", "1"}), false, respCmds([]string{"SET", "k", "v"}, []string{"SDT", "k", "v"}))
	r := run(t, nil, "verify", set)
	if r.code != 3 || !strings.Contains(r.out, `unknown command "sdt" for any known release`) || !strings.Contains(r.out, "verdict:\tdamaged") {
		t.Errorf("flipped command name: exit %d\n%s%s", r.code, r.out, r.err)
	}
	// A VALKEY080 base: only Valkey 9 loads it, and no Valkey has ARSET.
	vk := readFile(t, "../testdata/rdb/valkey-9-hash2-rdb80.rdb")
	set = aofSet(t, vk, true, respCmds([]string{"ARSET", "a", "0", "x"}))
	r = run(t, nil, "verify", set)
	if r.code != 3 || !strings.Contains(r.out, `unknown command "arset" for any of the 2 releases that load this AOF's RDB base (valkey-9.0 ... valkey-9.1)`) {
		t.Errorf("ARSET after a VALKEY080 base: exit %d\n%s%s", r.code, r.out, r.err)
	}
	set = aofSet(t, vk, true, respCmds([]string{"HSETEX", "h", "FIELDS", "1", "f", "v"}))
	if r := run(t, nil, "verify", set); r.code != 0 {
		t.Errorf("HSETEX after a VALKEY080 base: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

// encLen is rdbSaveLen (src/rdb.c): the RDB length encoding.
func encLen(n uint64) []byte {
	switch {
	case n < 1<<6:
		return []byte{byte(n)}
	case n < 1<<14:
		return []byte{0x40 | byte(n>>8), byte(n)}
	case n <= 0xFFFFFFFF:
		return binary.BigEndian.AppendUint32([]byte{0x80}, uint32(n))
	}
	return binary.BigEndian.AppendUint64([]byte{0x81}, n)
}

// TestStreamLengthGate: Redis 8.8+ refuses a stream whose stored length
// differs from its live entries; older targets load it. The file is the
// committed Redis 7.0.15 dump with one stream's length field raised by one
// (it is followed by the last ID, whose encoding locates it) and the CRC
// trailer zeroed ("rdbchecksum no").
func TestStreamLengthGate(t *testing.T) {
	data := readFile(t, "../testdata/rdb/redis-7.0.15-dump.rdb")
	r := rdbfile.NewReader(bytes.NewReader(data), nil)
	var key string
	var field []byte
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != rdbfile.EntryKey || e.ValueKind != rdbfile.KindStream || key != "" {
			continue
		}
		off, k := e.Offset, string(e.Key)
		if err := e.Skip(); err != nil {
			t.Fatal(err)
		}
		st := e.StreamMeta()
		pat := append(append(encLen(st.Length), encLen(st.LastID.Ms)...), encLen(st.LastID.Seq)...)
		i := bytes.Index(data[off:off+e.Size], pat)
		if st.Length == 0 || st.Length >= 63 || i < 0 {
			continue
		}
		key, field = k, data[off+int64(i):off+int64(i)+1]
	}
	if key == "" {
		t.Fatal("no stream to patch in the fixture")
	}
	field[0]++ // the stored length, a one-byte length
	binary.LittleEndian.PutUint64(data[len(data)-8:], 0)
	p := filepath.Join(t.TempDir(), "stream-len.rdb")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	res := run(t, nil, "verify", "--target", "redis-8.8,redis-8.10,redis-8.6,valkey-9.0", p)
	for _, want := range []string{
		"redis-8.8: will NOT load: 1 key uses a stream length that differs from its live entries (Redis 8.8 refuses it: \"Stream length inconsistent with live entries\"): " + quoteKey([]byte(key)),
		"redis-8.10: will NOT load: 1 key uses a stream length",
		"redis-8.6: loads\n", "valkey-9.0: loads\n", "status:\tintact, but NOT loadable"} {
		if !strings.Contains(res.out, want) {
			t.Errorf("missing %q in\n%s%s", want, res.out, res.err)
		}
	}
	if res.code != 3 {
		t.Errorf("exit %d", res.code)
	}
}

// preGAFunctionRDB is a Redis 7.0 release candidate's RDB holding one
// function library in the pre-release FUNCTION record (opcode 0xF6, read by
// rdbFunctionLoad in Redis 7.0's src/rdb.c):
//
//	"REDIS0010"                   magic, RDB version 10
//	0xF6                          RDB_OPCODE_FUNCTION
//	  5 "mylib" 3 "LUA"           library name, engine name
//	  0x00                        no description
//	  n "redis.register..."       library code
//	0xFE 0x00 0x00 1 "k" 1 "v"    SELECTDB 0, STRING k = v
//	0xFF + 8 zero bytes           EOF, checksum not computed
func preGAFunctionRDB() []byte {
	str := func(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }
	f := append([]byte("REDIS0010"), 0xF6)
	f = str(str(f, "mylib"), "LUA")
	f = str(append(f, 0x00), "redis.register_function('f', function() return 1 end)")
	f = str(str(append(f, 0xFE, 0x00, 0x00), "k"), "v")
	return append(f, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0)
}

// TestFunctionPreGATargets: the pre-release FUNCTION record is intact; only
// Redis 7.0 loads it.
func TestFunctionPreGATargets(t *testing.T) {
	p := filepath.Join(t.TempDir(), "rc.rdb")
	if err := os.WriteFile(p, preGAFunctionRDB(), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "verify", p); r.code != 0 {
		t.Errorf("verify: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r := run(t, nil, "verify", "--target", "all", p)
	if r.code != 3 || !strings.Contains(r.out, "redis-7.0: loads\n") ||
		!strings.Contains(r.out, "redis-7.2: will NOT load: 1 record uses pre-release FUNCTION record (opcode 246") ||
		!strings.Contains(r.out, "valkey-9.1: will NOT load: ") {
		t.Errorf("verify --target all: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := run(t, nil, "inspect", "--json", p); r.code != 0 || !strings.Contains(r.out, `"name": "mylib"`) {
		t.Errorf("inspect --json: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

// TestReplayServerVersionNames: replay --server-version refuses a release
// name that is not known (exit 2) and takes every known one.
func TestReplayServerVersionNames(t *testing.T) {
	for _, bad := range []string{"valkey-7.0", "redis-6.2", "redis-8.1", "valkey 10.0.0"} {
		if r := run(t, nil, "replay", "--server-version", bad, sample); r.code != 2 {
			t.Errorf("--server-version %s: exit %d, want 2\n%s", bad, r.code, r.err)
		}
	}
	for _, good := range append(release.Names(), "6.2.14", "7.9.224", "valkey 8.0.1") {
		if r := run(t, nil, "replay", "--server-version", good, sample); r.code == 2 {
			t.Errorf("--server-version %s: usage error\n%s", good, r.err)
		}
	}
}
