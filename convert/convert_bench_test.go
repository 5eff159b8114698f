package convert_test

import (
	"bytes"
	"io"
	"os"
	"strconv"
	"sync"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// benchFile is a mixed RDB 12 file written by the Writer: strings (a fifth
// with a TTL), small and large hashes, lists, sets and sorted sets.
var benchFile = sync.OnceValue(func() []byte {
	var out bytes.Buffer
	w := rdbfile.NewWriter(&out, &rdbfile.WriterOptions{Version: 12})
	w.SelectDB(0)
	val := bytes.Repeat([]byte("value-"), 8)
	for i := range 200000 {
		k := []byte("key:" + strconv.Itoa(i))
		h := rdbfile.KeyHeader{Key: k, ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1}
		if i%5 == 0 {
			h.ExpireAt = 4102444800000 + int64(i)
		}
		var v *rdbfile.Value
		switch i % 10 {
		case 0, 1, 2, 3, 4:
			v = &rdbfile.Value{Kind: rdbfile.KindString, String: append(strconv.AppendInt(nil, int64(i), 10), val...)}
		case 5, 6:
			v = &rdbfile.Value{Kind: rdbfile.KindHash}
			n := 8
			if i%100 == 5 {
				n = 600
			}
			for j := range n {
				v.Hash = append(v.Hash, rdbfile.HashField{Field: []byte("f" + strconv.Itoa(j)), Value: val, ExpireAt: rdbfile.NoExpire})
			}
		case 7:
			v = &rdbfile.Value{Kind: rdbfile.KindList}
			for j := range 20 {
				v.List = append(v.List, strconv.AppendInt(nil, int64(j*i), 10))
			}
		case 8:
			v = &rdbfile.Value{Kind: rdbfile.KindSet}
			for j := range 16 {
				v.Set = append(v.Set, []byte("m"+strconv.Itoa(j)))
			}
		default:
			v = &rdbfile.Value{Kind: rdbfile.KindZSet}
			for j := range 16 {
				v.ZSet = append(v.ZSet, rdbfile.ZMember{Member: []byte("m" + strconv.Itoa(j)), Score: float64(j) / 3})
			}
		}
		if err := w.WriteKey(h, v); err != nil {
			panic(err)
		}
	}
	if err := w.Close(); err != nil {
		panic(err)
	}
	return out.Bytes()
})

// BenchmarkVerifyRead is the reference: read and validate every record
// (what verify does), no output.
func BenchmarkVerifyRead(b *testing.B) {
	data := benchFile()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}

func benchConvert(b *testing.B, tg rdbfile.WriterOptions, o *convert.Options) {
	data := benchFile()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
		w := rdbfile.NewWriter(io.Discard, &tg)
		if _, err := convert.Convert(r, w, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkConvertRawFiltered: same version, a key filter: the raw path.
func BenchmarkConvertRawFiltered(b *testing.B) {
	benchConvert(b, rdbfile.WriterOptions{Version: 12}, &convert.Options{Match: []byte("key:*")})
}

// BenchmarkConvertTranscode11: every key decoded and re-encoded for RDB 11.
func BenchmarkConvertTranscode11(b *testing.B) {
	benchConvert(b, rdbfile.WriterOptions{Version: 11}, &convert.Options{NoRaw: true})
}

// benchPath is $RDBKIT_BENCH_RDB (e.g. a file from `make bench-data`): the
// File benchmarks stream it from disk, as the command does.
func benchPath(b *testing.B) (string, int64) {
	path := os.Getenv("RDBKIT_BENCH_RDB")
	if path == "" {
		b.Skip("set RDBKIT_BENCH_RDB to a large RDB (make bench-data)")
	}
	st, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	return path, st.Size()
}

func benchConvertFile(b *testing.B, tg func(rdbfile.Dialect, int) rdbfile.WriterOptions, o *convert.Options) {
	path, size := benchPath(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := rdbfile.NewReader(f, &rdbfile.Options{Size: size})
		h, err := r.Header()
		if err != nil {
			b.Fatal(err)
		}
		opts := tg(h.Dialect, h.Version)
		if _, err := convert.Convert(r, rdbfile.NewWriter(io.Discard, &opts), o); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkFileVerify reads and validates every record of $RDBKIT_BENCH_RDB
// (the reference for the raw copy).
func BenchmarkFileVerify(b *testing.B) {
	path, size := benchPath(b)
	b.SetBytes(size)
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		r := rdbfile.NewReader(f, &rdbfile.Options{Size: size})
		for {
			_, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		f.Close()
	}
}

// BenchmarkFileRawFiltered copies $RDBKIT_BENCH_RDB to its own version
// through a database filter: every key goes through the raw path.
func BenchmarkFileRawFiltered(b *testing.B) {
	benchConvertFile(b, func(d rdbfile.Dialect, v int) rdbfile.WriterOptions {
		return rdbfile.WriterOptions{Dialect: d, Version: v}
	}, &convert.Options{DBs: []int{0}})
}

// BenchmarkFileTranscode11 re-encodes every key of $RDBKIT_BENCH_RDB for
// RDB 11 (Redis 7.2's limits).
func BenchmarkFileTranscode11(b *testing.B) {
	benchConvertFile(b, func(rdbfile.Dialect, int) rdbfile.WriterOptions {
		return rdbfile.WriterOptions{Version: 11}
	}, &convert.Options{NoRaw: true})
}
