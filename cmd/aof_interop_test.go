package cmd

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/repair"
)

// The AOF interop tests hand repaired sets to a real redis-server (from
// /usr/bin or PATH) with --aof-load-truncated no: the server itself must
// accept what rdbkit repair wrote.

// redisServerBin returns the redis-server binary or skips the test.
func redisServerBin(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("AOF interop test skipped in -short mode")
	}
	return testserver.Bin(t)
}

// startAOFServer starts redis-server (internal/testserver) with
// dir/appendonlydir as its AOF directory and --aof-load-truncated no, and
// connects to it once it answers PING.
func startAOFServer(t *testing.T, bin, dir string, extra ...string) (*testserver.Server, *resp) {
	t.Helper()
	s := testserver.Start(t, bin, dir, append([]string{"--appenddirname", "appendonlydir", "--appendonly", "yes",
		"--aof-load-truncated", "no"}, extra...)...)
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatalf("connecting to redis-server: %v\n%s", err, s.Log())
	}
	t.Cleanup(func() { conn.Close() })
	return s, &resp{c: conn, r: bufio.NewReader(conn)}
}

// TestInteropRepairedSetsLoad repairs damaged corpus sets to --output and
// checks that redis-server loads the result with --aof-load-truncated no.
func TestInteropRepairedSetsLoad(t *testing.T) {
	bin := redisServerBin(t)
	c := corpusDir(t)
	srv := filepath.Join(c, "redis-7.0.15")
	raw, err := os.ReadFile(filepath.Join(srv, "verdicts.json"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`--truncate-to-timestamp (\d+)`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("redis-7.0.15/verdicts.json has no --truncate-to-timestamp verdict")
	}
	cases := []struct {
		set   string
		flags []string
		code  int
	}{
		{"damaged/aof-incr-truncated", nil, 0},
		{"damaged/aof-incr-garbage", []string{"--skip-corrupt"}, 4},
		{"damaged/aof-base-aof-truncated", []string{"--drop-after"}, 4},
		{"aof-timestamp", []string{"--to-timestamp", string(m[1])}, 4},
	}
	for _, tc := range cases {
		t.Run(tc.set, func(t *testing.T) {
			dir := t.TempDir()
			out := filepath.Join(dir, "appendonlydir")
			args := append([]string{"repair", "--yes", "--output", out}, tc.flags...)
			r := run(t, nil, append(args, filepath.Join(srv, tc.set))...)
			if r.code != tc.code {
				t.Fatalf("repair: exit %d, want %d\n%s%s", r.code, tc.code, r.out, r.err)
			}
			s, cl := startAOFServer(t, bin, dir)
			if n := cl.num(t, "DBSIZE"); n <= 0 {
				t.Errorf("DBSIZE %d after loading the repaired set\n%s", n, s.Log())
			}
		})
	}
}

// TestInteropCrashRepair kills a redis-server (appendfsync always) in the
// middle of a stream of SETs, cuts its last incr file at a random offset,
// repairs in place and checks that the restarted server holds exactly the
// keys whose SET reached the file intact.
func TestInteropCrashRepair(t *testing.T) {
	bin := redisServerBin(t)
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("RDBKIT_CRASH_SEED"); v != "" {
		seed, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (rerun with RDBKIT_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, 0))

	dir := t.TempDir()
	s, _ := startAOFServer(t, bin, dir, "--appendfsync", "always")
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	written := make(chan int, 1)
	go func() {
		// Pipelined writes through a raw connection: the kill lands while
		// commands are in flight.
		w := bufio.NewWriter(conn)
		i := 0
		for ; i < 1_000_000; i++ {
			fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\nk:%d\r\n$%d\r\nv:%d\r\n", len(strconv.Itoa(i))+2, i, len(strconv.Itoa(i))+2, i)
			if i%64 == 63 && w.Flush() != nil {
				break
			}
		}
		written <- i
	}()
	go io.Copy(io.Discard, conn)
	time.Sleep(time.Duration(300+rng.IntN(400)) * time.Millisecond)
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	t.Logf("client sent %d SETs before the kill", <-written)

	aofDir := filepath.Join(dir, "appendonlydir")
	set, err := manifest.Resolve(aofDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Incrs) == 0 {
		t.Fatal("no incr file after the crash")
	}
	last := set.Incrs[len(set.Incrs)-1].Path
	st, err := os.Stat(last)
	if err != nil || st.Size() == 0 {
		t.Fatalf("last incr file %s: %v (size 0: no SET reached the file)", last, err)
	}
	cut := rng.Int64N(st.Size())
	if err := os.Truncate(last, cut); err != nil {
		t.Fatal(err)
	}
	t.Logf("cut %s from %d to %d bytes", filepath.Base(last), st.Size(), cut)
	orig, err := os.ReadFile(last)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for i := range set.Incrs {
		setKeys(t, set.Incrs[i].Path, want)
	}

	r := run(t, nil, "repair", "--yes", "--json", aofDir)
	if r.code != 0 {
		t.Fatalf("repair: exit %d\n%s%s", r.code, r.out, r.err)
	}
	rec := byType(jsonLines(t, r.out), "repair")[0]
	applied := rec["applied"] == true
	if !applied {
		t.Logf("the cut fell on a command boundary: nothing to repair")
	}

	s2, cl := startAOFServer(t, bin, dir)
	if n := cl.num(t, "DBSIZE"); n != int64(len(want)) {
		t.Errorf("DBSIZE %d, want %d (SETs complete in the cut file)\n%s", n, len(want), s2.Log())
	}
	for k, v := range want {
		got, err := cl.do("GET", k)
		if err != nil || got != v {
			t.Fatalf("GET %s = %v (%v), want %q", k, got, err, v)
		}
	}
	t.Logf("%d keys back after repair", len(want))
	if applied {
		// The undo file gives back the bytes the repair cut.
		s2.Stop()
		bak := repair.BackupDirName(aofDir, fixedNow)
		if r := run(t, nil, "repair", "--undo", bak); r.code != 0 {
			t.Fatalf("repair --undo: exit %d\n%s%s", r.code, r.out, r.err)
		}
		if got, err := os.ReadFile(last); err != nil || !bytes.Equal(got, orig) {
			t.Errorf("after --undo %s does not hold the original bytes: %v", filepath.Base(last), err)
		}
	}
}

// setKeys adds the key and value of every complete SET in the AOF file at
// path to m, reading with aoffile up to the first error.
func setKeys(t *testing.T, path string, m map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := aoffile.NewReader(bufio.NewReader(f), &aoffile.Options{NoPreamble: true})
	for {
		c, err := r.Next()
		if err != nil {
			var se *aoffile.SyntaxError
			if err != io.EOF && !errors.As(err, &se) {
				t.Fatal(err)
			}
			return
		}
		if c.Kind == aoffile.KindCommand && strings.EqualFold(string(c.Args[0]), "SET") && len(c.Args) == 3 {
			m[string(c.Args[1])] = string(c.Args[2])
		}
	}
}
