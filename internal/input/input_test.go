package input

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

const sample = "../../testdata/redis-7.4.1-dump.rdb"

// A RESP AOF as redis-server 7.0 writes it: an annotation, then commands.
const respAOF = "#TS:1795236558\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"

func readSample(t testing.TB) []byte {
	t.Helper()
	b, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func gzipOf(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdOf(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	w, err := zstd.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// vcsOf wraps b as Valkey 9.2 does with rdbcompression lz4.
func vcsOf(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	buf.Write([]byte{'V', 'C', 'S', 1, 1, 0, 1})
	w := lz4.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func writeFile(t *testing.T, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestKinds(t *testing.T) {
	rdb := readSample(t)
	tests := []struct {
		name string
		data []byte
		kind Kind
	}{
		{"dump.rdb", rdb, KindRDB},
		{"dump", rdb, KindRDB},
		{"appendonly.aof", rdb, KindPreambleAOF},
		{"appendonly.aof", []byte(respAOF), KindAOF},
		{"x", []byte("*1\r\n$4\r\nPING\r\n"), KindAOF},
		{"appendonly.aof.manifest", []byte("file appendonly.aof.1.base.rdb seq 1 type b\n"), KindManifest},
		{"m", []byte("file appendonly.aof.1.base.rdb seq 1 type b\n"), KindManifest},
		{"m", []byte("# a comment\n#\nfile a seq 1 type b\n"), KindManifest},
		{"empty", nil, KindRDB},
		{"garbage", []byte("hello"), KindRDB},
	}
	for _, tt := range tests {
		p := writeFile(t, tt.name, tt.data)
		in, err := Open(context.Background(), p, nil)
		if err != nil {
			t.Errorf("%s %q: %v", tt.name, tt.data[:min(len(tt.data), 8)], err)
			continue
		}
		if in.Kind != tt.kind || !in.Regular || in.Compressed() {
			t.Errorf("%s %q: kind %v regular %v compression %s, want %v", tt.name, tt.data[:min(len(tt.data), 8)], in.Kind, in.Regular, in.Compression, tt.kind)
		}
		if in.Kind != KindManifest {
			got, err := io.ReadAll(in.R)
			if err != nil || !bytes.Equal(got, tt.data) || in.Size != int64(len(tt.data)) {
				t.Errorf("%s: read %d bytes (%v), size %d, want %d", tt.name, len(got), err, in.Size, len(tt.data))
			}
		}
		in.Close()
	}
	in, err := Open(context.Background(), t.TempDir(), nil)
	if err != nil || in.Kind != KindDir || in.R != nil {
		t.Errorf("directory: %v %v", in, err)
	}
}

func TestCompression(t *testing.T) {
	for _, plain := range [][]byte{readSample(t), []byte(respAOF)} {
		for _, c := range []struct {
			name string
			data []byte
		}{{CompGzip, gzipOf(t, plain)}, {CompZstd, zstdOf(t, plain)}, {CompLZ4VCS, vcsOf(t, plain)}} {
			in, err := Open(context.Background(), writeFile(t, "f."+c.name, c.data), nil)
			if err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			want := KindRDB
			if plain[0] == '#' {
				want = KindAOF
			}
			if in.Compression != c.name || in.Kind != want || in.Size != 0 || in.FileSize != int64(len(c.data)) {
				t.Errorf("%s: compression %s kind %v size %d file size %d", c.name, in.Compression, in.Kind, in.Size, in.FileSize)
			}
			got, err := io.ReadAll(in.R)
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("%s: %d bytes (%v), want %d", c.name, len(got), err, len(plain))
			}
			if in.BytesRead() != int64(len(c.data)) {
				t.Errorf("%s: counted %d bytes of the file, want %d", c.name, in.BytesRead(), len(c.data))
			}
			in.Close()
		}
	}
}

func TestBadEnvelopes(t *testing.T) {
	good := vcsOf(t, readSample(t))
	mod := func(i int, v byte) []byte {
		b := bytes.Clone(good)
		b[i] = v
		return b
	}
	tests := []struct {
		name   string
		data   []byte
		offset int64
	}{
		{"version", mod(3, 2), 3},
		{"codec", mod(4, 2), 4},
		{"reserved", mod(5, 1), 5},
		{"kind", mod(6, 0), 6},
		{"short", []byte("VC"), 2},
		{"header", good[:5], 5},
		{"no-frame", append([]byte{'V', 'C', 'S', 1, 1, 0, 1}, "REDIS0011"...), 7},
		{"vkcs", append([]byte("VKCS\x01\x00\x00\x00"), good[7:]...), 0},
		{"gzip-header", []byte{0x1f, 0x8b, 8}, 0},
	}
	for _, tt := range tests {
		_, err := Open(context.Background(), writeFile(t, tt.name, tt.data), nil)
		var fe *FormatError
		if !errors.As(err, &fe) || fe.Offset != tt.offset {
			t.Errorf("%s: %v, want a FormatError at offset %d", tt.name, err, tt.offset)
		}
	}
	// Damage inside the compressed data is found while reading, tagged.
	_, err := Open(context.Background(), writeFile(t, "gz", append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{0xff}, 30)...)), nil)
	var de *DecompressError
	if !errors.As(err, &de) {
		t.Errorf("damaged gzip: %v, want a DecompressError", err)
	}
	in, err := Open(context.Background(), writeFile(t, "lz4", good[:len(good)/2]), nil)
	if err == nil {
		_, err = io.ReadAll(in.R)
		in.Close()
	}
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated LZ4 frame: %v, want io.ErrUnexpectedEOF", err)
	}
}

// feeders give the same bytes as a file, a FIFO, a /dev/fd pipe and
// standard input: the ways a shell hands a file to a command.
func feeders(t *testing.T, data []byte) map[string]func() (path string, stdin io.Reader) {
	return map[string]func() (string, io.Reader){
		"file": func() (string, io.Reader) { return writeFile(t, "in", data), nil },
		"fifo": func() (string, io.Reader) {
			p := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skip("no FIFOs here:", err)
			}
			go func() {
				w, err := os.OpenFile(p, os.O_WRONLY, 0)
				if err != nil {
					return
				}
				w.Write(data)
				w.Close()
			}()
			return p, nil
		},
		"dev-fd": func() (string, io.Reader) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			go func() { w.Write(data); w.Close() }()
			return "/dev/fd/" + strconv.Itoa(int(r.Fd())), nil
		},
		"stdin": func() (string, io.Reader) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close() })
			go func() { w.Write(data); w.Close() }()
			return "-", r
		},
	}
}

// TestOneShotInputs: a pipe, a FIFO, /dev/fd and standard input are read
// once and give the kind and the bytes a file gives.
func TestOneShotInputs(t *testing.T) {
	if _, err := os.Stat("/dev/fd/0"); err != nil {
		t.Skip("no /dev/fd")
	}
	for _, data := range [][]byte{readSample(t), []byte(respAOF), gzipOf(t, readSample(t))} {
		var want []byte
		var wantKind Kind
		for _, how := range []string{"file", "fifo", "dev-fd", "stdin"} {
			path, stdin := feeders(t, data)[how]()
			in, err := Open(context.Background(), path, &Options{Stdin: stdin})
			if err != nil {
				t.Fatalf("%s: %v", how, err)
			}
			got, err := io.ReadAll(in.R)
			in.Close()
			if err != nil {
				t.Fatalf("%s: %v", how, err)
			}
			if how == "file" {
				want, wantKind = got, in.Kind
				continue
			}
			if in.Regular || in.FileSize != -1 || in.Size != 0 {
				t.Errorf("%s: regular %v file size %d size %d", how, in.Regular, in.FileSize, in.Size)
			}
			if in.Kind != wantKind || !bytes.Equal(got, want) {
				t.Errorf("%s: kind %v, %d bytes; the file: kind %v, %d bytes", how, in.Kind, len(got), wantKind, len(want))
			}
		}
	}
}

func TestManifestOnAStream(t *testing.T) {
	_, err := Open(context.Background(), "-", &Options{Stdin: bytes.NewReader([]byte("file a seq 1 type b\n"))})
	if !errors.Is(err, ErrManifestStream) {
		t.Errorf("manifest on stdin: %v", err)
	}
}

// TestFIFOWithoutWriter: opening a FIFO nobody writes to ends when the
// context does.
func TestFIFOWithoutWriter(t *testing.T) {
	p := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := Open(ctx, p, nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Open: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Open returned %v after the cancel", d)
	}
	// Unblock the pending open(2) so the goroutine ends.
	if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
		w.Close()
	}
}

// TestIdleWriter: a pipe whose writer sends nothing blocks the sniffing
// read; the context ends it, for a polled pipe (/dev/fd) and for a
// blocking standard input alike.
func TestIdleWriter(t *testing.T) {
	mk := map[string]func() (string, io.Reader){
		"dev-fd": func() (string, io.Reader) {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close(); w.Close() })
			return "/dev/fd/" + strconv.Itoa(int(r.Fd())), nil
		},
		"stdin": func() (string, io.Reader) {
			var fds [2]int
			if err := syscall.Pipe(fds[:]); err != nil {
				t.Fatal(err)
			}
			r, w := os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w") // blocking: not polled
			t.Cleanup(func() { w.Close() })
			return "-", r
		},
	}
	for how, f := range mk {
		path, stdin := f()
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		start := time.Now()
		_, err := Open(ctx, path, &Options{Stdin: stdin})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", how, err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: returned after %v", how, d)
		}
	}
}

func TestSingleSet(t *testing.T) {
	p := writeFile(t, "appendonly.aof", []byte(respAOF))
	in, err := Open(context.Background(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	s := in.SingleSet()
	if !s.Legacy || s.Base == nil || s.Base.Name != "appendonly.aof" || s.Dir != filepath.Dir(p) ||
		s.Base.Size != int64(len(respAOF)) || len(s.Files()) != 1 || s.Base.Content.String() != "resp" {
		t.Errorf("set %+v base %+v", s, s.Base)
	}
}

// FuzzOpen feeds any bytes through the envelope and decompressor layers:
// no panic, and a bounded read.
func FuzzOpen(f *testing.F) {
	rdb := readSample(f)
	f.Add(rdb)
	f.Add(gzipOf(f, rdb))
	f.Add(zstdOf(f, rdb))
	f.Add(vcsOf(f, rdb))
	f.Add([]byte(respAOF))
	f.Add([]byte("VKCS\x01"))
	f.Fuzz(func(t *testing.T, data []byte) {
		in, err := Open(context.Background(), "-", &Options{Stdin: bytes.NewReader(data)})
		if err != nil {
			return
		}
		defer in.Close()
		if in.R != nil {
			io.Copy(io.Discard, io.LimitReader(in.R, 64<<20))
		}
	})
}

// TestManifestSniffIsShort: deciding whether a stream starting with '#' is
// a manifest reads only up to its first other line, so an AOF on a pipe
// whose writer pauses after a few commands is not waited on.
func TestManifestSniffIsShort(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	w.Write([]byte(respAOF)) // then the writer stays open and idle
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	in, err := Open(ctx, "-", &Options{Stdin: r})
	if err != nil || time.Since(start) > 2*time.Second {
		t.Fatalf("Open waited for more input: %v after %v", err, time.Since(start))
	}
	if in.Kind != KindAOF {
		t.Errorf("kind %v", in.Kind)
	}
	for _, tt := range []struct {
		s    string
		want bool
	}{
		{"file a seq 1 type b\n", true},
		{"# c\nfile a seq 1 type b\n", true},
		{"#TS:1\r\n*1\r\n$4\r\nPING\r\n", false},
		{"# only a comment", false},
		{"fil", false},
		{"#\n\nfile", false},
	} {
		in, err := Open(context.Background(), "-", &Options{Stdin: bytes.NewReader([]byte(tt.s))})
		got := errors.Is(err, ErrManifestStream)
		if got != tt.want || (err != nil && !got) {
			t.Errorf("%q: kind %v, err %v; want manifest %v", tt.s, in, err, tt.want)
		}
	}
}

// A zstd frame header may ask for any window up to 3.75 TB. Fourteen bytes
// asking for 256 MiB (windowLog 28, found by FuzzInput) made the decoder
// allocate 400 MB; now a window over zstdMaxWindow is refused, with a message
// that says how to get the data read, and a real frame of that window size
// (zstd --long=28) is refused the same way.
func TestZstdWindowLimit(t *testing.T) {
	hdr := []byte("(\xb5/\xfd\x84\x94\x0e\x0e\x0e\x0e\xf2\x0e\x0e\x00")
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf, zstd.WithWindowSize(256<<20), zstd.WithSingleSegment(false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := enc.Write(bytes.Repeat(readSample(t), 1+(1<<20)/len(readSample(t)))); err != nil {
		t.Fatal(err)
	}
	if err := enc.Close(); err != nil {
		t.Fatal(err)
	}
	long := buf.Bytes()
	for name, data := range map[string][]byte{"header": hdr, "long-window": long} {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		in, err := Open(context.Background(), writeFile(t, name, data), nil)
		if err == nil {
			_, err = io.ReadAll(in.R)
			in.Close()
		}
		runtime.ReadMemStats(&ms)
		if !errors.Is(err, zstd.ErrWindowSizeExceeded) || !strings.Contains(err.Error(), "--memory") {
			t.Errorf("%s: %v, want the window refused with a hint", name, err)
		}
		if a := ms.TotalAlloc - before; a > 64<<20 {
			t.Errorf("%s: %d bytes allocated", name, a)
		}
	}
}
