package cmd

import (
	"bytes"
	stdgzip "compress/gzip"
	"context"
	"io"
	"runtime"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// FuzzInput feeds arbitrary bytes, as standard input, through openInput's
// sniffing and decompressors (gzip, zstd, the Valkey "VCS" LZ4 envelope).
// Properties: no panic; memory bounded (a stream is read through a fixed
// buffer, and what the decoders allocate stays under inputMemLimit, whatever
// the headers claim); an uncompressed input comes out unchanged; a gzip
// input decodes to what the standard library's compress/gzip gives, a zstd
// input to what zstd.DecodeAll gives; and the input itself, compressed by
// each codec, comes back byte for byte.
func FuzzInput(f *testing.F) {
	f.Add([]byte("REDIS0011\xfa\x09redis-ver\x057.0.15\xff"))
	f.Add([]byte("*1\r\n$4\r\nPING\r\n"))
	f.Add([]byte("VKCS\x01\x01\x00\x01"))
	f.Add([]byte("VC"))
	f.Add([]byte{0x1f, 0x8b})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00})
	f.Add([]byte{'V', 'C', 'S', 1, 1, 0, 1, 0x04, 0x22, 0x4d, 0x18, 0x64, 0x40, 0xa7})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			t.Skip("input over 1 MiB")
		}
		// The input as it is.
		got, comp, err := readInput(t, data)
		if err == nil && comp == compNone && !bytes.Equal(got, data) {
			t.Fatalf("uncompressed input changed: %d bytes in, %d out", len(data), len(got))
		}
		switch comp {
		case compGzip:
			if want, rerr := io.ReadAll(io.LimitReader(stdGunzip(data), maxInputOut+1)); rerr == nil && len(want) <= maxInputOut {
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("gzip: %d bytes (%v), compress/gzip %d bytes", len(got), err, len(want))
				}
			}
		case compZstd:
			d, derr := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxInputOut))
			if derr != nil {
				t.Fatal(derr)
			}
			want, rerr := d.DecodeAll(data, nil)
			d.Close()
			if rerr == nil && len(want) <= maxInputOut && (err != nil || !bytes.Equal(got, want)) {
				t.Fatalf("zstd: %d bytes (%v), DecodeAll %d bytes", len(got), err, len(want))
			}
		}
		// The input compressed by each codec.
		for _, c := range []struct {
			name string
			data []byte
		}{{compGzip, gzipBytes(t, data)}, {compZstd, fuzzZstd.EncodeAll(data, nil)}, {compLZ4VCS, vcsBytes(t, data)}} {
			got, comp, err := readInput(t, c.data)
			if err != nil || comp != c.name || !bytes.Equal(got, data) {
				t.Fatalf("%s round trip: %s, %v, %d bytes of %d", c.name, comp, err, len(got), len(data))
			}
		}
	})
}

// maxInputOut is how much FuzzInput reads of a decompressed stream; inputMemLimit
// bounds what opening and reading one input may allocate.
const (
	maxInputOut   = 16 << 20
	inputMemLimit = 256 << 20
)

// fuzzZstd is one encoder for every round trip (a new one per input costs
// more than the rest of the target).
var fuzzZstd = func() *zstd.Encoder {
	e, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		panic(err)
	}
	return e
}()

func stdGunzip(data []byte) io.Reader {
	zr, err := stdgzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return errorReader{err}
	}
	return zr
}

type errorReader struct{ err error }

func (e errorReader) Read([]byte) (int, error) { return 0, e.err }

// readInput opens data as standard input and reads up to maxInputOut bytes
// of the decoded stream, checking what that allocated.
func readInput(t *testing.T, data []byte) ([]byte, string, error) {
	t.Helper()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	before := ms.TotalAlloc
	app := &App{IO: IOStreams{In: bytes.NewReader(data), Out: io.Discard, ErrOut: io.Discard}}
	in, err := app.openInput(context.Background(), "-")
	if err != nil {
		return nil, "", err
	}
	defer in.Close()
	var out bytes.Buffer
	_, err = io.Copy(&out, io.LimitReader(in.R, maxInputOut))
	runtime.ReadMemStats(&ms)
	if alloc := ms.TotalAlloc - before - uint64(out.Cap()); alloc > inputMemLimit {
		t.Fatalf("%s input of %d bytes: %d bytes allocated besides the output", in.Compression, len(data), alloc)
	}
	return out.Bytes(), in.Compression, err
}
