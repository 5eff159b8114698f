package convert_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// recordSizes returns each key's serialized record size (Entry.Size, the
// bytes column of inspect --keys), by db "\x00" key.
func recordSizes(t *testing.T, data []byte) map[string]int64 {
	t.Helper()
	r := rdbfile.NewReader(bytes.NewReader(data), nil)
	out := map[string]int64{}
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind == rdbfile.EntryKey {
			if err := e.Skip(); err != nil {
				t.Fatal(err)
			}
			out[strconv.Itoa(e.DB)+"\x00"+string(e.Key)] = e.Size
		}
	}
}

// TestConvertSizeFilter: --min-bytes/--max-bytes keep exactly the keys
// whose record size in the input is within the bounds, on the raw path and
// when re-encoding (with losses): the output reads back clean, and the
// report counts and names only the keys kept.
func TestConvertSizeFilter(t *testing.T) {
	files := []string{filepath.Join("..", "testdata", "redis-7.4.1-dump.rdb")}
	if c := testcorpus.Path(); c != "" {
		files = append(files, filepath.Join(c, "redis-7.4.1", "rdb", "dump-bigvalue.rdb"), filepath.Join(c, "redis-unstable-2026-06-09", "rdb", "dump.rdb"))
	}
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		sizes := recordSizes(t, data)
		h := header(t, data)
		for _, b := range []struct{ min, max int64 }{{0, 30}, {40, 0}, {20, 200}, {1000, 0}, {0, 1 << 40}, {100000, 0}, {60, 60}} {
			for _, tg := range []rdbfile.WriterOptions{{Dialect: h.Dialect, Version: h.Version}, {Dialect: rdbfile.DialectRedis, Version: 10}, {Dialect: rdbfile.DialectRedis, Version: 6}} {
				name := p + " " + strconv.FormatInt(b.min, 10) + ".." + strconv.FormatInt(b.max, 10) + " -> " + strconv.Itoa(tg.Version)
				o := allDrop
				o.MinBytes, o.MaxBytes, o.MaxNamed = b.min, b.max, 1<<20
				out, rep, err := run(t, data, tg, &o)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				got, _ := readKeys(t, name, out)
				in := func(n int64) bool { return n >= b.min && (b.max == 0 || n <= b.max) }
				want := 0
				for id, n := range sizes {
					_, ok := got[id]
					if in(n) {
						want++
					}
					if ok && !in(n) {
						t.Errorf("%s: key %q of %d bytes kept", name, id, n)
					}
				}
				lost := countCat(rep, convert.LossTypes, convert.LossModules)
				if int64(len(got)) != int64(want)-lost || rep.KeysFiltered != int64(len(sizes)-want) || rep.KeysWritten != int64(len(got)) {
					t.Errorf("%s: %d keys written (report %d), %d filtered; want %d of %d minus %d lost", name, len(got), rep.KeysWritten, rep.KeysFiltered, want, len(sizes), lost)
				}
				for _, l := range rep.Losses {
					for _, k := range l.Keys {
						found := false
						for id, n := range sizes {
							found = found || (bytes.HasSuffix([]byte(id), append([]byte{0}, k...)) && in(n))
						}
						if !found && l.Category != convert.LossFunctions {
							t.Errorf("%s: loss %s names %q, which the size filter left out", name, l.Category, k)
						}
					}
				}
			}
		}
	}
}
