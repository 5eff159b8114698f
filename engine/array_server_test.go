package engine

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// unstableServer returns the redis-server of the June 2026 unstable build
// (Redis 8.8 development: arrays, v5 streams) under RDBKIT_SERVERS, or
// skips the test.
func unstableServer(t *testing.T) string {
	t.Helper()
	root := os.Getenv("RDBKIT_SERVERS")
	if root == "" {
		t.Skip("RDBKIT_SERVERS is not set: the test against the unstable (Redis 8.8) server is skipped")
	}
	bin := filepath.Join(root, "redis-unstable-2026-06-09", "redis-server")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("%s not found: the test against the unstable (Redis 8.8) server is skipped", bin)
	}
	return bin
}

// arrayGen makes random array and v5-stream commands.
type arrayGen struct {
	r   *rand.Rand
	seq int
	ids map[string][]string // per stream: the IDs the server gave
}

func (g *arrayGen) n(k int) int { return g.r.IntN(k) }

func (g *arrayGen) pick(ss ...string) string { return ss[g.n(len(ss))] }

// id picks an ID of stream s ("1-1" before any).
func (g *arrayGen) id(s string) string {
	if len(g.ids[s]) == 0 {
		return "1-1"
	}
	return g.ids[s][g.n(len(g.ids[s]))]
}

func (g *arrayGen) index() string {
	switch g.n(10) {
	case 0:
		return strconv.Itoa(g.n(60000))
	case 1:
		return strconv.Itoa(4090 + g.n(12)) // slice boundaries
	}
	return strconv.Itoa(g.n(300))
}

func (g *arrayGen) val() string {
	switch g.n(12) {
	case 0:
		return strconv.Itoa(g.n(2000) - 1000)
	case 1:
		return g.pick("1.0", "-0.0", "3.5", "0.5", "3.50", "0.1", "1e5", "nan", "-0", "0123", "+5", "2305843009213693952")
	case 2:
		return strconv.FormatFloat(float64(g.n(100000))/8, 'f', -1, 64)
	case 3:
		return ""
	case 4:
		return strings.Repeat("long value ", 1+g.n(5))
	case 5:
		return string([]byte{0, 0xff, byte(g.n(256))})
	}
	return "v" + strconv.Itoa(g.n(50))
}

func (g *arrayGen) vals(max int) []string {
	out := make([]string, 1+g.n(max))
	for i := range out {
		out[i] = g.val()
	}
	return out
}

func (g *arrayGen) command() []string {
	k := "ar:" + strconv.Itoa(g.n(8))
	switch g.n(16) {
	case 0, 1, 2:
		return append([]string{"ARSET", k, g.index()}, g.vals(4)...)
	case 3, 4:
		c := []string{"ARMSET", k}
		for range 1 + g.n(5) {
			c = append(c, g.index(), g.val())
		}
		return c
	case 5:
		c := []string{"ARDEL", k}
		for range 1 + g.n(4) {
			c = append(c, g.index())
		}
		return c
	case 6:
		return []string{"ARDELRANGE", k, g.index(), g.index()}
	case 7, 8:
		return append([]string{"ARINSERT", k}, g.vals(4)...)
	case 9, 10:
		return append([]string{"ARRING", k, strconv.Itoa(1 + g.n(12))}, g.vals(5)...)
	case 11:
		return []string{"ARSEEK", k, g.pick("0", "1", g.index(), "18446744073709551615")}
	}
	s := "st:" + strconv.Itoa(g.n(2))
	g.seq++
	switch g.n(6) {
	case 0:
		return []string{"XCFGSET", s, "IDMP-MAXSIZE", strconv.Itoa(2 + g.n(3))}
	case 1:
		c := []string{"XNACK", s, "g", g.pick("SILENT", "FAIL", "FATAL"), "IDS", "1", g.id(s)}
		switch g.n(3) {
		case 0:
			c = append(c, "FORCE")
		case 1:
			c = append(c, "RETRYCOUNT", strconv.Itoa(g.n(4)))
		}
		return c
	case 2:
		return []string{"XACK", s, "g", g.id(s)}
	}
	if g.n(3) == 0 { // the id a hash of the pairs, which repeat
		return []string{"XADD", s, "IDMPAUTO", "p" + strconv.Itoa(g.n(2)), "1-" + strconv.Itoa(g.seq), "f", "v" + strconv.Itoa(g.n(4)), "g", g.pick("1", "2")}
	}
	return []string{"XADD", s, "IDMP", "p" + strconv.Itoa(g.n(2)), "i" + strconv.Itoa(g.n(6)), "1-" + strconv.Itoa(g.seq), "f", g.val()}
}

// TestArrayUnstableServer runs random array and v5-stream commands on the
// unstable server and in an Engine, command by command (same success or
// error), then compares every key's DEBUG DIGEST-VALUE, DEBUG DIGEST and
// each array's ARCOUNT, ARLEN and ARNEXT; finally the server's own
// appendonlydir (rewritten halfway, so it holds ARMSET/ARSEEK and
// XIDMPRECORD/XNACK rewrites and the propagated commands after) is
// replayed into a new Engine and compared the same way.
func TestArrayUnstableServer(t *testing.T) {
	bin := unstableServer(t)
	dir := t.TempDir()
	srv := testserver.Start(t, bin, dir, "--enable-debug-command", "yes", "--appendonly", "yes", "--appendfsync", "always")
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &respConn{c: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
	v := ServerVersion{Major: 8, Minor: 8}
	e := New(v)
	// XADD with an explicit ID and IDMP is what an AOF holds; a client may
	// not send it, so the streams get their entries as the AOF client would.
	for _, s := range []string{"st:0", "st:1"} {
		c.do(t, "XGROUP", "CREATE", s, "g", "$", "MKSTREAM")
		do(t, e, "XGROUP", "CREATE", s, "g", "0", "MKSTREAM")
	}
	seed, n := soakParams(t, 6000)
	g := &arrayGen{r: rand.New(rand.NewPCG(seed, 88)), ids: map[string][]string{}}
	send := func(cmd []string) {
		t.Helper()
		sc := cmd
		idAt := 5 // XADD s IDMP pid iid ID ...
		if len(cmd) > 2 && cmd[2] == "IDMPAUTO" {
			idAt = 4 // XADD s IDMPAUTO pid ID ...
		}
		if cmd[0] == "XADD" {
			sc = append(append([]string{}, cmd[:idAt]...), append([]string{"*"}, cmd[idAt+1:]...)...)
		}
		c.send(sc...)
		if err := c.w.Flush(); err != nil {
			t.Fatal(err)
		}
		rep, err := c.reply()
		if err != nil {
			t.Fatal(err)
		}
		_, srvErr := rep.(respError)
		if cmd[0] == "XADD" && !srvErr {
			cmd = append(append([]string{}, cmd[:idAt]...), append([]string{rep.(string)}, cmd[idAt+1:]...)...)
			g.ids[cmd[1]] = append(g.ids[cmd[1]], rep.(string))
			if g.n(3) == 0 { // a consumer reads it: a PEL entry to NACK later
				c.do(t, "XREADGROUP", "GROUP", "g", "c", "COUNT", "1", "STREAMS", cmd[1], ">")
				do(t, e, "XCLAIM", cmd[1], "g", "c", "0", rep.(string), "FORCE", "JUSTID")
				do(t, e, "XGROUP", "SETID", cmd[1], "g", rep.(string))
			}
		}
		engErr := e.Exec(toArgv(cmd))
		if srvErr != (engErr != nil) {
			t.Fatalf("%q: server %v, engine %v", cmd, rep, engErr)
		}
	}
	for i := range n {
		send(g.command())
		if i == n/2 {
			c.do(t, "BGREWRITEAOF")
			waitRewrite(t, c)
		}
	}
	compareArrays(t, c, e, "direct")
	r := New(v)
	if _, err := replayDir(r, filepath.Join(dir, "appendonlydir")); err != nil {
		t.Fatal(err)
	}
	compareArrays(t, c, r, "AOF replay")
}

// waitRewrite waits for an AOF rewrite to end.
func waitRewrite(t *testing.T, c *respConn) {
	t.Helper()
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(20 * time.Millisecond) {
		info := c.do(t, "INFO", "persistence").(string)
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") {
			return
		}
	}
	t.Fatal("AOF rewrite did not finish in 30 s")
}

// compareArrays compares the server's db 0 with the engine's: DEBUG
// DIGEST, every key's DEBUG DIGEST-VALUE, and each array's ARCOUNT, ARLEN,
// ARNEXT (the cursor is not part of the digest).
func compareArrays(t *testing.T, c *respConn, e *Engine, what string) {
	t.Helper()
	keys := c.do(t, "KEYS", "*").([]any)
	if len(keys) != e.Len(0) {
		t.Errorf("%s: %d keys, engine %d", what, len(keys), e.Len(0))
	}
	arrays := 0
	for _, k := range keys {
		key := k.(string)
		want := c.do(t, "DEBUG", "DIGEST-VALUE", key).([]any)[0].(string)
		if got := e.DigestValue(0, []byte(key)); got != want {
			t.Errorf("%s: key %q: DIGEST-VALUE %s, server %s", what, key, got, want)
		}
		if c.do(t, "TYPE", key).(string) != "array" {
			continue
		}
		arrays++
		v, _, ok := e.Lookup(0, []byte(key))
		if !ok {
			t.Errorf("%s: key %q missing", what, key)
			continue
		}
		a := v.Array
		var length uint64
		if n := len(a.Elements); n > 0 {
			length = a.Elements[n-1].Index + 1
		}
		srv := []string{replyText(c.do(t, "ARCOUNT", key)), replyText(c.do(t, "ARLEN", key)), replyText(c.do(t, "ARNEXT", key))}
		got := []string{strconv.Itoa(len(a.Elements)), strconv.FormatUint(length, 10), arNext(a)}
		if strings.Join(srv, " ") != strings.Join(got, " ") {
			t.Errorf("%s: array %q: count/len/next %v, server %v", what, key, got, srv)
		}
	}
	if got, want := e.Digest(), c.do(t, "DEBUG", "DIGEST").(string); got != want {
		t.Errorf("%s: DEBUG DIGEST %s, server %s", what, got, want)
	}
	if arrays == 0 {
		t.Errorf("%s: no arrays compared", what)
	}
	t.Logf("%s: %d keys (%d arrays) equal to the server", what, len(keys), arrays)
}

func replyText(r any) string {
	switch x := r.(type) {
	case nil:
		return "nil"
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return x
	}
	return "?"
}

// TestIDMPAutoServer: the idempotent ids of XADD IDMPAUTO that the
// unstable server stores (read back from its SAVEd RDB) are the bytes
// idmpAutoIID computes from the same pairs, for pairs of every shape:
// one or many, any order, empty, binary, integers the server holds
// int-encoded, and longer than XXH3's short-input paths (16, 128, 240
// bytes).
func TestIDMPAutoServer(t *testing.T) {
	bin := unstableServer(t)
	dir := t.TempDir()
	srv := testserver.Start(t, bin, dir)
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &respConn{c: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}
	r := rand.New(rand.NewPCG(61207, 1))
	pairsOf := map[string][]string{} // entry ID -> its pairs
	for i := range 60 {
		var pairs []string
		for range 1 + r.IntN(4) {
			for range 2 {
				var v string
				switch r.IntN(6) {
				case 0:
					v = ""
				case 1:
					v = strconv.Itoa(r.IntN(100000) - 500)
				case 2:
					v = string([]byte{0, 0xff, byte(r.IntN(256))})
				case 3:
					v = strings.Repeat("x", []int{15, 16, 17, 128, 129, 240, 241, 1000}[r.IntN(8)])
				default:
					v = "f" + strconv.Itoa(r.IntN(20))
				}
				pairs = append(pairs, v)
			}
		}
		cmd := append([]string{"XADD", "s", "IDMPAUTO", "p" + strconv.Itoa(i%3), "*"}, pairs...)
		if id, ok := c.do(t, cmd...).(string); ok {
			if _, dup := pairsOf[id]; !dup {
				pairsOf[id] = pairs
			}
		}
	}
	c.do(t, "SAVE")
	f, err := os.Open(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd := rdbfile.NewReader(f, nil)
	checked := 0
	for {
		en, err := rd.Next()
		if err != nil {
			break
		}
		if en.Kind != rdbfile.EntryKey || string(en.Key) != "s" {
			continue
		}
		v, err := en.Value()
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range v.Stream.IDMP.Producers {
			for _, rec := range p.Entries {
				pairs, ok := pairsOf[rec.ID.String()]
				if !ok {
					t.Fatalf("the server recorded %s, which no XADD returned", rec.ID)
				}
				if got := idmpAutoIID(toArgv(pairs)); !bytes.Equal(got, rec.IID) {
					t.Errorf("pairs %q: IID %x, the server's %x", pairs, got, rec.IID)
				}
				checked++
			}
		}
	}
	if checked < 30 {
		t.Fatalf("only %d IDMPAUTO records compared", checked)
	}
}
