package engine

import (
	"math"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/release"
)

// negZeroCase is a command sequence after which member m of key k holds a
// score of zero; neg lists the releases where it is -0 (the member went
// into a skiplist) rather than 0 (it went into a listpack, which stores an
// integral score as an integer: zzlInsertAt, double2ll).
type negZeroCase struct {
	name string
	cmds [][]string
	k, m string
	neg  func(v ServerVersion) bool
}

func pairs(n int, first string) []string {
	out := []string{"-0", first}
	for i := 1; i < n; i++ {
		out = append(out, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	return out
}

var long65 = strings.Repeat("L", 65) // longer than zset-max-listpack-value

func valkey8(v ServerVersion) bool { return v.Valkey && v.AtLeast(8, 0) }
func redis72(v ServerVersion) bool { return v.UsesFpconv() } // Redis 7.2+, every Valkey

// negZeroCases follow src/t_zset.c of each release: zaddGenericCommand
// (zsetTypeCreate, zsetTypeMaybeConvert), zsetAdd and the zrangestore
// handler (zrangeResultBeginStore).
var negZeroCases = []negZeroCase{
	{
		// 130 pairs onto a small zset: Redis 7.2+ and Valkey convert first
		// (zsetTypeMaybeConvert: 130 > 128); Redis 7.0 inserts into the
		// listpack until the 126th member would cross 128.
		name: "ZADD 130 pairs onto a small zset",
		cmds: [][]string{{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, append([]string{"ZADD", "z"}, pairs(130, "neg")...)},
		k:    "z", m: "neg", neg: redis72,
	},
	{
		// A new key of 130 pairs: zsetTypeCreate(130, ...) makes a skiplist
		// on 7.2+; 7.0 starts from a listpack.
		name: "ZADD 130 pairs on a new key",
		cmds: [][]string{append([]string{"ZADD", "z"}, pairs(130, "neg")...)},
		k:    "z", m: "neg", neg: redis72,
	},
	{
		// A long member after a short first one on a new key: Valkey 8+
		// sizes by the longest member (maxelelen); Redis (7.0 to 8.8) and
		// Valkey 7.2 by the first one, so x goes into a listpack first.
		name: "ZADD -0 x 1 <65 bytes> on a new key",
		cmds: [][]string{{"ZADD", "z", "-0", "x", "1", long65}},
		k:    "z", m: "x", neg: valkey8,
	},
	{
		name: "ZADD -0 x 1 <65 bytes> onto a small zset",
		cmds: [][]string{{"ZADD", "z", "5", "a"}, {"ZADD", "z", "-0", "x", "1", long65}},
		k:    "z", m: "x", neg: valkey8,
	},
	{
		// A score range is stored from an empty listpack (length hint -1),
		// whatever the source: a small result keeps no -0.
		name: "ZRANGESTORE BYSCORE, small result from a skiplist",
		cmds: [][]string{append(append([]string{"ZADD", "src", "1", long65}, pairs(140, "m0")[2:]...), "-0", "neg"),
			{"ZRANGESTORE", "dst", "src", "-1", "0.5", "BYSCORE"}},
		k: "dst", m: "neg", neg: func(ServerVersion) bool { return false },
	},
	{
		// ... and a big one converts after 128 members: the first -0 is 0.
		name: "ZRANGESTORE BYSCORE, big result",
		cmds: [][]string{append(append([]string{"ZADD", "src", "1", long65}, pairs(140, "m0")[2:]...), "-0", "neg"),
			{"ZRANGESTORE", "dst", "src", "-1", "+inf", "BYSCORE"}},
		k: "dst", m: "neg", neg: func(ServerVersion) bool { return false },
	},
	{
		// A rank range of more than 128 members is a skiplist from the
		// start on every release (7.0: length > zset-max-listpack-entries).
		name: "ZRANGESTORE by rank, big result",
		cmds: [][]string{append(append([]string{"ZADD", "src", "1", long65}, pairs(140, "m0")[2:]...), "-0", "neg"),
			{"ZRANGESTORE", "dst", "src", "0", "-1"}},
		k: "dst", m: "neg", neg: func(ServerVersion) bool { return true },
	},
}

// TestZSetNegZeroConversionOrder runs each case on the engine for every
// release and checks the sign of the zero score against the expectation
// derived from that release's source.
func TestZSetNegZeroConversionOrder(t *testing.T) {
	for _, ver := range []string{"7.0.15", "7.2.6", "7.4.1", "7.9.224", "8.8.0", "valkey-7.2.7", "valkey-8.0.1", "valkey-9.0.0"} {
		for _, c := range negZeroCases {
			e := newEngine(t, ver)
			for _, a := range c.cmds {
				do(t, e, a...)
			}
			s, ok := zscoreOf(e, c.k, c.m)
			if !ok || s != 0 {
				t.Fatalf("%s: %s: %s %s: score %v, %v", ver, c.name, c.k, c.m, s, ok)
			}
			if got, want := math.Signbit(s), c.neg(e.v); got != want {
				t.Errorf("%s: %s: -0 is %v, want %v", ver, c.name, got, want)
			}
		}
	}
}

func zscoreOf(e *Engine, k, m string) (float64, bool) {
	v, _, ok := e.Lookup(0, []byte(k))
	if !ok {
		return 0, false
	}
	for _, z := range v.ZSet {
		if string(z.Member) == m {
			return z.Score, true
		}
	}
	return 0, false
}

// TestZSetNegZeroServers runs the cases on the installed redis-server and
// on every release of RDBKIT_SERVERS, and compares the server's ZSCORE and
// DEBUG DIGEST-VALUE with the engine for that release.
func TestZSetNegZeroServers(t *testing.T) {
	bins := testserver.Releases(t)
	if len(bins) == 0 {
		t.Skip("no redis-server installed and RDBKIT_SERVERS unset")
	}
	for _, bin := range bins {
		c, v, _ := startServerBin(t, bin)
		for _, nc := range negZeroCases {
			c.do(t, "FLUSHALL")
			e := New(v)
			for _, a := range nc.cmds {
				c.do(t, a...)
				do(t, e, a...)
			}
			s, _ := zscoreOf(e, nc.k, nc.m)
			srvScore := c.do(t, "ZSCORE", nc.k, nc.m).(string)
			if got := FormatScore(v, s); got != srvScore {
				t.Errorf("%v: %s: engine score %s, server %s", v, nc.name, got, srvScore)
			}
			if got, want := e.DigestValue(0, []byte(nc.k)), c.do(t, "DEBUG", "DIGEST-VALUE", nc.k).([]any)[0].(string); got != want {
				t.Errorf("%v: %s: DIGEST-VALUE %s, server %s", v, nc.name, got, want)
			}
			if (srvScore == "-0") != nc.neg(v) {
				t.Errorf("%v: %s: the server stores %s; the expectation derived from its source says otherwise", v, nc.name, srvScore)
			}
		}
		t.Logf("%v (%s): %d cases", v, bin, len(negZeroCases))
	}
}

// limitCases are negZeroCases under zset-max-listpack-entries 4 and
// zset-max-listpack-value 8: the conversion points move with the limits.
var limitCases = []negZeroCase{
	{
		name: "ZADD -0 as the 5th member",
		cmds: [][]string{{"ZADD", "z", "1", "a", "2", "b", "3", "c", "4", "d"}, {"ZADD", "z", "-0", "neg"}},
		k:    "z", m: "neg",
	},
	{
		name: "ZADD 5 pairs on a new key",
		cmds: [][]string{append([]string{"ZADD", "z"}, pairs(5, "neg")...)},
		k:    "z", m: "neg",
	},
	{
		name: "ZADD 3 pairs onto a zset of 2",
		cmds: [][]string{{"ZADD", "z", "1", "a", "2", "b"}, append([]string{"ZADD", "z"}, pairs(3, "neg")...)},
		k:    "z", m: "neg",
	},
	{
		name: "ZADD -0 x 1 <9 bytes> on a new key",
		cmds: [][]string{{"ZADD", "z", "-0", "x", "1", "123456789"}},
		k:    "z", m: "x",
	},
	{
		name: "ZADD -0 <9 bytes> on a new key",
		cmds: [][]string{{"ZADD", "z", "-0", "123456789"}},
		k:    "z", m: "123456789",
	},
	{
		name: "ZUNIONSTORE of 5 members",
		cmds: [][]string{append([]string{"ZADD", "src"}, pairs(5, "neg")...), {"ZUNIONSTORE", "z", "1", "src"}},
		k:    "z", m: "neg",
	},
	{
		name: "ZRANGESTORE by rank, 5 members",
		cmds: [][]string{append([]string{"ZADD", "src"}, pairs(6, "neg")...), {"ZRANGESTORE", "z", "src", "0", "4"}},
		k:    "z", m: "neg",
	},
}

// TestZSetLimitsServers runs limitCases on the installed redis-server and
// on every release of RDBKIT_SERVERS configured with tiny zset limits, and
// compares ZSCORE and DEBUG DIGEST-VALUE with an engine given the same
// limits (Options.Limits). An engine with the default limits gets some
// case wrong on every release: the limits change results.
func TestZSetLimitsServers(t *testing.T) {
	bins := testserver.Releases(t)
	if len(bins) == 0 {
		t.Skip("no redis-server installed and RDBKIT_SERVERS unset")
	}
	for _, bin := range bins {
		c, v, _ := startServerBin(t, bin, "--zset-max-listpack-entries", "4", "--zset-max-listpack-value", "8")
		l := release.Limits{ZSetMaxListpackEntries: 4, ZSetMaxListpackValue: 8}
		defaultsWrong := 0
		for _, nc := range limitCases {
			c.do(t, "FLUSHALL")
			e := NewWithOptions(v, Options{Limits: &l})
			def := New(v)
			for _, a := range nc.cmds {
				c.do(t, a...)
				do(t, e, a...)
				do(t, def, a...)
			}
			s, _ := zscoreOf(e, nc.k, nc.m)
			srvScore := c.do(t, "ZSCORE", nc.k, nc.m).(string)
			if got := FormatScore(v, s); got != srvScore {
				t.Errorf("%v: %s: engine score %s, server %s", v, nc.name, got, srvScore)
			}
			want := c.do(t, "DEBUG", "DIGEST-VALUE", nc.k).([]any)[0].(string)
			if got := e.DigestValue(0, []byte(nc.k)); got != want {
				t.Errorf("%v: %s: DIGEST-VALUE %s, server %s", v, nc.name, got, want)
			}
			if def.DigestValue(0, []byte(nc.k)) != want {
				defaultsWrong++
			}
		}
		if defaultsWrong == 0 {
			t.Errorf("%v: an engine with the default limits gets every case right: the cases do not exercise the limits", v)
		}
		t.Logf("%v (%s): %d cases, %d of them wrong with the default limits", v, bin, len(limitCases), defaultsWrong)
	}
}
