package cmd

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/spf13/cobra"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/estimate"
	"github.com/rdbkit/rdbkit/internal/atomicfile"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/release"
)

// convertOptions are the flags of "rdbkit convert".
type convertOptions struct {
	output        string
	target        string
	compress      string // "", gzip, zstd
	noVerify      bool
	noCompression bool // rdbcompression no
	noChecksum    bool // rdbchecksum no
	noRaw         bool
	policies      map[string]*string
	dbs           []int
	dbMap         []string
	match         string
	types         []string
	expired       string
	maxKeys       int
	minBytes      string // --min-bytes, --max-bytes: bounds of a key's serialized size
	maxBytes      string
	config        string // --config redis.conf: encoding limits of the target
}

// policyFlags are the loss cases with a fail|drop policy, by flag name.
var policyFlags = []struct{ flag, cat, help string }{
	{"field-ttl", convert.LossFieldTTL, "hash field TTLs on a target without them"},
	{"stream-meta", convert.LossStreamMeta, "stream metadata the target's stream type lacks (entries-added, max-deleted-id, entries-read, active-time, IDMP, NACK zone)"},
	{"functions", convert.LossFunctions, "function libraries on a target before RDB 10"},
	{"modules", convert.LossModules, "module values and module aux records on a target without them (drop: on every target, for a server without the module)"},
	{"types", convert.LossTypes, "keys of a type the target lacks (arrays, GCRA; streams before RDB 9; expires after 2038 before RDB 3)"},
	{"slot-info", convert.LossSlotInfo, "cluster slot info and Valkey slot-import records"},
	{"key-meta", convert.LossKeyMeta, "Redis 8.6 key metadata (KEY_META)"},
}

func newConvertCmd(app *App) *cobra.Command {
	o := convertOptions{policies: map[string]*string{}}
	names := release.Names()
	c := &cobra.Command{
		Use:   "convert [flags] IN -o OUT --target NAME",
		Short: "Convert an RDB file to another RDB version or dialect, nothing lost silently",
		Long: `Convert writes IN as an RDB file that the --target server loads: another RDB
version (downgrade or upgrade) or the other dialect (Redis <-> Valkey). Records
the target reads with the same meaning are copied byte for byte; other keys are
re-encoded as the target server would save them (its default listpack, intset
and quicklist limits). Converting a file to its own version without filters
gives the same bytes.

What the target cannot hold is decided by one policy flag per case, each
"fail" (default: write nothing, list every blocking key, exit 3) or "drop"
(leave it out and report it). Every loss is reported whatever the policy.

Targets: ` + strings.Join(names, ", ") + `, or "rdb-N" (Redis RDB
version N, 1..15) and "valkey-rdb-80".

Filters: --db (repeatable), --db-map SRC:DST, --match GLOB, --type, --expired
drop (keys already expired at --now, as a primary drops them when it loads),
--min-bytes and --max-bytes (a key's serialized size in IN, the bytes column
of 'inspect --keys', which shares these filters).

--config redis.conf takes the encoding limits of re-encoded keys from a
server's configuration file instead of the release's defaults: hash-, zset-
and set-max-listpack-entries/-value, set-max-intset-entries,
list-max-listpack-size, list-compress-depth, stream-node-max-bytes/-entries
(and their *-ziplist-* aliases); other directives are ignored. Keys copied
byte for byte keep their encoding (the server converts an oversized listpack
when it loads it); --reencode applies the limits to every key.

The output never replaces IN: it is written to a temporary file next to OUT,
synced, re-read by the verifier (unless --no-verify) and renamed. "-o -"
writes to standard output. --compress gzip|zstd compresses the output. IN may
be "-", gzip, zstd or Valkey LZ4 ("VCS") compressed. --json writes one
"convert" record (docs/json.md).` + exitStatusHelp +
			`  0    converted
  1    runtime or I/O error
  2    usage error
  3    the input is corrupt, or a "fail" policy met data the target cannot hold
       (nothing written; the report lists every blocking key)
  130  interrupted`,
		Example: `  rdbkit convert dump.rdb -o dump-7.2.rdb --target redis-7.2
  rdbkit convert dump.rdb -o old.rdb --target rdb-9 --field-ttl drop --stream-meta drop
  rdbkit convert valkey.rdb -o redis.rdb --target redis-7.4
  rdbkit convert dump.rdb.zst -o - --target valkey-8.0 --db 0 --match 'user:*' | gzip > part.rdb.gz`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runConvert(c.Context(), app, o, args[0])
		},
	}
	f := c.Flags()
	f.StringVarP(&o.output, "output", "o", "", "output file (\"-\" for standard output); required")
	f.StringVar(&o.target, "target", "", "target server release or RDB version (see above); required")
	f.StringVar(&o.compress, "compress", "", "compress the output: gzip or zstd")
	f.BoolVar(&o.noVerify, "no-verify", false, "do not re-read the output before renaming it into place")
	f.BoolVar(&o.noCompression, "no-lzf", false, "write strings without LZF compression (as rdbcompression no)")
	f.BoolVar(&o.noChecksum, "no-checksum", false, "write an all-zero CRC-64 trailer (as rdbchecksum no)")
	f.BoolVar(&o.noRaw, "reencode", false, "re-encode every key, even those that could be copied byte for byte")
	for _, p := range policyFlags {
		v := "fail"
		o.policies[p.flag] = &v
		f.StringVar(o.policies[p.flag], p.flag, "fail", "fail|drop: "+p.help)
	}
	f.IntSliceVar(&o.dbs, "db", nil, "keep only this database (repeatable)")
	f.StringSliceVar(&o.dbMap, "db-map", nil, "write database SRC as DST (SRC:DST, repeatable)")
	f.StringVar(&o.match, "match", "", "keep only keys matching this glob (Redis KEYS syntax)")
	f.StringSliceVar(&o.types, "type", nil, "keep only keys of these types (string, list, set, zset, hash, stream, module, array)")
	f.StringVar(&o.expired, "expired", "keep", "keep|drop keys already expired at --now")
	f.IntVar(&o.maxKeys, "max-keys", 20, "keys named per loss category in the report")
	f.StringVar(&o.minBytes, "min-bytes", "", "keep only keys whose serialized size is at least this (512, 4kb, 1mb)")
	f.StringVar(&o.maxBytes, "max-bytes", "", "keep only keys whose serialized size is at most this")
	f.StringVar(&o.config, "config", "", "redis.conf/valkey.conf to take the listpack, intset and quicklist limits of re-encoded keys from")
	addNowFlag(c, app) // for --expired drop
	return c
}

// targetOptions resolves --target: a release of the release table (its
// RDB version, magic and default encoding limits), or "rdb-N" (Redis RDB
// version N with the default limits of the servers that write it) or
// "valkey-rdb-80".
func targetOptions(name string) (rdbfile.WriterOptions, string, error) {
	n := strings.ToLower(strings.TrimSpace(name))
	if n == "valkey-rdb-80" {
		return rdbfile.WriterOptions{Dialect: rdbfile.DialectValkey, Version: 80}, n, nil
	}
	if s, ok := strings.CutPrefix(n, "rdb-"); ok {
		if v, err := strconv.Atoi(s); err == nil && v >= 1 && v <= 15 {
			return rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: v}, n, nil
		}
	}
	r, err := release.Parse(n)
	if err != nil {
		return rdbfile.WriterOptions{}, "", usageErrorf("unknown --target %q (known: %s, rdb-1..rdb-15, valkey-rdb-80)", name, strings.Join(release.Names(), ", "))
	}
	return rdbfile.ReleaseOptions(r), r.Name, nil
}

func (o *convertOptions) library(app *App) (*convert.Options, error) {
	co := &convert.Options{MaxNamed: o.maxKeys, NoRaw: o.noRaw}
	set := map[string]*convert.Policy{
		"field-ttl": &co.FieldTTL, "stream-meta": &co.StreamMeta, "functions": &co.Functions, "modules": &co.Modules,
		"types": &co.Types, "slot-info": &co.SlotInfo, "key-meta": &co.KeyMeta,
	}
	for flag, v := range o.policies {
		switch *v {
		case "fail":
			*set[flag] = convert.Fail
		case "drop":
			*set[flag] = convert.Drop
		default:
			return nil, usageErrorf("--%s must be fail or drop, not %q", flag, *v)
		}
	}
	if o.dbs != nil {
		co.DBs = o.dbs
	}
	for _, m := range o.dbMap {
		a, b, ok := strings.Cut(m, ":")
		src, err1 := strconv.Atoi(a)
		dst, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || src < 0 || dst < 0 {
			return nil, usageErrorf("--db-map wants SRC:DST database numbers, not %q", m)
		}
		if co.DBMap == nil {
			co.DBMap = map[int]int{}
		}
		co.DBMap[src] = dst
	}
	if o.match != "" {
		co.Match = []byte(o.match)
	}
	var err error
	if co.MinBytes, co.MaxBytes, err = sizeBounds(o.minBytes, o.maxBytes); err != nil {
		return nil, err
	}
	for _, t := range o.types {
		k, ok := kindByName[strings.ToLower(t)]
		if !ok {
			return nil, usageErrorf("unknown --type %q", t)
		}
		co.Kinds = append(co.Kinds, k)
	}
	switch o.expired {
	case "keep":
	case "drop":
		co.Expired, co.Now = true, app.Now().UnixMilli()
	default:
		return nil, usageErrorf("--expired must be keep or drop, not %q", o.expired)
	}
	return co, nil
}

var kindByName = map[string]rdbfile.Kind{"string": rdbfile.KindString, "list": rdbfile.KindList, "set": rdbfile.KindSet,
	"zset": rdbfile.KindZSet, "hash": rdbfile.KindHash, "stream": rdbfile.KindStream, "module": rdbfile.KindModule,
	"array": rdbfile.KindArray, "gcra": rdbfile.KindGCRA}

func runConvert(ctx context.Context, app *App, o convertOptions, inPath string) error {
	if o.output == "" {
		return usageErrorf("-o/--output is required")
	}
	if o.target == "" {
		return usageErrorf("--target is required")
	}
	tgt, tname, err := targetOptions(o.target)
	if err != nil {
		return err
	}
	tgt.NoCompression, tgt.NoChecksum = o.noCompression, o.noChecksum
	if o.config != "" {
		if tgt.Limits, err = configLimits(o.config, tgt); err != nil {
			return err
		}
	}
	if o.compress != "" && o.compress != compGzip && o.compress != compZstd {
		return usageErrorf("--compress must be gzip or zstd, not %q", o.compress)
	}
	co, err := o.library(app)
	if err != nil {
		return err
	}
	if o.output != "-" && inPath != "-" && sameFile(inPath, o.output) {
		return usageErrorf("the output %q is the input: convert never writes over its input", o.output)
	}
	in, err := app.openInput(ctx, inPath)
	if err != nil {
		return err
	}
	defer in.Close()

	var dst io.Writer
	var tmp *atomicfile.File
	if o.output == "-" {
		dst = app.IO.Out
	} else {
		if tmp, err = atomicfile.Create(o.output); err != nil {
			return err
		}
		defer tmp.Abort()
		dst = tmp
	}
	// The SHA-256 of the output and its write system calls run on their
	// own goroutine, beside the conversion.
	sum := sha256.New()
	ao := newAsyncOut(dst, sum)
	defer ao.Close()
	var out io.Writer = ao
	var closeComp func() error
	switch o.compress {
	case compGzip:
		zw := gzip.NewWriter(out)
		out, closeComp = zw, zw.Close
	case compZstd:
		zw, err := zstd.NewWriter(out, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return err
		}
		out, closeComp = zw, zw.Close
	}
	done := app.startProgress(in, "convert")
	r := rdbfile.NewReader(in.R, &rdbfile.Options{Size: in.Size})
	w := rdbfile.NewWriter(out, &tgt)
	rep, cerr := convert.Convert(r, w, co)
	done()
	if errors.Is(cerr, convert.ErrBlocked) {
		if err := renderConvert(app, o, tname, inPath, rep, "", false); err != nil {
			return err
		}
		// A fail policy met data the target cannot hold: exit 3, as verify
		// --target does for a file the target would not load.
		return &filesError{code: exitCorrupt, msg: "the target cannot hold some of the data: nothing written"}
	}
	if cerr != nil {
		return cerr
	}
	if closeComp != nil {
		if err := closeComp(); err != nil {
			return err
		}
	}
	if err := ao.Close(); err != nil {
		return err
	}
	verified := false
	if tmp != nil {
		if err := tmp.Sync(); err != nil {
			return err
		}
		if !o.noVerify {
			if err := verifyOutput(ctx, app, tmp.Name()); err != nil {
				return err
			}
			verified = true
		}
		if err := tmp.Commit(); err != nil {
			return err
		}
	}
	return renderConvert(app, o, tname, inPath, rep, hex.EncodeToString(sum.Sum(nil)), verified)
}

// sameFile reports whether a and b name the same file (b may not exist).
func sameFile(a, b string) bool {
	sa, err1 := os.Stat(a)
	sb, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(sa, sb)
	}
	aa, _ := filepath.Abs(a)
	ab, _ := filepath.Abs(b)
	return aa == ab
}

// verifyOutput re-reads the written file completely (every value and the
// checksum) and refuses it if anything is wrong: the output is never
// renamed into place unless it reads back clean.
func verifyOutput(ctx context.Context, app *App, path string) error {
	in, err := app.openInput(ctx, path)
	if err != nil {
		return err
	}
	defer in.Close()
	res, err := app.scanRDB(ctx, in, true, defaultJobs, nil, nil)
	if err != nil {
		return err
	}
	if res.Damaged() {
		e := res.Err
		if e == nil && len(res.Findings) > 0 {
			e = res.Findings[0].Err
		}
		return fmt.Errorf("the converted output does not read back clean (kept nothing): %v", e)
	}
	return nil
}

// jsonConvert is the "convert" JSON record (docs/json.md).
type jsonConvert struct {
	Type         string           `json:"type"`
	Input        string           `json:"input"`
	Output       string           `json:"output"`
	Target       string           `json:"target"`
	Written      bool             `json:"written"`
	KeysRead     int64            `json:"keys_read"`
	KeysWritten  int64            `json:"keys_written"`
	KeysFiltered int64            `json:"keys_filtered"`
	KeysRaw      int64            `json:"keys_copied_raw"`
	KeysReenc    int64            `json:"keys_reencoded"`
	BytesRead    int64            `json:"bytes_read"`
	BytesWritten int64            `json:"bytes_written"`
	Reencoded    map[string]int64 `json:"reencoded_by_type"`
	Losses       []jsonLoss       `json:"losses"`
	OutputSHA256 *string          `json:"output_sha256"`
	Verified     bool             `json:"verified"`
}

type jsonLoss struct {
	Category string      `json:"category"`
	Policy   string      `json:"policy"`
	Count    int64       `json:"count"`
	Keys     []jsonBytes `json:"keys"`
}

func renderConvert(app *App, o convertOptions, tname, inPath string, rep *convert.Report, crc string, verified bool) error {
	written := !rep.Blocked
	if app.JSON {
		j := jsonConvert{Type: "convert", Input: inPath, Output: o.output, Target: tname, Written: written,
			KeysRead: rep.KeysRead, KeysWritten: rep.KeysWritten, KeysFiltered: rep.KeysFiltered, KeysRaw: rep.Raw,
			KeysReenc: rep.Reencoded, BytesRead: rep.BytesRead, BytesWritten: rep.BytesWritten, Reencoded: rep.Encodings,
			Losses: []jsonLoss{}, Verified: verified}
		if crc != "" {
			j.OutputSHA256 = &crc
		}
		for _, l := range rep.Losses {
			jl := jsonLoss{Category: l.Category, Policy: l.Policy.String(), Count: l.Count, Keys: []jsonBytes{}}
			for _, k := range l.Keys {
				jl.Keys = append(jl.Keys, jsonBytes(k))
			}
			j.Losses = append(j.Losses, jl)
		}
		return writeJSON(app.IO.Out, j)
	}
	w := app.IO.ErrOut // the output may be standard output
	if o.output != "-" {
		w = app.IO.Out
	}
	if app.Quiet && written && len(rep.Losses) == 0 {
		return nil
	}
	fmt.Fprintf(w, "input:\t%s\n", inPath)
	fmt.Fprintf(w, "target:\t%s\n", tname)
	if written {
		fmt.Fprintf(w, "output:\t%s (%d bytes, sha256 %s, %s)\n", o.output, rep.BytesWritten, crc,
			map[bool]string{true: "verified", false: "not verified"}[verified])
	} else {
		fmt.Fprintf(w, "output:\tnothing written: the target cannot hold what is listed below (use the drop policies to leave it out)\n")
	}
	fmt.Fprintf(w, "keys:\t%d read, %d written (%d copied byte for byte, %d re-encoded), %d filtered out\n",
		rep.KeysRead, rep.KeysWritten, rep.Raw, rep.Reencoded, rep.KeysFiltered)
	if len(rep.Encodings) > 0 {
		var parts []string
		for t, n := range rep.Encodings {
			parts = append(parts, t+" "+strconv.FormatInt(n, 10))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "re-encoded:\t%s\n", strings.Join(parts, ", "))
	}
	for _, l := range rep.Losses {
		var ks []string
		for _, k := range l.Keys {
			ks = append(ks, quoteKey(k))
		}
		more := ""
		if int64(len(l.Keys)) < l.Count {
			more = ", ..."
		}
		fmt.Fprintf(w, "lost %s:\t%d (policy %s): %s%s\n", l.Category, l.Count, l.Policy, strings.Join(ks, ", "), more)
	}
	return nil
}

// configLimits returns the encoding limits of target tgt (its release's
// defaults, else rdbfile.DefaultLimits) as the redis.conf at path changes
// them (the last occurrence of a directive wins, as in the server).
// Sizes in bytes take redis.conf units (estimate.ParseBytes); entry counts
// are plain numbers, list-max-listpack-size may be negative.
func configLimits(path string, tgt rdbfile.WriterOptions) (*rdbfile.Limits, error) {
	lim := rdbfile.DefaultLimits(tgt.Dialect, tgt.Version)
	if tgt.Limits != nil {
		lim = *tgt.Limits
	}
	err := manifest.ConfigDirectives(path, func(line int, argv []string) error {
		name := strings.ToLower(argv[0])
		if probe := lim; !probe.Set(name, 0) {
			return nil // not an encoding limit
		}
		bad := func(want string) error {
			return usageErrorf("--config %s:%d: %s takes %s, not %q", path, line, argv[0], want, strings.Join(argv[1:], " "))
		}
		if len(argv) != 2 {
			return bad("one value")
		}
		var n int64
		var err error
		switch {
		case strings.HasSuffix(name, "-value") || strings.HasSuffix(name, "-bytes"):
			if n, err = estimate.ParseBytes(argv[1]); err != nil || n > math.MaxInt32 {
				return bad("a size in bytes")
			}
		case name == "list-max-listpack-size" || name == "list-max-ziplist-size":
			if n, err = strconv.ParseInt(argv[1], 10, 32); err != nil {
				return bad("a number")
			}
		default:
			if n, err = strconv.ParseInt(argv[1], 10, 32); err != nil || n < 0 {
				return bad("a number >= 0")
			}
		}
		lim.Set(name, int(n))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &lim, nil
}
