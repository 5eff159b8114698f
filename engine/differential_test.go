package engine

import (
	"bufio"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// Differential tests against real servers. A seeded random workload of
// every write command the server has (its release's command table) is sent
// over a small RESP client; then
//
//   - TestDifferentialAOF replays the server's own appendonlydir (manifest,
//     base, incr files) into an Engine at four checkpoints (an empty
//     RDB-preamble base, a RESP base, an RDB base, a RESP base alone) and
//     loads the dump.rdb of a SAVE, comparing DEBUG DIGEST, DBSIZE and, on
//     a difference, every key's DEBUG DIGEST-VALUE (soakRun). Against the
//     installed redis-server (Debian 12: Redis 7.0.15) by default; with
//     RDBKIT_SERVERS or RDBKIT_SOAK_SEEDS, the matrix of soak_test.go;
//   - TestDifferentialDirect executes the same (deterministic) commands in
//     an Engine as they are sent, compares error/no-error per command and
//     the digests at the end.
//
// RDBKIT_SOAK_SEED and RDBKIT_SOAK_COMMANDS override the seed and the
// number of commands (default 20000 and 8000).

func soakParams(t *testing.T, defCommands int) (uint64, int) {
	seed := uint64(20261121)
	if s := os.Getenv("RDBKIT_SOAK_SEED"); s != "" {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("RDBKIT_SOAK_SEED: %v", err)
		}
		seed = n
	}
	n := defCommands
	if s := os.Getenv("RDBKIT_SOAK_COMMANDS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("RDBKIT_SOAK_COMMANDS: %v", err)
		}
		n = v
	} else if testing.Short() {
		n /= 4
	}
	return seed, n
}

// startAOFServer starts the local redis-server with AOF on, in its own
// temporary directory.
func startAOFServer(t *testing.T) (*respConn, ServerVersion, string) {
	t.Helper()
	c, v, dir := startServer(t, "--appendonly", "yes", "--appendfsync", "always")
	// Keys must only disappear through commands (lazy expiry propagates a
	// DEL); active expiry between DEBUG DIGEST and reading the files would
	// race.
	c.do(t, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	return c, v, dir
}

// gen is the random workload generator.
type gen struct {
	r       *rand.Rand
	direct  bool // only commands whose effect an Engine can reproduce as sent
	now     func() int64
	query   func(args ...string) any // synchronous round trip (DUMP)
	xlast   map[string]uint64        // per stream key: last ms used for explicit IDs
	dbs     int
	counter int
	longTTL bool             // no TTL short enough to expire during the run
	rel     *release.Release // nil, or only commands of this release are sent
	dropped map[string]int   // commands rel lacks, by name: not sent
}

func (g *gen) n(k int) int { return g.r.IntN(k) }

func (g *gen) pick(ss ...string) string { return ss[g.n(len(ss))] }

func (g *gen) key(prefix string, n int) string { return prefix + strconv.Itoa(g.n(n)) }

// anyKey picks a key of any family but the lex-only sorted sets.
func (g *gen) anyKey() string {
	switch g.n(9) {
	case 0:
		return g.key("s:", 12)
	case 1:
		return g.key("l:", 8)
	case 2:
		return g.key("S:", 8)
	case 3:
		return g.key("z:", 8)
	case 4:
		return g.key("h:", 8)
	case 5:
		return g.key("x:", 4)
	case 6:
		return g.key("p:", 4)
	case 7:
		return g.key("g:", 3)
	}
	return g.key("b:", 4)
}

func (g *gen) bin(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.UintN(256))
	}
	return string(b)
}

func (g *gen) val() string {
	switch g.n(14) {
	case 0:
		return strconv.Itoa(g.n(200) - 50)
	case 1:
		return strconv.FormatInt(g.r.Int64()-g.r.Int64(), 10)
	case 2:
		return g.pick("0123", "+5", " 7", "-0", "9223372036854775807", "-9223372036854775808", "18446744073709551616", "0", "")
	case 3:
		return g.pick("1.5", "3.0e2", "-0.25", "1e-5", "0.1", "inf", "-inf", "nan", "1e400", "0x1p3", "5.", ".5")
	case 4:
		return g.bin(g.n(12))
	case 5:
		return strings.Repeat("v", 60+g.n(30))
	case 6:
		return "value-" + strconv.Itoa(g.n(1000))
	case 7:
		return strconv.FormatFloat(g.r.NormFloat64()*1000, 'g', -1, 64)
	}
	return "v" + strconv.Itoa(g.n(50))
}

func (g *gen) member() string {
	switch g.n(12) {
	case 0:
		return strconv.Itoa(g.n(60) - 10)
	case 1:
		return g.bin(1 + g.n(6))
	case 2:
		return strings.Repeat("M", 62+g.n(6))
	case 3:
		return ""
	}
	return "m" + strconv.Itoa(g.n(40))
}

func (g *gen) score() string {
	switch g.n(10) {
	case 0:
		return g.pick("inf", "-inf", "+inf", "-0", "0", "1e308", "-1e-300", "5e-324", "0.1", "1e17", "123456789012345678")
	case 1:
		return strconv.FormatFloat(g.r.NormFloat64()*1e6, 'g', -1, 64)
	case 2, 3:
		return strconv.FormatFloat(float64(g.n(2000)-1000)/8, 'g', -1, 64)
	}
	return strconv.Itoa(g.n(40) - 10)
}

// ttlArgs returns a future expire for the EX/PX/EXAT/PXAT family.
func (g *gen) ttl(short bool) (string, string) {
	now := g.now()
	long := 3600000 + int64(g.n(1000000))
	if short && !g.direct && !g.longTTL && g.n(2) == 0 {
		long = int64(1 + g.n(40)) // expires during the run
	}
	switch g.n(4) {
	case 0:
		return "EX", strconv.FormatInt(long/1000+1, 10)
	case 1:
		return "PX", strconv.FormatInt(long, 10)
	case 2:
		return "EXAT", strconv.FormatInt((now+long)/1000+1, 10)
	}
	return "PXAT", strconv.FormatInt(now+long, 10)
}

func (g *gen) streamID(key string, valid bool) string {
	last := g.xlast[key]
	if !valid || g.n(20) == 0 {
		return strconv.FormatUint(last/2, 10) + "-" + strconv.Itoa(g.n(3))
	}
	ms := last + uint64(g.n(3))
	g.xlast[key] = ms
	if g.n(3) == 0 {
		return strconv.FormatUint(ms, 10) + "-*"
	}
	return strconv.FormatUint(ms, 10) + "-" + strconv.Itoa(1+g.n(5))
}

func (g *gen) xid() string {
	return strconv.Itoa(1000+g.n(60)) + "-" + strconv.Itoa(g.n(6))
}

// one returns one command.
func (g *gen) one() []string {
	g.counter++
	switch g.n(100) {
	// Generic.
	case 0, 1:
		return []string{g.pick("DEL", "UNLINK"), g.anyKey(), g.anyKey()}
	case 2, 3:
		cmd := []string{g.pick("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"), g.anyKey()}
		now := g.now()
		var t int64
		switch cmd[0] {
		case "EXPIRE":
			t = 3600 + int64(g.n(100000))
		case "PEXPIRE":
			t = 3600000 + int64(g.n(100000000))
			if !g.direct && !g.longTTL && g.n(4) == 0 {
				t = int64(g.n(50))
			}
		case "EXPIREAT":
			t = now/1000 + 3600 + int64(g.n(100000))
		default:
			t = now + 3600000 + int64(g.n(100000000))
			if !g.direct && !g.longTTL && g.n(6) == 0 {
				t = now - 1000
			}
		}
		cmd = append(cmd, strconv.FormatInt(t, 10))
		if g.n(3) == 0 {
			cmd = append(cmd, g.pick("NX", "XX", "GT", "LT"))
		}
		return cmd
	case 4:
		return []string{"PERSIST", g.anyKey()}
	case 5:
		k := g.anyKey()
		return []string{g.pick("RENAME", "RENAMENX"), k, k[:2] + strconv.Itoa(g.n(10))}
	case 6:
		return []string{"MOVE", g.anyKey(), strconv.Itoa(g.n(g.dbs))}
	case 7:
		k := g.anyKey()
		c := []string{"COPY", k, k[:2] + strconv.Itoa(g.n(10))}
		if g.n(2) == 0 {
			c = append(c, "DB", strconv.Itoa(g.n(g.dbs)))
		}
		if g.n(2) == 0 {
			c = append(c, "REPLACE")
		}
		return c
	case 8:
		if g.n(6) == 0 {
			return []string{"SWAPDB", strconv.Itoa(g.n(g.dbs)), strconv.Itoa(g.n(g.dbs))}
		}
		if g.n(40) == 0 {
			return []string{"FLUSHDB", g.pick("SYNC", "ASYNC")}
		}
		return []string{"SELECT", strconv.Itoa(g.n(g.dbs))}
	case 9:
		// RESTORE from a DUMP of an existing key.
		k := g.anyKey()
		p, ok := g.query("DUMP", k).(string)
		if !ok {
			return []string{"DEL", k + "x"}
		}
		c := []string{"RESTORE", k[:2] + strconv.Itoa(g.n(10)), "0", p, "REPLACE"}
		switch g.n(3) {
		case 0:
			c[2] = strconv.Itoa(3600000 + g.n(1000))
		case 1:
			c[2] = strconv.FormatInt(g.now()+3600000, 10)
			c = append(c, "ABSTTL")
		}
		if g.n(4) == 0 {
			c = append(c, "IDLETIME", "10")
		}
		return c
	case 10:
		return g.sortCmd()
	// Strings.
	case 11, 12, 13, 14:
		c := []string{"SET", g.key("s:", 12), g.val()}
		switch g.n(6) {
		case 0:
			c = append(c, g.pick("NX", "XX"))
		case 1:
			a, b := g.ttl(true)
			c = append(c, a, b)
		case 2:
			c = append(c, "KEEPTTL")
		case 3:
			c = append(c, "GET")
		case 4:
			a, b := g.ttl(false)
			c = append(c, g.pick("NX", "XX"), a, b, "GET")
		}
		return c
	case 15:
		k := g.key("s:", 12)
		switch g.n(4) {
		case 0:
			return []string{"SETNX", k, g.val()}
		case 1:
			return []string{"SETEX", k, strconv.Itoa(3600 + g.n(100)), g.val()}
		case 2:
			return []string{"PSETEX", k, strconv.Itoa(3600000 + g.n(100)), g.val()}
		}
		return []string{"GETSET", k, g.val()}
	case 16:
		c := []string{g.pick("MSET", "MSETNX")}
		for i := 0; i < 1+g.n(3); i++ {
			c = append(c, g.key("s:", 12), g.val())
		}
		return c
	case 17:
		return []string{"APPEND", g.key("s:", 12), g.val()}
	case 18:
		return []string{"SETRANGE", g.key("s:", 12), strconv.Itoa(g.n(40)), g.val()}
	case 19, 20:
		k := g.key("s:", 12)
		switch g.n(6) {
		case 0:
			return []string{"INCR", k}
		case 1:
			return []string{"DECR", k}
		case 2:
			return []string{"INCRBY", k, strconv.Itoa(g.n(2000) - 1000)}
		case 3:
			return []string{"DECRBY", k, g.pick("5", "-9223372036854775808", "9223372036854775807", "100")}
		}
		return []string{"INCRBYFLOAT", k, g.pick("1.5", "0.1", "-3.25", "1e10", "2.5e-5", "100", "7", "-0.1", "1e300", "abc", "0x10", "3.0000000000000001")}
	case 21:
		k := g.key("s:", 12)
		if g.n(2) == 0 {
			return []string{"GETDEL", k}
		}
		c := []string{"GETEX", k}
		if g.n(3) == 0 {
			return append(c, "PERSIST")
		}
		a, b := g.ttl(true)
		return append(c, a, b)
	// Bitmaps.
	case 22:
		return []string{"SETBIT", g.key("b:", 4), strconv.Itoa(g.n(2000)), strconv.Itoa(g.n(2))}
	case 23:
		op := g.pick("AND", "OR", "XOR", "NOT")
		c := []string{"BITOP", op, g.key("b:", 4), g.key("b:", 4)}
		if op != "NOT" {
			c = append(c, g.key("b:", 4), g.key(g.pick("b:", "s:"), 4))
		}
		return c
	case 24:
		c := []string{"BITFIELD", g.key("b:", 4)}
		ow := g.pick("WRAP", "SAT", "FAIL")
		if ow == "FAIL" {
			c = append(c, "SET", "u1", "0", "1")
		}
		c = append(c, "OVERFLOW", ow)
		for i := 0; i < 1+g.n(3); i++ {
			typ := g.pick("i", "u") + strconv.Itoa(1+g.n(30))
			if g.n(8) == 0 {
				typ = g.pick("i64", "u63", "i1")
			}
			off := strconv.Itoa(g.n(300))
			if g.n(2) == 0 {
				off = "#" + strconv.Itoa(g.n(20))
			}
			switch g.n(3) {
			case 0:
				c = append(c, "GET", typ, off)
			case 1:
				c = append(c, "SET", typ, off, strconv.FormatInt(g.r.Int64N(1<<40)-(1<<39), 10))
			default:
				c = append(c, "INCRBY", typ, off, strconv.FormatInt(g.r.Int64N(1<<20)-(1<<19), 10))
			}
		}
		return c
	// HyperLogLog.
	case 25, 26:
		c := []string{"PFADD", g.key("p:", 4)}
		n := g.n(6)
		if g.n(8) == 0 {
			n = 200 + g.n(1200)
		}
		for i := 0; i < n; i++ {
			c = append(c, "e"+strconv.Itoa(g.n(100000)))
		}
		return c
	case 27:
		if g.n(2) == 0 {
			return []string{"PFCOUNT", g.key("p:", 4)}
		}
		return []string{"PFMERGE", g.key("p:", 4), g.key("p:", 4), g.key("p:", 4)}
	// Geo.
	case 28, 29:
		c := []string{"GEOADD", g.key("g:", 3)}
		if g.n(4) == 0 {
			c = append(c, g.pick("NX", "XX", "CH"))
		}
		for i := 0; i < 1+g.n(4); i++ {
			c = append(c, strconv.FormatFloat(g.r.Float64()*20-10, 'f', 6, 64), strconv.FormatFloat(g.r.Float64()*20+40, 'f', 6, 64), "place"+strconv.Itoa(g.n(50)))
		}
		return c
	case 30:
		return g.geoStore()
	// Lists.
	case 31, 32, 33:
		c := []string{g.pick("LPUSH", "RPUSH", "LPUSH", "RPUSH", "LPUSHX", "RPUSHX"), g.key("l:", 8)}
		for i := 0; i < 1+g.n(4); i++ {
			c = append(c, g.member())
		}
		if g.n(30) == 0 {
			for i := 0; i < 150; i++ {
				c = append(c, g.val())
			}
		}
		return c
	case 34:
		return []string{"LINSERT", g.key("l:", 8), g.pick("BEFORE", "AFTER"), g.member(), g.val()}
	case 35:
		return []string{"LSET", g.key("l:", 8), strconv.Itoa(g.n(20) - 10), g.val()}
	case 36:
		return []string{"LREM", g.key("l:", 8), strconv.Itoa(g.n(7) - 3), g.member()}
	case 37:
		return []string{"LTRIM", g.key("l:", 8), strconv.Itoa(g.n(10) - 3), strconv.Itoa(g.n(40) - 5)}
	case 38, 39:
		c := []string{g.pick("LPOP", "RPOP"), g.key("l:", 8)}
		if g.n(2) == 0 {
			c = append(c, strconv.Itoa(g.n(4)))
		}
		return c
	case 40:
		switch g.n(6) {
		case 0:
			return []string{"RPOPLPUSH", g.key("l:", 8), g.key("l:", 8)}
		case 1:
			return []string{"LMPOP", "2", g.key("l:", 8), g.key("l:", 8), g.pick("LEFT", "RIGHT"), "COUNT", strconv.Itoa(1 + g.n(3))}
		case 2:
			return []string{g.pick("BLPOP", "BRPOP"), g.key("l:", 8), g.key("l:", 8), "0.001"}
		case 3:
			return []string{"BLMOVE", g.key("l:", 8), g.key("l:", 8), g.pick("LEFT", "RIGHT"), g.pick("LEFT", "RIGHT"), "0.001"}
		case 4:
			return []string{"BLMPOP", "0.001", "1", g.key("l:", 8), g.pick("LEFT", "RIGHT")}
		}
		return []string{"LMOVE", g.key("l:", 8), g.key("l:", 8), g.pick("LEFT", "RIGHT"), g.pick("LEFT", "RIGHT")}
	// Sets.
	case 41, 42, 43:
		c := []string{"SADD", g.key("S:", 8)}
		for i := 0; i < 1+g.n(5); i++ {
			c = append(c, g.member())
		}
		if g.n(25) == 0 {
			for i := 0; i < 140; i++ {
				c = append(c, strconv.Itoa(g.n(100000)))
			}
		}
		return c
	case 44:
		return []string{"SREM", g.key("S:", 8), g.member(), g.member()}
	case 45:
		return []string{"SMOVE", g.key("S:", 8), g.key("S:", 8), g.member()}
	case 46:
		if g.direct {
			return []string{"SPOP", g.key("S:", 8), "1000"}
		}
		c := []string{"SPOP", g.key("S:", 8)}
		if g.n(2) == 0 {
			c = append(c, strconv.Itoa(g.n(5)))
		}
		return c
	case 47:
		c := []string{g.pick("SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"), g.key("S:", 8)}
		for i := 0; i < 1+g.n(3); i++ {
			c = append(c, g.key("S:", 8))
		}
		return c
	// Sorted sets.
	case 48, 49, 50, 51:
		c := []string{"ZADD", g.key("z:", 8)}
		if g.n(3) == 0 {
			c = append(c, g.pick("NX", "XX", "GT", "LT", "CH", "XX GT", "XX LT", "GT CH"))
			if strings.Contains(c[2], " ") {
				c = append(c[:2], strings.Fields(c[2])...)
			}
		}
		n := 1 + g.n(4)
		if g.n(5) == 0 {
			c = append(c, "INCR")
			n = 1
		}
		if g.n(30) == 0 {
			n = 140
		}
		for i := 0; i < n; i++ {
			c = append(c, g.score(), g.member())
		}
		return c
	case 52:
		return []string{"ZINCRBY", g.key("z:", 8), g.score(), g.member()}
	case 53:
		return []string{"ZREM", g.key("z:", 8), g.member(), g.member()}
	case 54:
		lo := g.pick("-inf", "(0", "1", "-5", "(-2.5", "10")
		hi := g.pick("+inf", "(5", "20", "0", "(100")
		return []string{"ZREMRANGEBYSCORE", g.key("z:", 8), lo, hi}
	case 55:
		return []string{"ZREMRANGEBYRANK", g.key("z:", 8), strconv.Itoa(g.n(6) - 3), strconv.Itoa(g.n(8) - 3)}
	case 56:
		// Lex commands only on sets whose scores are all 0 (FORMATS.md §5.3).
		switch g.n(4) {
		case 0:
			return []string{"ZREMRANGEBYLEX", g.key("zl:", 3), g.pick("-", "[m1", "(m2", "[a"), g.pick("+", "[m3", "(m5", "[z")}
		case 1:
			c := []string{"ZRANGESTORE", g.key("zl:", 3), g.key("zl:", 3), g.pick("-", "[m1", "(m2"), g.pick("+", "[m3", "(m5"), "BYLEX"}
			if g.n(2) == 0 {
				c = []string{"ZRANGESTORE", c[1], c[2], c[4], c[3], "BYLEX", "REV"}
			}
			if g.n(2) == 0 {
				c = append(c, "LIMIT", strconv.Itoa(g.n(3)), strconv.Itoa(g.n(5)-1))
			}
			return c
		case 2:
			return []string{"ZREM", g.key("zl:", 3), g.member()}
		}
		c := []string{"ZADD", g.key("zl:", 3)}
		for i := 0; i < 1+g.n(4); i++ {
			c = append(c, "0", g.member())
		}
		return c
	case 57:
		c := []string{g.pick("ZPOPMIN", "ZPOPMAX"), g.key("z:", 8)}
		if g.n(2) == 0 {
			c = append(c, strconv.Itoa(g.n(4)))
		}
		return c
	case 58:
		switch g.n(3) {
		case 0:
			return []string{"ZMPOP", "2", g.key("z:", 8), g.key("z:", 8), g.pick("MIN", "MAX"), "COUNT", strconv.Itoa(1 + g.n(3))}
		case 1:
			return []string{g.pick("BZPOPMIN", "BZPOPMAX"), g.key("z:", 8), "0.001"}
		}
		return []string{"BZMPOP", "0.001", "1", g.key("z:", 8), g.pick("MIN", "MAX")}
	case 59, 60:
		op := g.pick("ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE")
		n := 1 + g.n(3)
		c := []string{op, g.key("z:", 8), strconv.Itoa(n)}
		for i := 0; i < n; i++ {
			c = append(c, g.key(g.pick("z:", "z:", "S:"), 8))
		}
		if op != "ZDIFFSTORE" {
			if g.n(2) == 0 {
				c = append(c, "WEIGHTS")
				for i := 0; i < n; i++ {
					c = append(c, g.pick("1", "2", "0.5", "-1", "0", "inf", "1e-3"))
				}
			}
			if g.n(2) == 0 {
				c = append(c, "AGGREGATE", g.pick("SUM", "MIN", "MAX"))
			}
		}
		return c
	case 61:
		c := []string{"ZRANGESTORE", g.key("z:", 8), g.key("z:", 8)}
		switch g.n(3) {
		case 0:
			c = append(c, strconv.Itoa(g.n(6)-3), strconv.Itoa(g.n(10)-3))
			if g.n(2) == 0 {
				c = append(c, "REV")
			}
		default:
			lo, hi := g.pick("-inf", "(0", "1", "-5", "(-2.5"), g.pick("+inf", "(5", "20", "0")
			c = append(c, lo, hi, "BYSCORE")
			if g.n(2) == 0 {
				c[3], c[4] = hi, lo
				c = append(c, "REV")
			}
			if g.n(2) == 0 {
				// No negative offset: Redis 7.4, 8.0 and Valkey 8.0 give
				// one on a skiplist-encoded set a meaning a listpack's
				// does not have (TestServerBugRangeNegativeOffset).
				c = append(c, "LIMIT", strconv.Itoa(g.n(4)), strconv.Itoa(g.n(6)-1))
			}
		}
		return c
	// Hashes.
	case 62, 63, 64:
		c := []string{g.pick("HSET", "HMSET"), g.key("h:", 8)}
		n := 1 + g.n(4)
		if g.n(30) == 0 {
			n = 140
		}
		for i := 0; i < n; i++ {
			c = append(c, g.member(), g.val())
		}
		return c
	case 65:
		return []string{"HSETNX", g.key("h:", 8), g.member(), g.val()}
	case 66:
		return []string{"HDEL", g.key("h:", 8), g.member(), g.member()}
	case 67:
		if g.n(2) == 0 {
			return []string{"HINCRBY", g.key("h:", 8), g.member(), strconv.Itoa(g.n(200) - 100)}
		}
		return []string{"HINCRBYFLOAT", g.key("h:", 8), g.member(), g.pick("1.5", "0.1", "-2.75", "1e5", "3", "abc", "1e-7")}
	// Streams.
	case 68, 69, 70, 71:
		k := g.key("x:", 4)
		c := []string{"XADD", k}
		if g.n(8) == 0 {
			c = append(c, "NOMKSTREAM")
		}
		if g.n(4) == 0 {
			if g.n(2) == 0 {
				c = append(c, "MAXLEN", g.pick("=", "~", "="), strconv.Itoa(3+g.n(30)))
			} else {
				c = append(c, "MINID", g.pick("=", "~"), strconv.FormatUint(g.xlast[k]/2+1, 10))
			}
			if c[len(c)-2] == "~" && g.n(2) == 0 {
				c = append(c, "LIMIT", strconv.Itoa(g.n(200)))
			}
		}
		if g.direct || g.n(2) == 0 {
			c = append(c, g.streamID(k, true))
		} else {
			c = append(c, "*")
		}
		for i := 0; i < 1+g.n(3); i++ {
			c = append(c, g.pick("name", "age", "f"+strconv.Itoa(g.n(5))), g.val())
		}
		return c
	case 72:
		c := []string{"XTRIM", g.key("x:", 4)}
		if g.n(2) == 0 {
			c = append(c, "MAXLEN", g.pick("=", "~", ""), strconv.Itoa(g.n(40)))
		} else {
			c = append(c, "MINID", g.pick("=", "~", ""), strconv.FormatUint(uint64(g.n(2000)), 10))
		}
		if c[3] == "" {
			c = append(c[:3], c[4])
		}
		return c
	case 73:
		k := g.key("x:", 4)
		return []string{"XDEL", k, strconv.FormatUint(g.xlast[k]-uint64(g.n(5)), 10) + "-" + strconv.Itoa(1+g.n(3)), g.xid()}
	case 74:
		k := g.key("x:", 4)
		c := []string{"XSETID", k, strconv.FormatUint(g.xlast[k]+uint64(g.n(3)), 10) + "-" + strconv.Itoa(10+g.n(5))}
		if g.n(2) == 0 {
			c = append(c, "ENTRIESADDED", strconv.Itoa(100+g.n(100)))
		}
		if g.n(2) == 0 {
			c = append(c, "MAXDELETEDID", "1-1")
		}
		return c
	case 75, 76:
		k := g.key("x:", 4)
		grp := g.pick("g1", "g2", "g3")
		switch g.n(6) {
		case 0:
			c := []string{"XGROUP", "CREATE", k, grp, g.pick("$", "0", "0-0")}
			if g.n(2) == 0 {
				c = append(c, "MKSTREAM")
			}
			if g.n(3) == 0 {
				c = append(c, "ENTRIESREAD", strconv.Itoa(g.n(5)))
			}
			return c
		case 1:
			return []string{"XGROUP", "SETID", k, grp, g.pick("$", "0", "1000-1")}
		case 2:
			if g.n(4) == 0 {
				return []string{"XGROUP", "DESTROY", k, grp}
			}
			return []string{"XGROUP", "CREATECONSUMER", k, grp, g.pick("alice", "bob", "carol")}
		case 3:
			return []string{"XGROUP", "DELCONSUMER", k, grp, g.pick("alice", "bob", "carol")}
		}
		return []string{"XREADGROUP", "GROUP", grp, g.pick("alice", "bob", "carol"), "COUNT", strconv.Itoa(1 + g.n(3)), "STREAMS", k, g.pick(">", ">", "0")}
	case 77, 78:
		k := g.key("x:", 4)
		grp := g.pick("g1", "g2", "g3")
		switch g.n(3) {
		case 0:
			return []string{"XACK", k, grp, g.xid(), strconv.FormatUint(g.xlast[k], 10) + "-1"}
		case 1:
			c := []string{"XCLAIM", k, grp, g.pick("alice", "bob", "dave"), strconv.Itoa(g.n(2)), strconv.FormatUint(g.xlast[k], 10) + "-1", g.xid()}
			for _, o := range []string{"JUSTID", "FORCE", "RETRYCOUNT", "IDLE"} {
				if g.n(3) == 0 {
					c = append(c, o)
					if o == "RETRYCOUNT" || o == "IDLE" {
						c = append(c, strconv.Itoa(g.n(5)))
					}
				}
			}
			return c
		}
		return []string{"XAUTOCLAIM", k, grp, g.pick("alice", "dave"), "0", "0-0", "COUNT", strconv.Itoa(1 + g.n(5))}
	// Functions.
	case 79:
		if g.n(3) != 0 {
			return []string{"HGET", "h:0", "x"}
		}
		lib := "lib" + strconv.Itoa(g.n(3))
		switch g.n(5) {
		case 0:
			return []string{"FUNCTION", "DELETE", lib}
		case 1:
			if g.n(5) == 0 {
				return []string{"FUNCTION", "FLUSH"}
			}
			p, ok := g.query("FUNCTION", "DUMP").(string)
			if !ok {
				return []string{"FUNCTION", "FLUSH"}
			}
			return []string{"FUNCTION", "RESTORE", p, g.pick("FLUSH", "APPEND", "REPLACE")}
		}
		c := []string{"FUNCTION", "LOAD"}
		if g.n(2) == 0 {
			c = append(c, "REPLACE")
		}
		code := "#!lua name=" + lib + "\nredis.register_function('" + lib + "_f" + strconv.Itoa(g.n(2)) + "', function(keys, args) return " + strconv.Itoa(g.n(100)) + " end)"
		return append(c, code)
	// Scripts (effects replication: the AOF gets the commands).
	case 80:
		if g.direct {
			return []string{"SET", g.key("s:", 12), "from-script"}
		}
		return []string{"EVAL", "redis.call('set', KEYS[1], ARGV[1]); redis.call('incr', KEYS[2]); return redis.call('lpush', KEYS[3], ARGV[1])", "3",
			g.key("s:", 12), g.key("s:", 12), g.key("l:", 8), g.val()}
	// Hash field TTLs (Redis 7.4+, HSETEX/HGETEX/HGETDEL 8.0+, Valkey
	// 9.0+): only where the release filter drops them from servers that
	// lack them (not in direct mode, whose engine runs a version).
	case 81, 82:
		if g.rel == nil {
			return []string{"HSET", g.key("h:", 8), g.member(), g.val()}
		}
		return g.hashTTLCmd()
	}
	// The rest: more of the common writes.
	switch g.n(4) {
	case 0:
		return []string{"SET", g.key("s:", 12), g.val()}
	case 1:
		return []string{"HSET", g.key("h:", 8), g.member(), g.val()}
	case 2:
		return []string{"RPUSH", g.key("l:", 8), g.member()}
	}
	return []string{"ZADD", g.key("z:", 8), g.score(), g.member()}
}

// fields returns "FIELDS", n and n fields of a small hash.
func (g *gen) fields(withValues bool) []string {
	n := 1 + g.n(3)
	c := []string{"FIELDS", strconv.Itoa(n)}
	for i := 0; i < n; i++ {
		c = append(c, g.member())
		if withValues {
			c = append(c, g.val())
		}
	}
	return c
}

// hashTTLCmd returns a hash field TTL command: HEXPIRE and its family with
// NX/XX/GT/LT, HPERSIST, HSETEX, HGETEX, HGETDEL. Field TTLs are an hour
// or more, or (short TTLs) a few ms, so that fields expire during the run.
func (g *gen) hashTTLCmd() []string {
	k := g.key("h:", 8)
	now := g.now()
	ms := 3600000 + int64(g.n(1000000))
	if !g.longTTL && g.n(3) == 0 {
		ms = int64(1 + g.n(40))
	}
	cond := func(c []string) []string {
		if g.n(3) == 0 {
			c = append(c, g.pick("NX", "XX", "GT", "LT"))
		}
		return c
	}
	switch g.n(6) {
	case 0, 1:
		var c []string
		switch g.n(4) {
		case 0:
			c = []string{"HEXPIRE", k, strconv.FormatInt(ms/1000+1, 10)}
		case 1:
			c = []string{"HPEXPIRE", k, strconv.FormatInt(ms, 10)}
		case 2:
			c = []string{"HEXPIREAT", k, strconv.FormatInt((now+ms)/1000+1, 10)}
		default:
			c = []string{"HPEXPIREAT", k, strconv.FormatInt(now+ms, 10)}
		}
		return append(cond(c), g.fields(false)...)
	case 2:
		return append([]string{"HPERSIST", k}, g.fields(false)...)
	case 3:
		c := []string{"HSETEX", k}
		if g.n(3) == 0 {
			c = append(c, g.pick("FNX", "FXX"))
		}
		switch g.n(3) {
		case 0:
			c = append(c, "PX", strconv.FormatInt(ms, 10))
		case 1:
			c = append(c, "PXAT", strconv.FormatInt(now+ms, 10))
		default:
			c = append(c, g.pick("KEEPTTL", "EX"))
			if c[len(c)-1] == "EX" {
				c = append(c, strconv.FormatInt(ms/1000+1, 10))
			}
		}
		return append(c, g.fields(true)...)
	case 4:
		c := []string{"HGETEX", k}
		switch g.n(3) {
		case 0:
			c = append(c, "PX", strconv.FormatInt(ms, 10))
		case 1:
			c = append(c, "PERSIST")
		}
		return append(c, g.fields(false)...)
	}
	return append([]string{"HGETDEL", k}, g.fields(false)...)
}

func (g *gen) sortCmd() []string {
	src := g.key(g.pick("l:", "S:", "z:"), 8)
	c := []string{"SORT", src}
	alpha := g.n(2) == 0
	if g.n(3) == 0 {
		by := g.pick("s:*", "h:*->m1", "nosort", "s:*")
		if !(alpha && (strings.HasPrefix(src, "S:") || strings.HasPrefix(src, "z:"))) || by == "nosort" {
			c = append(c, "BY", by)
		}
	}
	if g.n(3) == 0 {
		c = append(c, "LIMIT", strconv.Itoa(g.n(5)-1), strconv.Itoa(g.n(8)-2))
	}
	for i := 0; i < g.n(3); i++ {
		c = append(c, "GET", g.pick("#", "s:*", "h:*->m2"))
	}
	if g.n(2) == 0 {
		c = append(c, "DESC")
	}
	if alpha {
		c = append(c, "ALPHA")
	}
	return append(c, "STORE", g.key("l:", 8))
}

// geoStore returns a GEO*STORE command, with STOREDIST half of the time
// when the engine computes distances with the C library's sin, cos and asin
// as the server does (a cgo build; otherwise about 0.2 % of distances
// differ in their last bits: TestGeoDistRedisServer).
func (g *gen) geoStore() []string {
	src := g.key("g:", 3)
	dst := g.key(g.pick("g:", "z:"), 3)
	unit := g.pick("m", "km", "mi", "ft")
	var c []string
	switch g.n(3) {
	case 0:
		c = []string{"GEORADIUS", src, strconv.FormatFloat(g.r.Float64()*20-10, 'f', 4, 64), strconv.FormatFloat(g.r.Float64()*20+40, 'f', 4, 64),
			strconv.Itoa(100 + g.n(2000)), unit}
		c[5] = "km"
		c = append(c, "STORE", dst)
	case 1:
		c = []string{"GEORADIUSBYMEMBER", src, "place" + strconv.Itoa(g.n(50)), strconv.Itoa(100 + g.n(2000)), "km", "STORE", dst}
	default:
		c = []string{"GEOSEARCHSTORE", dst, src}
		if g.n(2) == 0 {
			c = append(c, "FROMMEMBER", "place"+strconv.Itoa(g.n(50)))
		} else {
			c = append(c, "FROMLONLAT", strconv.FormatFloat(g.r.Float64()*20-10, 'f', 4, 64), strconv.FormatFloat(g.r.Float64()*20+40, 'f', 4, 64))
		}
		if g.n(2) == 0 {
			c = append(c, "BYRADIUS", strconv.Itoa(100+g.n(1500)), "km")
		} else {
			c = append(c, "BYBOX", strconv.Itoa(100+g.n(1500)), strconv.Itoa(100+g.n(1500)), "km")
		}
	}
	if g.n(3) == 0 {
		c = append(c, "COUNT", strconv.Itoa(1+g.n(5)), g.pick("ASC", "DESC"))
	}
	if TrigFromLibm() && g.n(2) == 0 {
		if c[0] == "GEOSEARCHSTORE" {
			c = append(c, "STOREDIST")
		} else {
			c[slices.Index(c, "STORE")] = "STOREDIST"
		}
	}
	return c
}

// next returns one command the server has: with rel set, a command
// outside rel's command table (or of an arity rel refuses) is counted in
// dropped and another is drawn.
func (g *gen) next() []string {
	for {
		c := g.one()
		if g.rel == nil {
			return c
		}
		if cmd, ok := g.rel.CommandArgs(toArgv(c)); ok && cmd.ArityOK(len(c)) {
			return c
		}
		if g.dropped == nil {
			g.dropped = map[string]int{}
		}
		g.dropped[release.CommandName(toArgv(c))]++
	}
}

// block returns the next unit of work: one command, or a MULTI block.
func (g *gen) block() [][]string {
	if g.n(25) == 0 {
		out := [][]string{{"MULTI"}}
		for i := 0; i < 2+g.n(4); i++ {
			c := g.next()
			if c[0] == "SELECT" || c[0] == "RESTORE" || strings.HasPrefix(c[0], "B") || c[0] == "FUNCTION" || c[0] == "EVAL" {
				c = []string{"INCR", g.key("s:", 12)}
			}
			out = append(out, c)
		}
		return append(out, []string{"EXEC"})
	}
	return [][]string{g.next()}
}

// diffRun drives a server and the engines.
type diffRun struct {
	t       *testing.T
	c       *respConn
	v       ServerVersion
	dir     string
	seed    uint64
	sent    int
	errs    int
	direct  *Engine
	replay  bool // comparing a replay of the server's files
	pending [][]string
	mism    int
	limits  *release.Limits // the server's encoding limits, nil for the defaults
	// For loadedDigestValue: the server binary, the arguments that set its
	// limits, what the current comparison loaded ("aof", "rdb" or "") and
	// the server that loaded a copy of it.
	bin       string
	limitArgs []string
	loadFrom  string
	loaded    *respConn
	loadedSrv *testserver.Server
	// hfe: the server has hash field TTLs (HPEXPIRETIME); fieldTTLs
	// counts the hashes whose fields' expire times compareTTLs compared
	hfe       bool
	fieldTTLs int
	// selfDiff: the keys of this comparison on which the live server
	// differs from a server loading its own files, which the engine
	// equals (dbKey)
	selfDiff map[string]bool
	defects  int // such keys over all comparisons
}

// endLoad ends a comparison of a replay: the server that loaded its files
// (if any) is stopped.
func (d *diffRun) endLoad() {
	d.replay, d.loadFrom = false, ""
	if d.loaded != nil {
		d.loaded.c.Close()
		d.loadedSrv.Stop()
		d.loaded, d.loadedSrv = nil, nil
	}
}

// newEngine returns an empty engine of the server's version and limits.
func (d *diffRun) newEngine() *Engine {
	return NewWithOptions(d.v, Options{Limits: d.limits})
}

func toArgv(c []string) [][]byte {
	a := make([][]byte, len(c))
	for i, s := range c {
		a[i] = []byte(s)
	}
	return a
}

// flush sends the pending commands, reads the replies and, in direct
// mode, executes each command in the engine and compares error-ness.
func (d *diffRun) flush() {
	if len(d.pending) == 0 {
		return
	}
	sent := 0
	inMulti := false
	var queued [][]string
	for i, a := range d.pending {
		if i == sent {
			var err error
			if sent, err = d.c.sendWindow(d.pending, sent); err != nil {
				d.t.Fatal(err)
			}
		}
		r, err := d.c.reply()
		if err != nil {
			d.t.Fatalf("seed %d: reply to %q: %v", d.seed, abbrevS(a), err)
		}
		_, isErr := r.(respError)
		if isErr {
			d.errs++
		}
		d.sent++
		if d.direct == nil {
			continue
		}
		name := strings.ToUpper(a[0])
		switch {
		case name == "MULTI":
			inMulti = true
			queued = nil
			d.direct.Exec(toArgv(a))
			continue
		case name == "EXEC":
			inMulti = false
			eerr := d.direct.Exec(toArgv(a))
			arr, ok := r.([]any)
			if !ok {
				if (eerr == nil) != (r != nil && !isErr) {
					d.mismatch("EXEC: server %v, engine %v", r, eerr)
				}
				continue
			}
			failed := map[int]bool{}
			if x, ok := eerr.(*ExecError); ok {
				for _, f := range x.Failed {
					failed[f.Index] = true
				}
			} else if eerr != nil {
				d.mismatch("EXEC: server ran it, engine %v", eerr)
			}
			for i, el := range arr {
				_, se := el.(respError)
				if se != failed[i] && i < len(queued) {
					d.mismatch("in MULTI %q: server error=%v (%v), engine error=%v", abbrevS(queued[i]), se, el, failed[i])
				}
			}
			continue
		case inMulti:
			queued = append(queued, a)
			if err := d.direct.Exec(toArgv(a)); err != nil && !isErr {
				d.mismatch("queueing %q: engine %v", abbrevS(a), err)
			}
			continue
		}
		var before string
		if len(a) > 1 {
			v, _, _ := d.direct.Lookup(d.direct.Selected(), []byte(a[1]))
			before = describe(v)
		}
		eerr := d.direct.Exec(toArgv(a))
		if (eerr != nil) != isErr {
			d.mismatch("%q: server %v, engine %v (engine value before: %s)", abbrevS(a), r, eerr, before)
		}
	}
	d.pending = d.pending[:0]
}

func (d *diffRun) mismatch(format string, args ...any) {
	d.mism++
	if d.mism <= 20 {
		d.t.Errorf("seed %d: command #%d: "+format, append([]any{d.seed, d.sent}, args...)...)
	}
}

func abbrevS(a []string) string {
	b := make([][]byte, len(a))
	for i, s := range a {
		b[i] = []byte(s)
	}
	return abbrev(b)
}

func (d *diffRun) query(args ...string) any {
	d.flush()
	d.c.send(args...)
	if err := d.c.w.Flush(); err != nil {
		d.t.Fatal(err)
	}
	r, err := d.c.reply()
	if err != nil {
		d.t.Fatal(err)
	}
	if e, ok := r.(respError); ok {
		return e
	}
	return r
}

func (d *diffRun) run(g *gen, n int) {
	for d.sent+len(d.pending) < n {
		d.pending = append(d.pending, g.block()...)
		if len(d.pending) >= 200 {
			d.flush()
		}
	}
	d.flush()
}

// serverValue renders a key's value as the server reports it (debugging).
func (d *diffRun) serverValue(db int, key string) string {
	d.query("SELECT", strconv.Itoa(db))
	typ, _ := d.query("TYPE", key).(string)
	var r any
	switch typ {
	case "string":
		r = d.query("GET", key)
	case "list":
		r = d.query("LRANGE", key, "0", "-1")
	case "set":
		r = d.query("SMEMBERS", key)
	case "zset":
		r = d.query("ZRANGE", key, "0", "-1", "WITHSCORES")
	case "hash":
		r = d.query("HGETALL", key)
	case "stream":
		r = d.query("XRANGE", key, "-", "+")
	}
	s := fmt.Sprintf("%s %q", typ, r)
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}

// compare checks an engine against the server: DEBUG DIGEST, DBSIZE of
// every database and, when full or on a mismatch, DIGEST-VALUE of every
// key the engine has; then the expire times (compareTTLs).
func (d *diffRun) compare(what string, e *Engine, full bool) bool {
	if d.v.DigestSkipsExpiredFields() {
		// The server digests at its time, leaving out the hash fields
		// expired by then: wait until none expires during the comparison,
		// and digest at the time of the wall clock.
		settleFieldTTLs(e)
		if e.opts.Now == nil {
			defer e.SetTime(e.clock)
			e.SetTime(time.Now().UnixMilli())
		}
	}
	d.selfDiff = map[string]bool{}
	ok := d.compareDigests(what, e, full)
	return d.compareTTLs(what, e) && ok
}

// dbKey names key k of database db in a map.
func dbKey(db int, k []byte) string { return strconv.Itoa(db) + "\x00" + string(k) }

// settleFieldTTLs waits until no hash field of e expires within the next
// 2 s (short TTLs are up to a second: HEXPIRE and EX round up).
func settleFieldTTLs(e *Engine) {
	now := time.Now().UnixMilli()
	last := int64(-1)
	for _, db := range e.DBs() {
		for _, k := range e.Keys(db) {
			v, _, _ := e.Lookup(db, k)
			if v == nil || v.Kind != rdbfile.KindHash {
				continue
			}
			for _, f := range v.Hash {
				if f.ExpireAt >= now && f.ExpireAt < now+2000 {
					last = max(last, f.ExpireAt)
				}
			}
		}
	}
	if last >= 0 {
		time.Sleep(time.Duration(last-now+5) * time.Millisecond)
	}
}

// compareTTLs checks every key's expire time (PEXPIRETIME) and, where the
// server has field TTLs (d.hfe), every hash field's (HPEXPIRETIME) against
// the engine's: a digest sees only that a key has an expire, and no
// field's. Times within 2 s of now are skipped on both sides: such a key
// or field may expire between the two reads.
func (d *diffRun) compareTTLs(what string, e *Engine) bool {
	t := d.t
	d.flush()
	soon := time.Now().UnixMilli() + 2000
	live := func(ms int64) bool { return ms < 0 || ms > soon }
	// An engine executing commands as they are sent (direct mode) turns a
	// relative TTL into a time from its own clock, read a few ms after the
	// server's: times within a second count as equal there.
	var tol int64
	if e == d.direct {
		tol = 1000
	}
	differ := func(a, b int64) bool { return a != b && (a < 0 || b < 0 || max(a-b, b-a) > tol) }
	bad := 0
	for _, db := range e.DBs() {
		d.query("SELECT", strconv.Itoa(db))
		for _, k := range e.Keys(db) {
			if d.selfDiff[dbKey(db, k)] {
				continue // the live server differs from its own files (compareDigests)
			}
			v, exp, _ := e.Lookup(db, k)
			got, _ := d.query("PEXPIRETIME", string(k)).(int64)
			if live(exp) && live(got) && differ(got, exp) {
				if bad++; bad <= 8 {
					t.Errorf("seed %d: %s: db %d key %q: PEXPIRETIME server %d, engine %d", d.seed, what, db, k, got, exp)
				}
			}
			if !d.hfe || !live(exp) || !live(got) || v == nil || v.Kind != rdbfile.KindHash || len(v.Hash) == 0 {
				continue // (a key about to expire may be gone already)
			}
			args := []string{"HPEXPIRETIME", string(k), "FIELDS", strconv.Itoa(len(v.Hash))}
			for _, f := range v.Hash {
				args = append(args, string(f.Field))
			}
			l, _ := d.query(args...).([]any)
			if len(l) != len(v.Hash) {
				bad++
				t.Errorf("seed %d: %s: db %d key %q: HPEXPIRETIME %v", d.seed, what, db, k, l)
				continue
			}
			for i, f := range v.Hash {
				g, _ := l[i].(int64)
				if live(f.ExpireAt) && live(g) && differ(g, f.ExpireAt) {
					if bad++; bad <= 8 {
						t.Errorf("seed %d: %s: db %d key %q field %q: HPEXPIRETIME server %d, engine %d", d.seed, what, db, k, f.Field, g, f.ExpireAt)
					}
				}
			}
			d.fieldTTLs++
		}
	}
	d.query("SELECT", "0")
	return bad == 0
}

// compareDigests is compare without the expire times.
func (d *diffRun) compareDigests(what string, e *Engine, full bool) bool {
	t := d.t
	d.flush()
	want := d.query("DEBUG", "DIGEST").(string)
	got := e.Digest()
	if got == want && !full {
		return true
	}
	ok := true // DBSIZEs and per-key digests agree (up to known quirks)
	reported, quirks := 0, 0
	for db := 0; db < 16; db++ {
		d.query("SELECT", strconv.Itoa(db))
		size := d.query("DBSIZE").(int64)
		if int(size) != e.Len(db) {
			t.Errorf("seed %d: %s: db %d has %d keys on the server, %d in the engine", d.seed, what, db, size, e.Len(db))
			ok = false
			if int(size) > e.Len(db) {
				// Name them, with DEBUG OBJECT (which does not expire
				// keys); KEYS skips logically expired keys.
				keys, _ := d.query("KEYS", "*").([]any)
				for _, k := range keys {
					if _, _, in := e.Lookup(db, []byte(k.(string))); !in {
						t.Logf("  only on the server: db %d key %q: %v, %s", db, k, d.query("DEBUG", "OBJECT", k.(string)), d.serverValue(db, k.(string)))
						if d.replay {
							t.Logf("  a server loading the same files: DIGEST-VALUE %q", d.loadedDigestValue(db, k.(string)))
							t.Logf("AOF commands touching db %d key %q:\n%s", db, k, d.traceKey(-1, []byte(k.(string))))
						}
					}
				}
				if len(keys) == int(size) {
					continue
				}
				t.Logf("  and %d logically expired keys (KEYS skips them)", int(size)-len(keys))
			}
		}
		keys := e.Keys(db)
		for i := 0; i < len(keys); i += 100 {
			batch := keys[i:min(i+100, len(keys))]
			args := []string{"DEBUG", "DIGEST-VALUE"}
			for _, k := range batch {
				args = append(args, string(k))
			}
			d.query("SELECT", strconv.Itoa(db))
			rep := d.query(args...).([]any)
			for j, k := range batch {
				if w, g := rep[j].(string), e.DigestValue(db, k); w != g {
					if d.negZeroOnly(db, string(k), e, w) {
						quirks++
						continue
					}
					if d.replay && d.loadedDigestValue(db, string(k)) == g {
						// The live server holds what its own files do not
						// reproduce; the engine equals a server loading
						// them, which is what it models.
						d.selfDiff[dbKey(db, k)] = true
						d.defects++
						t.Logf("seed %d: %s: db %d key %q: the live server's DIGEST-VALUE %s differs from a server loading its own files, whose %s is the engine's: a server defect, not counted", d.seed, what, db, k, w, g)
						if len(d.selfDiff) <= 3 {
							t.Logf("AOF commands touching db %d key %q:\n%s", db, k, d.traceKey(db, k))
						}
						quirks++
						continue
					}
					ok = false
					reported++
					if d.replay && reported <= 3 {
						t.Logf("AOF commands touching db %d key %q:\n%s", db, k, d.traceKey(db, k))
					}
					if reported <= 8 {
						v, exp, _ := e.Lookup(db, k)
						t.Errorf("seed %d: %s: db %d key %q: DIGEST-VALUE engine %s, server %s\n  server: %s\n  engine: %s (expire %d)",
							d.seed, what, db, k, g, w, d.serverValue(db, string(k)), describe(v), exp)
					}
				}
			}
		}
	}
	d.query("SELECT", "0")
	if quirks > 0 {
		t.Logf("seed %d: %s: %d keys differ from the live server but equal a server loading the same files (sorted sets by -0 scores, FORMATS.md §5.3, and the server defects above)", d.seed, what, quirks)
		if got != want && reported == 0 && ok {
			t.Logf("seed %d: %s: the DEBUG DIGEST difference (engine %s, server %s) is explained by them", d.seed, what, got, want)
			return true
		}
	}
	if got != want {
		t.Errorf("seed %d: %s after %d commands: engine DEBUG DIGEST %s, server %s", d.seed, what, d.sent, got, want)
		ok = false
	}
	if !ok {
		t.Errorf("seed %d: %s: %d keys differ", d.seed, what, reported)
	}
	return ok
}

// negZeroOnly reports whether a key differs from the live server only by
// the sign of zero scores of a sorted set, and a server loading the same
// files (loadedDigestValue) holds exactly the engine's value. The live
// server keeps -0 in a skiplist, while a server loading the rewritten
// files or the RDB builds the set anew: in a listpack when it fits the
// limits (src/rdb.c rdbLoadObject), and from a RESP base by ZADDs that
// insert into a listpack until a member crosses a limit (src/t_zset.c
// zsetTypeCreate, zsetAdd), and a listpack stores -0 as 0 (FORMATS.md
// §5.3). Which -0 survive depends on the order of the rewrite's pairs, so
// the loading server is the judge.
//
// A key whose expire time has passed is not read on the live server (the
// lookup would delete it, as lazy expiry does): the server's DIGEST-VALUE
// live must then be that of the engine's value with some zero scores made
// -0; a restarted server drops such a key anyway.
func (d *diffRun) negZeroOnly(db int, key string, e *Engine, live string) bool {
	v, exp, ok := e.Lookup(db, []byte(key))
	if !ok || v.Kind != rdbfile.KindZSet || !d.replay {
		return false
	}
	if exp != rdbfile.NoExpire && exp <= time.Now().UnixMilli() {
		var zeros []int
		for i, z := range v.ZSet {
			if z.Score == 0 && !math.Signbit(z.Score) {
				zeros = append(zeros, i)
			}
		}
		if len(zeros) == 0 || len(zeros) > 12 {
			return false
		}
		for mask := 1; mask < 1<<len(zeros); mask++ {
			w := *v
			w.ZSet = append([]rdbfile.ZMember(nil), v.ZSet...)
			for j, i := range zeros {
				if mask&(1<<j) != 0 {
					w.ZSet[i].Score = math.Copysign(0, -1)
				}
			}
			if dv, err := ValueDigest(d.v, &w, true); err == nil && dv == live {
				d.t.Logf("seed %d: db %d key %q (expired, not read): the server's DIGEST-VALUE is the engine's value with -0 scores", d.seed, db, key)
				return true
			}
		}
		return false
	}
	d.query("SELECT", strconv.Itoa(db))
	rep, _ := d.query("ZRANGE", key, "0", "-1", "WITHSCORES").([]any)
	if len(rep) != 2*len(v.ZSet) {
		return false
	}
	negZero := false
	for i, z := range v.ZSet {
		m, s := rep[2*i].(string), rep[2*i+1].(string)
		want, err := strconv.ParseFloat(s, 64)
		if m != string(z.Member) || err != nil || want != z.Score {
			return false
		}
		if math.Signbit(want) != math.Signbit(z.Score) {
			negZero = true
		}
	}
	return negZero && d.loadedDigestValue(db, key) == e.DigestValue(db, []byte(key))
}

// loadedDigestValue returns DEBUG DIGEST-VALUE of a key on a second
// server of the same binary and limits that loaded a copy of the files the
// current comparison reads (d.loadFrom: "aof" or "rdb"); "" if it cannot
// tell. The server is started once per comparison.
func (d *diffRun) loadedDigestValue(db int, key string) string {
	if d.bin == "" || d.loadFrom == "" {
		return ""
	}
	if d.loaded == nil {
		dir := d.t.TempDir()
		args := []string{"--enable-debug-command", "yes"}
		if d.loadFrom == "aof" {
			if err := os.CopyFS(filepath.Join(dir, "appendonlydir"), os.DirFS(filepath.Join(d.dir, "appendonlydir"))); err != nil {
				d.t.Fatal(err)
			}
			args = append(args, "--appendonly", "yes")
		} else {
			b, err := os.ReadFile(filepath.Join(d.dir, "dump.rdb"))
			if err != nil {
				d.t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), b, 0o644); err != nil {
				d.t.Fatal(err)
			}
		}
		args = append(args, d.limitArgs...)
		srv := testserver.Start(d.t, d.bin, dir, args...)
		conn, err := net.Dial("tcp", srv.Addr())
		if err != nil {
			d.t.Fatal(err)
		}
		d.loadedSrv = srv
		d.loaded = &respConn{c: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
		d.loaded.do(d.t, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	}
	d.loaded.do(d.t, "SELECT", strconv.Itoa(db))
	rep, ok := d.loaded.do(d.t, "DEBUG", "DIGEST-VALUE", key).([]any)
	if !ok || len(rep) != 1 {
		return ""
	}
	s, _ := rep[0].(string)
	return s
}

// traceKey lists the commands of the appendonlydir that name key while db
// is selected, or in any database for db -1 (debugging a replay
// difference).
func (d *diffRun) traceKey(db int, key []byte) string {
	base, incr, err := readManifest(filepath.Join(d.dir, "appendonlydir"))
	if err != nil {
		return err.Error()
	}
	var out []string
	for _, name := range append([]string{base}, incr...) {
		data, err := os.ReadFile(filepath.Join(d.dir, "appendonlydir", name))
		if err != nil {
			return err.Error()
		}
		if strings.HasPrefix(string(data), "REDIS") {
			out = append(out, name+": RDB base")
			continue
		}
		sel := 0
		parseRESP(data, 0, func(c respCmd, _ int64) error {
			if c.argv == nil {
				return nil
			}
			if strings.EqualFold(string(c.argv[0]), "select") {
				sel, _ = strconv.Atoi(string(c.argv[1]))
				return nil
			}
			name0 := strings.ToLower(string(c.argv[0]))
			if name0 == "swapdb" || name0 == "flushall" || (name0 == "flushdb" && sel == db) {
				out = append(out, fmt.Sprintf("%s@%d db%d: %q", name, c.offset, sel, c.argv))
				return nil
			}
			for _, a := range c.argv[1:] {
				if string(a) == string(key) && (sel == db || db < 0 || name0 == "move" || name0 == "copy") {
					out = append(out, fmt.Sprintf("%s@%d db%d: %q", name, c.offset, sel, c.argv))
					break
				}
			}
			return nil
		})
	}
	if len(out) > 60 {
		out = out[len(out)-60:]
	}
	return strings.Join(out, "\n")
}

// describe renders an engine value compactly (debugging).
func describe(v *rdbfile.Value) string {
	if v == nil {
		return "<nil>"
	}
	var s string
	switch v.Kind {
	case rdbfile.KindString:
		s = fmt.Sprintf("string %q", v.String)
	case rdbfile.KindList:
		s = fmt.Sprintf("list %q", v.List)
	case rdbfile.KindSet:
		s = fmt.Sprintf("set %q", v.Set)
	case rdbfile.KindZSet:
		var parts []string
		for _, z := range v.ZSet {
			parts = append(parts, fmt.Sprintf("%q %v", z.Member, z.Score))
		}
		s = "zset " + strings.Join(parts, " ")
	case rdbfile.KindHash:
		var parts []string
		for _, f := range v.Hash {
			parts = append(parts, fmt.Sprintf("%q=%q", f.Field, f.Value))
		}
		s = "hash " + strings.Join(parts, " ")
	case rdbfile.KindStream:
		var parts []string
		for _, en := range v.Stream.Entries {
			parts = append(parts, fmt.Sprintf("%v %q", en.ID, en.Fields))
		}
		s = "stream " + strings.Join(parts, " ")
	default:
		s = v.Kind.String()
	}
	if len(s) > 600 {
		s = s[:600] + "..."
	}
	return s
}

// replayCheckpoint replays the server's appendonlydir into a new engine
// and compares it with the server.
func (d *diffRun) replayCheckpoint(what string, full bool) {
	d.flush()
	d.replay, d.loadFrom = true, "aof"
	defer d.endLoad()
	e := d.newEngine()
	n, err := replayDir(e, filepath.Join(d.dir, "appendonlydir"))
	if err != nil {
		d.t.Fatalf("seed %d: %s: replay: %v", d.seed, what, err)
	}
	if e.InMulti() {
		d.t.Errorf("seed %d: %s: AOF ends inside MULTI", d.seed, what)
	}
	if d.compare(what, e, full) {
		d.t.Logf("%s: %d AOF commands replayed after %d sent; DEBUG DIGEST equal (%s), %d keys", what, n, d.sent, e.Digest(), totalKeys(e))
	}
}

func totalKeys(e *Engine) int {
	n := 0
	for _, db := range e.DBs() {
		n += e.Len(db)
	}
	return n
}

func (d *diffRun) rewrite(preamble string) {
	d.flush()
	d.query("CONFIG", "SET", "aof-use-rdb-preamble", preamble)
	d.query("BGREWRITEAOF")
	for i := 0; i < 600; i++ {
		info := d.query("INFO", "persistence").(string)
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	d.t.Fatalf("BGREWRITEAOF did not finish")
}

// TestDifferentialAOF runs the workload against the installed
// redis-server, one seed, short TTLs and the default limits (soakRun). With
// RDBKIT_SERVERS or RDBKIT_SOAK_SEEDS set it runs the matrix instead
// (soakMatrix): every server, RDBKIT_SOAK_SEEDS seeds (default 1), every
// option combination.
func TestDifferentialAOF(t *testing.T) {
	seed, n := soakParams(t, 20000)
	if os.Getenv("RDBKIT_SERVERS") == "" && os.Getenv("RDBKIT_SOAK_SEEDS") == "" {
		soakRun(t, testserver.Bin(t), seed, n, soakOpts{shortTTL: true})
		return
	}
	seeds := 1
	if s := os.Getenv("RDBKIT_SOAK_SEEDS"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil || v < 1 {
			t.Fatalf("RDBKIT_SOAK_SEEDS: %q is not a count", s)
		}
		seeds = v
	}
	soakMatrix(t, seed, seeds, n)
}

func TestDifferentialDirect(t *testing.T) {
	seed, n := soakParams(t, 8000)
	c, v, dir := startAOFServer(t)
	d := &diffRun{t: t, c: c, v: v, dir: dir, seed: seed + 1}
	d.direct = NewWithOptions(v, Options{Now: func() int64 { return time.Now().UnixMilli() }})
	g := &gen{r: rand.New(rand.NewPCG(seed+1, 2)), direct: true, now: func() int64 { return time.Now().UnixMilli() }, query: d.query, xlast: map[string]uint64{}, dbs: 4}
	t.Logf("%v, seed %d, %d commands executed by the server and the engine", v, d.seed, n)
	d.run(g, n)
	if d.compare("direct execution", d.direct, true) {
		t.Logf("DEBUG DIGEST equal after %d commands (%d error replies, all matched)", d.sent, d.errs)
	}
	if d.mism > 0 {
		t.Errorf("%d error/no-error disagreements", d.mism)
	}
}
