package rdbfile

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestDedupAgainstMap: add/addRef agree with a map over random sets with
// many duplicates, across resets, growth and both storage modes, with
// strings of every length class the hash treats apart (0-80 bytes). Narrowed
// hash masks force tag collisions and long probe runs, so the byte-for-byte
// confirmation decides.
func TestDedupAgainstMap(t *testing.T) {
	defer func(m uint64) { dedupHashMask = m }(dedupHashMask)
	for _, c := range []struct {
		mask   uint64
		rounds int
	}{{^uint64(0), 300}, {0xF000_0000_0000_00FF, 60}, {0x0000_0001_0000_0000, 20}, {0, 10}} {
		dedupHashMask = c.mask
		r := rand.New(rand.NewPCG(3, c.mask))
		var d dedup
		for round := 0; round < c.rounds; round++ {
			n := r.IntN(2000)
			hint := r.IntN(n + 1)
			d.reset(hint)
			// A blob holding every candidate string, so addRef can point into it.
			var blob []byte
			var ends []int
			for i := 0; i < n; i++ {
				k := r.IntN(n/2 + 1)
				s := []byte("m" + strconv.Itoa(k))
				if k%3 == 0 { // longer strings, same duplicate pattern
					s = append(bytes.Repeat([]byte{'x'}, k%80), s...)
				}
				if r.IntN(20) == 0 {
					s = []byte{}
				}
				blob = append(blob, s...)
				ends = append(ends, len(blob))
			}
			d.setBlob(blob)
			seen := map[string]bool{}
			start := 0
			for i, end := range ends {
				s := blob[start:end]
				start = end
				var got bool
				if i%3 == 0 {
					got = d.add(append([]byte(nil), s...))
				} else {
					got = d.addRef(s)
				}
				want := !seen[string(s)]
				seen[string(s)] = true
				if got != want {
					t.Fatalf("mask %x round %d item %d %q: new=%v, want %v", c.mask, round, i, s, got, want)
				}
			}
		}
	}
}

// TestDedupPastMaxEntries: past dedupMaxEnts strings a set remembers no new
// string (it still finds the ones it has; others count as new, and nothing
// grows), and reset starts over.
func TestDedupPastMaxEntries(t *testing.T) {
	defer func(m int) { dedupMaxEnts = m }(dedupMaxEnts)
	dedupMaxEnts = 5
	var d dedup
	d.reset(2)
	for i := range 5 {
		if !d.add([]byte{byte('a' + i)}) {
			t.Fatalf("string %d not new", i)
		}
	}
	if d.add([]byte("a")) {
		t.Fatal("a duplicate within the limit was not found")
	}
	for range 3 {
		if !d.add([]byte("x")) {
			t.Fatal("past the limit, a string must count as new")
		}
		if d.add([]byte("c")) || d.addRef([]byte("e")) {
			t.Fatal("past the limit, a remembered string was not found")
		}
	}
	if len(d.ents) != 5 || len(d.arena) != 5 {
		t.Fatalf("past the limit the set grew: %d strings, %d arena bytes", len(d.ents), len(d.arena))
	}
	d.reset(2)
	if !d.add([]byte("x")) || d.add([]byte("x")) {
		t.Fatal("after reset the set does not work")
	}
}

// TestDuplicateInListpackDetected: a set listpack with a repeated member is
// reported (Redis deep sanitization rejects it), the reader goes on.
func TestDuplicateInListpackDetected(t *testing.T) {
	lp := lpBuildStrings(nil, []byte("a"), []byte("b"), []byte("a"))
	rdb := []byte("REDIS0011\xfe\x00")
	rdb = append(rdb, byte(TypeSetListpack), 1, 'k', byte(len(lp)))
	rdb = append(rdb, lp...)
	rdb = append(rdb, byte(TypeString), 1, 'z', 1, 'v', 0xff)
	rdb = append(rdb, 0, 0, 0, 0, 0, 0, 0, 0)
	keys := 0
	r := eachKey(t, rdb, func(*Entry) { keys++ })
	if keys != 2 {
		t.Errorf("%d keys, want 2 (reading goes on after the duplicate)", keys)
	}
	f := r.Findings()
	if len(f) != 1 || f[0].Severity != SevError || string(f[0].Err.Key) != "k" {
		t.Fatalf("findings %v", f)
	}
}

// dedupBenchSets builds sets shaped like the mixed benchmark file
// (scripts/benchgen): 7 in 8 hold 5-55 members, 1 in 8 hold 200-500;
// members are "m" plus 6-26 random characters, or hash fields "f0".."fN".
func dedupBenchSets(fields bool) (blob []byte, sets [][][]byte, total int) {
	r := rand.New(rand.NewPCG(5, 6))
	const alpha = "abcdefghijklmnopqrstuvwxyz0123456789"
	var ends [][]int
	for range 2000 {
		n := 5 + r.IntN(50)
		if r.IntN(8) == 0 {
			n = 200 + r.IntN(300)
		}
		var set []int
		for j := range n {
			if fields {
				blob = strconv.AppendInt(append(blob, 'f'), int64(j), 10)
			} else {
				blob = append(blob, 'm')
				for range 6 + r.IntN(20) {
					blob = append(blob, alpha[r.IntN(len(alpha))])
				}
			}
			set = append(set, len(blob))
		}
		ends = append(ends, set)
		total += n
	}
	// Slice the final blob, so that every member aliases it (addRef).
	start := 0
	for _, set := range ends {
		var ms [][]byte
		for _, end := range set {
			ms = append(ms, blob[start:end])
			start = end
		}
		sets = append(sets, ms)
	}
	return blob, sets, total
}

// BenchmarkDedup measures one insert (ns/op is per member) into sets shaped
// like the mixed benchmark file's: add copies into the arena, addRef refers
// into the blob being walked.
func BenchmarkDedup(b *testing.B) {
	for _, c := range []struct {
		name   string
		fields bool
		ref    bool
	}{{"members/add", false, false}, {"members/addRef", false, true}, {"fields/addRef", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			blob, sets, total := dedupBenchSets(c.fields)
			var d dedup
			b.ResetTimer()
			for i := 0; i < b.N; {
				for _, set := range sets {
					d.reset(len(set))
					d.setBlob(blob)
					for _, m := range set {
						var fresh bool
						if c.ref {
							fresh = d.addRef(m)
						} else {
							fresh = d.add(m)
						}
						if !fresh {
							b.Fatal("duplicate")
						}
					}
					i += len(set)
					if i >= b.N {
						break
					}
				}
			}
			_ = total
		})
	}
}
