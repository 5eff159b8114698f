package cmd

import (
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
)

// jsonFields lists the JSON field names of t, recursing into structs,
// pointers and slices, one line per object: "<path>: a, b, c".
func jsonFields(path string, t reflect.Type, out *[]string) {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice {
			path += "[]"
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeOf(jsonBytes(nil)) {
		return
	}
	var names []string
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continueOrFail(f)
			continue
		}
		names = append(names, name)
		jsonFields(path+"."+name, f.Type, out)
	}
	*out = append(*out, path+": "+strings.Join(names, ", "))
}

func continueOrFail(f reflect.StructField) {
	panic("JSON struct field " + f.Name + " has no json tag: every field name must be pinned")
}

// TestJSONFieldNames pins every JSON field name rdbkit writes
// (docs/json.md documents them). Changing a name breaks users' scripts:
// update the golden file with -update only together with docs/json.md.
func TestJSONFieldNames(t *testing.T) {
	var lines []string
	for _, x := range []struct {
		name string
		v    any
	}{
		{"inspect", inspectReport{}},
		{"inspect --keys (line)", jsonKey{}},
		{"verify finding", jsonVerifyFinding{}},
		{"verify target", jsonVerifyTarget{}},
		{"verify file", jsonVerifyFile{}},
		{"verify summary", jsonVerifySummary{}},
		{"version", versionInfo{}},
		{"aof_file", jsonAOFFile{}},
		{"aof_set", jsonAOFSet{}},
		{"repair", jsonRepair{}},
		{"repair --undo", jsonUndo{}},
		{"replay key", jsonReplayKey{}},
		{"replay summary", jsonReplaySummary{}},
		{"replay value (stream)", convert.JSONStream{}},
		{"replay value (module)", convert.JSONModule{}},
		{"replay value (array)", convert.JSONArray{}},
		{"replay value (gcra)", convert.JSONGCRA{}},
		{"convert", jsonConvert{}},
	} {
		var out []string
		jsonFields(x.name, reflect.TypeOf(x.v), &out)
		sort.Strings(out)
		lines = append(lines, out...)
	}
	golden(t, "json-fields.golden", []byte(strings.Join(lines, "\n")+"\n"))
}

// TestJSONOutputHasEveryField checks that real output carries every pinned
// field (nothing is dropped by omitempty) and nothing else.
func TestJSONOutputHasEveryField(t *testing.T) {
	check := func(what string, obj map[string]any, typ reflect.Type) {
		t.Helper()
		want := map[string]bool{}
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			want[name] = true
		}
		for k := range obj {
			if !want[k] {
				t.Errorf("%s: unexpected field %q", what, k)
			}
		}
		for k := range want {
			if _, ok := obj[k]; !ok {
				t.Errorf("%s: field %q missing", what, k)
			}
		}
	}
	r := run(t, nil, "--json", "inspect", sample)
	var doc map[string]any
	if err := json.Unmarshal([]byte(r.out), &doc); err != nil {
		t.Fatal(err)
	}
	check("inspect", doc, reflect.TypeOf(inspectReport{}))
	check("inspect top[0]", doc["top"].([]any)[0].(map[string]any), reflect.TypeOf(jsonKey{}))
	r = run(t, nil, "--json", "inspect", "--keys", sample)
	check("inspect --keys", jsonLines(t, r.out)[0], reflect.TypeOf(jsonKey{}))

	data := []byte("REDIS0012\xff") // truncated: a finding, a file record
	_, recs := verifyJSON(t, "--target", "valkey-8.0", sample)
	r = run(t, strings.NewReader(string(data)), "--json", "verify", "-")
	recs = append(recs, jsonLines(t, r.out)...)
	seen := map[string]bool{}
	for _, rec := range recs {
		typ := map[string]reflect.Type{"finding": reflect.TypeOf(jsonVerifyFinding{}), "target": reflect.TypeOf(jsonVerifyTarget{}),
			"file": reflect.TypeOf(jsonVerifyFile{}), "summary": reflect.TypeOf(jsonVerifySummary{})}[rec["type"].(string)]
		if typ == nil {
			t.Fatalf("unknown record type %v", rec["type"])
		}
		seen[rec["type"].(string)] = true
		check("verify "+rec["type"].(string), rec, typ)
	}
	if len(seen) != 4 {
		t.Errorf("record types seen: %v", seen)
	}
}
