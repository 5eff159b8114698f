package convert_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/rdbfile"
)

const sample = "../testdata/redis-7.4.1-dump.rdb"

// eachValue calls fn with every key's decoded value in an RDB file.
func eachValue(t *testing.T, data []byte, fn func(key []byte, v *rdbfile.Value)) {
	t.Helper()
	eachRecord(t, data, func(e *rdbfile.Entry) {
		if e.Kind != rdbfile.EntryKey {
			return
		}
		v, err := e.Value()
		if err != nil {
			t.Fatalf("key %q: %v", e.Key, err)
		}
		fn(e.Key, v)
	})
}

// goodRDBs lists the sample and every RDB of the corpus that is not in a
// "damaged" directory.
func goodRDBs(t *testing.T) []string {
	files := []string{sample}
	dir := testcorpus.Path()
	if dir == "" {
		t.Log("corpus not found: testing on the committed sample only (set RDBKIT_CORPUS)")
		return files
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "damaged" || strings.HasPrefix(d.Name(), "aof")) {
			return filepath.SkipDir
		}
		if strings.HasSuffix(p, ".rdb") && !strings.HasPrefix(d.Name(), "corrupt") {
			files = append(files, p)
		}
		return nil
	})
	return files
}

// canonical puts v's unordered collections in the order JSONValue writes
// them, so that two Values holding the same data compare equal.
func canonical(v *rdbfile.Value) {
	slices.SortFunc(v.Set, bytes.Compare)
	slices.SortFunc(v.Hash, func(a, b rdbfile.HashField) int { return bytes.Compare(a.Field, b.Field) })
	slices.SortFunc(v.ZSet, func(a, b rdbfile.ZMember) int {
		if c := cmpFloat(a.Score, b.Score); c != 0 {
			return c
		}
		return bytes.Compare(a.Member, b.Member)
	})
	if s := v.Stream; s != nil {
		slices.SortFunc(s.Groups, func(a, b rdbfile.StreamGroup) int { return bytes.Compare(a.Name, b.Name) })
		for i := range s.Groups {
			g := &s.Groups[i]
			slices.SortFunc(g.PEL, func(a, b rdbfile.StreamPending) int { return idCmp(a.ID, b.ID) })
			slices.SortFunc(g.Consumers, func(a, b rdbfile.StreamConsumer) int { return bytes.Compare(a.Name, b.Name) })
			for j := range g.Consumers {
				slices.SortFunc(g.Consumers[j].PEL, idCmp)
			}
		}
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func idCmp(a, b rdbfile.StreamID) int {
	if a.Less(b) {
		return -1
	}
	if b.Less(a) {
		return 1
	}
	return 0
}

// same compares two values field by field through reflection, so that a
// field added to rdbfile's types is compared too. A nil slice equals an
// empty one; NaN equals NaN.
func same(a, b reflect.Value) bool {
	switch a.Kind() {
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return same(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !same(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !same(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y)
	}
	return a.Equal(b)
}

// TestJSONLosslessOnCorpus encodes every value of every good corpus RDB
// (all servers, upstream assets, RDB 14 arrays and streams, Valkey 9
// HASH_2), reads it back with ValueFromJSON and requires the same value:
// nothing a Value holds is lost.
func TestJSONLosslessOnCorpus(t *testing.T) {
	kinds := map[rdbfile.Kind]int{}
	for _, path := range goodRDBs(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		eachValue(t, data, func(key []byte, v *rdbfile.Value) {
			kinds[v.Kind]++
			js, err := json.Marshal(convert.JSONValue(v))
			if err != nil {
				t.Fatalf("%s: key %q: %v", path, key, err)
			}
			back, err := convert.ValueFromJSON(v.Kind, js)
			if err != nil {
				t.Fatalf("%s: key %q: %v\n%s", path, key, err, js)
			}
			canonical(v)
			canonical(back)
			if !same(reflect.ValueOf(v), reflect.ValueOf(back)) {
				t.Errorf("%s: key %q: lost in JSON\n value %+v\n back  %+v\n json  %.400s", path, key, v, back, js)
			}
		})
	}
	t.Logf("values per kind: %v", kinds)
	if testcorpus.Path() != "" {
		for k := rdbfile.KindString; k <= rdbfile.KindArray; k++ {
			if k != rdbfile.KindModule && kinds[k] == 0 {
				t.Errorf("the corpus gave no %v value", k)
			}
		}
	}
}

// TestJSONDeterministic checks that the order of unordered collections in
// memory does not change the bytes written.
func TestJSONDeterministic(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shuffle := func(n int, swap func(i, j int)) { rng.Shuffle(n, swap) }
	for _, path := range goodRDBs(t) {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		eachValue(t, data, func(key []byte, v *rdbfile.Value) {
			want, err := json.Marshal(convert.JSONValue(v))
			if err != nil {
				t.Fatal(err)
			}
			shuffle(len(v.Set), func(i, j int) { v.Set[i], v.Set[j] = v.Set[j], v.Set[i] })
			shuffle(len(v.Hash), func(i, j int) { v.Hash[i], v.Hash[j] = v.Hash[j], v.Hash[i] })
			shuffle(len(v.ZSet), func(i, j int) { v.ZSet[i], v.ZSet[j] = v.ZSet[j], v.ZSet[i] })
			if s := v.Stream; s != nil {
				shuffle(len(s.Groups), func(i, j int) { s.Groups[i], s.Groups[j] = s.Groups[j], s.Groups[i] })
				for _, g := range s.Groups {
					shuffle(len(g.PEL), func(i, j int) { g.PEL[i], g.PEL[j] = g.PEL[j], g.PEL[i] })
					shuffle(len(g.Consumers), func(i, j int) { g.Consumers[i], g.Consumers[j] = g.Consumers[j], g.Consumers[i] })
					for _, c := range g.Consumers {
						shuffle(len(c.PEL), func(i, j int) { c.PEL[i], c.PEL[j] = c.PEL[j], c.PEL[i] })
					}
				}
			}
			got, err := json.Marshal(convert.JSONValue(v))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s: key %q: output depends on memory order\n%.300s\n%.300s", path, key, want, got)
			}
		})
	}
}

// TestJSONMatchesServer compares the JSON of the RDB 14 arrays and streams
// with what the server that wrote the file reported for them (ARGETALL-style
// element lists, XINFO STREAM FULL: PEL entries with their consumer,
// delivery time and count, consumers with seen and active times).
func TestJSONMatchesServer(t *testing.T) {
	dir := filepath.Join(testcorpus.Dir(t), "redis-unstable-2026-06-09", "rdb")
	var gt struct {
		DBs map[string]struct {
			Keys []struct {
				Key   convert.JSONBytes `json:"key"`
				Type  string            `json:"type"`
				Value json.RawMessage   `json:"value"`
			} `json:"keys"`
		} `json:"dbs"`
	}
	raw, err := os.ReadFile(filepath.Join(dir, "gt-dataset.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &gt); err != nil {
		t.Fatal(err)
	}
	want := map[string]json.RawMessage{}
	for _, db := range gt.DBs {
		for _, k := range db.Keys {
			if k.Type == "array" || k.Type == "stream" {
				want[string(k.Key)] = k.Value
			}
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	arrays, pels := 0, 0
	eachValue(t, data, func(key []byte, v *rdbfile.Value) {
		w, ok := want[string(key)]
		if !ok {
			return
		}
		js, err := json.Marshal(convert.JSONValue(v))
		if err != nil {
			t.Fatal(err)
		}
		switch v.Kind {
		case rdbfile.KindArray:
			arrays++
			var got struct {
				Elements []struct {
					Index uint64          `json:"index"`
					Tag   string          `json:"tag"`
					Value json.RawMessage `json:"value"`
				} `json:"elements"`
			}
			var srv struct {
				Elements [][2]json.RawMessage `json:"elements"` // [index, value]; a long value as {len, sha256}
			}
			if err := json.Unmarshal(js, &got); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(w, &srv); err != nil {
				t.Fatalf("%s: %v: %s", key, err, w)
			}
			if len(got.Elements) != len(srv.Elements) {
				t.Fatalf("%s: %d elements, server %d", key, len(got.Elements), len(srv.Elements))
			}
			for i, e := range got.Elements {
				var s [2]convert.JSONBytes
				var digest struct {
					Len    int    `json:"len"`
					SHA256 string `json:"sha256"`
				}
				if json.Unmarshal(srv.Elements[i][0], &s[0]) != nil ||
					json.Unmarshal(srv.Elements[i][1], &s[1]) != nil && json.Unmarshal(srv.Elements[i][1], &digest) != nil {
					t.Fatalf("%s: server element %s", key, srv.Elements[i])
				}
				if strconv.FormatUint(e.Index, 10) != string(s[0]) {
					t.Errorf("%s: element %d index %d, server %s", key, i, e.Index, s[0])
				}
				var text convert.JSONBytes
				switch e.Tag {
				case "int":
					text = convert.JSONBytes(e.Value)
				case "float":
					f, _ := strconv.ParseFloat(string(s[1]), 64)
					var g float64
					if json.Unmarshal(e.Value, &g) != nil || g != f {
						t.Errorf("%s[%d]: float %s, server %s", key, e.Index, e.Value, s[1])
					}
					continue
				default:
					_ = json.Unmarshal(e.Value, &text)
				}
				if digest.SHA256 != "" {
					if sum := sha256.Sum256(text); len(text) != digest.Len || hex.EncodeToString(sum[:]) != digest.SHA256 {
						t.Errorf("%s[%d]: %d bytes with sha256 %x, server %+v", key, e.Index, len(text), sum, digest)
					}
					continue
				}
				if !bytes.Equal(text, s[1]) {
					t.Errorf("%s[%d]: %s %s, server %q", key, e.Index, e.Tag, e.Value, s[1])
				}
			}
		case rdbfile.KindStream:
			var got convert.JSONStream
			if err := json.Unmarshal(js, &got); err != nil {
				t.Fatal(err)
			}
			var srv struct {
				Groups []struct {
					Name      string  `json:"name"`
					Pending   [][]any `json:"pending"` // [id, consumer, delivery time, count]
					Consumers []struct {
						Name   string  `json:"name"`
						Seen   int64   `json:"seen-time"`
						Active int64   `json:"active-time"`
						PEL    [][]any `json:"pending"`
					} `json:"consumers"`
				} `json:"groups"`
			}
			d := json.NewDecoder(bytes.NewReader(w))
			d.UseNumber()
			if err := d.Decode(&srv); err != nil {
				t.Fatal(err)
			}
			if len(got.Groups) != len(srv.Groups) {
				t.Fatalf("%s: %d groups, server %d", key, len(got.Groups), len(srv.Groups))
			}
			for gi, sg := range srv.Groups {
				g := got.Groups[gi]
				owner := map[string]string{}
				for _, c := range g.Consumers {
					for _, id := range c.PEL {
						owner[id] = string(c.Name)
					}
				}
				if string(g.Name) != sg.Name || len(g.PEL) != len(sg.Pending) || g.Pending != len(sg.Pending) {
					t.Fatalf("%s: group %s with %d pending, server %s with %d", key, g.Name, len(g.PEL), sg.Name, len(sg.Pending))
				}
				for i, p := range sg.Pending {
					e := g.PEL[i]
					pels++
					if e.ID != p[0] || owner[e.ID] != p[1] || strconv.FormatInt(e.DeliveryTime, 10) != string(p[2].(json.Number)) ||
						strconv.FormatUint(e.DeliveryCount, 10) != string(p[3].(json.Number)) {
						t.Errorf("%s: PEL entry %+v (consumer %q), server %v", key, e, owner[e.ID], p)
					}
				}
				if len(g.Consumers) != len(sg.Consumers) {
					t.Fatalf("%s: %d consumers, server %d", key, len(g.Consumers), len(sg.Consumers))
				}
				for i, sc := range sg.Consumers {
					c := g.Consumers[i]
					if string(c.Name) != sc.Name || c.SeenTime != sc.Seen || c.ActiveTime != sc.Active || len(c.PEL) != len(sc.PEL) {
						t.Errorf("%s: consumer %+v, server %+v", key, c, sc)
					}
				}
			}
		}
	})
	if arrays < 10 || pels < 10 {
		t.Errorf("compared %d arrays and %d PEL entries: the corpus file changed?", arrays, pels)
	}
}

// rdbWith builds an RDB file of the given version holding one key of RDB
// type typ whose value bytes are body, with checksums off (an all-zero
// trailer, as rdbchecksum no writes).
func rdbWith(version int, typ byte, key string, body []byte) []byte {
	var b bytes.Buffer
	b.WriteString("REDIS" + strings.Repeat("0", 4-len(strconv.Itoa(version))) + strconv.Itoa(version))
	b.Write([]byte{0xfe, 0x00, typ, byte(len(key))})
	b.WriteString(key)
	b.Write(body)
	b.Write([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 0})
	return b.Bytes()
}

// TestJSONSchema pins the JSON of one value of each kind, byte for byte
// (docs/json.md documents these shapes). The module and GCRA values come
// from files built here, since no corpus server has those types.
func TestJSONSchema(t *testing.T) {
	var d [8]byte
	binary.LittleEndian.PutUint64(d[:], math.Float64bits(2.5))
	// Module: ReJSON-RL encver 3 as a 64-bit length, then UINT 5, STRING
	// "hi", DOUBLE 2.5, EOF (Redis src/rdb.c rdbSaveObject, src/module.c).
	modBody := append([]byte{0x81, 0x45, 0xe2, 0x52, 0x38, 0xdf, 0x91, 0x2c, 0x03, 0x02, 0x05, 0x05, 0x02, 'h', 'i', 0x04}, append(d[:], 0x00)...)
	// GCRA (type 33, RDB 15): the tat as a 32-bit length 0x80 + 4 bytes BE.
	gcraBody := []byte{0x80, 0x00, 0x01, 0xe2, 0x40}
	for _, c := range []struct {
		name string
		file []byte
		want string
	}{
		{"module", rdbWith(9, 7, "m", modBody),
			`{"module":"ReJSON-RL","encver":3,"id":5035677737576115203,"raw":{"b64":"AgUFAmhpBAAAAAAAAARAAA=="}}`},
		{"gcra", rdbWith(15, 33, "g", gcraBody), `{"tat":123456}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := 0
			eachValue(t, c.file, func(key []byte, v *rdbfile.Value) {
				n++
				js, err := convert.MarshalNoEscape(convert.JSONValue(v))
				if err != nil {
					t.Fatal(err)
				}
				if string(js) != c.want {
					t.Errorf("got  %s\nwant %s", js, c.want)
				}
				back, err := convert.ValueFromJSON(v.Kind, js)
				if err != nil || !same(reflect.ValueOf(v), reflect.ValueOf(back)) {
					t.Errorf("read back: %+v, %v; want %+v", back, err, v)
				}
			})
			if n != 1 {
				t.Fatalf("%d values read", n)
			}
		})
	}

	// The other kinds, on values built in memory (their corpus forms are
	// covered by TestJSONLosslessOnCorpus).
	for _, c := range []struct {
		v    *rdbfile.Value
		want string
	}{
		{&rdbfile.Value{Kind: rdbfile.KindString, String: []byte("bin\x00key\xff\xfe")}, `{"b64":"YmluAGtlef/+"}`},
		{&rdbfile.Value{Kind: rdbfile.KindString, String: []byte("<a&b>")}, `"<a&b>"`},
		{&rdbfile.Value{Kind: rdbfile.KindList, List: [][]byte{[]byte("b"), []byte("a")}}, `["b","a"]`},
		{&rdbfile.Value{Kind: rdbfile.KindSet, Set: [][]byte{[]byte("b"), []byte("a")}}, `["a","b"]`},
		{&rdbfile.Value{Kind: rdbfile.KindZSet, ZSet: []rdbfile.ZMember{{Member: []byte("x"), Score: math.Inf(1)},
			{Member: []byte("y"), Score: -1.5}, {Member: []byte("z"), Score: math.Inf(-1)}}}, `[["z","-inf"],["y",-1.5],["x","inf"]]`},
		{&rdbfile.Value{Kind: rdbfile.KindHash, Hash: []rdbfile.HashField{{Field: []byte("b"), Value: []byte("2"), ExpireAt: rdbfile.NoExpire},
			{Field: []byte("a"), Value: []byte("1"), ExpireAt: 4102444800123}, {Field: []byte("c"), Value: []byte("3"), ExpireAt: 1<<48 - 1}}},
			`[["a","1","2100-01-01T00:00:00.123Z"],["b","2",null],["c","3",281474976710655]]`},
		{&rdbfile.Value{Kind: rdbfile.KindArray, Array: &rdbfile.Array{HasCursor: true, InsertIdx: 2, Elements: []rdbfile.ArrayElement{
			{Index: 0, Tag: rdbfile.ArrayInt, Int: -9223372036854775808}, {Index: 5, Tag: rdbfile.ArrayFloat, Float: 3.5},
			{Index: 7, Tag: rdbfile.ArraySmallStr, Str: []byte("tiny")}, {Index: 1<<64 - 2, Tag: rdbfile.ArraySDS, Str: []byte("far")}}}},
			`{"elements":[{"index":0,"tag":"int","value":-9223372036854775808},{"index":5,"tag":"float","value":3.5},` +
				`{"index":7,"tag":"smallstr","value":"tiny"},{"index":18446744073709551614,"tag":"sds","value":"far"}],"insert_index":2}`},
		{&rdbfile.Value{Kind: rdbfile.KindStream, Stream: &rdbfile.Stream{Length: 1, LastID: rdbfile.StreamID{Ms: 5, Seq: 1},
			FirstID: rdbfile.StreamID{Ms: 5}, EntriesAdded: 2, HasV2Meta: true, MaxDeletedID: rdbfile.StreamID{Ms: 5, Seq: 1},
			Entries: []rdbfile.StreamEntry{{ID: rdbfile.StreamID{Ms: 5}, Fields: [][]byte{[]byte("f"), []byte("v")}}},
			Groups: []rdbfile.StreamGroup{{Name: []byte("g"), LastID: rdbfile.StreamID{Ms: 5}, EntriesRead: -1,
				PEL:       []rdbfile.StreamPending{{ID: rdbfile.StreamID{Ms: 5}, DeliveryTime: 1700000000000, DeliveryCount: 2}},
				Consumers: []rdbfile.StreamConsumer{{Name: []byte("alice"), SeenTime: 1700000000001, ActiveTime: -1, PEL: []rdbfile.StreamID{{Ms: 5}}}},
				NACK:      []rdbfile.StreamID{}}},
			IDMP: &rdbfile.StreamIDMP{Duration: 100, MaxEntries: 100, IIDsAdded: 1, Producers: []rdbfile.IDMPProducer{
				{PID: []byte("p"), Entries: []rdbfile.IDMPEntry{{IID: []byte("i"), ID: rdbfile.StreamID{Ms: 5}}}}}}}},
			`{"length":1,"last_id":"5-1","first_id":"5-0","max_deleted_id":"5-1","entries_added":2,"v2_meta":true,` +
				`"entries":[{"id":"5-0","fields":["f","v"]}],"groups":[{"name":"g","last_delivered_id":"5-0","entries_read":-1,"pending":1,` +
				`"pel":[{"id":"5-0","delivery_time_ms":1700000000000,"delivery_count":2}],` +
				`"consumers":[{"name":"alice","seen_time_ms":1700000000001,"active_time_ms":-1,"pel":["5-0"]}],"nack":[]}],` +
				`"idmp":{"duration_s":100,"max_entries":100,"producers":[{"pid":"p","entries":[{"iid":"i","id":"5-0"}]}],"iids_added":1,"iids_duplicates":0}}`},
		{&rdbfile.Value{Kind: rdbfile.KindStream, Stream: &rdbfile.Stream{Length: 0, LastID: rdbfile.StreamID{Ms: 7}, EntriesAdded: 0}},
			`{"length":0,"last_id":"7-0","first_id":"0-0","max_deleted_id":"0-0","entries_added":0,"v2_meta":false,"entries":[],"groups":[],"idmp":null}`},
		{&rdbfile.Value{Kind: rdbfile.KindGCRA, GCRA: -5}, `{"tat":-5}`},
	} {
		js, err := convert.MarshalNoEscape(convert.JSONValue(c.v))
		if err != nil {
			t.Fatal(err)
		}
		if string(js) != c.want {
			t.Errorf("%v:\ngot  %s\nwant %s", c.v.Kind, js, c.want)
		}
		back, err := convert.ValueFromJSON(c.v.Kind, js)
		if err != nil {
			t.Fatalf("%v: %v", c.v.Kind, err)
		}
		canonical(c.v)
		if !same(reflect.ValueOf(c.v), reflect.ValueOf(back)) {
			t.Errorf("%v: read back %+v, want %+v", c.v.Kind, back, c.v)
		}
	}
}

// TestValueFromJSONErrors checks that bad input is an error, not a panic
// or a silently wrong value.
func TestValueFromJSONErrors(t *testing.T) {
	for _, c := range []struct {
		k    rdbfile.Kind
		json string
	}{
		{rdbfile.KindString, `{"b65":"x"}`},
		{rdbfile.KindString, `{"b64":"!!"}`},
		{rdbfile.KindZSet, `[["a"]]`},
		{rdbfile.KindZSet, `[["a","infinity"]]`},
		{rdbfile.KindHash, `[["a","b","yesterday"]]`},
		{rdbfile.KindHash, `[["a","b"]]`},
		{rdbfile.KindStream, `{"last_id":"5"}`},
		{rdbfile.KindStream, `{"last_id":"5-0","first_id":"0-0","max_deleted_id":"0-0","groups":[{"last_delivered_id":"0-0","pel":[{"id":"x-1"}]}]}`},
		{rdbfile.KindArray, `{"elements":[{"index":1,"tag":"bool","value":true}]}`},
		{rdbfile.KindArray, `{"elements":[{"index":1,"tag":"int","value":1.5}]}`},
		{rdbfile.KindArray, `{"elements":[{"index":-1,"tag":"int","value":1}]}`},
		{rdbfile.KindGCRA, `{"tat":"soon"}`},
		{rdbfile.KindList, `[1]`},
		{rdbfile.Kind(99), `null`},
	} {
		if v, err := convert.ValueFromJSON(c.k, []byte(c.json)); err == nil {
			t.Errorf("%v %s: no error, got %+v", c.k, c.json, v)
		}
	}
}

// FuzzValueFromJSON feeds arbitrary JSON to ValueFromJSON, seeded with the
// JSON of every value of the sample file. It must never panic, and what it
// accepts must survive a second round trip unchanged.
func FuzzValueFromJSON(f *testing.F) {
	data, err := os.ReadFile(sample)
	if err != nil {
		f.Fatal(err)
	}
	r := rdbfile.NewReader(bytes.NewReader(data), nil)
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if e.Kind != rdbfile.EntryKey {
			continue
		}
		v, err := e.Value()
		if err != nil {
			f.Fatal(err)
		}
		js, _ := json.Marshal(convert.JSONValue(v))
		f.Add(uint8(v.Kind), js)
	}
	f.Add(uint8(rdbfile.KindArray), []byte(`{"elements":[{"index":1,"tag":"float","value":"nan"}],"insert_index":3}`))
	f.Add(uint8(rdbfile.KindGCRA), []byte(`{"tat":1}`))
	f.Add(uint8(rdbfile.KindModule), []byte(`{"module":"ReJSON-RL","encver":3,"id":5035677737576115203,"raw":{"b64":"AA=="}}`))
	f.Fuzz(func(t *testing.T, kind uint8, in []byte) {
		v, err := convert.ValueFromJSON(rdbfile.Kind(kind), in)
		if err != nil {
			return
		}
		js, err := json.Marshal(convert.JSONValue(v))
		if err != nil {
			t.Fatalf("accepted %s but cannot write it back: %v", in, err)
		}
		v2, err := convert.ValueFromJSON(v.Kind, js)
		if err != nil {
			t.Fatalf("cannot read back %s: %v", js, err)
		}
		js2, _ := json.Marshal(convert.JSONValue(v2))
		if !bytes.Equal(js, js2) {
			t.Fatalf("second round trip differs:\n%s\n%s", js, js2)
		}
	})
}
