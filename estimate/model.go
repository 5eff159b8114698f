package estimate

import (
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/rdbkit/rdbkit/release"
)

// Options are the questions asked of the model besides the files.
type Options struct {
	// Server is the release the files will be loaded by, e.g. "redis-7.4"
	// ("": the release that wrote the files, else the coefficients').
	Server string
	// Allocator is "jemalloc" (release builds, the default) or "libc".
	Allocator string
	// Config holds the durability and memory settings (DefaultConfig when
	// no file was given).
	Config Config
	// MaxMemory overrides Config.MaxMemory when > 0 (bytes).
	MaxMemory int64
	// WriteRate is the expected writes per second during a BGSAVE (0: not
	// asked).
	WriteRate float64
	// Now is the reference time, ms since the Unix epoch (the library
	// never reads the clock).
	Now int64
	// Calibrated says the coefficients were measured on this machine (a
	// calibration file), not only on the reference machine.
	Calibrated bool
}

// Range is a predicted value with its low and high bounds.
type Range struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

func spread(v, rel float64) Range {
	return Range{Value: v, Low: v * (1 - min(rel, 0.9)), High: v * (1 + rel)}
}

// Report is the model's answer for one input. Field names are stable
// (docs/json.md, "estimate").
type Report struct {
	Server      string       `json:"server"`
	Calibration Calibration  `json:"calibration"`
	Recovery    Recovery     `json:"recovery"`
	Memory      LoadedMemory `json:"memory"`
	Fork        Fork         `json:"fork"`
	Loss        Loss         `json:"loss"`
	Advice      []Advice     `json:"advice"`
}

// Calibration says where the coefficients come from and how far to trust them.
type Calibration struct {
	Source     string  `json:"source"`
	Server     string  `json:"server"` // the release they were measured on
	Machine    string  `json:"machine"`
	Calibrated bool    `json:"calibrated"`     // measured on this machine
	SameServer bool    `json:"same_server"`    // target release == measured release
	RelError   float64 `json:"relative_error"` // the half-width of the recovery time's range, 0.2 = ±20 %
	// RelErrors are the half-widths of the other figures' ranges (widened
	// as RelError is).
	RelErrors FigureErrors `json:"relative_errors"`
	Notes     []string     `json:"notes"`
}

// Recovery is the predicted startup load time, seconds.
type Recovery struct {
	Seconds Range       `json:"seconds"`
	Parts   []PartTime  `json:"parts"`
	Classes []ClassTime `json:"classes"`
}

// PartTime is one file's share of the load.
type PartTime struct {
	File    string  `json:"file"`
	Role    string  `json:"role"` // "rdb", "base", "incr"
	Seconds float64 `json:"seconds"`
}

// ClassTime is one cost class's share of the load: an RDB class
// ("hash/listpack") counted in keys and elements, an AOF command
// ("XADD") counted in commands, or the rehashing of the key table as the
// commands grow it (class "keyspace", kind "rehash") counted in keys moved.
type ClassTime struct {
	Class   string  `json:"class"`
	Kind    string  `json:"kind"` // "rdb", "aof" or "rehash"
	Count   int64   `json:"count"`
	Unit    string  `json:"unit"` // "keys" or "commands"
	Seconds float64 `json:"seconds"`
	Share   float64 `json:"share"` // percent of the total, 0..100
}

// Verb returns what the server does with the class's units: "loading"
// (rdb), "replaying" (aof) or "rehashing" (rehash).
func (c ClassTime) Verb() string {
	switch c.Kind {
	case "aof":
		return "replaying"
	case "rehash":
		return "rehashing"
	}
	return "loading"
}

// LoadedMemory is the predicted memory after the load.
type LoadedMemory struct {
	UsedMemory Range  `json:"used_memory"` // bytes
	RSS        Range  `json:"rss"`         // bytes
	Allocator  string `json:"allocator"`
	// RSSCalibrated is false when the allocator's ratio was never measured.
	RSSCalibrated bool `json:"rss_calibrated"`
	// FromAOF is true when commands contributed (an upper bound: overwrites count).
	FromAOF bool `json:"from_aof"`
	// MaxMemory is the limit compared with (bytes, 0 none) and where it came from.
	MaxMemory       int64  `json:"maxmemory"`
	MaxMemorySource string `json:"maxmemory_source"` // "flag", "config" or ""
	// Fits is "yes", "no", "maybe" (the limit is inside the range) or "" (no limit).
	Fits string `json:"fits"`
}

// Fork is the predicted cost of the next BGSAVE or BGREWRITEAOF.
type Fork struct {
	PageTableBytes int64 `json:"page_table_bytes"` // with 4 KiB pages
	// PageTableBytesTHP is with 2 MiB transparent huge pages: the tables of
	// what stays in 4 KiB pages and the one deposited beside each huge page.
	PageTableBytesTHP int64 `json:"page_table_bytes_thp"`
	// HugePagesTHP is how many 2 MiB pages of RSS would be huge pages with THP.
	HugePagesTHP int64 `json:"huge_pages_thp"`
	ForkMs       Range `json:"fork_ms"`
	ForkMsTHP    Range `json:"fork_ms_thp"`
	// FirstForkMs is the first fork after the load (a restart's first
	// BGSAVE), with 4 KiB pages; zero when the coefficients lack it.
	FirstForkMs Range   `json:"first_fork_ms"`
	SaveSeconds Range   `json:"save_seconds"` // writing the RDB of the loaded data
	COWWorst    int64   `json:"cow_worst_bytes"`
	WriteRate   float64 `json:"write_rate"` // keys/s, 0: not asked
	COWAtRate   int64   `json:"cow_at_rate_bytes"`
	// COWAtRateTHP is with THP on Linux before 5.8, where a write to a
	// huge page the child shares copies all 2 MiB; from 5.8 the write
	// splits the huge page and copies 4 KiB (Linux mm/huge_memory.c
	// do_huge_pmd_wp_page, commit 3917c80280c9), so COWAtRate holds with
	// THP too.
	COWAtRateTHP int64 `json:"cow_at_rate_thp_bytes"`
	PeakRSS      int64 `json:"peak_rss_bytes"` // RSS + COW at the rate (worst case when no rate)
	// ExceedsLimit is true when PeakRSS is over the maxmemory limit.
	ExceedsLimit bool `json:"exceeds_limit"`
}

// Advice is one suggestion with the number that justifies it.
type Advice struct {
	Text string `json:"text"`
}

// Estimate runs the model over the statistics of the files a server loads,
// in load order. It never fails: figures that cannot be predicted are zero
// and the calibration notes say why.
func Estimate(parts []*Part, c *Coefficients, o Options) *Report {
	rep := &Report{Advice: []Advice{}}
	writer := ""
	for _, p := range parts {
		if p.Server != "" {
			writer = p.Server
			break
		}
	}
	rep.Server = o.Server
	if rep.Server == "" {
		rep.Server = writer
	}
	if rep.Server == "" {
		rep.Server = c.Server
	}
	rel := c.Error
	cal := Calibration{Source: c.Source, Server: c.Server, Machine: c.Machine, Calibrated: o.Calibrated,
		SameServer: rep.Server == c.Server, Notes: []string{}}
	widen := 1.0
	if !o.Calibrated {
		widen *= 2
		cal.Notes = append(cal.Notes, fmt.Sprintf("not calibrated on this machine: figures measured on %s; ranges widened 2x (load time ±%.0f %%; rdbkit estimate --calibrate SERVER_BINARY measures this machine's)", c.Machine, rel*widen*100))
	}
	if !cal.SameServer {
		widen *= 1.5
		cal.Notes = append(cal.Notes, fmt.Sprintf("nobody calibrated %s: the %s figures are used; ranges widened 1.5x (load time ±%.0f %%)", rep.Server, c.Server, rel*widen*100))
	}
	rel *= widen
	fe := c.Errors.Or(c.Error).Scale(widen)
	cal.RelError, cal.RelErrors = rel, fe
	rep.Calibration = cal

	// Recovery and memory.
	type acc struct {
		kind  string
		count int64
		unit  string
		ns    float64
	}
	classes := map[string]*acc{}
	add := func(name, kind, unit string, count int64, ns float64) {
		a := classes[kind+":"+name]
		if a == nil {
			a = &acc{kind: kind, unit: unit}
			classes[kind+":"+name] = a
		}
		a.count += count
		a.ns += ns
	}
	var totalNs, memBytes, rssResidue float64
	fromAOF := false
	// The dataset's keys: what a key's load cost grows with (KeyNs).
	var dataset float64
	for _, p := range parts {
		for _, s := range p.Classes {
			dataset += float64(s.Keys)
		}
		for name, s := range p.Commands {
			if !addsNoKey(name) {
				dataset += float64(s.Keys)
			}
		}
	}
	keyNs := c.Load.KeyNs(dataset)
	// The key table grows with the keys the commands add: the estimated
	// server's table, the coefficients' server's when it is unknown.
	table := keyTableOf(rep.Server, c.Server)
	var tableKeys float64 // keys in the table before the part
	for _, p := range parts {
		var partNs float64
		for _, cl := range p.ClassNames() {
			s := p.Classes[cl]
			// Strings cost per byte; every other class per element
			// (its blob or its members): the time as the class the
			// server reads (LoadCost), the memory as the class it
			// holds (Loaded).
			e, ok := c.Load.NsPerElement[cl.LoadCost()]
			if !ok {
				e = c.Load.NsPerElementDefault
			}
			var payload float64
			if cl == StringClass {
				e, payload = 0, float64(s.Payload)
			}
			elemNs := e * float64(s.Elements)
			if ppe, ok := c.Memory.PayloadPerElement[cl.LoadCost()]; ok && cl != StringClass {
				// Unpacked elements are copied one by one: a byte
				// more or less than the fit's shape had costs a
				// string's byte.
				elemNs = max(elemNs+c.Load.NsPerPayloadByte*(float64(s.Payload)-ppe*float64(s.Elements)), 0)
			}
			ns := keyNs*float64(s.Keys) + c.Load.NsPerPayloadByte*payload + elemNs
			partNs += ns
			add(string(cl), "rdb", "keys", s.Keys, ns)
			m, ok := c.Memory.BytesPerElement[cl.Loaded()]
			if !ok {
				m = c.Memory.BytesPerElementDefault
			}
			if cl == StringClass {
				m = 0
			}
			elemBytes := m * float64(s.Elements)
			if cl.Packed() && len(c.Memory.BytesPerPackedByte) > 0 {
				pb, ok := c.Memory.BytesPerPackedByte[cl.Loaded()]
				if !ok {
					pb = c.Memory.bytesPerPackedByteDefault()
				}
				elemBytes = pb * float64(s.Payload)
			} else if ppe, ok := c.Memory.PayloadPerElement[cl.Loaded()]; ok && cl != StringClass {
				elemBytes = max(elemBytes+c.Memory.BytesPerPayloadByte*(float64(s.Payload)-ppe*float64(s.Elements)), 0)
			}
			memBytes += c.Memory.BytesPerKey*float64(s.Keys) + c.Memory.BytesPerPayloadByte*payload + elemBytes
		}
		lim := p.Limits()
		for _, name := range p.CommandNames() {
			s := p.Commands[name]
			per, ok := c.Load.NsPerCommand[name]
			if !ok {
				per = c.Load.NsPerCommandDefault
			}
			ns := per*float64(s.Commands) + c.Load.NsPerArgByte*float64(s.ArgBytes) + c.Load.NsPerScannedElement[name]*ScanWork(name, s, lim) +
				(keyNs-c.Load.NsPerKey)*float64(s.Keys)
			partNs += ns
			add(name, "aof", "commands", s.Commands, ns)
			if leavesNoValue(name) {
				continue
			}
			if mb, ok := c.Memory.BytesPerCommand[name]; ok {
				memBytes += StringCommandBytes(name, s, c) + mb*float64(s.Commands) + c.Memory.BytesPerCommandKey[name]*float64(s.Keys)
			} else if b, ok := commandClassBytes(name, s, c, lim); ok {
				memBytes += b
			} else {
				memBytes += StringCommandBytes(name, s, c) + c.Memory.BytesPerCommandDefault*float64(s.Commands)
			}
			rssResidue += c.Memory.RSSBytesPerCommand[name] * float64(s.Commands)
			fromAOF = true
		}
		var partKeys, partCmds float64
		for _, s := range p.Classes {
			tableKeys += float64(s.Keys) // an RDB part: the table sized for them first
		}
		for name, s := range p.Commands {
			if !addsNoKey(name) {
				partKeys += float64(s.Keys)
			}
			partCmds += float64(s.Commands)
		}
		if c.Load.NsPerRehashDoubling > 0 && partKeys > 0 {
			if moved, work := Rehash(table, tableKeys, partKeys, partCmds, c.Load.RehashAboveKeys); moved > 0 {
				ns := c.Load.NsPerRehashDoubling * work
				partNs += ns
				add("keyspace", "rehash", "keys", int64(moved), ns)
			}
		}
		tableKeys += partKeys
		totalNs += partNs
		rep.Recovery.Parts = append(rep.Recovery.Parts, PartTime{File: p.Name, Role: p.Role.String(), Seconds: partNs / 1e9})
	}
	rep.Recovery.Seconds = spread(totalNs/1e9, rel)
	for name, a := range classes {
		share := 0.0
		if totalNs > 0 {
			share = 100 * a.ns / totalNs
		}
		rep.Recovery.Classes = append(rep.Recovery.Classes, ClassTime{Class: name[strings.IndexByte(name, ':')+1:], Kind: a.kind,
			Count: a.count, Unit: a.unit, Seconds: a.ns / 1e9, Share: share})
	}
	sort.Slice(rep.Recovery.Classes, func(i, j int) bool {
		x, y := rep.Recovery.Classes[i], rep.Recovery.Classes[j]
		if x.Seconds != y.Seconds {
			return x.Seconds > y.Seconds
		}
		return x.Kind+x.Class < y.Kind+y.Class
	})
	if rep.Recovery.Parts == nil {
		rep.Recovery.Parts = []PartTime{}
	}
	if rep.Recovery.Classes == nil {
		rep.Recovery.Classes = []ClassTime{}
	}

	used := float64(c.Memory.BaseBytes) + memBytes
	m := LoadedMemory{UsedMemory: spread(used, fe.Memory), Allocator: o.Allocator, FromAOF: fromAOF, RSSCalibrated: true}
	if m.Allocator == "" {
		m.Allocator = "jemalloc"
	}
	ratio := c.Memory.RSSRatio
	if m.Allocator == "libc" {
		ratio = c.Memory.RSSRatioLibc
		m.RSSCalibrated = c.Memory.RSSRatioLibcMeasured
	}
	rssRel := fe.Memory
	if !m.RSSCalibrated {
		rssRel *= 2
	}
	m.RSS = spread(c.Memory.RSSBaseBytes+used*ratio+rssResidue, rssRel)
	switch {
	case o.MaxMemory > 0:
		m.MaxMemory, m.MaxMemorySource = o.MaxMemory, "flag"
	case o.Config.MaxMemory > 0:
		m.MaxMemory, m.MaxMemorySource = o.Config.MaxMemory, "config"
	}
	if m.MaxMemory > 0 {
		lim := float64(m.MaxMemory)
		switch {
		case m.UsedMemory.High <= lim:
			m.Fits = "yes"
		case m.UsedMemory.Low > lim:
			m.Fits = "no"
		default:
			m.Fits = "maybe"
		}
	}
	rep.Memory = m

	// Fork and copy-on-write.
	// Within 0..1 EiB, so that the sums below stay in an int64 whatever the
	// coefficients (FuzzFit).
	rss := int64(math.Max(math.Min(m.RSS.Value, 1<<60), 0))
	f := Fork{WriteRate: o.WriteRate}
	f.PageTableBytes = int64(PageTableBytes(rss, 4096))
	f.ForkMs = spread(c.Fork.Usec(float64(f.PageTableBytes)/(1<<20))/1000, fe.Fork)
	// With THP: coefficients without the THP curve (files written before
	// it) take the built-in one, with twice the range.
	thp, thpRel := c.Fork, fe.Fork
	if _, ok := thp.THPUsec(float64(rss)); !ok {
		thp, thpRel = DefaultCoefficients().Fork, fe.Fork*2
	}
	huge := thp.HugePages(float64(rss))
	if m.Allocator == "libc" {
		// glibc's malloc grows its heap by brk in steps of 128 KiB, so a
		// 2 MiB range is rarely inside the heap when first touched: a libc
		// build of Redis 7.4.1 had none of 224 MiB in huge pages after
		// DEBUG POPULATE with THP always (TestTHPForkServer). Its forks
		// are those of 4 KiB pages until khugepaged collapses the heap.
		huge = 0
	}
	f.HugePagesTHP = int64(huge)
	// The kernel keeps a page table deposited beside each huge page (Linux
	// mm/huge_memory.c, for splitting it later; counted in VmPTE), so the
	// page tables take as much memory with THP as without.
	f.PageTableBytesTHP = int64(PageTableBytes(rss-int64(huge)*HugePageSize, 4096) + huge*4096)
	if us, ok := thp.THPUsec(float64(rss)); ok && huge > 0 {
		f.ForkMsTHP = spread(us/1000, thpRel)
	} else if ok {
		f.ForkMsTHP = f.ForkMs
	}
	if c.Fork.FirstForkNsPerPage > 0 {
		f.FirstForkMs = spread(f.ForkMs.Value+c.Fork.FirstForkExtraUsec(float64(rss)/4096)/1000, fe.FirstFork)
	}
	sw := SaveWorkOf(parts)
	keys := int64(sw.Keys)
	saveS := c.Save.Ns(sw, c.Load.KeyGrowth(dataset)) / 1e9
	f.SaveSeconds = spread(saveS, fe.Save)
	f.COWWorst = rss
	f.PeakRSS = rss + f.COWWorst
	if o.WriteRate > 0 {
		// Each write dirties a page of its value and one of its key's
		// headers the child still reads; at most every page is copied
		// once (ForkCoefficients.COWBytes).
		writes := o.WriteRate * saveS
		f.COWAtRate = int64(c.Fork.COWBytes(writes, keys, rss, m.Allocator == "libc"))
		// With THP before Linux 5.8 a write copies the whole 2 MiB page
		// it lands in, once per huge page.
		f.COWAtRateTHP = int64(math.Min(float64(f.COWAtRate)+math.Min(writes, huge)*(HugePageSize-4096), float64(rss)))
		f.PeakRSS = rss + f.COWAtRate
	}
	if m.MaxMemory > 0 && f.PeakRSS > m.MaxMemory {
		f.ExceedsLimit = true
	}
	rep.Fork = f

	rep.Loss = lossWindow(parts, o)
	rep.Advice = advice(rep, parts, c)
	return rep
}

// StringCommandBytes returns the memory of the string keys the commands s
// of name leave, by the string model of an RDB (Coefficients.Memory:
// BytesPerKey per key and BytesPerPayloadByte per byte of key and value)
// when name writes whole string values (SET, SETEX, PSETEX, SETNX, GETSET,
// MSET, MSETNX) and c was fitted so (Memory.StringCommands), else 0: s.Keys keys (s.Commands when not counted) of the
// mean argument bytes per element, the name aside. A key written twice
// counts once, at the mean size. BytesPerCommand[name] is what the
// commands cost beyond it (src/t_string.c setGenericCommand: a key, an
// object, an sds value).
func StringCommandBytes(name string, s *CommandStats, c *Coefficients) float64 {
	if !stringCommand(name) || !c.Memory.StringCommands {
		return 0
	}
	keys, elems := s.Keys, s.Elements
	if keys <= 0 {
		keys = s.Commands
	}
	if elems <= 0 {
		elems = s.Commands
	}
	if elems <= 0 {
		return 0
	}
	perElem := float64(s.ArgBytes-s.Commands*int64(len(name))) / float64(elems)
	return float64(keys) * (c.Memory.BytesPerKey + c.Memory.BytesPerPayloadByte*max(perElem, 0))
}

// CommandClass returns the class of the values that the commands s of name
// build on a server with encoding limits l, when name is a command that
// creates or grows one value of a known type: the hash, list, set and
// sorted-set writes (listpack while the mean elements per key,
// s.Elements / s.Keys, stay within ListpackLimit, else hashtable or
// skiplist; sets of members that are not all integers, the listpack of
// Redis 7.2+ where l has listpack sets and the coefficients know them, else
// hashtable), and the integer and append writes of strings (StringClass).
// ok is false for any other command, and without a key count.
func CommandClass(name string, s *CommandStats, c *Coefficients, l *release.Limits) (cl Class, ok bool) {
	if s.Keys <= 0 {
		return "", false
	}
	lim := ListpackLimit(name, l)
	per := float64(max(s.Elements, s.Keys)) / float64(s.Keys)
	small := lim > 0 && per <= float64(lim)
	known := func(cl Class) bool { _, ok := c.Memory.BytesPerElement[cl]; return ok }
	switch name {
	case "HSET", "HMSET", "HSETNX", "HINCRBY", "HINCRBYFLOAT":
		if small {
			return "hash/listpack", true
		}
		return "hash/hashtable", true
	case "RPUSH", "LPUSH", "RPUSHX", "LPUSHX":
		return "list/quicklist", true
	case "SADD":
		if small && known("set/listpack") {
			return "set/listpack", true
		}
		return "set/hashtable", true
	case "ZADD", "ZINCRBY":
		if small {
			return "zset/listpack", true
		}
		return "zset/skiplist", true
	case "INCR", "INCRBY", "DECR", "DECRBY", "INCRBYFLOAT", "APPEND", "SETRANGE":
		return StringClass, true
	}
	return "", false
}

// commandClassBytes returns the memory of the values the commands s of name
// leave on a server with limits l, by the RDB model of their class
// (CommandClass): BytesPerKey per
// distinct key plus BytesPerElement[class] per element written (a string's
// bytes: its mean argument bytes beyond the name, per key). ok is false
// where CommandClass knows no class, or the coefficients no figure for it.
func commandClassBytes(name string, s *CommandStats, c *Coefficients, l *release.Limits) (float64, bool) {
	cl, ok := CommandClass(name, s, c, l)
	if !ok {
		return 0, false
	}
	keys := float64(s.Keys)
	if cl == StringClass {
		per := float64(s.ArgBytes-s.Commands*int64(len(name))) / float64(max(s.Commands, 1))
		return keys * (c.Memory.BytesPerKey + c.Memory.BytesPerPayloadByte*max(per, 0)), true
	}
	e, ok := c.Memory.BytesPerElement[cl]
	if !ok {
		return 0, false
	}
	return keys*c.Memory.BytesPerKey + e*float64(max(s.Elements, s.Keys)), true
}

// SaveWork is what writing the RDB file of a loaded dataset costs by
// (SaveCoefficients.Ns): its keys; the bytes of its strings and of its
// blobs (listpacks, intsets, quicklist nodes, stream nodes), uncompressed,
// as the save runs LZF over each; the elements of its values in a plain
// encoding (hashtable, skiplist), each written as a string of its own;
// and the serialized bytes of the files read.
type SaveWork struct {
	Keys, StringBytes, BlobBytes, PlainElements, Serialized float64
}

// SaveWorkOf returns the SaveWork of the dataset parts load into: an RDB
// part's keys per class (the elements of classes not Packed counted one
// by one); an AOF part's distinct keys per command (one per command when
// not counted: an upper bound), its arguments' bytes as strings for the
// string commands and as blobs for the others.
func SaveWorkOf(parts []*Part) SaveWork {
	var w SaveWork
	for _, p := range parts {
		for cl, s := range p.Classes {
			w.Keys += float64(s.Keys)
			w.Serialized += float64(s.Bytes)
			if cl == StringClass {
				w.StringBytes += float64(s.Payload)
				continue
			}
			w.BlobBytes += float64(s.Payload)
			if !cl.Packed() {
				w.PlainElements += float64(s.Elements)
			}
		}
		for name, s := range p.Commands {
			if leavesNoValue(name) {
				continue
			}
			if s.Keys > 0 {
				w.Keys += float64(s.Keys)
			} else {
				w.Keys += float64(s.Commands)
			}
			w.Serialized += float64(s.ArgBytes)
			if stringCommand(name) {
				w.StringBytes += float64(s.ArgBytes)
			} else {
				w.BlobBytes += float64(s.ArgBytes)
			}
		}
	}
	return w
}

// stringCommand reports whether command name writes whole string values.
func stringCommand(name string) bool {
	switch name {
	case "SET", "SETEX", "PSETEX", "SETNX", "GETSET", "MSET", "MSETNX":
		return true
	}
	return false
}

// ListpackLimit returns the number of elements up to which a key that
// command name writes stays a listpack on a server with encoding limits l
// (nil: release.DefaultLimits), whose insert searches the listpack (0: the
// command searches nothing, lists and streams append, or the server keeps
// no such listpack): hash-max-listpack-entries for the hash commands,
// zset-max-listpack-entries for ZADD, set-max-listpack-entries (Redis 7.2+)
// for SADD (Redis src/t_hash.c hashTypeSet, src/t_zset.c zsetAdd,
// src/t_set.c setTypeAdd).
func ListpackLimit(name string, l *release.Limits) int64 {
	if l == nil {
		d := release.DefaultLimits()
		l = &d
	}
	switch name {
	case "HSET", "HMSET", "HSETNX", "HINCRBY", "HINCRBYFLOAT":
		return int64(l.HashMaxListpackEntries)
	case "ZADD", "ZINCRBY":
		return int64(l.ZSetMaxListpackEntries)
	case "SADD":
		return int64(l.SetMaxListpackEntries)
	}
	return 0
}

// leavesNoValue reports whether the commands name leave nothing in the
// dataset of their own: a database switch, a transaction's bounds, a
// deletion.
func leavesNoValue(name string) bool {
	switch name {
	case "SELECT", "MULTI", "EXEC", "DEL", "UNLINK", "FLUSHALL", "FLUSHDB":
		return true
	}
	return false
}

// addsNoKey reports whether the commands name add no key to the dataset:
// those of leavesNoValue, and those that change a key other commands made
// (its expire time).
func addsNoKey(name string) bool {
	switch name {
	case "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "PERSIST":
		return true
	}
	return leavesNoValue(name)
}

// keyTableOf returns the key table of the first of names that is a known
// release; none (no growths) when none is.
func keyTableOf(names ...string) release.KeyTable {
	for _, n := range names {
		if r, ok := release.Lookup(n); ok {
			return r.KeyTable
		}
	}
	return release.KeyTable{}
}

// Rehash returns the keys a server whose key table is t moves between
// tables while commands commands add added new keys to a table of keys0
// keys, and the work of moving them: at each growth to size keys past
// above keys (release.KeyTable.Growths), every key the table held, or
// fewer when the commands end before the rehash does (t.RehashPerCommand
// keys a command after the growth, the new keys taken as spread evenly over
// the commands), each weighing log2(size / above) in work (a bigger table
// misses more caches; below above keys the cost is the commands' own).
// The keys of every database count as one table's.
func Rehash(t release.KeyTable, keys0, added, commands, above float64) (moved, work float64) {
	if added <= 0 || commands <= 0 || above <= 0 {
		return 0, 0
	}
	end := keys0 + added
	for _, size := range t.Growths(keys0, end) {
		if size <= above {
			continue
		}
		m := min(size, t.RehashPerCommand*commands*(end-size)/added)
		moved += m
		work += m * math.Log2(size/above)
	}
	return moved, work
}

// ScanWork returns the elements the commands s of name pass while searching
// their keys' listpacks on a server with limits l: each of Keys keys grows
// to m = min(Elements/Keys, ListpackLimit(name, l)) elements in the
// listpack, the i-th insert passing the i before it, Keys × m² / 2 in all
// (keys of equal size assumed). It is 0 without a key count or for a
// command that searches nothing.
func ScanWork(name string, s *CommandStats, l *release.Limits) float64 {
	lim := ListpackLimit(name, l)
	if lim <= 0 || s.Keys <= 0 || s.Elements <= 0 {
		return 0
	}
	m := min(float64(s.Elements)/float64(s.Keys), float64(lim))
	return float64(s.Keys) * m * m / 2
}

func advice(rep *Report, parts []*Part, c *Coefficients) []Advice {
	out := []Advice{}
	say := func(format string, a ...any) { out = append(out, Advice{Text: fmt.Sprintf(format, a...)}) }
	// AOF replay: what a rewrite would leave.
	var incrS float64
	var incrCmds int64
	for i, p := range parts {
		if p.Role == RoleIncr {
			incrS += rep.Recovery.Parts[i].Seconds
			incrCmds += p.CommandCount()
		}
	}
	total := rep.Recovery.Seconds.Value
	if incrS > 1 && incrS > total/2 {
		// A rewrite turns the commands into at most one RDB key each.
		after := total - incrS + float64(incrCmds)*(c.Load.NsPerKey+c.Load.NsPerElementDefault)/1e9
		if after < total {
			say("a rewrite (BGREWRITEAOF) would cut the load from %s to at most %s: %.0f %% of it replays %s commands of incr files",
				seconds(total), seconds(after), 100*incrS/total, count(incrCmds))
		}
	}
	if len(rep.Recovery.Classes) > 0 && total > 0 {
		top := rep.Recovery.Classes[0]
		if top.Share >= 50 {
			say("%.0f %% of the load is %s %s %s %s", top.Share, top.Verb(), count(top.Count), top.Class, top.Unit)
		}
	}
	m := rep.Memory
	switch m.Fits {
	case "no":
		say("used_memory after the load (%s) exceeds maxmemory %s: the server will evict or refuse writes", bytesText(m.UsedMemory.Value), bytesText(float64(m.MaxMemory)))
	case "maybe":
		say("used_memory after the load (%s–%s) may exceed maxmemory %s", bytesText(m.UsedMemory.Low), bytesText(m.UsedMemory.High), bytesText(float64(m.MaxMemory)))
	}
	f := rep.Fork
	if f.ForkMs.Value >= 10 || f.FirstForkMs.Value >= 10 {
		first := ""
		if f.FirstForkMs.Value > 0 {
			first = fmt.Sprintf(", %.0f ms for the first after a restart", f.FirstForkMs.Value)
		}
		thp := ""
		if f.ForkMsTHP.Value > 0 {
			thp = fmt.Sprintf(" (%.1f ms with THP)", f.ForkMsTHP.Value)
		}
		say("fork takes %.0f ms with 4 KiB pages%s%s, a stall of every client on each BGSAVE; Redis keeps THP off for itself (disable-thp yes): before Linux 5.8 a write during a BGSAVE copies a whole 2 MiB page, and from 5.8 it splits the page, so the forks after a written BGSAVE lose the gain", f.ForkMs.Value, thp, first)
	}
	if f.ExceedsLimit {
		say("peak RSS during a BGSAVE %s exceeds the %s limit (RSS %s + copy-on-write %s)", bytesText(float64(f.PeakRSS)), bytesText(float64(m.MaxMemory)),
			bytesText(m.RSS.Value), bytesText(float64(f.PeakRSS-int64(m.RSS.Value))))
	}
	if f.WriteRate > 0 && f.COWAtRateTHP > 2*f.COWAtRate && f.COWAtRate > 0 {
		say("at %s writes/s, copy-on-write is %s with 4 KiB pages (and with THP from Linux 5.8, where a write splits the huge page) and %s with THP before Linux 5.8 (a write copies 2 MiB)", count(int64(f.WriteRate)), bytesText(float64(f.COWAtRate)), bytesText(float64(f.COWAtRateTHP)))
	}
	l := rep.Loss
	if l.BehindSeconds != nil && *l.BehindSeconds > 3600 {
		say("the newest write the files prove is %s old: a crash now loses everything since", seconds(*l.BehindSeconds))
	}
	if !l.AppendOnly && len(l.Save) > 0 {
		say("with snapshots only a crash can lose up to %s of writes; appendonly yes with appendfsync everysec bounds it to 1 s", seconds(float64(l.WindowSeconds)))
	}
	return out
}

func seconds(s float64) string {
	switch {
	case s < 1:
		return fmt.Sprintf("%.0f ms", s*1000)
	case s < 100:
		return fmt.Sprintf("%.1f s", s)
	case s < 7200:
		return fmt.Sprintf("%.0f s", s)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}

func count(n int64) string {
	switch {
	case n >= 10_000_000:
		return fmt.Sprintf("%.0f M", float64(n)/1e6)
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f M", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.0f k", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func bytesText(b float64) string {
	const unit = 1024
	if b < unit {
		return fmt.Sprintf("%.0f B", b)
	}
	div, exp := float64(unit), 0
	for n := b / unit; n >= unit && exp < 4; n /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", b/div, "KMGTP"[exp])
}
