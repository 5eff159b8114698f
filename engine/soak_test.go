package engine

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/internal/testserver"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// The differential matrix: the seeded workload of TestDifferentialAOF, run
// against every server of testserver.Releases (the installed redis-server
// and each release folder of RDBKIT_SERVERS), for RDBKIT_SOAK_SEEDS seeds
// from RDBKIT_SOAK_SEED on, under every combination of soakOpts. Each run
// compares the engine with the live server five times: its replay of the
// appendonlydir with an empty base, with a RESP base (a BGREWRITEAOF with
// aof-use-rdb-preamble no in the middle of the workload), with an RDB
// preamble base (a second rewrite, yes), with a RESP base alone (a third
// rewrite after the last command), and its load of the dump.rdb of a SAVE.
// `make soak SERVERS=dir SEEDS=n` runs it and prints the table.

// soakOpts are the dimensions of a run besides the server and the seed.
type soakOpts struct {
	ts       bool // aof-timestamp-enabled yes: the AOF holds "#TS:" annotations
	shortTTL bool // some TTLs of 1 to 50 ms, and PEXPIREATs in the past
	tiny     bool // listpack limits of 4 entries and 8 bytes (tinyLimits)
}

func (o soakOpts) String() string {
	on := func(b bool, yes, no string) string {
		if b {
			return yes
		}
		return no
	}
	return "ts=" + on(o.ts, "on", "off") + ",ttl=" + on(o.shortTTL, "short", "long") + ",lp=" + on(o.tiny, "tiny", "default")
}

// allSoakOpts is every combination.
func allSoakOpts() []soakOpts {
	var out []soakOpts
	for i := 0; i < 8; i++ {
		out = append(out, soakOpts{ts: i&4 != 0, shortTTL: i&2 != 0, tiny: i&1 != 0})
	}
	return out
}

// tinyLimits are release r's limits with every listpack, intset and stream
// node limit made tiny, so that the workload's small values cross them all
// the time. Settings the release does not have (set-max-listpack-* before
// Redis 7.2) stay 0.
func tinyLimits(r *release.Release) release.Limits {
	l := r.Limits
	l.HashMaxListpackEntries, l.HashMaxListpackValue = 4, 8
	l.ZSetMaxListpackEntries, l.ZSetMaxListpackValue = 4, 8
	l.SetMaxIntsetEntries = 4
	if l.SetMaxListpackEntries != 0 {
		l.SetMaxListpackEntries, l.SetMaxListpackValue = 4, 8
	}
	l.ListMaxListpackSize = 4
	l.StreamNodeMaxEntries = 4
	return l
}

// limitSettings are the redis.conf names of the limits a run sets.
var limitSettings = []string{
	"hash-max-listpack-entries", "hash-max-listpack-value",
	"zset-max-listpack-entries", "zset-max-listpack-value",
	"set-max-intset-entries", "set-max-listpack-entries", "set-max-listpack-value",
	"list-max-listpack-size", "stream-node-max-entries",
}

// serverRelease returns the release line of a running server: from its
// INFO version (release.FromServerVersion); for a development build outside
// the table (an unstable build reports 255.255.255), the line that writes
// the RDB version of its SAVE, and the engine version of that line.
func serverRelease(t *testing.T, c *respConn, v ServerVersion, dir string) (*release.Release, ServerVersion) {
	t.Helper()
	if r, ok := release.FromServerVersion(v.String()); ok {
		return r, v
	}
	c.do(t, "SAVE")
	f, err := os.Open(filepath.Join(dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := rdbfile.NewReader(f, nil).Header()
	if err != nil {
		t.Fatal(err)
	}
	ev := VersionForRDB(h.Dialect, h.Version)
	r, ok := ev.Release()
	if !ok {
		t.Fatalf("%v: no release writes RDB %d", v, h.Version)
	}
	t.Logf("%v is outside the release table: it writes RDB %d, as %s", v, h.Version, r.Name)
	return r, ev
}

// soakRun is one run: a server started from bin, the workload of seed with
// n commands under o, the five comparisons.
func soakRun(t *testing.T, bin string, seed uint64, n int, o soakOpts) (defects int) {
	args := []string{"--appendonly", "yes", "--appendfsync", "always", "--aof-use-rdb-preamble", "yes"}
	if o.ts {
		args = append(args, "--aof-timestamp-enabled", "yes")
	}
	c, v, dir := startServerBin(t, bin, args...)
	// Keys must only disappear through commands (lazy expiry propagates a
	// DEL); active expiry between DEBUG DIGEST and reading the files would
	// race.
	c.do(t, "DEBUG", "SET-ACTIVE-EXPIRE", "0")
	rel, ev := serverRelease(t, c, v, dir)
	var limits *release.Limits
	var limitArgs []string
	if o.tiny {
		l := tinyLimits(rel)
		limits = &l
		for _, name := range limitSettings {
			if n, _ := l.Get(name); n != 0 {
				c.do(t, "CONFIG", "SET", name, strconv.Itoa(n))
				limitArgs = append(limitArgs, "--"+name, strconv.Itoa(n))
			}
		}
	}
	d := &diffRun{t: t, c: c, v: ev, dir: dir, seed: seed, limits: limits, bin: bin, limitArgs: limitArgs}
	if cmd, ok := rel.CommandArgs(toArgv([]string{"HPEXPIRETIME", "k", "FIELDS", "1", "f"})); ok && cmd.ArityOK(5) {
		d.hfe = true
	}
	g := &gen{r: rand.New(rand.NewPCG(seed, 1)), now: func() int64 { return time.Now().UnixMilli() }, query: d.query,
		xlast: map[string]uint64{}, dbs: 4, longTTL: !o.shortTTL, rel: rel}
	t.Logf("%v (%s, engine %v), seed %d, %d commands, %v", v, rel.Name, ev, seed, n, o)
	d.run(g, n/3)
	d.replayCheckpoint("checkpoint 1 (empty RDB base + incr)", false)
	d.rewrite("no")
	d.run(g, 2*n/3)
	d.replayCheckpoint("checkpoint 2 (RESP base + incr)", false)
	d.rewrite("yes")
	d.run(g, n)
	d.replayCheckpoint("checkpoint 3 (RDB base + incr)", true)
	t.Logf("AOF commands at checkpoint 3: %s", aofCommands(t, filepath.Join(dir, "appendonlydir")))
	d.rewrite("no")
	d.replayCheckpoint("checkpoint 4 (RESP base alone)", false)
	d.rdbCheckpoint("SAVE (dump.rdb)")
	// The options took effect: "#TS:" annotations in the AOF files as
	// configured, keys expired during the run with short TTLs.
	ts := countInDir(t, filepath.Join(dir, "appendonlydir"), "#TS:")
	if (ts > 0) != o.ts {
		t.Errorf("aof-timestamp-enabled %v, but the appendonlydir holds %d #TS: annotations", o.ts, ts)
	}
	info, _ := d.query("INFO", "stats").(string)
	expired := -1
	for _, line := range strings.Split(info, "\r\n") {
		if s, ok := strings.CutPrefix(line, "expired_keys:"); ok {
			expired, _ = strconv.Atoi(s)
		}
	}
	if o.shortTTL && expired <= 0 {
		t.Errorf("short TTLs, but INFO expired_keys is %d", expired)
	}
	t.Logf("%d #TS: annotations, %d keys expired", ts, expired)
	if len(g.dropped) > 0 {
		t.Logf("commands %s lacks (not sent): %v", rel.Name, g.dropped)
	}
	t.Logf("sent %d commands, %d error replies; the expire times of every key and of %d hashes' fields compared at the checkpoints", d.sent, d.errs, d.fieldTTLs)
	if d.defects > 0 {
		t.Logf("SERVER DEFECT: at %d key comparisons the live server held what its own files do not reproduce (a server loading them equals the engine)", d.defects)
	}
	return d.defects
}

// rdbCheckpoint SAVEs and loads the server's dump.rdb into a new engine.
func (d *diffRun) rdbCheckpoint(what string) {
	d.flush()
	if r := d.query("SAVE"); r != "OK" {
		d.t.Fatalf("seed %d: SAVE: %v", d.seed, r)
	}
	f, err := os.Open(filepath.Join(d.dir, "dump.rdb"))
	if err != nil {
		d.t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		d.t.Fatal(err)
	}
	e := d.newEngine()
	if err := e.LoadRDB(rdbfile.NewReader(f, &rdbfile.Options{Size: st.Size()})); err != nil {
		d.t.Fatalf("seed %d: %s: %v", d.seed, what, err)
	}
	d.replay, d.loadFrom = true, "rdb"
	defer d.endLoad()
	if d.compare(what, e, false) {
		d.t.Logf("%s: DEBUG DIGEST equal (%s), %d keys", what, e.Digest(), totalKeys(e))
	}
}

// aofCommands counts the commands of the RESP files of an appendonlydir
// by name ("set:12 zadd:30"). (Runs go in parallel: not aofHist.)
func aofCommands(t *testing.T, dir string) string {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	hist := map[string]int{}
	for _, en := range ents {
		if !strings.HasSuffix(en.Name(), ".aof") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		parseRESP(b, 0, func(c respCmd, _ int64) error {
			if c.argv != nil {
				hist[strings.ToLower(string(c.argv[0]))]++
			}
			return nil
		})
	}
	var out []string
	for k, v := range hist {
		out = append(out, k+":"+strconv.Itoa(v))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// countInDir counts the occurrences of sub in the files of dir.
func countInDir(t *testing.T, dir, sub string) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, en := range ents {
		b, err := os.ReadFile(filepath.Join(dir, en.Name()))
		if err != nil {
			t.Fatal(err)
		}
		n += strings.Count(string(b), sub)
	}
	return n
}

// soakServer is one server binary of the matrix.
type soakServer struct {
	name, bin string
}

// soakServers returns the servers of testserver.Releases, named by their
// release folder (the installed one "installed-<version>"), skipping a
// binary of the same program and version as an earlier one (a build with
// another allocator behaves the same).
func soakServers(t *testing.T) []soakServer {
	var out []soakServer
	seen := map[string]string{}
	root := os.Getenv("RDBKIT_SERVERS")
	for _, bin := range testserver.Releases(t) {
		_, _, ver := testserver.Version(t, bin)
		key := filepath.Base(bin) + " " + ver
		name := filepath.Base(filepath.Dir(bin))
		if root == "" || !strings.HasPrefix(bin, filepath.Clean(root)+string(filepath.Separator)) {
			name = "installed-" + strings.TrimSuffix(filepath.Base(bin), "-server") + "-" + ver
		} else if name == "src" || name == "bin" {
			name = filepath.Base(filepath.Dir(filepath.Dir(bin)))
		}
		if prev, ok := seen[key]; ok {
			t.Logf("%s: %s %s as %s: skipped", name, filepath.Base(bin), ver, prev)
			continue
		}
		seen[key] = name
		out = append(out, soakServer{name: name, bin: bin})
	}
	return out
}

// soakMatrix runs every server × seed × option combination (servers in
// parallel, as go test -parallel allows) and prints the table.
func soakMatrix(t *testing.T, seed uint64, seeds, n int) {
	servers := soakServers(t)
	if len(servers) == 0 {
		t.Skip("no redis-server installed and RDBKIT_SERVERS names none")
	}
	type result struct {
		server string
		seed   uint64
		opts   soakOpts
		ok     bool
		// key comparisons where the live server differed from its own
		// files (SERVER DEFECT), not counted against the engine
		defects int
		dur     time.Duration
	}
	var mu sync.Mutex
	var results []result
	t.Cleanup(func() {
		sort.Slice(results, func(i, j int) bool {
			a, b := results[i], results[j]
			if a.server != b.server {
				return a.server < b.server
			}
			if a.seed != b.seed {
				return a.seed < b.seed
			}
			return a.opts.String() < b.opts.String()
		})
		var sb strings.Builder
		fmt.Fprintf(&sb, "\ndifferential matrix: %d commands per run; each run compares 4 AOF replays (empty, RESP, RDB-preamble, RESP-alone bases) and 1 RDB load\n", n)
		fmt.Fprintf(&sb, "%-28s %-12s %-30s %-9s %s\n", "server", "seed", "options", "result", "time")
		perServer := map[string][2]int{}
		for _, r := range results {
			res := "equal"
			if !r.ok {
				res = "DIFFERENT"
			} else if r.defects > 0 {
				res = "equal*"
			}
			c := perServer[r.server]
			c[0]++
			if r.ok {
				c[1]++
			}
			perServer[r.server] = c
			fmt.Fprintf(&sb, "%-28s %-12d %-30s %-9s %.1fs\n", r.server, r.seed, r.opts, res, r.dur.Seconds())
		}
		var names []string
		for s := range perServer {
			names = append(names, s)
		}
		sort.Strings(names)
		for _, s := range names {
			fmt.Fprintf(&sb, "%-28s %d/%d runs equal\n", s, perServer[s][1], perServer[s][0])
		}
		for _, r := range results {
			if r.defects > 0 {
				sb.WriteString("equal*: the engine equals a server loading the run's files; the live server differed from them (SERVER DEFECT in the run's log)\n")
				break
			}
		}
		fmt.Print(sb.String())
	})
	for _, srv := range servers {
		t.Run(srv.name, func(t *testing.T) {
			t.Parallel()
			for i := 0; i < seeds; i++ {
				s := seed + uint64(i)
				for _, o := range allSoakOpts() {
					start, ran, defects := time.Now(), false, 0
					ok := t.Run("seed="+strconv.FormatUint(s, 10)+"/"+o.String(), func(t *testing.T) {
						ran = true
						defects = soakRun(t, srv.bin, s, n, o)
					})
					if !ran { // filtered out by -run
						continue
					}
					mu.Lock()
					results = append(results, result{srv.name, s, o, ok, defects, time.Since(start)})
					mu.Unlock()
				}
			}
		})
	}
}
