package convert_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// FuzzConvert feeds the reader's fuzz corpus and the corpus files through
// convert to a target picked by the input: whatever the input, no panic;
// when the input reads clean, the conversion (drop policies) succeeds and
// its output reads clean too: convert never produces a file the reader
// refuses. Size filters, --reencode and the default (fail) policies
// included: under those a conversion is either blocked, with the losses
// that block it, or clean.
func FuzzConvert(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "rdbfile", "testdata", "fuzz", "FuzzReader", "*"))
	for _, p := range seeds {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(fuzzCorpusBytes(b), byte(len(p)))
		}
	}
	for _, p := range rdbInputs(f) {
		if b, err := os.ReadFile(p); err == nil && len(b) < 1<<16 {
			f.Add(b, byte(len(b)))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, pick byte) {
		if len(data) > 1<<20 {
			return
		}
		clean := readsClean(data)
		tg := targets[int(pick)%len(targets)]
		o := allDrop
		// The upper bits of pick set a size filter (Writer.Hold):
		// --max-bytes, --min-bytes or both, at 16, 64 or 256 bytes.
		if n := int64(16) << (2 * (pick >> 6 % 3)); pick&0x30 != 0 {
			o.MaxBytes = map[bool]int64{true: n}[pick&0x10 != 0]
			o.MinBytes = map[bool]int64{true: n / 2}[pick&0x20 != 0]
		}
		// Bit 3 keeps the default policies (fail: blocked, or a clean
		// output), bit 2 re-encodes every key (--reencode).
		failing := pick&0x08 != 0
		if failing {
			o = convert.Options{MinBytes: o.MinBytes, MaxBytes: o.MaxBytes}
		}
		o.NoRaw = pick&0x04 != 0
		out, rep, err := run(t, data, tg, &o)
		if !clean {
			return // an error is expected; a panic would have failed the test
		}
		if failing && errors.Is(err, convert.ErrBlocked) {
			if !rep.Blocked || len(rep.Losses) == 0 {
				t.Fatalf("blocked converting to %+v without a blocking loss: %+v", tg, rep.Losses)
			}
			return
		}
		if err != nil {
			t.Fatalf("input reads clean but converting it to %+v (%+v) failed: %v", tg, o, err)
		}
		if !readsClean(out) {
			r := rdbfile.NewReader(bytes.NewReader(out), nil)
			var rerr error
			for rerr == nil {
				var e *rdbfile.Entry
				if e, rerr = r.Next(); rerr == nil && e.Kind == rdbfile.EntryKey {
					_, rerr = e.Value()
				}
			}
			t.Fatalf("the output for %+v does not read clean: %v", tg, rerr)
		}
	})
}

// readsClean reports whether data reads to its end without an error or an
// error-severity finding.
func readsClean(data []byte) bool {
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	for {
		e, err := r.Next()
		if err == io.EOF {
			_, errs := r.FindingCount()
			return errs == 0
		}
		if err != nil {
			return false
		}
		if e.Kind == rdbfile.EntryKey {
			if _, err := e.Value(); err != nil {
				return false
			}
		}
	}
}

// fuzzCorpusBytes extracts the []byte of a "go test fuzz v1" corpus file.
func fuzzCorpusBytes(b []byte) []byte {
	const pre = "[]byte("
	i := bytes.Index(b, []byte(pre))
	if i < 0 {
		return b
	}
	s := bytes.TrimSpace(b[i+len(pre):])
	s = bytes.TrimSuffix(s, []byte(")"))
	var out []byte
	if v, err := unquoteGo(string(s)); err == nil {
		out = []byte(v)
	}
	return out
}

func unquoteGo(s string) (string, error) { return strconv.Unquote(s) }
