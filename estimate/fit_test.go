package estimate

import "testing"

func TestSummarizeErrors(t *testing.T) {
	got := SummarizeErrors([]float64{0.05, 0.3, 0.1, 0.15}, 0.2)
	if want := (ErrorStats{N: 4, Within: 3, Median: 0.125, Worst: 0.3}); got != want {
		t.Errorf("SummarizeErrors = %+v, want %+v", got, want)
	}
	if got := SummarizeErrors(nil, 0.2); got != (ErrorStats{}) {
		t.Errorf("no errors: %+v", got)
	}
}
