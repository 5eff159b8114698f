package main

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"io"
	"strconv"
	"strings"
	"testing"
)

// shapedOutput runs the generator for n keys and seed into memory.
func shapedOutput(t *testing.T, n int, seed uint64) ([]byte, [nClasses]int, int) {
	t.Helper()
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	plan, ttls := writeShaped(w, n, seed)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), plan, ttls
}

// readCommands parses a RESP stream of arrays of bulk strings.
func readCommands(t *testing.T, data []byte) [][]string {
	t.Helper()
	r := bufio.NewReader(bytes.NewReader(data))
	line := func() string {
		s, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("RESP: %v", err)
		}
		if !strings.HasSuffix(s, "\r\n") {
			t.Fatalf("RESP line %q without CRLF", s)
		}
		return s[:len(s)-2]
	}
	var cmds [][]string
	for {
		if _, err := r.Peek(1); err == io.EOF {
			return cmds
		}
		h := line()
		n, err := strconv.Atoi(strings.TrimPrefix(h, "*"))
		if h[0] != '*' || err != nil || n < 1 {
			t.Fatalf("RESP: bad array header %q", h)
		}
		cmd := make([]string, n)
		for i := range cmd {
			h := line()
			size, err := strconv.Atoi(strings.TrimPrefix(h, "$"))
			if h[0] != '$' || err != nil || size < 0 {
				t.Fatalf("RESP: bad bulk header %q", h)
			}
			buf := make([]byte, size+2)
			if _, err := io.ReadFull(r, buf); err != nil || string(buf[size:]) != "\r\n" {
				t.Fatalf("RESP: bad bulk of %d bytes: %v", size, err)
			}
			cmd[i] = string(buf[:size])
		}
		cmds = append(cmds, cmd)
	}
}

func TestShapePlan(t *testing.T) {
	full := shapePlan(shapeFull)
	for c := classInt; c < nClasses; c++ {
		if full[c] != shapeCounts[c] {
			t.Errorf("class %d at full size: %d keys, want %d", c, full[c], shapeCounts[c])
		}
	}
	// 45 % strings, 10 % of them integers; 17 % listpack hashes.
	if s := full[classString] + full[classInt]; s < 0.45*shapeFull || s > 0.46*shapeFull {
		t.Errorf("strings: %d of %d keys, want 45 %%", s, shapeFull)
	}
	if s, i := full[classString]+full[classInt], full[classInt]; i < s*9/100 || i > s*11/100 {
		t.Errorf("integers: %d of %d strings, want 10 %%", i, s)
	}
	// A 1 % version: every count divided by 100, rounded half away from zero.
	want := [nClasses]int{7896, 873, 3298, 30, 2000, 3, 1000, 1000, 100, 2100, 100, 1000}
	if got := shapePlan(19_400); got != want {
		t.Errorf("shapePlan(19400) = %v, want %v", got, want)
	}
	// Tiny sizes still have one key of every class, and never more keys than asked.
	for _, n := range []int{0, 1, 5, 12, 13, 100} {
		p := shapePlan(n)
		sum := 0
		for c, k := range p {
			sum += k
			if n >= int(nClasses) && k == 0 {
				t.Errorf("shapePlan(%d): no key of class %d", n, c)
			}
		}
		if sum != n {
			t.Errorf("shapePlan(%d) has %d keys", n, sum)
		}
	}
}

// TestShapedKeys reads back what the generator writes for a 1 % dataset and
// classifies every key by its commands alone (type, element count, element
// sizes), then checks the count of each class against the plan, the TTL
// share and the streams' groups.
func TestShapedKeys(t *testing.T) {
	const n = 19_400
	data, plan, ttls := shapedOutput(t, n, 1)
	type key struct {
		typ     string
		elems   map[string]bool // fields, members, elements (lists: index)
		allInts bool
		strLen  int
		isInt   bool
		entries int
		groups  int
		ttl     bool
	}
	keys := map[string]*key{}
	get := func(name, typ string) *key {
		k := keys[name]
		if k == nil {
			k = &key{typ: typ, elems: map[string]bool{}, allInts: true}
			keys[name] = k
		}
		if typ != "" && k.typ != typ {
			t.Fatalf("key %s: %s command on a %s", name, typ, k.typ)
		}
		return k
	}
	for _, c := range readCommands(t, data) {
		switch c[0] {
		case "SET":
			k := get(c[1], "string")
			k.strLen = len(c[2])
			_, err := strconv.ParseInt(c[2], 10, 64)
			k.isInt = err == nil
		case "HSET":
			k := get(c[1], "hash")
			for i := 2; i+1 < len(c); i += 2 {
				k.elems[c[i]] = true
			}
		case "RPUSH":
			k := get(c[1], "list")
			for range c[2:] {
				k.elems[strconv.Itoa(len(k.elems))] = true
			}
		case "SADD":
			k := get(c[1], "set")
			for _, m := range c[2:] {
				k.elems[m] = true
				if _, err := strconv.ParseInt(m, 10, 64); err != nil {
					k.allInts = false
				}
			}
		case "ZADD":
			k := get(c[1], "zset")
			for i := 2; i+1 < len(c); i += 2 {
				if _, err := strconv.ParseFloat(c[i], 64); err != nil {
					t.Fatalf("key %s: score %q", c[1], c[i])
				}
				k.elems[c[i+1]] = true
			}
		case "XADD":
			get(c[1], "stream").entries++
		case "XGROUP":
			get(c[2], "stream").groups++
		case "XREADGROUP":
		case "PEXPIREAT":
			k := get(c[1], "")
			if ms, _ := strconv.ParseInt(c[2], 10, 64); ms < ttlBase {
				t.Errorf("key %s: expires at %s, before 2100", c[1], c[2])
			}
			k.ttl = true
		default:
			t.Fatalf("unexpected command %q", c)
		}
	}
	if len(keys) != n {
		t.Fatalf("%d keys, want %d", len(keys), n)
	}
	in := func(k *key, lo, hi int) bool { return len(k.elems) >= lo && len(k.elems) <= hi }
	var got [nClasses]int
	withTTL, withGroups := 0, 0
	for name, k := range keys {
		c := nClasses
		switch {
		case k.typ == "string" && k.isInt:
			c = classInt
		case k.typ == "string" && k.strLen >= 8 && k.strLen <= 1000:
			c = classString
		case k.typ == "hash" && len(k.elems) == 10:
			c = classHash
		case k.typ == "hash" && in(k, 600, 1600):
			c = classBigHash
		case k.typ == "list" && in(k, 3, 20):
			c = classList
		case k.typ == "list" && in(k, 10_000, 30_000):
			c = classBigList
		case k.typ == "set" && k.allInts && in(k, 1, 100):
			c = classIntset
		case k.typ == "set" && !k.allInts && in(k, 3, 30):
			c = classSet
		case k.typ == "set" && !k.allInts && in(k, 150, 600):
			c = classBigSet
		case k.typ == "zset" && in(k, 3, 30):
			c = classZset
		case k.typ == "zset" && in(k, 200, 600):
			c = classBigZset
		case k.typ == "stream" && k.entries == shapeStreamEntries:
			c = classStream
			if k.groups > 0 {
				withGroups++
			}
		}
		if c == nClasses {
			t.Fatalf("key %s fits no class: %s of %d elements, string of %d bytes", name, k.typ, len(k.elems), k.strLen)
		}
		if !strings.HasSuffix(name, shapeSuffix[c]) {
			t.Errorf("key %s holds a class %d value", name, c)
		}
		got[c]++
		if k.ttl {
			withTTL++
		}
	}
	if got != plan || plan != shapePlan(n) {
		t.Errorf("keys per class %v, plan %v, want %v", got, plan, shapePlan(n))
	}
	if withTTL != ttls || withTTL < n*8/100 || withTTL > n*12/100 {
		t.Errorf("%d keys with a TTL (generator: %d), want about 10 %% of %d", withTTL, ttls, n)
	}
	if s := plan[classStream]; withGroups < s/10 || withGroups > s*3/10 {
		t.Errorf("%d of %d streams with groups, want about a fifth", withGroups, s)
	}
}

func TestShapedDeterministic(t *testing.T) {
	a, _, _ := shapedOutput(t, 2000, 7)
	b, _, _ := shapedOutput(t, 2000, 7)
	c, _, _ := shapedOutput(t, 2000, 8)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Error("two runs with seed 7 differ")
	}
	if bytes.Equal(a, c) {
		t.Error("seeds 7 and 8 give the same output")
	}
}
