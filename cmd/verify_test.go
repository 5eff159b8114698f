package cmd

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var corpusServers = []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"}

func TestVerifySample(t *testing.T) {
	r := run(t, nil, "verify", sample)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s%s", r.code, r.out, r.err)
	}
	for _, want := range []string{"format:\tRDB 12 (REDIS0012, dialect redis)\n", "checksum:\tverified (crc64 3364e76e70df62e9)\n",
		"records:\t82 (74 keys)\n", "status:\tintact\n"} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	if r.err != "" {
		t.Errorf("stderr: %q", r.err)
	}
}

// verifyJSON runs verify --json on one file and returns its records.
func verifyJSON(t *testing.T, args ...string) (int, []map[string]any) {
	t.Helper()
	r := run(t, nil, append([]string{"verify", "--json"}, args...)...)
	recs := jsonLines(t, r.out)
	if len(recs) == 0 || recs[len(recs)-1]["type"] != "summary" {
		t.Fatalf("verify --json %v: no final summary:\n%s\nstderr %s", args, r.out, r.err)
	}
	if got := int(recs[len(recs)-1]["exit_code"].(float64)); got != r.code {
		t.Errorf("summary exit_code %d, process exit %d", got, r.code)
	}
	return r.code, recs
}

// damagedCases lists every damaged RDB of the corpus with the offset of its
// damage (verdicts.json: truncated_at or flipped_offset).
type damagedCase struct {
	path   string
	name   string
	damage int64 // -1 if unknown (upstream assets)
}

func damagedCorpus(t *testing.T) []damagedCase {
	dir := corpusDir(t)
	var out []damagedCase
	for _, s := range corpusServers {
		b, err := os.ReadFile(filepath.Join(dir, s, "verdicts.json"))
		if err != nil {
			t.Fatal(err)
		}
		var v struct {
			Verdicts []struct {
				Artifact string `json:"artifact"`
				Kind     string `json:"kind"`
				Damage   struct {
					TruncatedAt   *int64 `json:"truncated_at"`
					FlippedOffset *int64 `json:"flipped_offset"`
				} `json:"damage"`
			} `json:"verdicts"`
		}
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, a := range v.Verdicts {
			if a.Kind != "rdb-damaged" {
				continue
			}
			c := damagedCase{path: filepath.Join(dir, s, a.Artifact), name: s + "/" + a.Artifact, damage: -1}
			if a.Damage.TruncatedAt != nil {
				c.damage = *a.Damage.TruncatedAt
			} else if a.Damage.FlippedOffset != nil {
				c.damage = *a.Damage.FlippedOffset
			}
			if c.damage < 0 {
				t.Fatalf("%s: no damage offset in verdicts.json", c.name)
			}
			out = append(out, c)
			n++
		}
		// Every damaged/rdb-*.rdb on disk must be in verdicts.json.
		files, _ := filepath.Glob(filepath.Join(dir, s, "damaged", "rdb-*.rdb"))
		if len(files) != n || n == 0 {
			t.Fatalf("%s: %d damaged RDB files on disk, %d in verdicts.json", s, len(files), n)
		}
	}
	for _, sub := range []string{"redis", "valkey"} {
		for _, name := range []string{"corrupt_ziplist.rdb", "corrupt_empty_keys.rdb"} {
			out = append(out, damagedCase{path: filepath.Join(dir, "upstream-assets", sub, name), name: "upstream-assets/" + sub + "/" + name, damage: -1})
		}
	}
	return out
}

func TestVerifyCorpusDamaged(t *testing.T) {
	for _, c := range damagedCorpus(t) {
		t.Run(c.name, func(t *testing.T) {
			code, recs := verifyJSON(t, c.path)
			findings := byType(recs, "finding")
			files := byType(recs, "file")
			if len(files) != 1 {
				t.Fatalf("%d file records", len(files))
			}
			file := files[0]
			if strings.HasSuffix(c.path, "rdb-nochecksum-flip-value.rdb") {
				// Saved with rdbchecksum no and one flipped byte inside a
				// string value: nothing structural breaks and there is no
				// CRC to compare, so (like redis-check-rdb and redis-server,
				// which both accept it) we must exit 0 and say the checksum
				// was not verified.
				if code != 0 || file["status"] != statusIntact {
					t.Fatalf("exit %d status %v, want 0 intact", code, file["status"])
				}
				if cs := file["checksum"].(map[string]any); cs["status"] != sumDisabled {
					t.Errorf("checksum %v, want disabled", cs)
				}
				if len(findings) != 0 {
					t.Errorf("findings: %v", findings)
				}
				txt := run(t, nil, "verify", c.path)
				if !strings.Contains(txt.out, "checksum:\tnot verified: saved with rdbchecksum no") ||
					!strings.Contains(txt.out, "status:\tintact, checksum not verified") {
					t.Errorf("text output does not say 'not verified':\n%s", txt.out)
				}
				return
			}
			if code != exitCorrupt || file["status"] != statusDamaged {
				t.Fatalf("exit %d status %v, want 3 damaged\n%v", code, file["status"], recs)
			}
			var first map[string]any
			for _, f := range findings {
				if f["severity"] == "error" {
					first = f
					break
				}
			}
			if first == nil {
				t.Fatalf("no error finding: %v", recs)
			}
			off := int64(first["offset"].(float64))
			for _, k := range []string{"offset_hex", "field", "message", "key", "key_type", "severity"} {
				if _, ok := first[k]; !ok {
					t.Errorf("finding lacks %q: %v", k, first)
				}
			}
			if file["hint"] == nil {
				t.Errorf("damaged file without a hint: %v", file)
			}
			if c.damage < 0 {
				return
			}
			isCRC := first["field"] == "checksum" && strings.Contains(first["message"].(string), "checksum mismatch")
			switch {
			case off <= c.damage:
			case isCRC && (strings.HasSuffix(c.path, "rdb-bad-checksum.rdb") || strings.HasSuffix(c.path, "rdb-flip-value.rdb")):
				// The flipped byte is only detectable by the CRC: the
				// finding is at the trailer.
				if cs := file["checksum"].(map[string]any); cs["status"] != sumMismatch || int64(cs["offset"].(float64)) != off {
					t.Errorf("checksum %v, finding at %d", cs, off)
				}
			default:
				t.Errorf("first error at offset %d, after the damage at %d: %v", off, c.damage, first)
			}
			if iu, ok := file["intact_up_to"].(float64); ok && int64(iu) > c.damage {
				t.Errorf("intact_up_to %v beyond the damage at %d", iu, c.damage)
			}
		})
	}
}

// goodCorpus lists every good RDB of the corpus.
func goodCorpus(t *testing.T) []string {
	dir := corpusDir(t)
	var out []string
	for _, pat := range []string{"*/rdb/*.rdb", "newer/*.rdb", "upstream-assets/*/*.rdb", "*/aof-*/appendonlydir/*.rdb"} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range m {
			if !strings.Contains(filepath.Base(f), "corrupt_") {
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	if len(out) < 40 {
		t.Fatalf("only %d good RDB files found in %s", len(out), dir)
	}
	return out
}

func TestVerifyCorpusGood(t *testing.T) {
	for _, f := range goodCorpus(t) {
		r := run(t, nil, "verify", f)
		if r.code != 0 {
			t.Errorf("%s: exit %d\n%s%s", f, r.code, r.out, r.err)
		}
		// With every target: exit 3 exactly when some target would not load it
		// (e.g. RDB 12 on Redis 7.2); RDB 10 files load on every target.
		r = run(t, nil, "verify", "--target", "all", f)
		refused := strings.Contains(r.out, "will NOT load") || strings.Contains(r.out, "loads only with")
		if (r.code == 3) != refused || (r.code != 0 && r.code != 3) {
			t.Errorf("%s --target all: exit %d, refused=%v\n%s%s", f, r.code, refused, r.out, r.err)
		}
		if strings.Contains(f, "redis-7.0.15/rdb/") && r.code != 0 {
			t.Errorf("%s: an RDB 10 file should load on every target", f)
		}
		r = run(t, nil, "inspect", f)
		if r.code != 0 {
			t.Errorf("inspect %s: exit %d\n%s", f, r.code, r.err)
		}
	}
	// All of them in one run: one summary, exit 0.
	files := goodCorpus(t)
	code, recs := verifyJSON(t, files...)
	if code != 0 || len(byType(recs, "file")) != len(files) {
		t.Errorf("multi-file verify: exit %d, %d file records for %d files", code, len(byType(recs, "file")), len(files))
	}
}

func TestVerifyMixedExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "trunc.rdb")
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.rdb")
	tests := []struct {
		files []string
		want  int
	}{
		{[]string{sample, sample}, 0},
		{[]string{sample, bad}, 3},
		{[]string{sample, missing}, 1},
		{[]string{missing, bad, sample}, 3}, // damage wins over I/O errors
	}
	for _, tt := range tests {
		r := run(t, nil, append([]string{"verify"}, tt.files...)...)
		if r.code != tt.want {
			t.Errorf("verify %v: exit %d, want %d", tt.files, r.code, tt.want)
		}
		code, recs := verifyJSON(t, tt.files...)
		if code != tt.want {
			t.Errorf("verify --json %v: exit %d, want %d", tt.files, code, tt.want)
		}
		if n := len(byType(recs, "file")); n != len(tt.files) {
			t.Errorf("verify --json %v: %d file records", tt.files, n)
		}
	}
	// The truncated half: the text names the offset and says why.
	r := run(t, nil, "verify", bad)
	for _, want := range []string{"finding:\t" + bad + "\terror\toffset ", "truncated", "status:\tDAMAGED: 1 error, 0 warnings",
		"hint:\tthe file cannot be loaded as is; records are intact up to offset "} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
}

func TestVerifyTrailingBytes(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "trailing.rdb")
	if err := os.WriteFile(path, append(bytes.Clone(data), "garbage!"...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, recs := verifyJSON(t, path)
	if code != 0 {
		t.Fatalf("exit %d, want 0 (trailing bytes are a warning)", code)
	}
	f := byType(recs, "finding")
	if len(f) != 1 || f[0]["severity"] != "warning" || int64(f[0]["offset"].(float64)) != int64(len(data)) {
		t.Fatalf("findings %v", f)
	}
	if fr := byType(recs, "file")[0]; fr["trailing_bytes"].(float64) != 8 || fr["warnings"].(float64) != 1 {
		t.Errorf("file record %v", fr)
	}
}

func TestVerifyStdin(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	r := run(t, bytes.NewReader(data), "verify", "-")
	if r.code != 0 || !strings.Contains(r.out, "checksum:\tverified") {
		t.Fatalf("verify -: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r = run(t, bytes.NewReader(data[:1000]), "verify", "-")
	if r.code != exitCorrupt {
		t.Fatalf("verify - (truncated): exit %d", r.code)
	}
	r = run(t, bytes.NewReader(data), "inspect", "--json", "-")
	if r.code != 0 || !strings.Contains(r.out, `"file_size": null`) {
		t.Fatalf("inspect -: exit %d\n%s", r.code, r.out)
	}
}

// TestInputsUnchanged checks that verify and inspect leave every input
// byte-identical (bbolt's requireDBNoChange).
func TestInputsUnchanged(t *testing.T) {
	files := []string{sample}
	if dir := findCorpus(); dir != "" {
		files = append(files, filepath.Join(dir, "redis-7.4.1", "damaged", "rdb-trunc-midvalue.rdb"),
			filepath.Join(dir, "upstream-assets", "redis", "corrupt_empty_keys.rdb"))
	}
	tmp := t.TempDir()
	for i, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(tmp, "in"+string(rune('a'+i))+".rdb")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		before := sha256.Sum256(data)
		st0, _ := os.Stat(path)
		for _, args := range [][]string{{"verify", path}, {"verify", "--json", "--target", "all", path}, {"inspect", path},
			{"inspect", "--json", path}, {"inspect", "--keys", path}} {
			run(t, nil, args...)
		}
		after, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		st1, _ := os.Stat(path)
		if sha256.Sum256(after) != before || !st1.ModTime().Equal(st0.ModTime()) || st1.Size() != st0.Size() {
			t.Errorf("%s changed", f)
		}
	}
}

func TestVerifyTargets(t *testing.T) {
	// A target that refuses the file makes verify exit 3 (unloadable there)...
	r := run(t, nil, "verify", "--target", "valkey-8.0,redis-7.4", "--target", "valkey-9.0", sample)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (refused by valkey-8.0): %s", r.code, r.err)
	}
	// ...while targets that all load it keep exit 0.
	if r0 := run(t, nil, "verify", "--target", "redis-7.4,redis-8.0", sample); r0.code != 0 {
		t.Fatalf("exit %d with loading targets: %s", r0.code, r0.out)
	}
	for _, want := range []string{
		"target:\tvalkey-8.0: will NOT load: RDB version 12 > 11 (Valkey 8.0 reads up to RDB 11); also 2 keys use HASH_METADATA (Redis 7.4+ only): \"hash:hfe:large\", \"hash:hfe:longval\"; also 3 keys use HASH_LISTPACK_EX (Redis 7.4+ only): ",
		"target:\tredis-7.4: loads\n",
		"target:\tvalkey-9.0: will NOT load: RDB version 12 is a foreign (Redis) version",
		"[needs rdb-version-check relaxed]; also 2 keys use HASH_METADATA (type 24: Valkey refuses tags 22..243 in REDIS-magic files)",
	} {
		if !strings.Contains(r.out, want) {
			t.Errorf("output lacks %q:\n%s", want, r.out)
		}
	}
	code, recs := verifyJSON(t, "--target", "all", "--max-keys", "1", sample)
	if code != 3 {
		t.Fatal(code)
	}
	tg := byType(recs, "target")
	if len(tg) != 14 {
		t.Fatalf("%d target records", len(tg))
	}
	for _, r := range tg {
		if r["target"] == "redis-7.2" {
			p := r["problems"].([]any)[1].(map[string]any)
			if r["status"] != "refused" || len(p["keys"].([]any)) != 1 || p["keys_truncated"] != true || p["records"].(float64) != 2 {
				t.Errorf("redis-7.2: %v", r)
			}
		}
	}
}
