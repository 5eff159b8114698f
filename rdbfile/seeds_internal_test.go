package rdbfile

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/internal/testcorpus"
)

// corpusRDBs returns the RDB files of testdata/ and, when present, of the
// corpus (RDBKIT_CORPUS or ../../shared/corpus), each below 2 MiB.
func corpusRDBs(tb testing.TB) [][]byte {
	globs := []string{"../testdata/rdb/*.rdb"}
	for _, d := range []string{testcorpus.Path()} {
		if st, err := os.Stat(d); d != "" && err == nil && st.IsDir() {
			globs = append(globs, filepath.Join(d, "*", "rdb", "*.rdb"), filepath.Join(d, "*", "damaged", "*.rdb"),
				filepath.Join(d, "upstream-assets", "*", "*.rdb"), filepath.Join(d, "newer", "*.rdb"))
			break
		}
	}
	var out [][]byte
	for _, g := range globs {
		m, _ := filepath.Glob(g)
		for _, f := range m {
			if b, err := os.ReadFile(f); err == nil && len(b) < 2<<20 {
				out = append(out, b)
			}
		}
	}
	return out
}

// seedSet holds fuzz seeds cut from real files: whole small files, one
// mini-RDB per record (magic + SELECTDB + the record + EOF + CRC), and every
// blob sorted by the decoders that accept it.
type seedSet struct {
	files, records               [][]byte
	listpacks, ziplists, intsets [][]byte
	zipmaps                      [][]byte
	lzf                          []lzfSeed
}

type lzfSeed struct {
	data []byte
	ulen int
}

func corpusSeeds(tb testing.TB) *seedSet {
	s := &seedSet{}
	seen := map[string]bool{}
	addUniq := func(kind string, dst *[][]byte, b []byte, max int) {
		k := kind + "\x00" + string(b)
		if len(b) > max || seen[k] {
			return
		}
		seen[k] = true
		*dst = append(*dst, append([]byte(nil), b...))
	}
	for _, data := range corpusRDBs(tb) {
		if len(data) <= 16<<10 {
			addUniq("files", &s.files, data, 16<<10)
		}
		r := NewReader(bytes.NewReader(data), nil)
		r.blobHook = func(b []byte) {
			if _, err := lpOpen(b); err == nil {
				addUniq("listpacks", &s.listpacks, b, 8<<10)
			}
			if _, err := zlOpen(b); err == nil {
				addUniq("ziplists", &s.ziplists, b, 8<<10)
			}
			if _, err := isOpen(b); err == nil {
				addUniq("intsets", &s.intsets, b, 8<<10)
			}
			if _, err := zmOpen(b); err == nil {
				addUniq("zipmaps", &s.zipmaps, b, 8<<10)
			}
		}
		s.lzf = append(s.lzf, findLZF(data, 64)...)
		if _, err := r.Header(); err != nil || len(data) < 9 {
			continue
		}
		magic := data[:9]
		for {
			e, err := r.Next()
			if err != nil {
				break
			}
			if e.Kind == EntryKey {
				if e.Skip() != nil {
					break
				}
			}
			if e.Offset+e.Size > int64(len(data)) {
				break
			}
			mini := append(append([]byte(nil), magic...), 0xFE, byte(e.DB&0x3f))
			mini = append(mini, data[e.Offset:e.Offset+e.Size]...)
			mini = append(mini, 0xFF)
			mini = binary.LittleEndian.AppendUint64(mini, crc64Update(0, mini))
			addUniq("records", &s.records, mini, 16<<10)
		}
	}
	return s
}

// FuzzReader: any input gives entries, io.EOF or a *CorruptError, never a
// panic, and allocation stays bounded by the input; a Checker reports
// what one goroutine reports (checkCheckerEqualsSkip).
func FuzzReader(f *testing.F) {
	s := corpusSeeds(f)
	for _, b := range append(s.records, s.files...) {
		f.Add(b)
	}
	f.Add(preGAFunctionFile("redis.register_function('f', function() return 1 end)"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 1<<20 {
			return
		}
		for _, opts := range []*Options{nil, {Size: int64(len(data))}} {
			r := NewReader(bytes.NewReader(data), opts)
			for i := 0; ; i++ {
				e, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					if _, ok := err.(*CorruptError); !ok {
						t.Fatalf("error is not a *CorruptError: %v", err)
					}
					_ = err.Error()
					break
				}
				if e.Kind == EntryKey && i%2 == 0 {
					if _, err := e.Value(); err != nil {
						_ = err.Error()
					}
				}
			}
			for _, fd := range r.Findings() {
				_ = fd.Err.Error()
			}
		}
		checkSkipEqualsWalk(t, data)
		checkCheckerEqualsSkip(t, data)
	})
}

// readTrace is what one read of a file reports: per entry its offset, size
// and element count, then every finding and the final error.
func readTrace(data []byte, walk bool) []string {
	var out []string
	r := NewReader(bytes.NewReader(data), nil)
	for {
		e, err := r.Next()
		if err != nil {
			if err != io.EOF {
				out = append(out, "error: "+err.Error())
			}
			break
		}
		if e.Kind == EntryKey {
			var err error
			if walk {
				err = e.Walk(func(*Element) error { return nil })
			} else {
				err = e.Skip() // what Next does with an unread value
			}
			if err != nil && err == error(e.softErr) {
				// A recoverable problem: it is among the findings compared
				// below. Which one the call returns (the first) may differ,
				// as only Walk checks zset score texts.
				err = nil
			}
			if err != nil {
				// The value ends the read; how far each path had read when
				// it failed is not part of the contract.
				out = append(out, "value error: "+err.Error())
				continue
			}
		}
		out = append(out, fmt.Sprintf("entry %d kind %d len %d size %d", e.Offset, e.Kind, e.Len, e.Size))
	}
	for _, fd := range r.Findings() {
		out = append(out, "finding: "+fd.Err.Error())
	}
	return out
}

// isScoreTextFinding reports whether a finding is about the text of a
// listpack or ziplist zset score, which only a decoding walk checks.
func isScoreTextFinding(l string) bool {
	return strings.Contains(l, "rdbfile: zset score \"") && strings.Contains(l, "\" is not a number")
}

// checkSkipEqualsWalk checks that the verify path (values skipped, fast
// paths lpFast and streamNodeCheck), the element-by-element path (Walk,
// fast paths then lpEmit and streamNodeEmit) and Walk with the fast paths
// off (noFastPaths: the checked walkers alone) agree on every entry's size
// and element count and on every finding, word for word.
func checkSkipEqualsWalk(t *testing.T, data []byte) {
	t.Helper()
	skip := readTrace(data, false)
	walk := readTrace(data, true)
	noFastPaths = true
	checked := readTrace(data, true)
	noFastPaths = false
	diff := func(what string, a, b []string) {
		if slices.Equal(a, b) {
			return
		}
		for i := range max(len(a), len(b)) {
			var x, y string
			if i < len(a) {
				x = a[i]
			}
			if i < len(b) {
				y = b[i]
			}
			if x != y {
				t.Fatalf("%s differ at line %d:\n %s\n %s", what, i, x, y)
			}
		}
	}
	diff("walk with and without fast paths", walk, checked)
	// The one intended difference: the text of a listpack or ziplist zset
	// score is parsed only when the value is decoded (Redis's loader does
	// not check it either, see packSink.put), so only Walk reports a bad one.
	diff("skip and walk", skip, slices.DeleteFunc(walk, isScoreTextFinding))
}

// eachRecordAndDamaged calls check with every record seed and with 12
// copies of each that have one random byte changed (after the 9-byte
// header; the PCG seed makes the copies the same on every run), so that
// fast paths meet damaged values too. It returns how many inputs it made.
func eachRecordAndDamaged(t *testing.T, seed uint64, check func([]byte)) int {
	rng := rand.New(rand.NewPCG(seed, 11))
	n := 0
	for _, b := range corpusSeeds(t).records {
		check(b)
		m := make([]byte, len(b))
		for range 12 {
			copy(m, b)
			m[9+rng.IntN(len(b)-9)] ^= byte(1 + rng.IntN(255))
			check(m)
		}
		n += 13
	}
	return n
}

// traceKeys reads data entry by entry, letting value consume each key's
// value and write what it saw to out, and returns out followed by how the
// read ended and every finding.
func traceKeys(data []byte, value func(e *Entry, out *strings.Builder)) string {
	var out strings.Builder
	r := NewReader(bytes.NewReader(data), nil)
	for {
		e, err := r.Next()
		if err != nil {
			fmt.Fprintf(&out, "end: %v\n", err)
			break
		}
		if e.Kind == EntryKey {
			value(e, &out)
		}
	}
	for _, fd := range r.Findings() {
		fmt.Fprintf(&out, "finding: %v\n", fd.Err)
	}
	return out.String()
}

// TestFastPathsDecodeAlike decodes every record seed, and 12 damaged copies
// of each, with the fast paths (lpCheck + lpEmit, streamNodeCheck +
// streamNodeEmit) and with the checked walks alone (noFastPaths): the values,
// entry sizes, element counts and findings must be identical.
func TestFastPathsDecodeAlike(t *testing.T) {
	decode := func(data []byte) string {
		return traceKeys(data, func(e *Entry, out *strings.Builder) {
			v, err := e.Value()
			j, jerr := json.Marshal(v) // deep, without pointer values
			fmt.Fprintf(out, "key %q len %d size %d err %v\n%s %v\n", e.Key, e.Len, e.Size, err, j, jerr)
		})
	}
	check := func(data []byte) {
		fast := decode(data)
		noFastPaths = true
		slow := decode(data)
		noFastPaths = false
		if fast != slow {
			t.Fatalf("fast and checked paths differ:\n fast: %.2000s\n slow: %.2000s", fast, slow)
		}
	}
	t.Logf("%d inputs", eachRecordAndDamaged(t, 5, check))
}

// TestWalkPackedEqualsWalk reads every record seed (and 12 damaged copies
// of each) with Walk and with WalkPacked, expanding each Element.Listpack
// with ListpackIter into field/value pairs: the elements, entry sizes,
// element counts and findings must be the same, and at least one hash must
// have come packed.
func TestWalkPackedEqualsWalk(t *testing.T) {
	packed := 0
	trace := func(data []byte, usePacked bool) string {
		return traceKeys(data, func(e *Entry, out *strings.Builder) {
			fn := func(el *Element) error {
				if el.Listpack == nil {
					fmt.Fprintf(out, "el %q %q %v %d\n", el.Member, el.Value, el.Score, el.ExpireAt)
					return nil
				}
				packed++
				it, err := NewListpackIter(el.Listpack)
				if err != nil {
					return err
				}
				var pair [][]byte
				for {
					str, num, isInt, ok := it.Next()
					if !ok {
						break
					}
					if isInt {
						str = strconv.AppendInt(nil, num, 10)
					}
					if pair = append(pair, str); len(pair) == 2 {
						fmt.Fprintf(out, "el %q %q %v %d\n", pair[0], pair[1], 0.0, NoExpire)
						pair = pair[:0]
					}
				}
				return nil
			}
			var err error
			if usePacked {
				err = e.WalkPacked(fn)
			} else {
				err = e.Walk(fn)
			}
			fmt.Fprintf(out, "key %q len %d size %d err %v\n", e.Key, e.Len, e.Size, err)
		})
	}
	check := func(data []byte) {
		if a, b := trace(data, false), trace(data, true); a != b {
			t.Fatalf("Walk and WalkPacked differ:\n Walk:       %.2000s\n WalkPacked: %.2000s", a, b)
		}
	}
	eachRecordAndDamaged(t, 3, check)
	if packed == 0 {
		t.Fatal("no hash listpack was delivered packed")
	}
	t.Logf("%d listpacks delivered packed", packed)
}

// TestFastPathsTakenOnGoodFiles reads every good RDB of testdata/ and of
// the corpus (rdb/ of each server, newer/) with Skip and with Walk: no
// listpack and no stream node may fall back to the checked walk. A damaged
// corpus file then shows that refusals are counted.
func TestFastPathsTakenOnGoodFiles(t *testing.T) {
	globs := []string{"../testdata/rdb/*.rdb"}
	if d := testcorpus.Path(); d != "" {
		globs = append(globs, filepath.Join(d, "*", "rdb", "*.rdb"), filepath.Join(d, "newer", "*.rdb"))
	}
	files := 0
	for _, g := range globs {
		paths, _ := filepath.Glob(g)
		for _, p := range paths {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			for _, walk := range []bool{false, true} {
				fastPathRefusals.Store(0)
				readTrace(data, walk)
				if n := fastPathRefusals.Load(); n != 0 {
					t.Errorf("%s (walk %v): %d blobs refused by a fast path", p, walk, n)
				}
			}
			files++
		}
	}
	if files < 9 {
		t.Fatalf("only %d good files found", files)
	}
	t.Logf("%d good files", files)
	// A listpack with a duplicate member is refused, and counted.
	lp := lpBuildStrings(nil, []byte("a"), []byte("b"), []byte("a"))
	var rec []byte
	rec = append(rec, "REDIS0011\xfe\x00"...)
	rec = append(rec, byte(TypeSetListpack), 1, 'k', byte(len(lp)))
	rec = append(rec, lp...)
	rec = append(rec, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0)
	fastPathRefusals.Store(0)
	readTrace(rec, false)
	if fastPathRefusals.Load() != 1 {
		t.Errorf("a set listpack with a duplicate: %d refusals counted, want 1", fastPathRefusals.Load())
	}
}

// TestSkipEqualsWalk runs checkSkipEqualsWalk over every record seed and
// over 12 copies of each with one random byte changed (fixed seed), so the
// fast paths meet damaged values too; the fuzz targets go further.
func TestSkipEqualsWalk(t *testing.T) {
	t.Logf("%d inputs", eachRecordAndDamaged(t, 7, func(b []byte) { checkSkipEqualsWalk(t, b) }))
}

func TestCorpusSeeds(t *testing.T) {
	s := corpusSeeds(t)
	t.Logf("seeds: %d files, %d records, %d listpacks, %d ziplists, %d intsets, %d zipmaps",
		len(s.files), len(s.records), len(s.listpacks), len(s.ziplists), len(s.intsets), len(s.zipmaps))
	if len(s.records) < 50 || len(s.listpacks) < 10 || len(s.ziplists) < 1 || len(s.intsets) < 3 || len(s.zipmaps) < 1 {
		t.Fatal("too few seeds extracted from the samples")
	}
	// Every record seed is a valid RDB on its own.
	bad := 0
	for _, b := range s.records {
		r := NewReader(bytes.NewReader(b), nil)
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				bad++
				break
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d record seeds do not read back", bad, len(s.records))
	}
}

// FuzzStream fuzzes stream values (types 15, 19, 21, 26, 27): node
// listpacks, metadata, consumer groups, PELs, NACK zones and IDMP blocks.
// Seeds are the single-record files of every stream key in the samples.
func FuzzStream(f *testing.F) {
	s := corpusSeeds(f)
	n := 0
	for _, b := range s.records {
		r := NewReader(bytes.NewReader(b), nil)
		for {
			e, err := r.Next()
			if err != nil {
				break
			}
			if e.Kind == EntryKey && e.ValueKind == KindStream {
				f.Add(b)
				n++
				break
			}
		}
	}
	if n == 0 {
		f.Fatal("no stream seeds")
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 256<<10 {
			return
		}
		checkSkipEqualsWalk(t, data)
		r := NewReader(bytes.NewReader(data), nil)
		for {
			e, err := r.Next()
			if err != nil {
				if err != io.EOF {
					if _, ok := err.(*CorruptError); !ok {
						t.Fatalf("error is not a *CorruptError: %v", err)
					}
				}
				return
			}
			if e.Kind == EntryKey {
				if v, err := e.Value(); err == nil && v != nil && v.Stream != nil {
					for _, se := range v.Stream.Entries {
						if len(se.Fields)%2 != 0 {
							t.Fatalf("entry %s has an odd number of field/value items", se.ID)
						}
					}
				}
			}
		}
	})
}

// findLZF scans data for LZF strings (C3 clen ulen payload) that decompress
// cleanly, up to max of them.
func findLZF(data []byte, max int) []lzfSeed {
	var out []lzfSeed
	for i := 0; i+3 < len(data) && len(out) < max; i++ {
		if data[i] != 0xC3 {
			continue
		}
		r := NewReader(bytes.NewReader(data[i+1:]), nil)
		r.hdr.Version = 11
		r.headerDone = true
		clen, err1 := r.readLen("")
		ulen, err2 := r.readLen("")
		start := int(r.Offset()) + i + 1
		if err1 != nil || err2 != nil || clen == 0 || clen > 8<<10 || start+int(clen) > len(data) {
			continue
		}
		src := data[start : start+int(clen)]
		if _, err := lzfDecompress(nil, src, int(ulen)); err == nil {
			out = append(out, lzfSeed{append([]byte(nil), src...), int(ulen)})
		}
	}
	return out
}
