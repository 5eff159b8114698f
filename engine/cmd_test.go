package engine

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Unit tests per command family. Expected values come from the server's
// documentation examples, its source, or were checked on Redis 7.0.15.

func newEngine(t *testing.T, ver string) *Engine {
	t.Helper()
	v, err := ParseServerVersion(ver)
	if err != nil {
		t.Fatal(err)
	}
	return New(v)
}

func do(t *testing.T, e *Engine, args ...string) {
	t.Helper()
	if err := e.Exec(toArgv(args)); err != nil {
		t.Fatalf("%q: %v", args, err)
	}
}

// fails executes a command that must fail and returns its error.
func fails(t *testing.T, e *Engine, args ...string) error {
	t.Helper()
	err := e.Exec(toArgv(args))
	if err == nil {
		t.Fatalf("%q: no error", args)
	}
	return err
}

func value(t *testing.T, e *Engine, key string) *rdbfile.Value {
	t.Helper()
	v, _, ok := e.Lookup(e.Selected(), []byte(key))
	if !ok {
		return nil
	}
	return v
}

func getStr(t *testing.T, e *Engine, key string) string {
	t.Helper()
	v := value(t, e, key)
	if v == nil {
		return "<nil>"
	}
	if v.Kind != rdbfile.KindString {
		t.Fatalf("%q is a %v", key, v.Kind)
	}
	return string(v.String)
}

func getList(t *testing.T, e *Engine, key string) []string {
	t.Helper()
	v := value(t, e, key)
	if v == nil {
		return nil
	}
	var out []string
	for _, x := range v.List {
		out = append(out, string(x))
	}
	return out
}

func getSet(t *testing.T, e *Engine, key string) []string {
	t.Helper()
	v := value(t, e, key)
	if v == nil {
		return nil
	}
	var out []string
	for _, x := range v.Set {
		out = append(out, string(x))
	}
	slices.Sort(out)
	return out
}

// getZSet renders "member:score" in order.
func getZSet(t *testing.T, e *Engine, key string) string {
	t.Helper()
	v := value(t, e, key)
	if v == nil {
		return ""
	}
	var out []string
	for _, z := range v.ZSet {
		out = append(out, string(z.Member)+":"+strconv.FormatFloat(z.Score, 'f', -1, 64))
	}
	return strings.Join(out, " ")
}

// getHash renders "field=value[@ttl]" sorted by field.
func getHash(t *testing.T, e *Engine, key string) string {
	t.Helper()
	v := value(t, e, key)
	if v == nil {
		return ""
	}
	var out []string
	for _, f := range v.Hash {
		s := string(f.Field) + "=" + string(f.Value)
		if f.ExpireAt != rdbfile.NoExpire {
			s += "@" + strconv.FormatInt(f.ExpireAt, 10)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return strings.Join(out, " ")
}

func ttl(e *Engine, key string) int64 {
	ms, _ := e.ExpireAt(e.Selected(), []byte(key))
	return ms
}

func eqStrings(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

func TestGenericCommands(t *testing.T) {
	e := newEngine(t, "7.0.15")
	do(t, e, "SET", "a", "1")
	do(t, e, "PEXPIREAT", "a", "5000")
	if ttl(e, "a") != 5000 {
		t.Fatalf("ttl %d", ttl(e, "a"))
	}
	do(t, e, "PEXPIREAT", "a", "4000", "GT") // not greater: ignored
	do(t, e, "PEXPIREAT", "a", "6000", "GT")
	do(t, e, "PEXPIREAT", "a", "7000", "LT") // not less: ignored
	do(t, e, "PEXPIREAT", "a", "9000", "NX") // has a TTL: ignored
	if ttl(e, "a") != 6000 {
		t.Errorf("after GT/LT/NX: ttl %d, want 6000", ttl(e, "a"))
	}
	do(t, e, "PERSIST", "a")
	do(t, e, "PEXPIREAT", "a", "100", "XX") // no TTL: ignored
	do(t, e, "PEXPIREAT", "a", "100", "GT") // no TTL is infinite: ignored
	if ttl(e, "a") != rdbfile.NoExpire {
		t.Errorf("XX/GT on a key without TTL set %d", ttl(e, "a"))
	}
	do(t, e, "PEXPIREAT", "a", "100", "LT")
	if ttl(e, "a") != 100 {
		t.Errorf("LT on a key without TTL: %d", ttl(e, "a"))
	}
	fails(t, e, "EXPIRE", "a", "10", "NX", "XX")
	fails(t, e, "EXPIRE", "a", "10", "GT", "LT")
	fails(t, e, "EXPIRE", "a", "9223372036854775807")
	// A time in the past keeps the key while loading.
	do(t, e, "PEXPIREAT", "a", "1")
	if getStr(t, e, "a") != "1" || ttl(e, "a") != 1 {
		t.Errorf("past PEXPIREAT removed the key")
	}

	do(t, e, "RENAME", "a", "b")
	if value(t, e, "a") != nil || getStr(t, e, "b") != "1" || ttl(e, "b") != 1 {
		t.Errorf("RENAME lost value or TTL")
	}
	if err := fails(t, e, "RENAME", "nokey", "x"); !strings.Contains(err.Error(), "no such key") {
		t.Errorf("RENAME missing: %v", err)
	}
	do(t, e, "SET", "c", "3")
	do(t, e, "RENAMENX", "b", "c")
	if getStr(t, e, "b") != "1" {
		t.Errorf("RENAMENX overwrote")
	}
	do(t, e, "MOVE", "b", "2")
	fails(t, e, "MOVE", "c", "0")
	fails(t, e, "MOVE", "c", "16")
	do(t, e, "SELECT", "2")
	if getStr(t, e, "b") != "1" || ttl(e, "b") != 1 {
		t.Errorf("MOVE lost value or TTL")
	}
	do(t, e, "COPY", "b", "c", "DB", "0")
	do(t, e, "SELECT", "0")
	if getStr(t, e, "c") != "3" {
		t.Errorf("COPY without REPLACE overwrote")
	}
	do(t, e, "SELECT", "2")
	do(t, e, "COPY", "b", "c", "DB", "0", "REPLACE")
	fails(t, e, "COPY", "b", "b")
	do(t, e, "SELECT", "0")
	if getStr(t, e, "c") != "1" || ttl(e, "c") != 1 {
		t.Errorf("COPY REPLACE: %q ttl %d", getStr(t, e, "c"), ttl(e, "c"))
	}
	do(t, e, "RPUSH", "l", "x")
	do(t, e, "COPY", "l", "l2")
	do(t, e, "RPUSH", "l2", "y")
	eqStrings(t, "COPY is deep", getList(t, e, "l"), []string{"x"})

	do(t, e, "SWAPDB", "0", "2")
	if getStr(t, e, "b") != "1" || e.Len(2) != 3 {
		t.Errorf("SWAPDB: db0 %d keys, db2 %d keys", e.Len(0), e.Len(2))
	}
	do(t, e, "FLUSHDB", "ASYNC")
	if e.Len(0) != 0 || e.Len(2) == 0 {
		t.Errorf("FLUSHDB")
	}
	do(t, e, "FLUSHALL")
	if len(e.DBs()) != 0 {
		t.Errorf("FLUSHALL left %v", e.DBs())
	}
	fails(t, e, "FLUSHALL", "NOW")
	fails(t, e, "SELECT", "16")
	fails(t, e, "SELECT", "x")
	do(t, e, "UNLINK", "nothing", "at", "all")
}

// dumpPayload builds a DUMP payload: type, value bytes, RDB version, CRC.
func dumpPayload(typ byte, body []byte, ver uint16) []byte {
	p := append([]byte{typ}, body...)
	return rdbfile.AppendDumpFooter(p, int(ver))
}

func TestRestore(t *testing.T) {
	e := newEngine(t, "7.0.15")
	str := dumpPayload(0, []byte("\x05hello"), 10)
	do(t, e, "RESTORE", "k", "0", string(str))
	if getStr(t, e, "k") != "hello" || ttl(e, "k") != rdbfile.NoExpire {
		t.Fatalf("RESTORE string: %q", getStr(t, e, "k"))
	}
	if err := fails(t, e, "RESTORE", "k", "0", string(str)); !strings.Contains(err.Error(), "BUSYKEY") {
		t.Errorf("RESTORE over a key: %v", err)
	}
	do(t, e, "RESTORE", "k", "4102444800000", string(str), "REPLACE", "ABSTTL", "IDLETIME", "5")
	if ttl(e, "k") != 4102444800000 {
		t.Errorf("ABSTTL: %d", ttl(e, "k"))
	}
	// A list as a quicklist-less LIST (type 1) of two elements.
	lst := dumpPayload(1, []byte("\x02\x01a\x02bc"), 10)
	do(t, e, "RESTORE", "l", "0", string(lst))
	eqStrings(t, "restored list", getList(t, e, "l"), []string{"a", "bc"})
	// An integer-encoded string (0xC0 = 8-bit int).
	do(t, e, "RESTORE", "i", "0", string(dumpPayload(0, []byte{0xC0, 0xFB}, 9)))
	if getStr(t, e, "i") != "-5" {
		t.Errorf("int string: %q", getStr(t, e, "i"))
	}
	bad := slices.Clone(str)
	bad[2] ^= 1
	fails(t, e, "RESTORE", "x", "0", string(bad))
	fails(t, e, "RESTORE", "x", "0", string(dumpPayload(0, []byte("\x05hello"), 11))) // too new for 7.0
	fails(t, e, "RESTORE", "x", "0", string(dumpPayload(1, []byte("\x00"), 10)))      // empty list
	fails(t, e, "RESTORE", "x", "-1", string(str))
	if _, _, err := rdbfile.ReadDump(str[:5], 0); err == nil {
		t.Errorf("ReadDump of a short payload: no error")
	}
	v, _, err := rdbfile.ReadDump(lst, 0)
	if err != nil || v.Kind != rdbfile.KindList {
		t.Errorf("ReadDump: %v %v", v, err)
	}
}

func TestStringCommands(t *testing.T) {
	e := newEngine(t, "7.2.6")
	do(t, e, "SET", "k", "v", "PXAT", "9000")
	do(t, e, "SET", "k", "w", "KEEPTTL")
	if getStr(t, e, "k") != "w" || ttl(e, "k") != 9000 {
		t.Errorf("KEEPTTL: %q %d", getStr(t, e, "k"), ttl(e, "k"))
	}
	do(t, e, "SET", "k", "x")
	if ttl(e, "k") != rdbfile.NoExpire {
		t.Errorf("SET kept the TTL")
	}
	do(t, e, "SET", "k", "y", "NX")
	do(t, e, "SET", "new", "y", "XX")
	if getStr(t, e, "k") != "x" || value(t, e, "new") != nil {
		t.Errorf("NX/XX")
	}
	fails(t, e, "SET", "k", "v", "NX", "XX")
	fails(t, e, "SET", "k", "v", "EX", "10", "PX", "10")
	fails(t, e, "SET", "k", "v", "EX", "0")
	fails(t, e, "SET", "k", "v", "KEEPTTL", "EX", "5")
	fails(t, e, "SET", "k", "v", "IFEQ", "x") // Redis 7.2 has no IFEQ
	do(t, e, "RPUSH", "list", "a")
	fails(t, e, "SET", "list", "v", "GET")
	do(t, e, "SET", "list", "v")

	v81 := newEngine(t, "valkey-8.1.0")
	do(t, v81, "SET", "k", "a")
	do(t, v81, "SET", "k", "b", "IFEQ", "x")
	do(t, v81, "SET", "missing", "b", "IFEQ", "x")
	if getStr(t, v81, "k") != "a" || value(t, v81, "missing") != nil {
		t.Errorf("IFEQ mismatch wrote")
	}
	do(t, v81, "SET", "k", "b", "IFEQ", "a")
	if getStr(t, v81, "k") != "b" {
		t.Errorf("IFEQ match did not write")
	}

	do(t, e, "SET", "n", "10")
	do(t, e, "INCR", "n")
	do(t, e, "INCRBY", "n", "-20")
	do(t, e, "DECR", "n")
	if getStr(t, e, "n") != "-10" {
		t.Errorf("INCR family: %q", getStr(t, e, "n"))
	}
	do(t, e, "SET", "n", "9223372036854775806", "PXAT", "5000")
	do(t, e, "INCR", "n")
	fails(t, e, "INCR", "n")
	fails(t, e, "DECRBY", "n", "-9223372036854775808")
	if ttl(e, "n") != 5000 {
		t.Errorf("INCR lost the TTL")
	}
	for _, bad := range []string{"0123", "+5", " 7", "1.5", "", "-0"} {
		do(t, e, "SET", "b", bad)
		fails(t, e, "INCR", "b")
	}
	// INCRBYFLOAT: long double arithmetic, "%.17Lf" without trailing zeros.
	for _, c := range []struct{ start, incr, want string }{
		{"10.50", "0.1", "10.6"}, {"10.6", "-5", "5.6"}, {"5.0e3", "2.0e2", "5200"}, {"", "1e10", "10000000000"},
		{"0", "0.1", "0.1"}, {"1", "-1", "0"}, {"3", "-0.0000000000000000001", "3"}, {"1e30", "1", "1000000000000000000024696061952"},
		{"0.1", "0.2", "0.3"}, {"7", "0x10", "23"},
	} {
		if c.start == "" {
			do(t, e, "DEL", "f")
		} else {
			do(t, e, "SET", "f", c.start)
		}
		do(t, e, "INCRBYFLOAT", "f", c.incr)
		if got := getStr(t, e, "f"); got != c.want {
			t.Errorf("%s + %s = %q, want %q", c.start, c.incr, got, c.want)
		}
	}
	fails(t, e, "INCRBYFLOAT", "f", "inf")
	fails(t, e, "INCRBYFLOAT", "f", "abc")
	do(t, e, "SET", "f", "1\x00")
	fails(t, e, "INCRBYFLOAT", "f", "1")

	do(t, e, "SET", "s", "Hello")
	do(t, e, "APPEND", "s", " World")
	do(t, e, "SETRANGE", "s", "6", "Redis")
	if getStr(t, e, "s") != "Hello Redis" {
		t.Errorf("APPEND/SETRANGE: %q", getStr(t, e, "s"))
	}
	do(t, e, "SETRANGE", "pad", "3", "x")
	do(t, e, "SETRANGE", "nothing", "3", "")
	if getStr(t, e, "pad") != "\x00\x00\x00x" || value(t, e, "nothing") != nil {
		t.Errorf("SETRANGE padding / empty")
	}
	do(t, e, "SET", "i", "12")
	do(t, e, "APPEND", "i", "3")
	if getStr(t, e, "i") != "123" {
		t.Errorf("APPEND to int")
	}
	do(t, e, "MSETNX", "m1", "1", "s", "2")
	do(t, e, "MSET", "m1", "1", "m2", "2")
	if value(t, e, "m1") == nil || getStr(t, e, "s") != "Hello Redis" {
		t.Errorf("MSETNX/MSET")
	}
	fails(t, e, "MSET", "a", "1", "b")
	do(t, e, "SETEX", "x", "10", "v")
	do(t, e, "GETEX", "x", "PERSIST")
	if ttl(e, "x") != rdbfile.NoExpire {
		t.Errorf("GETEX PERSIST")
	}
	do(t, e, "GETEX", "x", "PXAT", "777")
	if ttl(e, "x") != 777 {
		t.Errorf("GETEX PXAT")
	}
	do(t, e, "GETSET", "x", "w")
	if ttl(e, "x") != rdbfile.NoExpire || getStr(t, e, "x") != "w" {
		t.Errorf("GETSET")
	}
	do(t, e, "GETDEL", "x")
	if value(t, e, "x") != nil {
		t.Errorf("GETDEL")
	}
	do(t, e, "RPUSH", "list2", "a")
	fails(t, e, "GETDEL", "list2")
}

func TestBitCommands(t *testing.T) {
	e := newEngine(t, "7.0.15")
	do(t, e, "SETBIT", "b", "7", "1")
	do(t, e, "SETBIT", "b", "9", "1")
	if getStr(t, e, "b") != "\x01\x40" {
		t.Errorf("SETBIT: %q", getStr(t, e, "b"))
	}
	fails(t, e, "SETBIT", "b", "1", "2")
	fails(t, e, "SETBIT", "b", "-1", "1")
	do(t, e, "SET", "x", "\xff\x0f")
	do(t, e, "BITOP", "AND", "d", "b", "x")
	if getStr(t, e, "d") != "\x01\x00" {
		t.Errorf("AND: %q", getStr(t, e, "d"))
	}
	do(t, e, "BITOP", "OR", "d", "b", "x", "missing")
	if getStr(t, e, "d") != "\xff\x4f" {
		t.Errorf("OR: %q", getStr(t, e, "d"))
	}
	do(t, e, "BITOP", "XOR", "d", "b", "x")
	if getStr(t, e, "d") != "\xfe\x4f" {
		t.Errorf("XOR: %q", getStr(t, e, "d"))
	}
	do(t, e, "BITOP", "NOT", "d", "x")
	if getStr(t, e, "d") != "\x00\xf0" {
		t.Errorf("NOT: %q", getStr(t, e, "d"))
	}
	do(t, e, "BITOP", "AND", "d", "missing", "alsomissing")
	if value(t, e, "d") != nil {
		t.Errorf("empty BITOP result kept the key")
	}
	fails(t, e, "BITOP", "NOT", "d", "a", "b")
	fails(t, e, "BITOP", "DIFF", "d", "a", "b") // Redis 8.2+
	r82 := newEngine(t, "8.2.0")
	do(t, r82, "SET", "x", "\xf0")
	do(t, r82, "SET", "y", "\x3c")
	do(t, r82, "SET", "z", "\x0f")
	for op, want := range map[string]string{"DIFF": "\xc0", "DIFF1": "\x0f", "ANDOR": "\x30", "ONE": "\xc3"} {
		do(t, r82, "BITOP", op, "d", "x", "y", "z")
		if got := getStr(t, r82, "d"); got != want {
			t.Errorf("BITOP %s = %x, want %x", op, got, want)
		}
	}
	// BITFIELD examples from the documentation.
	do(t, e, "BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1")
	do(t, e, "BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1")
	do(t, e, "BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1")
	do(t, e, "BITFIELD", "bf", "INCRBY", "u2", "100", "1", "OVERFLOW", "SAT", "INCRBY", "u2", "102", "1")
	// u2@100 wrapped 1,2,3,0; u2@102 saturated at 3.
	b := []byte(getStr(t, e, "bf"))
	if len(b) != 13 || getUnsignedBitfield(b, 100, 2) != 0 || getUnsignedBitfield(b, 102, 2) != 3 {
		t.Errorf("BITFIELD wrap/sat: %x", b)
	}
	do(t, e, "BITFIELD", "bf2", "SET", "i8", "#1", "-100", "OVERFLOW", "FAIL", "INCRBY", "i8", "#1", "-100")
	b = []byte(getStr(t, e, "bf2"))
	if getSignedBitfield(b, 8, 8) != -100 {
		t.Errorf("BITFIELD FAIL wrote: %d", getSignedBitfield(b, 8, 8))
	}
	do(t, e, "BITFIELD", "bf3", "SET", "i64", "0", "-1", "INCRBY", "i64", "0", "9223372036854775807")
	b = []byte(getStr(t, e, "bf3"))
	if getSignedBitfield(b, 0, 64) != 9223372036854775806 {
		t.Errorf("i64 wrap: %d", getSignedBitfield(b, 0, 64))
	}
	fails(t, e, "BITFIELD", "bf", "GET", "u64", "0")
	fails(t, e, "BITFIELD", "bf", "GET", "I8", "0")
	fails(t, e, "BITFIELD", "bf", "OVERFLOW", "NONE")
	do(t, e, "BITFIELD", "readonly", "GET", "u8", "0")
	if value(t, e, "readonly") != nil {
		t.Errorf("BITFIELD GET created the key")
	}
}

func TestHyperLogLog(t *testing.T) {
	e := newEngine(t, "7.0.15")
	do(t, e, "PFADD", "h")
	b := []byte(getStr(t, e, "h"))
	// Empty sparse HLL: header, XZERO:16384 (0x7f 0xff), cache invalid.
	if string(b[:5]) != "HYLL\x01" || len(b) != 18 || b[16] != 0x7f || b[17] != 0xff || b[15] != 0x80 {
		t.Fatalf("new HLL: %x", b)
	}
	do(t, e, "PFADD", "h", "a", "b", "c", "d", "e", "f", "g")
	do(t, e, "PFCOUNT", "h")
	b = []byte(getStr(t, e, "h"))
	if got := binary.LittleEndian.Uint64(b[8:16]); got != 7 {
		t.Errorf("cached cardinality %d, want 7", got)
	}
	do(t, e, "PFADD", "h", "a") // already counted: cache stays valid
	if b2 := getStr(t, e, "h"); b2 != string(b) {
		t.Errorf("PFADD of a known element changed the HLL")
	}
	for i := 0; i < 20000; i++ {
		do(t, e, "PFADD", "big", "element:"+strconv.Itoa(i))
	}
	b = []byte(getStr(t, e, "big"))
	if b[4] != hllDense || len(b) != hllDenseSize {
		t.Errorf("20000 elements: encoding %d, %d bytes", b[4], len(b))
	}
	card, ok := hllCount(b)
	if !ok || math.Abs(float64(card)-20000) > 20000*0.03 {
		t.Errorf("estimate %d for 20000", card)
	}
	do(t, e, "PFMERGE", "m", "h", "big")
	b = []byte(getStr(t, e, "m"))
	if b[4] != hllDense {
		t.Errorf("PFMERGE with a dense source is not dense")
	}
	do(t, e, "SET", "s", "not an hll")
	if err := fails(t, e, "PFADD", "s", "x"); !strings.Contains(err.Error(), "WRONGTYPE") {
		t.Errorf("PFADD on a plain string: %v", err)
	}
	fails(t, e, "PFCOUNT", "s")
	// MurmurHash64A reference values (seed 0xadc83b19).
	if h := murmurHash64A([]byte(""), 0xadc83b19); h == 0 {
		t.Errorf("murmur")
	}
}

func TestTransactions(t *testing.T) {
	e := newEngine(t, "7.0.15")
	do(t, e, "MULTI")
	do(t, e, "SET", "a", "1")
	do(t, e, "RPUSH", "a", "x") // WRONGTYPE at EXEC
	do(t, e, "INCR", "a")
	if value(t, e, "a") != nil {
		t.Fatalf("queued command executed before EXEC")
	}
	err := e.Exec(toArgv([]string{"EXEC"}))
	var xe *ExecError
	if !errors.As(err, &xe) || len(xe.Failed) != 1 || xe.Failed[0].Index != 1 {
		t.Fatalf("EXEC: %v", err)
	}
	var ce *CommandError
	if !errors.As(err, &ce) || !strings.HasPrefix(ce.Msg, "WRONGTYPE") || ce.Command != "rpush" {
		t.Errorf("EXEC error does not unwrap to the command's error: %v", err)
	}
	if getStr(t, e, "a") != "2" {
		t.Errorf("no rollback expected: a = %q", getStr(t, e, "a"))
	}
	// A refused command makes EXEC abort.
	do(t, e, "MULTI")
	do(t, e, "SET", "b", "1")
	fails(t, e, "NOSUCHCOMMAND", "x")
	fails(t, e, "SET", "only-key")
	if err := fails(t, e, "EXEC"); !strings.Contains(err.Error(), "EXECABORT") {
		t.Errorf("EXEC after a refused command: %v", err)
	}
	if value(t, e, "b") != nil || e.InMulti() {
		t.Errorf("aborted transaction executed")
	}
	fails(t, e, "EXEC")
	fails(t, e, "DISCARD")
	do(t, e, "MULTI")
	fails(t, e, "MULTI")
	do(t, e, "SELECT", "3")
	do(t, e, "SET", "c", "1")
	do(t, e, "EXEC")
	if e.Selected() != 3 {
		t.Errorf("SELECT inside MULTI: db %d", e.Selected())
	}
	// Argument buffers reused by the caller after queueing.
	buf := [][]byte{[]byte("SET"), []byte("reuse"), []byte("good")}
	do(t, e, "MULTI")
	e.Exec(buf)
	copy(buf[2], "evil")
	do(t, e, "EXEC")
	if getStr(t, e, "reuse") != "good" {
		t.Errorf("queued argv not copied")
	}
}

func TestUnsupportedAndUnknown(t *testing.T) {
	e := newEngine(t, "7.0.15")
	err := fails(t, e, "EVAL", "return 1", "0")
	var ue *UnsupportedError
	if !errors.As(err, &ue) || ue.Command != "eval" || errors.Is(err, ErrUnknownCommand) {
		t.Errorf("EVAL: %v", err)
	}
	err = fails(t, e, "HSETEX", "h", "FIELDS", "1", "f", "v") // Redis 8.0
	if !errors.Is(err, ErrUnknownCommand) || !strings.Contains(err.Error(), "hsetex") {
		t.Errorf("HSETEX on 7.0: %v", err)
	}
	err = fails(t, e, "FOO")
	if !errors.Is(err, ErrUnknownCommand) || !strings.Contains(err.Error(), "foo") {
		t.Errorf("unknown: %v", err)
	}
	do(t, e, "SADD", "s", "a", "b")
	if err := fails(t, e, "SPOP", "s"); !errors.As(err, &ue) {
		t.Errorf("SPOP of a random member: %v", err)
	}
	do(t, e, "SPOP", "s", "5") // takes everything: deterministic
	if value(t, e, "s") != nil {
		t.Errorf("SPOP of every member kept the key")
	}
	skip := NewWithOptions(ServerVersion{Major: 7}, Options{SkipUnknown: true})
	if err := skip.Exec(toArgv([]string{"VADD", "x"})); err != nil || skip.Skipped() != 1 {
		t.Errorf("SkipUnknown: %v, %d skipped", err, skip.Skipped())
	}
	do(t, e, "GET", "s") // read-only commands are accepted
	do(t, e, "SCRIPT", "LOAD", "return 1")
	if n := len(e.Commands()); n < 100 {
		t.Errorf("only %d commands", n)
	}
}

func TestFunctions(t *testing.T) {
	e := newEngine(t, "7.0.15")
	code := "#!lua name=mylib\nredis.register_function('f', function() return 1 end)"
	do(t, e, "FUNCTION", "LOAD", code)
	fails(t, e, "FUNCTION", "LOAD", code)
	do(t, e, "FUNCTION", "LOAD", "REPLACE", code+" ")
	fails(t, e, "FUNCTION", "LOAD", "#!js name=x\n")
	fails(t, e, "FUNCTION", "LOAD", "no header")
	if got := string(e.Functions()["mylib"]); got != code+" " {
		t.Errorf("library code %q", got)
	}
	// FUNCTION DUMP payload: FUNCTION2 records, version, CRC.
	lib2 := "#!lua name=other\nredis.register_function('g', function() return 2 end)"
	body := []byte{0xF5, 0x40 | byte(len(lib2)>>8), byte(len(lib2))}
	body = append(body, lib2...)
	payload := rdbfile.AppendDumpFooter(body, 10)
	do(t, e, "FUNCTION", "RESTORE", string(payload))
	fails(t, e, "FUNCTION", "RESTORE", string(payload)) // APPEND: exists
	do(t, e, "FUNCTION", "RESTORE", string(payload), "REPLACE")
	if len(e.Functions()) != 2 {
		t.Errorf("libraries: %d", len(e.Functions()))
	}
	do(t, e, "FUNCTION", "RESTORE", string(payload), "FLUSH")
	if len(e.Functions()) != 1 {
		t.Errorf("RESTORE FLUSH: %d libraries", len(e.Functions()))
	}
	do(t, e, "FUNCTION", "DELETE", "other")
	fails(t, e, "FUNCTION", "DELETE", "other")
	do(t, e, "FUNCTION", "LOAD", code)
	do(t, e, "FUNCTION", "FLUSH", "SYNC")
	if len(e.Functions()) != 0 {
		t.Errorf("FUNCTION FLUSH")
	}
}

// TestCommandsDocumented: docs/engine-commands.md names every command the
// engine executes.
func TestCommandsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/engine-commands.md")
	if err != nil {
		t.Skip("docs/engine-commands.md not found: ", err)
	}
	for n, c := range commandTable {
		if c.noop {
			continue
		}
		if !strings.Contains(string(doc), "`"+strings.ToUpper(n)+"`") {
			t.Errorf("command %s is not documented", strings.ToUpper(n))
		}
	}
}

// TestCommandTable: command names are unique and lower case, arities are
// not zero, and every command exists on some server line.
func TestCommandTable(t *testing.T) {
	seen := map[string]bool{}
	for _, list := range commandLists() {
		for _, c := range list {
			if seen[c.name] {
				t.Errorf("duplicate command %s", c.name)
			}
			seen[c.name] = true
			if c.name != strings.ToLower(c.name) || (!c.known && !c.noop) || (c.fn == nil && !c.noop) {
				t.Errorf("bad entry %+v", c)
			}
		}
	}
}

func TestEach(t *testing.T) {
	e := New(ServerVersion{Major: 7, Minor: 2})
	for _, argv := range [][]string{{"SET", "s", "v"}, {"RPUSH", "l", "a", "b", "c"}, {"HSET", "h", "f", "v"}, {"PEXPIREAT", "h", "4102444800000"},
		{"XADD", "x", "1-1", "f", "v"}, {"XADD", "x", "1-2", "f", "v"}} {
		args := make([][]byte, len(argv))
		for i, a := range argv {
			args[i] = []byte(a)
		}
		if err := e.Exec(args); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string]KeyInfo{}
	e.Each(0, func(ki KeyInfo) { ki.Key = append([]byte(nil), ki.Key...); got[string(ki.Key)] = ki })
	if len(got) != 4 || got["l"].Len != 3 || got["x"].Len != 2 || got["l"].Kind != rdbfile.KindList || got["h"].ExpireAt != 4102444800000 || got["s"].ExpireAt != rdbfile.NoExpire {
		t.Errorf("Each: %+v", got)
	}
	// Stats is Each summed up.
	for _, now := range []int64{0, 4102444799999, 4102444800000, 1 << 62} {
		want := Stats{Expires: 1}
		for k, ki := range got {
			want.Keys++
			want.Kinds[ki.Kind]++
			want.KeyBytes += int64(len(k))
			want.Elements += int64(ki.Len)
			if ki.ExpireAt != rdbfile.NoExpire && ki.ExpireAt <= now {
				want.Expired++
			}
		}
		if st := e.Stats(0, now); st != want {
			t.Errorf("Stats(0, %d) = %+v, want %+v", now, st, want)
		}
	}
	if st := e.Stats(1, 0); st != (Stats{}) {
		t.Errorf("Stats of an empty database: %+v", st)
	}
}
