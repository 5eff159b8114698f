package rdbfile

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strconv"
	"testing"
)

// TestDedupAgainstMap: add/addRef agree with a map over random sets with
// many duplicates, across resets, growth and both storage modes.
func TestDedupAgainstMap(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var d dedup
	for round := 0; round < 300; round++ {
		n := r.IntN(2000)
		hint := r.IntN(n + 1)
		d.reset(hint)
		// A blob holding every candidate string, so addRef can point into it.
		var blob []byte
		var strs [][]byte
		for i := 0; i < n; i++ {
			s := []byte("m" + strconv.Itoa(r.IntN(n/2+1)))
			if r.IntN(20) == 0 {
				s = []byte{}
			}
			start := len(blob)
			blob = append(blob, s...)
			strs = append(strs, blob[start:len(blob):len(blob)]) // placeholder, fixed below
		}
		// Re-slice after the final append so every string aliases the final blob.
		off := 0
		for i, s := range strs {
			strs[i] = blob[off : off+len(s)]
			off += len(s)
		}
		d.setBlob(blob)
		seen := map[string]bool{}
		for i, s := range strs {
			var got bool
			if i%3 == 0 {
				got = d.add(append([]byte(nil), s...))
			} else {
				got = d.addRef(s)
			}
			want := !seen[string(s)]
			seen[string(s)] = true
			if got != want {
				t.Fatalf("round %d item %d %q: new=%v, want %v", round, i, s, got, want)
			}
		}
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
	r := NewReader(bytes.NewReader(rdb), nil)
	keys := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind == EntryKey {
			keys++
		}
	}
	if keys != 2 {
		t.Errorf("%d keys, want 2 (reading goes on after the duplicate)", keys)
	}
	f := r.Findings()
	if len(f) != 1 || f[0].Severity != SevError || string(f[0].Err.Key) != "k" {
		t.Fatalf("findings %v", f)
	}
}
