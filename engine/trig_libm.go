//go:build cgo && unix

package engine

// The C library's sin, cos and asin, the functions redis-server and
// valkey-server call in geohashGetDistance (src/geohash_helper.c). See
// trig.go for why the engine uses them.

/*
#cgo LDFLAGS: -lm
#include <math.h>
*/
import "C"

func init() {
	libm = &trigFuncs{
		sin:  func(x float64) float64 { return float64(C.sin(C.double(x))) },
		cos:  func(x float64) float64 { return float64(C.cos(C.double(x))) },
		asin: func(x float64) float64 { return float64(C.asin(C.double(x))) },
	}
}
