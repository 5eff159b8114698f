package rdbfile_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// corpusDir locates ../shared/corpus (RDBKIT_CORPUS overrides it).
func corpusDir(t testing.TB) string { t.Helper(); return testcorpus.Dir(t) }

var corpusServers = []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"}

// decoded is one key read from a file.
type decoded struct {
	db  int
	e   rdbfile.Entry
	val *rdbfile.Value
}

type readResult struct {
	hdr       *rdbfile.Header
	keys      map[string]*decoded // "db\x00key"
	functions []string
	sum       rdbfile.ChecksumStatus
	findings  []rdbfile.Finding
}

func readAllFile(t *testing.T, path string) *readResult {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	r := rdbfile.NewReader(f, &rdbfile.Options{Size: st.Size()})
	res, err := readAll(r)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return res
}

func readAll(r *rdbfile.Reader) (*readResult, error) {
	hdr, err := r.Header()
	if err != nil {
		return nil, err
	}
	res := &readResult{hdr: hdr, keys: map[string]*decoded{}}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch e.Kind {
		case rdbfile.EntryFunction:
			res.functions = append(res.functions, string(e.Data))
		case rdbfile.EntryKey:
			v, err := e.Value()
			if err != nil {
				return nil, err
			}
			d := &decoded{db: e.DB, e: *e, val: v}
			d.e.Key = append([]byte(nil), e.Key...)
			k := strconv.Itoa(e.DB) + "\x00" + string(e.Key)
			if _, dup := res.keys[k]; dup {
				return nil, fmt.Errorf("duplicate key %q in db %d", e.Key, e.DB)
			}
			res.keys[k] = d
		}
	}
	res.sum = r.Checksum()
	res.findings = r.Findings()
	return res, nil
}

// Ground truth (corpus README "Ground-truth JSON").
type gtFile struct {
	DebugDigest string          `json:"debug_digest"`
	HashTTLs    bool            `json:"hash_field_ttls_included"`
	DBs         map[string]gtDB `json:"dbs"`
	Functions   []struct {
		Code string `json:"library_code"`
	} `json:"functions"`
}
type gtDB struct {
	DBSize int     `json:"dbsize"`
	Keys   []gtKey `json:"keys"`
}
type gtKey struct {
	Key         json.RawMessage `json:"key"`
	Type        string          `json:"type"`
	Encoding    string          `json:"encoding"`
	PExpireTime int64           `json:"pexpiretime"`
	DigestValue string          `json:"digest_value"`
	Value       json.RawMessage `json:"value"`
}

// bstr is a ground-truth binary string: plain, {"b64"}, or {"len","sha256"}.
type bstr struct {
	b      []byte
	long   bool
	length int
	sha    string
}

func parseBstr(raw json.RawMessage) (bstr, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return bstr{b: []byte(s)}, nil
	}
	var o struct {
		B64    *string `json:"b64"`
		Len    int     `json:"len"`
		SHA256 string  `json:"sha256"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return bstr{}, err
	}
	if o.B64 != nil {
		b, err := base64.StdEncoding.DecodeString(*o.B64)
		return bstr{b: b}, err
	}
	return bstr{long: true, length: o.Len, sha: o.SHA256}, nil
}

func (g bstr) equal(b []byte) bool {
	if g.long {
		h := sha256.Sum256(b)
		return len(b) == g.length && hex.EncodeToString(h[:]) == g.sha
	}
	return bytes.Equal(g.b, b)
}

func (g bstr) String() string {
	if g.long {
		return fmt.Sprintf("<%d bytes sha256 %s>", g.length, g.sha[:12])
	}
	return strconv.Quote(string(g.b))
}

func mustBstr(t *testing.T, raw json.RawMessage) bstr {
	t.Helper()
	b, err := parseBstr(raw)
	if err != nil {
		t.Fatalf("bad ground-truth string %s: %v", raw, err)
	}
	return b
}

func loadGT(t *testing.T, path string) *gtFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g gtFile
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &g
}

// encodingClass maps OBJECT ENCODING at capture to the RDB types that may
// hold it. The loading server re-chooses encodings, so this is a class test.
var encodingClass = map[string][]rdbfile.Type{
	"string/int": {0}, "string/embstr": {0}, "string/raw": {0},
	"list/quicklist": {18, 14, 10, 1}, "list/listpack": {18},
	"set/intset": {11}, "set/listpack": {20}, "set/hashtable": {2},
	"zset/listpack": {17, 12}, "zset/skiplist": {5, 3},
	"hash/listpack": {16, 13, 9}, "hash/hashtable": {4, 24}, "hash/listpackex": {25},
	"stream/stream": {15, 19, 21},
}

func parseScore(s string) float64 {
	switch s {
	case "inf":
		return math.Inf(1)
	case "-inf":
		return math.Inf(-1)
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		panic(err)
	}
	return f
}

func scoreFromJSON(raw json.RawMessage) float64 {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return parseScore(s)
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		panic(err)
	}
	return f
}

func compareKey(t *testing.T, where string, g gtKey, d *decoded, hashTTLs bool) {
	t.Helper()
	fail := func(format string, a ...any) {
		t.Helper()
		t.Errorf("%s: "+format, append([]any{where}, a...)...)
	}
	if d.e.ValueKind.String() != g.Type {
		fail("type %s, want %s", d.e.ValueKind, g.Type)
		return
	}
	allowed := encodingClass[g.Type+"/"+g.Encoding]
	okEnc := false
	for _, a := range allowed {
		okEnc = okEnc || a == d.e.Type
	}
	if !okEnc {
		fail("RDB type %s does not hold encoding %s", d.e.TypeName, g.Encoding)
	}
	if d.e.ExpireAt != g.PExpireTime {
		fail("expire %d, want %d", d.e.ExpireAt, g.PExpireTime)
	}
	v := d.val
	switch g.Type {
	case "string":
		if want := mustBstr(t, g.Value); !want.equal(v.String) {
			fail("value %q, want %s", trunc(v.String), want)
		}
	case "list":
		var items []json.RawMessage
		json.Unmarshal(g.Value, &items)
		if len(items) != len(v.List) {
			fail("list length %d, want %d", len(v.List), len(items))
			return
		}
		for i, it := range items {
			if w := mustBstr(t, it); !w.equal(v.List[i]) {
				fail("list[%d] = %q, want %s", i, trunc(v.List[i]), w)
			}
		}
	case "set":
		var items []json.RawMessage
		json.Unmarshal(g.Value, &items)
		got := append([][]byte(nil), v.Set...)
		sort.Slice(got, func(i, j int) bool { return bytes.Compare(got[i], got[j]) < 0 })
		if len(items) != len(got) {
			fail("set size %d, want %d", len(got), len(items))
			return
		}
		for i, it := range items {
			if w := mustBstr(t, it); !w.equal(got[i]) {
				fail("set member %d = %q, want %s", i, got[i], w)
			}
		}
	case "zset":
		var items [][2]json.RawMessage
		if err := json.Unmarshal(g.Value, &items); err != nil {
			t.Fatal(err)
		}
		got := append([]rdbfile.ZMember(nil), v.ZSet...)
		sort.Slice(got, func(i, j int) bool {
			if got[i].Score != got[j].Score {
				return got[i].Score < got[j].Score
			}
			return bytes.Compare(got[i].Member, got[j].Member) < 0
		})
		if len(items) != len(got) {
			fail("zset size %d, want %d", len(got), len(items))
			return
		}
		for i, it := range items {
			w := mustBstr(t, it[0])
			ws := scoreFromJSON(it[1])
			if !w.equal(got[i].Member) || got[i].Score != ws {
				fail("zset[%d] = %q %v, want %s %v", i, got[i].Member, got[i].Score, w, ws)
			}
		}
	case "hash":
		var items [][]json.RawMessage
		json.Unmarshal(g.Value, &items)
		got := append([]rdbfile.HashField(nil), v.Hash...)
		sort.Slice(got, func(i, j int) bool { return bytes.Compare(got[i].Field, got[j].Field) < 0 })
		if len(items) != len(got) {
			fail("hash size %d, want %d", len(got), len(items))
			return
		}
		for i, it := range items {
			f, val := mustBstr(t, it[0]), mustBstr(t, it[1])
			if !f.equal(got[i].Field) || !val.equal(got[i].Value) {
				fail("hash[%d] = %q=%q, want %s=%s", i, got[i].Field, trunc(got[i].Value), f, val)
			}
			if len(it) > 2 {
				var exp int64
				json.Unmarshal(it[2], &exp)
				if got[i].ExpireAt != exp {
					fail("hash field %s expire %d, want %d", f, got[i].ExpireAt, exp)
				}
			} else if got[i].ExpireAt != rdbfile.NoExpire && hashTTLs {
				fail("hash field %s has expire %d, want none", f, got[i].ExpireAt)
			}
		}
	case "stream":
		compareStream(t, where, g.Value, v.Stream)
	default:
		fail("unhandled type %s", g.Type)
	}
}

type gtStream struct {
	Length       uint64              `json:"length"`
	LastID       string              `json:"last-generated-id"`
	MaxDeleted   string              `json:"max-deleted-entry-id"`
	EntriesAdded uint64              `json:"entries-added"`
	FirstID      string              `json:"recorded-first-entry-id"`
	Entries      [][]json.RawMessage `json:"entries"`
	Groups       []struct {
		Name        string              `json:"name"`
		LastID      string              `json:"last-delivered-id"`
		EntriesRead *int64              `json:"entries-read"`
		PELCount    int                 `json:"pel-count"`
		Pending     [][]json.RawMessage `json:"pending"`
		Consumers   []struct {
			Name       string              `json:"name"`
			SeenTime   int64               `json:"seen-time"`
			ActiveTime *int64              `json:"active-time"`
			PELCount   int                 `json:"pel-count"`
			Pending    [][]json.RawMessage `json:"pending"`
		} `json:"consumers"`
	} `json:"groups"`
}

func compareStream(t *testing.T, where string, raw json.RawMessage, s *rdbfile.Stream) {
	t.Helper()
	var g gtStream
	if err := json.Unmarshal(raw, &g); err != nil {
		t.Fatal(err)
	}
	fail := func(format string, a ...any) {
		t.Helper()
		t.Errorf("%s: "+format, append([]any{where}, a...)...)
	}
	if s.Length != g.Length || s.LastID.String() != g.LastID {
		fail("length/last id %d %s, want %d %s", s.Length, s.LastID, g.Length, g.LastID)
	}
	if s.HasV2Meta {
		if s.MaxDeletedID.String() != g.MaxDeleted || s.EntriesAdded != g.EntriesAdded || s.FirstID.String() != g.FirstID {
			fail("v2 metadata %s %d %s, want %s %d %s", s.MaxDeletedID, s.EntriesAdded, s.FirstID, g.MaxDeleted, g.EntriesAdded, g.FirstID)
		}
	}
	if len(g.Entries) != len(s.Entries) {
		fail("%d entries, want %d", len(s.Entries), len(g.Entries))
		return
	}
	for i, ge := range g.Entries {
		var id string
		json.Unmarshal(ge[0], &id)
		var pairs [][2]json.RawMessage
		json.Unmarshal(ge[1], &pairs)
		se := s.Entries[i]
		if se.ID.String() != id || len(se.Fields) != 2*len(pairs) {
			fail("entry %d id %s (%d fields), want %s (%d)", i, se.ID, len(se.Fields)/2, id, len(pairs))
			continue
		}
		for j, p := range pairs {
			if f, v := mustBstr(t, p[0]), mustBstr(t, p[1]); !f.equal(se.Fields[2*j]) || !v.equal(se.Fields[2*j+1]) {
				fail("entry %s pair %d = %q %q, want %s %s", id, j, se.Fields[2*j], se.Fields[2*j+1], f, v)
			}
		}
	}
	if len(g.Groups) != len(s.Groups) {
		fail("%d groups, want %d", len(s.Groups), len(g.Groups))
		return
	}
	for i, gg := range g.Groups {
		sg := s.Groups[i]
		if string(sg.Name) != gg.Name || sg.LastID.String() != gg.LastID || len(sg.PEL) != gg.PELCount {
			fail("group %d %q %s pel %d, want %q %s pel %d", i, sg.Name, sg.LastID, len(sg.PEL), gg.Name, gg.LastID, gg.PELCount)
			continue
		}
		if gg.EntriesRead != nil && s.HasV2Meta && sg.EntriesRead != *gg.EntriesRead {
			fail("group %s entries-read %d, want %d", gg.Name, sg.EntriesRead, *gg.EntriesRead)
		}
		owner := map[rdbfile.StreamID]string{}
		for _, c := range sg.Consumers {
			for _, id := range c.PEL {
				owner[id] = string(c.Name)
			}
		}
		for j, p := range gg.Pending {
			var id, cons string
			var dt int64
			var dc uint64
			json.Unmarshal(p[0], &id)
			json.Unmarshal(p[1], &cons)
			json.Unmarshal(p[2], &dt)
			json.Unmarshal(p[3], &dc)
			sp := sg.PEL[j]
			if sp.ID.String() != id || sp.DeliveryTime != dt || sp.DeliveryCount != dc || owner[sp.ID] != cons {
				fail("group %s PEL %d = %s %s %d %d, want %s %s %d %d", gg.Name, j, sp.ID, owner[sp.ID], sp.DeliveryTime, sp.DeliveryCount, id, cons, dt, dc)
			}
		}
		if len(gg.Consumers) != len(sg.Consumers) {
			fail("group %s: %d consumers, want %d", gg.Name, len(sg.Consumers), len(gg.Consumers))
			continue
		}
		for j, gc := range gg.Consumers {
			sc := sg.Consumers[j]
			if string(sc.Name) != gc.Name || sc.SeenTime != gc.SeenTime || len(sc.PEL) != gc.PELCount {
				fail("consumer %s/%s seen %d pel %d, want %s seen %d pel %d", gg.Name, sc.Name, sc.SeenTime, len(sc.PEL), gc.Name, gc.SeenTime, gc.PELCount)
			}
			if gc.ActiveTime != nil && sc.ActiveTime != -1 && sc.ActiveTime != *gc.ActiveTime {
				fail("consumer %s/%s active %d, want %d", gg.Name, sc.Name, sc.ActiveTime, *gc.ActiveTime)
			}
		}
	}
}

func trunc(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

// compareWithGT checks every key of res against the ground truth g.
func compareWithGT(t *testing.T, name string, res *readResult, g *gtFile) {
	t.Helper()
	seen := 0
	for dbs, db := range g.DBs {
		dbn, _ := strconv.Atoi(dbs)
		for _, k := range db.Keys {
			key := mustBstr(t, k.Key)
			d := res.keys[strconv.Itoa(dbn)+"\x00"+string(key.b)]
			if d == nil {
				t.Errorf("%s: db %d key %s missing", name, dbn, key)
				continue
			}
			seen++
			compareKey(t, fmt.Sprintf("%s db%d %s", name, dbn, key), k, d, g.HashTTLs)
		}
	}
	if seen != len(res.keys) {
		t.Errorf("%s: file has %d keys, ground truth %d", name, len(res.keys), seen)
	}
	if len(g.Functions) != len(res.functions) {
		t.Errorf("%s: %d function libraries, want %d", name, len(res.functions), len(g.Functions))
	} else {
		want := map[string]bool{}
		for _, f := range g.Functions {
			want[f.Code] = true
		}
		for _, f := range res.functions {
			if !want[f] {
				t.Errorf("%s: unexpected function library %q", name, trunc([]byte(f)))
			}
		}
	}
}

// TestCorpusGroundTruth decodes every good RDB of every server and compares
// each key's type, encoding class, expire and value with the ground truth.
func TestCorpusGroundTruth(t *testing.T) {
	dir := corpusDir(t)
	files := 0
	for _, srv := range corpusServers {
		rdbs := map[string]string{
			"rdb/dump.rdb": "rdb/gt-dataset.json", "rdb/dump-nocompress.rdb": "rdb/gt-dataset.json",
			"rdb/dump-nochecksum.rdb": "rdb/gt-dataset.json", "rdb/dump-lfu.rdb": "rdb/gt-dataset.json",
			"rdb/dump-lru.rdb": "rdb/gt-dataset.json", "rdb/dump-empty.rdb": "rdb/gt-empty.json",
			"rdb/dump-bigvalue.rdb":                                          "rdb/gt-bigvalue.json",
			"aof-preamble/appendonlydir/appendonly.aof.2.base.rdb":           "aof-preamble/gt-base.json",
			"aof-timestamp-preamble/appendonlydir/appendonly.aof.2.base.rdb": "aof-timestamp-preamble/gt-base.json",
		}
		for f, gt := range rdbs {
			path := filepath.Join(dir, srv, f)
			if _, err := os.Stat(path); err != nil {
				t.Errorf("missing corpus file %s", path)
				continue
			}
			files++
			t.Run(srv+"/"+f, func(t *testing.T) {
				res := readAllFile(t, path)
				for _, fd := range res.findings {
					t.Errorf("finding on a good file: %v: %v", fd.Severity, fd.Err)
				}
				if strings.Contains(f, "nochecksum") {
					if !res.sum.Disabled {
						t.Errorf("checksum status %+v, want disabled", res.sum)
					}
				} else if !res.sum.Verified {
					t.Errorf("checksum status %+v, want verified", res.sum)
				}
				compareWithGT(t, srv+"/"+f, res, loadGT(t, filepath.Join(dir, srv, gt)))
			})
		}
	}
	if files < 40 {
		t.Errorf("only %d corpus files checked", files)
	}
}

// TestUpstreamAssets decodes the upstream test assets: the good ones give
// the key count the real server loaded; the corrupt ones fail as the real
// checkers do.
func TestUpstreamAssets(t *testing.T) {
	dir := corpusDir(t)
	want := map[string]int{"encodings.rdb": 13, "list-quicklist.rdb": 2, "hash-zipmap.rdb": 1,
		"hash-ziplist.rdb": 1, "zset-ziplist.rdb": 1, "scriptbackup.rdb": 0}
	for _, sub := range []string{"redis", "valkey"} {
		for name, n := range want {
			t.Run(sub+"/"+name, func(t *testing.T) {
				res := readAllFile(t, filepath.Join(dir, "upstream-assets", sub, name))
				if len(res.keys) != n {
					t.Errorf("%d keys, want %d", len(res.keys), n)
				}
				for _, fd := range res.findings {
					t.Errorf("finding: %v", fd.Err)
				}
			})
		}
		for _, name := range []string{"corrupt_ziplist.rdb", "corrupt_empty_keys.rdb"} {
			t.Run(sub+"/"+name, func(t *testing.T) {
				f, err := os.Open(filepath.Join(dir, "upstream-assets", sub, name))
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				r := rdbfile.NewReader(f, nil)
				_, err = readAll(r)
				_, nerr := r.FindingCount()
				if err == nil && nerr == 0 {
					t.Fatalf("no error and no finding on %s", name)
				}
				var ce *rdbfile.CorruptError
				if err != nil && !errors.As(err, &ce) {
					t.Fatalf("error is not a *CorruptError: %v", err)
				}
				t.Logf("%s: err=%v findings=%d", name, err, nerr)
			})
		}
	}
}

func TestNewerSamples(t *testing.T) {
	dir := corpusDir(t)
	res := readAllFile(t, filepath.Join(dir, "newer", "valkey-9-hash2.rdb"))
	if res.hdr.Dialect != rdbfile.DialectValkey || res.hdr.Version != 80 {
		t.Fatalf("header %+v", res.hdr)
	}
	d := res.keys["0\x00hash2-hfe"]
	if d == nil || d.e.TypeName != "HASH_2" {
		t.Fatalf("hash2-hfe missing or wrong type: %+v", d)
	}
	want := map[string]int64{"F1": 2715785640000, "F2": 2400425640000, "F3": rdbfile.NoExpire}
	for _, h := range d.val.Hash {
		if want[string(h.Field)] != h.ExpireAt || string(h.Value) != "V"+string(h.Field[1:]) {
			t.Errorf("field %s=%s expire %d", h.Field, h.Value, h.ExpireAt)
		}
	}
	if len(d.val.Hash) != 3 {
		t.Errorf("%d fields", len(d.val.Hash))
	}

	res = readAllFile(t, filepath.Join(dir, "newer", "redis-8.8dev-rdb14.rdb"))
	if res.hdr.Version != 14 || len(res.keys) != 6 {
		t.Fatalf("version %d, %d keys", res.hdr.Version, len(res.keys))
	}
	for _, fd := range res.findings {
		t.Errorf("finding: %v", fd.Err)
	}
	a := res.keys["0\x00a"].val.Array
	if a == nil || len(a.Elements) != 7 || a.HasCursor {
		t.Fatalf("array a: %+v", a)
	}
	got := []string{}
	for _, el := range a.Elements {
		switch el.Tag {
		case rdbfile.ArrayInt:
			got = append(got, fmt.Sprintf("%d:%d", el.Index, el.Int))
		case rdbfile.ArrayFloat:
			got = append(got, fmt.Sprintf("%d:%g", el.Index, el.Float))
		default:
			got = append(got, fmt.Sprintf("%d:%s", el.Index, el.Str))
		}
	}
	if s := strings.Join(got, ","); s != "0:10,1:11,2:12,5:3.5,7:tiny,9:this is a longer string value,1000000:far" {
		t.Errorf("array a = %s", s)
	}
	a2 := res.keys["0\x00a2"].val.Array
	if a2 == nil || !a2.HasCursor || a2.InsertIdx != 2 || len(a2.Elements) != 3 {
		t.Errorf("array a2: %+v", a2)
	}
	s := res.keys["0\x00s"].val.Stream
	if s == nil || len(s.Entries) != 7 || len(s.Groups) != 1 || s.IDMP == nil {
		t.Fatalf("stream s: %+v", s)
	}
	g := s.Groups[0]
	if len(g.PEL) != 5 || len(g.Consumers) != 2 || len(g.NACK) != 2 || g.NACK[0].String() != "1-2" || g.NACK[1].String() != "1-3" {
		t.Errorf("group: pel %d consumers %d nack %v", len(g.PEL), len(g.Consumers), g.NACK)
	}
	m := s.IDMP
	if m.Duration != 3600 || m.MaxEntries != 50 || len(m.Producers) != 2 || m.IIDsAdded != 3 || m.IIDsDuplicates != 1 {
		t.Errorf("IDMP %+v", m)
	}
	h := res.keys["0\x00h"]
	if h.e.Type != rdbfile.TypeHashListpackEx {
		t.Errorf("h type %s", h.e.TypeName)
	}
	for _, f := range h.val.Hash {
		if string(f.Field) == "f1" && f.ExpireAt != 4102444800000 {
			t.Errorf("h.f1 expire %d", f.ExpireAt)
		}
	}
	if v := res.keys["0\x00num"].val.String; string(v) != "12345" {
		t.Errorf("num = %q", v)
	}
}
