package cmd

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// BenchmarkVerifyAOF times "rdbkit verify" on a generated multi-part AOF
// (RESP base + incr) of RDBKIT_BENCH_AOF_MB megabytes (≥ 500 for the
// figures in the issue), written to a temporary directory. It is skipped
// when the variable is unset. scripts/bench-aof.sh compares with
// redis-check-aof on server-written data.
func BenchmarkVerifyAOF(b *testing.B) {
	mb, _ := strconv.Atoi(os.Getenv("RDBKIT_BENCH_AOF_MB"))
	if mb <= 0 {
		b.Skip("set RDBKIT_BENCH_AOF_MB (e.g. 550) to generate an AOF of that size and time verify")
	}
	dir := filepath.Join(b.TempDir(), "appendonlydir")
	if err := os.Mkdir(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	total := int64(mb) << 20
	n := writeBenchAOF(b, filepath.Join(dir, "appendonly.aof.1.base.aof"), total*4/5, 0)
	n += writeBenchAOF(b, filepath.Join(dir, "appendonly.aof.1.incr.aof"), total/5, 1)
	m := "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	if err := os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), []byte(m), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(n)
	b.ResetTimer()
	for b.Loop() {
		app := newApp(IOStreams{In: nil, Out: io.Discard, ErrOut: io.Discard})
		app.Getenv = func(string) string { return "" }
		if code := app.run(context.Background(), []string{"verify", "--quiet", dir}); code != 0 {
			b.Fatalf("verify: exit %d", code)
		}
	}
}

// writeBenchAOF writes about size bytes of SET/HSET/RPUSH commands with a
// "#TS:" annotation every 1000 commands, as a server does; it returns the
// bytes written.
func writeBenchAOF(b *testing.B, path string, size int64, seed int) int64 {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	var n int64
	val := make([]byte, 100)
	for i := range val {
		val[i] = 'a' + byte(i%26)
	}
	put := func(args ...[]byte) {
		k, _ := w.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
		n += int64(k)
		for _, a := range args {
			k, _ = w.WriteString("$" + strconv.Itoa(len(a)) + "\r\n")
			n += int64(k)
			k, _ = w.Write(a)
			n += int64(k)
			k, _ = w.WriteString("\r\n")
			n += int64(k) // the errors are sticky: checked at Flush
		}
	}
	put([]byte("SELECT"), []byte("0"))
	for i := 0; n < size; i++ {
		if i%1000 == 0 {
			k, _ := w.WriteString("#TS:" + strconv.Itoa(1795236000+i/1000) + "\r\n")
			n += int64(k)
		}
		key := []byte("key:" + strconv.Itoa(seed) + ":" + strconv.Itoa(i))
		switch i % 4 {
		case 0, 1:
			put([]byte("SET"), key, val)
		case 2:
			put([]byte("HSET"), key, []byte("f1"), val[:20], []byte("f2"), val[:40])
		case 3:
			put([]byte("RPUSH"), key, val[:30], val[:60], val[:90])
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return n
}
