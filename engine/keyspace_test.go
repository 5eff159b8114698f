package engine

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestKeyspaceModel checks db against a map under random operations that
// move values between every form (short string, integer, long string and
// aggregate objects), overwrite them shorter and longer, delete, change
// expire times and empty the database, with values big enough to make the
// arena compact several times.
func TestKeyspaceModel(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 13))
	type val struct {
		s   string // a string's text
		obj object // an aggregate, compared by identity
		exp int64
	}
	text := func(o object) string { return string(strBytes(o, nil)) }
	compactions := 0
	for round := 0; round < 8; round++ {
		var d db
		m := map[string]val{}
		nkeys := 1 + r.IntN(2000)
		for op := 0; op < 20000; op++ {
			k := "key:" + strconv.Itoa(r.IntN(nkeys))
			exp := noExpire
			if r.IntN(3) == 0 {
				exp = int64(r.IntN(1 << 40))
			}
			chunks := len(d.chunks)
			switch r.IntN(12) {
			case 0, 1, 2: // short string
				v := strings.Repeat(string(rune('a'+r.IntN(26))), r.IntN(3000))
				d.putString([]byte(k), []byte(v), exp)
				m[k] = val{s: v, exp: exp}
			case 3: // integer
				v := strconv.Itoa(r.IntN(2000) - 1000)
				d.putString([]byte(k), []byte(v), exp)
				m[k] = val{s: v, exp: exp}
			case 4: // a string longer than the arena keeps
				v := strings.Repeat("L", inlineMaxValue+1+r.IntN(100))
				d.put([]byte(k), newString([]byte(v)), exp)
				m[k] = val{s: v, exp: exp}
			case 5: // an aggregate
				o := &listObj{}
				d.put([]byte(k), o, exp)
				m[k] = val{obj: o, exp: exp}
			case 6: // setKeep of a strObj (APPEND, SETRANGE), the TTL kept
				v := strings.Repeat("k", r.IntN(200))
				x, had := m[k]
				d.setKeep([]byte(k), strObj(v))
				if !had {
					x.exp = noExpire
				}
				m[k] = val{s: v, exp: x.exp}
			case 7: // in place, as SETRANGE does: modify what get returned, store it back
				if en, ok := d.get([]byte(k)); ok && en.obj.kind() == kindString {
					if b := strBytes(en.obj, nil); len(b) > 0 {
						b[0] = '!'
						d.setKeep([]byte(k), strObj(b))
						x := m[k]
						x.s = string(b)
						m[k] = x
					}
				}
			case 8, 9:
				_, had := m[k]
				if d.del([]byte(k)) != had {
					t.Fatalf("del %q: model had=%v", k, had)
				}
				delete(m, k)
			case 10:
				if x, ok := m[k]; ok {
					x.exp = exp
					m[k] = x
					d.setExp([]byte(k), exp)
				}
			case 11:
				if r.IntN(500) == 0 {
					d.reset()
					clear(m)
				}
			}
			if len(d.chunks) < chunks {
				compactions++
			}
			if d.len() != len(m) {
				t.Fatalf("op %d: len %d, model %d", op, d.len(), len(m))
			}
			if d.dead > max(d.live, compactMin) {
				t.Fatalf("op %d: %d dead bytes, %d live, not compacted", op, d.dead, d.live)
			}
		}
		nexp := 0
		for k, x := range m {
			en, ok := d.get([]byte(k))
			if !ok || en.exp != x.exp {
				t.Fatalf("get %q: found %v, exp %d, model %d", k, ok, en.exp, x.exp)
			}
			if x.obj != nil {
				if en.obj != x.obj {
					t.Fatalf("get %q: object %T, model %T", k, en.obj, x.obj)
				}
			} else if got := text(en.obj); got != x.s {
				t.Fatalf("get %q = %.40q (%d bytes), model %.40q (%d)", k, got, len(got), x.s, len(x.s))
			}
			if x.exp != noExpire {
				nexp++
			}
		}
		if d.nexp != nexp {
			t.Fatalf("%d keys with an expire time, model %d", d.nexp, nexp)
		}
		n := 0
		d.each(func(k []byte, o object, exp int64) bool {
			n++
			x, ok := m[string(k)]
			if !ok || exp != x.exp || (x.obj == nil && text(o) != x.s) || (x.obj != nil && o != x.obj) {
				t.Fatalf("each %q: exp %d, model %v %v", k, exp, x, ok)
			}
			return true
		})
		if n != len(m) {
			t.Fatalf("each saw %d keys, model %d", n, len(m))
		}
		if _, err := d.typed([]byte("missing"), kindList); err != nil {
			t.Fatal(err)
		}
	}
	if compactions == 0 {
		t.Fatal("the arena never compacted: the test does not reach compact")
	}
}

// TestKeyspacePages fills several pages of records, presized and not,
// deletes every third key and refills, and checks every key.
func TestKeyspacePages(t *testing.T) {
	const n = 3*recPage + 5
	key := func(i int) []byte { return []byte("k" + strconv.Itoa(i)) }
	for _, presize := range []int{0, 1000, n} {
		var d db
		d.presize(presize)
		for i := range n {
			d.putString(key(i), key(i+1), noExpire)
		}
		for i := 0; i < n; i += 3 {
			d.del(key(i))
		}
		for i := 0; i < n; i += 6 {
			d.putString(key(i), key(i+2), int64(i))
		}
		if d.recs.n != n || len(d.recs.pages) != 4 {
			t.Fatalf("presize %d: %d records in %d pages, want %d in 4 (deleted ones reused)", presize, d.recs.n, len(d.recs.pages), n)
		}
		for i := range n {
			en, ok := d.get(key(i))
			switch {
			case i%6 == 0:
				if !ok || string(strBytes(en.obj, nil)) != string(key(i+2)) || en.exp != int64(i) {
					t.Fatalf("key %d: %v %v", i, en, ok)
				}
			case i%3 == 0:
				if ok {
					t.Fatalf("key %d deleted, found", i)
				}
			default:
				if !ok || string(strBytes(en.obj, nil)) != string(key(i+1)) || en.exp != noExpire {
					t.Fatalf("key %d: %v %v", i, en, ok)
				}
			}
		}
	}
}

// TestKeyspaceObjectPages fills several pages of objects, deletes every
// other key, refills, and checks every key's object.
func TestKeyspaceObjectPages(t *testing.T) {
	const n = 3*recPage + 5
	key := func(i int) []byte { return []byte("k" + strconv.Itoa(i)) }
	var d db
	objs := make([]*listObj, n+n/2)
	for i := range n {
		objs[i] = &listObj{n: i}
		d.put(key(i), objs[i], noExpire)
	}
	for i := 0; i < n; i += 2 {
		d.del(key(i))
	}
	for i := n; i < len(objs); i++ {
		objs[i] = &listObj{n: i}
		d.put(key(i), objs[i], noExpire)
	}
	if d.objs.n != n || len(d.objs.pages) != 4 {
		t.Fatalf("%d objects in %d pages, want %d in 4 (freed slots reused)", d.objs.n, len(d.objs.pages), n)
	}
	for i := range objs {
		en, ok := d.get(key(i))
		if i < n && i%2 == 0 {
			if ok {
				t.Fatalf("key %d deleted, found", i)
			}
			continue
		}
		if !ok || en.obj != objs[i] {
			t.Fatalf("key %d: %v %v", i, en.obj, ok)
		}
	}
}

// BenchmarkKeyspace measures the keyspace's SET path (putString of new
// keys, then overwrites) and its lookups over 1 M keys "key:NNNNNNN" with
// 100-byte values, as the AOF bench set has: bytes/s of key and value
// text, and heap bytes per key.
func BenchmarkKeyspace(b *testing.B) {
	const n = 1 << 20
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%07d", i)
	}
	val := []byte(strings.Repeat("v", 100))
	perm := rand.New(rand.NewPCG(1, 2)).Perm(n)
	b.Run("set", func(b *testing.B) {
		b.SetBytes(int64(n * (11 + len(val))))
		for b.Loop() {
			var d db
			for _, k := range keys {
				d.putString(k, val, noExpire)
			}
		}
	})
	b.Run("overwrite", func(b *testing.B) {
		var d db
		for _, k := range keys {
			d.putString(k, val, noExpire)
		}
		b.SetBytes(int64(n * (11 + len(val))))
		b.ResetTimer()
		for b.Loop() {
			for _, i := range perm {
				d.putString(keys[i], val, noExpire)
			}
		}
	})
	b.Run("get", func(b *testing.B) {
		var d db
		for _, k := range keys {
			d.putString(k, val, noExpire)
		}
		b.SetBytes(int64(n * 11))
		b.ResetTimer()
		for b.Loop() {
			for _, i := range perm {
				if _, ok := d.get(keys[i]); !ok {
					b.Fatal("missing key")
				}
			}
		}
	})
	b.Run("heap", func(b *testing.B) {
		var per float64
		for b.Loop() {
			per = heapPerKey(b, n, func(e *Engine, i int) { e.cur().putString(keys[i], val, noExpire) })
		}
		b.ReportMetric(per, "heapB/key")
	})
}
