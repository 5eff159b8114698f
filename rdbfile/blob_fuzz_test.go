package rdbfile

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
)

// Fuzz targets for the blob codecs. Properties: no panic; errors are
// *blobError with an in-range Pos; anything that decodes, rebuilt from its
// decoded entries and decoded again, gives the same entries.
//
// Seeds are the hand-built valid and corrupt samples of the unit tests plus
// every blob found in the RDB samples and the corpus (corpusSeeds), and for
// LZF every compressed string of those files.

func checkBlobErr(t *testing.T, err error, n int) {
	t.Helper()
	var be *blobError
	if !errors.As(err, &be) {
		t.Fatalf("error %v (%T) is not a *blobError", err, err)
	}
	if be.Pos < 0 || be.Pos > n {
		t.Fatalf("error position %d outside a %d-byte blob: %v", be.Pos, n, err)
	}
}

func FuzzLZF(f *testing.F) {
	f.Add(lzfRedisExample, 100)
	for _, g := range lzfRedisGolden {
		f.Add(g.lzf, len(g.plain))
		f.Add([]byte(g.plain), len(g.plain))
	}
	for _, tc := range lzfCorruptCases {
		f.Add(tc.src, tc.ulen)
	}
	f.Add([]byte(loremIpsum), 445)
	for _, s := range corpusSeeds(f).lzf {
		f.Add(s.data, s.ulen)
	}
	f.Add(lzfCompress(nil, bytes.Repeat([]byte(loremIpsum), 3)), 3*445)
	f.Fuzz(func(t *testing.T, src []byte, ulen int) {
		// Decompression never panics and yields exactly ulen bytes.
		out, err := lzfDecompress(nil, src, ulen)
		if err != nil {
			checkBlobErr(t, err, len(src))
		} else if len(out) != ulen {
			t.Fatalf("decompressed %d bytes, want %d", len(out), ulen)
		}
		// lzfValidate accepts exactly what lzfDecompress accepts, and fails
		// at the same position.
		if verr := lzfValidate(src, ulen); (verr == nil) != (err == nil) {
			t.Fatalf("validate %v, decompress %v", verr, err)
		} else if err != nil && verr.(*blobError).Pos != err.(*blobError).Pos {
			t.Fatalf("validate fails at %d, decompress at %d", verr.(*blobError).Pos, err.(*blobError).Pos)
		}
		// The output equals a byte-at-a-time reference decoder's (the fast
		// loop's block copies must not show).
		if err == nil {
			if want := lzfDecompressNaive(src); !bytes.Equal(out, want) {
				t.Fatalf("decompressed %x, reference decoder %x", out, want)
			}
		}
		// Reusing a buffer gives the same result.
		if err == nil {
			again, err := lzfDecompress(make([]byte, 3, 10), src, ulen)
			if err != nil || !bytes.Equal(again, out) {
				t.Fatalf("reused buffer: %v", err)
			}
		}
		// Spare capacity past src and the output, full of junk (as when src
		// lies inside the Reader's buffer), changes neither the result nor
		// the error position: the fast loop may read and write there, but
		// decides only by the exact lengths.
		// The output buffer is sized from ulen only when ulen passes the
		// decoder's first check (it cannot exceed what src expands to), so a
		// huge ulen is refused by the decoder, not by the test's allocation.
		junk := bytes.Repeat([]byte{0xE0, 0x1F, 0x00}, 200)
		wide := append(append(make([]byte, 0, len(src)+len(junk)), src...), junk...)
		dcap := 2 * len(junk)
		if ulen >= 0 && uint64(ulen) <= uint64(len(src))*lzfMaxExp {
			dcap += ulen
		}
		dst := append(make([]byte, 0, dcap), junk...)
		got, gerr := lzfDecompress(dst[:0], wide[:len(src)], ulen)
		switch {
		case (gerr == nil) != (err == nil):
			t.Fatalf("with spare capacity: %v, without: %v", gerr, err)
		case err != nil && gerr.(*blobError).Pos != err.(*blobError).Pos:
			t.Fatalf("with spare capacity fails at %d, without at %d", gerr.(*blobError).Pos, err.(*blobError).Pos)
		case err == nil && !bytes.Equal(got, out):
			t.Fatalf("with spare capacity: %x, without: %x", got, out)
		}
		// Compression of src (as data) round-trips within Redis's len-4 bound.
		c := lzfCompress(nil, src)
		if c == nil {
			return
		}
		if len(c) > len(src)-4 {
			t.Fatalf("compressed %d bytes to %d", len(src), len(c))
		}
		dec, err := lzfDecompress(nil, c, len(src))
		if err != nil || !bytes.Equal(dec, src) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

func lpSeeds() [][]byte {
	seeds := [][]byte{
		blobHex("1c 00 00 00 07 00 81 61 02 81 62 02 01 01 02 01 c1 2c 02 d0 00 02 f2 70 11 01 04 ff"),
		blobHex("07 00 00 00 00 00 ff"),
	}
	for _, tc := range lpCorruptCases {
		if len(tc.b) < 4096 {
			seeds = append(seeds, tc.b)
		}
	}
	for _, tc := range lpEncodingCases {
		seeds = append(seeds, lpRaw(1, blobHex(tc.elem)...))
	}
	r := rand.New(rand.NewPCG(23, 24))
	for range 5 {
		seeds = append(seeds, lpBuild(nil, randPackEntries(r, 1+r.IntN(8))...))
	}
	return seeds
}

func FuzzListpack(f *testing.F) {
	for _, s := range lpSeeds() {
		f.Add(s)
	}
	for _, s := range corpusSeeds(f).listpacks {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkLpCheckAgrees(t, b)
		es, err := lpDecodeAll(b)
		if err != nil {
			checkBlobErr(t, err, len(b))
			return
		}
		if it, _ := lpOpen(b); it.Count() != lpCountUnknown && it.Count() != len(es) {
			t.Fatalf("Count %d, walked %d", it.Count(), len(es))
		}
		// Kind-preserving rebuild.
		rebuilt := lpBuild(nil, es...)
		again, err := lpDecodeAll(rebuilt)
		if err != nil {
			t.Fatalf("rebuilt listpack does not decode: %v", err)
		}
		checkEntries(t, "rebuilt", again, es)
		// Redis-style rebuild from logical text keeps every text.
		strs := make([][]byte, len(es))
		for i, e := range es {
			strs[i] = e.appendText(nil)
		}
		again, err = lpDecodeAll(lpBuildStrings(nil, strs...))
		if err != nil {
			t.Fatalf("rebuilt-from-text listpack does not decode: %v", err)
		}
		for i := range again {
			if !bytes.Equal(again[i].appendText(nil), strs[i]) {
				t.Fatalf("entry %d: %q, want %q", i, again[i].appendText(nil), strs[i])
			}
		}
	})
}

// checkLpCheckAgrees checks the fast path against the reference walk:
// lpCheck accepts b (stride 0) exactly when lpIter walks it without error,
// with the same count; lpEntryAt then yields the same entries; and with
// stride 1 or 2 lpCheck accepts exactly when no member (every entry, or
// every even-indexed entry) repeats by its text.
func checkLpCheckAgrees(t *testing.T, b []byte) {
	t.Helper()
	es, err := lpDecodeAll(b)
	var d dedup
	for stride := range 3 {
		d.reset(0)
		d.setBlob(b)
		n, ok := lpCheck(b, &d, stride, nil)
		want := err == nil
		if want && stride > 0 {
			seen := map[string]bool{}
			for i, e := range es {
				if stride == 2 && i%2 == 1 {
					continue
				}
				k := string(e.appendText(nil))
				if seen[k] {
					want = false
					break
				}
				seen[k] = true
			}
		}
		if ok != want {
			t.Fatalf("stride %d: lpCheck ok=%v, reference walk ok=%v (err %v)", stride, ok, want, err)
		}
		if !ok {
			continue
		}
		if n != len(es) {
			t.Fatalf("stride %d: lpCheck counted %d entries, lpIter %d", stride, n, len(es))
		}
		got := make([]packEntry, 0, n)
		pos := lpHdrSize
		for range n {
			var e packEntry
			e, pos = lpEntryAt(b, pos)
			got = append(got, e)
		}
		if pos != len(b)-1 {
			t.Fatalf("lpEntryAt ended at %d, end marker at %d", pos, len(b)-1)
		}
		checkEntries(t, "lpEntryAt", got, es)
	}
	// The exported iterator accepts what lpIter accepts, with its entries.
	it, ierr := NewListpackIter(b)
	if (ierr == nil) != (err == nil) {
		t.Fatalf("NewListpackIter error %v, lpIter error %v", ierr, err)
	}
	if ierr != nil {
		if ierr.Error() != err.Error() {
			t.Fatalf("NewListpackIter error %q, lpIter error %q", ierr, err)
		}
		return
	}
	var got []packEntry
	for {
		str, num, isInt, ok := it.Next()
		if !ok {
			break
		}
		got = append(got, packEntry{Str: str, Int: num, IsInt: isInt})
	}
	checkEntries(t, "ListpackIter", got, es)
}

func zlSeeds() [][]byte {
	seeds := [][]byte{
		blobHex("0f 00 00 00 0c 00 00 00 02 00 00 f3 02 f6 ff"),
		blobHex("0b 00 00 00 0a 00 00 00 00 00 ff"),
		zlRaw(2, 12, 0x00, 0xf1, 0xfe, 0x02, 0, 0, 0, 0xf2),
	}
	for _, tc := range zlCorruptCases {
		seeds = append(seeds, tc.b)
	}
	for _, tc := range zlEncodingCases {
		seeds = append(seeds, zlRaw(1, zlHdrSize, blobHex(tc.entry)...))
	}
	r := rand.New(rand.NewPCG(25, 26))
	for range 5 {
		seeds = append(seeds, zlBuild(nil, randPackEntries(r, 1+r.IntN(8))...))
	}
	return seeds
}

func FuzzZiplist(f *testing.F) {
	for _, s := range zlSeeds() {
		f.Add(s)
	}
	for _, s := range corpusSeeds(f).ziplists {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		es, err := zlDecodeAll(b)
		if err != nil {
			checkBlobErr(t, err, len(b))
			return
		}
		again, err := zlDecodeAll(zlBuild(nil, es...))
		if err != nil {
			t.Fatalf("rebuilt ziplist does not decode: %v", err)
		}
		checkEntries(t, "rebuilt", again, es)
		// The same entries also survive a listpack.
		again, err = lpDecodeAll(lpBuild(nil, es...))
		if err != nil {
			t.Fatalf("listpack of ziplist entries does not decode: %v", err)
		}
		checkEntries(t, "as listpack", again, es)
	})
}

func FuzzIntset(f *testing.F) {
	f.Add(blobHex("04 00 00 00 04 00 00 00 01 00 00 00 02 00 00 00 03 00 00 00 70 11 01 00"))
	f.Add(isBuild(nil, -32769, 0, 1<<40))
	f.Add(isBuildWidth(nil, 8, 1, 2))
	for _, tc := range isCorruptCases {
		f.Add(tc.b)
	}
	for _, s := range corpusSeeds(f).intsets {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		vals, err := isDecodeAll(b)
		if err != nil {
			checkBlobErr(t, err, len(b))
			return
		}
		if !slices.IsSorted(vals) || len(vals) == 0 {
			t.Fatalf("decoded %v", vals)
		}
		rebuilt := isBuild(nil, vals...)
		if len(rebuilt) > len(b) {
			t.Fatalf("narrowest rebuild is larger (%d > %d)", len(rebuilt), len(b))
		}
		again, err := isDecodeAll(rebuilt)
		if err != nil || !slices.Equal(again, vals) {
			t.Fatalf("rebuilt intset: %v, %v", again, err)
		}
	})
}

func FuzzZipmap(f *testing.F) {
	f.Add(blobHex("02 03 66 6f 6f 03 00 62 61 72 05 68 65 6c 6c 6f 05 00 77 6f 72 6c 64 ff"))
	f.Add(append(zmAppendPair([]byte{zmBigLen}, []byte("k"), []byte("v"), 3), zmEnd))
	f.Add(zmBuild(nil, bytes.Repeat([]byte("L"), 300), []byte("x")))
	for _, tc := range zmCorruptCases {
		f.Add(tc.b)
	}
	for _, s := range corpusSeeds(f).zipmaps {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		pairs, err := zmDecodeAll(b)
		if err != nil {
			checkBlobErr(t, err, len(b))
			return
		}
		var kv [][]byte
		for _, p := range pairs {
			kv = append(kv, p.f, p.v)
		}
		again, err := zmDecodeAll(zmBuild(nil, kv...))
		if err != nil || !zmPairsEq(again, pairs) {
			t.Fatalf("rebuilt zipmap: %v", err)
		}
	})
}
