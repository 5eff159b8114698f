package cmd

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"testing"
)

// TestAsyncOut: every byte reaches dst in order, whatever the sizes of the
// writes, and the hash is the hash of those bytes.
func TestAsyncOut(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	data := make([]byte, 3*asyncBufs*asyncBufSize+12345)
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	var dst bytes.Buffer
	sum := sha256.New()
	a := newAsyncOut(&dst, sum)
	for p := data; len(p) > 0; {
		n := min(len(p), rng.IntN(3*asyncBufSize))
		if m, err := a.Write(p[:n]); m != n || err != nil {
			t.Fatalf("Write: %d, %v", m, err)
		}
		p = p[n:]
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil { // a second Close is harmless
		t.Fatal(err)
	}
	if !bytes.Equal(dst.Bytes(), data) {
		t.Fatalf("dst holds %d bytes, not the %d written in order", dst.Len(), len(data))
	}
	want := sha256.Sum256(data)
	if !bytes.Equal(sum.Sum(nil), want[:]) {
		t.Fatal("the hash is not the hash of the bytes written")
	}
}

type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		return 0, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

// TestAsyncOutError: the first error of dst comes back from a later Write
// (never a silent loss) and from Close.
func TestAsyncOutError(t *testing.T) {
	disk := errors.New("no space left on device")
	a := newAsyncOut(&failAfter{n: asyncBufSize, err: disk}, sha256.New())
	buf := make([]byte, 4096)
	var werr error
	for i := 0; i < 64*asyncBufs*asyncBufSize/len(buf) && werr == nil; i++ {
		_, werr = a.Write(buf)
	}
	if !errors.Is(werr, disk) {
		t.Fatalf("Write after dst failed: %v, want %v", werr, disk)
	}
	if err := a.Close(); !errors.Is(err, disk) {
		t.Fatalf("Close: %v, want %v", err, disk)
	}
}

// TestAsyncOutCloseAtOnce: a Close right after newAsyncOut, before its
// goroutine has run, neither hangs nor loses the bytes written.
func TestAsyncOutCloseAtOnce(t *testing.T) {
	for i := range 2000 {
		var dst bytes.Buffer
		a := newAsyncOut(&dst, sha256.New())
		a.Write([]byte{byte(i)})
		if err := a.Close(); err != nil || dst.Len() != 1 || dst.Bytes()[0] != byte(i) {
			t.Fatalf("run %d: Close %v, dst %q", i, err, dst.Bytes())
		}
	}
}
