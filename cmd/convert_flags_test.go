package cmd

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// keyList runs inspect --keys with args and returns its lines (db, key,
// ..., bytes) and the bytes column by line.
func keyList(t *testing.T, args ...string) ([]string, []int64) {
	t.Helper()
	r := run(t, nil, append([]string{"inspect", "--keys"}, args...)...)
	if r.code != 0 {
		t.Fatalf("inspect --keys %v: exit %d: %s", args, r.code, r.err)
	}
	var lines []string
	var sizes []int64
	for _, ln := range strings.Split(strings.TrimSpace(r.out), "\n") {
		if ln == "" {
			continue
		}
		f := strings.Split(ln, "\t")
		n, err := strconv.ParseInt(f[6], 10, 64)
		if err != nil {
			t.Fatalf("bytes column of %q: %v", ln, err)
		}
		lines, sizes = append(lines, f[0]+"\t"+f[1]), append(sizes, n)
	}
	return lines, sizes
}

// TestSizeFilters: inspect --keys --min-bytes/--max-bytes list exactly the
// keys whose bytes column is within the bounds, and convert with the same
// bounds keeps exactly the keys inspect lists (one filter), on the raw
// path and when re-encoding; bad bounds are usage errors.
func TestSizeFilters(t *testing.T) {
	all, sizes := keyList(t, sample)
	for _, b := range [][2]string{{"40", ""}, {"", "30"}, {"20", "1kb"}, {"1k", ""}, {"60", "60"}} {
		var args []string
		lo, hi := int64(0), int64(1<<62)
		if b[0] != "" {
			args = append(args, "--min-bytes", b[0])
			lo = map[string]int64{"40": 40, "20": 20, "1k": 1000, "60": 60}[b[0]]
		}
		if b[1] != "" {
			args = append(args, "--max-bytes", b[1])
			hi = map[string]int64{"30": 30, "1kb": 1024, "60": 60}[b[1]]
		}
		var want []string
		for i, n := range sizes {
			if n >= lo && n <= hi {
				want = append(want, all[i])
			}
		}
		got, _ := keyList(t, append(args, sample)...)
		if strings.Join(got, "\n") != strings.Join(want, "\n") || len(want) == 0 || len(want) == len(all) {
			t.Errorf("inspect --keys %v: %d keys, want %d of %d", args, len(got), len(want), len(all))
		}
		for _, target := range []string{"redis-7.4", "redis-7.0"} {
			out := filepath.Join(t.TempDir(), "out.rdb")
			cargs := append([]string{"convert", sample, "-o", out, "--target", target, "--field-ttl", "drop"}, args...)
			if r := run(t, nil, cargs...); r.code != 0 {
				t.Fatalf("%v: exit %d\n%s%s", cargs, r.code, r.out, r.err)
			}
			conv, _ := keyList(t, out)
			sort.Strings(conv)
			w := append([]string(nil), want...)
			sort.Strings(w)
			if strings.Join(conv, "\n") != strings.Join(w, "\n") {
				t.Errorf("%v: the output holds %d keys, inspect lists %d", cargs, len(conv), len(w))
			}
		}
	}
	for _, args := range [][]string{
		{"inspect", "--keys", "--min-bytes", "100", "--max-bytes", "10", sample},
		{"inspect", "--keys", "--min-bytes", "ten", sample},
		{"inspect", "--min-bytes", "10", sample},
		{"convert", sample, "-o", filepath.Join(t.TempDir(), "x.rdb"), "--target", "redis-7.4", "--max-bytes", "-1"},
	} {
		if r := run(t, nil, args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d\n%s", args, r.code, exitUsage, r.err)
		}
	}
}

// encodings returns each key's type name in an RDB file (db "\x00" key).
func encodings(t *testing.T, path string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := rdbfile.NewReader(bytes.NewReader(data), nil)
	out := map[string]string{}
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind == rdbfile.EntryKey {
			out[strconv.Itoa(e.DB)+"\x00"+string(e.Key)] = e.TypeName
		}
	}
}

// TestConvertConfigLimits: --config takes the target's encoding limits
// from a redis.conf (current names and the *-ziplist-* aliases, sizes with
// units, the last occurrence winning): with tiny limits every hash, set,
// sorted set and list of more than a few elements leaves its compact
// encoding; without --config the same conversion keeps them; bad values
// are usage errors naming the line.
func TestConvertConfigLimits(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(conf, []byte(`# limits
hash-max-listpack-entries 512
hash-max-ziplist-entries 1
zset-max-listpack-entries 1
set-max-intset-entries 1
set-max-listpack-entries 1
list-max-listpack-size 1
hash-max-listpack-value 1kb
maxmemory 1gb
`), 0o644); err != nil {
		t.Fatal(err)
	}
	plain, tiny := filepath.Join(dir, "plain.rdb"), filepath.Join(dir, "tiny.rdb")
	for _, c := range []struct {
		out  string
		args []string
	}{{plain, nil}, {tiny, []string{"--config", conf}}} {
		args := append([]string{"convert", sample, "-o", c.out, "--target", "redis-7.4", "--reencode"}, c.args...)
		if r := run(t, nil, args...); r.code != 0 {
			t.Fatalf("%v: exit %d\n%s%s", args, r.code, r.out, r.err)
		}
	}
	p, q := encodings(t, plain), encodings(t, tiny)
	compact := map[string]bool{"HASH_LISTPACK": true, "ZSET_LISTPACK": true, "SET_INTSET": true, "SET_LISTPACK": true}
	changed := map[string]int{}
	for id, typ := range p {
		if compact[typ] && q[id] == typ {
			// Only a one-element value may stay compact under limits of 1.
			l, _ := keyList(t, "--match", strings.SplitN(id, "\x00", 2)[1], "--db", strings.SplitN(id, "\x00", 2)[0], tiny)
			if len(l) != 1 {
				t.Fatalf("key %q: %v", id, l)
			}
			r := run(t, nil, "inspect", "--keys", "--match", strings.SplitN(id, "\x00", 2)[1], "--db", strings.SplitN(id, "\x00", 2)[0], tiny)
			if f := strings.Split(strings.TrimSpace(r.out), "\t"); f[7] != "1" {
				t.Errorf("key %q stays %s with %s elements under limits of 1", id, typ, f[7])
			}
		}
		if q[id] != typ {
			changed[typ+" -> "+q[id]]++
		}
	}
	for _, want := range []string{"HASH_LISTPACK -> HASH", "ZSET_LISTPACK -> ZSET_2", "SET_INTSET -> SET", "SET_LISTPACK -> SET"} {
		if changed[want] == 0 {
			t.Errorf("no key changed %s (changes: %v)", want, changed)
		}
	}
	if r := run(t, nil, "verify", "--target", "redis-7.4", tiny); r.code != 0 {
		t.Errorf("verify of the --config output: exit %d\n%s", r.code, r.out)
	}
	for _, bad := range []string{"set-max-intset-entries -1\n", "hash-max-listpack-value lots\n", "zset-max-listpack-entries 1 2\n"} {
		if err := os.WriteFile(conf, []byte("# x\n"+bad), 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, nil, "convert", sample, "-o", filepath.Join(dir, "bad.rdb"), "--target", "redis-7.4", "--config", conf)
		if r.code != exitUsage || !strings.Contains(r.err, conf+":2:") {
			t.Errorf("%q: exit %d: %s", bad, r.code, r.err)
		}
	}
}
