package main

import (
	"bufio"
	"math"
	"math/rand/v2"
	"strconv"
)

// The "shaped" dataset (-shape shaped): a mix unlike "mixed", with many
// mid-sized strings, 10-field hashes, streams of 100 entries with consumer
// groups, a few very large collections and 10 % of the keys with a TTL. At
// its default size, 1.94 M keys, a Redis 7.4.1 SAVE of it is about 1.16 GB.
// Every count below scales with -keys; strings take what the other classes
// leave.

// A shapeClass is one kind of key of the shaped dataset.
type shapeClass uint8

const (
	classString  shapeClass = iota // 8–1000 byte string
	classInt                       // integer string (int-encoded by the server)
	classHash                      // hash of 10 fields (listpack)
	classBigHash                   // hash of 600–1600 fields (hashtable)
	classList                      // list of 3–20 elements (listpack)
	classBigList                   // list of 10,000–30,000 elements (quicklist)
	classIntset                    // set of 5–100 integers (intset)
	classSet                       // set of 3–30 strings (listpack on 7.2+)
	classBigSet                    // set of 150–600 strings (hashtable)
	classZset                      // sorted set of 3–30 members (listpack)
	classBigZset                   // sorted set of 200–600 members (skiplist)
	classStream                    // stream of 100 entries
	nClasses
)

// shapeSuffix ends each class's key names ("k:<i><suffix>").
var shapeSuffix = [nClasses]string{":s", ":i", ":h", ":H", ":l", ":L", ":si", ":ss", ":S", ":z", ":Z", ":x"}

// shapeFull is the number of keys of the full-size dataset, and
// shapeCounts the keys of each class at that size (strings: the rest).
const shapeFull = 1_940_000

var shapeCounts = [nClasses]int{
	classInt:     87_300, // 10 % of the 45 % strings
	classHash:    329_800,
	classBigHash: 3_000,
	classList:    200_000,
	classBigList: 250,
	classIntset:  100_000,
	classSet:     100_000,
	classBigSet:  10_000,
	classZset:    210_000,
	classBigZset: 10_000,
	classStream:  100_000,
}

// shapePlan returns how many keys of each class a dataset of n keys has:
// each class scaled from shapeCounts and rounded, at least one of each when
// n is large enough to hold them all, strings the rest.
func shapePlan(n int) [nClasses]int {
	var plan [nClasses]int
	if n <= 0 {
		return plan
	}
	rest := n
	for c := classInt; c < nClasses; c++ {
		k := int(math.Round(float64(shapeCounts[c]) * float64(n) / shapeFull))
		if n >= int(nClasses) {
			// One at least, and one left for each class after this one.
			k = min(max(k, 1), rest-int(nClasses-c))
		}
		k = min(k, rest)
		plan[c] = k
		rest -= k
	}
	plan[classString] = rest
	return plan
}

// shapeStreamEntries is the length of every stream; a fifth of the streams
// get consumer groups with pending entries.
const shapeStreamEntries = 100

// ttlBase is 2100-01-01 in ms since the epoch: the TTLs set by PEXPIREAT lie
// beyond it, so no key expires while a benchmark runs.
const ttlBase = 4102444800000

// respWriter writes RESP arrays of bulk strings (the redis-cli --pipe input).
type respWriter struct {
	w    *bufio.Writer
	args [][]byte
}

func (r *respWriter) add(s ...string) {
	for _, x := range s {
		r.args = append(r.args, []byte(x))
	}
}

func (r *respWriter) emit() {
	r.w.WriteByte('*')
	r.w.WriteString(strconv.Itoa(len(r.args)))
	r.w.WriteString("\r\n")
	for _, a := range r.args {
		r.w.WriteByte('$')
		r.w.WriteString(strconv.Itoa(len(a)))
		r.w.WriteString("\r\n")
		r.w.Write(a)
		r.w.WriteString("\r\n")
	}
	r.args = r.args[:0]
}

// writeShaped writes the commands that build the shaped dataset of n keys
// for the given seed: the same bytes for the same n and seed. It returns the
// number of keys of each class and how many got a TTL.
func writeShaped(w *bufio.Writer, n int, seed uint64) (plan [nClasses]int, ttls int) {
	rng := rand.New(rand.NewPCG(seed, 7))
	plan = shapePlan(n)
	order := make([]shapeClass, 0, n)
	for c, k := range plan {
		for range k {
			order = append(order, shapeClass(c))
		}
	}
	rng.Shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })

	r := &respWriter{w: w, args: make([][]byte, 0, 2048)}
	buf := make([]byte, 0, 1024)
	word := func(n int) string {
		const alpha = "abcdefghijklmnopqrstuvwxyz0123456789"
		buf = buf[:0]
		for range n {
			buf = append(buf, alpha[rng.IntN(len(alpha))])
		}
		return string(buf)
	}
	text := func(n int) string { // compressible by LZF
		buf = buf[:0]
		for len(buf) < n {
			buf = append(buf, "lorem ipsum dolor sit amet "...)
			buf = strconv.AppendInt(buf, int64(rng.IntN(1000)), 10)
			buf = append(buf, ' ')
		}
		return string(buf[:n])
	}
	score := func() string {
		if rng.IntN(2) == 0 {
			return strconv.Itoa(rng.IntN(1_000_000))
		}
		return strconv.FormatFloat(rng.Float64()*1e6, 'g', -1, 64)
	}
	// push sends cmd with n elements, each added by elem, in commands of at
	// most 1000 elements.
	push := func(cmd, name string, n int, elem func(j int)) {
		const chunk = 1000
		for j := 0; j < n; j++ {
			if j%chunk == 0 {
				if j > 0 {
					r.emit()
				}
				r.add(cmd, name)
			}
			elem(j)
		}
		r.emit()
	}

	for i, c := range order {
		name := "k:" + strconv.Itoa(i) + shapeSuffix[c]
		switch c {
		case classString:
			size := 8 + rng.IntN(993)
			if rng.IntN(2) == 0 {
				r.add("SET", name, text(size))
			} else {
				r.add("SET", name, word(size))
			}
			r.emit()
		case classInt:
			r.add("SET", name, strconv.FormatInt(rng.Int64N(1<<32)-1<<31, 10))
			r.emit()
		case classHash:
			push("HSET", name, 10, func(j int) {
				r.add("field:"+strconv.Itoa(j), word(4+rng.IntN(37)))
			})
		case classBigHash:
			push("HSET", name, 600+rng.IntN(1001), func(j int) {
				r.add("f"+strconv.Itoa(j), word(6+rng.IntN(31)))
			})
		case classList:
			push("RPUSH", name, 3+rng.IntN(18), func(int) {
				r.add(word(8 + rng.IntN(41)))
			})
		case classBigList:
			push("RPUSH", name, 10_000+rng.IntN(20_001), func(int) {
				r.add(word(8 + rng.IntN(29)))
			})
		case classIntset:
			// One width per set: 16-, 32- or 64-bit intset encoding.
			bound := []int64{1 << 15, 1 << 31, 1 << 62}[rng.IntN(3)]
			push("SADD", name, 5+rng.IntN(96), func(int) {
				r.add(strconv.FormatInt(rng.Int64N(bound)-bound/2, 10))
			})
		case classSet:
			push("SADD", name, 3+rng.IntN(28), func(int) {
				r.add("m" + word(6+rng.IntN(20)))
			})
		case classBigSet:
			push("SADD", name, 150+rng.IntN(451), func(int) {
				r.add("m" + word(6+rng.IntN(20)))
			})
		case classZset:
			push("ZADD", name, 3+rng.IntN(28), func(int) {
				r.add(score(), "m"+word(6+rng.IntN(20)))
			})
		case classBigZset:
			push("ZADD", name, 200+rng.IntN(401), func(int) {
				r.add(score(), "m"+word(6+rng.IntN(20)))
			})
		case classStream:
			events := [...]string{"view", "click", "search", "add-to-cart", "checkout", "login", "logout", "error"}
			// Explicit IDs, so that the data does not depend on the clock.
			ms := int64(1_700_000_000_000) + rng.Int64N(1e9)
			for j := range shapeStreamEntries {
				ms += int64(1 + rng.IntN(1000))
				r.add("XADD", name, strconv.FormatInt(ms, 10)+"-"+strconv.Itoa(j%3),
					"event", events[rng.IntN(len(events))], "n", strconv.Itoa(rng.IntN(100_000)))
				r.emit()
			}
			if rng.IntN(5) == 0 {
				r.add("XGROUP", "CREATE", name, "g1", "0")
				r.emit()
				r.add("XREADGROUP", "GROUP", "g1", "c1", "COUNT", strconv.Itoa(10+rng.IntN(31)), "STREAMS", name, ">")
				r.emit()
				r.add("XREADGROUP", "GROUP", "g1", "c2", "COUNT", strconv.Itoa(5+rng.IntN(16)), "STREAMS", name, ">")
				r.emit()
				r.add("XGROUP", "CREATE", name, "g2", "$")
				r.emit()
			}
		}
		if rng.IntN(10) == 0 {
			r.add("PEXPIREAT", name, strconv.FormatInt(ttlBase+rng.Int64N(1e9), 10))
			r.emit()
			ttls++
		}
	}
	return plan, ttls
}
