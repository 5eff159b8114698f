package estimate_test

import (
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// scanPart runs the statistics pass over an RDB file.
func scanPart(t *testing.T, path string) *estimate.Part {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := rdbfile.NewReader(f, nil)
	h, err := r.Header()
	if err != nil {
		t.Fatal(err)
	}
	p := &estimate.Part{Name: path, Role: estimate.RoleRDB, Format: "rdb"}
	p.AddHeader(h)
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind == rdbfile.EntryKey {
			if err := e.Skip(); err != nil {
				t.Fatal(err)
			}
		}
		p.AddEntry(e)
	}
	return p
}

// scaled returns p with every count multiplied by k.
func scaled(p *estimate.Part, k int64) *estimate.Part {
	q := *p
	q.Classes = map[estimate.Class]*estimate.ClassStats{}
	for c, s := range p.Classes {
		q.Classes[c] = &estimate.ClassStats{Keys: s.Keys * k, Elements: s.Elements * k, Bytes: s.Bytes * k, Payload: s.Payload * k}
	}
	q.Commands = map[string]*estimate.CommandStats{}
	for n, s := range p.Commands {
		q.Commands[n] = &estimate.CommandStats{Commands: s.Commands * k, ArgBytes: s.ArgBytes * k}
	}
	q.Keys *= k
	return &q
}

func TestDefaultCoefficientsNameTheirOrigin(t *testing.T) {
	c := estimate.DefaultCoefficients()
	if c.Server != "redis-7.0" || !strings.Contains(c.ServerBuild, "7.0.15") || c.Machine == "" || c.Measured == "" {
		t.Errorf("the built-in coefficients must name the server build and the reference machine: %+v", c)
	}
	if c.Source != "built-in" {
		t.Errorf("Source = %q", c.Source)
	}
	if c.Load.NsPerKey <= 0 || c.Memory.BytesPerKey <= 0 || c.Fork.UsecPerPageTableMiB <= 0 || c.Memory.RSSRatio <= 0 {
		t.Errorf("implausible built-in coefficients: %+v", c)
	}
}

// TestBuiltinCoefficients: every built-in set names its release line, build
// and machine, and reads as a whole set; a release without a set of its own
// gets the newest older line of its server, else the reference; an estimate
// with a release's own set does not widen its range for the server.
func TestBuiltinCoefficients(t *testing.T) {
	servers := estimate.BuiltinServers()
	if !slices.Contains(servers, estimate.ReferenceServer) || len(servers) < 2 {
		t.Fatalf("built-in sets %v", servers)
	}
	ref := estimate.DefaultCoefficients()
	for _, name := range servers {
		r, ok := release.Lookup(name)
		if !ok {
			t.Errorf("built-in set %s: no such release", name)
			continue
		}
		c := estimate.BuiltinCoefficients(name)
		if c.Server != name || !strings.Contains(c.ServerBuild, r.Server) || c.Machine == "" || c.Measured == "" || c.Source != "built-in" {
			t.Errorf("%s: the set must name its release, build and machine: server %q build %q machine %q source %q",
				name, c.Server, c.ServerBuild, c.Machine, c.Source)
		}
		if c.Load.NsPerKey <= 0 || c.Memory.BytesPerKey <= 0 || c.Fork.UsecPerPageTableMiB <= 0 || c.Memory.RSSRatio <= 0 ||
			c.Fork.FirstForkNsPerPage <= 0 || c.Save.NsPerKey <= 0 || len(c.Load.NsPerElement) < len(ref.Load.NsPerElement) {
			t.Errorf("%s: not a whole set: %+v", name, c)
		}
		if c.Fork != ref.Fork {
			t.Errorf("%s: the fork figures must be the reference set's (the kernel's cost): %+v", name, c.Fork)
		}
		p := scanPart(t, sample)
		rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: name})
		if !rep.Calibration.SameServer || len(rep.Calibration.Notes) != 1 || rep.Calibration.RelError != 2*c.Error {
			t.Errorf("%s with its own set: %+v", name, rep.Calibration)
		}
	}
	for server, want := range map[string]string{
		"redis-7.0":  "redis-7.0",
		"redis-7.2":  "redis-7.2",
		"redis-7.4":  "redis-7.4",
		"redis-8.0":  "redis-7.4", // the newest older line
		"redis-8.6":  "redis-7.4",
		"redis-8.8":  "redis-8.8",
		"redis-8.10": "redis-8.8",
		"valkey-7.2": "redis-7.2", // standIns: Redis 7.2's code
		"valkey-8.0": "valkey-8.0",
		"valkey-8.1": "valkey-8.1",
		"valkey-9.1": "valkey-9.0",
		"redis-6.2":  "redis-7.0", // unknown: the reference
	} {
		if got := estimate.BuiltinCoefficients(server).Server; got != want {
			t.Errorf("BuiltinCoefficients(%s) is %s's set, want %s's", server, got, want)
		}
	}
	// The sets are measurements of different servers, not copies.
	if v9 := estimate.BuiltinCoefficients("valkey-9.0"); v9.Memory.BytesPerKey >= ref.Memory.BytesPerKey {
		t.Errorf("valkey-9.0 bytes per key %.1f, redis-7.0 %.1f: Valkey 8.1+'s hashtable takes less", v9.Memory.BytesPerKey, ref.Memory.BytesPerKey)
	}
}

func TestReadCoefficientsRefusesUnknownFields(t *testing.T) {
	_, err := estimate.ReadCoefficients(strings.NewReader(`{"server":"redis-7.0","error":0.2,"load":{"ns_per_kee":1}}`))
	if err == nil {
		t.Fatal("a misspelt field was accepted")
	}
	var b strings.Builder
	if err := estimate.WriteCoefficients(&b, estimate.DefaultCoefficients()); err != nil {
		t.Fatal(err)
	}
	c, err := estimate.ReadCoefficients(strings.NewReader(b.String()))
	if err != nil || c.Load.NsPerKey != estimate.DefaultCoefficients().Load.NsPerKey {
		t.Fatalf("round trip: %v %+v", err, c)
	}
}

// TestModelUnitsAndShares checks the model on the committed sample: the
// recovery time is the sum of its parts and of its classes, the shares
// add up to 100 %, and the figures follow the documented formulas.
func TestModelUnitsAndShares(t *testing.T) {
	p := scanPart(t, sample)
	if p.Keys == 0 || p.Server != "redis-7.4" || p.CTime == 0 {
		t.Fatalf("statistics pass: keys=%d server=%q ctime=%d", p.Keys, p.Server, p.CTime)
	}
	c := estimate.DefaultCoefficients()
	rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Config: estimate.DefaultConfig()})
	var sumParts, sumClasses, shares float64
	for _, pt := range rep.Recovery.Parts {
		sumParts += pt.Seconds
	}
	for _, cl := range rep.Recovery.Classes {
		sumClasses += cl.Seconds
		shares += cl.Share
	}
	total := rep.Recovery.Seconds.Value
	if total <= 0 || math.Abs(sumParts-total) > 1e-12 || math.Abs(sumClasses-total) > 1e-12 {
		t.Errorf("total %g, parts %g, classes %g", total, sumParts, sumClasses)
	}
	if math.Abs(shares-100) > 1e-9 {
		t.Errorf("shares add up to %g %%", shares)
	}
	// The formula, by hand, in ns.
	var want float64
	for cl, s := range p.Classes {
		e := c.Load.NsPerElementDefault
		if v, ok := c.Load.NsPerElement[cl.LoadCost()]; ok {
			e = v
		}
		var payload float64
		if cl == "string/string" {
			e, payload = 0, float64(s.Payload)
		}
		elems := e * float64(s.Elements)
		if ppe, ok := c.Memory.PayloadPerElement[cl.LoadCost()]; ok && cl != "string/string" {
			elems = max(elems+c.Load.NsPerPayloadByte*(float64(s.Payload)-ppe*float64(s.Elements)), 0)
		}
		want += c.Load.NsPerKey*float64(s.Keys) + c.Load.NsPerPayloadByte*payload + elems
	}
	if math.Abs(total-want/1e9) > 1e-12 {
		t.Errorf("recovery %g s, formula gives %g s", total, want/1e9)
	}
	r := rep.Recovery.Seconds
	if !(r.Low < r.Value && r.Value < r.High) {
		t.Errorf("range %+v", r)
	}
	if rep.Memory.UsedMemory.Value < float64(c.Memory.BaseBytes) || rep.Memory.RSS.Value < rep.Memory.UsedMemory.Value {
		t.Errorf("memory %+v", rep.Memory)
	}
	// With THP the kernel deposits a page table beside each huge page: as
	// much memory as with 4 KiB pages, up to rounding.
	if pt := rep.Fork.PageTableBytes; pt != int64(estimate.PageTableBytes(int64(rep.Memory.RSS.Value), 4096)) || math.Abs(float64(rep.Fork.PageTableBytesTHP-pt)) > 8 {
		t.Errorf("page tables %+v", rep.Fork)
	}
}

// TestModelMonotonic: more data never costs less time, memory or fork.
func TestModelMonotonic(t *testing.T) {
	p := scanPart(t, sample)
	p.AddCommand([][]byte{[]byte("xadd"), []byte("s"), []byte("*"), []byte("f"), []byte("v")})
	c := estimate.DefaultCoefficients()
	var prev *estimate.Report
	for _, k := range []int64{1, 2, 10, 1000, 100000} {
		rep := estimate.Estimate([]*estimate.Part{scaled(p, k)}, c, estimate.Options{WriteRate: 1000})
		if prev != nil {
			if rep.Recovery.Seconds.Value <= prev.Recovery.Seconds.Value || rep.Memory.UsedMemory.Value <= prev.Memory.UsedMemory.Value ||
				rep.Fork.ForkMs.Value < prev.Fork.ForkMs.Value || rep.Fork.SaveSeconds.Value <= prev.Fork.SaveSeconds.Value ||
				rep.Fork.COWAtRate < prev.Fork.COWAtRate || rep.Fork.PeakRSS <= prev.Fork.PeakRSS {
				t.Errorf("×%d costs less than before: %+v vs %+v", k, rep.Recovery, prev.Recovery)
			}
		}
		if rep.Fork.COWAtRate > rep.Fork.COWWorst || rep.Fork.COWAtRateTHP > rep.Fork.COWWorst || rep.Fork.COWAtRate > rep.Fork.COWAtRateTHP {
			t.Errorf("×%d: copy-on-write %+v", k, rep.Fork)
		}
		prev = rep
	}
}

// TestCalibrationWidensRanges: uncalibrated output says so and its range
// is wider; so is an estimate for a server nobody measured.
func TestCalibrationWidensRanges(t *testing.T) {
	p := scanPart(t, sample)
	c := estimate.DefaultCoefficients()
	cal := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: "redis-7.0", Calibrated: true})
	unc := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: "redis-7.0"})
	other := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: "valkey-8.0"})
	if len(cal.Calibration.Notes) != 0 || len(unc.Calibration.Notes) != 1 || len(other.Calibration.Notes) != 2 {
		t.Errorf("notes: %q / %q / %q", cal.Calibration.Notes, unc.Calibration.Notes, other.Calibration.Notes)
	}
	w := func(r *estimate.Report) float64 { return r.Recovery.Seconds.High - r.Recovery.Seconds.Low }
	if !(w(cal) < w(unc) && w(unc) < w(other)) {
		t.Errorf("range widths %g, %g, %g", w(cal), w(unc), w(other))
	}
	if other.Server != "valkey-8.0" || other.Calibration.SameServer {
		t.Errorf("server %q same=%v", other.Server, other.Calibration.SameServer)
	}
	if def := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{}); def.Server != "redis-7.4" {
		t.Errorf("default server %q, want the writer redis-7.4", def.Server)
	}
}

// parseConfig applies the lines of a redis.conf (simple lines: no quotes).
func parseConfig(text string) (estimate.Config, error) {
	c := estimate.DefaultConfig()
	for _, ln := range strings.Split(text, "\n") {
		argv := strings.Fields(ln)
		if len(argv) == 2 && argv[1] == `""` {
			argv[1] = ""
		}
		if err := c.Apply(argv); err != nil {
			return c, err
		}
	}
	return c, nil
}

func TestMaxMemoryFits(t *testing.T) {
	p := scanPart(t, sample)
	c := estimate.DefaultCoefficients()
	base := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{})
	u := base.Memory.UsedMemory
	for _, x := range []struct {
		limit int64
		want  string
	}{{int64(u.High) + 1, "yes"}, {int64(u.Low) - 1, "no"}, {int64(u.Value), "maybe"}} {
		rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{MaxMemory: x.limit})
		if rep.Memory.Fits != x.want || rep.Memory.MaxMemorySource != "flag" {
			t.Errorf("limit %d: fits %q from %q, want %q", x.limit, rep.Memory.Fits, rep.Memory.MaxMemorySource, x.want)
		}
	}
	cfg, err := parseConfig("maxmemory 1mb\n")
	if err != nil {
		t.Fatal(err)
	}
	rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Config: cfg})
	if rep.Memory.MaxMemory != 1<<20 || rep.Memory.MaxMemorySource != "config" {
		t.Errorf("config maxmemory: %+v", rep.Memory)
	}
}

// TestLossWindowPolicies covers appendfsync always / everysec / no,
// snapshots only, and nothing at all.
func TestLossWindowPolicies(t *testing.T) {
	p := scanPart(t, sample)
	c := estimate.DefaultCoefficients()
	for _, x := range []struct {
		conf     string
		seconds  float64
		commands int64
		aof      bool
	}{
		{"appendonly yes\nappendfsync always\n", 0, 1, true},
		{"appendonly yes\nappendfsync everysec\n", 1, 0, true},
		{"appendonly yes\nappendfsync no\n", estimate.OSFlushSeconds, 0, true},
		{"appendonly yes\n", 1, 0, true}, // everysec is the default
		{"save 900 1\nsave 300 10\n", 900, 0, false},
		{"save 900 1\nsave \"\"\n", -1, 0, false},
		{"", 3600, 0, false}, // the defaults: save 3600 1 300 100 60 10000
	} {
		cfg, err := parseConfig(x.conf)
		if err != nil {
			t.Fatalf("%q: %v", x.conf, err)
		}
		l := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Config: cfg, Now: p.CTime + 90_000}).Loss
		if l.WindowSeconds != x.seconds || l.WindowCommands != x.commands || l.AppendOnly != x.aof || l.Window == "" {
			t.Errorf("%q: window %g s / %d commands, appendonly %v (%s)", x.conf, l.WindowSeconds, l.WindowCommands, l.AppendOnly, l.Window)
		}
		if l.Last == nil || l.Last.Source != "ctime" || l.Last.TimeMs != p.CTime || l.BehindSeconds == nil || *l.BehindSeconds != 90 {
			t.Errorf("%q: last write %+v behind %v", x.conf, l.Last, l.BehindSeconds)
		}
	}
	if _, err := parseConfig("appendfsync sometimes\n"); err == nil {
		t.Error("a bad appendfsync was accepted")
	}
}

func TestParseBytes(t *testing.T) {
	for in, want := range map[string]int64{"100": 100, "1k": 1000, "1kb": 1024, "2MB": 2 << 20, "1g": 1e9, "3gb": 3 << 30} {
		if got, err := estimate.ParseBytes(in); err != nil || got != want {
			t.Errorf("ParseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "-1", "1tb"} {
		if _, err := estimate.ParseBytes(in); err == nil {
			t.Errorf("ParseBytes(%q) accepted", in)
		}
	}
}

// TestFigureErrors: each figure's range is its own measured error (the
// recovery time's is Error), widened alike for another machine or server;
// a set without Errors (written before them) gives every range Error.
func TestFigureErrors(t *testing.T) {
	p := scanPart(t, sample)
	half := func(r estimate.Range) float64 { return (r.High - r.Value) / r.Value }
	near := func(what string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-9 {
			t.Errorf("%s: ±%.4f, want ±%.4f", what, got, want)
		}
	}
	c := estimate.DefaultCoefficients()
	c.Error, c.Errors = 0.3, estimate.FigureErrors{Memory: 0.1, Fork: 0.5, FirstFork: 0.7, Save: 0.6}
	for _, tc := range []struct {
		o     estimate.Options
		widen float64
	}{
		{estimate.Options{Server: c.Server, Calibrated: true}, 1},
		{estimate.Options{Server: c.Server}, 2},
		{estimate.Options{Server: "redis-7.2"}, 3},
	} {
		rep := estimate.Estimate([]*estimate.Part{p}, c, tc.o)
		near("recovery", half(rep.Recovery.Seconds), 0.3*tc.widen)
		near("used_memory", half(rep.Memory.UsedMemory), 0.1*tc.widen)
		near("fork", half(rep.Fork.ForkMs), 0.5*tc.widen)
		near("first fork", half(rep.Fork.FirstForkMs), 0.7*tc.widen)
		near("rdb write", half(rep.Fork.SaveSeconds), 0.6*tc.widen)
		if cal := rep.Calibration; cal.RelError != 0.3*tc.widen || cal.RelErrors != c.Errors.Scale(tc.widen) {
			t.Errorf("calibration %+v, widened %.0fx", cal, tc.widen)
		}
	}
	c.Errors = estimate.FigureErrors{}
	rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: c.Server, Calibrated: true})
	near("used_memory without Errors", half(rep.Memory.UsedMemory), 0.3)
	near("rdb write without Errors", half(rep.Fork.SaveSeconds), 0.3)
	// Every built-in set has them, and its memory is the most exact figure.
	for _, name := range estimate.BuiltinServers() {
		b := estimate.BuiltinCoefficients(name)
		e := b.Errors
		if e.Memory <= 0 || e.Fork <= 0 || e.FirstFork <= 0 || e.Save <= 0 || e.Memory > b.Error {
			t.Errorf("%s: errors %+v, load %.2f", name, e, b.Error)
		}
	}
}

// TestPayloadPerElement: an unpacked class's memory is BytesPerElement a
// element plus BytesPerPayloadByte for each payload byte an element holds
// beyond the fit's mean (PayloadPerElement), its load NsPerPayloadByte
// for each such byte, and BytesPerElement alone
// without the figure (an older file); Fit records the mean.
func TestPayloadPerElement(t *testing.T) {
	c := estimate.DefaultCoefficients()
	const cl = estimate.Class("hash/hashtable")
	ppe, ok := c.Memory.PayloadPerElement[cl]
	if !ok || ppe <= 0 {
		t.Fatalf("the reference set has no payload per element for %s: %v", cl, c.Memory.PayloadPerElement)
	}
	used := func(c *estimate.Coefficients, payload int64) float64 {
		p := &estimate.Part{Name: "x", Role: estimate.RoleRDB, Format: "rdb", Classes: map[estimate.Class]*estimate.ClassStats{
			cl: {Keys: 10, Elements: 10000, Bytes: payload, Payload: payload}}}
		return estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Calibrated: true}).Memory.UsedMemory.Value
	}
	load := func(c *estimate.Coefficients, payload int64) float64 {
		p := &estimate.Part{Name: "x", Role: estimate.RoleRDB, Format: "rdb", Classes: map[estimate.Class]*estimate.ClassStats{
			cl: {Keys: 10, Elements: 10000, Bytes: payload, Payload: payload}}}
		return estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Calibrated: true}).Recovery.Seconds.Value * 1e9
	}
	at := int64(ppe * 10000)
	if d := used(c, at+100000) - used(c, at); math.Abs(d-100000*c.Memory.BytesPerPayloadByte) > 1 {
		t.Errorf("100,000 payload bytes more cost %.0f bytes, want %.0f", d, 100000*c.Memory.BytesPerPayloadByte)
	}
	// The load: a string's byte for each byte more (the elements are
	// copied one by one).
	if d := load(c, at+100000) - load(c, at); math.Abs(d-100000*c.Load.NsPerPayloadByte) > 1 {
		t.Errorf("100,000 payload bytes more load in %.0f ns more, want %.0f", d, 100000*c.Load.NsPerPayloadByte)
	}
	old := estimate.DefaultCoefficients()
	old.Memory.PayloadPerElement = nil
	if a, b := used(old, at), used(old, 3*at); a != b || math.Abs(a-used(c, at)) > 1 {
		t.Errorf("without the figure: %.0f and %.0f, want both %.0f", a, b, used(c, at))
	}
	if a, b := load(old, at), load(old, 3*at); a != b || math.Abs(a-load(c, at)) > 10 { // at: ppe × 10,000 rounded down
		t.Errorf("without the figure: loads in %.0f and %.0f ns, want both %.0f", a, b, load(c, at))
	}
	// Fit: two samples of the class, 20 and 40 payload bytes an element.
	s := estimate.Sample{Name: "h", LoadSeconds: 1, UsedMemory: 10 << 20, EmptyMemory: 1 << 20, Parts: []*estimate.Part{{Name: "h",
		Role: estimate.RoleRDB, Format: "rdb", Classes: map[estimate.Class]*estimate.ClassStats{cl: {Keys: 100, Elements: 1000, Bytes: 20000, Payload: 20000}}}}}
	s2 := s
	s2.Parts = []*estimate.Part{{Name: "h2", Role: estimate.RoleRDB, Format: "rdb", Classes: map[estimate.Class]*estimate.ClassStats{cl: {Keys: 100, Elements: 1000, Bytes: 40000, Payload: 40000}}}}
	f, err := estimate.Fit(append(revisedSamples(), s, s2), estimate.Coefficients{Server: "redis-7.0", Error: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.Memory.PayloadPerElement[cl]; got != 30 {
		t.Errorf("fitted payload per element %v, want 30", got)
	}
}
