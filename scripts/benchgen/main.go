// Command benchgen writes a RESP command stream for `redis-cli --pipe` that
// builds a benchmark dataset. Used by `make bench-data`
// (scripts/bench-data.sh); not part of rdbkit.
//
// -shape mixed (the default) builds about N keys of every type and
// encoding a Redis 7.x server has, with TTLs on a fifth of them. With the
// default 2 M keys a Redis 7.0 SAVE of it is about 1 GB, the size the
// benchmark targets are stated for.
//
// -shape shaped builds the mix described in shaped.go: 1.94 M keys by
// default, about 1.16 GB once saved by Redis 7.4.1.
//
// The first version (-v1, kept so that older figures can be reproduced)
// made collections about twice as large, a 2.17 GB file for 2 M keys, and
// by a bug set a TTL on only 1 key in 45.
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
	keys := flag.Int("keys", 0, "number of keys (0: 2 M for mixed, 1.94 M for shaped)")
	seed := flag.Uint64("seed", 1, "random seed")
	shape := flag.String("shape", "mixed", "dataset: mixed or shaped")
	v1 := flag.Bool("v1", false, "the first version's mixed dataset (2.17 GB for 2 M keys, few TTLs)")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	switch *shape {
	case "mixed":
		if *keys == 0 {
			*keys = 2_000_000
		}
	case "shaped":
		if *v1 {
			fmt.Fprintln(os.Stderr, "benchgen: -v1 applies to -shape mixed only")
			os.Exit(2)
		}
		if *keys == 0 {
			*keys = shapeFull
		}
		writeShaped(w, *keys, *seed)
		return
	default:
		fmt.Fprintf(os.Stderr, "benchgen: unknown -shape %q (mixed or shaped)\n", *shape)
		os.Exit(2)
	}
	writeMixed(w, *keys, *seed, *v1)
}

// writeMixed writes the commands that build the mixed dataset of n keys
// (the first version's with v1) for the given seed.
func writeMixed(w *bufio.Writer, keys int, seed uint64, v1 bool) {
	rng := rand.New(rand.NewPCG(seed, 42))
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
	// between returns lo+[0,span), or v1lo+[0,v1span) for -v1, drawing one
	// number either way. Collections are about half the first version's;
	// the big variants stay past the listpack limits (128 entries), so
	// every encoding is still present.
	between := func(v1lo, v1span, lo, span int) int {
		if v1 {
			return v1lo + rng.IntN(v1span)
		}
		return lo + rng.IntN(span)
	}
	if !v1 {
		// The redis.conf default (the compiled-in one is 512), so that the
		// big hashes below are hashtable-encoded.
		add("CONFIG", "SET", "hash-max-listpack-entries", "128")
		emit()
	}
	for i := 0; i < keys; i++ {
		k := "k:" + strconv.Itoa(i)
		var name string // the key just written
		switch p := rng.IntN(100); {
		case p < 20:
			name = k + ":s"
			add("SET", name, word(20+rng.IntN(200)))
		case p < 30:
			name = k + ":t"
			add("SET", name, text(between(300, 1500, 150, 750)))
		case p < 35:
			name = k + ":i"
			add("SET", name, strconv.Itoa(rng.IntN(1<<30)))
		case p < 45:
			name = k + ":l"
			add("RPUSH", name)
			n := between(5, 20, 3, 10)
			if rng.IntN(10) == 0 {
				n = between(300, 300, 150, 150)
			}
			for j := 0; j < n; j++ {
				add(word(8 + rng.IntN(40)))
			}
		case p < 52:
			name = k + ":si"
			add("SADD", name)
			if v1 { // the bound was redrawn at every iteration
				for j := 0; j < 10+rng.IntN(100); j++ {
					add(strconv.FormatInt(rng.Int64N(1<<40), 10))
				}
				break
			}
			for range 5 + rng.IntN(50) {
				add(strconv.FormatInt(rng.Int64N(1<<40), 10))
			}
		case p < 60:
			name = k + ":ss"
			add("SADD", name)
			n := between(5, 50, 3, 25)
			if rng.IntN(8) == 0 {
				n = between(200, 300, 130, 120)
			}
			for j := 0; j < n; j++ {
				add("m" + word(6+rng.IntN(20)))
			}
		case p < 72:
			name = k + ":z"
			add("ZADD", name)
			n := between(5, 60, 3, 30)
			if rng.IntN(8) == 0 {
				n = between(200, 300, 130, 120)
			}
			for j := 0; j < n; j++ {
				add(strconv.FormatFloat(rng.Float64()*1e6, 'g', -1, 64), "m"+word(6+rng.IntN(20)))
			}
		case p < 92:
			name = k + ":h"
			add("HSET", name)
			n := between(5, 60, 3, 30)
			if rng.IntN(8) == 0 {
				n = between(200, 400, 130, 170)
			}
			for j := 0; j < n; j++ {
				add("f"+strconv.Itoa(j), word(4+rng.IntN(30)))
			}
		default:
			name = k + ":x"
			n := between(10, 60, 5, 30)
			for j := 0; j < n; j++ {
				add("XADD", name, "*", "name", word(8), "v", strconv.Itoa(rng.IntN(1000)))
				emit()
			}
			add("XGROUP", "CREATE", name, "g1", "0")
			emit()
			add("XREADGROUP", "GROUP", "g1", "c1", "COUNT", "3", "STREAMS", name, ">")
		}
		emit()
		if rng.IntN(5) == 0 {
			if v1 { // the bug: a random suffix, so mostly a key that does not exist
				name = k + []string{":s", ":t", ":i", ":l", ":si", ":ss", ":z", ":h", ":x"}[rng.IntN(9)]
			}
			add("PEXPIREAT", name, strconv.FormatInt(4102444800000+int64(rng.IntN(1e9)), 10))
			emit()
		}
	}
}
