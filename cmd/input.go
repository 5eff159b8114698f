package cmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Compression names, as shown in text and JSON output.
const (
	compNone   = "none"
	compGzip   = "gzip"
	compZstd   = "zstd"
	compLZ4VCS = "lz4-vcs" // Valkey 9.2 whole-file envelope (FORMATS-NEWER.md §6.6)
)

// input is one opened input: a file or standard input, with any
// compression removed. Compression is found from magic bytes, never from
// the file name.
type input struct {
	Name        string    // path as given, or "-"
	R           io.Reader // the decompressed stream
	Size        int64     // size of R if known (uncompressed regular files), else 0
	FileSize    int64     // bytes on disk, -1 if unknown (stdin, pipes)
	Compression string    // compNone, compGzip, ...
	count       *countingReader
	closers     []func() error
}

// Compressed reports whether offsets in R differ from offsets in the file.
func (in *input) Compressed() bool { return in.Compression != compNone }

// BytesRead returns how many bytes were read from the file itself.
func (in *input) BytesRead() int64 { return in.count.n.Load() }

// Close releases the file and decoders.
func (in *input) Close() error {
	var first error
	for i := len(in.closers) - 1; i >= 0; i-- {
		if err := in.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	in.closers = nil
	return first
}

// inputFormatError reports an input that is not something rdbkit can read
// at all: a bad or unsupported compression envelope (exit 3).
type inputFormatError struct {
	Name   string
	Offset int64
	Msg    string
}

func (e *inputFormatError) Error() string {
	return e.Name + ": " + e.Msg + " at offset " + strconv.FormatInt(e.Offset, 10)
}

// decompressError wraps an error of the decompressor: the compressed data
// is damaged (exit 3).
type decompressError struct {
	Codec string
	Err   error
}

func (e *decompressError) Error() string { return e.Codec + " data is damaged: " + e.Err.Error() }
func (e *decompressError) Unwrap() error { return e.Err }

// decompressReader tags decompressor errors, leaving io.EOF and
// io.ErrUnexpectedEOF (truncation) alone so the RDB reader reports a
// truncation at the decompressed offset.
type decompressReader struct {
	r     io.Reader
	codec string
}

func (d *decompressReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF && !isContextErr(err) {
		var pe *os.PathError
		if !errors.As(err, &pe) {
			err = &decompressError{Codec: d.codec, Err: err}
		}
	}
	return n, err
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// openInput opens path ("-" = stdin) and unwraps gzip, zstd and the Valkey
// "VCS" LZ4 envelope found by their magic bytes.
func (a *App) openInput(ctx context.Context, path string) (*input, error) {
	in := &input{Name: path, FileSize: -1, Compression: compNone}
	var src io.Reader
	if path == "-" {
		src = a.IO.In
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		in.closers = append(in.closers, f.Close)
		st, err := f.Stat()
		if err != nil {
			in.Close()
			return nil, err
		}
		if st.IsDir() {
			in.Close()
			return nil, &os.PathError{Op: "open", Path: path, Err: errIsDir}
		}
		if st.Mode().IsRegular() {
			in.FileSize = st.Size()
		}
		src = f
	}
	in.count = &countingReader{r: &ctxReader{ctx: ctx, r: src}}
	br := bufio.NewReaderSize(in.count, 64<<10)
	head, err := br.Peek(8)
	if err != nil && err != io.EOF {
		in.Close()
		return nil, err
	}
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			in.Close()
			if err == io.EOF || err == io.ErrUnexpectedEOF {
				return nil, &inputFormatError{Name: path, Msg: "truncated gzip header"}
			}
			return nil, &decompressError{Codec: compGzip, Err: err}
		}
		in.closers = append(in.closers, zr.Close)
		in.Compression, in.R = compGzip, &decompressReader{r: zr, codec: compGzip}
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1))
		if err != nil {
			in.Close()
			return nil, &decompressError{Codec: compZstd, Err: err}
		}
		in.closers = append(in.closers, func() error { zr.Close(); return nil })
		in.Compression, in.R = compZstd, &decompressReader{r: zr, codec: compZstd}
	case bytes.HasPrefix(head, []byte("VKCS")):
		in.Close()
		return nil, &inputFormatError{Name: path, Msg: "unsupported pre-release Valkey \"VKCS\" compression envelope (only the Valkey 9.2 \"VCS\" envelope is supported)"}
	case bytes.HasPrefix(head, []byte("VCS")) || (len(head) < 3 && len(head) >= 2 && bytes.HasPrefix([]byte("VCS"), head)):
		r, err := openVCS(path, br)
		if err != nil {
			in.Close()
			return nil, err
		}
		in.Compression, in.R = compLZ4VCS, r
	default:
		in.R = br
		if in.FileSize >= 0 {
			in.Size = in.FileSize
		}
	}
	return in, nil
}

var errIsDir = errors.New("is a directory")

// openVCS reads the 7-byte Valkey 9.2 envelope (FORMATS-NEWER.md §6.6):
// "VCS", version 1, codec 1 (LZ4), reserved 0, kind 1 (RDB), then one LZ4
// frame holding the whole RDB.
func openVCS(name string, br *bufio.Reader) (io.Reader, error) {
	var h [7]byte
	n, err := io.ReadFull(br, h[:])
	if err != nil {
		return nil, &inputFormatError{Name: name, Offset: int64(n), Msg: "truncated \"VCS\" compression envelope"}
	}
	check := []struct {
		off       int
		want      byte
		what, bad string
	}{
		{3, 1, "version", "unknown \"VCS\" envelope version"},
		{4, 1, "codec", "unknown \"VCS\" envelope codec id (only 1 = LZ4 is known)"},
		{5, 0, "reserved", "nonzero reserved byte in \"VCS\" envelope"},
		{6, 1, "kind", "unknown \"VCS\" envelope stream kind (only 1 = RDB is known)"},
	}
	for _, c := range check {
		if h[c.off] != c.want {
			return nil, &inputFormatError{Name: name, Offset: int64(c.off), Msg: fmt.Sprintf("%s %d", c.bad, h[c.off])}
		}
	}
	magic, err := br.Peek(4)
	if err != nil || !bytes.Equal(magic, []byte{0x04, 0x22, 0x4d, 0x18}) {
		if err != nil {
			return nil, &inputFormatError{Name: name, Offset: 7, Msg: "truncated LZ4 frame after the \"VCS\" envelope"}
		}
		return nil, &inputFormatError{Name: name, Offset: 7, Msg: "no LZ4 frame after the \"VCS\" envelope"}
	}
	return &decompressReader{r: lz4.NewReader(br), codec: "lz4"}, nil
}

// countingReader counts the bytes read through it; the progress bar reads
// the count (never Seek).
type countingReader struct {
	r        io.Reader
	n        atomicInt64
	progress func(int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		total := c.n.Add(int64(n))
		if c.progress != nil {
			c.progress(total)
		}
	}
	return n, err
}

// ctxReader stops reading once ctx is done, so a long read ends on ^C.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
