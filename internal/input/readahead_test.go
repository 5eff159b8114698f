package input

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"
)

// TestReadAhead: R after ReadAhead gives the same bytes as before, plain
// and compressed, whatever the size of the caller's reads, and the error
// that ended the input after every byte before it; Close stops the
// goroutine also when the caller stopped early.
func TestReadAhead(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	plain := make([]byte, 3*aheadSize+12345)
	copy(plain, readSample(t))
	for i := len(readSample(t)); i < len(plain); i++ {
		plain[i] = byte(rng.IntN(7))
	}
	for _, c := range []struct {
		name string
		data []byte
	}{{"plain", plain}, {CompGzip, gzipOf(t, plain)}, {CompZstd, zstdOf(t, plain)}} {
		for _, chunk := range []int{1, 1000, aheadSize, 5 * aheadSize} {
			in, err := Open(context.Background(), writeFile(t, "f", c.data), nil)
			if err != nil {
				t.Fatal(err)
			}
			in.ReadAhead()
			if _, ok := in.R.(*aheadReader); !ok {
				t.Fatalf("%s: R is a %T", c.name, in.R)
			}
			var got []byte
			buf := make([]byte, chunk)
			for {
				n, err := in.R.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if chunk == 1 && len(got) > 100_000 {
					break // enough byte by byte; Close with chunks queued
				}
			}
			if want := plain[:len(got)]; !bytes.Equal(got, want) || chunk > 1 && len(got) != len(plain) {
				t.Errorf("%s, reads of %d: %d bytes, not the %d of the file", c.name, chunk, len(got), len(plain))
			}
			if n, err := in.R.Read(buf); chunk > 1 && (n != 0 || err != io.EOF) {
				t.Errorf("%s: read after the end: %d, %v", c.name, n, err)
			}
			in.Close()
		}
	}
	// A damaged compressed stream: its bytes, then its error, forever.
	z := gzipOf(t, plain)
	z = z[:len(z)/2]
	in, err := Open(context.Background(), writeFile(t, "f.gz", z), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	in.ReadAhead()
	got, err := io.ReadAll(in.R)
	if err == nil || !bytes.Equal(got, plain[:len(got)]) || len(got) < aheadSize {
		t.Errorf("truncated gzip: %d bytes, %v", len(got), err)
	}
	if _, err2 := in.R.Read(make([]byte, 10)); !errors.Is(err2, err) && err2.Error() != err.Error() {
		t.Errorf("then %v, want %v again", err2, err)
	}
}
