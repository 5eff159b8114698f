// Command calibcheck measures how well a calibration predicts data it was
// not fitted on, per server binary: it runs the calibration of "rdbkit
// estimate --calibrate" (internal/calibrate) twice, at -fit-scale and at
// -check-scale (larger samples), fits on the first, and prints the
// predicted against the measured figures of the second as a markdown
// table (docs/benchmarks.md).
//
//	go run ./scripts/calibcheck /usr/bin/redis-server /work/servers/redis-7.4.1/redis-server
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/calibrate"
)

func main() {
	fitScale := flag.Float64("fit-scale", 1, "sample scale of the calibration that is fitted on")
	checkScale := flag.Float64("check-scale", 2, "sample scale of the run that is predicted")
	flag.Parse()
	for _, bin := range flag.Args() {
		if err := check(bin, *fitScale, *checkScale); err != nil {
			fmt.Fprintln(os.Stderr, "calibcheck:", bin+":", err)
			os.Exit(1)
		}
	}
}

func check(bin string, fitScale, checkScale float64) error {
	date := time.Now().UTC().Format("2006-01-02")
	fit, err := calibrate.Run(context.Background(), bin, calibrate.Options{Scale: fitScale, Date: date})
	if err != nil {
		return err
	}
	held, err := calibrate.Run(context.Background(), bin, calibrate.Options{Scale: checkScale, Date: date, Timeout: 3 * time.Minute})
	if err != nil {
		return err
	}
	c := fit.Coefficients
	fmt.Printf("\n%s (%s): calibration %.1f s at scale %g; held-out run at scale %g\n\n", fit.Release, fit.Build, fit.Seconds, fitScale, checkScale)
	fmt.Println("| sample | count | load CPU measured | predicted | error | used_memory measured | predicted | error | fork measured | predicted | error |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	var le, me, fe []float64
	for _, m := range held.Samples {
		rep := estimate.Estimate(held.Parts(m.Shape), c, estimate.Options{Server: fit.Release, Calibrated: true})
		l := rep.Recovery.Seconds.Value/m.LoadCPU - 1
		u := rep.Memory.UsedMemory.Value/float64(m.UsedMemory) - 1
		f := rep.Fork.ForkMs.Value*1000/m.ForkUsec - 1
		le, me, fe = append(le, math.Abs(l)), append(me, math.Abs(u)), append(fe, math.Abs(f))
		fmt.Printf("| %s | %d | %.3f s | %.3f s | %+.0f %% | %.1f MiB | %.1f MiB | %+.0f %% | %.0f µs | %.0f µs | %+.0f %% |\n",
			m.Shape, m.Count, m.LoadCPU, rep.Recovery.Seconds.Value, 100*l, float64(m.UsedMemory)/(1<<20),
			rep.Memory.UsedMemory.Value/(1<<20), 100*u, m.ForkUsec, rep.Fork.ForkMs.Value*1000, 100*f)
	}
	l, m, f := estimate.SummarizeErrors(le, 0.2), estimate.SummarizeErrors(me, 0.1), estimate.SummarizeErrors(fe, 0.3)
	fmt.Printf("\nheld out: load CPU median error %.0f %%, worst %.0f %% (%d of %d within ±20 %%); used_memory median %.0f %%, worst %.0f %% (%d within ±10 %%); fork median %.0f %%, worst %.0f %% (%d within ±30 %%)\n",
		100*l.Median, 100*l.Worst, l.Within, l.N, 100*m.Median, 100*m.Worst, m.Within,
		100*f.Median, 100*f.Worst, f.Within)
	fmt.Printf("coefficients: load ns/key %.0f, ns/string byte %.2f, memory bytes/key %.1f, fork %.0f µs + %.0f µs/page-table MiB, cow base %.0f bytes\n",
		c.Load.NsPerKey, c.Load.NsPerPayloadByte, c.Memory.BytesPerKey, c.Fork.BaseUsec, c.Fork.UsecPerPageTableMiB, c.Fork.COWBaseBytes)
	return nil
}
