package replay

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/engine"
	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/manifest"
)

// These tests compare a replay with what the installed redis-server (Debian
// 12: 7.0.15) loads from the same files. They skip when it is absent.

// serverConn is a minimal RESP2 client for these tests.
type serverConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialServer(t *testing.T, s *testserver.Server) *serverConn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatalf("connecting to redis-server: %v\n%s", err, s.Log())
	}
	t.Cleanup(func() { c.Close() })
	return &serverConn{c: c, r: bufio.NewReader(c)}
}

// do sends a command and returns its reply: a string (simple, bulk, an
// integer as text, or an array of integers as space-separated texts); a
// server error fails the test.
func (s *serverConn) do(t *testing.T, args ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(s.c, b.String()); err != nil {
		t.Fatal(err)
	}
	line, err := s.r.ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '+', ':':
		return line[1:]
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return ""
		}
		data := make([]byte, n+2)
		if _, err := io.ReadFull(s.r, data); err != nil {
			t.Fatal(err)
		}
		return string(data[:n])
	case '*': // an array of integers (HPEXPIRE): the texts, space-separated
		n, _ := strconv.Atoi(line[1:])
		var out []string
		for range n {
			el, err := s.r.ReadString('\n')
			if err != nil || el[0] != ':' {
				t.Fatalf("%q: element %q (%v)", args, el, err)
			}
			out = append(out, strings.TrimSuffix(el[1:], "\r\n"))
		}
		return strings.Join(out, " ")
	}
	t.Fatalf("%q: %s", args, line)
	return ""
}

// rdbWriter builds a small RDB file by hand (Redis src/rdb.h, RDB 9: read
// by every server since 5.0). Lengths below 64 are one byte (00xxxxxx),
// and so are the strings' length prefixes.
type rdbWriter struct{ b []byte }

func newRDB() *rdbWriter { return &rdbWriter{b: []byte("REDIS0009")} }

func (w *rdbWriter) str(s string) {
	if len(s) >= 64 {
		panic("short strings only")
	}
	w.b = append(w.b, byte(len(s)))
	w.b = append(w.b, s...)
}

// selectDB writes RDB_OPCODE_SELECTDB (0xFE) and the db number.
func (w *rdbWriter) selectDB(n byte) { w.b = append(w.b, 0xFE, n) }

// expire writes RDB_OPCODE_EXPIRETIME_MS (0xFC) and the 8-byte
// little-endian absolute time in ms, for the next key.
func (w *rdbWriter) expire(ms int64) {
	w.b = append(w.b, 0xFC)
	w.b = binary.LittleEndian.AppendUint64(w.b, uint64(ms))
}

// key writes a key of RDB type typ (0 string, 1 list, 2 set, 3 zset, 4
// hash: the plain encodings) holding elems (for a zset: member, score as
// a string double; for a hash: field, value), with count elements.
func (w *rdbWriter) key(typ byte, k string, count int, elems ...string) {
	w.b = append(w.b, typ)
	w.str(k)
	if typ != 0 {
		w.b = append(w.b, byte(count))
	}
	for i, e := range elems {
		if typ == 3 && i%2 == 1 { // RDB_TYPE_ZSET: score as a length-prefixed ASCII double
			w.b = append(w.b, byte(len(e)))
			w.b = append(w.b, e...)
			continue
		}
		w.str(e)
	}
}

// done writes RDB_OPCODE_EOF (0xFF) and a zero checksum: "saved with
// rdbchecksum no", which every server accepts without checking.
func (w *rdbWriter) done() []byte { return append(w.b, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0) }

// expiryFile is an RDB with keys that expired in 1970, keys that expire in
// 2100, keys without TTL and empty aggregates (one of them expired too).
func expiryFile() []byte {
	w := newRDB()
	w.selectDB(0)
	w.key(0, "live", 0, "v")
	w.expire(4102444800000) // 2100-01-01
	w.key(0, "future", 0, "f")
	w.expire(1000)
	w.key(0, "past:str", 0, "gone")
	w.expire(1000)
	w.key(1, "past:list", 2, "a", "b")
	w.key(2, "empty:set", 0)
	w.key(4, "empty:hash", 0)
	w.key(1, "empty:list", 0)
	w.key(3, "empty:zset", 0)
	w.expire(1000)
	w.key(2, "empty:set:expired", 0) // empty first: skipped as empty, not expired
	w.key(3, "zset", 2, "m", "1.5", "n", "-2")
	w.key(4, "hash", 1, "f", "v")
	w.selectDB(3)
	w.expire(1000)
	w.key(2, "past:set", 1, "x")
	w.key(2, "set", 1, "x")
	return w.done()
}

// releases returns the server binaries to compare with (the installed
// redis-server, and every release of RDBKIT_SERVERS), each with the
// version whose semantics a replay uses for it; it skips the test when
// there is none.
func releases(t *testing.T) (bins []string, versions []engine.ServerVersion) {
	t.Helper()
	for _, bin := range testserver.Releases(t) {
		v, err := engine.ParseServerVersion(testserver.VersionText(t, bin))
		if err != nil {
			t.Fatalf("%s: %v", bin, err)
		}
		bins, versions = append(bins, bin), append(versions, v)
	}
	if len(bins) == 0 {
		t.Skip("no redis-server installed and RDBKIT_SERVERS unset")
	}
	return bins, versions
}

// startOn starts server binary bin on a copy of an RDB file (dump.rdb in
// its dir) with extra arguments.
func startOn(t *testing.T, bin string, data []byte, extra ...string) (*testserver.Server, *serverConn) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	s := testserver.Start(t, bin, dir, append([]string{"--enable-debug-command", "yes", "--dbfilename", "dump.rdb"}, extra...)...)
	return s, dialServer(t, s)
}

var loadLine = regexp.MustCompile(`Done loading RDB, keys loaded: (\d+), keys expired: (\d+)(?:, empty keys skipped: (\d+))?`)

// serverLoadCounts reads the server's "Done loading RDB" log line.
func serverLoadCounts(t *testing.T, s *testserver.Server) (loaded, expired, empty int64) {
	t.Helper()
	m := loadLine.FindStringSubmatch(s.Log())
	if m == nil {
		t.Fatalf("no \"Done loading RDB\" line in the server log:\n%s", s.Log())
	}
	loaded, _ = strconv.ParseInt(m[1], 10, 64)
	expired, _ = strconv.ParseInt(m[2], 10, 64)
	empty, _ = strconv.ParseInt(m[3], 10, 64)
	return loaded, expired, empty
}

// TestExpiredKeysAtLoadServer: a primary started on an RDB file drops the
// keys that expired before the load, and skips empty aggregates; replay
// (Options.Now) does the same, and its digest is the server's DEBUG
// DIGEST. A replica keeps the expired keys, as AsReplica does. Run on the
// installed server and every release of RDBKIT_SERVERS.
func TestExpiredKeysAtLoadServer(t *testing.T) {
	data := expiryFile()
	path := filepath.Join(t.TempDir(), "dump.rdb")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	bins, versions := releases(t)
	for i, bin := range bins {
		v := versions[i]
		var warned []Warning
		o := Options{Until: -1, Version: v, Now: time.Now().UnixMilli(), OnWarning: func(w Warning) { warned = append(warned, w) }}
		e, res, err := File(context.Background(), path, o)
		if err != nil {
			t.Fatal(err)
		}
		if res.KeysExpired != 3 || res.EmptyKeysSkipped != 5 || res.RDBKeys != 5 || res.Warnings != 5 || len(warned) != 5 {
			t.Errorf("%v: primary: %d keys, %d expired, %d empty, %d warnings, want 5, 3, 5, 5", v, res.RDBKeys, res.KeysExpired, res.EmptyKeysSkipped, res.Warnings)
		}
		for _, w := range warned {
			if !strings.HasPrefix(string(w.Key), "empty:") || !strings.Contains(w.Message, "skipping empty key") || w.Offset <= 9 {
				t.Errorf("%v: warning %+v", v, w)
			}
		}
		o.AsReplica, o.OnWarning = true, nil
		er, rres, err := File(context.Background(), path, o)
		if err != nil {
			t.Fatal(err)
		}
		if rres.KeysExpired != 0 || rres.EmptyKeysSkipped != 5 || rres.RDBKeys != 8 {
			t.Errorf("%v: replica: %d keys, %d expired, %d empty, want 8, 0, 5", v, rres.RDBKeys, rres.KeysExpired, rres.EmptyKeysSkipped)
		}

		s, c := startOn(t, bin, data)
		if got, want := e.Digest(), c.do(t, "DEBUG", "DIGEST"); got != want {
			t.Errorf("%v: primary: digest %s, server %s", v, got, want)
		}
		if n := c.do(t, "DBSIZE"); n != "4" {
			t.Errorf("%v: primary: server db 0 has %s keys", v, n)
		}
		if loaded, expired, empty := serverLoadCounts(t, s); loaded != res.RDBKeys || expired != res.KeysExpired || empty != res.EmptyKeysSkipped {
			t.Errorf("%v: server loaded %d, expired %d, skipped %d empty; replay %d, %d, %d", v, loaded, expired, empty, res.RDBKeys, res.KeysExpired, res.EmptyKeysSkipped)
		}

		// A replica of a primary that is not there loads the file at
		// startup and keeps every key (src/rdb.c: only a primary drops
		// them).
		_, rc := startOn(t, bin, data, "--replicaof", "127.0.0.1", "1")
		if got, want := er.Digest(), rc.do(t, "DEBUG", "DIGEST"); got != want {
			t.Errorf("%v: replica: digest %s, server %s", v, got, want)
		}
		if er.Digest() == e.Digest() {
			t.Errorf("%v: primary and replica digests are equal: the file tests nothing", v)
		}
		t.Logf("%v (%s): primary and replica digests equal the server's", v, bin)
	}
}

// TestEmptyKeysAsset: the upstream asset corrupt_empty_keys.rdb holds nine
// empty aggregates (plain, ziplist, listpack and quicklist encodings, one a
// quicklist of a single empty ziplist node). The server loads it as an
// empty dataset and logs each key; replay skips each with a warning.
func TestEmptyKeysAsset(t *testing.T) {
	path := filepath.Join(corpus(t), "upstream-assets", "redis", "corrupt_empty_keys.rdb")
	var keys []string
	e, res, err := File(context.Background(), path, Options{Until: -1, Now: time.Now().UnixMilli(),
		OnWarning: func(w Warning) { keys = append(keys, string(w.Key)) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.RDBKeys != 0 || res.EmptyKeysSkipped != 9 || len(keys) != 9 {
		t.Errorf("%d keys loaded, %d empty skipped, warnings for %q", res.RDBKeys, res.EmptyKeysSkipped, keys)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bins, versions := releases(t)
	for i, bin := range bins {
		s, c := startOn(t, bin, data)
		if n := c.do(t, "DBSIZE"); n != "0" {
			t.Errorf("%v: server: %s keys", versions[i], n)
		}
		if got, want := e.Digest(), c.do(t, "DEBUG", "DIGEST"); got != want {
			t.Errorf("%v: digest %s, server %s", versions[i], got, want)
		}
		if _, _, empty := serverLoadCounts(t, s); empty != 9 {
			t.Errorf("%v: server skipped %d empty keys", versions[i], empty)
		}
		for _, k := range keys {
			if !strings.Contains(s.Log(), "skipping empty key: "+k) {
				t.Errorf("%v: the server did not log key %q", versions[i], k)
			}
		}
	}
}

// TestTornTail: the corpus's aof-incr-truncated sets (the last command of
// the last file cut; the RDB 14 unstable build's set is left out: its
// array commands are not replayed yet) replay to the digest each real server printed after
// loading them with default settings (verdicts.json), with one warning;
// a torn file that is not the last stops the replay, as it stops the
// server; RefuseTruncated (aof-load-truncated no) refuses the torn tail.
func TestTornTail(t *testing.T) {
	dir := corpus(t)
	for _, srv := range servers {
		var vd struct {
			Verdicts []struct {
				Artifact string
				Damage   struct {
					Size int64 `json:"truncated_at"`
				}
				Server struct {
					Started bool
					Digest  string  `json:"debug_digest"`
					After   [][]any `json:"files_after"`
				} `json:"server_start"`
			}
		}
		b, err := os.ReadFile(filepath.Join(dir, srv, "verdicts.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, &vd); err != nil {
			t.Fatal(err)
		}
		found := false
		for _, v := range vd.Verdicts {
			set := filepath.Join(dir, srv, v.Artifact)
			switch v.Artifact {
			case "damaged/aof-incr-truncated/appendonlydir":
				found = true
				if !v.Server.Started || v.Server.Digest == "" {
					t.Fatalf("%s: no server digest", srv)
				}
				var ws []Warning
				e, res := replaySet(t, set, Options{Until: -1, Fallback: fallback(srv), OnWarning: func(w Warning) { ws = append(ws, w) }})
				if got := e.Digest(); got != v.Server.Digest {
					t.Errorf("%s: digest %s, the server loaded %s", srv, got, v.Server.Digest)
				}
				// The server cut the file where the replay says it drops
				// the tail (files_after: [name, size]).
				var cut float64
				for _, f := range v.Server.After {
					if strings.HasSuffix(f[0].(string), ".incr.aof") {
						cut = f[1].(float64)
					}
				}
				tr := res.Truncated
				if tr == nil || tr.OKUpTo != int64(cut) || tr.Bytes != v.Damage.Size-int64(cut) || len(ws) != 1 ||
					!strings.Contains(ws[0].Message, fmt.Sprintf("the server loads this with aof-load-truncated yes (the default) and drops %d bytes", tr.Bytes)) {
					t.Errorf("%s: truncation %+v, server cut at %v; warnings %+v", srv, tr, cut, ws)
				}
				s, err := manifest.Resolve(set, nil)
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := Set(context.Background(), s, Options{Until: -1, Fallback: fallback(srv), RefuseTruncated: true}); !errors.Is(err, ErrTruncatedRefused) {
					t.Errorf("%s: RefuseTruncated: %v", srv, err)
				}
			case "damaged/aof-base-aof-truncated/appendonlydir":
				s, err := manifest.Resolve(set, nil)
				if err != nil {
					t.Fatal(err)
				}
				_, _, err = Set(context.Background(), s, Options{Until: -1, Fallback: fallback(srv)})
				if !errors.Is(err, ErrTruncatedNotLast) || v.Server.Started {
					t.Errorf("%s: a torn base before an incr file: %v (server started: %v)", srv, err, v.Server.Started)
				}
			}
		}
		if !found {
			t.Errorf("%s: no aof-incr-truncated verdict", srv)
		}
	}
}

// TestTornTailServer loads a copy of the aof-incr-truncated set into the
// installed server and every release of RDBKIT_SERVERS (default settings:
// aof-load-truncated yes) and compares its DEBUG DIGEST with the replay
// (with that release's semantics). Each release loads the set of the
// corpus written by the same release when there is one, else 7.0.15's.
func TestTornTailServer(t *testing.T) {
	dir := corpus(t)
	bins, versions := releases(t)
	for i, bin := range bins {
		v := versions[i]
		src := filepath.Join(dir, "redis-7.0.15", "damaged", "aof-incr-truncated", "appendonlydir")
		for _, srv := range servers {
			if fallback(srv) == v {
				src = filepath.Join(dir, srv, "damaged", "aof-incr-truncated", "appendonlydir")
			}
		}
		e, res := replaySet(t, src, Options{Until: -1, Version: v})
		if res.Truncated == nil {
			t.Fatalf("%s: no torn tail", src)
		}
		sdir := t.TempDir()
		if err := os.CopyFS(filepath.Join(sdir, "appendonlydir"), os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		s := testserver.Start(t, bin, sdir, "--enable-debug-command", "yes", "--appendonly", "yes", "--appenddirname", "appendonlydir")
		c := dialServer(t, s)
		if got, want := e.Digest(), c.do(t, "DEBUG", "DIGEST"); got != want {
			t.Errorf("%v: %s: digest %s, server %s\n%s", v, src, got, want, s.Log())
		}
		if !strings.Contains(s.Log(), "aof-load-truncated is enabled") {
			t.Errorf("%v: the server did not load a torn tail:\n%s", v, s.Log())
		}
	}
}

// TestExpiredFieldsServer: on every server with hash field TTLs (Redis
// 7.4+, Valkey 9.0+), fields that expire while nothing touches them stay
// in the hash until a write or the active expire cycle (turned off here)
// reaches them. The replay of the server's AOF set, before and after a
// rewrite with an RDB preamble, must give the server's own DEBUG DIGEST at
// the load time: Valkey 9 leaves the expired fields out of its digest,
// Redis digests them.
func TestExpiredFieldsServer(t *testing.T) {
	bins, versions := releases(t)
	ran := 0
	for i, bin := range bins {
		v := versions[i]
		if !(v.Valkey && v.AtLeast(9, 0)) && !(!v.Valkey && v.AtLeast(7, 4)) {
			continue
		}
		ran++
		dir := t.TempDir()
		// appendfsync always: with everysec, a busy machine's slow fsync
		// lets the server postpone writing the AOF, and the files would
		// lag behind its replies.
		s := testserver.Start(t, bin, dir, "--enable-debug-command", "yes", "--appendonly", "yes", "--appenddirname", "appendonlydir",
			"--aof-use-rdb-preamble", "yes", "--appendfsync", "always")
		c := dialServer(t, s)
		c.do(t, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
		c.do(t, "HSET", "h", "a", "1", "b", "2", "c", "3", "e", "4")
		c.do(t, "HPEXPIRE", "h", "20", "FIELDS", "2", "a", "b")
		c.do(t, "HPEXPIRE", "h", "100000000", "FIELDS", "1", "c")
		c.do(t, "HSET", "k", "x", "1", "y", "2")
		c.do(t, "HPEXPIRE", "k", "20", "FIELDS", "1", "x")
		time.Sleep(100 * time.Millisecond)
		c.do(t, "HSET", "h", "a", "5") // a write on an expired field
		check := func(what string) {
			t.Helper()
			set, err := manifest.Resolve(filepath.Join(dir, "appendonlydir"), nil)
			if err != nil {
				t.Fatal(err)
			}
			e, _, err := Set(context.Background(), set, Options{Until: -1, Version: v, Now: time.Now().UnixMilli()})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := e.Digest(), c.do(t, "DEBUG", "DIGEST"); got != want {
				t.Errorf("%v: %s: replay digest %s, server %s", v, what, got, want)
				for _, k := range []string{"h", "k"} {
					val, _, _ := e.Lookup(0, []byte(k))
					t.Logf("key %s in the replay: %+v", k, val)
				}
			}
		}
		check("RESP incr")
		c.do(t, "BGREWRITEAOF")
		for i := 0; ; i++ {
			info := c.do(t, "INFO", "persistence")
			if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") {
				break
			}
			if i == 3000 {
				t.Fatalf("%v: BGREWRITEAOF did not finish", v)
			}
			time.Sleep(10 * time.Millisecond)
		}
		c.do(t, "HSET", "k", "z", "3")
		check("RDB preamble + incr")
	}
	if ran == 0 {
		t.Skip("no server with hash field TTLs (Redis 7.4+, Valkey 9.0+): RDBKIT_SERVERS names none")
	}
}
