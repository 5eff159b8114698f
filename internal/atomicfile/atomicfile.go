// Package atomicfile writes a file so that a reader, or a crash, sees the
// old file or the whole new one, never a part: the bytes go to a temporary
// file in the destination's directory, which is fsynced, renamed over the
// destination, and the directory fsynced.
package atomicfile

import (
	"bufio"
	"errors"
	"io"
	"os"
	"path/filepath"
)

// TempPrefix starts the name of every temporary file rdbkit writes (then
// renames); one left behind is from a run that was killed.
const TempPrefix = ".rdbkit-tmp-"

// File is a temporary file that becomes path on Commit. Until then, Abort
// removes it.
type File struct {
	*os.File
	path string
	done bool
}

// Create creates the temporary file of path, named TempPrefix followed by
// random characters, in path's directory (mode 0600, as os.CreateTemp).
func Create(path string) (*File, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), TempPrefix+"*")
	if err != nil {
		return nil, err
	}
	return &File{File: tmp, path: path}, nil
}

// Commit fsyncs the file, closes it, renames it to path and fsyncs the
// directory. On an error the temporary file is removed (Abort).
func (f *File) Commit() error {
	if f.done {
		return errors.New("atomicfile: " + f.path + ": already committed or aborted")
	}
	defer f.Abort()
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		return err
	}
	f.done = true
	return SyncDir(filepath.Dir(f.path))
}

// Abort closes and removes the temporary file, unless Commit renamed it.
// It may be called any number of times (e.g. deferred).
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// Write writes path atomically with write, through a 256 KiB buffer; the
// file gets mode 0644. Nothing is left behind on an error.
func Write(path string, write func(io.Writer) error) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	bw := bufio.NewWriterSize(f, 256<<10)
	if err := write(bw); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		return err
	}
	return f.Commit()
}

// SyncDir fsyncs a directory, so that a rename or a removal in it is
// durable (a file system that cannot sync a directory is not an error).
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
