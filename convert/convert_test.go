package convert_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/engine"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// rdbInputs lists the readable RDB files of the corpus and of testdata.
func rdbInputs(t testing.TB) []string { return testcorpus.GoodRDBs(t) }

func trailerZero(data []byte) bool {
	return len(data) >= 8 && bytes.Equal(data[len(data)-8:], make([]byte, 8))
}

func run(t *testing.T, data []byte, target rdbfile.WriterOptions, o *convert.Options) ([]byte, *convert.Report, error) {
	t.Helper()
	var out bytes.Buffer
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	w := rdbfile.NewWriter(&out, &target)
	rep, err := convert.Convert(r, w, o)
	return out.Bytes(), rep, err
}

// eachRecord calls fn with every record of data, in file order; the test
// fails on a read error.
func eachRecord(t *testing.T, data []byte, fn func(*rdbfile.Entry)) {
	t.Helper()
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	for {
		e, err := r.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fn(e)
	}
}

func header(t *testing.T, data []byte) *rdbfile.Header {
	t.Helper()
	h, err := rdbfile.NewReader(bytes.NewReader(data), nil).Header()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestConvertSameTargetIdentical: converting a file to its own version
// without filters is the raw path: the output is the input, byte for byte.
func TestConvertSameTargetIdentical(t *testing.T) {
	for _, p := range rdbInputs(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		h := header(t, data)
		out, rep, err := run(t, data, rdbfile.WriterOptions{Dialect: h.Dialect, Version: h.Version, NoChecksum: trailerZero(data)}, nil)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !bytes.Equal(out, data) {
			t.Errorf("%s: output differs from the input (%d vs %d bytes)", p, len(out), len(data))
		}
		if rep.Reencoded != 0 || rep.Raw != rep.KeysRead || len(rep.Losses) != 0 {
			t.Errorf("%s: report %+v", p, rep)
		}
	}
}

var allDrop = convert.Options{FieldTTL: convert.Drop, StreamMeta: convert.Drop, Functions: convert.Drop,
	Modules: convert.Drop, Types: convert.Drop, SlotInfo: convert.Drop, KeyMeta: convert.Drop}

type kv struct {
	typ rdbfile.Type
	h   rdbfile.KeyHeader
	val *rdbfile.Value
}

func readKeys(t *testing.T, name string, data []byte) (map[string]kv, []string) {
	t.Helper()
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	keys := map[string]kv{}
	var funcs []string
	for {
		e, err := r.Next()
		if err == io.EOF {
			return keys, funcs
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if e.Kind == rdbfile.EntryFunction {
			funcs = append(funcs, string(e.Data))
		}
		if e.Kind != rdbfile.EntryKey {
			continue
		}
		h := rdbfile.HeaderOf(e)
		h.Key = bytes.Clone(e.Key)
		id := strconv.Itoa(e.DB) + "\x00" + string(e.Key)
		typ := e.Type
		v, err := e.Value()
		if err != nil {
			t.Fatalf("%s: key %q: %v", name, e.Key, err)
		}
		keys[id] = kv{typ, h, v}
	}
}

// targets is every format the writer produces.
var targets = func() []rdbfile.WriterOptions {
	var out []rdbfile.WriterOptions
	for v := 1; v <= 15; v++ {
		out = append(out, rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: v})
	}
	return append(out, rdbfile.WriterOptions{Dialect: rdbfile.DialectValkey, Version: 80})
}()

func named(rep *convert.Report, key []byte, cats ...string) bool {
	for _, l := range rep.Losses {
		if len(cats) > 0 && !contains(cats, l.Category) {
			continue
		}
		for _, k := range l.Keys {
			if bytes.Equal(k, key) {
				return true
			}
		}
	}
	return false
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if x == y {
			return true
		}
	}
	return false
}

// TestConvertCorpusAllTargets converts every readable file to every target:
// with the Fail policies either cleanly or blocked with the losses listed
// (the same as under Drop, but for module values, which Drop leaves out
// where the default copies them);
// with Drop, the output reads back clean and every key the report does not
// name keeps its value; named keys are gone or lost exactly the named part.
func TestConvertCorpusAllTargets(t *testing.T) {
	v70, _ := engine.ParseServerVersion("7.4.1")
	for _, p := range rdbInputs(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		src, srcFuncs := readKeys(t, p, data)
		for _, tg := range targets {
			name := fmt.Sprintf("%s -> %s %d", p, tg.Dialect, tg.Version)
			_, frep, ferr := run(t, data, tg, &convert.Options{MaxNamed: 1 << 20})
			out, rep, err := run(t, data, tg, func() *convert.Options { o := allDrop; o.MaxNamed = 1 << 20; return &o }())
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if (ferr != nil) != (len(frep.Losses) > 0) || (ferr != nil && !errors.Is(ferr, convert.ErrBlocked)) {
				t.Errorf("%s: fail policy: %v with losses %v", name, ferr, frep.Losses)
			}
			// The same losses under both policies, but for module values:
			// the default copies those the target has a type for (for a
			// server with the module), and drop leaves every one out.
			cats := func(r *convert.Report) (n int, mods bool) {
				for _, l := range r.Losses {
					if l.Category == convert.LossModules {
						mods = true
					} else {
						n++
					}
				}
				return n, mods
			}
			fn, fmods := cats(frep)
			dn, dmods := cats(rep)
			if fn != dn || fmods && !dmods {
				t.Errorf("%s: loss categories %v under fail, %v under drop", name, frep.Losses, rep.Losses)
			}
			got, gotFuncs := readKeys(t, name+" (output)", out)
			h := header(t, out)
			if h.Version != tg.Version || h.Dialect != tg.Dialect {
				t.Fatalf("%s: output header %+v", name, h)
			}
			for id, s := range src {
				g, ok := got[id]
				key := s.h.Key
				if !ok {
					if !named(rep, key, convert.LossTypes, convert.LossModules) {
						t.Errorf("%s: key %q missing and not named", name, key)
					}
					continue
				}
				if named(rep, key, convert.LossTypes, convert.LossModules) {
					t.Errorf("%s: key %q named as dropped but present", name, key)
				}
				if g.h.ExpireAt != s.h.ExpireAt && !(tg.Version < 3 && (g.h.ExpireAt+999)/1000 == (s.h.ExpireAt+999)/1000) {
					t.Errorf("%s: key %q expire %d, want %d", name, key, g.h.ExpireAt, s.h.ExpireAt)
				}
				if s.val.Kind == rdbfile.KindModule {
					continue
				}
				if named(rep, key, convert.LossFieldTTL, convert.LossStreamMeta) {
					continue
				}
				// Digests of the logical values (engine.ValueDigest) must agree.
				sd, err1 := engine.ValueDigest(v70, s.val, false)
				gd, err2 := engine.ValueDigest(v70, g.val, false)
				if err1 != nil && err2 != nil && s.val.Kind == rdbfile.KindArray {
					// No digest for arrays in the engine: compare the values.
					if !reflect.DeepEqual(s.val, g.val) {
						t.Errorf("%s: key %q: array differs", name, key)
					}
					continue
				}
				if err1 != nil || err2 != nil || sd != gd {
					t.Errorf("%s: key %q (%s -> %s) digest %s, want %s (%v %v)", name, key, s.typ, g.typ, gd, sd, err1, err2)
				}
			}
			if len(got) != len(src)-int(countCat(rep, convert.LossTypes, convert.LossModules)) {
				t.Errorf("%s: %d keys out of %d, report %+v", name, len(got), len(src), rep.Losses)
			}
			if l := rep.Loss(convert.LossFunctions); l == nil && strings.Join(gotFuncs, "|") != strings.Join(srcFuncs, "|") {
				t.Errorf("%s: functions %d, want %d", name, len(gotFuncs), len(srcFuncs))
			}
		}
	}
}

func countCat(rep *convert.Report, cats ...string) int64 {
	var n int64
	for _, l := range rep.Losses {
		if contains(cats, l.Category) {
			n += l.Count
		}
	}
	return n
}

// resp is a minimal RESP2 client for the server tests.
type resp struct {
	c net.Conn
	r *bufio.Reader
}

func (c *resp) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.c.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return c.read()
}

func (c *resp) read() (any, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, errors.New(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(c.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, max(n, 0))
		for i := range out {
			if out[i], err = c.read(); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return nil, errors.New("bad reply " + strconv.Quote(line))
}

func startServer(t *testing.T) (*resp, engine.ServerVersion, string) {
	t.Helper()
	bin := testserver.Bin(t)
	dir := t.TempDir()
	srv := testserver.Start(t, bin, dir, "--enable-debug-command", "yes", "--appendonly", "no", "--dbfilename", "dump.rdb")
	conn, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_, _, text := testserver.Version(t, bin)
	v, err := engine.ParseServerVersion(text)
	if err != nil {
		t.Fatal(err)
	}
	return &resp{c: conn, r: bufio.NewReader(conn)}, v, dir
}

// engineDigest loads an RDB file into the engine of server version v and
// returns its DEBUG DIGEST and each key's DIGEST-VALUE.
func engineDigest(t *testing.T, v engine.ServerVersion, data []byte) (string, *engine.Engine) {
	t.Helper()
	e := engine.New(v)
	if err := e.LoadRDB(rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})); err != nil {
		t.Fatal(err)
	}
	return e.Digest(), e
}

// TestConvertRedisServerLoads converts the corpus dumps of every server
// down to RDB 10, 9, 8, 7 and 6 (drop policies) and has the local
// redis-server load each output (DEBUG RELOAD NOSAVE): its DEBUG DIGEST must
// equal the engine's digest of the same output, and every key the report
// does not name keeps the DIGEST-VALUE the engine computes for the source.
func TestConvertRedisServerLoads(t *testing.T) {
	c, v, dir := startServer(t)
	if !v.AtLeast(7, 0) {
		t.Skipf("redis-server %v is older than 7.0", v)
	}
	corpus := testcorpus.Dir(t)
	var files []string
	for _, s := range []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1"} {
		for _, f := range []string{"dump.rdb", "dump-lfu.rdb", "dump-bigvalue.rdb"} {
			files = append(files, filepath.Join(corpus, s, "rdb", f))
		}
	}
	files = append(files, filepath.Join("..", "testdata", "rdb", "valkey-9-hash2-rdb80.rdb"))
	loads, ttlKeys := 0, 0
	for _, p := range files {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		_, srcEng := engineDigest(t, v, data)
		for _, ver := range []int{10, 9, 8, 7, 6} {
			name := fmt.Sprintf("%s -> RDB %d", p, ver)
			o := allDrop
			o.MaxNamed = 1 << 20
			out, rep, err := run(t, data, rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: ver}, &o)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), out, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := c.do("DEBUG", "RELOAD", "NOSAVE"); err != nil {
				t.Fatalf("%s: the server refused the output: %v", name, err)
			}
			loads++
			want, outEng := engineDigest(t, v, out)
			got, err := c.do("DEBUG", "DIGEST")
			if err != nil || got != want {
				t.Errorf("%s: server DEBUG DIGEST %v (%v), engine %s", name, got, err, want)
			}
			for _, db := range outEng.DBs() {
				for _, k := range outEng.Keys(db) {
					if named(rep, k) {
						continue
					}
					if s, o := srcEng.DigestValue(db, k), outEng.DigestValue(db, k); s != o {
						t.Errorf("%s: db %d key %q: DIGEST-VALUE %s, source %s", name, db, k, o, s)
					}
				}
			}
			n, _, _ := checkTTLs(t, name, c, rep, srcEng, outEng, false)
			ttlKeys += n
		}
	}
	t.Logf("redis-server %v loaded %d converted files; %d keys kept their expire time", v, loads, ttlKeys)
}

// TestDumpRestoreRedisServer: DUMP payloads written for RDB 10 down to 6
// are accepted by the local server's RESTORE, which then reports the
// DIGEST-VALUE the engine computes; and the server's own DUMP payloads
// decode (rdbfile.ReadDump) to values of the same digest.
func TestDumpRestoreRedisServer(t *testing.T) {
	c, v, _ := startServer(t)
	if !v.AtLeast(7, 0) {
		t.Skipf("redis-server %v is older than 7.0", v)
	}
	corpus := testcorpus.Dir(t)
	n := 0
	for _, s := range []string{"redis-7.0.15", "redis-7.4.1", "valkey-8.0.1"} {
		data, err := os.ReadFile(filepath.Join(corpus, s, "rdb", "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		keys, _ := readKeys(t, s, data)
		for _, k := range keys {
			val := k.val
			if val.Kind == rdbfile.KindModule || val.Kind == rdbfile.KindHash && hasTTL(val) {
				continue
			}
			want, err := engine.ValueDigest(v, val, false)
			if err != nil {
				t.Fatal(err)
			}
			for _, ver := range []int{10, 9, 8, 7, 6} {
				if val.Kind == rdbfile.KindStream && ver < 9 {
					continue
				}
				p, err := rdbfile.AppendDump(nil, val, &rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: ver})
				if val.Kind == rdbfile.KindStream && errors.Is(err, rdbfile.ErrUnsupported) {
					continue // metadata the older stream type cannot hold: refused, as it must be
				}
				if err != nil {
					t.Fatalf("%s key %q RDB %d: %v", s, k.h.Key, ver, err)
				}
				if _, err := c.do("RESTORE", "k", "0", string(p), "REPLACE"); err != nil {
					t.Fatalf("%s key %q RDB %d: RESTORE: %v", s, k.h.Key, ver, err)
				}
				got, err := c.do("DEBUG", "DIGEST-VALUE", "k")
				if err != nil || got.([]any)[0] != want {
					t.Errorf("%s key %q RDB %d: server DIGEST-VALUE %v, engine %s", s, k.h.Key, ver, got, want)
				}
				n++
			}
			// And back: the server's DUMP of what it restored.
			d, err := c.do("DUMP", "k")
			if err != nil {
				t.Fatal(err)
			}
			back, ver, err := rdbfile.ReadDump([]byte(d.(string)), 0)
			if err != nil || ver != 10 {
				t.Fatalf("%s key %q: ReadDump of the server's DUMP: version %d, %v", s, k.h.Key, ver, err)
			}
			if got, _ := engine.ValueDigest(v, back, false); got != want {
				t.Errorf("%s key %q: server DUMP decodes to digest %s, want %s", s, k.h.Key, got, want)
			}
		}
	}
	t.Logf("redis-server %v restored %d payloads", v, n)
}

// checkTTLs compares, for every key the server holds after loading a
// converted file and the report does not name, the server's key expire
// time (PEXPIRETIME, Redis 7.0+) and, where fieldTTLs (the server has
// HPEXPIRETIME: Redis 7.4+, Valkey 9.0+), every hash field's expire time
// with the source's (srcEng). DEBUG DIGEST and DIGEST-VALUE cover neither
// value: a digest sees only that a key has an expire, and no field's. It
// reports what differs with t.Errorf and returns the number of keys
// checked, of those with field TTLs, and of those that differ.
func checkTTLs(t *testing.T, name string, c *resp, rep *convert.Report, srcEng, outEng *engine.Engine, fieldTTLs bool) (keys, withFields, bad int) {
	t.Helper()
	for _, db := range outEng.DBs() {
		if _, err := c.do("SELECT", strconv.Itoa(db)); err != nil {
			t.Fatal(err)
		}
		for _, k := range outEng.Keys(db) {
			if named(rep, k) {
				continue
			}
			v, exp, ok := srcEng.Lookup(db, k)
			if !ok {
				t.Errorf("%s: db %d key %q: not in the source", name, db, k)
				bad++
				continue
			}
			keys++
			if got, err := c.do("PEXPIRETIME", string(k)); err != nil || got != exp {
				t.Errorf("%s: db %d key %q: server PEXPIRETIME %v (%v), source %d", name, db, k, got, err, exp)
				bad++
			}
			if !fieldTTLs || v.Kind != rdbfile.KindHash || !hasTTL(v) {
				continue
			}
			withFields++
			args := []string{"HPEXPIRETIME", string(k), "FIELDS", strconv.Itoa(len(v.Hash))}
			for _, f := range v.Hash {
				args = append(args, string(f.Field))
			}
			got, err := c.do(args...)
			l, _ := got.([]any)
			if err != nil || len(l) != len(v.Hash) {
				t.Errorf("%s: db %d key %q: server HPEXPIRETIME %v (%v)", name, db, k, got, err)
				bad++
				continue
			}
			for i, f := range v.Hash {
				if l[i] != f.ExpireAt {
					t.Errorf("%s: db %d key %q field %q: server HPEXPIRETIME %v, source %d", name, db, k, f.Field, l[i], f.ExpireAt)
					bad++
				}
			}
		}
	}
	if _, err := c.do("SELECT", "0"); err != nil {
		t.Fatal(err)
	}
	return keys, withFields, bad
}

func hasTTL(v *rdbfile.Value) bool {
	for _, f := range v.Hash {
		if f.ExpireAt != rdbfile.NoExpire {
			return true
		}
	}
	return false
}
