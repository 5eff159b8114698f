package repair

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/internal/atomicfile"
)

// An undo file is the backup of one file changed in place. It is
// self-describing:
//
//	"rdbkit-undo 1\n"
//	one line of JSON: an UndoHeader
//	Length bytes: the original bytes of each of Ranges, in order
//
// It keeps only the bytes a repair removed: a truncation ("tail") the cut
// end, a repair that skips damaged ranges ("ranges") those ranges; a
// rewritten manifest ("whole") is kept whole. Undo puts them back.
const undoMagic = "rdbkit-undo 1\n"

// UndoSuffix ends the name of every undo file.
const UndoSuffix = ".rdbkit-undo"

// Undo kinds.
const (
	UndoTail   = "tail"
	UndoRanges = "ranges"
	UndoWhole  = "whole"
)

// UndoHeader describes an undo file. Sizes are in bytes, hashes SHA-256 in
// hex.
type UndoHeader struct {
	File           string `json:"file"` // absolute path of the changed file
	Kind           string `json:"kind"` // UndoTail, UndoRanges or UndoWhole
	OriginalSize   int64  `json:"original_size"`
	OriginalSHA256 string `json:"original_sha256"`
	RepairedSize   int64  `json:"repaired_size"`
	RepairedSHA256 string `json:"repaired_sha256"`
	// Ranges are the [offset, end) byte ranges of the original file that
	// the repair removed, in increasing order: where the saved bytes go
	// back.
	Ranges     [][2]int64 `json:"ranges"`
	Length     int64      `json:"length"` // how many bytes follow the header
	DataSHA256 string     `json:"data_sha256"`
}

// maxHeader bounds the JSON line of an undo file.
const maxHeader = 64 << 10

// passHashes reads h's first size bytes once and returns the SHA-256 of
// all of them (the original) and of the bytes inside keep (the repaired
// file), keep being sorted, disjoint [start, end) ranges.
func passHashes(h io.ReaderAt, size int64, keep [][2]int64) (orig, rep string, err error) {
	ho, hr := sha256.New(), sha256.New()
	buf := make([]byte, 1<<20)
	for pos := int64(0); pos < size; {
		n, err := h.ReadAt(buf[:min(int64(len(buf)), size-pos)], pos)
		if n == 0 && err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return "", "", err
		}
		chunk := buf[:n]
		ho.Write(chunk)
		for _, r := range keep {
			a, b := max(r[0], pos), min(r[1], pos+int64(n))
			if a < b {
				hr.Write(chunk[a-pos : b-pos])
			}
		}
		pos += int64(n)
	}
	return sum(ho), sum(hr), nil
}

func sum(h hash.Hash) string { return hex.EncodeToString(h.Sum(nil)) }

// removedRanges is the complement of keep in [0, size).
func removedRanges(size int64, keep [][2]int64) [][2]int64 {
	var out [][2]int64
	pos := int64(0)
	for _, k := range keep {
		if k[0] > pos {
			out = append(out, [2]int64{pos, k[0]})
		}
		pos = max(pos, k[1])
	}
	if pos < size {
		out = append(out, [2]int64{pos, size})
	}
	return out
}

// rangesReader reads the bytes of ranges of h one after the other.
func rangesReader(h io.ReaderAt, ranges [][2]int64) io.Reader {
	var rs []io.Reader
	for _, r := range ranges {
		rs = append(rs, io.NewSectionReader(h, r[0], r[1]-r[0]))
	}
	return io.MultiReader(rs...)
}

// writeUndo saves the bytes of the open file h (of size bytes) that a
// repair keeping only keep removes, as an undo file of kind in dir,
// synced, and returns its path. UndoWhole saves the whole file; the file
// will then hold whole instead (the rewritten manifest), and keep is unused.
func writeUndo(dir, path string, h *os.File, size int64, kind string, keep [][2]int64, whole []byte) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	orig, rep, err := passHashes(h, size, keep)
	if err != nil {
		return "", err
	}
	var repSize int64
	for _, r := range keep {
		repSize += r[1] - r[0]
	}
	ranges := removedRanges(size, keep)
	if kind == UndoWhole {
		ranges = [][2]int64{{0, size}}
		hw := sha256.New()
		hw.Write(whole)
		repSize, rep = int64(len(whole)), sum(hw)
	}
	var n int64
	for _, r := range ranges {
		n += r[1] - r[0]
	}
	hd := sha256.New()
	if _, err := io.Copy(hd, rangesReader(h, ranges)); err != nil {
		return "", err
	}
	dataHash := sum(hd)
	hdr := UndoHeader{File: abs, Kind: kind, OriginalSize: size, OriginalSHA256: orig, RepairedSize: repSize,
		RepairedSHA256: rep, Ranges: ranges, Length: n, DataSHA256: dataHash}
	if hdr.Ranges == nil {
		hdr.Ranges = [][2]int64{}
	}
	line, err := json.Marshal(hdr)
	if err != nil {
		return "", err
	}
	dst := undoName(dir, filepath.Base(path))
	err = atomicfile.Write(dst, func(w io.Writer) error {
		if _, err := io.WriteString(w, undoMagic); err != nil {
			return err
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return err
		}
		hd := sha256.New()
		if _, err := io.Copy(io.MultiWriter(w, hd), rangesReader(h, ranges)); err != nil {
			return err
		}
		if sum(hd) != dataHash {
			return &StaleError{Path: path, What: "bytes changed while being saved"}
		}
		return nil
	})
	return dst, err
}

// undoName picks a free name for the undo file of base in dir.
func undoName(dir, base string) string {
	p := filepath.Join(dir, base+UndoSuffix)
	for i := 2; ; i++ {
		if _, err := os.Lstat(p); errors.Is(err, os.ErrNotExist) {
			return p
		}
		p = filepath.Join(dir, base+"."+strconv.Itoa(i)+UndoSuffix)
	}
}

// ReadUndoHeader reads the header of the undo file at path.
func ReadUndoHeader(path string) (*UndoHeader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	hdr, _, err := readUndoHeader(f, path)
	return hdr, err
}

// readUndoHeader returns the header and the offset of the data.
func readUndoHeader(f *os.File, path string) (*UndoHeader, int64, error) {
	br := bufio.NewReaderSize(io.LimitReader(f, int64(len(undoMagic))+maxHeader), 4096)
	magic := make([]byte, len(undoMagic))
	if _, err := io.ReadFull(br, magic); err != nil || string(magic) != undoMagic {
		return nil, 0, fmt.Errorf("repair: %s is not an rdbkit undo file (it does not start with %q)", path, strings.TrimSpace(undoMagic))
	}
	line, err := br.ReadBytes('\n')
	if err != nil {
		return nil, 0, fmt.Errorf("repair: %s: undo header is not one line of at most %d bytes", path, maxHeader)
	}
	var h UndoHeader
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, 0, fmt.Errorf("repair: %s: undo header: %v", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return nil, 0, err
	}
	data := int64(len(undoMagic) + len(line))
	var n, pos int64
	ok := true
	for _, r := range h.Ranges {
		ok = ok && r[0] >= pos && r[1] > r[0] && r[1] <= h.OriginalSize
		n += r[1] - r[0]
		pos = r[1]
	}
	nr := len(h.Ranges)
	switch {
	case !ok, h.Kind != UndoTail && h.Kind != UndoRanges && h.Kind != UndoWhole, !filepath.IsAbs(h.File),
		st.Size()-data != h.Length, n != h.Length,
		h.Kind != UndoWhole && h.OriginalSize-n != h.RepairedSize,
		h.Kind == UndoWhole && (n != h.OriginalSize || nr > 1),
		h.Kind == UndoTail && (nr != 1 || h.Ranges[0][1] != h.OriginalSize):
		return nil, 0, fmt.Errorf("repair: %s: undo file is inconsistent (kind %q, %d data bytes, header says %d in %d ranges of a %d-byte file)",
			path, h.Kind, st.Size()-data, h.Length, nr, h.OriginalSize)
	}
	return &h, data, nil
}

// UndoOptions tune Undo.
type UndoOptions struct {
	// Force skips the check for processes that have the files open.
	Force bool
}

// UndoResult lists what Undo did.
type UndoResult struct {
	Restored []string `json:"restored"`          // files given back their original bytes
	Already  []string `json:"already,omitempty"` // files that already held them
}

// Undo restores the files saved in the undo file at path, or in every undo
// file of the directory at path (the manifest last). Each file must hold
// exactly what the repair left (size and SHA-256), else Undo refuses with a
// *StaleError and leaves it alone; a file that already holds the original
// bytes is skipped. Restored files are checked against the original
// SHA-256 and synced.
func Undo(path string, o UndoOptions) (*UndoResult, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	files := []string{path}
	if st.IsDir() {
		files, err = filepath.Glob(filepath.Join(path, "*"+UndoSuffix))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("repair: no %s files in %s", UndoSuffix, path)
		}
		sort.SliceStable(files, func(i, j int) bool {
			return !isManifestUndo(files[i]) && isManifestUndo(files[j])
		})
	}
	res := &UndoResult{Restored: []string{}}
	for _, f := range files {
		restored, target, err := undoOne(f, o)
		if err != nil {
			return res, err
		}
		if restored {
			res.Restored = append(res.Restored, target)
		} else {
			res.Already = append(res.Already, target)
		}
	}
	return res, nil
}

func isManifestUndo(p string) bool {
	return strings.Contains(filepath.Base(p), ".manifest")
}

func undoOne(path string, o UndoOptions) (bool, string, error) {
	u, err := os.Open(path)
	if err != nil {
		return false, "", err
	}
	defer u.Close()
	hdr, data, err := readUndoHeader(u, path)
	if err != nil {
		return false, "", err
	}
	if !o.Force {
		if err := checkHolders([]string{hdr.File}); err != nil {
			return false, hdr.File, err
		}
	}
	payload := io.NewSectionReader(u, data, hdr.Length)
	flag := os.O_RDONLY
	if hdr.Kind == UndoTail {
		flag = os.O_RDWR
	}
	t, err := os.OpenFile(hdr.File, flag, 0)
	if err != nil && !(hdr.Kind == UndoWhole && errors.Is(err, os.ErrNotExist)) {
		return false, hdr.File, err
	}
	if t != nil {
		defer t.Close()
		tst, err := t.Stat()
		if err != nil {
			return false, hdr.File, err
		}
		h, err := hashRange(t, 0, tst.Size())
		if err != nil {
			return false, hdr.File, err
		}
		switch {
		case tst.Size() == hdr.OriginalSize && h == hdr.OriginalSHA256:
			return false, hdr.File, nil
		case tst.Size() != hdr.RepairedSize || h != hdr.RepairedSHA256:
			return false, hdr.File, &StaleError{Path: hdr.File, AfterRepair: true, What: fmt.Sprintf("%d bytes, the repair left %d with SHA-256 %.12s…", tst.Size(), hdr.RepairedSize, hdr.RepairedSHA256)}
		}
	}
	if hdr.Kind != UndoTail {
		// Rebuild the original through a temporary file: the repaired
		// bytes with the saved ranges put back between them.
		err := atomicfile.Write(hdr.File, func(w io.Writer) error {
			hd := sha256.New()
			mw := io.MultiWriter(w, hd)
			var rpos, opos int64 // positions in the repaired and original file
			for _, r := range hdr.Ranges {
				if n := r[0] - opos; n > 0 && hdr.Kind == UndoRanges {
					if _, err := io.CopyN(mw, io.NewSectionReader(t, rpos, n), n); err != nil {
						return err
					}
					rpos += n
				}
				if _, err := io.CopyN(mw, payload, r[1]-r[0]); err != nil {
					return err
				}
				opos = r[1]
			}
			if n := hdr.OriginalSize - opos; n > 0 && hdr.Kind == UndoRanges {
				if _, err := io.CopyN(mw, io.NewSectionReader(t, rpos, n), n); err != nil {
					return err
				}
			}
			if sum(hd) != hdr.OriginalSHA256 {
				return fmt.Errorf("repair: %s: the rebuilt file does not match the original SHA-256: the undo file is damaged; nothing was changed", path)
			}
			return nil
		})
		return err == nil, hdr.File, err
	}
	hd := sha256.New()
	if _, err := io.Copy(hd, payload); err != nil {
		return false, hdr.File, err
	}
	if sum(hd) != hdr.DataSHA256 {
		return false, hdr.File, fmt.Errorf("repair: %s: saved bytes do not match their SHA-256: the undo file is damaged; nothing was changed", path)
	}
	if _, err := io.Copy(&offsetWriter{t, hdr.Ranges[0][0]}, io.NewSectionReader(u, data, hdr.Length)); err != nil {
		t.Truncate(hdr.RepairedSize)
		return false, hdr.File, err
	}
	if err := t.Sync(); err != nil {
		return false, hdr.File, err
	}
	if h, err := hashRange(t, 0, hdr.OriginalSize); err != nil || h != hdr.OriginalSHA256 {
		t.Truncate(hdr.RepairedSize)
		t.Sync()
		if err == nil {
			err = fmt.Errorf("repair: %s: restored file does not match the original SHA-256; cut back to %d bytes", hdr.File, hdr.RepairedSize)
		}
		return false, hdr.File, err
	}
	return true, hdr.File, nil
}

type offsetWriter struct {
	f   *os.File
	off int64
}

func (w *offsetWriter) Write(p []byte) (int, error) {
	n, err := w.f.WriteAt(p, w.off)
	w.off += int64(n)
	return n, err
}
