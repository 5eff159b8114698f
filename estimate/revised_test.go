package estimate_test

import (
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/release"
)

// revisedSamples are made up by known laws: strings at 70 bytes a key plus
// 1.1 per payload byte; streams at 70 bytes a key plus 2 per payload byte,
// whatever their entries; HSETs whose RSS is 100 bytes per command above
// the RDB line (RSS = 4 MiB + 1.05 × used_memory); fork µs = 900 ×
// page-table MiB^0.55.
func revisedSamples() []estimate.Sample {
	const empty = 1 << 20
	fork := func(rss int64) float64 { return 900 * math.Pow(estimate.PageTableBytes(rss, 4096)/(1<<20), 0.55) }
	rdb := func(cl estimate.Class, keys, elems, payload, used int64) estimate.Sample {
		p := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{cl: {Keys: keys, Elements: elems, Payload: payload, Bytes: payload}}}
		rss := 4<<20 + used*105/100
		return estimate.Sample{Parts: []*estimate.Part{p}, LoadSeconds: float64(keys) * 1e-6, UsedMemory: used, EmptyMemory: empty, RSS: rss, ForkUsec: fork(rss)}
	}
	str := func(keys, size int64) estimate.Sample {
		return rdb(estimate.StringClass, keys, keys, keys*size, empty+keys*(70+size*11/10))
	}
	stream := func(keys, entries, payload int64) estimate.Sample {
		return rdb("stream/stream", keys, entries, payload, empty+keys*70+2*payload)
	}
	hset := func(cmds, keys int64) estimate.Sample {
		p := &estimate.Part{Commands: map[string]*estimate.CommandStats{"HSET": {Commands: cmds, ArgBytes: cmds * 30, Keys: keys, Elements: cmds}}}
		used := int64(empty + keys*100 + cmds*20)
		rss := 4<<20 + used*105/100 + 100*cmds
		return estimate.Sample{Parts: []*estimate.Part{p}, LoadSeconds: float64(cmds) * 1e-6, UsedMemory: used, EmptyMemory: empty, RSS: rss, ForkUsec: fork(rss)}
	}
	return []estimate.Sample{str(400000, 16), str(30000, 2048), str(3200000, 16), stream(5000, 1000000, 40000000),
		hset(200000, 5000), hset(160000, 1000)}
}

// TestFitRevised: Fit recovers the RSS residue of an AOF command, a stream's
// memory per payload byte and the fork power law from samples made up by
// them, and Estimate applies them: a stream of few bytes per entry, an AOF
// of HSETs, a dataset 10 times the samples' size, each within 2 %.
func TestFitRevised(t *testing.T) {
	c, err := estimate.Fit(revisedSamples(), estimate.Coefficients{Server: "redis-7.0", Error: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Memory.RSSBytesPerCommand["HSET"]; math.Abs(r-100) > 2 {
		t.Errorf("RSS residue of HSET: %g bytes per command, want 100", r)
	}
	if e := c.Fork.PageTableExponent; math.Abs(e-0.55) > 0.01 {
		t.Errorf("fork exponent %g, want 0.55", e)
	}
	if math.Abs(c.Fork.Usec(1)/900-1) > 0.02 {
		t.Errorf("fork at 1 MiB of page tables: %g µs, want 900", c.Fork.Usec(1))
	}
	// A stream of 10 bytes per entry (one-field entries sharing the
	// master entry's fields): per byte of payload, not per entry.
	p := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{"stream/stream": {Keys: 1000, Elements: 100000, Payload: 1000000, Bytes: 1000000}}}
	rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: "redis-7.0", Calibrated: true})
	want := float64(1<<20 + 1000*70 + 2*1000000)
	if e := rep.Memory.UsedMemory.Value/want - 1; math.Abs(e) > 0.02 {
		t.Errorf("stream of small entries: used_memory %+.1f %%", 100*e)
	}
	// HSETs: their RSS carries the residue, and so their fork.
	h := &estimate.Part{Commands: map[string]*estimate.CommandStats{"HSET": {Commands: 400000, ArgBytes: 400000 * 30, Keys: 10000, Elements: 400000}}}
	rep = estimate.Estimate([]*estimate.Part{h}, c, estimate.Options{Server: "redis-7.0", Calibrated: true})
	if d := rep.Memory.RSS.Value - (c.Memory.RSSBaseBytes + c.Memory.RSSRatio*rep.Memory.UsedMemory.Value); math.Abs(d/(100*400000)-1) > 0.02 {
		t.Errorf("RSS of 400 k HSETs: %g bytes above the RDB line, want 40 MB", d)
	}
	// Fork of a dataset ten times the biggest sample: the power law.
	big := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{estimate.StringClass: {Keys: 32000000, Elements: 32000000, Payload: 32000000 * 16, Bytes: 32000000 * 16}}}
	rep = estimate.Estimate([]*estimate.Part{big}, c, estimate.Options{Server: "redis-7.0", Calibrated: true})
	wantFork := 900 * math.Pow(float64(rep.Fork.PageTableBytes)/(1<<20), 0.55) / 1000
	if e := rep.Fork.ForkMs.Value/wantFork - 1; math.Abs(e) > 0.02 {
		t.Errorf("fork of 32 M keys: %g ms, want %g", rep.Fork.ForkMs.Value, wantFork)
	}
}

// TestCommandClassBytes: a command without figures of its own costs what
// the RDB model gives the class it builds: RPUSH a quicklist, SADD of
// many members a hashtable set, per key and per element.
func TestCommandClassBytes(t *testing.T) {
	c := estimate.DefaultCoefficients()
	for _, x := range []struct {
		name       string
		keys, elem int64
		class      estimate.Class
	}{
		{"RPUSH", 300, 25000, "list/quicklist"},
		{"SADD", 10, 20000, "set/hashtable"},
		{"ZADD", 1000, 25000, "zset/listpack"},
		{"HSET", 10, 20000, "hash/hashtable"},
	} {
		s := &estimate.CommandStats{Commands: x.elem, ArgBytes: x.elem * 20, Keys: x.keys, Elements: x.elem}
		cl, ok := estimate.CommandClass(x.name, s, c, nil)
		if !ok || cl != x.class {
			t.Errorf("%s: class %q %v, want %q", x.name, cl, ok, x.class)
			continue
		}
		if _, fitted := c.Memory.BytesPerCommand[x.name]; fitted {
			continue // the command's own figures apply
		}
		p := &estimate.Part{Commands: map[string]*estimate.CommandStats{x.name: s}}
		rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: "redis-7.0", Calibrated: true})
		want := float64(c.Memory.BaseBytes) + float64(x.keys)*c.Memory.BytesPerKey + float64(x.elem)*c.Memory.BytesPerElement[x.class]
		if got := rep.Memory.UsedMemory.Value; math.Abs(got/want-1) > 1e-9 {
			t.Errorf("%s: used_memory %g, want %g", x.name, got, want)
		}
	}
	if _, ok := estimate.CommandClass("EXPIRE", &estimate.CommandStats{Commands: 1, Keys: 1, Elements: 1}, c, nil); ok {
		t.Error("EXPIRE has a class")
	}
}

// TestCommandLimits: the class an AOF command builds and the listpack
// searches it makes follow the loading server's limits: a redis.conf that
// lowers hash-max-listpack-entries to 8 makes 16-field HSET hashes
// hashtables that search no listpack past 8 fields; Redis 7.0, without
// listpack sets, makes SADD of strings a hashtable set that searches none.
func TestCommandLimits(t *testing.T) {
	c := estimate.DefaultCoefficients()
	hset := &estimate.CommandStats{Commands: 16000, ArgBytes: 16000 * 30, Keys: 1000, Elements: 16000}
	sadd := &estimate.CommandStats{Commands: 16000, ArgBytes: 16000 * 20, Keys: 1000, Elements: 16000}
	var cfg estimate.Config
	if err := cfg.Apply([]string{"hash-max-listpack-entries", "8"}); err != nil {
		t.Fatal(err)
	}
	p := &estimate.Part{Commands: map[string]*estimate.CommandStats{"HSET": hset, "SADD": sadd}}
	p.LoadWith(nil, &cfg)
	lim := p.Limits()
	if cl, _ := estimate.CommandClass("HSET", hset, c, nil); cl != "hash/listpack" {
		t.Errorf("HSET, default limits: %q, want hash/listpack", cl)
	}
	if cl, _ := estimate.CommandClass("HSET", hset, c, lim); cl != "hash/hashtable" {
		t.Errorf("HSET, hash-max-listpack-entries 8: %q, want hash/hashtable", cl)
	}
	if got, want := estimate.ScanWork("HSET", hset, lim), 1000*8*8/2.0; got != want {
		t.Errorf("ScanWork(HSET), hash-max-listpack-entries 8: %g, want %g", got, want)
	}
	if got, want := estimate.ScanWork("HSET", hset, nil), 1000*16*16/2.0; got != want {
		t.Errorf("ScanWork(HSET), default limits: %g, want %g", got, want)
	}
	r70, _ := release.Lookup("redis-7.0")
	if got := estimate.ScanWork("SADD", sadd, &r70.Limits); got != 0 {
		t.Errorf("ScanWork(SADD) on redis-7.0: %g, want 0 (no listpack sets)", got)
	}
	if cl, _ := estimate.CommandClass("SADD", sadd, c, &r70.Limits); cl != "set/hashtable" {
		t.Errorf("SADD on redis-7.0: %q, want set/hashtable", cl)
	}
}

// TestFitFirstFork: the first fork after a load, made up at 500 µs + 150 ns
// per page above a later one (and noise: half the samples 20 % off either
// way), is fitted as that line and added to the fork of a dataset ten
// times the samples' size; samples within a factor of four in size scale
// meta's line, samples that do not measure it keep it, and coefficients
// without it predict no first fork.
func TestFitFirstFork(t *testing.T) {
	samples := revisedSamples()
	for i := range samples {
		s := &samples[i]
		noise := []float64{1, 1.2, 1, 0.8}[i%4]
		s.FirstForkUsec = s.ForkUsec + noise*(500+150*float64(s.RSS)/4096/1000)
	}
	c, err := estimate.Fit(samples, estimate.Coefficients{Server: "redis-7.0", Error: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if f := c.Fork.FirstForkNsPerPage; math.Abs(f/150-1) > 0.2 {
		t.Errorf("first fork: %g ns per page, want 150", f)
	}
	if b := c.Fork.FirstForkBaseUsec; b < 0 || b > 1000 {
		t.Errorf("first fork: base %g µs, want about 500", b)
	}
	big := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{estimate.StringClass: {Keys: 32000000, Elements: 32000000, Payload: 32000000 * 16, Bytes: 32000000 * 16}}}
	rep := estimate.Estimate([]*estimate.Part{big}, c, estimate.Options{Server: "redis-7.0", Calibrated: true})
	want := rep.Fork.ForkMs.Value + (c.Fork.FirstForkBaseUsec+c.Fork.FirstForkNsPerPage*rep.Memory.RSS.Value/4096/1000)/1000
	if f := rep.Fork.FirstForkMs; math.Abs(f.Value/want-1) > 1e-9 || f.Low >= f.Value || f.High <= f.Value {
		t.Errorf("first fork of 32 M keys: %+v, want %g ms", f, want)
	}
	if rep.Fork.FirstForkMs.Value < 2*rep.Fork.ForkMs.Value {
		t.Errorf("first fork %g ms, later %g ms: 150 ns a page should more than double it", rep.Fork.FirstForkMs.Value, rep.Fork.ForkMs.Value)
	}

	// Samples of one size (a calibration's): meta's line, scaled to them.
	meta := estimate.Coefficients{Server: "redis-7.0", Error: 0.2, Fork: estimate.ForkCoefficients{FirstForkBaseUsec: 250, FirstForkNsPerPage: 75}}
	one := revisedSamples() // the first fork measured on two of about the same size
	for i, k := range map[int]float64{1: 1.9, 3: 2.1} {
		one[i].FirstForkUsec = one[i].ForkUsec + k*meta.Fork.FirstForkExtraUsec(float64(one[i].RSS)/4096)
	}
	c1, err := estimate.Fit(one, meta)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c1.Fork.FirstForkBaseUsec/500-1) > 1e-9 || math.Abs(c1.Fork.FirstForkNsPerPage/150-1) > 1e-9 {
		t.Errorf("meta's line scaled to samples of one size: %+v, want 500 µs + 150 ns a page", c1.Fork)
	}

	// No sample measured it: meta's figure stays; none in meta: no first fork.
	c2, err := estimate.Fit(revisedSamples(), estimate.Coefficients{Server: "redis-7.0", Error: 0.2, Fork: estimate.ForkCoefficients{FirstForkNsPerPage: 99}})
	if err != nil {
		t.Fatal(err)
	}
	if c2.Fork.FirstForkNsPerPage != 99 {
		t.Errorf("meta's first fork figure lost: %g", c2.Fork.FirstForkNsPerPage)
	}
	c2.Fork.FirstForkNsPerPage = 0
	if rep := estimate.Estimate([]*estimate.Part{big}, c2, estimate.Options{Server: "redis-7.0", Calibrated: true}); rep.Fork.FirstForkMs != (estimate.Range{}) {
		t.Errorf("first fork without its coefficient: %+v", rep.Fork.FirstForkMs)
	}
}

// TestAdviceFirstFork: a dataset whose later forks take under 10 ms but
// whose first fork after a restart takes more gets the fork advice, which
// names the first fork.
func TestAdviceFirstFork(t *testing.T) {
	c := estimate.DefaultCoefficients()
	for keys := int64(1000000); keys < 100000000; keys = keys * 11 / 10 {
		p := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{estimate.StringClass: {Keys: keys, Elements: keys, Payload: keys * 16, Bytes: keys * 16}}}
		rep := estimate.Estimate([]*estimate.Part{p}, c, estimate.Options{Server: "redis-7.0", Calibrated: true})
		if f := rep.Fork; f.ForkMs.Value < 10 && f.FirstForkMs.Value >= 10 {
			for _, a := range rep.Advice {
				if strings.Contains(a.Text, "for the first after a restart") {
					return
				}
			}
			t.Fatalf("%d keys: fork %.1f ms, first %.1f ms, and no advice names it: %+v", keys, f.ForkMs.Value, f.FirstForkMs.Value, rep.Advice)
		}
	}
	t.Fatal("no size with a later fork under 10 ms and a first fork over it")
}

// TestFitTHP: samples measured with transparent huge pages fit the THP
// fork curve (a power of the huge pages) and the RSS left in 4 KiB pages,
// and leave the 4 KiB curves to meta; one size scales meta's THP curve;
// no THP sample keeps it; the estimate applies the curve to the predicted
// RSS, and falls back to the built-in curve for coefficients without one.
func TestFitTHP(t *testing.T) {
	meta := estimate.Coefficients{Server: "redis-7.0", Error: 0.2, Fork: estimate.ForkCoefficients{
		UsecPerPageTableMiB: 9000, PageTableExponent: 0.6, FirstForkNsPerPage: 140,
		THPUsecPerHugePage: 500, THPHugePageExponent: 0.2, THPSmallBytes: 10 << 20}}
	thp := revisedSamples()
	for i := range thp {
		s := &thp[i]
		s.RSS = int64(40<<20) << (i % 6) // 40 MiB to 1.25 GiB
		s.AnonHugeBytes = (s.RSS - 18<<20) / (2 << 20) * (2 << 20)
		noise := []float64{1, 1.1, 1, 0.9}[i%4]
		s.ForkUsec = noise * 900 * math.Pow(float64(s.AnonHugeBytes/(2<<20)), 0.15)
		s.FirstForkUsec = 3 * s.ForkUsec
	}
	c, err := estimate.Fit(thp, meta)
	if err != nil {
		t.Fatal(err)
	}
	if f := c.Fork; math.Abs(f.THPHugePageExponent-0.15) > 0.05 || math.Abs(f.THPUsecPerHugePage/900-1) > 0.2 {
		t.Errorf("THP curve %+v, want about 900 µs × huge pages^0.15", f)
	}
	if f := c.Fork; f.UsecPerPageTableMiB != 9000 || f.PageTableExponent != 0.6 || f.FirstForkNsPerPage != 140 {
		t.Errorf("THP forks moved the 4 KiB curves: %+v", f)
	}
	if s := c.Fork.THPSmallBytes; s < 16<<20 || s > 20<<20 {
		t.Errorf("RSS outside huge pages %g, want about 18 MiB", s)
	}
	big := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{estimate.StringClass: {Keys: 32000000, Elements: 32000000, Payload: 32000000 * 16, Bytes: 32000000 * 16}}}
	rep := estimate.Estimate([]*estimate.Part{big}, c, estimate.Options{Server: "redis-7.0", Calibrated: true})
	rss := rep.Memory.RSS.Value
	huge := math.Floor((rss - c.Fork.THPSmallBytes) / (2 << 20))
	if f := rep.Fork; f.HugePagesTHP != int64(huge) || math.Abs(f.ForkMsTHP.Value*1000/(c.Fork.THPUsecPerHugePage*math.Pow(huge, c.Fork.THPHugePageExponent))-1) > 1e-9 {
		t.Errorf("THP fork of 32 M keys: %d huge pages, %+v; want %g pages", f.HugePagesTHP, f.ForkMsTHP, huge)
	}
	if f := rep.Fork; f.ForkMsTHP.Value >= f.ForkMs.Value || f.ForkMsTHP.Low >= f.ForkMsTHP.Value {
		t.Errorf("THP fork %+v not below the 4 KiB one %+v", f.ForkMsTHP, f.ForkMs)
	}
	// The kernel deposits a page table beside each huge page: the page
	// tables take as much memory as with 4 KiB pages.
	if f := rep.Fork; math.Abs(float64(f.PageTableBytesTHP)/float64(f.PageTableBytes)-1) > 0.01 {
		t.Errorf("page tables with THP %d bytes, with 4 KiB pages %d", f.PageTableBytesTHP, f.PageTableBytes)
	}

	// Samples of one size: meta's curve scaled by their median ratio.
	one := revisedSamples()
	for i := range one[:2] {
		one[i].AnonHugeBytes = 40 << 20
		one[i].ForkUsec = 2 * 500 * math.Pow(20, 0.2)
	}
	c1, err := estimate.Fit(one, meta)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c1.Fork.THPUsecPerHugePage/1000-1) > 1e-9 || c1.Fork.THPHugePageExponent != 0.2 {
		t.Errorf("meta's THP curve scaled to samples of one size: %+v, want 1000 µs × huge pages^0.2", c1.Fork)
	}

	// No THP sample: meta's curve stays; coefficients without one take the
	// built-in curve, with twice the range.
	c2, err := estimate.Fit(revisedSamples(), meta)
	if err != nil {
		t.Fatal(err)
	}
	if f := c2.Fork; f.THPUsecPerHugePage != 500 || f.THPHugePageExponent != 0.2 || f.THPSmallBytes != 10<<20 {
		t.Errorf("meta's THP curve lost: %+v", f)
	}
	c2.Fork.THPUsecPerHugePage, c2.Fork.THPHugePageExponent, c2.Fork.THPSmallBytes = 0, 0, 0
	rep2 := estimate.Estimate([]*estimate.Part{big}, c2, estimate.Options{Server: "redis-7.0", Calibrated: true})
	def := estimate.DefaultCoefficients().Fork
	want, ok := def.THPUsec(rep2.Memory.RSS.Value)
	if !ok {
		t.Fatal("the built-in coefficients have no THP fork curve")
	}
	if f := rep2.Fork.ForkMsTHP; math.Abs(f.Value*1000/want-1) > 1e-9 {
		t.Errorf("THP fork without a THP curve: %+v, want the built-in %g µs", f, want)
	}
	if f, g := rep2.Fork.ForkMsTHP, rep2.Fork.ForkMs; (f.High-f.Value)/f.Value < 1.9*(g.High-g.Value)/g.Value {
		t.Errorf("the built-in THP curve's range %+v is not twice the fork's %+v", f, g)
	}
}

// TestFitSave: Fit recovers the RDB write's five terms (SaveWork) from
// samples timed by them, strings, blobs, a plain encoding and AOF sets,
// and keeps them non-negative; SaveWorkOf counts an AOF set's distinct
// keys, not its commands, and its string commands' bytes as strings.
func TestFitSave(t *testing.T) {
	want := estimate.SaveCoefficients{BaseNs: 15e6, NsPerKey: 600, NsPerPayloadByte: 0.9, NsPerBlobByte: 4.5, NsPerElement: 100}
	samples := revisedSamples()
	plain := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{"hash/hashtable": {Keys: 1200, Elements: 720000, Payload: 9000000, Bytes: 9000000}}}
	intset := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{"set/intset": {Keys: 150000, Elements: 15000000, Payload: 60000000, Bytes: 60000000}}}
	for _, p := range []*estimate.Part{plain, intset} {
		s := samples[0]
		s.Parts = []*estimate.Part{p}
		samples = append(samples, s)
	}
	for i := range samples {
		noise := []float64{1, 1.03, 0.97}[i%3]
		samples[i].SaveSeconds = noise * want.Ns(estimate.SaveWorkOf(samples[i].Parts), 1) / 1e9
	}
	c, err := estimate.Fit(samples, estimate.Coefficients{Server: "redis-7.0", Error: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	got := c.Save
	for _, f := range []struct {
		name      string
		got, want float64
	}{{"base_ns", got.BaseNs, want.BaseNs}, {"ns_per_key", got.NsPerKey, want.NsPerKey}, {"ns_per_payload_byte", got.NsPerPayloadByte, want.NsPerPayloadByte},
		{"ns_per_blob_byte", got.NsPerBlobByte, want.NsPerBlobByte}, {"ns_per_element", got.NsPerElement, want.NsPerElement}} {
		if f.got < 0 || math.Abs(f.got/f.want-1) > 0.25 {
			t.Errorf("%s = %g, want about %g (%+v)", f.name, f.got, f.want, got)
		}
	}
	if got.NsPerByte != 0 {
		t.Errorf("ns_per_byte (the old serialized-bytes term) = %g, want 0", got.NsPerByte)
	}
	// A key's save cost grows with the dataset as its load cost does.
	grow := *c
	grow.Load.NsPerKeyDoubling, grow.Load.NsPerKeyAtKeys = grow.Load.NsPerKey/4, 400000
	big := &estimate.Part{Classes: map[estimate.Class]*estimate.ClassStats{estimate.StringClass: {Keys: 32000000, Elements: 32000000, Payload: 32000000 * 16, Bytes: 32000000 * 16}}}
	flat := estimate.Estimate([]*estimate.Part{big}, c, estimate.Options{Server: "redis-7.0", Calibrated: true}).Fork.SaveSeconds.Value
	grown := estimate.Estimate([]*estimate.Part{big}, &grow, estimate.Options{Server: "redis-7.0", Calibrated: true}).Fork.SaveSeconds.Value
	w := estimate.SaveWorkOf([]*estimate.Part{big})
	if g := grow.Load.KeyGrowth(32e6); math.Abs(grown*1e9/grow.Save.Ns(w, g)-1) > 1e-9 || g < 2.5 || grown <= flat {
		t.Errorf("save of 32 M keys: %g s with the key growth %g, %g s without", grown, g, flat)
	}

	// Saves within a factor of ten in time (a calibration's): meta's
	// terms scaled by the median ratio, not a fit of five terms to noise.
	short := revisedSamples()[:4]
	for i := range short {
		short[i].SaveSeconds = []float64{0.010, 0.020, 0.030, 0.040}[i]
	}
	c1, err := estimate.Fit(short, estimate.Coefficients{Server: "redis-7.0", Error: 0.2, Save: want})
	if err != nil {
		t.Fatal(err)
	}
	var r []float64
	for _, s := range short {
		r = append(r, s.SaveSeconds*1e9/want.Ns(estimate.SaveWorkOf(s.Parts), 1))
	}
	slices.Sort(r)
	k := (r[1] + r[2]) / 2
	if s := c1.Save; math.Abs(s.NsPerKey/(k*want.NsPerKey)-1) > 1e-9 || math.Abs(s.BaseNs/(k*want.BaseNs)-1) > 1e-9 || math.Abs(s.NsPerBlobByte/(k*want.NsPerBlobByte)-1) > 1e-9 {
		t.Errorf("short saves: %+v, want meta's terms × %g", s, k)
	}

	// A save whose time falls with the keys: no coefficient goes negative.
	for i := range samples {
		w := estimate.SaveWorkOf(samples[i].Parts)
		samples[i].SaveSeconds = max(1e-3, (2e7+5*w.StringBytes+5*w.BlobBytes-100*w.Keys)/1e9)
	}
	c, err = estimate.Fit(samples, estimate.Coefficients{Server: "redis-7.0", Error: 0.2})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Save; s.BaseNs < 0 || s.NsPerKey < 0 || s.NsPerPayloadByte < 0 || s.NsPerBlobByte < 0 || s.NsPerElement < 0 {
		t.Errorf("negative save coefficient: %+v", s)
	}

	aof := &estimate.Part{Commands: map[string]*estimate.CommandStats{
		"HSET": {Commands: 200000, ArgBytes: 6000000, Keys: 5000, Elements: 200000},
		"SET":  {Commands: 1000, ArgBytes: 30000, Keys: 800, Elements: 1000},
		"DEL":  {Commands: 10, ArgBytes: 100, Keys: 10, Elements: 10},
	}}
	if w := estimate.SaveWorkOf([]*estimate.Part{aof}); w.Keys != 5800 || w.StringBytes != 30000 || w.BlobBytes != 6000000 || w.PlainElements != 0 {
		t.Errorf("SaveWorkOf(AOF) = %+v, want 5800 keys, 30000 string and 6000000 blob bytes", w)
	}
	if w := estimate.SaveWorkOf([]*estimate.Part{plain, intset}); w.Keys != 151200 || w.PlainElements != 720000 || w.BlobBytes != 69000000 {
		t.Errorf("SaveWorkOf(hashtable, intset) = %+v", w)
	}
}

// TestFitLeavesMeta: the per-class and per-command figures come from the
// samples only. Fit neither keeps meta's entries for what no sample
// measured nor writes into meta's maps, which are the caller's (a
// built-in set passed as the prior).
func TestFitLeavesMeta(t *testing.T) {
	meta := *estimate.DefaultCoefficients()
	meta.Server, meta.Error = "redis-7.0", 0.2
	meta.Memory.BytesPerCommandKey = map[string]float64{"XADD": 123}
	meta.Memory.PayloadPerElement = map[estimate.Class]float64{"stream": 7}
	meta.Memory.BytesPerPackedByte = map[estimate.Class]float64{"stream": 3}
	meta.Load.NsPerScannedElement = map[string]float64{"ZADD": 5}
	snap, err := json.Marshal(meta)
	if err != nil {
		t.Fatal(err)
	}
	c, err := estimate.Fit(revisedSamples(), meta)
	if err != nil {
		t.Fatal(err)
	}
	if after, _ := json.Marshal(meta); string(after) != string(snap) {
		t.Errorf("Fit changed its meta:\nbefore %s\nafter  %s", snap, after)
	}
	if _, ok := c.Memory.BytesPerCommandKey["XADD"]; ok {
		t.Errorf("meta's BytesPerCommandKey[XADD] kept though no sample measured it: %v", c.Memory.BytesPerCommandKey)
	}
	if _, ok := c.Memory.PayloadPerElement["stream"]; ok {
		t.Errorf("meta's PayloadPerElement[stream] kept: %v", c.Memory.PayloadPerElement)
	}
	if _, ok := c.Memory.BytesPerPackedByte["stream"]; ok {
		t.Errorf("meta's BytesPerPackedByte[stream] kept: %v", c.Memory.BytesPerPackedByte)
	}
	if _, ok := c.Load.NsPerScannedElement["ZADD"]; ok {
		t.Errorf("meta's NsPerScannedElement[ZADD] kept: %v", c.Load.NsPerScannedElement)
	}
}
