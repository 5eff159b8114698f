package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// TestVerifyDupTempError: a file with more keys than the duplicate check
// keeps in memory (2 Mi) and a TMPDIR where its temporary file cannot be
// made: never "intact" (status error, exit 1, with a hint), and damage
// found by the scan still makes it "damaged" (exit 3).
func TestVerifyDupTempError(t *testing.T) {
	if testing.Short() {
		t.Skip("2.1 M keys skipped in -short mode")
	}
	var out bytes.Buffer
	w := rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: 9})
	w.SelectDB(0)
	for i := range 2_100_000 {
		w.WriteKey(rdbfile.KeyHeader{Key: strconv.AppendInt([]byte("k"), int64(i), 36), ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1},
			&rdbfile.Value{Kind: rdbfile.KindString, String: []byte("v")})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	p, cut := filepath.Join(dir, "many.rdb"), filepath.Join(dir, "cut.rdb")
	if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cut, out.Bytes()[:out.Len()-4], 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "verify", "--quiet", p); r.code != 0 {
		t.Fatalf("with a usable TMPDIR: exit %d\n%s%s", r.code, r.out, r.err)
	}
	missing := filepath.Join(dir, "no-such-dir")
	t.Setenv("TMPDIR", missing)
	r := run(t, nil, "verify", p)
	if r.code != 1 || !strings.Contains(r.out, "status:\tERROR: duplicate key check: temporary file in "+missing) ||
		!strings.Contains(r.out, "set TMPDIR to a directory with room") || !strings.Contains(r.err, "no such file or directory") {
		t.Errorf("exit %d\n%s%s", r.code, r.out, r.err)
	}
	if r := run(t, nil, "verify", cut); r.code != 3 || !strings.Contains(r.out, "status:\tDAMAGED") || !strings.Contains(r.err, "duplicate key check: temporary file") {
		t.Errorf("truncated: exit %d\n%s%s", r.code, r.out, r.err)
	}
	recs, code := verifyJSONRecords(t, p)
	if file := recs[len(recs)-2]; code != 1 || file["status"] != "error" || file["duplicate_keys"] != nil {
		t.Errorf("JSON: exit %d, %v", code, file)
	}
	recs, code = verifyJSONRecords(t, cut)
	file := recs[len(recs)-2]
	if code != 3 || file["status"] != "damaged" || !strings.Contains(file["error"].(string), "duplicate key check") || file["duplicate_keys"] != nil {
		t.Errorf("truncated: exit %d, %v", code, file)
	}
	if r := run(t, nil, "verify", "--quiet", "--no-dup-check", p); r.code != 0 {
		t.Errorf("--no-dup-check: exit %d\n%s%s", r.code, r.out, r.err)
	}
}
