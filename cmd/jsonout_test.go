package cmd

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// TestReplayJSONIsLossless checks replay --json end to end on the RDB 14
// sample and the corpus dumps: every key's value, loaded by the engine and
// written by the convert package, is the JSON of the value as the file
// holds it (arrays, GCRA and stream PELs were null or counts before).
func TestReplayJSONIsLossless(t *testing.T) {
	dir := corpusDir(t)
	for _, path := range []string{
		filepath.Join(dir, "newer", "redis-8.8dev-rdb14.rdb"),
		filepath.Join(dir, "redis-unstable-2026-06-09", "rdb", "dump.rdb"),
		filepath.Join(dir, "redis-7.4.1", "rdb", "dump.rdb"),
		filepath.Join(dir, "valkey-8.0.1", "rdb", "dump.rdb"),
	} {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(path)))+"/"+filepath.Base(path), func(t *testing.T) {
			// What the file holds, read directly.
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			want := map[string]string{}
			r := rdbfile.NewReader(f, nil)
			for {
				e, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if e.Kind != rdbfile.EntryKey {
					continue
				}
				v, err := e.Value()
				if err != nil {
					t.Fatal(err)
				}
				js, _ := convert.MarshalNoEscape(convert.JSONValue(v))
				k, _ := convert.MarshalNoEscape(convert.JSONBytes(e.Key))
				want[string(k)+" "+itoa(e.DB)] = string(js)
			}

			res := run(t, nil, "--json", "replay", "--server-version", "255.255.255", path)
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.err)
			}
			n := 0
			for _, line := range strings.Split(strings.TrimSpace(res.out), "\n") {
				var rec struct {
					Type  string          `json:"type"`
					DB    int             `json:"db"`
					Key   json.RawMessage `json:"key"`
					Value json.RawMessage `json:"value"`
				}
				if err := json.Unmarshal([]byte(line), &rec); err != nil {
					t.Fatal(err)
				}
				if rec.Type != "key" {
					continue
				}
				n++
				id := string(rec.Key) + " " + itoa(rec.DB)
				var got bytes.Buffer
				_ = json.Compact(&got, rec.Value)
				if w, ok := want[id]; !ok || got.String() != w || w == "null" {
					t.Errorf("key %s:\nreplay %.300s\nfile   %.300s", id, got.String(), w)
				}
			}
			if n != len(want) {
				t.Errorf("replay printed %d keys, the file holds %d", n, len(want))
			}
		})
	}
}
