package cmd

import (
	"context"
	"errors"
	"io"

	inputpkg "github.com/rdbkit/rdbkit/internal/input"
	"github.com/rdbkit/rdbkit/internal/input/ctxio"
	"github.com/rdbkit/rdbkit/manifest"
)

// Compression names, as shown in text and JSON output.
const (
	compNone   = inputpkg.CompNone
	compGzip   = inputpkg.CompGzip
	compZstd   = inputpkg.CompZstd
	compLZ4VCS = inputpkg.CompLZ4VCS
)

// input is one opened input (package internal/input): a file or standard
// input opened once, with any compression removed and its kind found.
type input = inputpkg.Input

// inputFormatError is a bad or unsupported compression envelope (exit 3).
type inputFormatError = inputpkg.FormatError

// decompressError is damaged compressed data (exit 3).
type decompressError = inputpkg.DecompressError

func isContextErr(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// openInput opens path ("-" = standard input) exactly once; see
// internal/input. A manifest on a pipe is a usage error.
func (a *App) openInput(ctx context.Context, path string) (*input, error) {
	in, err := inputpkg.Open(ctx, path, &inputpkg.Options{Stdin: a.IO.In})
	if errors.Is(err, inputpkg.ErrManifestStream) {
		return nil, usageErrorf("%v", err)
	}
	return in, err
}

// aofSource is an AOF input as the scanner and replay want it: the set,
// and for a single file the stream to read it from (nil for a directory or
// a manifest, whose files are opened inside their directory).
type aofSource struct {
	set *manifest.Set
	src io.Reader
	cnt *ctxio.Counter
}

// resolveAOF turns an AOF input into its set: a directory or manifest by
// manifest.Resolve (its files are opened inside the AOF directory), a single
// file from the stream already open.
func resolveAOF(ctx context.Context, in *input, config string) (*aofSource, error) {
	if in.Kind == inputpkg.KindDir || in.Kind == inputpkg.KindManifest {
		set, err := manifest.Resolve(in.Name, &manifest.ResolveOptions{ConfigPath: config})
		if err != nil {
			return nil, err
		}
		return &aofSource{set: set}, nil
	}
	cnt := ctxio.NewCounter(nil)
	return &aofSource{set: in.SingleSet(), src: ctxio.NewReader(ctx, in.R, cnt), cnt: cnt}, nil
}

// finish reads what is left of a single-file stream, so that an input of
// unknown size (a pipe, a compressed file) is reported with its size, as a
// file would be.
func (s *aofSource) finish() error {
	if s.src == nil || s.set.Base.Size > 0 {
		return nil
	}
	if _, err := io.Copy(io.Discard, s.src); isContextErr(err) {
		return err
	}
	s.set.Base.Size = s.cnt.N()
	return nil
}

// checkRepairInput opens path once to see what it is. Repair re-reads the
// ranges it cuts and rewrites files where they are, so it needs them on
// disk as they are: a pipe, standard input or a compressed file is refused
// (verify, inspect and replay read those).
func checkRepairInput(ctx context.Context, app *App, path string) error {
	in, err := app.openInput(ctx, path)
	if err != nil {
		return err
	}
	in.Close()
	switch {
	case !in.Regular:
		return usageErrorf("%s is a pipe or standard input: repair needs the files on disk (it re-reads and rewrites them); 'rdbkit verify %s' checks a stream", path, shellQuote(path))
	case in.Compressed():
		return usageErrorf("%s is %s-compressed: repair needs the files uncompressed (it re-reads and rewrites them); 'rdbkit verify %s' checks it as it is", path, in.Compression, shellQuote(path))
	}
	return nil
}
