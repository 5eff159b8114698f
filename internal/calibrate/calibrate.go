// Package calibrate measures the estimate model's coefficients on this
// machine (rdbkit estimate --calibrate): it starts the given server on
// generated samples of each cost class (estimate.CalibrationShapes), one
// server process per sample and two at a time, reads what the server
// reports about each load, and fits the coefficients with estimate.Fit, the fit
// scripts/bench-estimate.sh uses.
package calibrate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/serverproc"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// Options tune a calibration run.
type Options struct {
	// Scale multiplies the size of every sample (0: 1).
	Scale float64
	// Timeout bounds the whole run (0: 60 s).
	Timeout time.Duration
	// Date is the day of the measurement ("2026-12-06"), written into the
	// coefficients; the caller owns the clock.
	Date string
	// TempDir is where the samples and the server's files go (a fresh
	// directory under it, removed at the end; "": os.TempDir()).
	TempDir string
	// Progress, when set, is called after each measured sample.
	Progress func(m Measurement)
}

// Measurement is what the server reported about one sample.
type Measurement struct {
	Shape string `json:"shape"`
	Kind  string `json:"kind"`  // "rdb" or "aof"
	Count int64  `json:"count"` // keys (rdb) or commands (aof)
	Bytes int64  `json:"bytes"` // of the file
	// LoadCPU is the server's CPU time for the load alone, seconds: for an
	// RDB sample that of DEBUG RELOAD NOSAVE into the empty server, for an
	// AOF sample the CPU time until loaded minus an empty server's start.
	LoadCPU float64 `json:"load_cpu_seconds"`
	// LoadWall is the wall time of the DEBUG RELOAD call, or for an AOF the
	// log's "DB loaded from append only file" figure (-1 when absent).
	LoadWall float64 `json:"load_wall_seconds"`
	// UsedMemory and RSS are INFO memory used_memory and used_memory_rss after the load, bytes.
	UsedMemory int64 `json:"used_memory"`
	RSS        int64 `json:"rss"`
	// ForkUsec is the least latest_fork_usec of Forks BGSAVEs of the
	// loaded data (a busy machine only adds to a fork's time), COWBytes
	// rdb_last_cow_size after the last.
	ForkUsec float64 `json:"fork_usec"`
	// FirstForkUsec is latest_fork_usec of the first of those BGSAVEs, the
	// first fork after the load (estimate.ForkCoefficients.FirstForkNsPerPage).
	FirstForkUsec float64 `json:"first_fork_usec"`
	COWBytes      int64   `json:"cow_bytes"`
	// SaveSeconds is the wall time of that BGSAVE's child writing the RDB
	// (from the log's timestamps; 0 when the log does not show it).
	SaveSeconds float64 `json:"save_seconds"`
}

// Result is a calibration run's outcome.
type Result struct {
	Binary       string                 `json:"binary"`
	Build        string                 `json:"build"`   // the binary's --version line
	Release      string                 `json:"release"` // e.g. "redis-7.0"
	StartCPU     float64                `json:"start_cpu_seconds"`
	EmptyMemory  int64                  `json:"empty_used_memory"`
	Samples      []Measurement          `json:"samples"`
	Coefficients *estimate.Coefficients `json:"coefficients"`
	Seconds      float64                `json:"seconds"` // wall time of the run
	parts        map[string][]*estimate.Part
}

// ErrTimeout is matched (errors.Is) by the error Run returns when the run
// did not finish within Options.Timeout.
var ErrTimeout = errors.New("calibrate: the calibration did not finish in time")

// Run calibrates on server binary bin. The binary's release (from
// --version) must be in the release table: the samples are written in its
// RDB format.
func Run(ctx context.Context, bin string, o Options) (*Result, error) {
	start := time.Now()
	if o.Scale <= 0 {
		o.Scale = 1
	}
	if o.Timeout <= 0 {
		o.Timeout = time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	b, err := serverproc.Version(bin)
	if err != nil {
		return nil, err
	}
	rel, ok := release.FromServerVersion(b.Server + " " + b.Version)
	if !ok {
		return nil, fmt.Errorf("calibrate: %s %s is no release rdbkit knows (%s)", b.Server, b.Version, strings.Join(release.Names(), ", "))
	}
	tmp, err := os.MkdirTemp(o.TempDir, "rdbkit-calibrate-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	res := &Result{Binary: bin, Build: b.Text, Release: rel.Name, parts: map[string][]*estimate.Part{}}
	wrap := func(what string, err error) error {
		if ctx.Err() != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("%w: %s not done after %s", ErrTimeout, what, o.Timeout)
		}
		return fmt.Errorf("calibrate: %s: %w", what, err)
	}

	aux := [][2]string{{"redis-ver", b.Version}, {"redis-bits", "64"}}
	if b.Server == "Valkey" {
		aux = append(aux, [2]string{"valkey-ver", b.Version})
	}
	opts := rdbfile.ReleaseOptions(rel)
	// DEBUG RELOAD loads an RDB sample into a server started empty, so
	// that its CPU time is the load's alone (Redis 7.0 turned DEBUG off by
	// default).
	var debugArgs []string
	if rel.Version >= release.V(7, 0) {
		debugArgs = []string{"--enable-debug-command", "yes"}
	}
	// An empty server: its start CPU is subtracted from the AOF loads, its
	// used_memory is the model's base.
	var cpus []float64
	for i := range 2 {
		dir := filepath.Join(tmp, "empty"+strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
		m, err := measure(ctx, bin, dir, debugArgs, false, false)
		if err != nil {
			return nil, wrap("empty server", err)
		}
		cpus = append(cpus, m.LoadCPU)
		res.EmptyMemory = m.UsedMemory
	}
	res.StartCPU = (cpus[0] + cpus[1]) / 2

	// Two workers each write a sample and measure it, so that a busy
	// machine's wall time goes to the servers rather than to waiting.
	shapes := estimate.CalibrationShapes(o.Scale)
	res.Samples = make([]Measurement, len(shapes))
	parts := make([]*estimate.Part, len(shapes))
	errs := make([]error, len(shapes))
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(shapes) || ctx.Err() != nil {
					return
				}
				sh := shapes[i]
				m, part, err := sample(ctx, bin, filepath.Join(tmp, sh.Name), sh, &opts, aux, debugArgs)
				if err != nil {
					errs[i] = wrap("sample "+sh.Name, err)
					cancel()
					return
				}
				if sh.AOF() {
					m.LoadCPU -= res.StartCPU
				}
				res.Samples[i], parts[i] = m, part
				if o.Progress != nil {
					mu.Lock()
					o.Progress(m)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	var first error
	for _, err := range errs {
		if err != nil && (first == nil || errors.Is(first, context.Canceled)) {
			first = err // the cause, rather than the other worker's cancellation
		}
	}
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, wrap("calibration", err)
	}
	var samples []estimate.Sample
	for i, m := range res.Samples {
		res.parts[m.Shape] = []*estimate.Part{parts[i]}
		samples = append(samples, estimate.Sample{Name: m.Shape, Parts: []*estimate.Part{parts[i]}, LoadSeconds: m.LoadCPU,
			UsedMemory: m.UsedMemory, EmptyMemory: res.EmptyMemory, RSS: m.RSS, ForkUsec: m.ForkUsec,
			FirstForkUsec: m.FirstForkUsec, COWBytes: m.COWBytes, SaveSeconds: m.SaveSeconds})
	}
	def := estimate.BuiltinCoefficients(rel.Name)
	meta := estimate.Coefficients{Server: rel.Name, ServerBuild: b.Text + " (" + bin + ")", Machine: Machine(),
		Measured: o.Date, Source: "rdbkit estimate --calibrate", Error: def.Error, Errors: def.Errors, Fork: def.Fork, Save: def.Save,
		// The samples are too small to measure how a key's cost grows with
		// the keys (past a cache, a table's rehash): Fit scales the
		// built-in set's growth.
		Load: estimate.LoadCoefficients{NsPerKey: def.Load.NsPerKey, NsPerKeyDoubling: def.Load.NsPerKeyDoubling,
			NsPerKeyAtKeys: def.Load.NsPerKeyAtKeys, NsPerRehashDoubling: def.Load.NsPerRehashDoubling, RehashAboveKeys: def.Load.RehashAboveKeys}}
	c, err := estimate.Fit(samples, meta)
	if err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	if strings.HasPrefix(b.Malloc, "libc") {
		// A libc build measures the libc ratio (--allocator libc); the
		// jemalloc one stays the built-in figure.
		c.Memory.RSSRatioLibc, c.Memory.RSSRatioLibcMeasured = c.Memory.RSSRatio, true
		c.Memory.RSSRatio = def.Memory.RSSRatio
	}
	res.Coefficients = c
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// sample writes shape sh into dir and measures it.
func sample(ctx context.Context, bin, dir string, sh estimate.Shape, opts *rdbfile.WriterOptions, aux [][2]string, debugArgs []string) (Measurement, *estimate.Part, error) {
	if err := os.Mkdir(dir, 0o700); err != nil {
		return Measurement{}, nil, err
	}
	part, args, err := writeSample(dir, sh, opts, aux)
	if err != nil {
		return Measurement{}, nil, err
	}
	m, err := measure(ctx, bin, dir, append(args, debugArgs...), !sh.AOF(), true)
	if err != nil {
		return m, nil, err
	}
	m.Shape, m.Kind, m.Bytes, m.Count = sh.Name, "rdb", part.Size, part.Keys
	if sh.AOF() {
		m.Kind, m.Count = "aof", part.CommandCount()
	}
	return m, part, nil
}

// Parts returns the statistics of sample shape (nil for an unknown one),
// as the estimate of its files sees them.
func (r *Result) Parts(shape string) []*estimate.Part { return r.parts[shape] }

// writeSample writes the files of shape sh into dir and returns their
// statistics (read back from the files, as "rdbkit estimate" would) and
// the server arguments that load them.
func writeSample(dir string, sh estimate.Shape, opts *rdbfile.WriterOptions, aux [][2]string) (*estimate.Part, []string, error) {
	if !sh.AOF() {
		path := filepath.Join(dir, "sample.rdb")
		if err := writeFile(path, func(f *os.File) error { return sh.WriteRDB(f, opts, aux...) }); err != nil {
			return nil, nil, err
		}
		p := &estimate.Part{Name: sh.Name + ".rdb", Role: estimate.RoleRDB, Format: "rdb"}
		return p, nil, readBack(path, p, estimate.ReadRDB)
	}
	ad := filepath.Join(dir, "appendonlydir")
	if err := os.Mkdir(ad, 0o700); err != nil {
		return nil, nil, err
	}
	const base = "appendonly.aof.1.base.aof"
	man, err := manifest.Format(&manifest.Manifest{Base: &manifest.Entry{Name: base, Seq: 1, Type: manifest.TypeBase,
		StartOffset: manifest.NoOffset, EndOffset: manifest.NoOffset}})
	if err != nil {
		return nil, nil, err
	}
	if err := os.WriteFile(filepath.Join(ad, "appendonly.aof.manifest"), man, 0o600); err != nil {
		return nil, nil, err
	}
	path := filepath.Join(ad, base)
	if err := writeFile(path, func(f *os.File) error { return sh.WriteAOF(f) }); err != nil {
		return nil, nil, err
	}
	p := &estimate.Part{Name: base, Role: estimate.RoleBase, Format: "resp"}
	args := []string{"--appendonly", "yes", "--appenddirname", "appendonlydir", "--appendfilename", "appendonly.aof",
		"--aof-use-rdb-preamble", "no", "--appendfsync", "no"}
	return p, args, readBack(path, p, estimate.ReadAOF)
}

func writeFile(path string, write func(*os.File) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readBack(path string, p *estimate.Part, read func(io.Reader, *estimate.Part) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	p.Size = st.Size()
	return read(f, p)
}

var loadedLine = regexp.MustCompile(`DB loaded from (?:disk|append only file|base file [^:]*): ([0-9.]+) seconds`)

// measure starts the server in dir with args and waits until it has
// loaded. With reload, the server starts empty and loads dir/sample.rdb
// (renamed to dump.rdb) by DEBUG RELOAD NOSAVE: LoadCPU and LoadWall are
// that call's (src/debug.c, "reload"); without it LoadCPU is the CPU time
// since the start (the caller subtracts an empty server's) and LoadWall
// the log's "DB loaded" figure. It then reads the memory and, with save,
// the fork, copy-on-write and RDB-write figures of a BGSAVE, and stops the
// server by its PID.
func measure(ctx context.Context, bin, dir string, args []string, reload, save bool) (Measurement, error) {
	m := Measurement{LoadWall: -1}
	deadline, _ := ctx.Deadline()
	p, err := serverproc.Start(ctx, bin, serverproc.Options{Dir: dir, LogFile: filepath.Join(dir, "server.log"),
		Args: args, Timeout: max(time.Until(deadline), time.Millisecond)})
	if err != nil {
		return m, err
	}
	defer p.Stop()
	cpuTime := func() (float64, error) {
		cpu, err := p.Info("cpu")
		return num(cpu["used_cpu_user"]) + num(cpu["used_cpu_sys"]), err
	}
	if m.LoadCPU, err = cpuTime(); err != nil {
		return m, err
	}
	if reload {
		if err := os.Rename(filepath.Join(dir, "sample.rdb"), filepath.Join(dir, "dump.rdb")); err != nil {
			return m, err
		}
		t0 := time.Now()
		if _, err := p.Do(time.Until(deadline), "DEBUG", "RELOAD", "NOSAVE"); err != nil {
			return m, err
		}
		m.LoadWall = time.Since(t0).Seconds()
		cpu1, err := cpuTime()
		if err != nil {
			return m, err
		}
		m.LoadCPU = cpu1 - m.LoadCPU
	} else if sm := loadedLine.FindStringSubmatch(p.Log()); sm != nil {
		m.LoadWall = num(sm[1])
	}
	mem, err := p.Info("memory")
	if err != nil {
		return m, err
	}
	m.UsedMemory, m.RSS = int64(num(mem["used_memory"])), int64(num(mem["used_memory_rss"]))
	if !save {
		return m, nil
	}
	// Fork times of one process vary several-fold on a busy machine, and
	// only upwards: the least of Forks BGSAVEs.
	var forks []float64
	for range Forks {
		if _, err := p.Do(time.Until(deadline), "BGSAVE"); err != nil {
			return m, err
		}
		per, err := p.WaitBGSave(ctx)
		if err != nil {
			return m, err
		}
		m.COWBytes = int64(num(per["rdb_last_cow_size"]))
		st, err := p.Info("stats")
		if err != nil {
			return m, err
		}
		forks = append(forks, num(st["latest_fork_usec"]))
	}
	m.ForkUsec, m.FirstForkUsec = slices.Min(forks), forks[0]
	m.SaveSeconds = bgsaveSeconds(p.Log())
	return m, nil
}

// Forks is the number of BGSAVEs per sample whose least fork time a
// calibration keeps.
const Forks = 3

var logLine = regexp.MustCompile(`(?m)^\d+:[A-Z] (\d\d \w{3} \d{4} \d\d:\d\d:\d\d\.\d{3}) . (Background saving started|DB saved on disk)`)

// bgsaveSeconds returns the time the last BGSAVE of a server log took,
// from the parent's "Background saving started" line to the child's "DB
// saved on disk" (the log's ms timestamps, Redis src/rdb.c
// rdbSaveBackground and rdbSave), or 0 when the log does not show both.
func bgsaveSeconds(log string) float64 {
	var t0, t1 time.Time
	for _, m := range logLine.FindAllStringSubmatch(log, -1) {
		t, err := time.Parse("02 Jan 2006 15:04:05.000", m[1])
		if err != nil {
			continue
		}
		if m[2] == "Background saving started" {
			t0, t1 = t, time.Time{}
		} else if !t0.IsZero() {
			t1 = t
		}
	}
	if t0.IsZero() || t1.IsZero() || t1.Before(t0) {
		return 0
	}
	return max(t1.Sub(t0).Seconds(), 0.0005)
}

func num(s string) float64 {
	v, _ := strconv.ParseFloat(strings.TrimSpace(s), 64)
	return v
}

// Machine describes this machine for the coefficients: CPU model, CPUs
// and kernel, as far as /proc tells ("linux/amd64, 2 CPUs" at least).
func Machine() string {
	d := []string{runtime.GOOS + "/" + runtime.GOARCH, strconv.Itoa(runtime.NumCPU()) + " CPUs"}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, ln := range bytes.Split(b, []byte("\n")) {
			if k, v, ok := bytes.Cut(ln, []byte(":")); ok && string(bytes.TrimSpace(k)) == "model name" {
				d = append([]string{string(bytes.TrimSpace(v))}, d...)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		d = append(d, "Linux "+strings.TrimSpace(string(b)))
	}
	if h, err := os.Hostname(); err == nil {
		d = append(d, "host "+h)
	}
	return strings.Join(d, ", ")
}
