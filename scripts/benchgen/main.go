// Command benchgen writes a RESP command stream for `redis-cli --pipe` that
// builds the "mixed" benchmark dataset: about N keys of every type and
// encoding a Redis 7.x server has, with TTLs on a fifth of them. Used by
// `make bench-data` (scripts/bench-data.sh); not part of rdbkit.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
)

func main() {
	keys := flag.Int("keys", 2_000_000, "number of keys")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	rng := rand.New(rand.NewPCG(*seed, 42))
	args := make([][]byte, 0, 512)
	emit := func() {
		fmt.Fprintf(w, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(w, "$%d\r\n", len(a))
			w.Write(a)
			w.WriteString("\r\n")
		}
		args = args[:0]
	}
	add := func(s ...string) {
		for _, x := range s {
			args = append(args, []byte(x))
		}
	}
	word := func(n int) string {
		const alpha = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, n)
		for i := range b {
			b[i] = alpha[rng.IntN(len(alpha))]
		}
		return string(b)
	}
	text := func(n int) string { // compressible
		s := ""
		for len(s) < n {
			s += "lorem ipsum dolor sit amet " + strconv.Itoa(rng.IntN(1000)) + " "
		}
		return s[:n]
	}
	for i := 0; i < *keys; i++ {
		k := "k:" + strconv.Itoa(i)
		switch p := rng.IntN(100); {
		case p < 20:
			add("SET", k+":s", word(20+rng.IntN(200)))
		case p < 30:
			add("SET", k+":t", text(300+rng.IntN(1500)))
		case p < 35:
			add("SET", k+":i", strconv.Itoa(rng.IntN(1<<30)))
		case p < 45:
			add("RPUSH", k+":l")
			n := 5 + rng.IntN(20)
			if rng.IntN(10) == 0 {
				n = 300 + rng.IntN(300)
			}
			for j := 0; j < n; j++ {
				add(word(8 + rng.IntN(40)))
			}
		case p < 52:
			add("SADD", k+":si")
			for j := 0; j < 10+rng.IntN(100); j++ {
				add(strconv.FormatInt(rng.Int64N(1<<40), 10))
			}
		case p < 60:
			add("SADD", k+":ss")
			n := 5 + rng.IntN(50)
			if rng.IntN(8) == 0 {
				n = 200 + rng.IntN(300)
			}
			for j := 0; j < n; j++ {
				add("m" + word(6+rng.IntN(20)))
			}
		case p < 72:
			add("ZADD", k+":z")
			n := 5 + rng.IntN(60)
			if rng.IntN(8) == 0 {
				n = 200 + rng.IntN(300)
			}
			for j := 0; j < n; j++ {
				add(strconv.FormatFloat(rng.Float64()*1e6, 'g', -1, 64), "m"+word(6+rng.IntN(20)))
			}
		case p < 92:
			add("HSET", k+":h")
			n := 5 + rng.IntN(60)
			if rng.IntN(8) == 0 {
				n = 200 + rng.IntN(400)
			}
			for j := 0; j < n; j++ {
				add("f"+strconv.Itoa(j), word(4+rng.IntN(30)))
			}
		default:
			n := 10 + rng.IntN(60)
			for j := 0; j < n; j++ {
				add("XADD", k+":x", "*", "name", word(8), "v", strconv.Itoa(rng.IntN(1000)))
				emit()
			}
			add("XGROUP", "CREATE", k+":x", "g1", "0")
			emit()
			add("XREADGROUP", "GROUP", "g1", "c1", "COUNT", "3", "STREAMS", k+":x", ">")
		}
		emit()
		if rng.IntN(5) == 0 {
			// the key name is the second argument of the command just sent; re-derive it
			suffix := []string{":s", ":t", ":i", ":l", ":si", ":ss", ":z", ":h", ":x"}[rng.IntN(9)]
			add("PEXPIREAT", k+suffix, strconv.FormatInt(4102444800000+int64(rng.IntN(1e9)), 10))
			emit()
		}
	}
}
