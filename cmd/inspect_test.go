package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestInspectGoldenJSON pins the whole --json document of the sample.
func TestInspectGoldenJSON(t *testing.T) {
	r := run(t, nil, "--json", "inspect", sample)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	golden(t, "inspect-redis-7.4.1.json", []byte(r.out))
}

// TestInspectGoldenText pins the plain (non-terminal) text of the sample.
func TestInspectGoldenText(t *testing.T) {
	r := run(t, nil, "inspect", "--top", "5", sample)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	golden(t, "inspect-redis-7.4.1.txt", []byte(r.out))
	for _, want := range []string{"keys:\t74\n", "checksum:\tverified (crc64 3364e76e70df62e9)\n",
		"db:\t0\tkeys=66\texpires=8\t", "db:\t1\tkeys=5\texpires=1\t", "db:\t15\tkeys=3\texpires=0\t",
		"function:\tcorpuslib\tengine=lua", "function:\tcorpuslib2\tengine=lua",
		"type:\thash\tlistpackex\tHASH_LISTPACK_EX\tcount=3\t", "ctime:\t2026-11-21T04:49:27Z\n"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q", want)
		}
	}
}

func inspectJSON(t *testing.T, args ...string) *inspectReport {
	t.Helper()
	r := run(t, nil, append([]string{"--json", "inspect"}, args...)...)
	if r.code != 0 {
		t.Fatalf("inspect %v: exit %d: %s", args, r.code, r.err)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatal(err)
	}
	return &rep
}

func TestInspectNow(t *testing.T) {
	// The sample's 9 keys with a TTL: ttl:rel:sec and ttl:rel:ms expire in
	// 2036 (capture + 10 y), ttl:hash in 2096, the others on 2100-01-01 at
	// .000 (ttl:sec:far), .123 (ttl:ms:far), .124, .132, .999 and 01.123.
	// A key is expired when its time is strictly before now (Redis: now > when).
	tests := []struct {
		now     string
		expired int64
	}{
		{"2026-11-21T12:00:00Z", 0},
		{"1795236567", 0}, // unix seconds (the file's ctime)
		{"2050-01-01T00:00:00Z", 2},
		{"4102444800123", 4}, // unix ms: ttl:ms:far itself is not yet expired
		{"4102444800124", 5},
		{"2101-01-01T00:00:00Z", 9},
		{"4133980800", 9}, // 2101 in unix seconds
	}
	for _, tt := range tests {
		rep := inspectJSON(t, "--now", tt.now, sample)
		if rep.Expires != 9 || rep.Expired != tt.expired {
			t.Errorf("--now %s: expires %d expired %d, want 9 and %d", tt.now, rep.Expires, rep.Expired, tt.expired)
		}
	}
}

func TestInspectKeysJSON(t *testing.T) {
	r := run(t, nil, "--json", "inspect", "--keys", sample)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.err)
	}
	var keys []jsonKey
	for _, line := range strings.Split(strings.TrimSpace(r.out), "\n") {
		var k jsonKey
		if err := json.Unmarshal([]byte(line), &k); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		keys = append(keys, k)
	}
	if len(keys) != 74 {
		t.Fatalf("%d keys, want 74", len(keys))
	}
	found := map[string]jsonKey{}
	for _, k := range keys {
		found[string(k.Key)] = k
	}
	bin, ok := found["bin\x00key\xff\xfe"]
	if !ok {
		t.Fatal("binary key bin\\x00key\\xff\\xfe missing or not exact")
	}
	if !strings.Contains(r.out, `"key":{"b64":"YmluAGtlef/+"}`) {
		t.Errorf("binary key not written as b64: %+v", bin)
	}
	if _, ok := found[""]; !ok {
		t.Error("empty key missing")
	}
	if k := found["ttl:ms:far"]; k.ExpireAt == nil || *k.ExpireAt != "2100-01-01T00:00:00.123Z" || k.ExpireAtMs == nil || *k.ExpireAtMs != 4102444800123 {
		t.Errorf("ttl:ms:far expire = %v", k.ExpireAt)
	}
	if k := found["hash:hfe:small"]; k.Type != "hash" || k.Encoding != "listpackex" || k.RDBType != "HASH_LISTPACK_EX" {
		t.Errorf("hash:hfe:small = %+v", k)
	}
}

func TestInspectKeysFilters(t *testing.T) {
	count := func(args ...string) (int, string) {
		t.Helper()
		r := run(t, nil, append([]string{"inspect", "--keys"}, args...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.err)
		}
		out := strings.TrimSpace(r.out)
		if out == "" {
			return 0, ""
		}
		return len(strings.Split(out, "\n")), r.out
	}
	tests := []struct {
		args []string
		want int
	}{
		{[]string{sample}, 74},
		{[]string{"--db", "1", sample}, 5},
		{[]string{"--db", "1,15", sample}, 8},
		{[]string{"--db", "1", "--db", "15", sample}, 8},
		{[]string{"--type", "stream", sample}, 5},
		{[]string{"--type", "hash", sample}, 10},
		{[]string{"--type", "HASH_LISTPACK_EX", sample}, 3},
		{[]string{"--type", "hash_listpack_ex,SET_INTSET", sample}, 7},
		{[]string{"--match", "str:int*", sample}, 10},                 // 9 in db 0, 1 in db 1
		{[]string{"--match", "str:int:[0-9]*", sample}, 4},            // 8bit 16bit 32bit 64bit
		{[]string{"--match", "STR:INT", "--match-nocase", sample}, 2}, // db 0 and db 1
		{[]string{"--match", "bin?key*", sample}, 1},
		{[]string{"--db", "0", "--type", "string", "--match", "ttl:*", sample}, 5},
		{[]string{"--db", "7", sample}, 0},
	}
	for _, tt := range tests {
		if got, out := count(tt.args...); got != tt.want {
			t.Errorf("inspect --keys %v: %d keys, want %d\n%s", tt.args, got, tt.want, out)
		}
	}
	_, out := count("--match", "bin*", sample)
	if !strings.Contains(out, "0\t\"bin\\x00key\\xff\\xfe\"\tstring\tstring\tSTRING\t-\t") {
		t.Errorf("binary key not escaped in text: %q", out)
	}
}

func TestInspectCorpusAgreesWithGroundTruth(t *testing.T) {
	dir := corpusDir(t)
	servers := []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"}
	for _, s := range servers {
		for _, name := range []string{"dump.rdb", "dump-nocompress.rdb", "dump-nochecksum.rdb", "dump-lfu.rdb", "dump-lru.rdb"} {
			path := filepath.Join(dir, s, "rdb", name)
			gt := loadGroundTruth(t, filepath.Join(dir, s, "rdb", "gt-dataset.json"))
			rep := inspectJSON(t, path)
			got := map[string]int64{}
			for _, d := range rep.DBs {
				got[strconv.Itoa(d.DB)] = d.Keys
			}
			for db, n := range gt {
				if got[db] != n {
					t.Errorf("%s/%s: db %s has %d keys, ground truth %d", s, name, db, got[db], n)
				}
			}
			if len(rep.Functions) != 2 {
				t.Errorf("%s/%s: %d function libraries, want 2", s, name, len(rep.Functions))
			}
			switch name {
			case "dump-lfu.rdb":
				if rep.FreqKeys != rep.Keys || rep.IdleKeys != 0 {
					t.Errorf("%s/%s: freq %d idle %d of %d keys", s, name, rep.FreqKeys, rep.IdleKeys, rep.Keys)
				}
			case "dump-lru.rdb":
				if rep.IdleKeys != rep.Keys || rep.FreqKeys != 0 {
					t.Errorf("%s/%s: freq %d idle %d of %d keys", s, name, rep.FreqKeys, rep.IdleKeys, rep.Keys)
				}
			case "dump-nochecksum.rdb":
				if rep.Checksum.Status != sumDisabled {
					t.Errorf("%s/%s: checksum %q", s, name, rep.Checksum.Status)
				}
			default:
				if rep.Checksum.Status != sumVerified {
					t.Errorf("%s/%s: checksum %q", s, name, rep.Checksum.Status)
				}
			}
			want := "redis"
			if strings.HasPrefix(s, "valkey") {
				want = "valkey"
			}
			if rep.Server == nil || !strings.HasPrefix(*rep.Server, want+" ") {
				t.Errorf("%s/%s: server %v", s, name, rep.Server)
			}
		}
	}
}

// loadGroundTruth returns the corpus ground truth's dbsize per db.
func loadGroundTruth(t *testing.T, path string) map[string]int64 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var gt struct {
		DBs map[string]struct {
			DBSize int64 `json:"dbsize"`
		} `json:"dbs"`
	}
	if err := json.Unmarshal(b, &gt); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for db, d := range gt.DBs {
		out[db] = d.DBSize
	}
	return out
}

// TestStyledNoColor renders the styled (terminal) form without colours, as
// --no-color and NO_COLOR ask: no SGR colour sequences may appear.
func TestStyledNoColor(t *testing.T) {
	rep := inspectJSON(t, sample)
	var b bytes.Buffer
	if err := renderInspectStyled(&b, newStyles(&b, false), rep); err != nil {
		t.Fatal(err)
	}
	if regexp.MustCompile(`\x1b\[[0-9;]*3[0-9]`).Match(b.Bytes()) {
		t.Errorf("colour escape sequences in no-colour output:\n%q", b.String())
	}
	for _, want := range []string{"Databases", "Biggest keys", "hash:large", "HASH_LISTPACK_EX"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("styled output lacks %q", want)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
