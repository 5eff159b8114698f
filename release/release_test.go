package release

import (
	"errors"
	"strings"
	"testing"
)

func TestNamesAndParse(t *testing.T) {
	want := "redis-7.0 redis-7.2 redis-7.4 redis-8.0 redis-8.2 redis-8.4 redis-8.6 redis-8.8 redis-8.10 " +
		"valkey-7.2 valkey-8.0 valkey-8.1 valkey-9.0 valkey-9.1"
	if got := strings.Join(Names(), " "); got != want {
		t.Fatalf("names %q, want %q", got, want)
	}
	for _, r := range All() {
		if got, ok := Lookup(r.Name); !ok || got != r {
			t.Errorf("Lookup(%q) = %v, %v", r.Name, got, ok)
		}
		if got, err := Parse(r.Name); err != nil || got != r {
			t.Errorf("Parse(%q) = %v, %v", r.Name, got, err)
		}
	}
	for s, name := range map[string]string{"7.4": "redis-7.4", "Redis 8.0": "redis-8.0", "valkey-8.1.1": "valkey-8.1",
		"redis-7.4.1": "redis-7.4", "VALKEY9.0": "valkey-9.0", "valkey_7.2": "valkey-7.2", "redis-8.10": "redis-8.10"} {
		if r, err := Parse(s); err != nil || r.Name != name {
			t.Errorf("Parse(%q) = %v, %v; want %s", s, r, err, name)
		}
	}
	for _, s := range []string{"", "redis-6.2", "valkey-7.0", "keydb-6.3", "8", "redis-8.1", "redis-7.4x", "all"} {
		_, err := Parse(s)
		if !errors.Is(err, ErrUnknown) || !strings.Contains(err.Error(), "valkey-9.1") {
			t.Errorf("Parse(%q): %v", s, err)
		}
	}
	if _, ok := Lookup("Redis-7.4"); ok {
		t.Error("Lookup is exact")
	}
}

func TestFromServerVersion(t *testing.T) {
	for s, name := range map[string]string{"7.2.6": "redis-7.2", "7.0.15": "redis-7.0", "7.9.224": "redis-8.0",
		"6.9.242": "redis-7.0", "8.7.1": "redis-8.8", "8.8.0-dev": "redis-8.8", "8.10.0": "redis-8.10",
		"valkey 8.0.1": "valkey-8.0", "valkey-9.0.0": "valkey-9.0", "Valkey 7.2.5": "valkey-7.2", "redis-7.4.1": "redis-7.4"} {
		if r, ok := FromServerVersion(s); !ok || r.Name != name {
			t.Errorf("FromServerVersion(%q) = %v, %v; want %s", s, r, ok, name)
		}
	}
	for _, s := range []string{"6.2.14", "255.255.255", "valkey 255.255.255", "x", "", "9.0.0"} {
		if r, ok := FromServerVersion(s); ok {
			t.Errorf("FromServerVersion(%q) = %v", s, r)
		}
	}
	if r, ok := FromAux("7.2.4", "8.0.1"); !ok || r.Name != "valkey-8.0" {
		t.Errorf("FromAux valkey: %v %v", r, ok)
	}
	if r, ok := FromAux("7.4.1", ""); !ok || r.Name != "redis-7.4" {
		t.Errorf("FromAux redis: %v %v", r, ok)
	}
	if _, ok := FromAux("", ""); ok {
		t.Error("FromAux of nothing")
	}
}

func TestRDBLines(t *testing.T) {
	for v, want := range map[int]string{1: "1.0", 4: "2.4", 6: "2.6", 7: "3.2", 8: "4.0", 9: "5.0", 10: "7.0", 11: "7.2",
		12: "7.4", 13: "8.6", 14: "8.8", 15: "8.10", 16: "8.10"} {
		if got := RedisLineForRDB(v).String(); got != want {
			t.Errorf("RedisLineForRDB(%d) = %s, want %s", v, got, want)
		}
	}
	if got := ValkeyLineForRDB(80).String(); got != "9.0" {
		t.Errorf("ValkeyLineForRDB(80) = %s", got)
	}
	if got := ValkeyLineForRDB(81).String(); got != "9.2" {
		t.Errorf("ValkeyLineForRDB(81) = %s", got)
	}
}

func TestGates(t *testing.T) {
	r72, _ := Lookup("redis-7.2")
	r70, _ := Lookup("redis-7.0")
	r88, _ := Lookup("redis-8.8")
	v90, _ := Lookup("valkey-9.0")
	v80, _ := Lookup("valkey-8.0")
	if g, bad := r72.CheckRDB(Redis, 12); !bad || !g.Fatal || g.Why != "RDB version 12 > 11 (Redis 7.2 reads up to RDB 11)" {
		t.Errorf("redis-7.2 RDB 12: %+v %v", g, bad)
	}
	if _, bad := r72.CheckRDB(Redis, 11); bad {
		t.Error("redis-7.2 refuses RDB 11")
	}
	if g, bad := v90.CheckRDB(Redis, 12); !bad || g.Fatal || g.Condition != "rdb-version-check relaxed" {
		t.Errorf("valkey-9.0 REDIS 12: %+v", g)
	}
	if g, bad := v80.CheckRDB(Valkey, 80); !bad || !g.Fatal {
		t.Errorf("valkey-8.0 VALKEY 80: %+v", g)
	}
	if g, bad := r72.CheckType(Redis, 25, "HASH_LISTPACK_EX"); !bad || g.Why != "HASH_LISTPACK_EX (Redis 7.4+ only)" {
		t.Errorf("redis-7.2 type 25: %+v", g)
	}
	if g, bad := v90.CheckType(Redis, 24, "HASH_METADATA"); !bad || !strings.Contains(g.Why, "Valkey refuses tags 22..243") {
		t.Errorf("valkey-9.0 type 24: %+v", g)
	}
	if _, bad := v90.CheckType(Valkey, 22, "HASH_2"); bad {
		t.Error("valkey-9.0 refuses HASH_2")
	}
	if _, bad := r70.CheckOpcode(Redis, OpFunctionPreGA); bad {
		t.Error("redis-7.0 refuses opcode 0xF6")
	}
	for _, r := range All() {
		if r == r70 {
			continue
		}
		if g, bad := r.CheckOpcode(Redis, OpFunctionPreGA); !bad || !g.Fatal {
			t.Errorf("%s loads opcode 0xF6", r.Name)
		}
	}
	if !r88.StreamLengthChecked() || r72.StreamLengthChecked() || v90.StreamLengthChecked() {
		t.Error("stream length gate")
	}
	// Each release loads every type of the RDB versions it writes: a
	// newer release never loses a type of the same dialect and magic.
	var prev *Release
	for _, r := range All() {
		if prev != nil && prev.Dialect == r.Dialect && prev.Magic == r.Magic {
			have := map[byte]bool{}
			for _, tg := range r.Types() {
				have[tg] = true
			}
			for _, tg := range prev.Types() {
				if !have[tg] {
					t.Errorf("%s loads type %d, %s does not", prev.Name, tg, r.Name)
				}
			}
		}
		prev = r
	}
	if got := len(r70.Types()); got != 18 { // 0-5, 7, 9-19
		t.Errorf("redis-7.0 loads %d types: %v", got, r70.Types())
	}
}

func TestLimits(t *testing.T) {
	r70, _ := Lookup("redis-7.0")
	r72, _ := Lookup("redis-7.2")
	if r70.Limits.SetMaxListpackEntries != 0 || r72.Limits.SetMaxListpackEntries != 128 {
		t.Error("listpack sets are Redis 7.2+")
	}
	for _, r := range All() {
		l := r.Limits
		if l.HashMaxListpackEntries != 512 || l.ZSetMaxListpackEntries != 128 || l.SetMaxIntsetEntries != 512 ||
			l.ListMaxListpackSize != -2 || l.StreamNodeMaxBytes != 4096 || l.StreamNodeMaxEntries != 100 || l.Databases != 16 {
			t.Errorf("%s: %+v", r.Name, l)
		}
	}
	l := r72.Limits
	if !l.Set("hash-max-ziplist-entries", 7) || l.HashMaxListpackEntries != 7 || r72.Limits.HashMaxListpackEntries != 512 {
		t.Error("Set through an alias")
	}
	if n, ok := l.Get("list-max-ziplist-size"); !ok || n != -2 {
		t.Errorf("Get alias: %d %v", n, ok)
	}
	if l.Set("maxmemory", 1) {
		t.Error("maxmemory is no encoding limit")
	}
}

func TestCommands(t *testing.T) {
	argv := func(s ...string) [][]byte {
		var out [][]byte
		for _, a := range s {
			out = append(out, []byte(a))
		}
		return out
	}
	tests := []struct {
		rel   string
		args  []string
		name  string
		arity int
		ok    bool
	}{
		{"redis-8.4", []string{"DELEX", "k"}, "delex", -2, true},
		{"redis-8.2", []string{"DELEX", "k"}, "", 0, false},
		{"valkey-9.1", []string{"delex", "k", "IFEQ", "v"}, "delex", 4, true},
		{"valkey-9.0", []string{"delex", "k", "IFEQ", "v"}, "", 0, false},
		{"valkey-9.1", []string{"hgetdel", "h", "FIELDS", "1", "f"}, "hgetdel", -5, true},
		{"valkey-9.0", []string{"hgetdel"}, "", 0, false},
		{"redis-8.0", []string{"HGETDEL"}, "hgetdel", -5, true},
		{"redis-7.0", []string{"FUNCTION", "LOAD", "x"}, "function|load", -3, true},
		{"redis-7.0", []string{"FUNCTION"}, "function", -2, true},
		{"redis-7.0", []string{"XGROUP", "nope"}, "", 0, false},
	}
	for _, tc := range tests {
		r, _ := Lookup(tc.rel)
		c, ok := r.CommandArgs(argv(tc.args...))
		if ok != tc.ok || c.Name != tc.name || c.Arity != tc.arity {
			t.Errorf("%s %q: %+v %v", tc.rel, tc.args, c, ok)
		}
	}
	if !KnownCommand(argv("delex", "k"), 2) || KnownCommand(argv("sdt", "k", "v"), 3) || KnownCommand(argv("set", "k"), 2) {
		t.Error("KnownCommand")
	}
	w, _ := Lookup("redis-7.2")
	ls := Loaders(Redis, 11, w)
	var names []string
	for _, r := range ls {
		names = append(names, r.Name)
	}
	if got := strings.Join(names, " "); got != "redis-7.2 redis-7.4 redis-8.0 redis-8.2 redis-8.4 redis-8.6 redis-8.8 redis-8.10 valkey-7.2 valkey-8.0 valkey-8.1 valkey-9.0 valkey-9.1" {
		t.Errorf("Loaders of a redis-7.2 base: %s", got)
	}
	if ls := Loaders(Valkey, 80, nil); len(ls) != 2 || KnownIn(ls, argv("hexpire", "h", "1", "FIELDS", "1", "f"), 6) != true ||
		KnownIn(ls, argv("hgetdel", "h", "FIELDS", "1", "f"), 5) != true || KnownIn(ls, argv("arset", "a", "0", "x"), 4) {
		t.Errorf("Loaders of a VALKEY080 base: %v", ls)
	}
	// A Checker answers as KnownIn, through its cache too.
	k := NewChecker(ls)
	for i := 0; i < 2; i++ {
		for _, a := range [][]string{{"SET", "k", "v"}, {"set", "k"}, {"SDT", "k", "v"}, {"XGROUP", "CREATE", "s", "g", "$"},
			{"XGROUP", "NOPE"}, {"arset", "a", "0", "x"}, {"HSETEX", "h", "FIELDS", "1", "f", "v"}, {"hgetdel", "h", "FIELDS", "1", "f"}} {
			if got, want := k.Known(argv(a...), len(a)), KnownIn(ls, argv(a...), len(a)); got != want {
				t.Errorf("Checker.Known(%q) = %v, KnownIn %v", a, got, want)
			}
		}
	}
	if got := CommandName(argv("XGROUP", "CREATE", "s")); got != "xgroup|create" {
		t.Errorf("CommandName %q", got)
	}
	seen := map[string]bool{}
	for _, row := range commandRows {
		if seen[row.name] || row.name != strings.ToLower(row.name) || row.arity == 0 || (row.redis == 0 && row.valkey == 0) {
			t.Errorf("bad row %+v", row)
		}
		seen[row.name] = true
		if top, sub, ok := strings.Cut(row.name, "|"); ok {
			p, ok := lookupRow([]byte(top))
			if !ok || p.flags&fContainer == 0 || sub == "" {
				t.Errorf("subcommand %s without its container", row.name)
			}
		}
		if row.redis != 0 && row.redis <= 702 && row.valkey != 702 {
			t.Errorf("%s: Valkey inherited it from Redis 7.2", row.name)
		}
	}
	// Commands grow with versions: nothing disappears within a dialect.
	all := All()
	for i := 1; i < len(all); i++ {
		prev, r := all[i-1], all[i]
		if prev.Dialect != r.Dialect {
			continue
		}
		for _, c := range prev.Commands() {
			if !c.In(r) {
				t.Errorf("%s is in %s but not %s", c.Name, prev.Name, r.Name)
			}
		}
	}
	r70, _ := Lookup("redis-7.0")
	if n := len(r70.Commands()); n < 150 {
		t.Errorf("only %d commands for Redis 7.0", n)
	}
}

// TestKeyTable: Redis and Valkey up to 8.0 grow a dict at every power of
// two keys (src/dict.c), Valkey 8.1+ a hashtable of 7-key buckets at every
// 7 × 2^k (src/hashtable.c).
func TestKeyTable(t *testing.T) {
	for name, slots := range map[string]int{"redis-7.0": 1, "redis-8.8": 1, "valkey-8.0": 1, "valkey-8.1": 7, "valkey-9.1": 7} {
		r, _ := Lookup(name)
		if r.KeyTable.Slots != slots || r.KeyTable.RehashPerCommand <= 0 {
			t.Errorf("%s: key table %+v, want %d slots a bucket", name, r.KeyTable, slots)
		}
	}
	dict, _ := Lookup("redis-7.4")
	ht, _ := Lookup("valkey-9.0")
	for _, x := range []struct {
		t        KeyTable
		from, to float64
		want     []float64
	}{
		{dict.KeyTable, 200000, 3000000, []float64{262144, 524288, 1048576, 2097152}},
		{dict.KeyTable, 262144, 262145, []float64{262144}}, // a table sized for 2^18 keys grows at the next one
		{dict.KeyTable, 262145, 524288, nil},
		{ht.KeyTable, 200000, 3000000, []float64{229376, 458752, 917504, 1835008}},
		{ht.KeyTable, 0, 20, []float64{7, 14}},
	} {
		got := x.t.Growths(x.from, x.to)
		if len(got) != len(x.want) {
			t.Errorf("%+v Growths(%v, %v) = %v, want %v", x.t, x.from, x.to, got, x.want)
			continue
		}
		for i := range got {
			if got[i] != x.want[i] {
				t.Errorf("%+v Growths(%v, %v) = %v, want %v", x.t, x.from, x.to, got, x.want)
				break
			}
		}
	}
}
