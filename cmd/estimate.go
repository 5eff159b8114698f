package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/atomicfile"
	"github.com/rdbkit/rdbkit/internal/calibrate"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
	"github.com/rdbkit/rdbkit/repair"
)

// estimateOptions are the flags of "rdbkit estimate".
type estimateOptions struct {
	server      string  // --server release name
	allocator   string  // --allocator jemalloc|libc
	maxmemory   string  // --maxmemory BYTES (units as redis.conf)
	config      string  // --config redis.conf
	writeRate   float64 // --write-rate KEYS/s
	calibration string  // --calibration FILE
	calibrate   string  // --calibrate SERVER_BINARY
	calTimeout  time.Duration
}

func newEstimateCmd(app *App) *cobra.Command {
	var o estimateOptions
	c := &cobra.Command{
		Use:   "estimate [flags] PATH",
		Short: "Predict load time, memory, fork cost and the loss window of an RDB file or AOF set",
		Long: `Estimate reads an RDB file (or "-"; gzip, zstd and Valkey LZ4 "VCS" inputs are
unwrapped) or an AOF set (a manifest, an appendonlydir, the server's dir, or a
single old-style AOF) in one streaming pass, and predicts from the files alone:

  - recovery: the time a server takes to load them, as a value and a range,
    per file (RDB base, each incr file) and per cost class (type/encoding of
    the RDB keys, command of the AOF), with each class's share;
  - memory: used_memory after the load, and RSS for the allocator
    (--allocator jemalloc, the release builds' default, or libc); whether it
    fits --maxmemory or the maxmemory of --config;
  - fork and copy-on-write: page-table size, fork() time with 4 KiB pages and
    with transparent huge pages, and of the first fork after a restart (which
    costs more than the later ones), the time to write the RDB, the copy-on-write
    memory of a BGSAVE (worst case, and at --write-rate writes/s) and the
    peak RSS against the limit;
  - loss window: the last write each file proves (RDB ctime, last #TS
    annotation, else the file's modification time, marked as a fallback), how
    far behind --now it is, and what the save points and appendfsync setting
    of --config (the server's defaults without it) allow a crash to lose;
  - advice lines, each with the number behind it.

The model's coefficients are data: the built-in sets were measured on one
reference machine, one per release line: ` + strings.Join(estimate.BuiltinServers(), ", ") + `
(docs/estimate.md); another release gets the set that stands in for it,
as a rule the newest older line of its server's, else ` + estimate.ReferenceServer + `'s. --calibrate
SERVER_BINARY measures them on this machine with that server binary (in at
most 60 s, --calibrate-timeout: it starts the server on 127.0.0.1, a free port and a temporary
directory, once per generated sample of each cost class, reads its load
CPU time, used_memory, latest_fork_usec and copy-on-write, and stops it by
its PID) and writes them to --calibration FILE, else to
` + "`" + `os.UserConfigDir()/rdbkit/estimate-<release>.json` + "`" + ` (e.g. estimate-redis-7.0.json).
An estimate reads --calibration FILE, else the user's file for the release
the estimate is for, else the built-in set for it, and says which it used. Output
made with coefficients not measured on this machine, or for a server nobody
measured, says so and widens its ranges.

Output is styled on a terminal, plain "key:<TAB>value" text otherwise, and
JSON with --json (docs/json.md).` + exitStatusHelp +
			`  0    the estimate was made from intact files
  1    runtime or I/O error
  2    usage error
  3    the input is damaged or not a readable RDB file or AOF set (the
       estimate covers what could be read; run 'rdbkit verify')
  130  interrupted`,
		Example: `  rdbkit estimate dump.rdb
  rdbkit estimate --config /etc/redis/redis.conf /var/lib/redis
  rdbkit estimate --server valkey-8.0 --maxmemory 8gb --write-rate 20000 dump.rdb
  rdbkit estimate --json appendonlydir
  rdbkit estimate --calibrate /usr/bin/redis-server`,
		Args: func(c *cobra.Command, args []string) error {
			if o.calibrate != "" {
				if len(args) > 0 {
					return usageErrorf("--calibrate takes no PATH (it measures the server, not a file)")
				}
				return nil
			}
			if len(args) != 1 {
				return usageErrorf("estimate needs exactly one PATH (or --calibrate SERVER_BINARY)")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			if o.calibrate != "" {
				return runCalibrate(c.Context(), app, o)
			}
			return runEstimate(c.Context(), app, o, args[0])
		},
	}
	f := c.Flags()
	f.StringVar(&o.server, "server", "", "the release that will load the files: "+strings.Join(release.Names(), ", ")+" (default: the one that wrote them)")
	f.StringVar(&o.allocator, "allocator", "jemalloc", "the server's allocator: jemalloc (release builds) or libc")
	f.StringVar(&o.maxmemory, "maxmemory", "", "memory limit to compare with, bytes or with a k/kb/m/mb/g/gb unit (overrides --config)")
	f.StringVar(&o.config, "config", "", "redis.conf/valkey.conf: maxmemory, save, appendonly, appendfsync (and appenddirname/appendfilename for AOF inputs)")
	f.Float64Var(&o.writeRate, "write-rate", 0, "expected writes per second during a BGSAVE, for the copy-on-write estimate")
	f.StringVar(&o.calibration, "calibration", "", "coefficients file (JSON, docs/estimate.md) to read instead of the user's calibration or the built-in set; with --calibrate, the file to write")
	f.StringVar(&o.calibrate, "calibrate", "", "measure this machine's coefficients with this redis-server or valkey-server binary (at most --calibrate-timeout) and write them")
	f.DurationVar(&o.calTimeout, "calibrate-timeout", time.Minute, "give up a --calibrate run after this long")
	addNowFlag(c, app)
	return c
}

// jsonEstimate is the JSON document of "rdbkit estimate --json". Field
// names are pinned by TestEstimateJSONFieldNames.
type jsonEstimate struct {
	File   string           `json:"file"`
	Now    string           `json:"now"`
	Parts  []*estimate.Part `json:"files"`
	Report *estimate.Report `json:"estimate"`
	Config *estimate.Config `json:"config"`
}

func runEstimate(ctx context.Context, app *App, o estimateOptions, path string) error {
	opts := estimate.Options{Now: app.Now().UnixMilli(), WriteRate: o.writeRate, Config: estimate.DefaultConfig()}
	switch o.allocator {
	case "jemalloc", "libc":
		opts.Allocator = o.allocator
	default:
		return usageErrorf("--allocator must be jemalloc or libc, got %q", o.allocator)
	}
	if o.writeRate < 0 {
		return usageErrorf("--write-rate must be >= 0, got %g", o.writeRate)
	}
	var loader *release.Release
	if o.server != "" {
		r, err := release.Parse(o.server)
		if err != nil {
			return usageErrorf("--server: %v", err)
		}
		opts.Server, loader = r.Name, r
	}
	if o.maxmemory != "" {
		n, err := estimate.ParseBytes(o.maxmemory)
		if err != nil {
			return usageErrorf("--maxmemory: %v", err)
		}
		opts.MaxMemory = n
	}
	if o.config != "" {
		if err := readEstimateConfig(o.config, &opts.Config); err != nil {
			return err
		}
	}
	in, err := app.openInput(ctx, path)
	if err != nil {
		return err
	}
	defer in.Close()
	// Each part counts its values in the encodings the loading server
	// gives them: the limits of --server, else of the writer's release
	// (AddHeader), with the --config file's directives over them.
	prep := func(p *estimate.Part) {
		if loader != nil {
			p.LoadWith(&loader.Limits, &opts.Config)
		} else {
			p.LoadWith(nil, &opts.Config)
		}
	}
	var parts []*estimate.Part
	damaged := false
	if in.Kind.IsAOF() {
		parts, damaged, err = estimateAOF(ctx, app, in, o.config, prep)
	} else {
		parts, damaged, err = estimateRDB(ctx, app, in, prep)
	}
	if err != nil || parts == nil {
		return err
	}
	target := opts.Server
	for _, p := range parts {
		if target == "" {
			target = p.Server
		}
	}
	coeffs, calibrated, err := loadCoefficients(o.calibration, target)
	if err != nil {
		return err
	}
	opts.Calibrated = calibrated
	rep := estimate.Estimate(parts, coeffs, opts)
	out := app.IO.Out
	switch app.mode() {
	case modeJSON:
		cfg := opts.Config
		err = writeJSONIndent(out, jsonEstimate{File: path, Now: app.Now().UTC().Format(jsonTimeFormat), Parts: parts, Report: rep, Config: &cfg})
	case modeStyled:
		err = renderEstimate(out, newStyles(out, app.color()), path, parts, rep, true)
	default:
		err = renderEstimate(out, nil, path, parts, rep, false)
	}
	if err != nil {
		return err
	}
	if damaged {
		fmt.Fprintf(app.IO.ErrOut, "rdbkit: %s is damaged; the estimate covers what could be read; run 'rdbkit verify %s'\n", path, path)
		return errDamaged
	}
	return nil
}

// readEstimateConfig applies the directives of a redis.conf to c, lines
// split with the server's rules (manifest.SplitArgs); "include" is not
// followed.
func readEstimateConfig(path string, c *estimate.Config) error {
	c.FromFile = true
	return manifest.ConfigDirectives(path, func(line int, argv []string) error {
		if err := c.Apply(argv); err != nil {
			return usageErrorf("--config %s:%d: %v", path, line, err)
		}
		return nil
	})
}

// calibrationPath is the user's calibration file for release rel
// ("redis-7.0"): os.UserConfigDir()/rdbkit/estimate-<rel>.json.
func calibrationPath(rel string) (string, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "rdbkit", "estimate-"+rel+".json"), nil
}

// loadCoefficients reads --calibration, else the user's calibration file
// for release target when there is one, else the built-in set for target
// (estimate.BuiltinCoefficients). calibrated is true for a file.
func loadCoefficients(path, target string) (*estimate.Coefficients, bool, error) {
	explicit := path != ""
	if target == "" {
		target = estimate.ReferenceServer
	}
	if !explicit {
		p, err := calibrationPath(target)
		if err != nil {
			return estimate.BuiltinCoefficients(target), false, nil
		}
		path = p
	}
	c, err := estimate.ReadCoefficientsFile(path)
	switch {
	case err == nil:
		return c, true, nil
	case !explicit && errors.Is(err, os.ErrNotExist):
		return estimate.BuiltinCoefficients(target), false, nil
	case errors.Is(err, estimate.ErrCoefficients):
		return nil, false, usageErrorf("%v", err)
	}
	return nil, false, err
}

func mtimeMs(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.ModTime().UnixMilli()
}

func estimateRDB(ctx context.Context, app *App, in *input, prep func(*estimate.Part)) ([]*estimate.Part, bool, error) {
	p := &estimate.Part{Name: filepath.Base(in.Name), Role: estimate.RoleRDB, Format: "rdb", Size: in.FileSize}
	prep(p)
	if in.Regular {
		p.MTime = mtimeMs(in.Name)
	}
	done := app.startProgress(in, "estimate")
	res, err := app.scanRDB(ctx, in, false, defaultJobs,
		func(h *rdbfile.Header) error { p.AddHeader(h); return nil },
		func(e *rdbfile.Entry) error { p.AddEntry(e); return nil })
	done()
	if err != nil {
		return nil, false, err
	}
	if res.Header == nil {
		return nil, false, inspectFailed(app, in, res)
	}
	if p.Size < 0 {
		p.Size = res.Size
	}
	return []*estimate.Part{p}, res.Damaged(), nil
}

func estimateAOF(ctx context.Context, app *App, in *input, config string, prep func(*estimate.Part)) ([]*estimate.Part, bool, error) {
	as, err := resolveAOF(ctx, in, config)
	if err != nil {
		var pe *manifest.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintf(app.IO.ErrOut, "rdbkit: %s: %v\n", in.Name, err)
			return nil, false, errDamaged
		}
		return nil, false, err
	}
	set := as.set
	byFile := map[*manifest.File]*estimate.Part{}
	part := func(f *manifest.File) *estimate.Part {
		if p := byFile[f]; p != nil {
			return p
		}
		role := estimate.RoleIncr
		if f.Type == manifest.TypeBase && !set.Legacy {
			role = estimate.RoleBase
		}
		p := &estimate.Part{Name: f.Name, Role: role, Format: "resp", Size: f.Size, MTime: mtimeMs(f.Path)}
		prep(p)
		byFile[f] = p
		return p
	}
	var total int64
	for _, f := range set.Files() {
		total += f.Size
	}
	update, done := app.startSetProgress(total, "estimate")
	s, err := repair.ScanSet(ctx, set, &repair.ScanOptions{
		OnRDB: func(f *manifest.File, h *rdbfile.Header) func(*rdbfile.Entry) {
			p := part(f)
			p.Format = "rdb"
			p.AddHeader(h)
			return p.AddEntry
		},
		Check: func(f *manifest.File, c *aoffile.Command) error {
			part(f).AddCommand(c.Args)
			return nil
		},
		Progress: update,
		Source:   as.src,
	})
	done()
	if err == nil {
		err = as.finish()
	}
	if err != nil {
		return nil, false, err
	}
	var parts []*estimate.Part
	for _, fs := range s.Files {
		p := part(fs.File)
		p.Size = fs.File.Size
		if fs.LastTS != aoffile.NoTimestamp {
			p.AddTimestamp(fs.LastTS)
		}
		parts = append(parts, p)
	}
	if parts == nil {
		fmt.Fprintf(app.IO.ErrOut, "rdbkit: %s: the AOF set has no readable file\n", in.Name)
		return nil, false, errDamaged
	}
	_, _, torn := s.TornTail()
	return parts, s.Damaged() && !torn, nil
}

func secondsText(s float64) string {
	switch {
	case s < 0.001:
		return strconv.FormatFloat(s*1e6, 'f', 0, 64) + " µs"
	case s < 1:
		return strconv.FormatFloat(s*1000, 'f', 1, 64) + " ms"
	case s < 100:
		return strconv.FormatFloat(s, 'f', 2, 64) + " s"
	case s < 7200:
		return strconv.FormatFloat(s, 'f', 0, 64) + " s"
	case s < 3*86400:
		return strconv.FormatFloat(s/3600, 'f', 1, 64) + " h"
	}
	return strconv.FormatFloat(s/86400, 'f', 1, 64) + " days"
}

func rangeSeconds(r estimate.Range) string {
	return secondsText(r.Value) + " (" + secondsText(r.Low) + " – " + secondsText(r.High) + ")"
}

func rangeBytes(r estimate.Range) string {
	return humanBytes(int64(r.Value)) + " (" + humanBytes(int64(r.Low)) + " – " + humanBytes(int64(r.High)) + ")"
}

func rangeMs(r estimate.Range) string {
	return strconv.FormatFloat(r.Value, 'f', 1, 64) + " ms (" + strconv.FormatFloat(r.Low, 'f', 1, 64) + " – " + strconv.FormatFloat(r.High, 'f', 1, 64) + ")"
}

func countText(n int64) string {
	switch {
	case n >= 1_000_000:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " M"
	case n >= 10_000:
		return strconv.FormatFloat(float64(n)/1e3, 'f', 0, 64) + " k"
	}
	return strconv.FormatInt(n, 10)
}

// estimateFacts is the report as labelled lines, shared by the plain and
// styled renderings.
func estimateFacts(path string, parts []*estimate.Part, rep *estimate.Report) [][2]string {
	var kv [][2]string
	add := func(k string, v ...string) { kv = append(kv, [2]string{k, strings.Join(v, "\t")}) }
	add("file", path)
	for _, p := range parts {
		add("input", p.Name, p.Role.String(), p.Format, humanBytes(max(p.Size, 0)),
			countText(p.Keys)+" keys", countText(p.CommandCount())+" commands")
	}
	cal := rep.Calibration
	add("server", rep.Server)
	add("coefficients", cal.Source+" (measured with "+cal.Server+" on "+cal.Machine+")")
	for _, n := range cal.Notes {
		add("note", n)
	}
	add("recovery", rangeSeconds(rep.Recovery.Seconds))
	for _, p := range rep.Recovery.Parts {
		add("load of", p.File, p.Role, secondsText(p.Seconds))
	}
	for i, c := range rep.Recovery.Classes {
		if i == 5 {
			break
		}
		add("cost class", strconv.FormatFloat(c.Share, 'f', 0, 64)+" %", c.Verb()+" "+countText(c.Count)+" "+c.Class+" "+c.Unit, secondsText(c.Seconds))
	}
	m := rep.Memory
	um := rangeBytes(m.UsedMemory)
	if m.FromAOF {
		um += " (an upper bound: overwritten keys count)"
	}
	add("used_memory", um)
	rss := rangeBytes(m.RSS) + " (" + m.Allocator + ")"
	if !m.RSSCalibrated {
		rss += " (allocator not measured: a guess)"
	}
	add("rss", rss)
	if m.MaxMemory > 0 {
		add("maxmemory", humanBytes(m.MaxMemory)+" (from "+m.MaxMemorySource+")", "fits: "+m.Fits)
	}
	f := rep.Fork
	add("page tables", humanBytes(f.PageTableBytes)+" (4 KiB pages)", humanBytes(f.PageTableBytesTHP)+" (THP: "+strconv.FormatInt(f.HugePagesTHP, 10)+" huge pages of 2 MiB)")
	add("fork", rangeMs(f.ForkMs)+" with 4 KiB pages", rangeMs(f.ForkMsTHP)+" with THP")
	if f.FirstForkMs.Value > 0 {
		add("first fork", rangeMs(f.FirstForkMs)+" (the first BGSAVE after a restart, 4 KiB pages)")
	}
	add("rdb write", rangeSeconds(f.SaveSeconds))
	add("cow worst", humanBytes(f.COWWorst))
	if f.WriteRate > 0 {
		add("cow at rate", strconv.FormatFloat(f.WriteRate, 'f', -1, 64)+" writes/s", humanBytes(f.COWAtRate)+" (4 KiB pages; THP from Linux 5.8)", humanBytes(f.COWAtRateTHP)+" (THP before Linux 5.8)")
	}
	peak := humanBytes(f.PeakRSS)
	if f.ExceedsLimit {
		peak += " EXCEEDS maxmemory " + humanBytes(m.MaxMemory)
	}
	add("peak rss", peak)
	l := rep.Loss
	for _, p := range l.Proofs {
		src := p.Source
		if src == "mtime" {
			src = "mtime (fallback: the file proves no time)"
		}
		add("last write", p.File, time.UnixMilli(p.TimeMs).UTC().Format(time.RFC3339), src)
	}
	if l.BehindSeconds != nil {
		add("behind now", secondsText(*l.BehindSeconds))
	}
	pol := "appendonly " + yesNo(l.AppendOnly) + ", appendfsync " + l.AppendFsync + ", save " + saveText(l.Save)
	if !l.ConfigFromFile {
		pol += " (server defaults: no --config)"
	}
	add("durability", pol)
	add("loss window", l.Window)
	for _, a := range rep.Advice {
		add("advice", a.Text)
	}
	return kv
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func saveText(s []estimate.SavePoint) string {
	if len(s) == 0 {
		return `""`
	}
	var b []string
	for _, p := range s {
		b = append(b, strconv.FormatInt(p.Seconds, 10)+" "+strconv.FormatInt(p.Changes, 10))
	}
	return strings.Join(b, " ")
}

func renderEstimate(w io.Writer, s *styles, path string, parts []*estimate.Part, rep *estimate.Report, styled bool) error {
	facts := estimateFacts(path, parts, rep)
	if !styled {
		for _, kv := range facts {
			plainLine(w, kv[0], kv[1])
		}
		return nil
	}
	var b strings.Builder
	b.WriteString(s.Title.Render(path) + "\n")
	for _, kv := range facts[1:] {
		v := strings.ReplaceAll(kv[1], "\t", "  ")
		switch {
		case kv[0] == "note":
			v = s.Warn.Render(v)
		case kv[0] == "advice":
			v = s.Bad.Render(v)
		case strings.Contains(v, "EXCEEDS") || strings.HasSuffix(v, "fits: no"):
			v = s.Bad.Render(v)
		}
		b.WriteString(s.Label.Render(kv[0]) + v + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// jsonCalibration is the JSON document of "rdbkit estimate --calibrate
// --json". Field names are pinned by TestEstimateJSONFieldNames.
type jsonCalibration struct {
	Written     string            `json:"written"` // the coefficients file
	Calibration *calibrate.Result `json:"calibration"`
}

// runCalibrate measures this machine's coefficients with server binary
// o.calibrate and writes them (temp file, fsync, rename) to
// o.calibration, else to the user's file for the binary's release.
func runCalibrate(ctx context.Context, app *App, o estimateOptions) error {
	progress := func(m calibrate.Measurement) {
		unit := "keys"
		if m.Kind == "aof" {
			unit = "commands"
		}
		fmt.Fprintf(app.IO.ErrOut, "calibrate: %s: %s %s, load CPU %s, used_memory %s, fork %s\n", m.Shape, countText(m.Count), unit,
			secondsText(m.LoadCPU), humanBytes(m.UsedMemory), secondsText(m.ForkUsec/1e6))
	}
	if o.calTimeout <= 0 {
		return usageErrorf("--calibrate-timeout must be > 0, got %s", o.calTimeout)
	}
	opts := calibrate.Options{Date: app.Now().UTC().Format("2006-01-02"), Timeout: o.calTimeout}
	if !app.Quiet && app.mode() != modeJSON {
		opts.Progress = progress
	}
	res, err := calibrate.Run(ctx, o.calibrate, opts)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, calibrate.ErrTimeout) {
			return fmt.Errorf("%w (the machine is too busy for it now: try again later, or allow longer with --calibrate-timeout)", err)
		}
		return err
	}
	path := o.calibration
	if path == "" {
		if path, err = calibrationPath(res.Release); err != nil {
			return fmt.Errorf("no user config directory for the calibration (give --calibration FILE): %w", err)
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
	}
	if err := atomicfile.Write(path, func(w io.Writer) error { return estimate.WriteCoefficients(w, res.Coefficients) }); err != nil {
		return err
	}
	out := app.IO.Out
	if app.mode() == modeJSON {
		return writeJSONIndent(out, jsonCalibration{Written: path, Calibration: res})
	}
	c, def := res.Coefficients, estimate.BuiltinCoefficients(res.Release)
	kv := [][2]string{
		{"server", res.Binary + " (" + res.Build + ")"},
		{"release", res.Release},
		{"machine", c.Machine},
		{"start", "CPU " + secondsText(res.StartCPU) + ", used_memory " + humanBytes(res.EmptyMemory) + " (an empty server)"},
	}
	for _, m := range res.Samples {
		unit := "keys"
		if m.Kind == "aof" {
			unit = "commands"
		}
		kv = append(kv, [2]string{"sample", strings.Join([]string{m.Shape, m.Kind, countText(m.Count) + " " + unit,
			"load CPU " + secondsText(m.LoadCPU), "used_memory " + humanBytes(m.UsedMemory),
			"fork " + secondsText(m.ForkUsec/1e6), "first fork " + secondsText(m.FirstForkUsec/1e6), "cow " + humanBytes(m.COWBytes)}, "\t")})
	}
	ratio := func(name string, got, builtin float64) {
		kv = append(kv, [2]string{"coefficient", name + "\t" + strconv.FormatFloat(got, 'f', 1, 64) +
			"\t(built-in " + strconv.FormatFloat(builtin, 'f', 1, 64) + ")"})
	}
	ratio("load ns per key", c.Load.NsPerKey, def.Load.NsPerKey)
	ratio("load ns per string byte", c.Load.NsPerPayloadByte, def.Load.NsPerPayloadByte)
	ratio("memory bytes per key", c.Memory.BytesPerKey, def.Memory.BytesPerKey)
	ratio("fork µs per page-table MiB", c.Fork.UsecPerPageTableMiB, def.Fork.UsecPerPageTableMiB)
	ratio("first fork ns per page", c.Fork.FirstForkNsPerPage, def.Fork.FirstForkNsPerPage)
	kv = append(kv, [2]string{"took", secondsText(res.Seconds)}, [2]string{"written", path})
	for _, x := range kv {
		plainLine(out, x[0], x[1])
	}
	return nil
}
