package cmd

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/repair"
)

// buildRdbkit builds the rdbkit binary for tests that need a process to
// kill.
func buildRdbkit(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "rdbkit")
	out, err := exec.Command("go", "build", "-o", bin, "./rdbkit").CombinedOutput()
	if err != nil {
		t.Skipf("cannot build rdbkit: %v\n%s", err, out)
	}
	return bin
}

// treeBytes adds up the sizes of the regular files below dir.
func treeBytes(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				n += fi.Size()
			}
		}
		return nil
	})
	return n
}

// setFiles maps the names of the files of the AOF directory (leftovers
// excluded) to their bytes.
func setFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), repair.TempPrefix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = b
	}
	return m
}

func sameFiles(a, b map[string][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !bytes.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func leftoversUnder(parent string) []string {
	var out []string
	filepath.WalkDir(parent, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), repair.TempPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestRepairKilled kills in-place repairs with SIGKILL at random points,
// over seeds, for a tail cut (truncate) and a repair that rewrites the
// middle of a file (--skip-corrupt). After each kill the set's files are
// either all original or all repaired, disk use never exceeded the input +
// the removed bytes + one temporary file, verify names the leftovers, and
// the next run removes them, says so and finishes the repair.
func TestRepairKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	bin := buildRdbkit(t)
	seeds := 8
	if v := os.Getenv("RDBKIT_KILL_SEEDS"); v != "" {
		seeds, _ = strconv.Atoi(v)
	}
	seed0 := uint64(time.Now().UnixNano())
	if v := os.Getenv("RDBKIT_KILL_SEED"); v != "" {
		seed0, _ = strconv.ParseUint(v, 10, 64)
	}
	t.Logf("seed %d (rerun with RDBKIT_KILL_SEED=%d); %d kills per case (RDBKIT_KILL_SEEDS)", seed0, seed0, seeds)
	for _, tc := range []struct {
		name  string
		flags []string
	}{
		{"truncate", nil},
		{"rewrite", []string{"--skip-corrupt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, incr := bigTornSet(t, t.TempDir(), 6<<20)
			if tc.name == "rewrite" {
				b, _ := os.ReadFile(incr)
				mid := bytes.Index(b[len(b)/2:], []byte("*3\r\n")) + len(b)/2
				b = append(b[:mid:mid], append([]byte("*3\r\n$3\r\nSET\r\n$9\r\ngarbage\r\n"), b[mid:]...)...)
				os.WriteFile(incr, b, 0o644)
			}
			orig := setFiles(t, tmpl)
			var input, largest int64
			for _, b := range orig {
				input += int64(len(b))
				largest = max(largest, int64(len(b)))
			}
			args := append([]string{"repair", "--yes"}, tc.flags...)
			// One full run gives the repaired set and the run time.
			full := filepath.Join(copyTree(t, tmpl), "appendonlydir")
			start := time.Now()
			out, err := exec.Command(bin, append(args, full)...).CombinedOutput()
			took := time.Since(start)
			if code := exitOf(err); code != 0 && code != 4 {
				t.Fatalf("full run: exit %d\n%s", code, out)
			}
			fixed := setFiles(t, full)
			var removed int64
			for n, b := range orig {
				removed += int64(len(b) - len(fixed[n]))
			}
			if sameFiles(fixed, orig) || removed <= 0 {
				t.Fatal("the full run changed nothing")
			}
			origCode := run(t, nil, "verify", "--quiet", tmpl).code
			bound := input + removed + largest + 64<<10 // + undo headers, block slack
			t.Logf("input %d bytes, removed %d, largest file %d: bound %d; a full run takes %v", input, removed, largest, bound, took)
			rng := rand.New(rand.NewPCG(seed0, uint64(len(tc.name))))
			var states [2]int
			for i := 0; i < seeds; i++ {
				parent := copyTree(t, tmpl)
				dir := filepath.Join(parent, "appendonlydir")
				cmd := exec.Command(bin, append(args, dir)...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				var peak atomic.Int64
				done := make(chan struct{})
				tempSeen := make(chan struct{})
				go func() {
					seen := false
					for {
						peak.Store(max(peak.Load(), treeBytes(parent)))
						if !seen && len(leftoversUnder(parent)) > 0 {
							seen = true
							close(tempSeen)
						}
						select {
						case <-done:
							return
						default:
							time.Sleep(200 * time.Microsecond)
						}
					}
				}()
				// Every other kill lands while a temporary file is being
				// written (the point that leaves leftovers), the others at
				// a random time of the run.
				delay := time.Duration(rng.Int64N(int64(took)))
				if i%2 == 1 {
					t0 := time.Now()
					select {
					case <-tempSeen:
					case <-time.After(2 * took):
					}
					delay = time.Since(t0)
				} else {
					time.Sleep(delay)
				}
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				close(done)
				peak.Store(max(peak.Load(), treeBytes(parent)))
				if p := peak.Load(); p > bound {
					t.Errorf("kill %d after %v: disk use reached %d bytes > %d", i, delay, p, bound)
				}
				got := setFiles(t, dir)
				left := leftoversUnder(parent)
				switch {
				case sameFiles(got, orig):
					states[0]++
					if r := run(t, nil, "verify", "--quiet", dir); r.code != origCode {
						t.Errorf("kill %d: verify of the original set: exit %d, want %d", i, r.code, origCode)
					}
				case sameFiles(got, fixed):
					states[1]++
					if r := run(t, nil, "verify", "--quiet", dir); r.code != 0 {
						t.Errorf("kill %d: verify of the repaired set: exit %d\n%s", i, r.code, r.out)
					}
				default:
					t.Fatalf("kill %d after %v: the set is neither the original nor the repaired one", i, delay)
				}
				if len(left) > 0 {
					if r := run(t, nil, "verify", dir); !strings.Contains(r.out, "leftover "+left[0]) && !strings.Contains(r.out, "leftover") {
						t.Errorf("kill %d: verify does not mention leftover %s\n%s", i, left[0], r.out)
					}
				}
				out, err := exec.Command(bin, append(args, dir)...).CombinedOutput()
				if code := exitOf(err); code != 0 && code != 4 {
					t.Fatalf("kill %d: next run: exit %d\n%s", i, code, out)
				}
				for _, l := range left {
					if !strings.Contains(string(out), "removed "+l) {
						t.Errorf("kill %d: next run did not say it removed %s\n%s", i, l, out)
					}
				}
				if rest := leftoversUnder(parent); len(rest) > 0 {
					t.Errorf("kill %d: leftovers after the next run: %v", i, rest)
				}
				if !sameFiles(setFiles(t, dir), fixed) {
					t.Errorf("kill %d: the next run did not finish the repair", i)
				}
				if len(left) > 0 {
					t.Logf("kill %d after %v: %d leftover(s), removed by the next run", i, delay, len(left))
				}
			}
			t.Logf("after the kills: %d original, %d repaired", states[0], states[1])
		})
	}
}

func exitOf(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
