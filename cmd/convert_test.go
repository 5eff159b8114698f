package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestConvertCommand: a same-version conversion gives the input's bytes,
// a downgrade with a fail policy writes nothing and exits 3 naming the
// keys, the drop policies write a file that verify passes for the target,
// and the input is never touched.
func TestConvertCommand(t *testing.T) {
	dir := t.TempDir()
	in, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "same.rdb")
	if r := run(t, nil, "convert", sample, "-o", out, "--target", "redis-7.4"); r.code != 0 {
		t.Fatalf("same target: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got, _ := os.ReadFile(out); !bytes.Equal(got, in) {
		t.Errorf("same-target output differs from the input")
	}

	blocked := filepath.Join(dir, "blocked.rdb")
	r := run(t, nil, "convert", sample, "-o", blocked, "--target", "redis-7.0")
	if r.code != exitCorrupt || !strings.Contains(r.out, "lost field-ttl:") || !strings.Contains(r.out, `"hash:hfe:small"`) {
		t.Errorf("fail policy: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if _, err := os.Stat(blocked); !os.IsNotExist(err) {
		t.Errorf("blocked conversion left %s: %v", blocked, err)
	}
	if m, _ := filepath.Glob(filepath.Join(dir, ".*tmp*")); len(m) != 0 {
		t.Errorf("temporary files left: %v", m)
	}

	down := filepath.Join(dir, "down.rdb.zst")
	r = run(t, nil, "--json", "convert", sample, "-o", down, "--target", "redis-7.0", "--field-ttl", "drop", "--compress", "zstd")
	if r.code != 0 {
		t.Fatalf("drop policy: exit %d\n%s%s", r.code, r.out, r.err)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	typ := reflect.TypeOf(jsonConvert{})
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		want[name] = true
	}
	for k := range want {
		if _, ok := rep[k]; !ok {
			t.Errorf("JSON field %q missing", k)
		}
	}
	if rep["written"] != true || rep["verified"] != true || len(rep["losses"].([]any)) != 1 {
		t.Errorf("report %s", r.out)
	}
	f, _ := os.Open(down)
	zr, _ := zstd.NewReader(f)
	raw, err := readAllZ(zr)
	f.Close()
	if err != nil || !bytes.HasPrefix(raw, []byte("REDIS0010")) {
		t.Fatalf("output is not a zstd-compressed REDIS0010 file: %v", err)
	}
	if r := run(t, nil, "verify", "--target", "redis-7.0", down); r.code != 0 {
		t.Errorf("verify of the output: exit %d\n%s", r.code, r.out)
	}
	if got, _ := os.ReadFile(sample); !bytes.Equal(got, in) {
		t.Errorf("the input changed")
	}
	if r := run(t, nil, "convert", sample, "-o", sample, "--target", "redis-7.0"); r.code != exitUsage {
		t.Errorf("output = input: exit %d", r.code)
	}
	if r := run(t, nil, "convert", sample, "-o", out, "--target", "redis-9.9"); r.code != exitUsage {
		t.Errorf("unknown target: exit %d", r.code)
	}
}

func readAllZ(zr *zstd.Decoder) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(zr)
	zr.Close()
	return b.Bytes(), err
}
