package engine

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/internal/testserver"
)

// These tests run the redis-server installed on this machine, if any
// (Debian 12 ships 7.0.15: "%.17g" scores), and compare its replies with
// this package. They skip when redis-server is not on PATH.

// respConn is a minimal RESP2 client: commands out as arrays of bulk
// strings, replies parsed into string, int64, []any, nil or respError.
type respConn struct {
	c net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

type respError string

func (e respError) Error() string { return string(e) }

func (c *respConn) send(args ...string) {
	fmt.Fprintf(c.w, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(c.w, "$%d\r\n%s\r\n", len(a), a)
	}
}

func (c *respConn) reply() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return respError(line[1:]), nil
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, b); err != nil {
			return nil, err
		}
		return string(b[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		out := make([]any, n)
		for i := range out {
			if out[i], err = c.reply(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, errors.New("bad reply line " + strconv.Quote(line))
}

// do sends one command and returns its reply; a server error fails the test.
func (c *respConn) do(t *testing.T, args ...string) any {
	t.Helper()
	c.send(args...)
	if err := c.w.Flush(); err != nil {
		t.Fatal(err)
	}
	r, err := c.reply()
	if err != nil {
		t.Fatalf("%s: %v", args[0], err)
	}
	if e, ok := r.(respError); ok {
		t.Fatalf("%q: %s", args, e)
	}
	return r
}

// pipelineWindow is the most request bytes a pipelining test has in
// flight: it sends its commands a window at a time (sendWindow) and reads
// a window's replies before it sends the next. Valkey 9.0.4 and 9.1.0
// stall a pipelining client for good when one read fills the query buffer
// and ends inside a command that the parser has queued behind others, and
// the rest of that command comes in the same read event:
// processInputBuffer pops the partial command, gets "need more" and waits
// for bytes it already holds (src/networking.c; fixed upstream by
// valkey-io/valkey#4531). A window well below the 16 KiB a read asks for
// (PROTO_IOBUF_LEN) never fills one.
const pipelineWindow = 8 << 10

// sendWindow sends cmds[from:] up to pipelineWindow bytes (at least one
// command; a command of a window or more alone), flushes, and returns the
// index after the last one sent.
func (c *respConn) sendWindow(cmds [][]string, from int) (int, error) {
	n, i := 0, from
	for ; i < len(cmds); i++ {
		size := 16
		for _, a := range cmds[i] {
			size += len(a) + 16
		}
		if i > from && (n+size > pipelineWindow || size >= pipelineWindow) {
			break
		}
		c.send(cmds[i]...)
		n += size
	}
	return i, c.w.Flush()
}

// pipeline sends many commands, a window at a time (sendWindow), and
// returns their replies.
func (c *respConn) pipeline(t *testing.T, cmds [][]string) []any {
	t.Helper()
	out := make([]any, len(cmds))
	sent := 0
	for i := range cmds {
		if i == sent {
			var err error
			if sent, err = c.sendWindow(cmds, sent); err != nil {
				t.Fatal(err)
			}
		}
		r, err := c.reply()
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := r.(respError); ok {
			t.Fatalf("%q: %s", cmds[i], e)
		}
		out[i] = r
	}
	return out
}

// startRedis starts the local redis-server in its own temporary directory
// and returns a connection, the server version and the directory.
func startRedis(t *testing.T) (*respConn, ServerVersion, string) {
	t.Helper()
	return startServer(t, "--appendonly", "no")
}

// startServer starts redis-server (internal/testserver: 127.0.0.1, a free
// port, its own t.TempDir(), DEBUG enabled) with extra arguments and
// connects to it; it skips the test when no server is installed, and the
// server is shut down (SHUTDOWN NOSAVE) at cleanup.
func startServer(t *testing.T, extra ...string) (*respConn, ServerVersion, string) {
	t.Helper()
	return startServerBin(t, testserver.Bin(t), extra...)
}

// startServerBin is startServer with a given server binary (redis-server
// or valkey-server of any release).
func startServerBin(t *testing.T, bin string, extra ...string) (*respConn, ServerVersion, string) {
	t.Helper()
	dir := t.TempDir()
	srv := testserver.Start(t, bin, dir, append([]string{"--enable-debug-command", "yes"}, extra...)...)
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatalf("connecting to redis-server: %v\n%s", err, srv.Log())
	}
	c := &respConn{c: conn, r: bufio.NewReaderSize(conn, 1<<16), w: bufio.NewWriterSize(conn, 1<<16)}
	t.Cleanup(func() { conn.Close() })
	info := c.do(t, "INFO", "server").(string)
	var v ServerVersion
	valkey := ""
	for _, line := range strings.Split(info, "\r\n") {
		if s, ok := strings.CutPrefix(line, "redis_version:"); ok {
			if v, err = ParseServerVersion(s); err != nil {
				t.Fatal(err)
			}
		}
		if s, ok := strings.CutPrefix(line, "valkey_version:"); ok {
			valkey = s
		}
	}
	if valkey != "" { // Valkey 8+ reports redis_version 7.2.4 for clients
		if v, err = ParseServerVersion("valkey-" + valkey); err != nil {
			t.Fatal(err)
		}
	}
	return c, v, dir
}

// TestScoresRedisServer: ZRANGE WITHSCORES replies (addReplyDouble) of the
// local server against FormatScore for its version, over random doubles.
func TestScoresRedisServer(t *testing.T) {
	c, v, _ := startRedis(t)
	r := rand.New(rand.NewPCG(5, 6))
	n := 20000
	if testing.Short() {
		n = 2000
	}
	var cmds [][]string
	want := map[string]float64{}
	for i := 0; i < n; i++ {
		x := randomDouble(r, i)
		if math.IsNaN(x) {
			continue
		}
		m := "m" + strconv.Itoa(i)
		want[m] = x
		cmds = append(cmds, []string{"ZADD", "z" + strconv.Itoa(i%16), strconv.FormatFloat(x, 'g', -1, 64), m})
	}
	c.pipeline(t, cmds)
	checked := 0
	for k := 0; k < 16; k++ {
		rep := c.do(t, "ZRANGE", "z"+strconv.Itoa(k), "0", "-1", "WITHSCORES").([]any)
		for i := 0; i+1 < len(rep); i += 2 {
			m, text := rep[i].(string), rep[i+1].(string)
			if got := FormatScore(v, want[m]); got != text {
				t.Errorf("%v: score %v: server %q, FormatScore %q", v, want[m], text, got)
			}
			checked++
		}
	}
	if checked != len(want) {
		t.Errorf("checked %d of %d scores", checked, len(want))
	}
	t.Logf("%v: %d ZRANGE scores equal FormatScore (%s)", v, checked, map[bool]string{true: "fpconv", false: "%.17g"}[v.UsesFpconv()])
}

// TestDigestRedisServer fills the local server with keys of every type,
// SAVEs, and compares DEBUG DIGEST and DEBUG DIGEST-VALUE with the digests
// computed from the dump.
func TestDigestRedisServer(t *testing.T) {
	c, v, dir := startRedis(t)
	r := rand.New(rand.NewPCG(7, 8))
	var cmds [][]string
	add := func(a ...string) { cmds = append(cmds, a) }
	bin := string([]byte{0, 0xff, 1, 0xfe, '\r', '\n'})
	add("SET", "s:int", "12345")
	add("SET", "s:raw", strings.Repeat("abc", 100))
	add("SET", "s:bin", bin)
	add("SET", "s:ttl", "x", "PX", "999999999")
	add("SET", bin, "binary key")
	add("RPUSH", "l:small", "a", "", "7", bin)
	for i := 0; i < 300; i++ {
		add("RPUSH", "l:big", strconv.Itoa(i), strings.Repeat("v", i%70))
	}
	add("SADD", "set:int", "1", "2", "-3", "100000")
	add("SADD", "set:str", "a", "b", "", bin)
	for i := 0; i < 50; i++ {
		add("ZADD", "z:small", strconv.FormatFloat(randomDouble(r, i), 'g', -1, 64), "m"+strconv.Itoa(i))
	}
	for i := 0; i < 500; i++ {
		x := randomDouble(r, i)
		if math.IsNaN(x) {
			continue
		}
		add("ZADD", "z:big", strconv.FormatFloat(x, 'g', -1, 64), "m"+strconv.Itoa(i))
	}
	add("ZADD", "z:inf", "inf", "a", "-inf", "b", "0", "c", "-0", "d")
	add("HSET", "h:small", "f", "v", "", "empty", "n", "42")
	for i := 0; i < 600; i++ {
		add("HSET", "h:big", "f"+strconv.Itoa(i), strconv.Itoa(i*i))
	}
	add("PEXPIRE", "h:big", "999999999")
	for i := 1; i <= 20; i++ {
		add("XADD", "x", "1700000000000-"+strconv.Itoa(i), "f", strconv.Itoa(i), "g", bin)
	}
	add("XDEL", "x", "1700000000000-3", "1700000000000-20")
	add("XGROUP", "CREATE", "x", "grp", "0")
	add("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "2", "STREAMS", "x", ">")
	add("XADD", "x:empty", "1-1", "a", "b")
	add("XDEL", "x:empty", "1-1")
	add("SELECT", "3")
	add("SET", "s:int", "1")
	add("LPUSH", "db3:list", "x")
	add("SELECT", "0")
	c.pipeline(t, cmds)

	wantAll := c.do(t, "DEBUG", "DIGEST").(string)
	want := map[string]string{} // "db\x00key" -> DIGEST-VALUE
	for _, db := range []string{"0", "3"} {
		c.do(t, "SELECT", db)
		keys := c.do(t, "KEYS", "*").([]any)
		for _, k := range keys {
			want[db+"\x00"+k.(string)] = c.do(t, "DEBUG", "DIGEST-VALUE", k.(string)).([]any)[0].(string)
		}
	}
	c.do(t, "SAVE")

	h, fk := readRDB(t, filepath.Join(dir, "dump.rdb"))
	fv, ok := VersionFromHeader(h)
	if !ok || fv != v {
		t.Fatalf("version from AUX %v (%v), INFO says %v", fv, ok, v)
	}
	dg := NewDigester(v)
	for _, k := range fk {
		if err := dg.AddKey(k.db, k.key, k.val, k.hasExpire); err != nil {
			t.Fatal(err)
		}
		id := strconv.Itoa(k.db) + "\x00" + string(k.key)
		got, err := ValueDigest(v, k.val, k.hasExpire)
		if err != nil {
			t.Fatal(err)
		}
		if got != want[id] {
			t.Errorf("db %d key %q: DIGEST-VALUE %s, server %s", k.db, k.key, got, want[id])
		}
		delete(want, id)
	}
	if len(want) != 0 {
		t.Errorf("keys not in the dump: %d", len(want))
	}
	if got := dg.Sum(); got != wantAll {
		t.Errorf("DEBUG DIGEST %s, server %s", got, wantAll)
	}
	t.Logf("%v: %d keys in 2 DBs, DEBUG DIGEST %s", v, len(fk), wantAll)
}
