package aoffile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"testing"
	"testing/iotest"
)

// FuzzReader feeds arbitrary bytes to the Reader. Properties: no panic;
// memory bounded by the input (the buffer never exceeds a small multiple of
// the input size, whatever the lengths in it claim); records tile the input
// contiguously; OKUpTo never passes the end of what was read; one-byte reads
// give the same result; a truncation verdict is a prefix property (the
// input cut at OKUpTo reads cleanly, as after redis-check-aof --fix).
func FuzzReader(f *testing.F) {
	for _, s := range []string{
		cmd("SET", "k", "v"),
		cmd("MULTI") + cmd("SET", "k", "v") + cmd("EXEC"),
		"#TS:1795236325\r\n" + cmd("SELECT", "0") + cmd("DEL", "k"),
		"*1\r\n$1099511627776\r\nabc",
		"*1099511627776\r\n$1\r\na\r\n",
		"*2\r\n$3\r\nGET\r\n$-1\r\n",
		"REDIS0009\xff\x00\x00\x00\x00\x00\x00\x00\x00" + cmd("PING"),
		"VALKEY080\xff\x00\x00\x00\x00\x00\x00\x00\x00" + cmd("PING"),
		"#" + string(bytes.Repeat([]byte("x"), 1100)) + "\r\n",
	} {
		f.Add([]byte(s))
	}
	if _, err := os.Stat(corpusDirNoSkip()); err == nil {
		for _, fn := range corpusAOFFiles(f) {
			if b, err := os.ReadFile(fn); err == nil && len(b) <= 16<<10 {
				// Bigger files are covered by TestCorpusPrefixes; as seeds they
				// make minimization crawl.
				f.Add(b)
			}
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			t.Skip("input over 1 MiB")
		}
		for _, sized := range []bool{false, true} {
			opts := &Options{}
			if sized {
				opts.Size = int64(len(data))
			}
			r := NewReader(bytes.NewReader(data), opts)
			var recs []string
			next := int64(-1)
			var err error
			for {
				var c *Command
				c, err = r.Next()
				if err != nil {
					break
				}
				if next >= 0 && c.Offset != next {
					t.Fatalf("record at %d, previous ended at %d", c.Offset, next)
				}
				next = c.Offset + c.Size
				if next > int64(len(data)) {
					t.Fatalf("record ends at %d past the input (%d)", next, len(data))
				}
				recs = append(recs, fmt.Sprintf("%d:%d:%d:%q:%q", c.Offset, c.Size, c.Line, c.Args, c.Text))
				if len(r.buf) > 4*len(data)+initBuf {
					t.Fatalf("buffer %d for %d input bytes", len(r.buf), len(data))
				}
			}
			if len(r.buf) > 4*len(data)+initBuf {
				t.Fatalf("buffer %d for %d input bytes", len(r.buf), len(data))
			}
			ok := r.OKUpTo()
			if ok.Offset < 0 || ok.Offset > int64(len(data)) {
				t.Fatalf("OKUpTo %d outside the input (%d)", ok.Offset, len(data))
			}
			var se *SyntaxError
			if err != io.EOF && !errors.As(err, &se) && r.rdb == nil {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			// Same records and verdict with one-byte reads.
			r2 := NewReader(iotest.OneByteReader(bytes.NewReader(data)), opts)
			var recs2 []string
			var err2 error
			for {
				var c *Command
				c, err2 = r2.Next()
				if err2 != nil {
					break
				}
				recs2 = append(recs2, fmt.Sprintf("%d:%d:%d:%q:%q", c.Offset, c.Size, c.Line, c.Args, c.Text))
			}
			if fmt.Sprint(recs) != fmt.Sprint(recs2) || fmt.Sprint(err) != fmt.Sprint(err2) || r2.OKUpTo() != ok {
				t.Fatalf("one-byte reads differ:\n%v %v\n%v %v", recs, err, recs2, err2)
			}
			// Truncating at OKUpTo repairs a truncated RESP file.
			if se != nil && errors.Is(err, ErrTruncated) && r.rdb == nil {
				fixed := NewReader(bytes.NewReader(data[:ok.Offset]), nil)
				for {
					_, ferr := fixed.Next()
					if ferr == io.EOF {
						break
					}
					if ferr != nil {
						t.Fatalf("input cut at OKUpTo %d: %v", ok.Offset, ferr)
					}
				}
			}
		}
	})
}
