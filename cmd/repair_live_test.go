package cmd

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/repair"
)

// writeLoad runs a bounded writer against addr (pipelined SETs on one
// connection) until stop is closed or n commands were sent; it returns how
// many it sent.
func writeLoad(t *testing.T, addr string, n int, stop <-chan struct{}) <-chan int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan int, 1)
	go func() {
		defer conn.Close()
		go func() { bufio.NewReader(conn).WriteTo(discard{}) }()
		w := bufio.NewWriter(conn)
		i := 0
		for ; i < n; i++ {
			select {
			case <-stop:
				w.Flush()
				sent <- i
				return
			default:
			}
			k, v := "live:"+strconv.Itoa(i), strings.Repeat("v", 64)
			fmt.Fprintf(w, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(v), v)
			if i%32 == 31 && w.Flush() != nil {
				break
			}
		}
		w.Flush()
		sent <- i
	}()
	return sent
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestLiveServerRepairRefused: with a redis-server writing to its
// appendonlydir, "repair --yes" refuses, names the server's pid and changes
// nothing. Then, with the server stopped and the last file torn, a plan made
// before the file grew is refused by Apply as stale.
func TestLiveServerRepairRefused(t *testing.T) {
	if !repair.HolderCheckSupported() {
		t.Skip("no /proc: the open-file check is not made on this system (documented)")
	}
	bin := redisServerBin(t)
	dir := t.TempDir()
	s, _ := startAOFServer(t, bin, dir)
	stop := make(chan struct{})
	sent := writeLoad(t, s.Addr(), 2_000_000, stop)
	time.Sleep(300 * time.Millisecond)
	aofDir := filepath.Join(dir, "appendonlydir")
	pid := strconv.Itoa(s.PID())

	r := run(t, nil, "repair", "--yes", aofDir)
	if r.code != 1 || !strings.Contains(r.err, "pid "+pid+" (redis-server)") || !strings.Contains(r.err, "nothing was changed") {
		t.Fatalf("repair --yes next to a live server: exit %d, want 1 naming pid %s\n%s%s", r.code, pid, r.out, r.err)
	}
	r = run(t, nil, "repair", "--yes", "--json", aofDir)
	rec := byType(jsonLines(t, r.out), "repair")
	if r.code != 1 || len(rec) != 1 || rec[0]["error"] == "" || !strings.Contains(fmt.Sprint(rec[0]["in_use"]), "pid:"+pid) {
		t.Fatalf("--json: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if _, err := os.Stat(repair.BackupDirName(aofDir, fixedNow)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused repair made its backup folder: %v", err)
	}
	// A dry run warns; its plan is usable, or stale when the file grew
	// while it was scanned.
	r = run(t, nil, "repair", "--dry-run", aofDir)
	if (r.code != 0 && r.code != 1) || !strings.Contains(r.err, "pid "+pid) || (r.code == 1 && !strings.Contains(r.err, "changed since it was scanned")) {
		t.Errorf("--dry-run: exit %d\n%s", r.code, r.err)
	}
	close(stop)
	t.Logf("writer sent %d SETs", <-sent)
	s.Stop()

	// Server stopped; the last file ends in a torn command.
	set, err := manifest.Resolve(aofDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	last := set.Incrs[len(set.Incrs)-1].Path
	appendBytes(t, last, "*3\r\n$3\r\nSET\r\n$4\r\ntorn")
	set, err = manifest.Resolve(aofDir, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := repair.ScanSet(context.Background(), set, &repair.ScanOptions{Records: true})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := repair.NewPlan(sc, repair.PlanOptions{})
	if err != nil || !plan.Changes {
		t.Fatalf("plan: %+v, %v", plan, err)
	}
	// The file grows between plan and apply.
	appendBytes(t, last, "\r\n$1\r\nx\r\n")
	grown, _ := os.ReadFile(last)
	_, err = repair.Apply(sc, plan, repair.ApplyOptions{BackupDir: filepath.Join(t.TempDir(), "bak")})
	var stale *repair.StaleError
	if !errors.As(err, &stale) || stale.Path != last {
		t.Fatalf("Apply after the file grew: %v, want a StaleError on %s", err, last)
	}
	if now, _ := os.ReadFile(last); !bytes.Equal(now, grown) {
		t.Fatal("a stale plan changed the file")
	}
	t.Logf("refused: %v", err)
	// A fresh run on the stopped server's files repairs, and it loads.
	if r := run(t, nil, "repair", "--yes", aofDir); r.code != 0 {
		t.Fatalf("repair after stopping the server: exit %d\n%s%s", r.code, r.out, r.err)
	}
	_, cl := startAOFServer(t, bin, dir)
	if n := cl.num(t, "DBSIZE"); n == 0 {
		t.Errorf("the repaired set loads with DBSIZE 0")
	}
}

func appendBytes(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// mountTmpfs mounts a tmpfs of size bytes on a new directory, or skips the
// test when mounting is not permitted.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+strconv.FormatInt(size, 10), "tmpfs", dir).CombinedOutput()
	if err != nil {
		t.Skipf("cannot mount a tmpfs (needs root and mount permission): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// bigTornSet writes, under parent, an appendonlydir with the corpus's
// Redis 7.0 base and an incr file of about size bytes of SETs ending in a
// torn command. It returns the directory and the incr file's path.
func bigTornSet(t *testing.T, parent string, size int) (string, string) {
	t.Helper()
	src := filepath.Join(corpusDir(t), "redis-7.0.15/damaged/aof-incr-truncated/appendonlydir")
	dir := filepath.Join(parent, "appendonlydir")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"appendonly.aof.2.base.rdb", "appendonly.aof.manifest"} {
		b, err := os.ReadFile(filepath.Join(src, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	b.WriteString("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n")
	for i := 0; b.Len() < size; i++ {
		k, v := "big:"+strconv.Itoa(i), "value-"+strconv.Itoa(i*7)
		fmt.Fprintf(&b, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(v), v)
	}
	b.WriteString("*3\r\n$3\r\nSET\r\n$7\r\nbig:tor")
	incr := filepath.Join(dir, "appendonly.aof.2.incr.aof")
	if err := os.WriteFile(incr, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, incr
}

func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil {
		t.Fatal(err)
	}
	return int64(fs.Bavail) * fs.Bsize
}

// fill writes a filler file in dir until the filesystem is full, then
// frees leave bytes of it.
func fill(t *testing.T, dir string, leave int64) {
	t.Helper()
	p := filepath.Join(dir, "filler")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	for {
		if _, err := f.Write(buf); err != nil {
			break
		}
	}
	f.Sync()
	st, _ := f.Stat()
	f.Close()
	if leave > 0 {
		if err := os.Truncate(p, max(0, st.Size()-leave)); err != nil {
			t.Fatal(err)
		}
	}
}

// copyTree copies the regular files of dir into a new directory under a
// fresh temp dir and returns its parent (a server's --dir).
func copyTree(t *testing.T, dir string) string {
	t.Helper()
	parent := t.TempDir()
	dst := filepath.Join(parent, filepath.Base(dir))
	os.MkdirAll(dst, 0o755)
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dst, e.Name()), b, 0o644)
	}
	return parent
}

// TestFullDiskRepairInPlace: on a tmpfs that a torn AOF fills, an in-place
// repair succeeds (the backup holds only the removed bytes, the cut is a
// truncate), --undo restores the original byte for byte, and the server
// loads both. With no room even for that, the repair says how much it
// needs, suggests --backup-dir, changes nothing, and works with
// --backup-dir on another filesystem.
func TestFullDiskRepairInPlace(t *testing.T) {
	bin := redisServerBin(t)
	mnt := mountTmpfs(t, 2<<20)
	dir, incr := bigTornSet(t, mnt, 1_800_000)
	orig, err := os.ReadFile(incr)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, mnt, 32<<10)
	free := freeBytes(t, mnt)
	if free >= int64(len(orig)) {
		t.Fatalf("%d bytes free: the tmpfs is not full", free)
	}
	t.Logf("incr file %d bytes, %d bytes free", len(orig), free)

	r := run(t, nil, "repair", "--yes", "--json", dir)
	if r.code != 0 {
		t.Fatalf("repair on a full disk: exit %d\n%s%s", r.code, r.out, r.err)
	}
	rec := byType(jsonLines(t, r.out), "repair")[0]
	undo := rec["result"].(map[string]any)["backed_up"].([]any)[0].(string)
	st, _ := os.Stat(undo)
	repaired, _ := os.ReadFile(incr)
	removed := int64(len(orig) - len(repaired))
	t.Logf("cut %d bytes; undo file %s is %d bytes", removed, filepath.Base(undo), st.Size())
	if removed <= 0 || st.Size() > removed+1024 || !bytes.Equal(repaired, orig[:len(repaired)]) {
		t.Fatalf("repair: removed %d bytes, undo file %d bytes", removed, st.Size())
	}
	// The repaired set loads, even with aof-load-truncated no.
	s, cl := startAOFServer(t, bin, copyTree(t, dir))
	keys := cl.num(t, "DBSIZE")
	s.Stop()

	r = run(t, nil, "repair", "--undo", filepath.Dir(undo))
	if r.code != 0 || !strings.Contains(r.out, "restored:\t"+incr) {
		t.Fatalf("--undo: exit %d\n%s%s", r.code, r.out, r.err)
	}
	if got, _ := os.ReadFile(incr); !bytes.Equal(got, orig) {
		t.Fatal("--undo did not restore the original bytes")
	}
	// The original loads too, with the server's default aof-load-truncated yes.
	s, cl = startAOFServer(t, bin, copyTree(t, dir), "--aof-load-truncated", "yes")
	if n := cl.num(t, "DBSIZE"); n != keys {
		t.Errorf("original: DBSIZE %d, repaired %d", n, keys)
	}
	s.Stop()

	// No room at all: the repair refuses before writing and says so.
	os.RemoveAll(filepath.Dir(undo))
	fill(t, mnt, 0)
	r = run(t, nil, "repair", "--yes", dir)
	if r.code != 1 || !strings.Contains(r.err, "nothing was changed") || !strings.Contains(r.err, "--backup-dir") || !strings.Contains(r.err, "available") {
		t.Fatalf("no room: exit %d\n%s", r.code, r.err)
	}
	t.Logf("no room:\n%s", r.err)
	r = run(t, nil, "repair", "--yes", "--json", dir)
	rec = byType(jsonLines(t, r.out), "repair")[0]
	if r.code != 1 || rec["error"] == "" || rec["space"] == nil || len(rec["not_changed"].([]any)) != 1 {
		t.Fatalf("no room, --json: exit %d\n%s", r.code, r.out)
	}
	if got, _ := os.ReadFile(incr); !bytes.Equal(got, orig) {
		t.Fatal("a refused repair changed the file")
	}
	if r := run(t, nil, "repair", "--yes", "--backup-dir", t.TempDir(), dir); r.code != 0 {
		t.Fatalf("--backup-dir elsewhere: exit %d\n%s", r.code, r.err)
	}
	if got, _ := os.ReadFile(incr); !bytes.Equal(got, repaired) {
		t.Fatal("--backup-dir elsewhere: not repaired")
	}
}
