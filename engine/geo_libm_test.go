package engine

import (
	"math"
	"testing"
)

// TestGeoStoreDistIssueExample: GEORADIUS around the member of score
// 2112221594809405 stores 5743.162436976555 on every server (Redis 7.0.15
// to the 2026 unstable build, Valkey 8.0.1); a correctly rounded sin gives
// …554 (one ulp less: sin((lon2-lon1)/2) differs by one ulp from glibc's).
func TestGeoStoreDistIssueExample(t *testing.T) {
	if !TrigFromLibm() {
		t.Skip("built without cgo: GEO distances use correctly rounded trigonometry, which is one ulp off the server here")
	}
	for _, ver := range []string{"7.0.15", "7.2.6", "7.4.1", "valkey-8.0.1"} {
		e := newEngine(t, ver)
		do(t, e, "ZADD", "g", "2112221594809405", "m")
		do(t, e, "GEORADIUS", "g", "68.266910", "74.573082", "12000", "km", "STOREDIST", "d")
		s, ok := zscoreOf(e, "d", "m")
		if want := 5743.162436976555; !ok || s != want {
			t.Errorf("%s: stored %v (%x), want %v (%x)", ver, s, math.Float64bits(s), want, math.Float64bits(want))
		}
	}
	// The correctly rounded fallback is the one ulp off: the case is one
	// where glibc is not correctly rounded.
	x := (-43.97514671087265*degToRad - 68.266910*degToRad) / 2
	if exactSin(x) == libm.sin(x) {
		t.Errorf("sin(%v): the correctly rounded value equals the C library's; the example tests nothing", x)
	}
}
