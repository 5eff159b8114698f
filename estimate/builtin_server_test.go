package estimate_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/serverproc"
	"github.com/rdbkit/rdbkit/internal/testserver"
)

// TestBuiltinMemoryServer checks each built-in set against the server it
// stands for: every server of testserver.Releases (Debian's 7.0.15 in CI)
// builds a dataset of every type at densities unlike the bench shapes',
// SAVEs it and reloads it (DEBUG RELOAD); the used_memory the set predicts
// from the RDB file, with the server's release, must be within the set's
// memory error (Coefficients.Errors.Memory) of the server's INFO
// used_memory, and within 1.5 times it where the set was measured with
// another line of the server (BuiltinCoefficients' stand-in, whose range
// Estimate widens so). used_memory does not depend on the machine, only on
// the build and its allocator, so the reference machine's figures hold here.
func TestBuiltinMemoryServer(t *testing.T) {
	for _, bin := range testserver.Releases(t) {
		t.Run(filepath.Base(filepath.Dir(bin)), func(t *testing.T) { builtinMemory(t, bin) })
	}
}

func builtinMemory(t *testing.T, bin string) {
	b, err := serverproc.Version(bin)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(b.Malloc, "libc") {
		t.Skip("a libc build: the built-in sets are of jemalloc builds")
	}
	rel := testserver.ReleaseOf(t, bin)
	dir := t.TempDir()
	srv := testserver.Start(t, bin, dir, "--appendonly", "no", "--enable-debug-command", "yes")
	if _, err := srv.Do(0, "DEBUG", "POPULATE", "100000", "str", "24"); err != nil {
		t.Fatal(err)
	}
	var cmds [][]string
	add := func(keys, elems int, cmd, prefix string, elem func(k, i int) []string) {
		for k := range keys {
			c := []string{cmd, prefix + strconv.Itoa(k)}
			for i := range elems {
				c = append(c, elem(k, i)...)
			}
			cmds = append(cmds, c)
		}
	}
	add(5000, 5, "HSET", "h:", func(k, i int) []string { return []string{"field" + strconv.Itoa(i), "v" + strconv.Itoa(k*i)} })
	add(100, 1000, "HSET", "H:", func(k, i int) []string {
		return []string{"f" + strconv.Itoa(i), strconv.Itoa(k) + ":" + strconv.Itoa(i)}
	})
	add(2000, 40, "RPUSH", "l:", func(k, i int) []string { return []string{"item-" + strconv.Itoa(k+i)} })
	add(2000, 8, "ZADD", "z:", func(k, i int) []string { return []string{strconv.Itoa(i), "m" + strconv.Itoa(k*8+i)} })
	add(200, 300, "ZADD", "Z:", func(k, i int) []string { return []string{strconv.Itoa(k + i), "member-" + strconv.Itoa(i)} })
	add(2000, 30, "SADD", "i:", func(k, i int) []string { return []string{strconv.Itoa(k*100 + i)} })
	add(200, 500, "SADD", "s:", func(k, i int) []string { return []string{"s-" + strconv.Itoa(k) + "-" + strconv.Itoa(i)} })
	for k := range 500 { // 20-entry streams
		for i := range 20 {
			cmds = append(cmds, []string{"XADD", "x:" + strconv.Itoa(k), "*", "f", strconv.Itoa(i)})
		}
	}
	for k := range 5000 { // TTLs on some strings
		cmds = append(cmds, []string{"PEXPIRE", "str:" + strconv.Itoa(k*20), "3600000"})
	}
	if err := srv.Pipeline(time.Minute, cmds); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Do(time.Minute, "DEBUG", "RELOAD"); err != nil { // SAVEs, then loads
		t.Fatal(err)
	}
	mem, err := srv.Info("memory")
	if err != nil {
		t.Fatal(err)
	}
	used, _ := strconv.ParseFloat(mem["used_memory"], 64)

	f, err := os.Open(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := &estimate.Part{Name: "dump.rdb", Role: estimate.RoleRDB, Format: "rdb"}
	p.LoadWith(&rel.Limits, nil)
	if err := estimate.ReadRDB(f, p); err != nil {
		t.Fatal(err)
	}
	c := estimate.BuiltinCoefficients(rel.Name)
	rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: rel.Name, Calibrated: true})
	tol := c.Errors.Memory
	if c.Server != rel.Name {
		tol *= 1.5
	}
	got := rep.Memory.UsedMemory.Value
	t.Logf("%s (%s): %d keys, used_memory %.1f MiB, %s set predicts %.1f MiB (%+.1f %%; tolerance ±%.0f %%)",
		b.Text, rel.Name, p.Keys, used/(1<<20), c.Server, got/(1<<20), 100*(got/used-1), 100*tol)
	if got < used*(1-tol) || got > used*(1+tol) || rep.Memory.UsedMemory.Low > used || rep.Memory.UsedMemory.High < used {
		t.Errorf("used_memory %.0f, predicted %.0f (%.0f – %.0f) with the %s set", used, got,
			rep.Memory.UsedMemory.Low, rep.Memory.UsedMemory.High, c.Server)
	}
}
