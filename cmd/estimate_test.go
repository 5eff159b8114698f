package cmd

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// TestEstimateJSONFieldNames pins the field names of "estimate --json"
// (docs/json.md, "estimate").
func TestEstimateJSONFieldNames(t *testing.T) {
	var lines []string
	for _, x := range []struct {
		name string
		v    any
	}{
		{"estimate", jsonEstimate{}},
		{"estimate --calibrate", jsonCalibration{}},
		{"estimate class", estimate.ClassStats{}},
		{"estimate command", estimate.CommandStats{}},
	} {
		var out []string
		jsonFields(x.name, reflect.TypeOf(x.v), &out)
		sort.Strings(out)
		lines = append(lines, out...)
	}
	golden(t, "estimate-json-fields.golden", []byte(strings.Join(lines, "\n")+"\n"))
}

func estimateJSON(t *testing.T, args ...string) map[string]any {
	t.Helper()
	r := run(t, nil, append([]string{"estimate", "--json"}, args...)...)
	if r.code != 0 {
		t.Fatalf("estimate %v: exit %d: %s", args, r.code, r.err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.out), &m); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, r.out)
	}
	return m
}

func TestEstimateSample(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir()) // no calibration of the user's
	m := estimateJSON(t, "--maxmemory", "1gb", "--write-rate", "5000", sample)
	est := m["estimate"].(map[string]any)
	if est["server"] != "redis-7.4" {
		t.Errorf("server %v, want the writer", est["server"])
	}
	mem := est["memory"].(map[string]any)
	if mem["fits"] != "yes" || mem["maxmemory"].(float64) != 1<<30 {
		t.Errorf("memory %v", mem)
	}
	// The writer's release has a built-in set: its own, not calibrated on
	// this machine (one note). A release without one gets the set of the
	// newest older line (redis-8.0: redis-7.4's), and a second note.
	cal := est["calibration"].(map[string]any)
	if cal["calibrated"] != false || cal["server"] != "redis-7.4" || cal["same_server"] != true || len(cal["notes"].([]any)) != 1 {
		t.Errorf("an uncalibrated estimate for a release with a built-in set must say so once: %v", cal)
	}
	cal = estimateJSON(t, "--server", "redis-8.0", sample)["estimate"].(map[string]any)["calibration"].(map[string]any)
	if cal["calibrated"] != false || cal["server"] != "redis-7.4" || cal["same_server"] != false || len(cal["notes"].([]any)) != 2 {
		t.Errorf("an uncalibrated estimate for another release must say so twice: %v", cal)
	}
	// The RDB ctime proof equals the ctime AUX field of the file.
	f, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := rdbfile.NewReader(f, nil).Header()
	if err != nil {
		t.Fatal(err)
	}
	ctime, _ := h.AuxValue("ctime")
	want, _ := strconv.ParseInt(string(ctime), 10, 64)
	last := est["loss"].(map[string]any)["last"].(map[string]any)
	if last["source"] != "ctime" || int64(last["time_ms"].(float64)) != want*1000 {
		t.Errorf("last write %v, want ctime %d s", last, want)
	}
	if r := run(t, nil, "estimate", sample); r.code != 0 || !strings.Contains(r.out, "recovery:\t") || !strings.Contains(r.out, "loss window:\t") {
		t.Errorf("text output: exit %d\n%s%s", r.code, r.out, r.err)
	}
}

// TestEstimateCalibrationFile: an estimate reads the user's calibration
// file of the release it is for (os.UserConfigDir()/rdbkit/estimate-<release>.json),
// names it and does not widen its range for the machine; for another
// release, or with a broken file given by --calibration, it does not use it.
func TestEstimateCalibrationFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_CONFIG_HOME", home)
	c := estimate.DefaultCoefficients()
	c.Server, c.Machine, c.Source = "redis-7.4", "this machine", "rdbkit estimate --calibrate"
	c.Load.NsPerKey *= 10
	path := filepath.Join(home, "rdbkit", "estimate-redis-7.4.json")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := estimate.WriteCoefficients(&buf, c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cal := func(m map[string]any) map[string]any {
		return m["estimate"].(map[string]any)["calibration"].(map[string]any)
	}
	seconds := func(m map[string]any) float64 {
		return m["estimate"].(map[string]any)["recovery"].(map[string]any)["seconds"].(map[string]any)["value"].(float64)
	}
	mine := estimateJSON(t, sample) // written by 7.4: the 7.4 file
	if got := cal(mine); got["source"] != path || got["calibrated"] != true || got["server"] != "redis-7.4" ||
		len(got["notes"].([]any)) != 0 || got["relative_error"].(float64) != c.Error {
		t.Errorf("with the user's 7.4 calibration: %v", got)
	}
	other := estimateJSON(t, "--server", "redis-7.0", sample)
	if got := cal(other); got["source"] != "built-in" || got["calibrated"] != false || len(got["notes"].([]any)) != 1 {
		t.Errorf("for 7.0, without a 7.0 calibration: %v", got)
	}
	if seconds(mine) <= seconds(other) {
		t.Errorf("the calibration's figures were not used: %g s with it, %g s built-in", seconds(mine), seconds(other))
	}
	if r := run(t, nil, "estimate", sample); !strings.Contains(r.out, "coefficients:\t"+path) {
		t.Errorf("text output does not name the calibration:\n%s", r.out)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"server":"redis-7.4","load":{"ns_per_keys":1}}`), 0o644)
	if r := run(t, nil, "estimate", "--calibration", bad, sample); r.code != 2 || !strings.Contains(r.err, "bad coefficients") {
		t.Errorf("a misspelt coefficients file: exit %d: %s", r.code, r.err)
	}
}

func TestEstimateUsage(t *testing.T) {
	for _, args := range [][]string{
		{"--calibrate", "/usr/bin/redis-server", sample},
		{"--calibrate", "/usr/bin/redis-server", "--calibrate-timeout", "0s"},
		{},
		{"--allocator", "tcmalloc", sample},
		{"--server", "redis-6.2", sample},
		{"--maxmemory", "lots", sample},
		{"--write-rate", "-1", sample},
	} {
		if r := run(t, nil, append([]string{"estimate"}, args...)...); r.code != 2 {
			t.Errorf("estimate %v: exit %d, want 2 (%s)", args, r.code, r.err)
		}
	}
}

// lastTS returns the last "#TS:" annotation in a file, read as plain lines.
func lastTS(t *testing.T, path string) (int64, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var ts int64
	found := false
	for _, ln := range bytes.Split(data, []byte("\n")) {
		if v, ok := bytes.CutPrefix(bytes.TrimRight(ln, "\r"), []byte("#TS:")); ok {
			if n, err := strconv.ParseInt(string(v), 10, 64); err == nil {
				ts, found = n, true
			}
		}
	}
	return ts, found
}

// TestEstimateLossWindowCorpus: on every timestamped AOF set of the
// corpus, each file's proof is its last "#TS:" annotation as the bytes
// hold it, or for an RDB base its ctime AUX field; the set's last write is
// the newest of them.
func TestEstimateLossWindowCorpus(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(corpusDir(t), "*", "aof-timestamp*", "appendonlydir"))
	if len(dirs) == 0 {
		t.Skip("no timestamped AOF sets in the corpus")
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(filepath.Dir(filepath.Dir(dir)))+"/"+filepath.Base(filepath.Dir(dir)), func(t *testing.T) {
			set, err := manifest.Resolve(dir, nil)
			if err != nil {
				t.Fatal(err)
			}
			m := estimateJSON(t, "--config", writeConf(t, "appendonly yes\nappendfsync always\n"), dir)
			loss := m["estimate"].(map[string]any)["loss"].(map[string]any)
			proofs := map[string]map[string]any{}
			for _, p := range loss["proofs"].([]any) {
				p := p.(map[string]any)
				proofs[p["file"].(string)] = p
			}
			var newest int64
			sawTS := false
			for _, f := range set.Files() {
				p := proofs[f.Name]
				if p == nil {
					t.Fatalf("no proof for %s: %v", f.Name, loss["proofs"])
				}
				got := int64(p["time_ms"].(float64))
				if ts, ok := lastTS(t, f.Path); ok && f.Content != manifest.ContentRDB {
					sawTS = true
					if p["source"] != "#TS" || got != ts*1000 {
						t.Errorf("%s: proof %v, the file's last #TS is %d", f.Name, p, ts)
					}
				} else if f.Content == manifest.ContentRDB {
					fh, err := os.Open(f.Path)
					if err != nil {
						t.Fatal(err)
					}
					h, err := rdbfile.NewReader(fh, nil).Header()
					fh.Close()
					if err != nil {
						t.Fatal(err)
					}
					c, _ := h.AuxValue("ctime")
					want, _ := strconv.ParseInt(string(c), 10, 64)
					if p["source"] != "ctime" || got != want*1000 {
						t.Errorf("%s: proof %v, ctime AUX %d", f.Name, p, want)
					}
				} else if p["source"] != "mtime" {
					t.Errorf("%s: a file without #TS or ctime must fall back to mtime, got %v", f.Name, p)
				}
				newest = max(newest, got)
			}
			if !sawTS {
				t.Error("no #TS annotation in a timestamped set")
			}
			if last := loss["last"].(map[string]any); int64(last["time_ms"].(float64)) != newest {
				t.Errorf("last %v, newest proof %d", last, newest)
			}
			if loss["window_commands"].(float64) != 1 || loss["window_seconds"].(float64) != 0 || loss["appendonly"] != true {
				t.Errorf("appendfsync always: %v", loss)
			}
			if want := float64(fixedNow.UnixMilli()-newest) / 1000; loss["behind_seconds"].(float64) != want {
				t.Errorf("behind %v, want %v", loss["behind_seconds"], want)
			}
		})
	}
}

func writeConf(t *testing.T, text string) string {
	p := filepath.Join(t.TempDir(), "redis.conf")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEstimateStyled renders the styled form (what a terminal gets) with
// the same facts as the plain form.
func TestEstimateStyled(t *testing.T) {
	f, err := os.Open(sample)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &estimate.Part{Name: "dump.rdb", Role: estimate.RoleRDB, Format: "rdb"}
	r := rdbfile.NewReader(f, nil)
	h, err := r.Header()
	if err != nil {
		t.Fatal(err)
	}
	p.AddHeader(h)
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if e.Kind == rdbfile.EntryKey {
			if err := e.Skip(); err != nil {
				t.Fatal(err)
			}
		}
		p.AddEntry(e)
	}
	rep := estimate.Estimate([]*estimate.Part{p}, estimate.DefaultCoefficients(), estimate.Options{MaxMemory: 1})
	var b bytes.Buffer
	if err := renderEstimate(&b, newStyles(&b, false), "dump.rdb", []*estimate.Part{p}, rep, true); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"recovery", "used_memory", "fits: no", "fork", "loss window", "advice"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("styled output lacks %q:\n%s", want, b.String())
		}
	}
}
