package engine

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// TestHdictModel checks hdict against a map under random operations.
func TestHdictModel(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	type val struct {
		v   string
		exp int64
	}
	for round := 0; round < 20; round++ {
		d := newHdict(r.IntN(10), 0)
		m := map[string]val{}
		keys := 1 + r.IntN(500)
		for op := 0; op < 5000; op++ {
			f := "f" + strconv.Itoa(r.IntN(keys))
			switch r.IntN(6) {
			case 0, 1, 2:
				v := strings.Repeat("v", r.IntN(40))
				exp := noExpire
				if r.IntN(4) == 0 {
					exp = int64(r.IntN(1000))
				}
				_, had := m[f]
				if isNew := d.set([]byte(f), []byte(v), exp); isNew == had {
					t.Fatalf("set %q: new=%v, model had=%v", f, isNew, had)
				}
				m[f] = val{v, exp}
			case 3:
				_, had := m[f]
				if d.remove([]byte(f)) != had {
					t.Fatalf("remove %q: model had=%v", f, had)
				}
				delete(m, f)
			case 4:
				if x, ok := m[f]; ok {
					x.exp = int64(r.IntN(1000))
					m[f] = x
					d.setExpire([]byte(f), x.exp)
				}
			case 5:
				if r.IntN(50) == 0 {
					d = d.clone()
				}
			}
			if d.len() != len(m) {
				t.Fatalf("len %d, model %d", d.len(), len(m))
			}
		}
		for f, x := range m {
			v, exp, ok := d.get([]byte(f))
			if !ok || string(v) != x.v || exp != x.exp {
				t.Fatalf("get %q = %q %d %v, model %q %d", f, v, exp, ok, x.v, x.exp)
			}
		}
		n := 0
		d.each(func(f, v []byte, exp int64) bool {
			n++
			if x, ok := m[string(f)]; !ok || x.v != string(v) || x.exp != exp {
				t.Fatalf("each %q = %q %d, model %v %v", f, v, exp, x, ok)
			}
			return true
		})
		if n != len(m) {
			t.Fatalf("each saw %d, model %d", n, len(m))
		}
	}
}

// TestHdictGrowth checks that a hash grown field by field keeps its index
// the smallest power of two at most 3/4 full: each growth doubles it.
func TestHdictGrowth(t *testing.T) {
	d := newHdict(0, 0)
	prev := len(d.slots)
	for i := range 100000 {
		d.add([]byte("field:"+strconv.Itoa(i)), []byte("v"), noExpire)
		if n := len(d.slots); n != prev {
			if n != 2*prev {
				t.Fatalf("at %d fields the index grew from %d to %d slots, want %d", d.n, prev, n, 2*prev)
			}
			prev = n
		}
	}
	if want := slotsFor(d.n); len(d.slots) != want {
		t.Errorf("%d fields: %d slots, want %d", d.n, len(d.slots), want)
	}
}
