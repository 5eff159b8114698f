// Package input is rdbkit's one way in: it opens a path, or "-" for standard
// input, exactly once, never opens it again by name, removes any compression
// and tells what the bytes are, all from one buffered reader. Pipes, FIFOs and
// process substitution (/dev/fd/N) are therefore read like files.
//
// Compression is found by magic bytes, never by file name: gzip, zstd and the
// Valkey 9.2 LZ4 envelope ("VCS", see vcs.go); the pre-release "VKCS"
// envelope is refused. The kind is found on the decompressed bytes with the
// rules of the server and of redis-check-aof:
//
//   - a directory: an appendonlydir, or a server dir holding one (KindDir);
//   - a manifest: a name ending in ".manifest", or content whose first line
//     that is not a '#' comment starts with "file" (redis-check-aof.c
//     fileIsManifest) (KindManifest);
//   - RDB magic ("REDIS", "VALKEY") in a file named *.aof: an RDB-preamble
//     AOF (KindPreambleAOF);
//   - content starting with '*' or '#': RESP commands and annotations, an
//     old-style single AOF (KindAOF);
//   - anything else, empty input included: an RDB file (KindRDB).
//
// Directories and manifests name other files, so the caller resolves them
// by path (manifest.Resolve); every other kind is read from Input.R, whose
// offsets are those of the decompressed stream.
//
// Opening a FIFO that has no writer yet, and every later read, ends with
// ctx.Err() as soon as the context is done (package ctxio).
package input

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/internal/input/ctxio"
	"github.com/rdbkit/rdbkit/manifest"
)

// Kind is what an input holds.
type Kind uint8

const (
	KindRDB         Kind = iota // an RDB snapshot
	KindAOF                     // an old-style single AOF of RESP commands
	KindPreambleAOF             // an RDB preamble followed by RESP commands (a file named *.aof)
	KindManifest                // an appendonly.aof.manifest
	KindDir                     // a directory: appendonlydir or a server's dir
)

func (k Kind) String() string {
	return [...]string{"rdb", "aof", "preamble-aof", "manifest", "directory"}[min(int(k), 4)]
}

// IsAOF reports whether the input is an AOF: a set (manifest, directory)
// or a single file.
func (k Kind) IsAOF() bool { return k != KindRDB }

// Compression names, as shown in text and JSON output.
const (
	CompNone   = "none"
	CompGzip   = "gzip"
	CompZstd   = "zstd"
	CompLZ4VCS = "lz4-vcs" // the Valkey 9.2 whole-file envelope
)

// bufSize is the buffer the magic bytes and the first manifest line are
// sniffed from.
const bufSize = 64 << 10

// ErrManifestStream is returned for a manifest read from a pipe or standard
// input: it names its files relative to its own directory, which a stream
// does not have.
var ErrManifestStream = errors.New("an AOF manifest names its files relative to its directory: give the manifest's path, not a pipe or standard input")

// errIsDir is the error of reading a directory as a file.
var errIsDir = errors.New("is a directory")

// Options tune Open.
type Options struct {
	// Stdin is read for the path "-".
	Stdin io.Reader
}

// Input is one opened input. For KindDir and KindManifest only Name, Kind
// and Regular are set: R is nil.
type Input struct {
	Name string // the path as given, or "-"
	Kind Kind
	// R is the decompressed stream from its first byte, buffered. Offsets
	// into it are offsets of the file when Compression is CompNone, else of
	// the decompressed stream.
	R io.Reader
	// Size is the size of R in bytes when known (an uncompressed regular
	// file), else 0.
	Size int64
	// FileSize is the size on disk in bytes, -1 when unknown (a pipe,
	// standard input).
	FileSize int64
	// Compression is CompNone, CompGzip, CompZstd or CompLZ4VCS.
	Compression string
	// Regular is set for a regular file or a directory: something that is
	// still there after it was read (repair needs one). It is false for
	// pipes, FIFOs, character devices and standard input.
	Regular bool

	count   *ctxio.Counter
	closers []func() error
}

// Compressed reports whether offsets in R differ from offsets in the file.
func (in *Input) Compressed() bool { return in.Compression != CompNone }

// BytesRead returns how many bytes were read from the file itself (before
// decompression).
func (in *Input) BytesRead() int64 { return in.count.N() }

// SetProgress sets the function told the bytes read from the file so far
// after every read (nil removes it). It may be called while another
// goroutine reads.
func (in *Input) SetProgress(fn func(total int64)) { in.count.SetProgress(fn) }

// Close releases the file and the decoders. It does not close Options.Stdin.
func (in *Input) Close() error {
	var first error
	for i := len(in.closers) - 1; i >= 0; i-- {
		if err := in.closers[i](); err != nil && first == nil {
			first = err
		}
	}
	in.closers = nil
	return first
}

// Open opens path ("-": opts.Stdin) once, unwraps its compression and finds
// its kind (see the package documentation). Errors: the *os.PathError of
// opening, ctx.Err() when ctx ends first (a FIFO with no writer), a
// *FormatError for a bad or unsupported compression envelope, a
// *DecompressError for a damaged compressed stream, ErrManifestStream, and
// read errors. A directory is not opened: it is for manifest.Resolve.
func Open(ctx context.Context, path string, opts *Options) (*Input, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	in := &Input{Name: path, FileSize: -1, Compression: CompNone, count: ctxio.NewCounter(nil)}
	var src io.Reader
	if path == "-" {
		if o.Stdin == nil {
			return nil, errors.New("input: no standard input")
		}
		src = o.Stdin
	} else {
		st, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			in.Kind, in.Regular = KindDir, true
			return in, nil
		}
		f, err := openFile(ctx, path, st.Mode().IsRegular())
		if err != nil {
			return nil, err
		}
		in.closers = append(in.closers, f.Close)
		if st, err = f.Stat(); err != nil {
			in.Close()
			return nil, err
		}
		if st.IsDir() { // replaced by a directory since the stat
			in.Close()
			return nil, &os.PathError{Op: "open", Path: path, Err: errIsDir}
		}
		if st.Mode().IsRegular() {
			in.FileSize, in.Regular = st.Size(), true
		}
		src = f
	}
	br := bufio.NewReaderSize(&stickyReader{r: ctxio.NewReader(ctx, src, in.count)}, bufSize)
	if err := in.unwrap(br); err != nil {
		in.Close()
		return nil, err
	}
	if err := in.sniffKind(); err != nil {
		in.Close()
		return nil, err
	}
	if in.Kind == KindManifest {
		if !in.Regular {
			in.Close()
			return nil, &os.PathError{Op: "read", Path: path, Err: ErrManifestStream}
		}
		// Resolved by path; the bytes read here are not needed.
		in.Close()
		in.R = nil
	}
	return in, nil
}

// openFile opens path for reading. A FIFO blocks in open(2) until a writer
// comes; that wait ends with ctx.Err() when ctx is done first (the open
// stays pending in a goroutine, and a file it opens later is closed).
func openFile(ctx context.Context, path string, regular bool) (*os.File, error) {
	if regular || ctx.Done() == nil {
		return os.Open(path)
	}
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	select {
	case r := <-ch:
		return r.f, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.f != nil {
				r.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// unwrap finds the compression from the first bytes of br and sets R.
func (in *Input) unwrap(br *bufio.Reader) error {
	head, err := br.Peek(8)
	if err != nil && err != io.EOF && (len(head) < 2 || isContextErr(err)) {
		return err // a read error before the magic, or ctx.Err()
	}
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return in.openGzip(br)
	case bytes.HasPrefix(head, zstdMagic):
		return in.openZstd(br)
	case bytes.HasPrefix(head, []byte("VKCS")):
		return &FormatError{Name: in.Name, Msg: "unsupported pre-release Valkey \"VKCS\" compression envelope (only the Valkey 9.2 \"VCS\" envelope is supported)"}
	case bytes.HasPrefix(head, vcsMagic) || (len(head) >= 2 && len(head) < 3 && bytes.HasPrefix(vcsMagic, head)):
		r, err := openVCS(in.Name, br)
		if err != nil {
			return err
		}
		in.Compression = CompLZ4VCS
		in.R = bufio.NewReaderSize(&stickyReader{r: r}, bufSize)
		return nil
	}
	in.R = br
	if in.FileSize >= 0 {
		in.Size = in.FileSize
	}
	return nil
}

// sniffKind finds the kind from the first decompressed bytes.
func (in *Input) sniffKind() error {
	br := in.R.(*bufio.Reader)
	head, err := br.Peek(6)
	if err != nil && err != io.EOF && len(head) == 0 {
		if isContextErr(err) {
			return err
		}
		// A damaged start: leave the error to the reader of R, which
		// reports it with its offset.
		in.Kind = KindRDB
		return nil
	}
	name := in.Name
	switch {
	case in.Regular && strings.HasSuffix(name, ".manifest"):
		in.Kind = KindManifest
	case len(head) > 0 && (head[0] == '#' || head[0] == 'f') && isManifest(br):
		in.Kind = KindManifest
	case aoffile.Detect(head) == aoffile.FormatRDB && in.Regular && strings.HasSuffix(name, ".aof"):
		in.Kind = KindPreambleAOF
	case len(head) > 0 && (head[0] == '*' || head[0] == '#'):
		in.Kind = KindAOF
	default:
		in.Kind = KindRDB
	}
	return nil
}

// isManifest applies redis-check-aof's test (redis-check-aof.c
// fileIsManifest) to the buffered start of the input: after optional '#'
// lines, the first line starts with "file". It peeks only as far as that
// line (so an idle pipe is not waited on for more), and at most the
// buffer: a longer run of comments is not a manifest.
func isManifest(br *bufio.Reader) bool {
	for n := 64; ; n = min(2*n, bufSize) {
		all, err := br.Peek(n)
		b, partial := all, false
		for len(b) > 0 && b[0] == '#' {
			i := bytes.IndexByte(b, '\n')
			if i < 0 {
				b, partial = nil, true // a comment line not yet complete
				break
			}
			b = b[i+1:]
		}
		ended := err != nil || len(all) < n
		switch {
		case len(b) >= 4 || bytes.IndexByte(b, '\n') >= 0 || (ended && !partial):
			return bytes.HasPrefix(b, []byte("file"))
		case ended || n == bufSize:
			return false
		}
	}
}

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// SingleSet returns the AOF set of a single-file input (KindAOF or
// KindPreambleAOF), as manifest.Resolve describes an old-style file: the
// file is the base, loaded with its RDB preamble if it has one. The set
// must be read from R (repair.ScanOptions.Source, replay.Options.Source),
// never opened by name. Base.Size is the size of R, or 0 when unknown.
func (in *Input) SingleSet() *manifest.Set {
	dir, name := filepath.Dir(in.Name), filepath.Base(in.Name)
	if in.Name == "-" {
		dir, name = "", "-"
	}
	e := manifest.Entry{Name: name, Seq: 1, Type: manifest.TypeBase, StartOffset: manifest.NoOffset, EndOffset: manifest.NoOffset}
	content := manifest.ContentRESP
	if in.Kind == KindPreambleAOF {
		content = manifest.ContentRDB
	}
	f := &manifest.File{Entry: e, Path: in.Name, Exists: true, Size: in.Size, Content: content}
	return &manifest.Set{Dir: dir, Manifest: &manifest.Manifest{Base: &e}, Base: f, Legacy: true,
		AppendFilename: manifest.DefaultAppendFilename}
}

// stickyReader returns its first error forever: bufio.Reader.Peek hands an
// error out once, and a reader asked again after it (a truncated
// decompressed stream, a cancelled context) must not then look like a
// clean end.
type stickyReader struct {
	r   io.Reader
	err error
}

func (s *stickyReader) Read(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.r.Read(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

// FormatError reports an input that is not something rdbkit can read at
// all: a bad or unsupported compression envelope.
type FormatError struct {
	Name   string
	Offset int64 // byte offset in the file
	Msg    string
}

func (e *FormatError) Error() string {
	return e.Name + ": " + e.Msg + " at offset " + strconv.FormatInt(e.Offset, 10)
}
