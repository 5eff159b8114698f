package rdbfile_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// benchFile returns the bytes of a sample, or of $RDBKIT_BENCH_RDB when set
// (e.g. a file from `make bench-data`).
func benchFiles(b *testing.B) map[string][]byte {
	out := map[string][]byte{}
	for _, f := range []string{"redis-7.4.1-dump-lfu.rdb", "redis-7.0.15-dump.rdb"} {
		data, err := os.ReadFile(filepath.Join(testdataDir, f))
		if err != nil {
			b.Fatal(err)
		}
		out[f] = data
	}
	return out
}

func benchRead(b *testing.B, data []byte, decode bool) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
		for {
			e, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if decode && e.Kind == rdbfile.EntryKey {
				if _, err := e.Value(); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
}

// BenchmarkReaderSkip is the verify path: every value validated, none kept.
func BenchmarkReaderSkip(b *testing.B) {
	for name, data := range benchFiles(b) {
		b.Run(name, func(b *testing.B) { benchRead(b, data, false) })
	}
}

// BenchmarkReaderValue decodes every value into memory.
func BenchmarkReaderValue(b *testing.B) {
	for name, data := range benchFiles(b) {
		b.Run(name, func(b *testing.B) { benchRead(b, data, true) })
	}
}

// BenchmarkReaderFile streams $RDBKIT_BENCH_RDB from disk (skip path).
func BenchmarkReaderFile(b *testing.B) {
	path := os.Getenv("RDBKIT_BENCH_RDB")
	if path == "" {
		b.Skip("set RDBKIT_BENCH_RDB to a large RDB (make bench-data)")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := rdbfile.NewReader(f, &rdbfile.Options{Size: st.Size()})
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
}
