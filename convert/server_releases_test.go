package convert_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/engine"
	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// localServer is one server binary of RDBKIT_SERVERS, started for a test.
type localServer struct {
	name string // the release folder, e.g. "redis-7.4.1"
	c    *resp
	dir  string
	srv  *testserver.Server
	ver  engine.ServerVersion // the version whose semantics the engine uses for it
	rel  *release.Release     // its release line in the release table
	// keys whose expire time, and hash field expire times, were compared
	// (checkTTLs)
	ttlKeys, fieldTTLKeys int
	d                     rdbfile.Dialect // the magic and RDB version it writes
	rdb                   int
}

// startLocal starts binary bin (127.0.0.1, a free port, a directory of its
// own), finds its release line (testserver.ReleaseOf) and checks it
// against the file it SAVEs: the release table's magic and RDB version
// must be the server's own.
func startLocal(t *testing.T, bin string) *localServer {
	t.Helper()
	s := &localServer{name: filepath.Base(filepath.Dir(bin)), dir: t.TempDir()}
	s.srv = testserver.Start(t, bin, s.dir, "--enable-debug-command", "yes", "--appendonly", "no", "--dbfilename", "dump.rdb")
	conn, err := net.Dial("tcp", s.srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s.c = &resp{c: conn, r: bufio.NewReader(conn)}
	if s.ver, err = engine.ParseServerVersion(testserver.VersionText(t, bin)); err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	if _, err := s.c.do("SAVE"); err != nil {
		t.Fatalf("%s: SAVE: %v", bin, err)
	}
	saved, err := os.ReadFile(filepath.Join(s.dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	h := header(t, saved)
	s.d, s.rdb = h.Dialect, h.Version
	rel := testserver.ReleaseOf(t, bin)
	if rd, rv := rdbfile.ReleaseOptions(rel).Dialect, rdbfile.ReleaseOptions(rel).Version; rd != s.d || rv != s.rdb {
		t.Fatalf("%s: the release table says %s writes %s RDB %d; the server SAVEd %s RDB %d", bin, rel, rd, rv, s.d, s.rdb)
	}
	s.rel = rel
	return s
}

// serverTarget is one output format a server is given: the release-table
// names that write it and the writer's options.
type serverTarget struct {
	names []string
	opts  rdbfile.WriterOptions
}

func (tg serverTarget) String() string {
	v := "RDB " + strconv.Itoa(tg.opts.Version)
	if tg.opts.Dialect == rdbfile.DialectValkey {
		v = "VALKEY " + strconv.Itoa(tg.opts.Version)
	}
	return strings.Join(tg.names, ", ") + " (" + v + ")"
}

// loadableTargets are the targets server release srv loads: every release
// of the table whose files srv reads (release.CheckRDB, its own RDB version
// and below, its dialect), one target per distinct output format (a
// release's magic, RDB version and default limits), then RDB 9 down to 6
// (the versions before the release table, as the test against the
// installed server runs them).
func loadableTargets(srv *release.Release) []serverTarget {
	var out []serverTarget
	for _, r := range release.All() {
		fd := release.Redis
		if r.Magic == "VALKEY" {
			fd = release.Valkey
		}
		if _, refused := srv.CheckRDB(fd, r.RDB); refused {
			continue
		}
		o := rdbfile.ReleaseOptions(r)
		found := false
		for i := range out {
			if p := out[i].opts; p.Dialect == o.Dialect && p.Version == o.Version && *p.Limits == *o.Limits {
				out[i].names = append(out[i].names, r.Name)
				found = true
			}
		}
		if !found {
			out = append(out, serverTarget{names: []string{r.Name}, opts: o})
		}
	}
	for v := 9; v >= 6; v-- {
		out = append(out, serverTarget{names: []string{"rdb-" + strconv.Itoa(v)}, opts: rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: v}})
	}
	return out
}

// TestConvertReleaseServersLoad is TestConvertRedisServerLoads for the
// server releases of RDBKIT_SERVERS (one folder per release holding
// redis-server or valkey-server; Redis 7.2, 7.4, 8.0-m01, an unstable
// build writing RDB 14, Valkey 8.0): every good RDB file of the corpus and
// testdata is converted, with the drop policies, to every target the
// server loads (loadableTargets); the server loads each output (DEBUG
// RELOAD NOSAVE); its DEBUG DIGEST must equal the engine's digest of the
// same output, and every key the report does not name keeps the source's
// DIGEST-VALUE. It skips where RDBKIT_SERVERS names no server binaries.
// Every such key must also keep its expire time, and its hash fields'
// theirs where the server has field TTLs (checkTTLs).
//
// It logs a table of server x target x result.
func TestConvertReleaseServersLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the newer-server load test runs for minutes")
	}
	root := os.Getenv("RDBKIT_SERVERS")
	var bins []string
	for _, b := range testserver.Releases(t) {
		if root != "" && strings.HasPrefix(b, filepath.Clean(root)+string(filepath.Separator)) {
			bins = append(bins, b)
		}
	}
	if len(bins) == 0 {
		t.Skip("RDBKIT_SERVERS names no server binaries (one folder per release, each holding redis-server or valkey-server): the newer-server load test is skipped")
	}
	files := testcorpus.DistinctGoodRDBs(t)
	type cell struct{ pass, fail, dumps int }
	var table []string
	start := time.Now()
	for _, bin := range bins {
		began := time.Now()
		s := startLocal(t, bin)
		targets := loadableTargets(s.rel)
		cells := make([]cell, len(targets))
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			var srcEng *engine.Engine
			for ti, tg := range targets {
				name := fmt.Sprintf("%s: %s -> %s", s.name, p, tg)
				o := allDrop
				o.MaxNamed = 1 << 20
				out, rep, err := run(t, data, tg.opts, &o)
				if err != nil {
					t.Errorf("%s: %v", name, err)
					cells[ti].fail++
					continue
				}
				if srcEng == nil {
					_, srcEng = engineDigest(t, s.ver, data)
				}
				cells[ti].dumps++
				if !s.load(t, name, out, rep, srcEng) {
					cells[ti].fail++
					continue
				}
				cells[ti].pass++
			}
		}
		// A Redis 7.0 release candidate's pre-release FUNCTION record
		// (0xF6), written as FUNCTION2 for every target after RDB 10: the
		// server loads the library and runs its function. (RDB 10 keeps
		// the record as it is, for Redis 7.0; these servers refuse it, as
		// they refuse the input.)
		for _, tg := range targets {
			if tg.opts.Dialect == rdbfile.DialectRedis && tg.opts.Version <= 10 {
				continue
			}
			name := fmt.Sprintf("%s: pre-release FUNCTION -> %s", s.name, tg)
			out, _, err := run(t, preGAFunctionRDB(), tg.opts, nil)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if err := os.WriteFile(filepath.Join(s.dir, "dump.rdb"), out, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := s.c.do("DEBUG", "RELOAD", "NOSAVE"); err != nil {
				t.Fatalf("%s: the server refused the output: %v", name, err)
			}
			if got, err := s.c.do("FCALL", "f", "0"); err != nil || got != int64(1) {
				t.Errorf("%s: FCALL f: %v %v", name, got, err)
			}
			s.c.do("FUNCTION", "FLUSH")
		}
		for ti, tg := range targets {
			c := cells[ti]
			res := "pass"
			if c.fail > 0 {
				res = "FAIL " + strconv.Itoa(c.fail)
			}
			table = append(table, fmt.Sprintf("| %s (%s) | %s | %s | %d |", s.name, s.rel, tg, res, c.dumps))
		}
		s.srv.Stop()
		t.Logf("%s: %d targets in %s; %d loaded keys kept their expire time, %d hashes their field expire times", s.name, len(targets), time.Since(began).Round(time.Second), s.ttlKeys, s.fieldTTLKeys)
	}
	t.Logf("%d files, %s\n| server | target | result | dumps loaded |\n|---|---|---|---|\n%s",
		len(files), time.Since(start).Round(time.Second), strings.Join(table, "\n"))
}

// load has the server load out and compares its digests with the engine's;
// false when something differs (reported with t.Errorf).
func (s *localServer) load(t *testing.T, name string, out []byte, rep *convert.Report, srcEng *engine.Engine) bool {
	t.Helper()
	if err := os.WriteFile(filepath.Join(s.dir, "dump.rdb"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.c.do("DEBUG", "RELOAD", "NOSAVE"); err != nil {
		log := s.srv.Log()
		if len(log) > 2000 {
			log = log[len(log)-2000:]
		}
		if s.srv.Exited() {
			t.Fatalf("%s: the server refused the output and exited: %v\n%s", name, err, log)
		}
		t.Errorf("%s: the server refused the output: %v\n%s", name, err, log)
		return false
	}
	want, outEng := engineDigest(t, s.ver, out)
	ok := true
	if far := farArrays(t, out); len(far) == 0 {
		got, err := s.c.do("DEBUG", "DIGEST")
		if err != nil || got != want {
			t.Errorf("%s: server DEBUG DIGEST %v (%v), engine %s", name, got, err, want)
			ok = false
		}
	} else {
		// The server's DEBUG DIGEST walks an array's slots up to its
		// length (2^64-1 here): it does not return, and the corpus's
		// ground truth takes none for these files. Each other key's
		// DEBUG DIGEST-VALUE is compared instead, and the key counts.
		for _, db := range outEng.DBs() {
			if _, err := s.c.do("SELECT", strconv.Itoa(db)); err != nil {
				t.Fatal(err)
			}
			keys := outEng.Keys(db)
			if n, err := s.c.do("DBSIZE"); err != nil || n != int64(len(keys)) {
				t.Errorf("%s: db %d: server DBSIZE %v (%v), engine %d", name, db, n, err, len(keys))
				ok = false
			}
			for _, k := range keys {
				if far[strconv.Itoa(db)+"\x00"+string(k)] {
					continue
				}
				got, err := s.c.do("DEBUG", "DIGEST-VALUE", string(k))
				if l, _ := got.([]any); err != nil || len(l) != 1 || l[0] != outEng.DigestValue(db, k) {
					t.Errorf("%s: db %d key %q: server DIGEST-VALUE %v (%v), engine %s", name, db, k, got, err, outEng.DigestValue(db, k))
					ok = false
				}
			}
		}
		s.c.do("SELECT", "0")
	}
	for _, db := range outEng.DBs() {
		for _, k := range outEng.Keys(db) {
			if named(rep, k) {
				continue
			}
			if sd, od := srcEng.DigestValue(db, k), outEng.DigestValue(db, k); sd != od {
				t.Errorf("%s: db %d key %q: DIGEST-VALUE %s, source %s", name, db, k, od, sd)
				ok = false
			}
		}
	}
	fieldTTLs := s.ver.AtLeast(7, 4)
	if s.ver.Valkey {
		fieldTTLs = s.ver.AtLeast(9, 0)
	}
	keys, withFields, bad := checkTTLs(t, name, s.c, rep, srcEng, outEng, fieldTTLs)
	s.ttlKeys += keys
	s.fieldTTLKeys += withFields
	if bad > 0 {
		ok = false
	}
	if n, err := s.c.do("DBSIZE"); err == nil && len(outEng.DBs()) == 0 && n != int64(0) {
		t.Errorf("%s: the engine holds no key, the server %v in db 0", name, n)
		ok = false
	}
	return ok
}

// farArrays returns the arrays of an RDB file (db "\x00" key) with a slot
// at index 2^32 or above.
func farArrays(t *testing.T, data []byte) map[string]bool {
	t.Helper()
	far := map[string]bool{}
	r := rdbfile.NewReader(bytes.NewReader(data), nil)
	for {
		e, err := r.Next()
		if err == io.EOF {
			return far
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != rdbfile.EntryKey || e.ValueKind != rdbfile.KindArray {
			continue
		}
		v, err := e.Value()
		if err != nil {
			t.Fatal(err)
		}
		for _, el := range v.Array.Elements {
			if el.Index >= 1<<32 {
				far[strconv.Itoa(e.DB)+"\x00"+string(e.Key)] = true
			}
		}
	}
}
