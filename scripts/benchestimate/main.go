// Command benchestimate fits the estimate model on the measurements of
// scripts/bench-estimate.sh and prints predicted against measured figures.
//
// It reads the measurements TSV, runs the model's statistics pass over
// each dataset's files, fits the coefficients on the S-size datasets of one
// class or one command (estimate.Fit, estimate.FitsOn), writes them to
// -coefficients, and predicts every dataset with them. The held-out ones
// are the L sizes, the shapes Fit cannot use (a mix, an RDB-preamble AOF
// set, an incr-only log) and the bench files (size B).
//
//	go run ./scripts/benchestimate -measurements bench-data/estimate/measurements.tsv -coefficients out.json
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
	"github.com/rdbkit/rdbkit/repair"
)

func main() {
	tsv := flag.String("measurements", "bench-data/estimate/measurements.tsv", "measurements of scripts/bench-estimate.sh")
	out := flag.String("coefficients", "", "write the fitted coefficients here")
	startCPU := flag.Float64("start-cpu", 0, "CPU seconds to subtract from every load_cpu_s (0: the measurements are already the loads alone)")
	machine := flag.String("machine", "", "machine description for the coefficients")
	build := flag.String("server-build", "", "server build for the coefficients")
	server := flag.String("server", "redis-7.0", "release the measurements are of (redis-7.4, valkey-8.0, ...)")
	with := flag.String("with", "", "predict with this coefficient set (JSON) instead of fitting one; \"built-in\" for rdbkit's set for -server")
	flag.Parse()
	if err := run(*tsv, *out, *startCPU, *machine, *build, *server, *with); err != nil {
		fmt.Fprintln(os.Stderr, "benchestimate:", err)
		os.Exit(1)
	}
}

type row struct {
	name, size, kind, path string
	wall                   float64
	sample                 estimate.Sample
	fitted                 bool
}

func run(tsv, out string, startCPU float64, machine, build, server, with string) error {
	f, err := os.Open(tsv)
	if err != nil {
		return err
	}
	defer f.Close()
	var rows []row
	var lim *release.Limits // the loading server's (nil: a name rdbkit does not know)
	if rel, ok := release.Lookup(server); ok {
		lim = &rel.Limits
	}
	thp := false // a run with transparent huge pages (bench-estimate.sh THP=1)
	sc := bufio.NewScanner(f)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 11 {
			return fmt.Errorf("%s: short line %q", tsv, sc.Text())
		}
		num := func(s string) float64 { v, _ := strconv.ParseFloat(s, 64); return v }
		r := row{name: c[0], size: c[1], kind: c[2], path: c[3], wall: num(c[4])}
		parts, err := scan(r.kind, r.path, lim)
		if err != nil {
			return fmt.Errorf("%s: %w", r.path, err)
		}
		r.sample = estimate.Sample{Name: r.name + "-" + r.size, Parts: parts, LoadSeconds: num(c[5]), StartSeconds: startCPU,
			UsedMemory: int64(num(c[6])), EmptyMemory: int64(num(c[7])), RSS: int64(num(c[8])), ForkUsec: num(c[9]), SaveSeconds: num(c[10]) / 1000}
		if len(c) >= 14 {
			r.sample.FirstForkUsec = firstFork(c[12], c[13])
		}
		if len(c) >= 15 {
			r.sample.AnonHugeBytes = int64(num(c[14]))
			thp = thp || r.sample.AnonHugeBytes > 0
		}
		r.fitted = r.size == "S" && estimate.FitsOn(r.sample)
		rows = append(rows, r)
	}
	var fitOn []estimate.Sample
	for _, r := range rows {
		if r.fitted {
			fitOn = append(fitOn, r.sample)
		}
	}
	meta := estimate.Coefficients{Server: server, ServerBuild: build, Machine: machine,
		Measured: time.Now().UTC().Format("2006-01-02"), Source: "scripts/bench-estimate.sh", Error: 0.2}
	if thp {
		// Its forks are THP forks, which fit the THP curve only: the 4 KiB
		// lines are the built-in ones.
		meta.Fork = estimate.DefaultCoefficients().Fork
		meta.Source += " THP=1"
	}
	var c *estimate.Coefficients
	switch with {
	case "":
		c, err = estimate.Fit(fitOn, meta)
	case "built-in":
		c = estimate.BuiltinCoefficients(server)
	default:
		c, err = estimate.ReadCoefficientsFile(with)
	}
	if err != nil {
		return err
	}
	if with != "" {
		fmt.Printf("Predicted with %s (measured with %s on %s), not fitted.\n\n", c.Source, c.Server, c.Machine)
	}
	// The range: the worst load-time error on the held-out datasets.
	type pred struct {
		r             row
		rep           *estimate.Report
		loadErr, mErr float64
		// The fork, first fork and RDB write errors: NaN where not
		// measured (or, for the first fork, not predicted).
		fErr, ffErr, sErr float64
	}
	var preds []pred
	worst := 0.0
	for _, r := range rows {
		rep := estimate.Estimate(r.sample.Parts, c, estimate.Options{Server: server, Calibrated: true})
		p := pred{r: r, rep: rep}
		measured := r.sample.LoadSeconds - startCPU
		p.loadErr = rep.Recovery.Seconds.Value/measured - 1
		p.mErr = rep.Memory.UsedMemory.Value/float64(r.sample.UsedMemory) - 1
		p.fErr, p.ffErr, p.sErr = math.NaN(), math.NaN(), math.NaN()
		if f := r.sample.ForkUsec; f > 0 {
			p.fErr = forkPredicted(rep, thp)/f - 1
		}
		if f := r.sample.FirstForkUsec; f > 0 && rep.Fork.FirstForkMs.Value > 0 && !thp {
			p.ffErr = rep.Fork.FirstForkMs.Value*1000/f - 1
		}
		if ss := r.sample.SaveSeconds; ss > 0 {
			p.sErr = rep.Fork.SaveSeconds.Value/ss - 1
		}
		if !r.fitted {
			worst = math.Max(worst, math.Abs(p.loadErr))
		}
		preds = append(preds, p)
	}
	// The other figures' errors, measured the same way: the worst over the
	// datasets not fitted on (bench files included).
	var we estimate.FigureErrors
	worse := func(w *float64, e float64) {
		if !math.IsNaN(e) {
			*w = math.Max(*w, math.Abs(e))
		}
	}
	for _, p := range preds {
		if !p.r.fitted {
			worse(&we.Memory, p.mErr)
			worse(&we.Fork, p.fErr)
			worse(&we.FirstFork, p.ffErr)
			worse(&we.Save, p.sErr)
		}
	}
	step := func(v float64) float64 {
		if v == 0 {
			return 0 // not measured
		}
		return math.Max(0.05, math.Ceil(v*20)/20)
	}
	we = estimate.FigureErrors{Memory: step(we.Memory), Fork: step(we.Fork), FirstFork: step(we.FirstFork), Save: step(we.Save)}
	if with == "" {
		c.Error = math.Max(0.1, math.Ceil(worst*20)/20)
		c.Errors = we
	}
	fmt.Printf("Errors on the datasets not fitted on (worst, in steps of 5 %%): load %.2f, memory %.2f, fork %.2f, first fork %.2f, RDB write %.2f; the set's: load %.2f, %+v\n\n",
		math.Max(0.1, math.Ceil(worst*20)/20), we.Memory, we.Fork, we.FirstFork, we.Save, c.Error, c.Errors)
	if out != "" && with == "" {
		o, err := os.Create(out)
		if err != nil {
			return err
		}
		if err := estimate.WriteCoefficients(o, c); err != nil {
			o.Close()
			return err
		}
		if err := o.Close(); err != nil {
			return err
		}
	}
	w := os.Stdout
	fmt.Fprintln(w, "| dataset | size | fitted on | load CPU measured | predicted | error | load wall | used_memory measured | predicted | error | fork measured | predicted | error | first fork measured | predicted | error | RDB write measured | predicted | error |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	if thp {
		fmt.Fprintln(w, "(transparent huge pages on: the fork columns are forks with THP, against the THP curve; no first fork is predicted with THP)")
	}
	for _, p := range preds {
		s := p.r.sample
		fork := forkPredicted(p.rep, thp)
		first := "– | – | –"
		if thp && s.FirstForkUsec > 0 {
			first = fmt.Sprintf("%.0f µs | – | –", s.FirstForkUsec)
		} else if s.FirstForkUsec > 0 && p.rep.Fork.FirstForkMs.Value > 0 {
			pf := p.rep.Fork.FirstForkMs.Value * 1000
			first = fmt.Sprintf("%.0f µs | %.0f µs | %+.0f %%", s.FirstForkUsec, pf, 100*(pf/s.FirstForkUsec-1))
		}
		save := "– | – | –"
		if s.SaveSeconds > 0 {
			ps := p.rep.Fork.SaveSeconds.Value
			save = fmt.Sprintf("%.0f ms | %.0f ms | %+.0f %%", 1000*s.SaveSeconds, 1000*ps, 100*(ps/s.SaveSeconds-1))
		}
		fmt.Fprintf(w, "| %s | %s | %s | %.3f s | %.3f s | %+.0f %% | %.3f s | %s | %s | %+.0f %% | %.0f µs | %.0f µs | %+.0f %% | %s | %s |\n",
			p.r.name, p.r.size, yes(p.r.fitted), s.LoadSeconds-startCPU, p.rep.Recovery.Seconds.Value, 100*p.loadErr, p.r.wall,
			mib(float64(s.UsedMemory)), mib(p.rep.Memory.UsedMemory.Value), 100*p.mErr,
			s.ForkUsec, fork, 100*(fork/s.ForkUsec-1), first, save)
	}
	// The summaries over the held-out datasets: the L sizes and the shapes
	// never fitted on, then the bench files.
	for _, group := range []struct {
		what  string
		bench bool
	}{{"held-out datasets (the L sizes and the shapes not fitted on)", false}, {"bench files", true}} {
		var le, me, fe, ffe, se []float64
		for _, p := range preds {
			if p.r.fitted || (p.r.size == "B") != group.bench {
				continue
			}
			le, me = append(le, math.Abs(p.loadErr)), append(me, math.Abs(p.mErr))
			for _, x := range []struct {
				to *[]float64
				e  float64
			}{{&fe, p.fErr}, {&se, p.sErr}, {&ffe, p.ffErr}} {
				if !math.IsNaN(x.e) {
					*x.to = append(*x.to, math.Abs(x.e))
				}
			}
		}
		if len(le) == 0 {
			continue
		}
		ls, ms, fs := estimate.SummarizeErrors(le, 0.2), estimate.SummarizeErrors(me, 0.1), estimate.SummarizeErrors(fe, 0.3)
		fmt.Fprintf(w, "\nSummary: on the %d %s, load time (server CPU) median error %.0f %%, worst %.0f %% (%d of %d within ±20 %%); used_memory median %.0f %%, worst %.0f %% (%d of %d within ±10 %%); fork time median %.0f %%, worst %.0f %% (%d of %d within ±30 %%).\n",
			len(le), group.what, 100*ls.Median, 100*ls.Worst, ls.Within, ls.N, 100*ms.Median, 100*ms.Worst, ms.Within, ms.N,
			100*fs.Median, 100*fs.Worst, fs.Within, fs.N)
		if len(se) > 0 {
			f := estimate.SummarizeErrors(se, 0.3)
			fmt.Fprintf(w, "RDB write (a foreground SAVE): median error %.0f %%, worst %.0f %% (%d of %d within ±30 %%).\n", 100*f.Median, 100*f.Worst, f.Within, f.N)
		}
		if len(ffe) > 0 {
			f := estimate.SummarizeErrors(ffe, 0.3)
			fmt.Fprintf(w, "First fork after the load: median error %.0f %%, worst %.0f %% (%d of %d within ±30 %%).\n", 100*f.Median, 100*f.Worst, f.Within, f.N)
		}
	}
	if thp {
		fmt.Fprintf(w, "\nFork with THP: %.0f µs × (huge pages)^%.3f, %.1f MiB of RSS left in 4 KiB pages; coefficients: %s\n",
			c.Fork.THPUsecPerHugePage, c.Fork.THPHugePageExponent, c.Fork.THPSmallBytes/(1<<20), out)
		return nil
	}
	fmt.Fprintf(w, "\nFork: %.0f µs + %.0f µs × (page-table MiB)^%.3f; the first after a load + %.0f µs + %.1f ns per page; coefficients: %s\n",
		c.Fork.BaseUsec, c.Fork.UsecPerPageTableMiB, c.Fork.PageTableExponent, c.Fork.FirstForkBaseUsec, c.Fork.FirstForkNsPerPage, out)
	return nil
}

// forkPredicted is the fork rep predicts, µs: with THP in a THP run.
func forkPredicted(rep *estimate.Report, thp bool) float64 {
	if thp {
		return rep.Fork.ForkMsTHP.Value * 1000
	}
	return rep.Fork.ForkMs.Value * 1000
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func mib(b float64) string { return fmt.Sprintf("%.1f MiB", b/(1<<20)) }

// scan runs the statistics pass over an RDB file or an AOF directory,
// counting values in the encodings the loading server gives them (lim: its
// release's limits, as `rdbkit estimate --server` does; nil: the writer's
// release's).
func scan(kind, path string, lim *release.Limits) ([]*estimate.Part, error) {
	if kind == "rdb" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		st, err := f.Stat()
		if err != nil {
			return nil, err
		}
		p := &estimate.Part{Name: filepath.Base(path), Role: estimate.RoleRDB, Format: "rdb", Size: st.Size()}
		p.LoadWith(lim, nil)
		if err := estimate.ReadRDB(f, p); err != nil {
			return nil, err
		}
		return []*estimate.Part{p}, nil
	}
	set, err := manifest.Resolve(path, nil)
	if err != nil {
		return nil, err
	}
	parts := map[*manifest.File]*estimate.Part{}
	part := func(f *manifest.File) *estimate.Part {
		if p := parts[f]; p != nil {
			return p
		}
		role := estimate.RoleIncr
		if f.Type == manifest.TypeBase {
			role = estimate.RoleBase
		}
		p := &estimate.Part{Name: f.Name, Role: role, Format: "resp", Size: f.Size}
		p.LoadWith(lim, nil)
		parts[f] = p
		return p
	}
	s, err := repair.ScanSet(context.Background(), set, &repair.ScanOptions{
		OnRDB: func(f *manifest.File, h *rdbfile.Header) func(*rdbfile.Entry) {
			p := part(f)
			p.Format = "rdb"
			p.AddHeader(h)
			return p.AddEntry
		},
		Check: func(f *manifest.File, c *aoffile.Command) error { part(f).AddCommand(c.Args); return nil },
	})
	if err != nil {
		return nil, err
	}
	var out []*estimate.Part
	for _, fs := range s.Files {
		if fs.Err != nil {
			return nil, fs.Err
		}
		out = append(out, part(fs.File))
	}
	return out, nil
}

// firstFork is the median of the first forks after each load, from a
// measurement row's load_cpu_s_all (one figure per load, i.e. per round) and
// fork_usec_all (the forks of every round in order, the same number per
// round); 0 when they do not fit that layout.
func firstFork(loads, forks string) float64 {
	nl, fs := len(strings.Split(loads, ",")), strings.Split(forks, ",")
	if loads == "" || forks == "" || len(fs)%nl != 0 {
		return 0
	}
	per := len(fs) / nl
	var first []float64
	for i := 0; i < len(fs); i += per {
		v, err := strconv.ParseFloat(fs[i], 64)
		if err != nil {
			return 0
		}
		first = append(first, v)
	}
	slices.Sort(first)
	if n := len(first); n%2 == 0 {
		return (first[n/2-1] + first[n/2]) / 2
	}
	return first[len(first)/2]
}
