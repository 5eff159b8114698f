package cmd

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/testserver"
)

// Hand-built RDB files for the duplicate key check. Each is an RDB 9 file
// (Redis 5.0+, which every server release loads): the magic "REDIS0009"
// (bytes 0-8), SELECTDB 0 (0xFE 0x00, bytes 9-10), the key records, the
// EOF opcode 0xFF and the CRC-64 trailer (8 bytes, little endian). A string
// record with a 1-byte key and value is 5 bytes: type 0x00, key length
// 0x01, the key, value length 0x01, the value.

func dupCRC64(p []byte) uint64 { // Redis src/crc64.c: Jones, reflected, init 0
	var crc uint64
	for _, b := range p {
		crc ^= uint64(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x95ac9329ac4bc9b5
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

func dupRDB(records ...string) []byte {
	b := []byte("REDIS0009" + strings.Join(records, "") + "\xff")
	return binary.LittleEndian.AppendUint64(b, dupCRC64(b))
}

const (
	recDB0   = "\xfe\x00"       // SELECTDB 0
	recDB1   = "\xfe\x01"       // SELECTDB 1
	recKA    = "\x00\x01k\x01a" // string "k" = "a"
	recKB    = "\x00\x01k\x01b" // string "k" = "b"
	recX1    = "\x00\x01x\x011" // string "x" = "1"
	recEmpty = "\x02\x01k\x00"  // set "k" with 0 members (servers skip empty aggregates)
	// EXPIRETIME_MS (0xFC) 1000 ms since the epoch (8 bytes, little
	// endian): an expire long past.
	recExpired = "\xfc\xe8\x03\x00\x00\x00\x00\x00\x00"
)

// dupCases are the files, what verify says, and what redis-server does.
var dupCases = []struct {
	name   string
	file   []byte
	code   int    // verify exit status
	find   string // the finding's text ("" = none)
	loads  bool   // redis-server loads it (else it aborts)
	getK   string // with loads: GET k in db 0 afterwards
	dbsize [2]int64
}{
	// "k" at 11 and again at 21: the server aborts.
	{"dup-key.rdb", dupRDB(recDB0, recKA, recX1, recKB), 3,
		`key appears twice in db 0, at offsets 11 (0xb) and 21 (0x15): the server aborts while loading ("Duplicated key found in RDB file")`, false, "", [2]int64{}},
	// "k" in db 0 and in db 1: fine.
	{"same-key-two-dbs.rdb", dupRDB(recDB0, recKA, recDB1, recKB), 0, "", true, "a", [2]int64{1, 1}},
	// The first copy expired in 1970: a primary drops it and loads the second.
	{"dup-key-first-expired.rdb", dupRDB(recDB0, recExpired+recKA, recKB), 0,
		"key appears twice in db 0, at offsets 11 (0xb) and 25 (0x19): a primary loading it now drops the expired copies", true, "b", [2]int64{1, 0}},
	// The first copy is an empty set: the server skips it and loads the
	// second. (verify reports the empty set itself as an error: it is one
	// for redis-check-rdb.)
	{"dup-key-first-empty.rdb", dupRDB(recDB0, recEmpty, recKB), 3,
		"key appears twice in db 0, at offsets 11 (0xb) and 15 (0xf): all copies but one are empty", true, "b", [2]int64{1, 0}},
}

func writeDupCases(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, c := range dupCases {
		if err := os.WriteFile(filepath.Join(dir, c.name), c.file, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestVerifyDuplicateKeys(t *testing.T) {
	dir := writeDupCases(t)
	for _, c := range dupCases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, c.name)
			r := run(t, nil, "verify", "--target", "redis-7.0", p)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, c.code, r.out, r.err)
			}
			if c.find == "" && strings.Contains(r.out, "finding:") || !strings.Contains(r.out, c.find) {
				t.Errorf("want finding %q in\n%s", c.find, r.out)
			}
			wantTarget := "target:\tredis-7.0: loads\n"
			switch {
			case !c.loads:
				wantTarget = `target:	redis-7.0: will NOT load: key "k" appears twice in db 0, at offsets 11 (0xb) and 21 (0x15): the server aborts while loading` + "\n"
			case c.code != 0:
				wantTarget = "target:\tredis-7.0: will NOT load: the file is damaged (see the findings)\n"
			}
			if !strings.Contains(r.out, wantTarget) {
				t.Errorf("want %q in\n%s", wantTarget, r.out)
			}
			// --no-dup-check: nothing found, nothing counted.
			r = run(t, nil, "verify", "--no-dup-check", p)
			if (r.code != 0) != (c.code != 0 && c.loads) || strings.Contains(r.out, "appears twice") {
				t.Errorf("--no-dup-check: exit %d\n%s", r.code, r.out)
			}
			recs, _ := verifyJSONRecords(t, "--no-dup-check", p)
			if f := recs[len(recs)-2]; f["type"] != "file" || f["duplicate_keys"] != nil {
				t.Errorf("--no-dup-check: file record %v", f)
			}
		})
	}
	// JSON: the finding names the key and the second copy's offset, the file
	// record counts the duplicated keys and has no intact_up_to (every
	// record is intact).
	recs, code := verifyJSONRecords(t, "--target", "redis-7.0", filepath.Join(dir, "dup-key.rdb"))
	if code != 3 || len(recs) != 4 {
		t.Fatalf("exit %d, %d records", code, len(recs))
	}
	f, tg, file := recs[0], recs[1], recs[2]
	if f["type"] != "finding" || f["severity"] != "error" || f["offset"] != 21.0 || f["key"] != "k" || f["field"] != "key" {
		t.Errorf("finding %v", f)
	}
	if tg["status"] != "refused" || !strings.Contains(tg["verdict"].(string), "the server aborts while loading") {
		t.Errorf("target %v", tg)
	}
	if file["status"] != "damaged" || file["duplicate_keys"] != 1.0 || file["intact_up_to"] != nil || file["errors"] != 1.0 {
		t.Errorf("file %v", file)
	}
	recs, _ = verifyJSONRecords(t, filepath.Join(dir, "same-key-two-dbs.rdb"))
	if file := recs[0]; file["status"] != "intact" || file["duplicate_keys"] != 0.0 {
		t.Errorf("two dbs: %v", file)
	}
	// Standard input cannot be read twice: the key is reported by its hash.
	data := dupCases[0].file
	r := run(t, strings.NewReader(string(data)), "verify", "-")
	if r.code != 3 || !strings.Contains(r.out, "2 keys of db 0 have the same 64-bit hash: almost certainly one key stored twice, and the server aborts while loading") {
		t.Errorf("stdin: exit %d\n%s", r.code, r.out)
	}
}

// verifyJSONRecords runs verify --json and returns its records and exit status.
func verifyJSONRecords(t *testing.T, args ...string) ([]map[string]any, int) {
	t.Helper()
	r := run(t, nil, append([]string{"--json", "verify"}, args...)...)
	return jsonLines(t, r.out), r.code
}

// TestInteropDuplicateKeys starts the real redis-server on each file: it
// aborts on a key stored twice in one db ("Duplicated key found in RDB
// file") and loads the others, as verify says.
func TestInteropDuplicateKeys(t *testing.T) {
	if testing.Short() {
		t.Skip("interop test skipped in -short mode")
	}
	bin := testserver.Bin(t)
	major, _, version := testserver.Version(t, bin)
	for _, c := range dupCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), c.file, 0o644); err != nil {
				t.Fatal(err)
			}
			if !c.loads {
				serverAbortsOnDup(t, bin, major, version, dir, "--dbfilename", "dump.rdb", "--appendonly", "no")
				return
			}
			srv := testserver.Start(t, bin, dir, "--dbfilename", "dump.rdb", "--appendonly", "no")
			conn, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			rc := &resp{c: conn, r: bufio.NewReader(conn)}
			if n := rc.num(t, "DBSIZE"); n != c.dbsize[0] {
				t.Errorf("db 0: %d keys, want %d", n, c.dbsize[0])
			}
			if got := rc.str(t, "GET", "k"); got != c.getK {
				t.Errorf("GET k = %q, want %q", got, c.getK)
			}
			rc.must(t, "SELECT", "1")
			if n := rc.num(t, "DBSIZE"); n != c.dbsize[1] {
				t.Errorf("db 1: %d keys, want %d", n, c.dbsize[1])
			}
		})
	}
}

// serverAbortsOnDup starts the server on dir with the extra arguments and
// wants it to abort on a duplicated key while loading.
func serverAbortsOnDup(t *testing.T, bin string, major int, version, dir string, extra ...string) {
	t.Helper()
	// No TCP port: a Unix socket in the test's directory.
	logf := filepath.Join(dir, "server.log")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"--port", "0", "--unixsocket", filepath.Join(dir, "s.sock"),
		"--dir", dir, "--save", "", "--daemonize", "no", "--logfile", logf}, extra...)
	if major >= 7 { // no crash report (its memory test takes seconds)
		args = append(args, "--crash-log-enabled", "no", "--crash-memcheck-enabled", "no")
	}
	err := exec.CommandContext(ctx, bin, args...).Run()
	log, _ := os.ReadFile(logf)
	if err == nil || ctx.Err() != nil || !strings.Contains(string(log), "Duplicated key found in RDB file") {
		t.Fatalf("redis-server %s: %v, want an abort on the duplicated key\n%s", version, err, log)
	}
}

// TestVerifyDuplicateKeysAOFBase: the server loads an AOF base or preamble
// with the RDB loader, so a key stored twice there aborts it too, even when
// one copy expired (a preamble keeps expired keys). verify of the set says
// so; the real server is started on each set and aborts.
func TestVerifyDuplicateKeysAOFBase(t *testing.T) {
	incr := []byte("*3\r\n$3\r\nSET\r\n$1\r\ny\r\n$1\r\n1\r\n")
	cases := []struct {
		name, find string
		file       []byte
	}{
		{"dup-key", `key appears twice in db 0, at offsets 11 (0xb) and 21 (0x15): the server aborts while loading ("Duplicated key found in RDB file")`, dupCases[0].file},
		{"dup-key-first-expired", `key appears twice in db 0, at offsets 11 (0xb) and 25 (0x19): the server aborts while loading`, dupCases[2].file},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := aofSet(t, c.file, true, incr)
			r := run(t, nil, "verify", dir)
			if r.code != 3 || !strings.Contains(r.out, c.find) {
				t.Errorf("verify: exit %d, want 3 and %q\n%s%s", r.code, c.find, r.out, r.err)
			}
			if r := run(t, nil, "verify", "--no-dup-check", dir); r.code != 0 || strings.Contains(r.out, "appears twice") {
				t.Errorf("verify --no-dup-check: exit %d\n%s%s", r.code, r.out, r.err)
			}
			// A single AOF with an RDB preamble.
			single := filepath.Join(t.TempDir(), "appendonly.aof")
			if err := os.WriteFile(single, append(bytes.Clone(c.file), incr...), 0o644); err != nil {
				t.Fatal(err)
			}
			if r := run(t, nil, "verify", single); r.code != 3 || !strings.Contains(r.out, c.find) {
				t.Errorf("verify preamble: exit %d, want 3 and %q\n%s%s", r.code, c.find, r.out, r.err)
			}
			if testing.Short() {
				return
			}
			bin := testserver.Bin(t)
			major, _, version := testserver.Version(t, bin)
			if major < 7 {
				t.Skipf("redis-server %s has no multi-part AOF", version)
			}
			serverAbortsOnDup(t, bin, major, version, filepath.Dir(dir), "--appendonly", "yes", "--appenddirname", "appendonlydir")
		})
	}
}

// TestVerifySizeLine: plain verify's "size:" is the size of the file, and
// "read:" says how much of the RDB stream was read when that differs: a
// truncated file, a compressed one, standard input.
func TestVerifySizeLine(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc.rdb")
	if err := os.WriteFile(trunc, data[:40000], 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "verify", trunc)
	if r.code != 3 || !strings.Contains(r.out, "size:\t40000 bytes\nread:\t39324 bytes (reading stopped there)\n") {
		t.Errorf("truncated: exit %d\n%s", r.code, r.out)
	}
	r = run(t, nil, "verify", sample)
	if r.code != 0 || !strings.Contains(r.out, "size:\t61089 bytes\nrecords:") {
		t.Errorf("intact: exit %d\n%s", r.code, r.out)
	}
	r = run(t, strings.NewReader(string(data)), "verify", "-")
	if r.code != 0 || !strings.Contains(r.out, "size:\tunknown (not a regular file)\nread:\t61089 bytes\n") {
		t.Errorf("stdin: exit %d\n%s", r.code, r.out)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(data)
	zw.Close()
	gzPath := filepath.Join(dir, "dump.rdb.gz")
	if err := os.WriteFile(gzPath, gz.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, nil, "verify", gzPath)
	want := "size:\t" + strconv.Itoa(gz.Len()) + " bytes\nread:\t61089 bytes of the decompressed RDB stream\n"
	if r.code != 0 || !strings.Contains(r.out, want) {
		t.Errorf("gzip: exit %d, want %q\n%s", r.code, want, r.out)
	}
}
