package cmd

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/testserver"
)

// The interop test writes a dataset of every type and encoding into a real
// redis-server from PATH, SAVEs it, and checks that "rdbkit verify" accepts
// the file and that "rdbkit inspect" agrees with what the server says:
// DBSIZE per db, INFO keyspace (keys, expires), and TYPE / OBJECT ENCODING
// of every key.
//
// OBJECT ENCODING is the in-memory encoding; the RDB only tells the encoding
// class of the serialized type id. The mapping (server -> rdbkit encoding)
// is serverEncodingClass below; the one case where they differ in name is a
// listpack-encoded list (Redis 7.2+), which every server saves as a
// QUICKLIST_2 with a single packed node, so rdbkit reports "quicklist".
var serverEncodingClass = map[string]string{
	"string/int": "string", "string/embstr": "string", "string/raw": "string",
	"list/quicklist": "quicklist", "list/listpack": "quicklist", "list/ziplist": "ziplist", "list/linkedlist": "linkedlist",
	"set/intset": "intset", "set/listpack": "listpack", "set/hashtable": "hashtable",
	"zset/listpack": "listpack", "zset/ziplist": "ziplist", "zset/skiplist": "skiplist",
	"hash/listpack": "listpack", "hash/ziplist": "ziplist", "hash/hashtable": "hashtable", "hash/listpackex": "listpackex",
	"stream/stream": "stream",
}

// resp is a minimal RESP2 client: enough for the commands below.
type resp struct {
	c net.Conn
	r *bufio.Reader
}

type respError string

func (e respError) Error() string { return string(e) }

func (c *resp) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := c.c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return nil, err
	}
	if _, err := io.WriteString(c.c, b.String()); err != nil {
		return nil, err
	}
	return c.read()
}

func (c *resp) read() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return nil, fmt.Errorf("bad RESP line %q", line)
	}
	body := line[1 : len(line)-2]
	switch line[0] {
	case '+':
		return body, nil
	case '-':
		return nil, respError(body)
	case ':':
		return strconv.ParseInt(body, 10, 64)
	case '$':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown RESP type %q", line)
}

// must runs a command and fails the test on an error reply.
func (c *resp) must(t *testing.T, args ...string) any {
	t.Helper()
	v, err := c.do(args...)
	if err != nil {
		t.Fatalf("%q: %v", args, err)
	}
	return v
}

func (c *resp) str(t *testing.T, args ...string) string {
	t.Helper()
	s, ok := c.must(t, args...).(string)
	if !ok {
		t.Fatalf("%q: not a string reply", args)
	}
	return s
}

func (c *resp) num(t *testing.T, args ...string) int64 {
	t.Helper()
	n, ok := c.must(t, args...).(int64)
	if !ok {
		t.Fatalf("%q: not an integer reply", args)
	}
	return n
}

func TestInteropRedisServer(t *testing.T) {
	if testing.Short() {
		t.Skip("interop test skipped in -short mode")
	}
	bin := testserver.Bin(t)
	major, minor, version := testserver.Version(t, bin)
	atLeast := func(ma, mi int) bool { return major > ma || (major == ma && minor >= mi) }
	if !atLeast(6, 2) {
		t.Skipf("redis-server %s: the interop dataset needs Redis 6.2+", version)
	}

	dir := t.TempDir()
	args := []string{"--appendonly", "no", "--dbfilename", "dump.rdb"}
	if atLeast(7, 0) { // the option exists from 7.0 (DEBUG is always allowed before)
		args = append(args, "--enable-debug-command", "yes")
	}
	srv := testserver.Start(t, bin, dir, args...)
	port := srv.Port
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatalf("connecting to redis-server: %v\n%s", err, srv.Log())
	}
	t.Cleanup(func() { conn.Close() })
	c := &resp{c: conn, r: bufio.NewReader(conn)}
	t.Logf("redis-server %s on port %d", version, port)

	// --- The dataset -----------------------------------------------------
	c.must(t, "SELECT", "0")
	c.must(t, "SET", "str:int", "12345")                   // int
	c.must(t, "SET", "str:embstr", "hello")                // embstr
	c.must(t, "SET", "str:raw", strings.Repeat("r", 100))  // raw
	c.must(t, "SET", "str:lzf", strings.Repeat("abc", 50)) // raw, LZF in the file
	c.must(t, "SET", "str:binary", "\x00\xff\x01\xfe\r\n")
	c.must(t, "SET", "bin\x00key\xff\xfe", "binary key")
	c.must(t, "SET", "", "the empty key")
	c.must(t, "SET", "key with\r\nnewline", "x")
	c.must(t, "RPUSH", "list:small", "a", "b", "1", "")
	large := []string{"RPUSH", "list:large"}
	for i := range 1000 {
		large = append(large, "element-"+strconv.Itoa(i))
	}
	c.must(t, large...)
	if _, err := c.do("DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100"); err == nil {
		c.must(t, "RPUSH", "list:plain", "small", strings.Repeat("P", 300), "small2", strings.Repeat("Q", 500))
	} else {
		t.Logf("no plain quicklist nodes: DEBUG QUICKLIST-PACKED-THRESHOLD: %v", err)
	}
	c.must(t, "SADD", "set:intset", "1", "2", "3", "-100000")
	c.must(t, "SADD", "set:small", "a", "b", "c") // listpack on 7.2+, hashtable on 7.0
	set := []string{"SADD", "set:large"}
	for i := range 300 {
		set = append(set, "member-"+strconv.Itoa(i))
	}
	c.must(t, set...)
	c.must(t, "ZADD", "zset:small", "1", "one", "2.5", "two", "-inf", "low")
	zs := []string{"ZADD", "zset:large"}
	for i := range 200 {
		zs = append(zs, strconv.Itoa(i), "m"+strconv.Itoa(i))
	}
	c.must(t, zs...)
	c.must(t, "HSET", "hash:small", "f1", "v1", "f2", "2", "", "empty field")
	hs := []string{"HSET", "hash:large"}
	for i := range 600 {
		hs = append(hs, "field-"+strconv.Itoa(i), "value-"+strconv.Itoa(i))
	}
	c.must(t, hs...)
	for i := 1; i <= 6; i++ {
		c.must(t, "XADD", "stream:main", "1700000000000-"+strconv.Itoa(i), "name", "n"+strconv.Itoa(i), "n", strconv.Itoa(i))
	}
	c.must(t, "XDEL", "stream:main", "1700000000000-2")
	c.must(t, "XGROUP", "CREATE", "stream:main", "g1", "0")
	c.must(t, "XGROUP", "CREATE", "stream:main", "g2", "$")
	c.must(t, "XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "stream:main", ">")
	c.must(t, "XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "stream:main", ">")
	c.must(t, "XACK", "stream:main", "g1", "1700000000000-1")
	c.must(t, "XGROUP", "CREATECONSUMER", "stream:main", "g2", "carol")
	c.must(t, "XGROUP", "CREATE", "stream:empty", "g", "$", "MKSTREAM")
	c.must(t, "SET", "ttl:ex", "v", "EX", "100000")
	c.must(t, "SET", "ttl:pxat", "v", "PXAT", "4102444800123")
	c.must(t, "RPUSH", "ttl:list", "x")
	c.must(t, "EXPIRE", "ttl:list", "100000")
	if atLeast(7, 4) {
		c.must(t, "HSET", "hash:hfe", "f1", "v1", "f2", "v2")
		c.must(t, "HEXPIRE", "hash:hfe", "100000", "FIELDS", "1", "f1") // listpackex
		hl := []string{"HSET", "hash:hfe:large"}
		for i := range 600 {
			hl = append(hl, "f"+strconv.Itoa(i), "v")
		}
		c.must(t, hl...)
		c.must(t, "HEXPIRE", "hash:hfe:large", "100000", "FIELDS", "1", "f7") // hashtable with field TTLs
	}
	c.must(t, "SELECT", "1")
	c.must(t, "SET", "str:int", "1") // the same key name in another db
	c.must(t, "HSET", "db1:hash", "a", "b")
	c.must(t, "SET", "db1:ttl", "v", "EX", "100000")
	c.must(t, "SELECT", "5")
	c.must(t, "SADD", "db5:set", "x", "y")
	c.must(t, "ZADD", "db5:zset", "1", "a")
	if atLeast(7, 0) {
		lib := "#!lua name=interoplib\nredis.register_function('interop_get', function(keys, args) return redis.call('GET', keys[1]) end)"
		c.must(t, "FUNCTION", "LOAD", lib)
	}

	// --- What the server says --------------------------------------------
	type serverKey struct{ typ, enc string }
	serverKeys := map[string]serverKey{} // "db\x00key"
	dbsize := map[int]int64{}
	for _, db := range []int{0, 1, 5} {
		c.must(t, "SELECT", strconv.Itoa(db))
		dbsize[db] = c.num(t, "DBSIZE")
		cursor := "0"
		for {
			rep := c.must(t, "SCAN", cursor, "COUNT", "1000").([]any)
			cursor = rep[0].(string)
			for _, k := range rep[1].([]any) {
				key := k.(string)
				serverKeys[strconv.Itoa(db)+"\x00"+key] = serverKey{c.str(t, "TYPE", key), c.str(t, "OBJECT", "ENCODING", key)}
			}
			if cursor == "0" {
				break
			}
		}
	}
	keyspace := map[int][2]int64{}
	info := c.str(t, "INFO", "keyspace")
	for _, m := range regexp.MustCompile(`db(\d+):keys=(\d+),expires=(\d+)`).FindAllStringSubmatch(info, -1) {
		db, _ := strconv.Atoi(m[1])
		k, _ := strconv.ParseInt(m[2], 10, 64)
		e, _ := strconv.ParseInt(m[3], 10, 64)
		keyspace[db] = [2]int64{k, e}
	}
	if len(keyspace) != 3 {
		t.Fatalf("INFO keyspace: %q", info)
	}
	encodings := map[string]bool{}
	for _, k := range serverKeys {
		encodings[k.typ+"/"+k.enc] = true
	}
	t.Logf("server encodings: %v", sortedKeys(encodings))
	small := "listpack"
	if !atLeast(7, 0) {
		small = "ziplist"
	}
	for _, must := range []string{"string/int", "string/embstr", "string/raw", "list/quicklist", "set/intset", "set/hashtable",
		"zset/" + small, "zset/skiplist", "hash/" + small, "hash/hashtable", "stream/stream"} {
		if !encodings[must] {
			t.Errorf("dataset lacks %s", must)
		}
	}
	if atLeast(7, 2) && (!encodings["list/listpack"] || !encodings["set/listpack"]) {
		t.Errorf("dataset lacks list/listpack or set/listpack on %s", version)
	}
	if atLeast(7, 4) && !encodings["hash/listpackex"] {
		t.Errorf("dataset lacks hash/listpackex on %s", version)
	}

	c.must(t, "SAVE")
	rdb := filepath.Join(dir, "dump.rdb")

	// --- What rdbkit says ---------------------------------------------------
	now := strconv.FormatInt(time.Now().Unix(), 10)
	if r := run(t, nil, "verify", rdb); r.code != 0 {
		t.Fatalf("verify: exit %d\n%s%s", r.code, r.out, r.err)
	}
	r := run(t, nil, "--json", "inspect", "--now", now, "--top", "3", rdb)
	if r.code != 0 {
		t.Fatalf("inspect: exit %d: %s", r.code, r.err)
	}
	var rep inspectReport
	if err := json.Unmarshal([]byte(r.out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Server == nil || *rep.Server != "redis "+version {
		t.Errorf("server %v, want redis %s", rep.Server, version)
	}
	if rep.Checksum.Status != sumVerified || rep.Expired != 0 {
		t.Errorf("checksum %s expired %d", rep.Checksum.Status, rep.Expired)
	}
	got := map[int]jsonDB{}
	for _, d := range rep.DBs {
		got[d.DB] = d
	}
	for db, n := range dbsize {
		if got[db].Keys != n {
			t.Errorf("db %d: inspect %d keys, DBSIZE %d", db, got[db].Keys, n)
		}
		if ks := keyspace[db]; got[db].Keys != ks[0] || got[db].Expires != ks[1] {
			t.Errorf("db %d: inspect keys=%d expires=%d, INFO keyspace keys=%d expires=%d", db, got[db].Keys, got[db].Expires, ks[0], ks[1])
		}
	}
	if len(got) != len(dbsize) {
		t.Errorf("inspect dbs %v, server dbs %v", rep.DBs, dbsize)
	}
	if atLeast(7, 0) && (len(rep.Functions) != 1 || rep.Functions[0].Name != "interoplib" || rep.Functions[0].Engine != "lua") {
		t.Errorf("functions %+v", rep.Functions)
	}

	r = run(t, nil, "--json", "inspect", "--now", now, "--keys", rdb)
	if r.code != 0 {
		t.Fatalf("inspect --keys: exit %d: %s", r.code, r.err)
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(r.out), "\n") {
		var k jsonKey
		if err := json.Unmarshal([]byte(line), &k); err != nil {
			t.Fatal(err)
		}
		id := strconv.Itoa(k.DB) + "\x00" + string(k.Key)
		sk, ok := serverKeys[id]
		if !ok {
			t.Errorf("inspect lists db %d key %q that the server does not have", k.DB, k.Key)
			continue
		}
		seen++
		if k.Type != sk.typ {
			t.Errorf("db %d key %q: type %s, server TYPE %s", k.DB, k.Key, k.Type, sk.typ)
		}
		class, known := serverEncodingClass[sk.typ+"/"+sk.enc]
		if !known {
			t.Errorf("db %d key %q: server encoding %s/%s has no mapping", k.DB, k.Key, sk.typ, sk.enc)
		} else if k.Encoding != class {
			t.Errorf("db %d key %q: encoding %s (%s), server OBJECT ENCODING %s (class %s)", k.DB, k.Key, k.Encoding, k.RDBType, sk.enc, class)
		}
	}
	if seen != len(serverKeys) {
		t.Errorf("inspect --keys matched %d keys, the server has %d", seen, len(serverKeys))
	}
	if own := "redis-" + strconv.Itoa(major) + "." + strconv.Itoa(minor); isTarget(own) {
		if r := run(t, nil, "verify", "--target", own, rdb); r.code != 0 || !strings.Contains(r.out, ": loads\n") {
			t.Errorf("verify --target %s: exit %d\n%s", own, r.code, r.out)
		}
	}
}

func isTarget(name string) bool {
	_, err := resolveTargets([]string{name})
	return err == nil
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
