package cmd

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
	"github.com/rdbkit/rdbkit/release"
)

// verifyOptions are the flags of "rdbkit verify".
type verifyOptions struct {
	targets []string // --target names ("all" expands)
	config  string   // --config redis.conf for AOF appenddirname/appendfilename
	maxKeys int      // key names kept per compatibility problem
	strict  bool     // AOF: a torn last command is damage too (exit 3)
	// noDupCheck turns off the duplicate key check (16 MiB of memory, and 8
	// bytes of temporary disk a key past 2 Mi keys).
	noDupCheck bool
	jobs       int // --jobs: goroutines of the scan (addJobsFlag)
}

// maxFindingsKept is how many findings per file the reader keeps (and
// verify prints); the count of all findings is always reported.
const maxFindingsKept = 10000

func newVerifyCmd(app *App) *cobra.Command {
	var o verifyOptions
	names := make([]string, 0, 16)
	names = append(names, release.Names()...)
	c := &cobra.Command{
		Use:   "verify [flags] FILE...",
		Short: "Check RDB files and AOF sets completely: checksum, every value, every command",
		Long: `Verify reads each RDB file or AOF set to its end, decoding and checking every value
(lengths, blobs, listpacks, ziplists, intsets, streams, duplicates, ordering)
and the CRC-64 trailer, and reports every finding with its byte offset (decimal
and hex), the field being read, the key and its type, and a severity.

A file written with "rdbchecksum no" has an all-zero trailer: its checksum is
reported as not verified, as Redis does, which is not an error. Bytes after
the trailer are a warning. When a file is damaged, verify says up to which
offset its records are intact; rdbkit cannot repair RDB files yet.

A key stored twice in one database is an error: the server aborts while
loading such a file. Verify names the key and the offsets of its copies. The
check keeps a 64-bit hash of every key in 16 MiB of memory (2 million keys);
a file with more keys has them written to a temporary file in $TMPDIR (else
/tmp), 8 bytes per key (160 MB for 20 million keys), removed when verify
ends. Only when it finds a candidate does it read a regular file a second
time to confirm it; --no-dup-check turns it off. The RDB base or preamble of
an AOF set is checked the same way (a preamble keeps expired copies, so those
abort too).

For an AOF set, an incomplete command at the end of the last file is what a
crash or a full disk leaves; the server loads such a set by default
(aof-load-truncated yes) and drops it, so verify warns and says how many
bytes are dropped. --strict, or a --config that sets aof-load-truncated no,
makes it damage. A suggested repair says to stop the server first. Temporary
files left by killed rdbkit runs are named.

With --quiet and several inputs, verify prints one line per input that has a
problem, then a summary.

--target says whether a server release would load the file and, if not, which
version gate, types or opcodes stop it (naming the first keys); a target that
would not load it makes the exit status 3. Targets:
  ` + strings.Join(names, ", ") + `, or "all".

Inputs may be "-" (standard input) or gzip, zstd or Valkey LZ4 ("VCS")
compressed; offsets are then in the decompressed stream. --json writes JSON
Lines: "finding", "target" and "file" records per file and a final "summary"
(docs/json.md).` + exitStatusHelp +
			`  0    every file is intact (warnings allowed, e.g. checksum not verified,
       or an AOF set whose only damage is a torn last command: the server
       loads it with aof-load-truncated yes, the default, dropping it)
  1    runtime or I/O error (a file could not be read), and no file is damaged
  2    usage error
  3    at least one file is corrupt or cannot be loaded, or a --target
       server would not load it with its default configuration; a torn
       last AOF command too with --strict, or with a --config that sets
       aof-load-truncated no
  130  interrupted`,
		Example: `  rdbkit verify dump.rdb
  rdbkit verify --target valkey-8.0 --target redis-7.2 dump.rdb
  rdbkit verify --json backups/*.rdb.zst
  rdbkit verify /var/lib/redis/appendonlydir
  rdbkit verify --config /etc/redis/redis.conf /var/lib/redis`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			return runVerify(c.Context(), app, o, args)
		},
	}
	f := c.Flags()
	f.StringSliceVar(&o.targets, "target", nil, "server release to check loadability for (repeatable, comma-separated, or \"all\")")
	f.IntVar(&o.maxKeys, "max-keys", 10, "key names kept per compatibility problem")
	f.StringVar(&o.config, "config", "", "redis.conf/valkey.conf to read appenddirname, appendfilename and aof-load-truncated from (AOF inputs)")
	f.BoolVar(&o.strict, "strict", false, "AOF: count an incomplete last command as damage (exit 3), as a server with aof-load-truncated no does")
	f.BoolVar(&o.noDupCheck, "no-dup-check", false, "do not look for keys that appear twice in one database (saves 16 MiB of memory, and 8 bytes of temporary disk per key past 2 million keys)")
	addJobsFlag(c, &o.jobs)
	return c
}

// file statuses
const (
	statusIntact  = "intact"
	statusDamaged = "damaged"
	statusError   = "error"
)

// resolveTargets turns --target values into releases: names as
// release.Parse reads them ("redis-7.4", "valkey 9.0", "7.2"), or "all".
// An unknown name is a usage error.
func resolveTargets(names []string) ([]*release.Release, error) {
	var out []*release.Release
	seen := map[string]bool{}
	for _, n := range names {
		rs := release.All()
		if strings.ToLower(strings.TrimSpace(n)) != "all" {
			r, err := release.Parse(n)
			if err != nil {
				return nil, usageErrorf("unknown --target %q (known: %s, all)", n, strings.Join(release.Names(), ", "))
			}
			rs = []*release.Release{r}
		}
		for _, r := range rs {
			if !seen[r.Name] {
				seen[r.Name] = true
				out = append(out, r)
			}
		}
	}
	return out, nil
}

func runVerify(ctx context.Context, app *App, o verifyOptions, paths []string) error {
	targets, err := resolveTargets(o.targets)
	if err != nil {
		return err
	}
	if o.maxKeys < 0 {
		return usageErrorf("--max-keys must be >= 0")
	}
	if err := checkJobs(o.jobs); err != nil {
		return err
	}
	inputs := len(paths)
	oneLine := app.Quiet && inputs > 1
	v := &verifier{app: app, opts: o, targets: targets, mode: app.mode()}
	if v.mode == modeStyled {
		v.st = newStyles(app.IO.Out, app.color())
	}
	var aofCode, aofSets, aofBad, nRDB int
	var counts struct{ intact, damaged, failed, unloadable int }
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Each input is opened once: its kind decides the check.
		in, openErr := app.openInput(ctx, p)
		var ue *usageError
		if isContextErr(openErr) || errors.As(openErr, &ue) {
			return openErr
		}
		if openErr == nil && in.Kind.IsAOF() {
			code, err := runAOF(ctx, app, in, aofOptions{config: o.config, targets: targets, maxKeys: o.maxKeys, verify: true, strict: o.strict, noDups: o.noDupCheck, oneLine: oneLine && app.mode() != modeJSON})
			in.Close()
			if err != nil {
				return err
			}
			aofCode = max(aofCode, code)
			aofSets++
			if code != exitOK {
				aofBad++
			}
			continue
		}
		if nRDB > 0 && v.mode != modeJSON && !app.Quiet {
			fmt.Fprintln(app.IO.Out)
		}
		nRDB++
		rep, err := v.verifyFile(ctx, p, in, openErr)
		if isContextErr(err) {
			return err
		}
		if oneLine && v.mode != modeJSON {
			if l := quietLine(rep); l != "" {
				plainLine(app.IO.Out, rep.File, l)
			}
		} else if err := v.render(rep); err != nil {
			return err
		}
		if rep.Error != nil { // status error, or a damaged file whose duplicate check failed
			fmt.Fprintf(app.IO.ErrOut, "rdbkit: %v\n", rep.Error)
		}
		switch rep.Status {
		case statusIntact:
			counts.intact++
			if targetRefuses(rep) {
				counts.unloadable++
			}
		case statusDamaged:
			counts.damaged++
		default:
			counts.failed++
		}
	}
	if nRDB == 0 {
		if app.Quiet && aofSets > 1 && app.mode() != modeJSON {
			fmt.Fprintf(app.IO.Out, "summary:\t%d AOF sets: %d fine, %d damaged\n", aofSets, aofSets-aofBad, aofBad)
		}
		return aofExit(aofCode, nil)
	}
	code := exitOK
	if aofCode == exitCorrupt {
		code = exitCorrupt
	}
	switch {
	case counts.damaged > 0, counts.unloadable > 0:
		// Damaged, or intact but refused by a --target server with its
		// default configuration: either way the file will not load there.
		code = exitCorrupt
	case counts.failed > 0:
		code = exitError
	}
	if v.mode == modeJSON {
		if err := writeJSON(app.IO.Out, jsonVerifySummary{Type: "summary", Files: nRDB, Intact: counts.intact,
			Damaged: counts.damaged, Failed: counts.failed, ExitCode: code}); err != nil {
			return err
		}
	} else if inputs > 1 {
		if !oneLine {
			fmt.Fprintln(app.IO.Out)
		}
		fmt.Fprintf(app.IO.Out, "summary:\t%d files: %d intact, %d damaged, %d could not be read\n",
			inputs, counts.intact+aofSets-aofBad, counts.damaged+aofBad, counts.failed)
	}
	if code == exitOK {
		return nil
	}
	return &filesError{code: code, msg: fmt.Sprintf("%d damaged, %d unreadable", counts.damaged, counts.failed)}
}

type verifier struct {
	app     *App
	opts    verifyOptions
	targets []*release.Release
	mode    outputMode
	st      *styles
}

// verifyReport is everything found about one file.
type verifyReport struct {
	File     string
	In       *input // nil if the file could not be opened
	Res      *rdbscan.Result
	Status   string
	Error    error // the I/O or open error of statusError
	Findings []finding
	Verdicts []rdbscan.CompatVerdict
	Hint     string
	Keys     int64
	// Damage is why no server loads a damaged file, for the --target
	// verdicts ("" when the file is not damaged).
	Damage string
}

// verifyFile checks the RDB input in, opened from path, or reports why it
// could not be opened (err).
func (v *verifier) verifyFile(ctx context.Context, path string, in *input, err error) (*verifyReport, error) {
	rep := &verifyReport{File: path}
	if err != nil {
		var fe *inputFormatError
		var de *decompressError
		switch {
		case isContextErr(err):
			return rep, err
		case errors.As(err, &fe):
			rep.Status = statusDamaged
			rep.Findings = []finding{{Severity: "error", Fatal: true, Offset: fe.Offset, Field: "compression envelope", Message: fe.Msg}}
			rep.Hint = "the input is not a readable RDB file"
			rep.Verdicts = refuseAll(v.targets)
		case errors.As(err, &de):
			rep.Status = statusDamaged
			rep.Findings = []finding{{Severity: "error", Fatal: true, Field: de.Codec + " stream", Message: de.Error()}}
			rep.Hint = "the compressed data is damaged"
			rep.Verdicts = refuseAll(v.targets)
		default:
			rep.Status, rep.Error = statusError, err
		}
		return rep, nil
	}
	defer in.Close()
	rep.In = in
	done := v.app.startProgress(in, "verify")
	var compats []*rdbscan.Compat
	onHeader := func(h *rdbfile.Header) error {
		for _, t := range v.targets {
			compats = append(compats, rdbscan.NewCompat(t, h, v.opts.maxKeys))
		}
		return nil
	}
	each := func(e *rdbfile.Entry) error {
		for _, c := range compats {
			c.Add(e)
		}
		return nil
	}
	res, err := v.app.scanRDB(ctx, in, !v.opts.noDupCheck, v.opts.jobs, onHeader, each)
	done()
	rep.Res = res
	rep.Keys = res.Keys
	var de *decompressError
	var dupErr *rdbscan.DupTempError
	switch {
	case err == nil:
	case isContextErr(err):
		return rep, err
	case errors.As(err, &dupErr):
		// The duplicate check could not use its temporary file; the rest
		// of the file was checked.
		err = nil
	case errors.As(err, &de):
		if res.IntactUpTo < 0 || res.RecordStart < res.IntactUpTo {
			res.IntactUpTo = res.RecordStart
		}
	default:
		rep.Status, rep.Error = statusError, err
		rep.Findings = findingsOf(res, nil)
		return rep, nil
	}
	rep.Findings = append(findingsOf(res, err), dupFindings(res)...)
	for _, c := range compats {
		rep.Verdicts = append(rep.Verdicts, c.Verdict())
	}
	if compats == nil { // no readable header: every target refuses the file
		rep.Verdicts = refuseAll(v.targets)
	}
	if res.Damaged() || de != nil {
		rep.Status = statusDamaged
		rep.Hint = damageHint(in, res)
		rep.Damage = "the file is damaged (see the findings)"
	} else if dupBlocks(res) {
		rep.Status = statusDamaged
		rep.Hint = dupHint(res)
		rep.Damage = dupDamage(res)
	} else {
		rep.Status = statusIntact
	}
	if dupErr != nil {
		// Never "intact" without the duplicate check; damage found
		// otherwise stands.
		rep.Error = dupErr
		if rep.Status == statusIntact {
			rep.Status = statusError
			rep.Hint = "the duplicate key check needs 8 bytes of temporary disk per key: set TMPDIR to a directory with room, or skip the check with --no-dup-check"
		}
	}
	return rep, nil
}

// refuseAll is the verdict for an input without a readable RDB header.
func refuseAll(targets []*release.Release) []rdbscan.CompatVerdict {
	var out []rdbscan.CompatVerdict
	for _, t := range targets {
		out = append(out, rdbscan.CompatVerdict{Target: t, Status: rdbscan.CompatRefused})
	}
	return out
}

// damageHint tells what a damaged file means and how far it is intact.
func damageHint(in *input, res *rdbscan.Result) string {
	where := ""
	if in.Compressed() {
		where = " of the decompressed stream"
	}
	if errors.Is(res.Err, rdbfile.ErrChecksum) && res.NErrors == 0 {
		return "every record decodes but the CRC-64 does not match: some byte changed without breaking the structure " +
			"and cannot be located. A server refuses the file (unless started with rdbchecksum no, when it would load " +
			"possibly wrong values). rdbkit cannot repair RDB files yet."
	}
	if res.Header == nil {
		return "the file cannot be loaded: it does not start with a readable RDB header. rdbkit cannot repair RDB files yet."
	}
	return "the file cannot be loaded as is; records are intact up to offset " + offsetText(max(res.IntactUpTo, 0)) + where +
		". rdbkit cannot repair RDB files yet."
}

// verdictText is "will NOT load: RDB version 12 > 11 (...); also 3 keys use
// HASH_LISTPACK_EX (Redis 7.4+ only): "hash:a", "hash:b"".
func verdictText(v rdbscan.CompatVerdict, damaged bool, maxShown int) string {
	damage := ""
	if damaged {
		damage = "the file is damaged (see the findings)"
	}
	return verdictTextFor(v, damage, maxShown)
}

// verdictTextFor is verdictText with the reason a damaged file does not
// load ("" when it is not damaged).
func verdictTextFor(v rdbscan.CompatVerdict, damage string, maxShown int) string {
	var parts []string
	if damage != "" {
		parts = append(parts, damage)
	}
	for _, p := range v.Problems {
		s := p.Describe()
		if !p.Fatal && p.Condition != "" {
			s += " [needs " + p.Condition + "]"
		}
		if len(p.Keys) > 0 {
			ks := make([]string, 0, len(p.Keys))
			for i, k := range p.Keys {
				if i == maxShown {
					break
				}
				ks = append(ks, quoteKey(k))
			}
			if int64(len(ks)) < p.Records {
				ks = append(ks, "...")
			}
			s += ": " + strings.Join(ks, ", ")
		}
		parts = append(parts, s)
	}
	head := ""
	switch {
	case damage != "" || v.Status == rdbscan.CompatRefused:
		head = "will NOT load: "
	case v.Status == rdbscan.CompatConditional:
		head = "loads only with non-default settings: "
	default:
		return "loads"
	}
	return head + strings.Join(parts, "; also ")
}

// targetJSON is the "target" record of one verdict about file.
func targetJSON(file string, vd rdbscan.CompatVerdict, damaged bool, maxKeys int) jsonVerifyTarget {
	j := jsonVerifyTarget{Type: "target", File: file, Target: vd.Target.Name, Server: vd.Target.Server,
		Release: vd.Target.Line, MaxRDB: vd.Target.RDB, Status: verdictStatus(vd, damaged),
		Verdict: verdictText(vd, damaged, maxKeys), Problems: []jsonCompatIssue{}}
	for _, p := range vd.Problems {
		ji := jsonCompatIssue{Gate: p.Gate, Fatal: p.Fatal, Description: p.Describe(), Records: p.Records,
			Keys: []jsonBytes{}, KeysTruncated: int64(len(p.Keys)) < p.Records && p.Unit != "record", Offset: p.Offset}
		if p.Condition != "" {
			c := p.Condition
			ji.Condition = &c
		}
		for _, k := range p.Keys {
			ji.Keys = append(ji.Keys, jsonBytes(k))
		}
		j.Problems = append(j.Problems, ji)
	}
	return j
}

func verdictStatus(v rdbscan.CompatVerdict, damaged bool) string {
	if damaged {
		return rdbscan.CompatRefused.String()
	}
	return v.Status.String()
}

// JSON records of "rdbkit verify --json" (JSON Lines). Field names are
// pinned by TestJSONFieldNames.
type jsonVerifyFinding struct {
	Type      string     `json:"type"` // "finding"
	File      string     `json:"file"`
	Severity  string     `json:"severity"`
	Fatal     bool       `json:"fatal"`
	Offset    int64      `json:"offset"`
	OffsetHex string     `json:"offset_hex"`
	Field     string     `json:"field"`
	Key       *jsonBytes `json:"key"`
	KeyType   *string    `json:"key_type"`
	Message   string     `json:"message"`
}

type jsonVerifyTarget struct {
	Type     string            `json:"type"` // "target"
	File     string            `json:"file"`
	Target   string            `json:"target"`
	Server   string            `json:"server"`
	Release  string            `json:"release"`
	MaxRDB   int               `json:"max_rdb_version"`
	Status   string            `json:"status"`
	Verdict  string            `json:"verdict"`
	Problems []jsonCompatIssue `json:"problems"`
}

type jsonCompatIssue struct {
	Gate          string      `json:"gate"`
	Fatal         bool        `json:"fatal"`
	Condition     *string     `json:"condition"`
	Description   string      `json:"description"`
	Records       int64       `json:"records"`
	Keys          []jsonBytes `json:"keys"`
	KeysTruncated bool        `json:"keys_truncated"`
	Offset        int64       `json:"offset"`
}

type jsonVerifyFile struct {
	Type             string        `json:"type"` // "file"
	File             string        `json:"file"`
	Status           string        `json:"status"`
	Error            *string       `json:"error"`
	Compression      *string       `json:"compression"`
	Offsets          string        `json:"offsets"`
	FileSize         *int64        `json:"file_size"`
	Size             *int64        `json:"size"`
	Magic            *string       `json:"magic"`
	Version          *int          `json:"version"`
	Dialect          *string       `json:"dialect"`
	Checksum         *jsonChecksum `json:"checksum"`
	Records          int64         `json:"records"`
	Keys             int64         `json:"keys"`
	Errors           int           `json:"errors"`
	Warnings         int           `json:"warnings"`
	FindingsNotShown int           `json:"findings_not_shown"`
	TrailingBytes    int64         `json:"trailing_bytes"`
	IntactUpTo       *int64        `json:"intact_up_to"`
	DuplicateKeys    *int64        `json:"duplicate_keys"`
	Hint             *string       `json:"hint"`
}

type jsonVerifySummary struct {
	Type     string `json:"type"` // "summary"
	Files    int    `json:"files"`
	Intact   int    `json:"intact"`
	Damaged  int    `json:"damaged"`
	Failed   int    `json:"failed"`
	ExitCode int    `json:"exit_code"`
}

func (r *verifyReport) counts() (errs, warns, notShown int) {
	for _, f := range r.Findings {
		if f.Severity == "warning" {
			warns++
		} else {
			errs++
		}
	}
	if r.Res != nil {
		notShown = r.Res.NAll - len(r.Res.Findings)
		wk := warnsKept(r.Res)
		ek := len(r.Res.Findings) - wk
		errs += r.Res.NErrors - ek
		warns += r.Res.NAll - r.Res.NErrors - wk
	}
	return errs, warns, notShown
}

func warnsKept(res *rdbscan.Result) int {
	n := 0
	for _, f := range res.Findings {
		if f.Severity == rdbfile.SevWarning {
			n++
		}
	}
	return n
}

func (v *verifier) render(rep *verifyReport) error {
	switch v.mode {
	case modeJSON:
		return v.renderJSON(rep)
	default:
		return v.renderText(rep)
	}
}

func (v *verifier) renderJSON(rep *verifyReport) error {
	w := v.app.IO.Out
	for _, f := range rep.Findings {
		j := jsonVerifyFinding{Type: "finding", File: rep.File, Severity: f.Severity, Fatal: f.Fatal, Offset: f.Offset,
			OffsetHex: hexOff(f.Offset), Field: f.Field, Message: f.Message}
		if f.Key != nil {
			k := jsonBytes(f.Key)
			j.Key = &k
			if f.KeyType != "" {
				t := f.KeyType
				j.KeyType = &t
			}
		}
		if err := writeJSON(w, j); err != nil {
			return err
		}
	}
	damaged := rep.Status == statusDamaged
	for _, vd := range rep.Verdicts {
		j := targetJSON(rep.File, vd, damaged, v.opts.maxKeys)
		j.Verdict = verdictTextFor(vd, rep.Damage, v.opts.maxKeys)
		if err := writeJSON(w, j); err != nil {
			return err
		}
	}
	errs, warns, notShown := rep.counts()
	j := jsonVerifyFile{Type: "file", File: rep.File, Status: rep.Status, Offsets: "file", Errors: errs, Warnings: warns,
		FindingsNotShown: notShown, Keys: rep.Keys}
	if rep.Error != nil {
		s := rep.Error.Error()
		j.Error = &s
	}
	if rep.In != nil {
		c := rep.In.Compression
		j.Compression = &c
		if rep.In.Compressed() {
			j.Offsets = "decompressed"
		}
		if rep.In.FileSize >= 0 {
			fs := rep.In.FileSize
			j.FileSize = &fs
		}
	}
	if res := rep.Res; res != nil {
		size := res.Size
		j.Size = &size
		j.Records, j.TrailingBytes = res.Records, res.Trailing
		if res.Header != nil {
			m, ver, d := res.Header.Magic, res.Header.Version, res.Header.Dialect.String()
			j.Magic, j.Version, j.Dialect = &m, &ver, &d
		}
		cs := checksumJSON(res)
		j.Checksum = &cs
		if rep.Status == statusDamaged && res.IntactUpTo >= 0 {
			off := res.IntactUpTo
			j.IntactUpTo = &off
		}
		var dupErr *rdbscan.DupTempError
		j.DuplicateKeys = dupCount(res, !v.opts.noDupCheck && !errors.As(rep.Error, &dupErr))
	}
	if rep.Hint != "" {
		h := rep.Hint
		j.Hint = &h
	}
	return writeJSON(w, j)
}

func (v *verifier) renderText(rep *verifyReport) error {
	w := v.app.IO.Out
	st := v.st
	quiet := v.app.Quiet
	line := func(label, value string) {
		if st != nil {
			fmt.Fprintln(w, "  "+st.Label.Render(label)+value)
			return
		}
		plainLine(w, label, value)
	}
	if quiet && rep.Status == statusIntact && !verdictsNeedAttention(rep) {
		return nil
	}
	if st != nil {
		fmt.Fprintln(w, st.Title.Render(rep.File))
	} else {
		plainLine(w, "file", rep.File)
	}
	res := rep.Res
	if !quiet {
		if rep.In != nil {
			line("compression", compressionText(rep.In))
		}
		if res != nil && res.Header != nil {
			line("format", formatText(res.Header))
		}
		if res != nil && res.Header != nil {
			line("size", sizeText(rep.In))
			if r := readText(rep.In, res); r != "" {
				line("read", r)
			}
			line("records", strconv.FormatInt(res.Records, 10)+" ("+strconv.FormatInt(res.Keys, 10)+" keys)")
			cs := checksumText(res)
			if st != nil {
				switch checksumStatus(res) {
				case sumVerified:
					cs = st.OK.Render(cs)
				case sumMismatch:
					cs = st.Bad.Render(cs)
				default:
					cs = st.Warn.Render(cs)
				}
			}
			line("checksum", cs)
		}
	}
	for _, f := range rep.Findings {
		key, typ := "-", "-"
		if f.Key != nil {
			key = quoteKey(f.Key)
		}
		if f.KeyType != "" {
			typ = f.KeyType
		}
		if st != nil {
			sev := st.Warn.Render(f.Severity)
			if f.Severity == "error" {
				sev = st.Bad.Render(f.Severity)
			}
			where := "offset " + offsetText(f.Offset) + " reading " + f.Field
			if f.Key != nil {
				where += " in key " + key + " (" + typ + ")"
			}
			fmt.Fprintln(w, "  "+sev+" "+st.Dim.Render(where)+": "+f.Message)
			continue
		}
		plainLine(w, "finding", rep.File, f.Severity, "offset "+offsetText(f.Offset), f.Field, key, typ, f.Message)
	}
	if _, _, notShown := rep.counts(); notShown > 0 {
		line("finding", fmt.Sprintf("... %d more findings were not kept (the reader keeps %d)", notShown, maxFindingsKept))
	}
	damaged := rep.Status == statusDamaged
	for _, vd := range rep.Verdicts {
		text := verdictTextFor(vd, rep.Damage, 5)
		if st != nil {
			switch verdictStatus(vd, damaged) {
			case "loads":
				text = st.OK.Render(text)
			case "conditional":
				text = st.Warn.Render(text)
			default:
				text = st.Bad.Render(text)
			}
			line("target", vd.Target.Name+": "+text)
			continue
		}
		plainLine(w, "target", vd.Target.Name+": "+text)
	}
	errs, warns, _ := rep.counts()
	status := ""
	switch rep.Status {
	case statusIntact:
		status = "intact"
		if targetRefuses(rep) {
			status += ", but NOT loadable by every --target (see above)"
		}
		if warns > 0 {
			status += " (" + plural(warns, "warning") + ")"
		}
		if res != nil && checksumStatus(res) == sumDisabled {
			status += ", checksum not verified"
		}
		if st != nil {
			status = st.OK.Render(status)
		}
	case statusDamaged:
		status = "DAMAGED: " + plural(errs, "error") + ", " + plural(warns, "warning")
		if st != nil {
			status = st.Bad.Render(status)
		}
	default:
		status = "ERROR: " + rep.Error.Error()
		if st != nil {
			status = st.Bad.Render(status)
		}
	}
	line("status", status)
	if rep.Hint != "" {
		line("hint", rep.Hint)
	}
	return nil
}

// quietLine is the one line verify --quiet prints for a file among
// several: "" for an intact file every --target loads.
func quietLine(rep *verifyReport) string {
	errs, warns, _ := rep.counts()
	switch rep.Status {
	case statusIntact:
		if targetRefuses(rep) {
			return "intact, but NOT loadable by every --target"
		}
		return ""
	case statusDamaged:
		l := "DAMAGED: " + plural(errs, "error") + ", " + plural(warns, "warning")
		for _, f := range rep.Findings {
			if f.Severity == "error" {
				l += "; first at offset " + offsetText(f.Offset) + ": " + f.Message
				break
			}
		}
		return l
	}
	return "ERROR: " + rep.Error.Error()
}

// targetRefuses reports whether a requested --target would not load the file
// with its default configuration (refused, or only with non-default settings).
func targetRefuses(rep *verifyReport) bool {
	for _, v := range rep.Verdicts {
		if v.Status != rdbscan.CompatLoads {
			return true
		}
	}
	return false
}

func verdictsNeedAttention(rep *verifyReport) bool {
	for _, v := range rep.Verdicts {
		if v.Status != rdbscan.CompatLoads {
			return true
		}
	}
	return false
}
