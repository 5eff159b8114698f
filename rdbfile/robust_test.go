package rdbfile_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

const testdataDir = "../testdata/rdb"

// TestTestdataGroundTruth runs the ground-truth comparison on the samples
// shipped in testdata/, so the package is tested without the corpus.
func TestTestdataGroundTruth(t *testing.T) {
	cases := map[string]string{
		"redis-7.0.15-dump.rdb":           "redis-7.0.15-gt-dataset.json",
		"redis-7.2.6-dump-nochecksum.rdb": "redis-7.2.6-gt-dataset.json",
		"redis-7.4.1-dump-lfu.rdb":        "redis-7.4.1-gt-dataset.json",
		"valkey-8.0.1-dump.rdb":           "valkey-8.0.1-gt-dataset.json",
	}
	for f, gt := range cases {
		t.Run(f, func(t *testing.T) {
			res := readAllFile(t, filepath.Join(testdataDir, f))
			for _, fd := range res.findings {
				t.Errorf("finding on a good file: %v", fd.Err)
			}
			compareWithGT(t, f, res, loadGT(t, filepath.Join(testdataDir, gt)))
		})
	}
}

// sampleFiles lists every valid sample shipped in testdata/rdb.
func sampleFiles(t *testing.T) []string {
	m, err := filepath.Glob(filepath.Join(testdataDir, "*.rdb"))
	if err != nil || len(m) < 8 {
		t.Fatalf("testdata samples missing: %v %v", m, err)
	}
	return m
}

// drain reads a whole file, decoding every value; it returns the first
// error that ends the read, and the findings.
func drain(data []byte) ([]rdbfile.Finding, error) {
	return drainMode(data, true)
}

// drainMode reads data; with decode set every value is decoded with Value,
// otherwise Next skips (and validates) it.
func drainMode(data []byte, decode bool) ([]rdbfile.Finding, error) {
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	for {
		e, err := r.Next()
		if err == io.EOF {
			return r.Findings(), nil
		}
		if err != nil {
			return r.Findings(), err
		}
		if decode && e.Kind == rdbfile.EntryKey {
			e.Value()
		}
	}
}

// TestTruncatedPrefixes: every proper prefix of every valid sample must be
// reported as truncated, with an offset inside the prefix, never as success
// and never with a panic (flate's TestTruncatedStreams).
func TestTruncatedPrefixes(t *testing.T) {
	files := sampleFiles(t)
	var wg sync.WaitGroup
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func(name string, data []byte) {
			defer wg.Done()
			step := 1
			if testing.Short() && len(data) > 4096 {
				step = 97
			}
			for n := 0; n < len(data); n += step {
				_, err := drainMode(data[:n], n%13 == 0)
				if err == nil {
					t.Errorf("%s: prefix of %d/%d bytes read as a complete file", name, n, len(data))
					return
				}
				var ce *rdbfile.CorruptError
				if !errors.As(err, &ce) || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("%s: prefix %d: error %v is not a truncation CorruptError", name, n, err)
					return
				}
				if ce.Offset > int64(n) {
					t.Errorf("%s: prefix %d: offset %d beyond the data", name, n, ce.Offset)
					return
				}
			}
			if fd, err := drain(data); err != nil || (len(fd) > 0 && fd[0].Severity == rdbfile.SevError) {
				t.Errorf("%s: full file: %v %v", name, err, fd)
			}
		}(filepath.Base(f), data)
	}
	wg.Wait()
}

// damage describes one damaged corpus file (verdicts.json "damage").
type damage struct {
	Artifact string `json:"artifact"`
	Kind     string `json:"kind"`
	Damage   *struct {
		TruncatedAt   *int64 `json:"truncated_at"`
		FlippedOffset *int64 `json:"flipped_offset"`
	} `json:"damage"`
	Checker struct {
		RC int `json:"rc"`
	} `json:"checker"`
}

// TestCorpusDamaged: every damaged RDB of every server fails with an offset
// at or before the damage, except the flipped byte in a file saved without
// checksum, which (like the real checker and server) reads as valid.
func TestCorpusDamaged(t *testing.T) {
	dir := corpusDir(t)
	n := 0
	for _, srv := range corpusServers {
		b, err := os.ReadFile(filepath.Join(dir, srv, "verdicts.json"))
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ Verdicts []damage }
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		for _, d := range v.Verdicts {
			if d.Kind != "rdb-damaged" {
				continue
			}
			n++
			d := d
			t.Run(srv+"/"+d.Artifact, func(t *testing.T) {
				data, err := os.ReadFile(filepath.Join(dir, srv, d.Artifact))
				if err != nil {
					t.Fatal(err)
				}
				fd, rerr := drain(data)
				if strings.Contains(d.Artifact, "nochecksum-flip-value") {
					// The flipped byte is inside a string value of a file saved
					// with rdbchecksum no: no structure changes and there is no
					// CRC to catch it, so it reads as valid, as with redis-check-rdb.
					if rerr != nil || len(fd) > 0 {
						t.Fatalf("want a clean read (checksum disabled), got %v %v", rerr, fd)
					}
					return
				}
				var off int64 = -1
				var ce *rdbfile.CorruptError
				switch {
				case errors.As(rerr, &ce):
					off = ce.Offset
				case len(fd) > 0:
					off = fd[0].Err.Offset
				default:
					t.Fatalf("damaged file read without error (real checker rc=%d)", d.Checker.RC)
				}
				limit := int64(len(data))
				if d.Damage != nil && d.Damage.TruncatedAt != nil {
					limit = *d.Damage.TruncatedAt
				}
				if d.Damage != nil && d.Damage.FlippedOffset != nil && !errors.Is(rerr, rdbfile.ErrChecksum) {
					limit = *d.Damage.FlippedOffset
				}
				if off > limit {
					t.Errorf("reported offset %d is after the damage at %d: %v", off, limit, rerr)
				}
				t.Logf("offset %d (damage at %d): %v", off, limit, rerr)
			})
		}
	}
	if n != 40 {
		t.Errorf("%d damaged RDBs, want 40", n)
	}
}

// TestCorruptLengthsDoNotAllocate: lengths claiming huge sizes fail fast.
func TestCorruptLengthsDoNotAllocate(t *testing.T) {
	for name, body := range map[string][]byte{
		"string 2^62":     {0x00, 0x01, 'k', 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0},
		"list 2^32 items": {0x01, 0x01, 'k', 0x80, 0xff, 0xff, 0xff, 0xff, 0x00},
		"lzf ulen huge":   {0x00, 0x01, 'k', 0xc3, 0x02, 0x80, 0x7f, 0xff, 0xff, 0xff, 0x00, 0x61},
	} {
		data := append([]byte("REDIS0011\xfe\x00"), body...)
		var before, after runtimeMem
		before.read()
		for _, opts := range []*rdbfile.Options{nil, {Size: int64(len(data))}} {
			r := rdbfile.NewReader(bytes.NewReader(data), opts)
			var err error
			for err == nil {
				var e *rdbfile.Entry
				e, err = r.Next()
				if err == nil && e.Kind == rdbfile.EntryKey {
					_, err = e.Value()
				}
			}
			var ce *rdbfile.CorruptError
			if !errors.As(err, &ce) {
				t.Errorf("%s: %v", name, err)
			}
		}
		after.read()
		if after.total-before.total > 64<<20 {
			t.Errorf("%s: allocated %d MiB", name, (after.total-before.total)>>20)
		}
	}
}
