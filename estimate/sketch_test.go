package estimate

import (
	"math"
	"strconv"
	"testing"
)

// TestKeySketchCounts: the sketch's count of n distinct keys, each added
// three times, is within 1 % up to 1000 keys and within 3 % (under four standard
// errors of the raw estimate) above.
func TestKeySketchCounts(t *testing.T) {
	for _, n := range []int{0, 1, 7, 100, 1000, 3000, 10_000, 100_000, 1_000_000} {
		s := newKeySketch()
		for rep := 0; rep < 3; rep++ {
			for i := 0; i < n; i++ {
				s.add(strconv.AppendInt([]byte("stream:"), int64(i), 10))
			}
		}
		got := s.count()
		tol := 0.01
		if n > 1000 {
			tol = 0.03
		}
		if math.Abs(float64(got)-float64(n)) > tol*float64(n)+0.5 {
			t.Errorf("%d distinct keys: counted %d", n, got)
		}
	}
}
