// Package calibrate measures the estimate model's coefficients on this
// machine (rdbkit estimate --calibrate): it starts the given server on
// generated samples of each cost class (estimate.CalibrationShapes), one
// server process per sample, reads what the server reports about each
// load, and fits the coefficients with estimate.Fit, the fit
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
	"strconv"
	"strings"
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
	Shape    string  `json:"shape"`
	Kind     string  `json:"kind"`  // "rdb" or "aof"
	Count    int64   `json:"count"` // keys (rdb) or commands (aof)
	Bytes    int64   `json:"bytes"` // of the file
	LoadCPU  float64 `json:"load_cpu_seconds"`
	LoadWall float64 `json:"load_wall_seconds"` // the log's "DB loaded" line (-1 when absent)
	// UsedMemory and RSS are INFO memory used_memory and used_memory_rss after the load, bytes.
	UsedMemory int64 `json:"used_memory"`
	RSS        int64 `json:"rss"`
	// ForkUsec is latest_fork_usec, COWBytes rdb_last_cow_size, after a BGSAVE of the loaded data.
	ForkUsec float64 `json:"fork_usec"`
	COWBytes int64   `json:"cow_bytes"`
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
	// The samples are written one ahead of the server that loads them.
	type written struct {
		sh   estimate.Shape
		dir  string
		part *estimate.Part
		args []string
		err  error
	}
	queue := make(chan written, 1)
	go func() {
		defer close(queue)
		for _, sh := range estimate.CalibrationShapes(o.Scale) {
			w := written{sh: sh, dir: filepath.Join(tmp, sh.Name)}
			if w.err = os.Mkdir(w.dir, 0o700); w.err == nil {
				w.part, w.args, w.err = writeSample(w.dir, sh, &opts, aux)
			}
			select {
			case queue <- w:
			case <-ctx.Done():
				return
			}
			if w.err != nil {
				return
			}
		}
	}()
	defer func() {
		cancel()
		for range queue { // wait for the writer before the directory goes
		}
	}()
	// An empty server: its start CPU is subtracted from every load, its
	// used_memory is the model's base.
	var cpus []float64
	for i := range 2 {
		dir := filepath.Join(tmp, "empty"+strconv.Itoa(i))
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
		m, err := measure(ctx, bin, dir, nil, false)
		if err != nil {
			return nil, wrap("empty server", err)
		}
		cpus = append(cpus, m.LoadCPU)
		res.EmptyMemory = m.UsedMemory
	}
	res.StartCPU = (cpus[0] + cpus[1]) / 2

	var samples []estimate.Sample
	for w := range queue {
		sh, dir, part, args := w.sh, w.dir, w.part, w.args
		if w.err != nil {
			return nil, fmt.Errorf("calibrate: sample %s: %w", sh.Name, w.err)
		}
		m, err := measure(ctx, bin, dir, args, true)
		if err != nil {
			return nil, wrap("sample "+sh.Name, err)
		}
		m.Shape, m.Kind, m.Bytes = sh.Name, "rdb", part.Size
		m.Count = part.Keys
		if sh.AOF() {
			m.Kind, m.Count = "aof", part.CommandCount()
		}
		m.LoadCPU -= res.StartCPU
		res.Samples = append(res.Samples, m)
		res.parts[sh.Name] = []*estimate.Part{part}
		if o.Progress != nil {
			o.Progress(m)
		}
		samples = append(samples, estimate.Sample{Name: sh.Name, Parts: []*estimate.Part{part},
			LoadSeconds: m.LoadCPU + res.StartCPU, StartSeconds: res.StartCPU,
			UsedMemory: m.UsedMemory, EmptyMemory: res.EmptyMemory, RSS: m.RSS, ForkUsec: m.ForkUsec,
			COWBytes: m.COWBytes, SaveSeconds: m.SaveSeconds})
	}
	def := estimate.DefaultCoefficients()
	meta := estimate.Coefficients{Server: rel.Name, ServerBuild: b.Text + " (" + bin + ")", Machine: Machine(),
		Measured: o.Date, Source: "rdbkit estimate --calibrate", Error: def.Error, Fork: def.Fork}
	c, err := estimate.Fit(samples, meta)
	if err != nil {
		return nil, fmt.Errorf("calibrate: %w", err)
	}
	res.Coefficients = c
	res.Seconds = time.Since(start).Seconds()
	return res, nil
}

// Parts returns the statistics of sample shape (nil for an unknown one),
// as the estimate of its files sees them.
func (r *Result) Parts(shape string) []*estimate.Part { return r.parts[shape] }

// writeSample writes the files of shape sh into dir and returns their
// statistics (read back from the files, as "rdbkit estimate" would) and
// the server arguments that load them.
func writeSample(dir string, sh estimate.Shape, opts *rdbfile.WriterOptions, aux [][2]string) (*estimate.Part, []string, error) {
	if !sh.AOF() {
		path := filepath.Join(dir, "dump.rdb")
		if err := writeFile(path, func(f *os.File) error { return sh.WriteRDB(f, opts, aux...) }); err != nil {
			return nil, nil, err
		}
		p := &estimate.Part{Name: sh.Name + ".rdb", Role: estimate.RoleRDB, Format: "rdb"}
		return p, []string{"--dbfilename", "dump.rdb"}, readBack(path, p, estimate.ReadRDB)
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

// measure starts the server in dir with args, waits until it has loaded,
// and reads its CPU time (LoadCPU, not yet minus the start), memory and,
// with save, the fork, copy-on-write and RDB-write figures of a BGSAVE;
// then stops it by its PID.
func measure(ctx context.Context, bin, dir string, args []string, save bool) (Measurement, error) {
	m := Measurement{LoadWall: -1}
	deadline, _ := ctx.Deadline()
	p, err := serverproc.Start(ctx, bin, serverproc.Options{Dir: dir, LogFile: filepath.Join(dir, "server.log"),
		Args: args, Timeout: max(time.Until(deadline), time.Millisecond)})
	if err != nil {
		return m, err
	}
	defer p.Stop()
	cpu, err := p.Info("cpu")
	if err != nil {
		return m, err
	}
	m.LoadCPU = num(cpu["used_cpu_user"]) + num(cpu["used_cpu_sys"])
	mem, err := p.Info("memory")
	if err != nil {
		return m, err
	}
	m.UsedMemory, m.RSS = int64(num(mem["used_memory"])), int64(num(mem["used_memory_rss"]))
	if sm := loadedLine.FindStringSubmatch(p.Log()); sm != nil {
		m.LoadWall = num(sm[1])
	}
	if !save {
		return m, nil
	}
	if _, err := p.Do(time.Until(deadline), "BGSAVE"); err != nil {
		return m, err
	}
	for {
		per, err := p.Info("persistence")
		if err != nil {
			return m, err
		}
		if per["rdb_bgsave_in_progress"] == "0" {
			if per["rdb_last_bgsave_status"] != "ok" {
				return m, fmt.Errorf("BGSAVE failed; the server's log:\n%s", p.Log())
			}
			m.COWBytes = int64(num(per["rdb_last_cow_size"]))
			break
		}
		select {
		case <-ctx.Done():
			return m, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	st, err := p.Info("stats")
	if err != nil {
		return m, err
	}
	m.ForkUsec = num(st["latest_fork_usec"])
	m.SaveSeconds = bgsaveSeconds(p.Log())
	return m, nil
}

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
