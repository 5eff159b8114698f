package calibrate

import (
	"bytes"
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/testserver"
)

// TestCalibrateSmoke calibrates on the installed redis-server (7.0.15 in
// CI) with the default samples, within the 60 s the command promises, and
// checks the fitted figures against the built-in ones with a wide
// tolerance (5x: another machine, a busy one): a fit that went wrong (a
// sample that did not load, a unit slip, a class left out) is far outside
// it. It also checks what the server reported for each sample against
// the files it was given.
func TestCalibrateSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 15 server processes")
	}
	bin := testserver.Bin(t)
	var seen []string
	res, err := Run(context.Background(), bin, Options{Date: "2026-12-06", TempDir: t.TempDir(),
		Progress: func(m Measurement) { seen = append(seen, m.Shape) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: %.1f s, start CPU %.3f s, empty used_memory %d", res.Build, res.Seconds, res.StartCPU, res.EmptyMemory)
	if res.Seconds > 60 {
		t.Errorf("calibration took %.1f s, more than 60 s", res.Seconds)
	}
	shapes := estimate.CalibrationShapes(1)
	if len(res.Samples) != len(shapes) || len(seen) != len(shapes) {
		t.Fatalf("%d samples measured, %d reported, want %d", len(res.Samples), len(seen), len(shapes))
	}
	for i, m := range res.Samples {
		t.Logf("%-15s %s %7d: load CPU %.3f s (wall %.3f s), used_memory %d, rss %d, fork %.0f µs, cow %d, save %.3f s",
			m.Shape, m.Kind, m.Count, m.LoadCPU, m.LoadWall, m.UsedMemory, m.RSS, m.ForkUsec, m.COWBytes, m.SaveSeconds)
		if m.Shape != shapes[i].Name || m.Count != int64(shapes[i].N) {
			t.Errorf("sample %d: %s with %d, want %s with %d", i, m.Shape, m.Count, shapes[i].Name, shapes[i].N)
		}
		if m.LoadWall < 0 {
			t.Errorf("%s: no \"DB loaded\" line in the server's log", m.Shape)
		}
		if m.UsedMemory <= res.EmptyMemory || m.ForkUsec <= 0 || m.SaveSeconds <= 0 {
			t.Errorf("%s: the server reported no data loaded: %+v", m.Shape, m)
		}
	}
	c, def := res.Coefficients, estimate.BuiltinCoefficients(res.Release)
	if c.Server != def.Server {
		t.Logf("calibrated %s, the built-in set is %s's: compared anyway", c.Server, def.Server)
	}
	// Its samples are too small to measure the figures' errors: it keeps
	// the built-in set's.
	if c.Error != def.Error || c.Errors != def.Errors {
		t.Errorf("errors %.2f %+v, want the built-in %.2f %+v", c.Error, c.Errors, def.Error, def.Errors)
	}
	within := func(name string, got, want float64) {
		t.Helper()
		if !(got > want/5 && got < want*5) {
			t.Errorf("%s = %.4g, built-in %.4g: not within 5x", name, got, want)
		}
	}
	within("load.ns_per_key", c.Load.NsPerKey, def.Load.NsPerKey)
	within("load.ns_per_payload_byte", c.Load.NsPerPayloadByte, def.Load.NsPerPayloadByte)
	within("memory.bytes_per_key", c.Memory.BytesPerKey, def.Memory.BytesPerKey)
	within("memory.bytes_per_payload_byte", c.Memory.BytesPerPayloadByte, def.Memory.BytesPerPayloadByte)
	for cl, want := range def.Load.NsPerElement {
		got, ok := c.Load.NsPerElement[cl]
		if !ok {
			t.Errorf("class %s not calibrated", cl)
			continue
		}
		within("load.ns_per_element["+string(cl)+"]", got, want)
		within("memory.bytes_per_element["+string(cl)+"]", c.Memory.BytesPerElement[cl], def.Memory.BytesPerElement[cl])
	}
	// A command's figures split between terms (per command, per key, the
	// string model of a SET) as the samples allow: the AOF samples'
	// predicted load and memory are compared instead.
	for _, m := range res.Samples {
		if m.Kind != "aof" {
			continue
		}
		got := estimate.Estimate(res.Parts(m.Shape), c, estimate.Options{Calibrated: true})
		want := estimate.Estimate(res.Parts(m.Shape), def, estimate.Options{Calibrated: true})
		within(m.Shape+" load", got.Recovery.Seconds.Value, want.Recovery.Seconds.Value)
		within(m.Shape+" used_memory", got.Memory.UsedMemory.Value, want.Memory.UsedMemory.Value)
	}
	// HSET and XADD, sampled at two densities, have a cost per key: a
	// hash's listpack and dict entry, a stream's preallocated node.
	for _, name := range []string{"HSET", "XADD"} {
		if c.Memory.BytesPerCommandKey[name] <= 0 {
			t.Errorf("memory.bytes_per_command_key[%s] = %g: no cost per key fitted", name, c.Memory.BytesPerCommandKey[name])
		}
	}
	// Fork: the predicted time for 1 GiB of RSS (2 MiB of page tables).
	// A fork's time is wall time: on a busy machine it moved 12x against an
	// idle one (the built-in line of 2026-12-06, load average 15-25, was 12x
	// the idle line of 2026-12-07 at 1 GiB), so 20x here; a unit slip is 1000x.
	fork := func(c *estimate.Coefficients) float64 { return c.Fork.BaseUsec + 2*c.Fork.UsecPerPageTableMiB }
	if got, want := fork(c), fork(def); !(got > want/20 && got < want*20) {
		t.Errorf("fork µs at 1 GiB = %.4g, built-in %.4g: not within 20x", got, want)
	}
	// The first fork after each load is read, and reaches the fit: the
	// built-in line scaled to the samples (a unit slip is 1000x).
	for _, m := range res.Samples {
		if m.FirstForkUsec <= 0 {
			t.Errorf("%s: no first fork read", m.Shape)
		}
	}
	const pages = 1 << 18 // 1 GiB of RSS
	if got, want := c.Fork.FirstForkExtraUsec(pages), def.Fork.FirstForkExtraUsec(pages); !(got > want/20 && got < want*20) {
		t.Errorf("first fork's extra µs at 1 GiB = %.4g, built-in %.4g: not within 20x", got, want)
	}
	if c.Fork.COWBaseBytes <= 0 {
		t.Errorf("fork.cow_base_bytes = %g: rdb_last_cow_size not read", c.Fork.COWBaseBytes)
	}

	// The coefficients survive their file format, and predict the
	// samples they were fitted on: the per-class figures exactly up to
	// the start-time split, memory within 10 %.
	var buf bytes.Buffer
	if err := estimate.WriteCoefficients(&buf, c); err != nil {
		t.Fatal(err)
	}
	back, err := estimate.ReadCoefficients(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range res.Samples {
		rep := estimate.Estimate(res.Parts(m.Shape), back, estimate.Options{Calibrated: true, Now: time.Date(2026, 12, 6, 0, 0, 0, 0, time.UTC).UnixMilli()})
		if e := rep.Memory.UsedMemory.Value/float64(m.UsedMemory) - 1; math.Abs(e) > 0.1 {
			t.Errorf("%s: used_memory predicted %.0f, measured %d (%+.0f %%)", m.Shape, rep.Memory.UsedMemory.Value, m.UsedMemory, 100*e)
		}
		if rep.Recovery.Seconds.Value <= 0 {
			t.Errorf("%s: no load time predicted", m.Shape)
		}
	}
}

// TestCalibrateTimeout: a run that cannot finish in time ends with
// ErrTimeout, its servers stopped, rather than overrunning.
func TestCalibrateTimeout(t *testing.T) {
	bin := testserver.Bin(t)
	t0 := time.Now()
	_, err := Run(context.Background(), bin, Options{Timeout: 300 * time.Millisecond, TempDir: t.TempDir()})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("a 300 ms calibration ended after %s", d)
	}
}
