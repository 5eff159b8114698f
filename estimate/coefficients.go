package estimate

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"

	"github.com/rdbkit/rdbkit/release"
)

// Coefficients are the figures of the cost model: what a key, an element,
// a byte and a command cost one server on one machine. They are data (the
// JSON field names are stable, docs/estimate.md). BuiltinCoefficients holds
// the built-in sets, one per release line measured by
// scripts/bench-estimate.sh on the reference machine they name
// (DefaultCoefficients: the reference release's), and Fit makes a set from
// measurements.
type Coefficients struct {
	// Server is the release line the figures were measured on, e.g.
	// "redis-7.0"; ServerBuild the exact build ("7.0.15 jemalloc-5.3.0").
	Server      string `json:"server"`
	ServerBuild string `json:"server_build"`
	// Machine names the machine (CPU, cores, kernel); Measured the date.
	Machine  string `json:"machine"`
	Measured string `json:"measured"`
	// Source says where the figures come from: "built-in" for a built-in set,
	// else the file or the calibration run that produced them.
	Source string `json:"source"`
	// Error is the relative error of the load time predicted for the
	// samples the set was not fitted on (0.2: ±20 %), the half-width of the
	// recovery time's range, and of every other figure's range when Errors
	// has none for it.
	Error float64 `json:"error"`
	// Errors are the other figures' relative errors, measured the same way:
	// a set's memory is far more exact than its load time, its RDB write
	// and first fork far less.
	Errors FigureErrors `json:"errors,omitzero"`

	Load   LoadCoefficients   `json:"load"`
	Memory MemoryCoefficients `json:"memory"`
	Fork   ForkCoefficients   `json:"fork"`
	Save   SaveCoefficients   `json:"save"`
}

// FigureErrors are relative errors (0.1: ±10 %) of the figures other than
// the load time, each the worst on the held-out samples of a bench run
// (scripts/benchestimate); 0 means unmeasured: the set's Error is used.
type FigureErrors struct {
	Memory    float64 `json:"memory,omitempty"`     // used_memory and RSS after the load
	Fork      float64 `json:"fork,omitempty"`       // a later fork, with 4 KiB pages or THP
	FirstFork float64 `json:"first_fork,omitempty"` // the first fork after a load
	Save      float64 `json:"save,omitempty"`       // the RDB write (a foreground SAVE)
}

// Or returns e with every unmeasured figure set to def.
func (e FigureErrors) Or(def float64) FigureErrors {
	or := func(v float64) float64 {
		if v > 0 {
			return v
		}
		return def
	}
	return FigureErrors{Memory: or(e.Memory), Fork: or(e.Fork), FirstFork: or(e.FirstFork), Save: or(e.Save)}
}

// Scale returns e with every figure multiplied by k.
func (e FigureErrors) Scale(k float64) FigureErrors {
	return FigureErrors{Memory: e.Memory * k, Fork: e.Fork * k, FirstFork: e.FirstFork * k, Save: e.Save * k}
}

// LoadCoefficients give the CPU time of loading, in nanoseconds:
//
//	RDB:  KeyNs(N) × keys + NsPerPayloadByte × string payload + Σ NsPerElement[class] × elements
//	      (an unpacked class: + NsPerPayloadByte × (payload − Memory.PayloadPerElement[class] × elements))
//	AOF:  Σ NsPerCommand[name] × commands + NsPerArgByte × argument bytes
//	      + NsPerScannedElement[name] × ScanWork(name, stats) + (KeyNs(N) − NsPerKey) × keys
//	      + NsPerRehashDoubling × Σ_growths keys moved × log2(table size / RehashAboveKeys)
//
// N being the keys of the whole dataset (an RDB's keys, a command's distinct
// keys), the growths those of the server's key table past RehashAboveKeys
// keys as the commands add keys to it (Rehash).
//
// (Redis src/rdb.c rdbLoadRio: one dict insert per key, rdbLoadObject per
// value; src/aof.c loadSingleAppendOnlyFile: one fake-client call per
// command). Strings (StringClass) cost per byte of payload, every other
// class per element. A class or command not in the maps costs the Default
// figure. NsPerScannedElement is the cost of a command that searches a
// listpack (HSET, ZADD, SADD) per element it passes (ScanWork); a command
// not in that map has none.
type LoadCoefficients struct {
	NsPerKey            float64            `json:"ns_per_key"`
	NsPerPayloadByte    float64            `json:"ns_per_payload_byte"`
	NsPerElement        map[Class]float64  `json:"ns_per_element"`
	NsPerElementDefault float64            `json:"ns_per_element_default"`
	NsPerCommand        map[string]float64 `json:"ns_per_command"`
	NsPerCommandDefault float64            `json:"ns_per_command_default"`
	NsPerArgByte        float64            `json:"ns_per_arg_byte"`
	NsPerScannedElement map[string]float64 `json:"ns_per_scanned_element,omitempty"`
	// NsPerKeyDoubling is what a key's load costs more per doubling of the
	// dataset's keys beyond NsPerKeyAtKeys (more caches missed per dict
	// insert and allocation): KeyNs. 0 (older files, or a fit without a
	// second size of small strings): a flat NsPerKey.
	NsPerKeyDoubling float64 `json:"ns_per_key_doubling,omitempty"`
	NsPerKeyAtKeys   float64 `json:"ns_per_key_at_keys,omitempty"`
	// NsPerRehashDoubling is what moving one key to a grown key table
	// costs during a replay, per doubling of the table's size beyond
	// RehashAboveKeys keys (below, the growths are in NsPerCommand, fitted
	// on AOF samples of up to that many keys): Rehash. 0 (older files, or
	// a fit without an AOF sample of many keys): no such cost.
	NsPerRehashDoubling float64 `json:"ns_per_rehash_doubling,omitempty"`
	RehashAboveKeys     float64 `json:"rehash_above_keys,omitempty"`
}

// KeyNs returns the load cost of one key, ns, in a dataset of keys keys:
// NsPerKey, plus NsPerKeyDoubling per doubling of keys beyond
// NsPerKeyAtKeys.
func (l *LoadCoefficients) KeyNs(keys float64) float64 {
	if l.NsPerKeyDoubling <= 0 || l.NsPerKeyAtKeys <= 0 || keys <= l.NsPerKeyAtKeys {
		return l.NsPerKey
	}
	return l.NsPerKey + l.NsPerKeyDoubling*math.Log2(keys/l.NsPerKeyAtKeys)
}

// MemoryCoefficients give used_memory (INFO memory) after loading, bytes:
//
//	BaseBytes + BytesPerKey × keys + BytesPerPayloadByte × string payload + Σ BytesPerElement[class] × elements
//	          (a packed class: BytesPerPackedByte[class] × its payload instead of its elements;
//	           an unpacked one: + BytesPerPayloadByte × (payload − PayloadPerElement[class] × elements))
//
// and, for the commands of an AOF, BytesPerCommand[name] per command plus
// BytesPerCommandKey[name] per distinct key the commands write
// (CommandStats.Keys: a stream's nodes, a hash's listpack header) (an
// upper bound: a command that overwrites a key adds nothing). RSS after a
// load with jemalloc is RSSBaseBytes + RSSRatio × used_memory (the base is
// the process's code, stacks and allocator metadata), plus, for an AOF,
// RSSBytesPerCommand[name] per command; RSSRatioLibc replaces RSSRatio for
// the libc allocator.
type MemoryCoefficients struct {
	BaseBytes              int64              `json:"base_bytes"`
	BytesPerKey            float64            `json:"bytes_per_key"`
	BytesPerPayloadByte    float64            `json:"bytes_per_payload_byte"`
	BytesPerElement        map[Class]float64  `json:"bytes_per_element"`
	BytesPerElementDefault float64            `json:"bytes_per_element_default"`
	BytesPerCommand        map[string]float64 `json:"bytes_per_command"`
	BytesPerCommandDefault float64            `json:"bytes_per_command_default"`
	BytesPerCommandKey     map[string]float64 `json:"bytes_per_command_key,omitempty"`
	// BytesPerPackedByte gives a packed class (Class.Packed) its memory per
	// byte of payload, in place of BytesPerElement: a listpack of small
	// integers holds fewer bytes per element than one of long strings. A
	// packed class not in the map costs the median of the map's figures;
	// with an empty map (an older coefficients file) every class costs per
	// element.
	BytesPerPackedByte map[Class]float64 `json:"bytes_per_packed_byte,omitempty"`
	// PayloadPerElement is, for an unpacked class (a hashtable or a
	// skiplist, whose elements are allocations of their own), the mean
	// payload bytes per element of the samples its BytesPerElement was
	// fitted on: a value whose elements hold more or fewer bytes costs
	// BytesPerPayloadByte for each (the 100 hashes of 1,000 short fields of
	// TestBuiltinMemoryServer were 32-50 % below BytesPerElement without
	// it). A class not in the map (an older file) costs BytesPerElement
	// alone.
	PayloadPerElement map[Class]float64 `json:"payload_per_element,omitempty"`
	// StringCommands says BytesPerCommand of the string commands (SET,
	// MSET, ...) is what they cost beyond the string model of their keys
	// (StringCommandBytes), as Fit makes it; false (older files): it is
	// their whole memory, and the string model is not added.
	StringCommands bool    `json:"string_commands,omitempty"`
	RSSBaseBytes   float64 `json:"rss_base_bytes"`
	RSSRatio       float64 `json:"rss_ratio"`
	RSSRatioLibc   float64 `json:"rss_ratio_libc"`
	// RSSRatioLibcMeasured is false when RSSRatioLibc is a guess.
	RSSRatioLibcMeasured bool `json:"rss_ratio_libc_measured"`
	// RSSBytesPerCommand is the resident memory an AOF's commands leave
	// beyond their used_memory right after the load, bytes per command:
	// the blocks freed while values grow in place (an HSET's listpack
	// reallocated at each field, Redis src/listpack.c lpInsert) that the
	// allocator has not yet returned to the system (jemalloc's dirty page
	// decay, 10 s). It is what makes the first fork after an AOF load
	// slower than the used_memory of the data suggests. A command not in
	// the map leaves none.
	RSSBytesPerCommand map[string]float64 `json:"rss_bytes_per_command,omitempty"`
}

// ForkCoefficients give fork() time (INFO stats latest_fork_usec) from the
// size of the parent's page tables (8 bytes per mapped page on x86-64):
//
//	fork µs = BaseUsec + UsecPerPageTableMiB × (page-table MiB)^PageTableExponent
//
// (Redis src/server.c redisFork; the kernel copies the page tables, not
// the pages). A fork's time grows less than in proportion on the VMs
// measured (exponent 0.55-0.58 between 14 MiB and 350 MiB of RSS, Redis
// 7.0.15 and 7.4.1, docs/benchmarks.md).
type ForkCoefficients struct {
	BaseUsec            float64 `json:"base_usec"`
	UsecPerPageTableMiB float64 `json:"usec_per_page_table_mib"`
	// PageTableExponent is the power of the page-table size; 0 (older
	// files) means 1, a straight line.
	PageTableExponent float64 `json:"page_table_exponent,omitempty"`
	// COWBaseBytes is the copy-on-write of a BGSAVE during which no client
	// writes (INFO persistence rdb_last_cow_size: the server's own cron,
	// allocator and buffers), bytes; writes add to it (0: not measured).
	COWBaseBytes float64 `json:"cow_base_bytes,omitempty"`
	// The first fork after a load costs more than the later ones:
	//
	//	first fork µs = fork µs + FirstForkBaseUsec + FirstForkNsPerPage/1000 × pages
	//
	// pages being the 4 KiB pages of RSS (0, 0: not measured). Measured on
	// every shape (docs/estimate.md): a median 2.15 times a later fork
	// from 80 MB of RSS, up to 3.4 times. The likely cause: the first fork
	// write-protects every page the load left writable and makes it
	// shared, which later forks of pages not written since find done; a
	// page written since the last fork costs it again.
	FirstForkBaseUsec  float64 `json:"first_fork_base_usec,omitempty"`
	FirstForkNsPerPage float64 `json:"first_fork_ns_per_page,omitempty"`
	// With transparent huge pages (the server run with disable-thp no and
	// the kernel's THP enabled = always) the load leaves most of RSS in
	// 2 MiB pages. fork() copies one page-middle-directory entry for each
	// and allocates the page table the kernel keeps deposited beside it
	// (Linux mm/huge_memory.c copy_huge_pmd); THPSmallBytes of RSS stay in
	// 4 KiB pages whatever the dataset (the server's own start-up memory,
	// partly filled 2 MiB ranges):
	//
	//	fork µs with THP = THPUsecPerHugePage × max(huge pages, 1)^THPHugePageExponent
	//	huge pages       = ⌊(RSS − THPSmallBytes) / 2 MiB⌋
	//
	// A power, as for 4 KiB pages, and a weak one: on the VM measured a
	// fork took 1.1 ms with 3 huge pages, 2.0 ms with 168 and 2.6-2.8 ms
	// with 1,066-1,236 (all 0: not measured; scripts/bench-estimate.sh
	// THP=1, docs/estimate.md).
	THPUsecPerHugePage  float64 `json:"thp_usec_per_huge_page,omitempty"`
	THPHugePageExponent float64 `json:"thp_huge_page_exponent,omitempty"`
	THPSmallBytes       float64 `json:"thp_small_bytes,omitempty"`
}

// KeyHeaderBytes is the memory of a key's headers beside its value: its
// dict entry (24 bytes, Redis src/dict.h) and its object header (16,
// src/server.h robj). jemalloc keeps them in slabs of their own size
// classes, many keys' to a page, apart from the values.
const KeyHeaderBytes = 40

// COWBytes returns the copy-on-write, bytes, of a BGSAVE during which
// writes writes land on distinct keys of a dataset of keys keys and rss
// bytes of RSS, with 4 KiB pages: COWBaseBytes, one page for each write's
// value and, with jemalloc (libc false), one for its key's headers up to
// the pages all keys' headers fill (keys × KeyHeaderBytes); at most rss.
// libc's malloc puts a key's headers beside its value, in the page the
// write copies anyway. Measured with 200,000 values of 1,000 bytes and
// SET of distinct keys during a BGSAVE (TestCOWAtRateServer): Redis 7.0.15
// copied 2.3 pages a write at 2,000 writes, 1.3 at 10,000 (this: 1.9 and
// 1.2); a libc build of 7.4.1 1.2 and 1.3 (this: 1 and 1).
func (f *ForkCoefficients) COWBytes(writes float64, keys, rss int64, libc bool) float64 {
	pages := max(writes, 0) * 4096
	headers := 0.0
	if !libc {
		headers = math.Min(pages, float64(keys)*KeyHeaderBytes)
	}
	return math.Min(f.COWBaseBytes+pages+headers, float64(rss))
}

// HugePageSize is the size of a transparent huge page on x86-64 and of
// arm64 with 4 KiB base pages, bytes.
const HugePageSize = 2 << 20

// HugePages returns how many 2 MiB pages of RSS rss bytes are in
// transparent huge pages when THP is on: what is past THPSmallBytes, in
// whole huge pages.
func (f *ForkCoefficients) HugePages(rss float64) float64 {
	return math.Floor(max(rss-f.THPSmallBytes, 0) / HugePageSize)
}

// THPUsec returns the predicted fork() time, µs, with transparent huge
// pages for RSS of rss bytes; ok is false when the coefficients lack the
// THP curve.
func (f *ForkCoefficients) THPUsec(rss float64) (usec float64, ok bool) {
	if f.THPUsecPerHugePage <= 0 {
		return 0, false
	}
	return f.THPUsecPerHugePage * math.Pow(max(f.HugePages(rss), 1), f.THPHugePageExponent), true
}

// Usec returns the predicted fork() time, µs, for page tables of ptMiB MiB.
func (f *ForkCoefficients) Usec(ptMiB float64) float64 {
	e := f.PageTableExponent
	if e <= 0 {
		e = 1
	}
	return f.BaseUsec + f.UsecPerPageTableMiB*math.Pow(max(ptMiB, 0), e)
}

// FirstForkExtraUsec is what the first fork after a load adds to a later
// one, µs, for RSS of pages 4 KiB pages.
func (f *ForkCoefficients) FirstForkExtraUsec(pages float64) float64 {
	return f.FirstForkBaseUsec + f.FirstForkNsPerPage*max(pages, 0)/1000
}

// SaveCoefficients give the time to write the RDB file of the loaded data
// (Redis src/rdb.c rdbSaveRio, then the fsync of rdbSave), nanoseconds:
//
//	BaseNs + NsPerKey × keys + NsPerPayloadByte × string bytes + NsPerBlobByte × blob bytes
//	  + NsPerElement × plain elements (+ NsPerByte × serialized bytes: files before the others)
//
// (SaveWork). The save writes each key, then its value: a string or a
// blob goes through LZF when over 20 bytes (rdbSaveRawString), so it
// costs by its uncompressed bytes, at a rate that depends on what the
// bytes are; a value in a plain encoding is written element by element.
type SaveCoefficients struct {
	NsPerKey         float64 `json:"ns_per_key"`
	NsPerByte        float64 `json:"ns_per_byte"`
	NsPerPayloadByte float64 `json:"ns_per_payload_byte,omitempty"`
	NsPerBlobByte    float64 `json:"ns_per_blob_byte,omitempty"`
	NsPerElement     float64 `json:"ns_per_element,omitempty"`
	BaseNs           float64 `json:"base_ns,omitempty"`
}

// Ns returns the time to write the RDB file of a dataset of work w, ns,
// its per-key cost multiplied by keyGrowth: how much a key's cost grows
// with the dataset's keys, taken from the load's (LoadCoefficients.KeyNs
// at the dataset's keys over NsPerKey; 1: none), as the save walks the
// same scattered keys the load built.
func (s *SaveCoefficients) Ns(w SaveWork, keyGrowth float64) float64 {
	return s.BaseNs + s.NsPerKey*keyGrowth*w.Keys + s.NsPerByte*w.Serialized + s.NsPerPayloadByte*w.StringBytes +
		s.NsPerBlobByte*w.BlobBytes + s.NsPerElement*w.PlainElements
}

// KeyGrowth returns how much a key's load cost at a dataset of keys keys
// exceeds NsPerKey (KeyNs / NsPerKey; 1 without the growth figures).
func (l *LoadCoefficients) KeyGrowth(keys float64) float64 {
	if l.NsPerKey <= 0 {
		return 1
	}
	return l.KeyNs(keys) / l.NsPerKey
}

// builtinFS holds the built-in sets, one per release line measured on the
// reference machine: builtin/<release>.json.
//
//go:embed builtin/*.json
var builtinFS embed.FS

// ReferenceServer is the release line of DefaultCoefficients, the set the
// model's defaults and fallbacks come from.
const ReferenceServer = "redis-7.0"

// BuiltinServers returns the release lines that have a built-in set,
// sorted ("redis-7.0", "redis-7.4", "valkey-8.0", "valkey-9.0").
func BuiltinServers() []string {
	ents, err := builtinFS.ReadDir("builtin")
	if err != nil {
		panic("estimate: built-in sets: " + err.Error()) // a build defect
	}
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".json"))
	}
	return out
}

// DefaultCoefficients returns the reference set, measured with
// ReferenceServer (a fresh copy each call).
func DefaultCoefficients() *Coefficients { return builtin(ReferenceServer) }

// standIns name, for a release line without a built-in set, the line whose
// set stands in for it when the newest older line of its server would be
// the wrong one.
var standIns = map[string]string{
	// Valkey 7.2 is Redis 7.2.4's code under another name.
	"valkey-7.2": "redis-7.2",
}

// BuiltinCoefficients returns the built-in set for loads by release server
// ("redis-7.4"; a name release.Lookup knows), a fresh copy each call:
//   - the set measured with that release line, when there is one;
//   - else the set of the line standIns names for it (valkey-7.2 gets
//     redis-7.2's);
//   - else the one measured with the newest older line of the same server
//     (valkey-9.1 gets valkey-9.0's, redis-8.0 redis-7.4's);
//   - else the reference set (an unknown name).
//
// Its Server says which line it was measured with; Estimate widens the range
// when that is not the target.
func BuiltinCoefficients(server string) *Coefficients {
	servers := BuiltinServers()
	if slices.Contains(servers, server) {
		return builtin(server)
	}
	if s, ok := standIns[server]; ok {
		return builtin(s)
	}
	want, ok := release.Lookup(server)
	if !ok {
		return DefaultCoefficients()
	}
	var best *release.Release
	for _, name := range servers {
		r, ok := release.Lookup(name)
		if ok && r.Dialect == want.Dialect && r.Version <= want.Version && (best == nil || r.Version > best.Version) {
			best = r
		}
	}
	if best == nil {
		return DefaultCoefficients()
	}
	return builtin(best.Name)
}

// builtin reads builtin/<name>.json. Only the reference set has fork
// figures: a fork's cost is the kernel's, copying page tables (Linux
// mm/memory.c copy_page_range), a function of the page-table size that the
// memory figures of each set give, so every set takes the reference's. The
// fork lines fitted on the runs of the other servers predicted another run
// of the same server worse than the reference's line (docs/estimate.md).
func builtin(name string) *Coefficients {
	b, err := builtinFS.ReadFile("builtin/" + name + ".json")
	if err == nil {
		var c *Coefficients
		if c, err = ReadCoefficients(bytes.NewReader(b)); err == nil {
			switch {
			case c.Server != name:
				err = fmt.Errorf("measured with %q", c.Server)
			case name != ReferenceServer && c.Fork != (ForkCoefficients{}):
				err = errors.New("fork figures are the reference set's only")
			default:
				if name != ReferenceServer {
					c.Fork = builtin(ReferenceServer).Fork
				}
				c.Source = "built-in"
				return c
			}
		}
	}
	panic("estimate: built-in set " + name + ": " + err.Error()) // a build defect, caught by the tests
}

// ErrCoefficients is matched (errors.Is) by the error ReadCoefficients
// returns for a file that is no coefficient set.
var ErrCoefficients = errors.New("estimate: bad coefficients")

// ReadCoefficients reads a JSON coefficient set (the format of DefaultCoefficients and
// of Fit's result, docs/estimate.md). Unknown fields are refused, so a
// misspelt name does not silently fall back to zero.
func ReadCoefficients(r io.Reader) (*Coefficients, error) {
	var c Coefficients
	d := json.NewDecoder(r)
	d.DisallowUnknownFields()
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCoefficients, err)
	}
	if c.Server == "" || c.Load.NsPerKey <= 0 || c.Memory.BytesPerKey <= 0 || c.Error <= 0 {
		return nil, fmt.Errorf("%w: server, load.ns_per_key, memory.bytes_per_key and error must be set", ErrCoefficients)
	}
	return &c, nil
}

// ReadCoefficientsFile reads the coefficient set in file path, with Source
// set to path. Errors: the *os.PathError of opening it, or ReadCoefficients'
// error (matching ErrCoefficients) prefixed with path.
func ReadCoefficientsFile(path string) (*Coefficients, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	c, err := ReadCoefficients(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	c.Source = path
	return c, nil
}

// WriteCoefficients writes c as indented JSON.
func WriteCoefficients(w io.Writer, c *Coefficients) error {
	e := json.NewEncoder(w)
	e.SetIndent("", "  ")
	return e.Encode(c)
}
