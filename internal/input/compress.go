package input

import (
	"bufio"
	"errors"
	"io"
	"os"
	"strconv"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}             // RFC 1952
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd} // RFC 8878 frame magic
)

// DecompressError wraps an error of a decompressor: the compressed data is
// damaged.
type DecompressError struct {
	Codec string // "gzip", "zstd", "lz4"
	Err   error
}

func (e *DecompressError) Error() string {
	if errors.Is(e.Err, zstd.ErrWindowSizeExceeded) {
		return "zstd frame needs a window over " + strconv.Itoa(zstdMaxWindow>>20) +
			" MiB (compressed with --long=28 or more): decompress it first with `zstd -d --memory=NNNMB`"
	}
	return e.Codec + " data is damaged: " + e.Err.Error()
}

// zstdMaxWindow caps the window a zstd frame may ask for: 128 MiB, the
// default limit of the zstd command line tool's decompressor (--memory), so
// a few header bytes cannot make us allocate gigabytes. Frames written with
// --long=28 and above need more and are refused with a clear message.
const zstdMaxWindow = 128 << 20

func (e *DecompressError) Unwrap() error { return e.Err }

// decompressReader tags decompressor errors, leaving io.EOF and
// io.ErrUnexpectedEOF (truncation), I/O errors and ctx.Err() alone, so a
// truncation is reported by the format reader at the decompressed offset.
type decompressReader struct {
	r     io.Reader
	codec string
}

func (d *decompressReader) Read(p []byte) (int, error) {
	n, err := d.r.Read(p)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF && !isContextErr(err) {
		var pe *os.PathError
		if !errors.As(err, &pe) {
			err = &DecompressError{Codec: d.codec, Err: err}
		}
	}
	return n, err
}

func (in *Input) openGzip(br *bufio.Reader) error {
	zr, err := gzip.NewReader(br)
	if err != nil {
		if isContextErr(err) {
			return err
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			return &FormatError{Name: in.Name, Msg: "truncated gzip header"}
		}
		return &DecompressError{Codec: CompGzip, Err: err}
	}
	in.closers = append(in.closers, zr.Close)
	in.Compression = CompGzip
	in.R = bufio.NewReaderSize(&stickyReader{r: &decompressReader{r: zr, codec: CompGzip}}, bufSize)
	return nil
}

func (in *Input) openZstd(br *bufio.Reader) error {
	zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow))
	if err != nil {
		return &DecompressError{Codec: CompZstd, Err: err}
	}
	in.closers = append(in.closers, func() error { zr.Close(); return nil })
	in.Compression = CompZstd
	in.R = bufio.NewReaderSize(&stickyReader{r: &decompressReader{r: zr, codec: CompZstd}}, bufSize)
	return nil
}
