package rdbfile

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func isDecodeAll(b []byte) ([]int64, error) {
	it, err := isOpen(b)
	if err != nil {
		return nil, err
	}
	var out []int64
	for {
		v, ok, err := it.Next()
		if err != nil {
			return out, err
		}
		if !ok {
			break
		}
		out = append(out, v)
	}
	return out, it.Done()
}

func TestIntsetExample(t *testing.T) {
	// FORMATS.md §1.13: SET_INTSET of 1, 2, 3, 70000 (int32 encoding).
	b := blobHex("04 00 00 00 04 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 70 11 01 00")
	got, err := isDecodeAll(b)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{1, 2, 3, 70000}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v", got)
	}
	if it, _ := isOpen(b); it.Count() != 4 {
		t.Errorf("Count = %d", it.Count())
	}
	if got := isBuild(nil, want...); !bytes.Equal(got, b) {
		t.Errorf("isBuild = % x", got)
	}
	// Widths: the narrowest that holds every member.
	for _, tc := range []struct {
		vals  []int64
		width int
	}{
		{[]int64{-32768, 32767}, 2},
		{[]int64{-32769}, 4},
		{[]int64{32768}, 4},
		{[]int64{math.MinInt32, math.MaxInt32}, 4},
		{[]int64{math.MaxInt32 + 1}, 8},
		{[]int64{math.MinInt64, 0, math.MaxInt64}, 8},
	} {
		b := isBuild(nil, tc.vals...)
		if len(b) != 8+tc.width*len(tc.vals) {
			t.Errorf("%v: %d bytes", tc.vals, len(b))
		}
		if got, err := isDecodeAll(b); err != nil || !slices.Equal(got, tc.vals) {
			t.Errorf("%v: got %v, %v", tc.vals, got, err)
		}
	}
	// A wider encoding than needed is accepted, as by Redis.
	if got, err := isDecodeAll(isBuildWidth(nil, 8, 1, 2)); err != nil || !slices.Equal(got, []int64{1, 2}) {
		t.Errorf("wide encoding: %v %v", got, err)
	}
}

var isCorruptCases = []struct {
	name string
	b    []byte
	pos  int
}{
	{"too short", blobHex("02 00 00 00 01 00 00"), 0},
	{"encoding 3", blobHex("03 00 00 00 01 00 00 00 01 00 00"), 0},
	{"encoding 0", blobHex("00 00 00 00 00 00 00 00"), 0},
	{"encoding big", blobHex("02 00 00 01 01 00 00 00 01 00"), 0},
	{"empty", blobHex("02 00 00 00 00 00 00 00"), 4},
	{"size too small", blobHex("02 00 00 00 02 00 00 00 01 00"), 4},
	{"size too big", blobHex("02 00 00 00 01 00 00 00 01 00 02 00"), 4},
	{"length overflow", blobHex("08 00 00 00 ff ff ff ff 01 00 00 00 00 00 00 00"), 4},
	{"duplicate", isBuildWidth(nil, 2, 5, 5), 10},
	{"descending", isBuildWidth(nil, 4, 1, 3, 2), 16},
	{"descending int64", isBuildWidth(nil, 8, math.MaxInt64, math.MinInt64), 16},
}

func TestIntsetCorrupt(t *testing.T) {
	for _, tc := range isCorruptCases {
		_, err := isDecodeAll(tc.b)
		var be *blobError
		if !errors.As(err, &be) {
			t.Errorf("%s: err = %v, want *blobError", tc.name, err)
			continue
		}
		if be.Pos != tc.pos {
			t.Errorf("%s: Pos = %d, want %d (%v)", tc.name, be.Pos, tc.pos, err)
		}
	}
	it, _ := isOpen(isBuild(nil, 1))
	if it.Done() == nil {
		t.Error("Done before the end returned nil")
	}
	it, _ = isOpen(isBuildWidth(nil, 2, 2, 1))
	it.Next()
	_, _, err1 := it.Next()
	if _, _, err2 := it.Next(); err1 == nil || err2 != err1 || it.Done() != err1 {
		t.Error("errors not sticky")
	}
}

func TestIntsetRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(19, 20))
	for i := range 500 {
		n := 1 + r.IntN(100)
		shift := r.IntN(57) // leaves at least 128 distinct values
		seen := map[int64]bool{}
		var vals []int64
		for len(vals) < n {
			v := int64(r.Uint64()) >> shift
			if !seen[v] {
				seen[v] = true
				vals = append(vals, v)
			}
		}
		slices.Sort(vals)
		got, err := isDecodeAll(isBuild(nil, vals...))
		if err != nil || !slices.Equal(got, vals) {
			t.Fatalf("case %d: %v", i, err)
		}
	}
	b := isBuild(nil, 1, 2, 3)
	if n := testing.AllocsPerRun(100, func() { _, _ = isDecodeAllNoAlloc(b) }); n != 0 {
		t.Errorf("walking an intset allocates %v times", n)
	}
}

func isDecodeAllNoAlloc(b []byte) (int64, error) {
	it, err := isOpen(b)
	if err != nil {
		return 0, err
	}
	var sum int64
	for {
		v, ok, err := it.Next()
		if err != nil {
			return 0, err
		}
		if !ok {
			return sum, it.Done()
		}
		sum += v
	}
}
