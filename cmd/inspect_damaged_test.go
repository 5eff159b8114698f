package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInspectJSONDamaged: on a file that breaks, inspect --json still
// writes its document: what was read up to the break, "complete": false,
// the error that stopped reading and how far records are intact; the exit
// status is 3 and stderr says to run verify.
func TestInspectJSONDamaged(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	trunc := filepath.Join(dir, "trunc.rdb")
	if err := os.WriteFile(trunc, data[:40000], 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "--json", "inspect", trunc)
	if r.code != 3 || !strings.Contains(r.err, "run 'rdbkit verify "+trunc+"'") {
		t.Fatalf("exit %d, stderr %q", r.code, r.err)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	e, _ := doc["error"].(map[string]any)
	if doc["complete"] != false || e == nil || e["offset"] != 39322.0 || e["offset_hex"] != "0x999a" || e["field"] != "hash size" ||
		e["key"] != "hash:large" || e["key_type"] != "HASH" || !strings.Contains(e["message"].(string), "count 600 cannot fit") {
		t.Errorf("error %v, complete %v", e, doc["complete"])
	}
	if doc["keys"] != 47.0 || doc["intact_up_to"] != 39310.0 || doc["size"] != 39324.0 || doc["file_size"] != 40000.0 ||
		doc["magic"] != "REDIS" || doc["version"] != 12.0 {
		t.Errorf("keys %v intact_up_to %v size %v file_size %v magic %v version %v",
			doc["keys"], doc["intact_up_to"], doc["size"], doc["file_size"], doc["magic"], doc["version"])
	}
	if c, _ := doc["checksum"].(map[string]any); c["status"] != "unknown" {
		t.Errorf("checksum %v", doc["checksum"])
	}

	// Not an RDB file at all: no header, so magic, version and dialect are null.
	r = run(t, strings.NewReader("hello world, not an RDB"), "--json", "inspect", "-")
	if r.code != 3 {
		t.Fatalf("bad magic: exit %d", r.code)
	}
	doc = nil
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatalf("%v\n%s", err, r.out)
	}
	e, _ = doc["error"].(map[string]any)
	if doc["complete"] != false || e == nil || e["offset"] != 0.0 || doc["magic"] != nil || doc["version"] != nil ||
		doc["dialect"] != nil || doc["keys"] != 0.0 || doc["intact_up_to"] != 0.0 {
		t.Errorf("bad magic: %v", doc)
	}

	// An intact file: complete, no error.
	r = run(t, nil, "--json", "inspect", sample)
	doc = nil
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil || r.code != 0 {
		t.Fatal(err, r.code)
	}
	if doc["complete"] != true || doc["error"] != nil || doc["intact_up_to"] != nil {
		t.Errorf("intact: complete %v error %v intact_up_to %v", doc["complete"], doc["error"], doc["intact_up_to"])
	}
}
