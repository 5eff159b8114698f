package engine

import (
	"math/rand/v2"
	"sort"
	"strconv"
	"testing"
)

// TestExecNeverPanics feeds every command random argument lists (words
// the parsers look for, numbers at the edges, binary junk) on every server
// line: Exec must return, never panic.
func TestExecNeverPanics(t *testing.T) {
	var names []string
	for n := range commandTable {
		names = append(names, n)
	}
	sort.Strings(names)
	words := []string{"NX", "XX", "GT", "LT", "CH", "INCR", "EX", "PX", "EXAT", "PXAT", "KEEPTTL", "GET", "PERSIST",
		"FIELDS", "FNX", "FXX", "IFEQ", "LIMIT", "REV", "BYSCORE", "BYLEX", "WEIGHTS", "AGGREGATE", "SUM", "MIN", "MAX",
		"COUNT", "LEFT", "RIGHT", "BEFORE", "AFTER", "MAXLEN", "MINID", "~", "=", "*", "$", ">", "-", "+", "NOMKSTREAM",
		"MKSTREAM", "ENTRIESREAD", "ENTRIESADDED", "MAXDELETEDID", "CREATE", "SETID", "DESTROY", "CREATECONSUMER",
		"DELCONSUMER", "GROUP", "STREAMS", "JUSTID", "FORCE", "IDLE", "TIME", "RETRYCOUNT", "LASTID", "STORE", "STOREDIST",
		"BY", "ALPHA", "DESC", "ASC", "FROMMEMBER", "FROMLONLAT", "BYRADIUS", "BYBOX", "km", "m", "ANY", "REPLACE",
		"ABSTTL", "IDLETIME", "FREQ", "DB", "LOAD", "DELETE", "FLUSH", "RESTORE", "OVERFLOW", "WRAP", "SAT", "FAIL",
		"u8", "i64", "#3", "AND", "OR", "NOT", "ONE", "KEEPREF", "DELREF", "ACKED", "IDS", "IDMP", "k", "k2", "s:*", "#",
		"0", "1", "-1", "2", "3", "100", "1-1", "0-0", "5-*", "9223372036854775807", "-9223372036854775808",
		"18446744073709551615", "1e308", "inf", "-inf", "nan", "(1", "[a", "(", "", "\x00\xff", "0.5", "281474976710655",
		"#!lua name=x\n", "4294967295"}
	for _, ver := range []ServerVersion{{Major: 7}, {Major: 7, Minor: 4}, {Major: 8, Minor: 8}, {Major: 9, Valkey: true}} {
		r := rand.New(rand.NewPCG(7, uint64(ver.Major)))
		e := New(ver)
		n := 60000
		if testing.Short() {
			n = 10000
		}
		for i := 0; i < n; i++ {
			argv := []string{names[r.IntN(len(names))]}
			if r.IntN(3) == 0 {
				argv[0] = []string{"SET", "HSET", "RPUSH", "SADD", "ZADD", "XADD", "PFADD", "GEOADD"}[r.IntN(8)]
				argv = append(argv, "k", "1", "1", "m"+strconv.Itoa(r.IntN(5)))
			}
			for j := r.IntN(9); j > 0; j-- {
				argv = append(argv, words[r.IntN(len(words))])
			}
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("%v: %q panicked: %v", ver, argv, p)
					}
				}()
				e.Exec(toArgv(argv))
			}()
		}
		e.Discard()
		e.Digest()
	}
}
