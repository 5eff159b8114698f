package estimate

import (
	"errors"
	"math"
	"sort"
)

// Sample is one measured dataset: the statistics of its files and what a
// real server reported after loading them.
type Sample struct {
	Name  string
	Parts []*Part
	// LoadSeconds is the load's cost in seconds: the server's CPU time
	// until loading finished (INFO cpu used_cpu_user + used_cpu_sys,
	// minus StartSeconds), or its "DB loaded" wall time on an idle machine.
	LoadSeconds  float64
	StartSeconds float64 // CPU seconds of a server that loads nothing
	UsedMemory   int64   // INFO memory used_memory after the load
	EmptyMemory  int64   // used_memory of a server that loaded nothing
	RSS          int64   // used_memory_rss after the load
	ForkUsec     float64 // latest_fork_usec after a BGSAVE of the loaded data
	// FirstForkUsec is latest_fork_usec of the first BGSAVE after the load
	// (0: not measured); ForkUsec is that of later ones.
	FirstForkUsec float64
	COWBytes      int64   // rdb_last_cow_size after that BGSAVE, bytes (0: not measured)
	SaveSeconds   float64 // wall time of a foreground SAVE of the loaded data (0: not measured)
	// AnonHugeBytes is the server's memory in transparent huge pages after
	// the load (AnonHugePages of /proc/PID/smaps_rollup), bytes: when
	// above 0 the server ran with THP and its fork figures are THP forks.
	AnonHugeBytes int64
}

// ErrFit is returned by Fit when the samples cannot determine the model.
var ErrFit = errors.New("estimate: samples do not determine the coefficients")

// Fit makes coefficients from samples. It needs the two string shapes of
// the benchmark (many small strings, fewer big ones: an RDB whose keys are
// all strings), which fix the per-key and per-string-byte figures; every other
// sample whose keys are all of one class gives that class's per-element
// figure, and every AOF sample of one command that command's figure (but
// one of at least 4 times the keys of the command's smallest sample, at the
// same keys per command, gives the key table's rehashes instead:
// NsPerRehashDoubling; without one, meta's, scaled as the per-key cost, as
// meta's NsPerKeyDoubling is without a sample of many small strings).
// Fork figures are fitted over all samples by Theil–Sen, RSS by least
// squares; when the samples' sizes span less than a factor of four (too
// little to tell the fork line's slope from its base) or the fit finds no
// slope, and meta has a fork line, that line is scaled to the samples'
// median ratio. Samples measured with transparent huge pages
// (AnonHugeBytes above 0) give the THP fork curve instead, a power of
// their huge pages fitted the same way, and their RSS outside huge pages
// its median THPSmallBytes. meta gives the descriptive fields (Server, ServerBuild,
// Machine, Measured, Source, Error) and the prior fork lines, kept for
// what no sample measured.
func Fit(samples []Sample, meta Coefficients) (*Coefficients, error) {
	c := meta
	priorLoad := meta.Load
	// Every per-class and per-command figure comes from the samples: none
	// of meta's maps is kept, or written to (they are the caller's).
	c.Load.NsPerElement = map[Class]float64{}
	c.Load.NsPerCommand = map[string]float64{}
	c.Load.NsPerScannedElement = nil
	c.Memory.BytesPerElement = map[Class]float64{}
	c.Memory.BytesPerCommand = map[string]float64{}
	c.Memory.BytesPerCommandKey, c.Memory.BytesPerPackedByte, c.Memory.PayloadPerElement = nil, nil, nil
	type agg struct {
		s                    Sample
		keys, payload, bytes float64
		elems                float64
		class                Class // "" when several
		command              string
		commands, argBytes   float64
		cmdKeys, scan        float64      // distinct keys and ScanWork of command
		stats                []namedStats // every part's, for StringCommandBytes
		rdb                  bool
	}
	var all []agg
	for _, s := range samples {
		a := agg{s: s}
		classes := map[Class]bool{}
		cmds := map[string]bool{}
		for _, p := range s.Parts {
			for cl, st := range p.Classes {
				classes[cl] = true
				a.keys += float64(st.Keys)
				a.payload += float64(st.Payload)
				a.bytes += float64(st.Bytes)
				a.elems += float64(st.Elements)

				a.rdb = true
			}
			for name, st := range p.Commands {
				if name == "SELECT" || name == "MULTI" || name == "EXEC" {
					continue
				}
				cmds[name] = true
				a.commands += float64(st.Commands)
				a.argBytes += float64(st.ArgBytes)
				a.cmdKeys += float64(st.Keys)
				a.scan += ScanWork(name, st, p.Limits())
				a.stats = append(a.stats, namedStats{name, st})
			}
		}
		a.class, a.command = sampleCost(classes, cmds)
		all = append(all, a)
	}
	// Strings: the sample of the fewest small values and the one of the
	// biggest values solve the per-key and per-byte cost; a sample of small
	// values with at least twice the keys, the growth of the per-key cost
	// per doubling of the keys.
	var strs []agg
	for _, a := range all {
		if a.class == StringClass && a.command == "" && a.keys > 0 {
			strs = append(strs, a)
		}
	}
	if len(strs) < 2 {
		return nil, ErrFit
	}
	sort.Slice(strs, func(i, j int) bool { return strs[i].payload/strs[i].keys < strs[j].payload/strs[j].keys })
	big, small := strs[len(strs)-1], strs[:len(strs)-1]
	sort.Slice(small, func(i, j int) bool { return small[i].keys < small[j].keys })
	str := []agg{small[0], big}
	var many *agg
	if m := small[len(small)-1]; m.keys >= 2*small[0].keys {
		many = &m
	}
	load := func(a agg) float64 { return (a.s.LoadSeconds - a.s.StartSeconds) * 1e9 }
	mem := func(a agg) float64 { return float64(a.s.UsedMemory - a.s.EmptyMemory) }
	solve := func(y func(agg) float64) (perKey, perByte float64, ok bool) {
		a, b := str[0], str[1]
		det := a.keys*b.payload - b.keys*a.payload
		if det == 0 {
			return 0, 0, false
		}
		perKey = (y(a)*b.payload - y(b)*a.payload) / det
		perByte = (a.keys*y(b) - b.keys*y(a)) / det
		return max(perKey, 0), max(perByte, 0), true
	}
	// A per-key cost or memory of zero (samples whose bigger one costs
	// less per key) is no model: ReadCoefficients would refuse the file.
	var ok bool
	if c.Load.NsPerKey, c.Load.NsPerPayloadByte, ok = solve(load); !ok || c.Load.NsPerKey <= 0 {
		return nil, ErrFit
	}
	if c.Memory.BytesPerKey, c.Memory.BytesPerPayloadByte, ok = solve(mem); !ok || c.Memory.BytesPerKey <= 0 {
		return nil, ErrFit
	}
	c.Load.NsPerKeyDoubling, c.Load.NsPerKeyAtKeys = 0, 0
	if many != nil && big.keys < small[0].keys {
		// The big-value sample has fewer keys than the base: its per-key
		// cost is the base's (the growth counts only above it).
		c.Load.NsPerKeyAtKeys = small[0].keys
		extra := load(*many) - c.Load.NsPerPayloadByte*many.payload - c.Load.NsPerKey*many.keys
		c.Load.NsPerKeyDoubling = max(extra/(many.keys*math.Log2(many.keys/small[0].keys)), 0)
	} else if priorLoad.NsPerKeyDoubling > 0 && priorLoad.NsPerKey > 0 {
		// No sample of many keys (a calibration): meta's growth, scaled
		// as the per-key cost.
		c.Load.NsPerKeyDoubling, c.Load.NsPerKeyAtKeys = priorLoad.NsPerKeyDoubling*c.Load.NsPerKey/priorLoad.NsPerKey, priorLoad.NsPerKeyAtKeys
	}
	c.Memory.BaseBytes = str[0].s.EmptyMemory
	c.Memory.StringCommands = true
	c.Load.NsPerArgByte = c.Load.NsPerPayloadByte
	// Samples of the same class are pooled: Σ cost / Σ count. Samples of
	// the same command are fitted per command and per key (memory) and per
	// command and per scanned element (load) when they differ in keys per
	// command, else pooled per command.
	type pool struct{ ns, mem, n, payload float64 }
	type cmdPool struct{ n, keys, scan, ns, mem []float64 }
	byClass, byCmd := map[Class]*pool{}, map[string]*cmdPool{}
	// A sample of one command with at least 4 times the distinct keys of
	// that command's smallest sample, at the same keys per command (within
	// a factor of 1.5: not a second density), grows the server's key table
	// past the others' sizes: it gives NsPerRehashDoubling (below), not the
	// command's figures, which come from the others (up to above keys).
	smallest := map[string]agg{}
	for _, a := range all {
		if a.command != "" && a.commands > 0 && a.cmdKeys > 0 {
			if b, ok := smallest[a.command]; !ok || a.cmdKeys < b.cmdKeys {
				smallest[a.command] = a
			}
		}
	}
	growth := func(a agg) bool {
		b, ok := smallest[a.command]
		if a.command == "" || !ok || a.commands <= 0 || a.cmdKeys < 4*b.cmdKeys {
			return false
		}
		r := (a.cmdKeys / a.commands) / (b.cmdKeys / b.commands)
		return r <= 1.5 && r >= 1/1.5
	}
	var above float64
	for _, a := range all {
		if a.command != "" && a.commands > 0 && !growth(a) {
			above = max(above, a.cmdKeys)
		}
	}
	for _, a := range all {
		switch {
		case growth(a):
			// NsPerRehashDoubling, below.
		case a.class != "" && a.class != StringClass && a.elems > 0:
			if byClass[a.class] == nil {
				byClass[a.class] = &pool{}
			}
			p := byClass[a.class]
			p.ns += load(a) - c.Load.KeyNs(a.keys)*a.keys
			p.mem += mem(a) - c.Memory.BytesPerKey*a.keys
			p.n += a.elems
			p.payload += a.payload
		case a.command != "" && a.commands > 0:
			p := byCmd[a.command]
			if p == nil {
				p = &cmdPool{}
				byCmd[a.command] = p
			}
			p.n, p.keys, p.scan = append(p.n, a.commands), append(p.keys, a.cmdKeys), append(p.scan, a.scan)
			// The string keys a SET leaves cost what the string model says;
			// the command's own figures are what remains.
			p.ns = append(p.ns, load(a)-c.Load.NsPerArgByte*a.argBytes-(c.Load.KeyNs(a.cmdKeys)-c.Load.NsPerKey)*a.cmdKeys)
			p.mem = append(p.mem, mem(a)-strBytes(a.stats, &c))
		}
	}
	var nsElems, memElems, nsCmds, memCmds []float64
	for cl, p := range byClass {
		c.Load.NsPerElement[cl], c.Memory.BytesPerElement[cl] = max(p.ns/p.n, 0), max(p.mem/p.n, 0)
		if cl.Packed() && p.payload > 0 {
			if c.Memory.BytesPerPackedByte == nil {
				c.Memory.BytesPerPackedByte = map[Class]float64{}
			}
			c.Memory.BytesPerPackedByte[cl] = max(p.mem/p.payload, 0)
		} else if !cl.Packed() && p.payload > 0 {
			if c.Memory.PayloadPerElement == nil {
				c.Memory.PayloadPerElement = map[Class]float64{}
			}
			c.Memory.PayloadPerElement[cl] = p.payload / p.n
		}
		nsElems, memElems = append(nsElems, c.Load.NsPerElement[cl]), append(memElems, c.Memory.BytesPerElement[cl])
	}
	for name, p := range byCmd {
		var perKey, perScan float64
		c.Load.NsPerCommand[name], perScan = perCommand(p.n, p.scan, p.ns)
		c.Memory.BytesPerCommand[name], perKey = perCommand(p.n, p.keys, p.mem)
		if perScan > 0 {
			if c.Load.NsPerScannedElement == nil {
				c.Load.NsPerScannedElement = map[string]float64{}
			}
			c.Load.NsPerScannedElement[name] = perScan
		}
		if perKey > 0 {
			if c.Memory.BytesPerCommandKey == nil {
				c.Memory.BytesPerCommandKey = map[string]float64{}
			}
			c.Memory.BytesPerCommandKey[name] = perKey
		}
		nsCmds = append(nsCmds, c.Load.NsPerCommand[name])
		if !stringCommand(name) {
			// A string command's figure is what remains beyond the
			// string model, no whole command's memory.
			memCmds = append(memCmds, c.Memory.BytesPerCommand[name])
		}
	}
	// The rehashes: what the growth samples cost beyond their commands'
	// figures and key growth, per unit of Rehash's work, pooled. Without
	// such a sample, meta's figure scaled as the per-key cost (a
	// calibration's samples are too small to grow a table past a cache).
	c.Load.NsPerRehashDoubling, c.Load.RehashAboveKeys = 0, 0
	table := keyTableOf(c.Server)
	var work, rest float64
	for _, a := range all {
		per, ok := c.Load.NsPerCommand[a.command]
		if !growth(a) || !ok {
			continue
		}
		if _, w := Rehash(table, 0, a.cmdKeys, a.commands, above); w > 0 {
			work += w
			rest += load(a) - per*a.commands - c.Load.NsPerArgByte*a.argBytes - c.Load.NsPerScannedElement[a.command]*a.scan -
				(c.Load.KeyNs(a.cmdKeys)-c.Load.NsPerKey)*a.cmdKeys
		}
	}
	if work > 0 {
		c.Load.NsPerRehashDoubling, c.Load.RehashAboveKeys = max(rest/work, 0), above
	} else if priorLoad.NsPerRehashDoubling > 0 && priorLoad.NsPerKey > 0 {
		c.Load.NsPerRehashDoubling, c.Load.RehashAboveKeys = priorLoad.NsPerRehashDoubling*c.Load.NsPerKey/priorLoad.NsPerKey, priorLoad.RehashAboveKeys
	}
	c.Load.NsPerElementDefault, c.Memory.BytesPerElementDefault = median(nsElems), median(memElems)
	c.Load.NsPerCommandDefault, c.Memory.BytesPerCommandDefault = median(nsCmds), median(memCmds)
	// Fork: least squares of fork µs over page-table MiB; RSS ratio: median.
	var xs, ys, us, rs, cows []float64
	var sk, sp, sb, se, s1, sy []float64
	for _, a := range all {
		if a.s.RSS > 0 && a.s.UsedMemory > 0 && a.commands == 0 {
			us, rs = append(us, float64(a.s.UsedMemory)), append(rs, float64(a.s.RSS))
		}
		if a.s.COWBytes > 0 {
			cows = append(cows, float64(a.s.COWBytes))
		}
		if a.s.ForkUsec > 0 && a.s.RSS > 0 && a.s.AnonHugeBytes == 0 {
			xs = append(xs, PageTableBytes(a.s.RSS, 4096)/(1<<20))
			ys = append(ys, a.s.ForkUsec)
		}
		if a.s.SaveSeconds > 0 {
			w := SaveWorkOf(a.s.Parts)
			g := c.Load.KeyGrowth(w.Keys)
			sk, sp, sb, se, s1, sy = append(sk, g*w.Keys), append(sp, w.StringBytes), append(sb, w.BlobBytes), append(se, w.PlainElements), append(s1, 1), append(sy, a.s.SaveSeconds*1e9)
		}
	}
	c.Memory.RSSBaseBytes, c.Memory.RSSRatio = line(us, rs)
	if c.Memory.RSSRatio == 0 {
		c.Memory.RSSRatio = 1
	}
	// What an AOF of one command leaves resident beyond the RDB line,
	// pooled per command: Σ residue / Σ commands.
	c.Memory.RSSBytesPerCommand = nil
	rssRes, rssN := map[string]float64{}, map[string]float64{}
	for _, a := range all {
		if a.command == "" || a.commands <= 0 || a.s.RSS <= 0 || a.s.UsedMemory <= 0 {
			continue
		}
		rssRes[a.command] += float64(a.s.RSS) - c.Memory.RSSBaseBytes - c.Memory.RSSRatio*float64(a.s.UsedMemory)
		rssN[a.command] += a.commands
	}
	for name, r := range rssRes {
		if per := r / rssN[name]; per > 0 {
			if c.Memory.RSSBytesPerCommand == nil {
				c.Memory.RSSBytesPerCommand = map[string]float64{}
			}
			c.Memory.RSSBytesPerCommand[name] = per
		}
	}
	if c.Memory.RSSRatioLibc == 0 {
		c.Memory.RSSRatioLibc = c.Memory.RSSRatio
	}
	// A power law, fitted by Theil–Sen on the logarithms (fork µs =
	// k × page-table MiB^e): the least fork of a dataset grows less than
	// in proportion to its page tables on the VMs measured, and a straight
	// line through the small samples over-predicted samples 4-10 times
	// their size by 47-84 % (docs/benchmarks.md, fifth run).
	var lx, ly []float64
	for i := range xs {
		if xs[i] > 0 && ys[i] > 0 {
			lx, ly = append(lx, math.Log(xs[i])), append(ly, math.Log(ys[i]))
		}
	}
	c.Fork = ForkCoefficients{}
	la, e := theilSen(lx, ly)
	if len(lx) >= 2 && e > 0 {
		c.Fork = ForkCoefficients{UsecPerPageTableMiB: math.Exp(la), PageTableExponent: e}
	}
	if len(xs) == 0 {
		// No 4 KiB-page fork measured (a THP run): meta's line.
		c.Fork = ForkCoefficients{BaseUsec: meta.Fork.BaseUsec, UsecPerPageTableMiB: meta.Fork.UsecPerPageTableMiB, PageTableExponent: meta.Fork.PageTableExponent}
	} else if lo, hi := minMax(xs); (hi < 4*lo || e <= 0) && meta.Fork.UsecPerPageTableMiB > 0 {
		// Samples within a factor of four in size cannot tell the slope
		// from the base on a noisy machine (a calibration's small
		// samples), nor can a fit that found no slope: meta's curve,
		// scaled to the samples.
		var r []float64
		for i := range xs {
			r = append(r, ys[i]/meta.Fork.Usec(xs[i]))
		}
		k := median(r)
		c.Fork = ForkCoefficients{BaseUsec: meta.Fork.BaseUsec * k, UsecPerPageTableMiB: meta.Fork.UsecPerPageTableMiB * k, PageTableExponent: meta.Fork.PageTableExponent}
	}
	c.Fork.COWBaseBytes = median(cows)
	// The first fork after a load: what it adds to a later one, a line
	// over the pages of RSS by least squares. Samples within a factor of
	// four in size (a calibration's, all about 10 MB, where the base is
	// most of it) keep meta's line scaled to them; meta's line when no
	// sample measured it.
	c.Fork.FirstForkBaseUsec, c.Fork.FirstForkNsPerPage = meta.Fork.FirstForkBaseUsec, meta.Fork.FirstForkNsPerPage
	var fx, fy []float64
	for _, a := range all {
		if a.s.FirstForkUsec > 0 && a.s.ForkUsec > 0 && a.s.RSS > 0 && a.s.AnonHugeBytes == 0 {
			fx, fy = append(fx, float64(a.s.RSS)/4096), append(fy, a.s.FirstForkUsec-a.s.ForkUsec)
		}
	}
	if lo, hi := minMax(fx); len(fx) >= 2 && hi >= 4*lo {
		if base, slope := line(fx, fy); slope > 0 {
			c.Fork.FirstForkBaseUsec, c.Fork.FirstForkNsPerPage = base, slope*1000
		}
	} else if len(fx) > 0 && meta.Fork.FirstForkNsPerPage > 0 {
		var r []float64
		for i := range fx {
			r = append(r, fy[i]/meta.Fork.FirstForkExtraUsec(fx[i]))
		}
		if k := median(r); k > 0 {
			c.Fork.FirstForkBaseUsec, c.Fork.FirstForkNsPerPage = k*meta.Fork.FirstForkBaseUsec, k*meta.Fork.FirstForkNsPerPage
		}
	}
	c.Fork.THPUsecPerHugePage, c.Fork.THPHugePageExponent, c.Fork.THPSmallBytes = fitTHP(samples, meta.Fork)
	// The RDB write (SaveWork): a base (the fsync), keys, string and blob
	// bytes, elements written one by one, by relative least squares (a
	// 30 ms save weighs as much as a 2 s one).
	// Saves within a factor of ten in time (a calibration's samples, 10 to
	// 50 ms, timed to the millisecond) cannot tell five terms apart: meta's
	// terms, scaled to them by the median ratio, when meta has them.
	c.Save = SaveCoefficients{}
	prior := meta.Save
	if lo, hi := minMax(sy); len(sy) > 0 && hi < 10*lo && prior.NsPerPayloadByte+prior.NsPerBlobByte > 0 {
		var r []float64
		for i := range sy {
			w := SaveWork{Keys: sk[i], StringBytes: sp[i], BlobBytes: sb[i], PlainElements: se[i]}
			if p := prior.Ns(w, 1); p > 0 {
				r = append(r, sy[i]/p)
			}
		}
		if k := median(r); k > 0 {
			c.Save = SaveCoefficients{NsPerKey: k * prior.NsPerKey, NsPerPayloadByte: k * prior.NsPerPayloadByte,
				NsPerBlobByte: k * prior.NsPerBlobByte, NsPerElement: k * prior.NsPerElement, BaseNs: k * prior.BaseNs}
		}
	} else if len(sy) > 0 {
		v := nnlsRel([][]float64{sk, sp, sb, se, s1}, sy)
		c.Save.NsPerKey, c.Save.NsPerPayloadByte, c.Save.NsPerBlobByte, c.Save.NsPerElement, c.Save.BaseNs = v[0], v[1], v[2], v[3], v[4]
	}
	return &c, nil
}

// fitTHP fits the THP fork curve (ForkCoefficients.THPUsec) on the
// samples measured with transparent huge pages: a power of their huge
// pages by Theil–Sen on the logarithms, as the 4 KiB curve, when their
// numbers span a factor of four and the fit finds a slope; else prior's
// curve scaled to them by the median ratio; prior's when no sample has
// huge pages. The RSS outside huge pages is their median.
func fitTHP(samples []Sample, prior ForkCoefficients) (k, e, small float64) {
	var hx, lx, ly, hy, smalls []float64
	for _, s := range samples {
		if s.AnonHugeBytes > 0 && s.ForkUsec > 0 && s.RSS > 0 {
			h := max(math.Floor(float64(s.AnonHugeBytes)/HugePageSize), 1)
			hx, hy = append(hx, h), append(hy, s.ForkUsec)
			lx, ly = append(lx, math.Log(h)), append(ly, math.Log(s.ForkUsec))
			smalls = append(smalls, float64(s.RSS-s.AnonHugeBytes))
		}
	}
	k, e, small = prior.THPUsecPerHugePage, prior.THPHugePageExponent, prior.THPSmallBytes
	if len(hx) == 0 {
		return k, e, small
	}
	small = max(median(smalls), 0)
	if lo, hi := minMax(hx); len(hx) >= 2 && hi >= 4*lo {
		if la, slope := theilSen(lx, ly); slope > 0 {
			return math.Exp(la), slope, small
		}
	}
	if k > 0 {
		var r []float64
		for i := range hx {
			r = append(r, hy[i]/(k*math.Pow(hx[i], e)))
		}
		if m := median(r); m > 0 {
			return m * k, e, small
		}
	}
	return k, e, small
}

type namedStats struct {
	name string
	st   *CommandStats
}

// strBytes sums StringCommandBytes over the commands of one sample.
func strBytes(stats []namedStats, c *Coefficients) float64 {
	var v float64
	for _, n := range stats {
		v += StringCommandBytes(n.name, n.st, c)
	}
	return v
}

// perCommand fits y = a·n + b·v over the samples of one command (n its
// commands, v its keys or its ScanWork), a, b >= 0, when the samples'
// v per command differ by at least a factor of 1.5 (two densities tell the
// per-key or per-scan cost from the per-command one); otherwise, or with
// one sample, b = 0 and a = Σ y / Σ n, the pooled cost per command.
func perCommand(n, v, y []float64) (a, b float64) {
	var sn, sy float64
	lo, hi := math.Inf(1), 0.0
	for i := range n {
		sn, sy = sn+n[i], sy+y[i]
		if n[i] > 0 {
			lo, hi = min(lo, v[i]/n[i]), max(hi, v[i]/n[i])
		}
	}
	if sn <= 0 {
		return 0, 0
	}
	if len(n) < 2 || lo <= 0 || hi < 1.5*lo {
		return max(sy/sn, 0), 0
	}
	return plane(n, v, y)
}

// bytesPerPackedByteDefault is the median of BytesPerPackedByte, the
// figure of a packed class that was not measured.
func (m *MemoryCoefficients) bytesPerPackedByteDefault() float64 {
	var v []float64
	for _, x := range m.BytesPerPackedByte {
		v = append(v, x)
	}
	return median(v)
}

// sampleCost returns the one class or the one command (SELECT, MULTI and
// EXEC aside) a sample holds, which Fit gives a figure from it; "" when it
// holds several: a class only when the sample has no command, and the
// reverse.
func sampleCost(classes map[Class]bool, cmds map[string]bool) (Class, string) {
	switch {
	case len(classes) == 1 && len(cmds) == 0:
		for cl := range classes {
			return cl, ""
		}
	case len(cmds) == 1 && len(classes) == 0:
		for n := range cmds {
			return "", n
		}
	}
	return "", ""
}

// FitsOn reports whether Fit takes a figure from sample s: a sample of one
// class (the two string samples included) or of one command. Fit ignores
// the others (a mix of classes, an RDB base with incr files), which only
// a prediction can use.
func FitsOn(s Sample) bool {
	classes, cmds := map[Class]bool{}, map[string]bool{}
	for _, p := range s.Parts {
		for cl := range p.Classes {
			classes[cl] = true
		}
		for name := range p.Commands {
			if name != "SELECT" && name != "MULTI" && name != "EXEC" {
				cmds[name] = true
			}
		}
	}
	cl, cmd := sampleCost(classes, cmds)
	return cl != "" || cmd != ""
}

// PageTableBytes returns the size of the last-level page tables that map
// rss bytes with pages of pageSize bytes: 8 bytes per page (x86-64 and
// arm64 page-table entries).
func PageTableBytes(rss int64, pageSize int64) float64 {
	if rss <= 0 || pageSize <= 0 {
		return 0
	}
	return float64((rss+pageSize-1)/pageSize) * 8
}

func minMax(v []float64) (lo, hi float64) {
	if len(v) == 0 {
		return 0, 0
	}
	lo, hi = v[0], v[0]
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// ErrorStats summarises relative prediction errors (|predicted/measured - 1|,
// 0.1 = 10 %): how many, the median, the worst, and how many are within the
// limit given to SummarizeErrors. The accuracy tables of the benchmark and
// of calibration checks are made of these.
type ErrorStats struct {
	N, Within     int
	Median, Worst float64
}

// SummarizeErrors returns the ErrorStats of errs against limit.
func SummarizeErrors(errs []float64, limit float64) ErrorStats {
	st := ErrorStats{N: len(errs), Median: median(errs)}
	for _, x := range errs {
		st.Worst = max(st.Worst, x)
		if x <= limit {
			st.Within++
		}
	}
	return st
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// line fits y = a + b·x by least squares, with a, b >= 0.
func line(x, y []float64) (a, b float64) {
	n := float64(len(x))
	if n == 0 {
		return 0, 0
	}
	var sx, sy, sxx, sxy float64
	for i := range x {
		sx, sy, sxx, sxy = sx+x[i], sy+y[i], sxx+x[i]*x[i], sxy+x[i]*y[i]
	}
	d := n*sxx - sx*sx
	if n < 2 || d == 0 {
		return sy / n, 0
	}
	b = (n*sxy - sx*sy) / d
	a = (sy - b*sx) / n
	if b < 0 {
		return sy / n, 0
	}
	if a < 0 {
		return 0, sxy / sxx
	}
	return a, b
}

// theilSen fits y = a + b·x: b the median of the pairwise slopes, a the
// median of y − b·x.
func theilSen(x, y []float64) (a, b float64) {
	var slopes []float64
	for i := range x {
		for j := i + 1; j < len(x); j++ {
			if x[j] != x[i] {
				slopes = append(slopes, (y[j]-y[i])/(x[j]-x[i]))
			}
		}
	}
	b = median(slopes)
	var rest []float64
	for i := range x {
		rest = append(rest, y[i]-b*x[i])
	}
	return median(rest), b
}

// nnlsRel fits y ≈ Σ c[j]·x[j] with every c[j] >= 0, minimizing the sum of
// the squared relative errors Σ ((ŷ−y)/y)², over rows with y > 0. With
// few columns it solves every subset of them and keeps the best whose
// coefficients are all non-negative (the non-negative least squares
// optimum is one of them); a column left out gets 0.
func nnlsRel(x [][]float64, y []float64) []float64 {
	k := len(x)
	best, bestErr := make([]float64, k), math.Inf(1)
	for mask := 1; mask < 1<<k; mask++ {
		var cols []int
		for j := range k {
			if mask&(1<<j) != 0 {
				cols = append(cols, j)
			}
		}
		n := len(cols)
		// Normal equations of the rows scaled by 1/y.
		a := make([][]float64, n)
		for i := range a {
			a[i] = make([]float64, n+1)
		}
		for r := range y {
			if y[r] <= 0 {
				continue
			}
			for i, ci := range cols {
				xi := x[ci][r] / y[r]
				for j, cj := range cols {
					a[i][j] += xi * x[cj][r] / y[r]
				}
				a[i][n] += xi
			}
		}
		c, ok := solve(a)
		if !ok {
			continue
		}
		full := make([]float64, k)
		neg := false
		for i, ci := range cols {
			if c[i] < 0 {
				neg = true
			}
			full[ci] = c[i]
		}
		if neg {
			continue
		}
		var e float64
		for r := range y {
			if y[r] <= 0 {
				continue
			}
			var p float64
			for j := range k {
				p += full[j] * x[j][r]
			}
			e += (p/y[r] - 1) * (p/y[r] - 1)
		}
		if e < bestErr {
			best, bestErr = full, e
		}
	}
	return best
}

// solve solves the n×n system of the augmented matrix a (n rows of n+1)
// by Gaussian elimination with partial pivoting; ok is false when it is
// singular.
func solve(a [][]float64) (x []float64, ok bool) {
	n := len(a)
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if a[p][c] == 0 || math.IsNaN(a[p][c]) {
			return nil, false
		}
		a[c], a[p] = a[p], a[c]
		for r := c + 1; r < n; r++ {
			f := a[r][c] / a[c][c]
			for j := c; j <= n; j++ {
				a[r][j] -= f * a[c][j]
			}
		}
	}
	x = make([]float64, n)
	for r := n - 1; r >= 0; r-- {
		s := a[r][n]
		for j := r + 1; j < n; j++ {
			s -= a[r][j] * x[j]
		}
		x[r] = s / a[r][r]
	}
	return x, true
}

// plane fits y = a·u + b·v through the origin by least squares, a, b >= 0.
func plane(u, v, y []float64) (a, b float64) {
	var uu, vv, uv, uy, vy float64
	for i := range u {
		uu, vv, uv = uu+u[i]*u[i], vv+v[i]*v[i], uv+u[i]*v[i]
		uy, vy = uy+u[i]*y[i], vy+v[i]*y[i]
	}
	d := uu*vv - uv*uv
	if d == 0 || math.IsNaN(d) {
		if vv > 0 {
			return 0, max(vy/vv, 0)
		}
		return 0, 0
	}
	a = (uy*vv - vy*uv) / d
	b = (vy*uu - uy*uv) / d
	switch {
	case a < 0 && vv > 0:
		return 0, max(vy/vv, 0)
	case b < 0 && uu > 0:
		return max(uy/uu, 0), 0
	}
	return max(a, 0), max(b, 0)
}
