package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
)

// inspectOptions are the flags of "rdbkit inspect".
type inspectOptions struct {
	config string   // --config redis.conf for AOF inputs
	keys   bool     // list keys instead of the summary
	dbs    []int    // --db filter (keys mode)
	types  []string // --type filter (keys mode)
	match  string   // --match GLOB (keys mode)
	nocase bool     // --match-nocase
	// --min-bytes, --max-bytes (keys mode): bounds of a key's serialized size
	minBytes, maxBytes string
	top                int // --top N
	jobs               int // --jobs: goroutines of the scan (addJobsFlag)
}

func newInspectCmd(app *App) *cobra.Command {
	var o inspectOptions
	c := &cobra.Command{
		Use:   "inspect [flags] FILE",
		Short: "Summarise an RDB file or an AOF set, or list its keys",
		Long: `Inspect reads an RDB file (or "-" for standard input; gzip, zstd and Valkey
LZ4 "VCS" inputs are unwrapped) or an AOF set (a manifest, an appendonlydir,
the server's dir, or a single old-style AOF file; --config names the
redis.conf to take appenddirname and appendfilename from).

For an RDB file it prints its format, version, dialect, AUX fields,
per-database key counts (keys, keys with a TTL, keys already expired at
--now), per-type and per-encoding counts, serialized bytes and elements,
function libraries, module types, LRU/LFU data, the biggest keys and the
checksum status. For an AOF set it prints the manifest and, per file, its
RDB part, command counts, databases, #TS range, MULTI blocks and ok_up_to.

With --keys it lists every key instead: db, key, type, encoding, RDB type,
expire time, serialized size and elements; --db, --type, --match,
--min-bytes and --max-bytes (on the serialized size) filter the list, with
the filter code convert uses. Keys are shown escaped in text ("\xff") and exact in JSON (a JSON
string when valid UTF-8, else {"b64": "..."}).

Output is styled on a terminal, plain "key:<TAB>value" text otherwise, and
JSON with --json (one document; JSON Lines with --keys). On a file that breaks,
--json still writes the document of what was read, with "complete": false and
the error that stopped reading. See docs/json.md.` + exitStatusHelp +
			`  0    the file was read completely and has no errors (an AOF set whose
       only damage is a torn last command, which the server drops at load,
       is a warning)
  1    runtime or I/O error
  2    usage error
  3    the file is corrupt or not a readable RDB file or AOF set (run
       'rdbkit verify')
  130  interrupted`,
		Example: `  rdbkit inspect dump.rdb
  rdbkit inspect /var/lib/redis/appendonlydir
  rdbkit inspect --json dump.rdb.gz
  rdbkit inspect --keys --db 0 --type hash --match 'user:*' dump.rdb`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runInspect(c.Context(), app, o, args[0])
		},
	}
	f := c.Flags()
	f.BoolVar(&o.keys, "keys", false, "list keys instead of the summary")
	f.IntSliceVar(&o.dbs, "db", nil, "with --keys: only these databases (repeatable, comma-separated)")
	f.StringSliceVar(&o.types, "type", nil, "with --keys: only these types: string, list, set, zset, hash, stream, module, array, gcra, or an RDB type name such as HASH_LISTPACK")
	f.StringVar(&o.match, "match", "", "with --keys: only keys matching this Redis glob pattern (*, ?, [a-z], \\x)")
	f.BoolVar(&o.nocase, "match-nocase", false, "with --match: ignore ASCII case")
	f.StringVar(&o.minBytes, "min-bytes", "", "with --keys: only keys whose serialized size (the bytes column) is at least this (512, 4kb, 1mb)")
	f.StringVar(&o.maxBytes, "max-bytes", "", "with --keys: only keys whose serialized size is at most this")
	f.IntVar(&o.top, "top", 10, "how many of the biggest keys to show (0 = none)")
	f.StringVar(&o.config, "config", "", "redis.conf/valkey.conf to read appenddirname and appendfilename from (AOF inputs)")
	addNowFlag(c, app)
	addJobsFlag(c, &o.jobs)
	return c
}

func runInspect(ctx context.Context, app *App, o inspectOptions, path string) error {
	if o.top < 0 {
		return usageErrorf("--top must be >= 0, got %d", o.top)
	}
	if err := checkJobs(o.jobs); err != nil {
		return err
	}
	if !o.keys && (len(o.dbs) > 0 || len(o.types) > 0 || o.match != "" || o.minBytes != "" || o.maxBytes != "") {
		return usageErrorf("--db, --type, --match, --min-bytes and --max-bytes need --keys")
	}
	var filt *rdbscan.KeyFilter
	if o.keys {
		var err error
		if filt, err = newKeyFilter(o); err != nil {
			return err
		}
	}
	in, err := app.openInput(ctx, path)
	if err != nil {
		return err
	}
	defer in.Close()
	if in.Kind.IsAOF() {
		if o.keys {
			return usageErrorf("--keys works on RDB files only")
		}
		return aofExit(runAOF(ctx, app, in, aofOptions{config: o.config}))
	}
	done := app.startProgress(in, "inspect")
	if o.keys {
		return inspectKeys(ctx, app, in, filt, o.jobs, done)
	}
	sum := &rdbscan.Summary{TopN: o.top, Now: app.Now().UnixMilli()}
	res, err := app.scanRDB(ctx, in, false, o.jobs, nil, func(e *rdbfile.Entry) error { sum.Add(e); return nil })
	done()
	if err != nil {
		return err
	}
	stopped := res.Header == nil || (res.Err != nil && !errors.Is(res.Err, rdbfile.ErrChecksum))
	if stopped && app.mode() != modeJSON {
		return inspectFailed(app, in, res)
	}
	rep := buildInspectReport(app, in, res, sum)
	out := app.IO.Out
	switch app.mode() {
	case modeJSON:
		err = writeJSONIndent(out, rep)
	case modeStyled:
		err = renderInspectStyled(out, newStyles(out, app.color()), rep)
	default:
		err = renderInspectPlain(out, rep)
	}
	if err != nil {
		return err
	}
	if stopped {
		return inspectFailed(app, in, res)
	}
	if res.Damaged() {
		fmt.Fprintf(app.IO.ErrOut, "rdbkit: %s is damaged (%s); run 'rdbkit verify %s' for every finding\n",
			in.Name, plural(res.NErrors+boolInt(res.Err != nil), "error"), in.Name)
		return errDamaged
	}
	return nil
}

// inspectFailed reports a file that could not be read to its end.
func inspectFailed(app *App, in *input, res *rdbscan.Result) error {
	where := ""
	if in.Compressed() {
		where = " (offset in the decompressed stream)"
	}
	fmt.Fprintf(app.IO.ErrOut, "rdbkit: %s: %v%s\nrdbkit: run 'rdbkit verify %s' for every finding\n", in.Name, res.Err, where, in.Name)
	return errDamaged
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// inspectReport is the JSON document of "rdbkit inspect --json"; the text
// renderings show the same data. Field names are pinned by TestJSONFieldNames.
type inspectReport struct {
	File        string          `json:"file"`
	Compression string          `json:"compression"`
	FileSize    *int64          `json:"file_size"`
	Size        int64           `json:"size"`
	Format      string          `json:"format"`
	Magic       *string         `json:"magic"`
	Version     *int            `json:"version"`
	Dialect     *string         `json:"dialect"`
	Server      *string         `json:"server"`
	Aux         []jsonAux       `json:"aux"`
	CTime       *string         `json:"ctime"`
	UsedMem     *int64          `json:"used_mem"`
	AOFBase     *bool           `json:"aof_base"`
	ReplID      *string         `json:"repl_id"`
	ReplOffset  *int64          `json:"repl_offset"`
	Now         string          `json:"now"`
	Checksum    jsonChecksum    `json:"checksum"`
	Keys        int64           `json:"keys"`
	Expires     int64           `json:"expires"`
	Expired     int64           `json:"expired"`
	KeyBytes    int64           `json:"key_bytes"`
	Elements    int64           `json:"elements"`
	IdleKeys    int64           `json:"keys_with_idle"`
	FreqKeys    int64           `json:"keys_with_freq"`
	MetaKeys    int64           `json:"keys_with_meta"`
	SlotInfos   int64           `json:"slot_info_records"`
	DBs         []jsonDB        `json:"dbs"`
	Types       []jsonType      `json:"types"`
	Functions   []jsonFunction  `json:"functions"`
	Modules     []jsonModule    `json:"modules"`
	Top         []jsonKey       `json:"top"`
	Findings    jsonFindingsSum `json:"findings"`
	// Complete is false when reading stopped before the end of the file;
	// the counts are then those of the records read, Error says why and
	// IntactUpTo how far the records are intact.
	Complete   bool             `json:"complete"`
	Error      *jsonInspectStop `json:"error"`
	IntactUpTo *int64           `json:"intact_up_to"`
}

// jsonInspectStop is the problem that stopped reading a damaged file.
type jsonInspectStop struct {
	Offset    int64      `json:"offset"`
	OffsetHex string     `json:"offset_hex"`
	Field     string     `json:"field"`
	Key       *jsonBytes `json:"key"`
	KeyType   *string    `json:"key_type"`
	Message   string     `json:"message"`
}

type jsonAux struct {
	Name   jsonBytes `json:"name"`
	Value  jsonBytes `json:"value"`
	Offset int64     `json:"offset"`
}

type jsonDB struct {
	DB            int     `json:"db"`
	Keys          int64   `json:"keys"`
	Expires       int64   `json:"expires"`
	Expired       int64   `json:"expired"`
	Bytes         int64   `json:"bytes"`
	ResizeKeys    *uint64 `json:"resize_keys"`
	ResizeExpires *uint64 `json:"resize_expires"`
}

type jsonType struct {
	Type      string `json:"type"`
	Encoding  string `json:"encoding"`
	RDBType   string `json:"rdb_type"`
	RDBTypeID int    `json:"rdb_type_id"`
	Count     int64  `json:"count"`
	Bytes     int64  `json:"bytes"`
	Elements  int64  `json:"elements"`
}

type jsonFunction struct {
	Name   string `json:"name"`
	Engine string `json:"engine"`
	Bytes  int    `json:"bytes"`
	Offset int64  `json:"offset"`
}

type jsonModule struct {
	Name       string `json:"name"`
	EncVer     int    `json:"encver"`
	Keys       int64  `json:"keys"`
	Bytes      int64  `json:"bytes"`
	AuxRecords int64  `json:"aux_records"`
}

// jsonKey is one key: an element of "top" and a line of "inspect --keys --json".
type jsonKey struct {
	DB         int       `json:"db"`
	Key        jsonBytes `json:"key"`
	Type       string    `json:"type"`
	Encoding   string    `json:"encoding"`
	RDBType    string    `json:"rdb_type"`
	ExpireAt   *string   `json:"expire_at"`
	ExpireAtMs *int64    `json:"expire_at_ms"`
	Expired    bool      `json:"expired"`
	Bytes      int64     `json:"bytes"`
	Elements   int64     `json:"elements"`
	Offset     int64     `json:"offset"`
}

type jsonFindingsSum struct {
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
}

func keyJSON(db int, key []byte, kind rdbfile.Kind, enc rdbfile.Encoding, typeName string, expireAt, size, elems, off, now int64) jsonKey {
	k := jsonKey{DB: db, Key: jsonBytes(key), Type: kind.String(), Encoding: enc.String(), RDBType: typeName,
		ExpireAt: expireJSON(expireAt), Bytes: size, Elements: elems, Offset: off}
	if expireAt != rdbfile.NoExpire {
		ms := expireAt
		k.ExpireAtMs = &ms
		k.Expired = expireAt < now
	}
	return k
}

func buildInspectReport(app *App, in *input, res *rdbscan.Result, sum *rdbscan.Summary) *inspectReport {
	h := res.Header
	now := app.Now()
	rep := &inspectReport{
		File: in.Name, Compression: in.Compression, Size: res.Size, Format: "rdb",
		Now: now.UTC().Format(jsonTimeFormat), Checksum: checksumJSON(res),
		Keys: sum.Keys, Expires: sum.Expires, Expired: sum.Expired, KeyBytes: sum.KeyBytes, Elements: sum.Elements,
		IdleKeys: sum.WithIdle, FreqKeys: sum.WithFreq, MetaKeys: sum.WithMeta, SlotInfos: sum.SlotInfos,
		Aux: []jsonAux{}, DBs: []jsonDB{}, Types: []jsonType{}, Functions: []jsonFunction{}, Modules: []jsonModule{}, Top: []jsonKey{},
	}
	if in.FileSize >= 0 {
		fs := in.FileSize
		rep.FileSize = &fs
	}
	rep.Complete = res.Header != nil && (res.Err == nil || errors.Is(res.Err, rdbfile.ErrChecksum))
	if !rep.Complete {
		var ce *rdbfile.CorruptError
		if errors.As(res.Err, &ce) {
			f := fromCorrupt("error", true, ce)
			rep.Error = &jsonInspectStop{Offset: f.Offset, OffsetHex: hexOff(f.Offset), Field: f.Field, Message: f.Message}
			if f.Key != nil {
				k := jsonBytes(f.Key)
				rep.Error.Key = &k
			}
			if f.KeyType != "" {
				kt := f.KeyType
				rep.Error.KeyType = &kt
			}
		}
		off := max(res.IntactUpTo, 0)
		rep.IntactUpTo = &off
	}
	var aux []rdbfile.Aux
	if h != nil {
		m, v, d := h.Magic, h.Version, h.Dialect.String()
		rep.Magic, rep.Version, rep.Dialect = &m, &v, &d
		aux = append(aux, h.Aux...)
	}
	aux = append(aux, sum.Aux...)
	for _, a := range aux {
		rep.Aux = append(rep.Aux, jsonAux{Name: a.Name, Value: a.Value, Offset: a.Offset})
	}
	info := rdbfile.ParseAux(aux)
	if info.Server != "" {
		s := info.Server + " " + info.Version
		rep.Server = &s
	}
	if info.CTime != nil {
		s := time.Unix(*info.CTime, 0).UTC().Format(time.RFC3339)
		rep.CTime = &s
	}
	rep.UsedMem, rep.AOFBase, rep.ReplOffset = info.UsedMem, info.AOFBase, info.ReplOffset
	if info.ReplID != "" {
		rep.ReplID = &info.ReplID
	}
	for _, d := range sum.DBs() {
		jd := jsonDB{DB: d.DB, Keys: d.Keys, Expires: d.Expires, Expired: d.Expired, Bytes: d.KeyBytes}
		if d.HasResize {
			rk, re := d.ResizeKeys, d.ResizeExpires
			jd.ResizeKeys, jd.ResizeExpires = &rk, &re
		}
		rep.DBs = append(rep.DBs, jd)
	}
	for _, t := range sum.Types() {
		rep.Types = append(rep.Types, jsonType{Type: t.Kind.String(), Encoding: t.Encoding.String(), RDBType: t.TypeName,
			RDBTypeID: int(t.Type), Count: t.Count, Bytes: t.Bytes, Elements: t.Elements})
	}
	for _, f := range sum.Functions() {
		rep.Functions = append(rep.Functions, jsonFunction{Name: f.Name, Engine: f.Engine, Bytes: f.Size, Offset: f.Offset})
	}
	for _, m := range sum.Modules() {
		rep.Modules = append(rep.Modules, jsonModule{Name: m.TypeName, EncVer: m.EncVer, Keys: m.Keys, Bytes: m.Bytes, AuxRecords: m.AuxCount})
	}
	for _, k := range sum.Top() {
		rep.Top = append(rep.Top, keyJSON(k.DB, k.Key, k.Kind, k.Encoding, k.TypeName, k.ExpireAt, k.Size, k.Len, k.Offset, now.UnixMilli()))
	}
	rep.Findings.Errors = res.NErrors + boolInt(res.Err != nil)
	rep.Findings.Warnings = res.NAll - res.NErrors
	return rep
}

func expireText(k *jsonKey) string {
	if k.ExpireAt == nil {
		return "-"
	}
	if k.Expired {
		return *k.ExpireAt + " (expired)"
	}
	return *k.ExpireAt
}

func orDash(p *string) string {
	if p == nil {
		return "-"
	}
	return *p
}

// inspectFacts is the key/value part of the report, shared by the plain
// and styled renderings.
func inspectFacts(rep *inspectReport) [][2]string {
	var kv [][2]string
	add := func(k, v string) { kv = append(kv, [2]string{k, v}) }
	add("file", rep.File)
	if rep.FileSize != nil {
		add("file size", strconv.FormatInt(*rep.FileSize, 10)+" bytes ("+humanBytes(*rep.FileSize)+")")
	}
	if rep.Compression != compNone {
		add("compression", rep.Compression+" (offsets are in the decompressed stream)")
		add("rdb size", strconv.FormatInt(rep.Size, 10)+" bytes ("+humanBytes(rep.Size)+")")
	}
	add("format", "RDB version "+strconv.Itoa(*rep.Version))
	add("magic", *rep.Magic)
	add("dialect", *rep.Dialect)
	add("server", orDash(rep.Server))
	if rep.CTime != nil {
		add("ctime", *rep.CTime)
	}
	if rep.UsedMem != nil {
		add("used-mem", strconv.FormatInt(*rep.UsedMem, 10)+" bytes ("+humanBytes(*rep.UsedMem)+")")
	}
	if rep.AOFBase != nil {
		add("aof-base", strconv.FormatBool(*rep.AOFBase))
	}
	if rep.ReplID != nil {
		add("repl-id", *rep.ReplID)
	}
	if rep.ReplOffset != nil {
		add("repl-offset", strconv.FormatInt(*rep.ReplOffset, 10))
	}
	add("checksum", checksumTextJSON(rep.Checksum))
	add("keys", strconv.FormatInt(rep.Keys, 10))
	add("expires", strconv.FormatInt(rep.Expires, 10))
	add("expired", strconv.FormatInt(rep.Expired, 10)+" (at "+rep.Now+")")
	add("key bytes", strconv.FormatInt(rep.KeyBytes, 10)+" ("+humanBytes(rep.KeyBytes)+")")
	add("elements", strconv.FormatInt(rep.Elements, 10))
	add("lru idle", presence(rep.IdleKeys, rep.Keys))
	add("lfu freq", presence(rep.FreqKeys, rep.Keys))
	if rep.MetaKeys > 0 {
		add("key metadata", strconv.FormatInt(rep.MetaKeys, 10)+" keys")
	}
	if rep.SlotInfos > 0 {
		add("slot info", strconv.FormatInt(rep.SlotInfos, 10)+" records")
	}
	add("findings", plural(rep.Findings.Errors, "error")+", "+plural(rep.Findings.Warnings, "warning"))
	return kv
}

func presence(n, of int64) string {
	if n == 0 {
		return "none"
	}
	return strconv.FormatInt(n, 10) + " of " + strconv.FormatInt(of, 10) + " keys"
}

func checksumTextJSON(c jsonChecksum) string {
	switch c.Status {
	case sumVerified:
		return "verified (crc64 " + *c.Stored + ")"
	case sumDisabled:
		return "not verified: saved with rdbchecksum no (all-zero trailer)"
	case sumMismatch:
		return "MISMATCH: trailer says " + *c.Stored + ", content gives " + *c.Computed
	case sumAbsent:
		return "none (RDB versions before 5 have no checksum)"
	}
	return c.Status
}

func renderInspectPlain(w io.Writer, rep *inspectReport) error {
	for _, kv := range inspectFacts(rep) {
		plainLine(w, kv[0], kv[1])
	}
	for _, a := range rep.Aux {
		plainLine(w, "aux", escapeBytes(a.Name), escapeBytes(a.Value))
	}
	for _, d := range rep.DBs {
		plainLine(w, "db", strconv.Itoa(d.DB), "keys="+i64(d.Keys), "expires="+i64(d.Expires),
			"expired="+i64(d.Expired), "bytes="+i64(d.Bytes))
	}
	for _, t := range rep.Types {
		plainLine(w, "type", t.Type, t.Encoding, t.RDBType, "count="+i64(t.Count), "bytes="+i64(t.Bytes), "elements="+i64(t.Elements))
	}
	for _, f := range rep.Functions {
		plainLine(w, "function", f.Name, "engine="+f.Engine, "bytes="+strconv.Itoa(f.Bytes))
	}
	for _, m := range rep.Modules {
		plainLine(w, "module", m.Name, "encver="+strconv.Itoa(m.EncVer), "keys="+i64(m.Keys), "bytes="+i64(m.Bytes), "aux="+i64(m.AuxRecords))
	}
	for i, k := range rep.Top {
		plainLine(w, "top", strconv.Itoa(i+1), "db="+strconv.Itoa(k.DB), quoteKey(k.Key), k.Type, k.RDBType,
			"bytes="+i64(k.Bytes), "elements="+i64(k.Elements))
	}
	return nil
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }

func renderInspectStyled(w io.Writer, s *styles, rep *inspectReport) error {
	var b strings.Builder
	b.WriteString(s.Title.Render(rep.File) + "\n")
	for _, kv := range inspectFacts(rep)[1:] {
		v := kv[1]
		switch {
		case kv[0] == "checksum" && rep.Checksum.Status == sumVerified:
			v = s.OK.Render(v)
		case kv[0] == "checksum" && rep.Checksum.Status == sumMismatch:
			v = s.Bad.Render(v)
		case kv[0] == "checksum":
			v = s.Warn.Render(v)
		case kv[0] == "findings" && rep.Findings.Errors > 0:
			v = s.Bad.Render(v)
		}
		b.WriteString(s.Label.Render(kv[0]) + v + "\n")
	}
	section := func(title string, headers []string, rows [][]string, numeric ...int) {
		if len(rows) == 0 {
			return
		}
		b.WriteString("\n" + s.Section.Render(title) + "\n")
		b.WriteString(s.table(headers, rows, numeric...) + "\n")
	}
	var rows [][]string
	for _, a := range rep.Aux {
		rows = append(rows, []string{escapeBytes(a.Name), escapeBytes(a.Value)})
	}
	section("AUX fields", []string{"name", "value"}, rows)
	rows = nil
	for _, d := range rep.DBs {
		rows = append(rows, []string{strconv.Itoa(d.DB), i64(d.Keys), i64(d.Expires), i64(d.Expired), humanBytes(d.Bytes)})
	}
	section("Databases", []string{"db", "keys", "expires", "expired", "bytes"}, rows, 0, 1, 2, 3, 4)
	rows = nil
	for _, t := range rep.Types {
		rows = append(rows, []string{t.Type, t.Encoding, t.RDBType, i64(t.Count), humanBytes(t.Bytes), i64(t.Elements)})
	}
	section("Types", []string{"type", "encoding", "rdb type", "keys", "bytes", "elements"}, rows, 3, 4, 5)
	rows = nil
	for _, f := range rep.Functions {
		rows = append(rows, []string{f.Name, f.Engine, strconv.Itoa(f.Bytes)})
	}
	section("Function libraries", []string{"library", "engine", "bytes"}, rows, 2)
	rows = nil
	for _, m := range rep.Modules {
		rows = append(rows, []string{m.Name, strconv.Itoa(m.EncVer), i64(m.Keys), humanBytes(m.Bytes), i64(m.AuxRecords)})
	}
	section("Module types", []string{"module type", "encver", "keys", "bytes", "aux records"}, rows, 1, 2, 3, 4)
	rows = nil
	for i, k := range rep.Top {
		rows = append(rows, []string{strconv.Itoa(i + 1), strconv.Itoa(k.DB), quoteKey(k.Key), k.Type, k.RDBType,
			humanBytes(k.Bytes), i64(k.Elements), expireText(&k)})
	}
	section("Biggest keys", []string{"#", "db", "key", "type", "rdb type", "bytes", "elements", "expire"}, rows, 0, 1, 5, 6)
	_, err := io.WriteString(w, b.String())
	return err
}

// newKeyFilter builds the --keys filter (rdbscan.KeyFilter, which convert
// shares) from the flags.
func newKeyFilter(o inspectOptions) (*rdbscan.KeyFilter, error) {
	f := &rdbscan.KeyFilter{NoCase: o.nocase}
	if o.match != "" {
		f.Match = []byte(o.match)
	}
	for _, d := range o.dbs {
		if d < 0 {
			return nil, usageErrorf("--db must be >= 0, got %d", d)
		}
		f.DBs = append(f.DBs, d)
	}
	var err error
	if f.MinBytes, f.MaxBytes, err = sizeBounds(o.minBytes, o.maxBytes); err != nil {
		return nil, err
	}
	kinds := map[string]rdbfile.Kind{}
	for k := rdbfile.KindString; k <= rdbfile.KindGCRA; k++ {
		kinds[k.String()] = k
	}
	rtypes := map[string]bool{"HASH_2": true}
	for t := 0; t < 64; t++ {
		if n := rdbfile.Type(t).String(); !strings.HasPrefix(n, "type(") {
			rtypes[n] = true
		}
	}
	for _, t := range o.types {
		t = strings.TrimSpace(t)
		if k, ok := kinds[strings.ToLower(t)]; ok {
			f.Kinds = append(f.Kinds, k)
			continue
		}
		if up := strings.ToUpper(t); rtypes[up] {
			f.TypeNames = append(f.TypeNames, up)
			continue
		}
		return nil, usageErrorf("unknown --type %q (want string, list, set, zset, hash, stream, module, array, gcra or an RDB type name such as HASH_LISTPACK)", t)
	}
	return f, nil
}

// sizeBounds parses --min-bytes and --max-bytes: sizes as redis.conf
// writes them (estimate.ParseBytes: 512, 4kb, 1mb); "" is no bound (0).
func sizeBounds(minText, maxText string) (lo, hi int64, err error) {
	for _, b := range []struct {
		flag, text string
		n          *int64
	}{{"min-bytes", minText, &lo}, {"max-bytes", maxText, &hi}} {
		if b.text == "" {
			continue
		}
		if *b.n, err = estimate.ParseBytes(b.text); err != nil {
			return 0, 0, usageErrorf("--%s: %v", b.flag, err)
		}
	}
	if hi > 0 && lo > hi {
		return 0, 0, usageErrorf("--min-bytes %d is above --max-bytes %d", lo, hi)
	}
	return lo, hi, nil
}

// inspectKeys streams the key list.
func inspectKeys(ctx context.Context, app *App, in *input, f *rdbscan.KeyFilter, jobs int, done func()) error {
	out := app.IO.Out
	mode := app.mode()
	now := app.Now().UnixMilli()
	if mode == modeStyled {
		s := newStyles(out, app.color())
		fmt.Fprintln(out, s.Header.UnsetPadding().Render("db\tkey\ttype\tencoding\trdb type\texpire\tbytes\telements"))
	}
	each := func(e *rdbfile.Entry) error {
		if e.Kind != rdbfile.EntryKey || !f.Want(e) {
			return nil
		}
		k := keyJSON(e.DB, e.Key, e.ValueKind, e.Encoding, e.TypeName, e.ExpireAt, e.Size, e.Len, e.Offset, now)
		if mode == modeJSON {
			return writeJSON(out, k)
		}
		_, err := fmt.Fprintf(out, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%d\n", k.DB, quoteKey(e.Key), k.Type, k.Encoding, k.RDBType,
			expireText(&k), k.Bytes, k.Elements)
		return err
	}
	res, err := app.scanRDB(ctx, in, false, jobs, nil, each)
	done()
	if err != nil {
		return err
	}
	if res.Header == nil || (res.Err != nil && !errors.Is(res.Err, rdbfile.ErrChecksum)) {
		return inspectFailed(app, in, res)
	}
	if res.Damaged() {
		fmt.Fprintf(app.IO.ErrOut, "rdbkit: %s is damaged (%s); run 'rdbkit verify %s' for every finding\n",
			in.Name, plural(res.NErrors+boolInt(res.Err != nil), "error"), in.Name)
		return errDamaged
	}
	return nil
}
