package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
)

// benchAOF builds a RESP command stream of a typical mixed workload over
// nkeys keys: strings (SET, INCR), hashes, lists, sets, sorted sets and
// streams, with some TTLs.
func benchAOF(nkeys, ncmds int) []byte {
	r := rand.New(rand.NewPCG(1, 1))
	var b bytes.Buffer
	w := func(args ...string) {
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
	}
	w("SELECT", "0")
	for i := 0; i < ncmds; i++ {
		k := strconv.Itoa(r.IntN(nkeys))
		v := "value:" + strconv.Itoa(r.IntN(1000000))
		switch r.IntN(10) {
		case 0, 1, 2:
			w("SET", "s:"+k, v)
		case 3:
			w("INCR", "n:"+k)
		case 4:
			w("HSET", "h:"+k, "f"+strconv.Itoa(r.IntN(20)), v)
		case 5:
			w("RPUSH", "l:"+k, v)
		case 6:
			w("SADD", "S:"+k, "m"+strconv.Itoa(r.IntN(50)))
		case 7:
			w("ZADD", "z:"+k, strconv.Itoa(r.IntN(1000)), "m"+strconv.Itoa(r.IntN(50)))
		case 8:
			w("XADD", "x:"+k, strconv.Itoa(1000000+i)+"-1", "f", v)
		default:
			w("PEXPIREAT", "s:"+k, "4102444800000")
		}
	}
	return b.Bytes()
}

// BenchmarkReplay measures Exec throughput over a parsed command stream
// (bytes/s of RESP input) and reports the heap bytes per key of the
// resulting keyspace.
func BenchmarkReplay(b *testing.B) {
	data := benchAOF(20000, 200000)
	var cmds [][][]byte
	if err := parseRESP(data, 0, func(c respCmd, _ int64) error {
		cmds = append(cmds, c.argv)
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var e *Engine
	for b.Loop() {
		e = New(ServerVersion{Major: 7, Minor: 4})
		for _, c := range cmds {
			if err := e.Exec(c); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(len(cmds)), "cmds/op")
	b.ReportMetric(float64(totalKeys(e)), "keys")
}

// heapPerKey fills an engine with fill and returns heap bytes per key.
func heapPerKey(b *testing.B, nkeys int, fill func(e *Engine, i int)) float64 {
	var m0, m1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&m0)
	e := New(ServerVersion{Major: 7, Minor: 4})
	for i := 0; i < nkeys; i++ {
		fill(e, i)
	}
	runtime.GC()
	runtime.ReadMemStats(&m1)
	runtime.KeepAlive(e)
	return float64(m1.HeapAlloc-m0.HeapAlloc) / float64(nkeys)
}

// BenchmarkBytesPerKey reports the engine's heap bytes per key for
// typical small values (keys "key:NNNNNNN", 13 bytes).
func BenchmarkBytesPerKey(b *testing.B) {
	const n = 100000
	argv := func(s ...string) [][]byte {
		a := make([][]byte, len(s))
		for i := range s {
			a[i] = []byte(s[i])
		}
		return a
	}
	cases := []struct {
		name string
		fill func(e *Engine, i int)
	}{
		{"string16", func(e *Engine, i int) { e.Exec(argv("SET", fmt.Sprintf("key:%07d", i), "0123456789abcdef")) }},
		{"int", func(e *Engine, i int) { e.Exec(argv("SET", fmt.Sprintf("key:%07d", i), strconv.Itoa(i))) }},
		{"string16+ttl", func(e *Engine, i int) {
			e.Exec(argv("SET", fmt.Sprintf("key:%07d", i), "0123456789abcdef", "PXAT", "4102444800000"))
		}},
		{"hash10x8B", func(e *Engine, i int) {
			a := []string{"HSET", fmt.Sprintf("key:%07d", i)}
			for j := 0; j < 10; j++ {
				a = append(a, "field"+strconv.Itoa(j), "val"+strconv.Itoa(j*i%100000))
			}
			e.Exec(argv(a...))
		}},
		{"list10x8B", func(e *Engine, i int) {
			a := []string{"RPUSH", fmt.Sprintf("key:%07d", i)}
			for j := 0; j < 10; j++ {
				a = append(a, "elem"+strconv.Itoa(j*i%10000))
			}
			e.Exec(argv(a...))
		}},
		{"set10", func(e *Engine, i int) {
			a := []string{"SADD", fmt.Sprintf("key:%07d", i)}
			for j := 0; j < 10; j++ {
				a = append(a, "member"+strconv.Itoa(j))
			}
			e.Exec(argv(a...))
		}},
		{"zset10", func(e *Engine, i int) {
			a := []string{"ZADD", fmt.Sprintf("key:%07d", i)}
			for j := 0; j < 10; j++ {
				a = append(a, strconv.Itoa(j), "member"+strconv.Itoa(j))
			}
			e.Exec(argv(a...))
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var per float64
			for b.Loop() {
				per = heapPerKey(b, n, c.fill)
			}
			b.ReportMetric(per, "bytes/key")
		})
	}
}
