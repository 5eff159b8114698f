package aoffile

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strconv"
	"sync"
	"testing"
)

var (
	benchOnce sync.Once
	benchAOF  []byte
	benchCmds int
)

// benchData generates ~64 MiB of mixed commands as a server writes them:
// SET, HSET, RPUSH, ZADD and XADD with keys and values of varied sizes,
// SELECT at the start and a #TS annotation every 1000 commands.
func benchData() ([]byte, int) {
	benchOnce.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		var b bytes.Buffer
		b.Grow(66 << 20)
		val := bytes.Repeat([]byte("abcdefghijklmnopqrstuvwxyz0123456789"), 40)
		var args [][]byte
		emit := func() {
			b.WriteByte('*')
			b.WriteString(strconv.Itoa(len(args)))
			b.WriteString("\r\n")
			for _, a := range args {
				b.WriteByte('$')
				b.WriteString(strconv.Itoa(len(a)))
				b.WriteString("\r\n")
				b.Write(a)
				b.WriteString("\r\n")
			}
			benchCmds++
		}
		args = [][]byte{[]byte("SELECT"), []byte("0")}
		emit()
		ts := 1795236325
		for b.Len() < 64<<20 {
			if benchCmds%1000 == 0 {
				b.WriteString("#TS:" + strconv.Itoa(ts) + "\r\n")
				ts++
			}
			key := []byte("key:" + strconv.Itoa(rng.IntN(1000000)))
			v := val[:1+rng.IntN(64)]
			switch rng.IntN(5) {
			case 0:
				args = [][]byte{[]byte("SET"), key, val[:1+rng.IntN(400)]}
			case 1:
				args = [][]byte{[]byte("HSET"), key, []byte("field:" + strconv.Itoa(rng.IntN(100))), v}
			case 2:
				args = [][]byte{[]byte("RPUSH"), key, v, val[:rng.IntN(20)], val[:rng.IntN(30)]}
			case 3:
				args = [][]byte{[]byte("ZADD"), key, []byte(strconv.FormatFloat(rng.Float64()*1000, 'g', -1, 64)), v}
			case 4:
				args = [][]byte{[]byte("XADD"), key, []byte("1700000000000-" + strconv.Itoa(benchCmds)), []byte("name"), v, []byte("n"), []byte(strconv.Itoa(rng.IntN(1e6)))}
			}
			emit()
		}
		benchAOF = b.Bytes()
	})
	return benchAOF, benchCmds
}

func BenchmarkReader(b *testing.B) {
	data, n := benchData()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r := NewReader(bytes.NewReader(data), &Options{Size: int64(len(data))})
		cmds := 0
		for {
			c, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			if c.Kind == KindCommand {
				cmds++
			}
		}
		if cmds != n {
			b.Fatalf("read %d commands, generated %d", cmds, n)
		}
	}
	b.ReportMetric(float64(n), "cmds/op")
}
