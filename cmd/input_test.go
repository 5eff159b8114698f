package cmd

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

func gzipBytes(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstdBytes(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// vcsBytes wraps data the way Valkey 9.2 with rdbcompression lz4 writes it:
// "VCS", version 1, codec 1 (LZ4), reserved 0, kind 1 (RDB), an LZ4 frame
// with block and content checksums.
func vcsBytes(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{'V', 'C', 'S', 1, 1, 0, 1})
	w := lz4.NewWriter(&b)
	if err := w.Apply(lz4.ChecksumOption(true), lz4.BlockChecksumOption(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stripInputFields removes what legitimately differs between a plain and a
// compressed input.
// A truncation is found earlier and described differently when the size is
// known ("length 19 exceeds the 9 bytes left") than in a decompressed stream
// ("unexpected end of file"), at the same offset, so truncation messages
// are normalised.
func stripInputFields(recs []map[string]any) []map[string]any {
	for _, r := range recs {
		for _, k := range []string{"file", "compression", "offsets", "file_size", "hint"} {
			delete(r, k)
		}
		if m, ok := r["message"].(string); ok && (strings.Contains(m, "bytes left") || m == "unexpected end of file") {
			r["message"] = "<truncated>"
		}
	}
	return recs
}

// firstDiff describes the first differing record.
func firstDiff(got, want []map[string]any) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("record %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("%d records, want %d", len(got), len(want))
}

func TestCompressedInputsVerifyLikePlain(t *testing.T) {
	inputs := []string{sample}
	if dir := findCorpus(); dir != "" {
		inputs = append(inputs,
			filepath.Join(dir, "redis-7.0.15", "rdb", "dump-bigvalue.rdb"),
			filepath.Join(dir, "valkey-8.0.1", "rdb", "dump.rdb"),
			filepath.Join(dir, "redis-7.4.1", "damaged", "rdb-trunc-midvalue.rdb"),
			filepath.Join(dir, "redis-7.2.6", "damaged", "rdb-bad-type.rdb"),
			filepath.Join(dir, "redis-7.4.1", "damaged", "rdb-flip-value.rdb"),
			filepath.Join(dir, "upstream-assets", "redis", "corrupt_empty_keys.rdb"))
	} else {
		t.Log("corpus absent: only the committed sample is compressed")
	}
	tmp := t.TempDir()
	for _, src := range inputs {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		wantCode, wantRecs := verifyJSON(t, "--target", "all", src)
		stripInputFields(wantRecs)
		wantInspect := run(t, nil, "--json", "inspect", src)
		for _, c := range []struct {
			name string
			data []byte
		}{{compGzip, gzipBytes(t, data)}, {compZstd, zstdBytes(t, data)}, {compLZ4VCS, vcsBytes(t, data)}} {
			path := filepath.Join(tmp, filepath.Base(src)+"."+c.name)
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			code, recs := verifyJSON(t, "--target", "all", path)
			if code != wantCode {
				t.Errorf("%s as %s: exit %d, plain %d", src, c.name, code, wantCode)
			}
			file := byType(recs, "file")[0]
			if file["compression"] != c.name || file["offsets"] != "decompressed" {
				t.Errorf("%s as %s: file record %v", src, c.name, file)
			}
			if !reflect.DeepEqual(stripInputFields(recs), wantRecs) {
				t.Errorf("%s as %s: verify differs from the plain file: %s", src, c.name, firstDiff(recs, wantRecs))
			}
			txt := run(t, nil, "verify", path)
			if !strings.Contains(txt.out, "compression:\t"+c.name+" (offsets are in the decompressed stream)") {
				t.Errorf("%s as %s: text does not say offsets are decompressed:\n%s", src, c.name, txt.out)
			}
			got := run(t, nil, "--json", "inspect", path)
			if got.code != wantInspect.code {
				t.Errorf("%s as %s: inspect exit %d, plain %d", src, c.name, got.code, wantInspect.code)
			}
			if wantInspect.code == 0 {
				g, w := jsonLines(t, compact(t, got.out)), jsonLines(t, compact(t, wantInspect.out))
				if !reflect.DeepEqual(stripInputFields(g), stripInputFields(w)) {
					t.Errorf("%s as %s: inspect differs from the plain file", src, c.name)
				}
			}
		}
	}
}

// compact turns one indented JSON document into one line.
func compact(t *testing.T, s string) string {
	var b bytes.Buffer
	if err := jsonCompact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestBadEnvelopes(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	good := vcsBytes(t, data)
	mod := func(i int, v byte) []byte {
		b := bytes.Clone(good)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"version", mod(3, 2), "unknown \"VCS\" envelope version 2"},
		{"codec", mod(4, 2), "unknown \"VCS\" envelope codec id"},
		{"reserved", mod(5, 1), "nonzero reserved byte"},
		{"kind", mod(6, 0), "unknown \"VCS\" envelope stream kind"},
		{"truncated-magic", []byte("VC"), "truncated \"VCS\" compression envelope"},
		{"truncated-header", good[:5], "truncated \"VCS\" compression envelope"},
		{"no-frame", append([]byte{'V', 'C', 'S', 1, 1, 0, 1}, data...), "no LZ4 frame"},
		{"vkcs", append([]byte("VKCS\x01\x00\x00\x00"), good[7:]...), "unsupported pre-release Valkey \"VKCS\""},
		{"lz4-truncated", good[:len(good)/2], "unexpected end of file"},
		{"gzip-garbage", append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{0xff}, 30)...), "gzip"},
	}
	tmp := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(tmp, tt.name)
		if err := os.WriteFile(path, tt.data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, nil, "verify", path)
		if r.code != exitCorrupt {
			t.Errorf("%s: exit %d, want 3\n%s%s", tt.name, r.code, r.out, r.err)
		}
		if !strings.Contains(r.out, tt.want) {
			t.Errorf("%s: output lacks %q:\n%s", tt.name, tt.want, r.out)
		}
		if r := run(t, nil, "inspect", path); r.code != exitCorrupt {
			t.Errorf("inspect %s: exit %d, want 3 (%s)", tt.name, r.code, r.err)
		}
	}
}

// TestProgressOnlyOnTerminal: the bar is never attached when stderr is not
// a terminal, and never for --json or --quiet, whatever the size.
func TestProgressOnlyOnTerminal(t *testing.T) {
	var errb bytes.Buffer
	for _, a := range []*App{
		{IO: IOStreams{ErrOut: &errb}},
		{IO: IOStreams{ErrOut: &errb}, JSON: true},
		{IO: IOStreams{ErrOut: &errb}, Quiet: true},
	} {
		in, err := a.openInput(context.Background(), sample)
		if err != nil {
			t.Fatal(err)
		}
		in.FileSize = 1 << 40
		done := a.startProgress(in, "test")
		if _, err := io.Copy(io.Discard, in.R); err != nil {
			t.Fatal(err)
		}
		done()
		in.Close()
		if in.BytesRead() == 0 {
			t.Error("nothing counted")
		}
		update, done2 := a.startSetProgress(1<<40, "test")
		if update != nil {
			t.Error("set progress bar without a terminal")
		}
		done2()
	}
	if errb.Len() != 0 {
		t.Errorf("progress wrote %q", errb.String())
	}
}
