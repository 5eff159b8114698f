package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
	"github.com/rdbkit/rdbkit/release"
	"github.com/rdbkit/rdbkit/repair"
)

// jsonAOFFile is the "aof_file" JSON record of inspect and verify.
type jsonAOFFile struct {
	Type        string           `json:"type"`
	Name        string           `json:"name"`
	Kind        string           `json:"kind"` // base, incr, legacy
	Content     string           `json:"content"`
	Size        int64            `json:"size"`
	Status      string           `json:"status"`
	OKUpTo      int64            `json:"ok_up_to"`
	OKUpToLine  int64            `json:"ok_up_to_line"`
	Commands    int64            `json:"commands"`
	Annotations int64            `json:"annotations"`
	TopCommands []jsonCmdCount   `json:"top_commands"`
	DBs         []int            `json:"dbs"`
	FirstTS     *string          `json:"first_ts"`
	LastTS      *string          `json:"last_ts"`
	MultiBlocks int64            `json:"multi_blocks"`
	RDB         *jsonAOFRDB      `json:"rdb"`
	Error       string           `json:"error,omitempty"`
	ErrorOffset *int64           `json:"error_offset,omitempty"`
	Issues      []jsonAOFIssue   `json:"command_issues,omitempty"`
	IssueCount  int64            `json:"command_issue_count"`
	Counts      map[string]int64 `json:"command_counts"`
}

type jsonCmdCount struct {
	Name  string `json:"name"`
	Count int64  `json:"count"`
}

type jsonAOFRDB struct {
	Version  int    `json:"version"`
	Keys     int64  `json:"keys"`
	End      int64  `json:"end"`
	Checksum string `json:"checksum"`
	Errors   int    `json:"errors"`
}

type jsonAOFIssue struct {
	Offset  int64  `json:"offset"`
	Message string `json:"message"`
}

// jsonAOFSet is the "aof_set" JSON record: the manifest and its findings.
type jsonAOFSet struct {
	Type     string   `json:"type"`
	Path     string   `json:"path"`
	Dir      string   `json:"dir"`
	Manifest string   `json:"manifest"`
	Legacy   bool     `json:"legacy"`
	Base     string   `json:"base"`
	Incrs    []string `json:"incrs"`
	History  []string `json:"history"`
	Findings []string `json:"findings"`
	Status   string   `json:"status"`
	// Warnings say what the server does with a set it loads anyway (a
	// torn last command) and name leftovers of killed rdbkit runs.
	Warnings []string `json:"warnings"`
	// Dropped is the bytes a server started with aof-load-truncated yes
	// drops at the end of the last file (status "truncated"), else 0.
	Dropped   int64    `json:"dropped_bytes"`
	Leftovers []string `json:"leftovers"`
	Suggest   string   `json:"suggest,omitempty"`
	ExitCode  int      `json:"exit_code"`
}

// statusTruncated: the set's only damage is a torn last command, which the
// server drops at load by default (aof-load-truncated yes).
const statusTruncated = "truncated"

// aofOptions are what inspect and verify ask of runAOF.
type aofOptions struct {
	config  string
	targets []*release.Release // --target: say whether each would load the set
	maxKeys int                // key names kept per target problem
	verify  bool               // verify (suggests repairs) rather than inspect
	strict  bool               // a torn last command is damage (exit 3)
	oneLine bool               // --quiet with several inputs: one line per set with a problem
	noDups  bool               // --no-dup-check: no duplicate key check of the RDB base or preamble
}

func fileKind(set *manifest.Set, f *manifest.File) string {
	if set.Legacy {
		return "legacy"
	}
	return f.Type.String()
}

func tsJSON(ts int64) *string {
	if ts == aoffile.NoTimestamp {
		return nil
	}
	v := msTime(ts * 1000)
	return &v
}

func aofFileJSON(set *manifest.Set, fs *repair.FileScan) jsonAOFFile {
	j := jsonAOFFile{Type: "aof_file", Name: fs.File.Name, Kind: fileKind(set, fs.File), Content: fs.File.Content.String(),
		Size: fs.File.Size, Status: statusIntact, OKUpTo: fs.OKUpTo.Offset, OKUpToLine: fs.OKUpTo.Line,
		Commands: fs.Commands, Annotations: fs.Annotations, DBs: fs.DBs, FirstTS: tsJSON(fs.FirstTS), LastTS: tsJSON(fs.LastTS),
		MultiBlocks: fs.MultiBlocks, IssueCount: fs.IssueCount, Counts: fs.CommandCounts}
	if j.DBs == nil {
		j.DBs = []int{}
	}
	for n, c := range fs.CommandCounts {
		j.TopCommands = append(j.TopCommands, jsonCmdCount{n, c})
	}
	sort.Slice(j.TopCommands, func(a, b int) bool {
		x, y := j.TopCommands[a], j.TopCommands[b]
		return x.Count > y.Count || (x.Count == y.Count && x.Name < y.Name)
	})
	j.TopCommands = j.TopCommands[:min(len(j.TopCommands), 10)]
	if fs.RDB != nil {
		r := &jsonAOFRDB{Keys: fs.RDB.Keys, End: fs.RDB.End, Checksum: rdbChecksumText(fs.RDB.Checksum), Errors: fs.RDB.NErrors}
		if fs.RDB.Header != nil {
			r.Version = fs.RDB.Header.Version
		}
		j.RDB = r
	}
	if fs.Err != nil {
		j.Status = statusDamaged
		j.Error = fs.Err.Error()
		var se *aoffile.SyntaxError
		if errors.As(fs.Err, &se) {
			j.ErrorOffset = &se.Offset
		} else if ce := asRDBCorrupt(fs.Err); ce != nil {
			j.ErrorOffset = &ce.Offset
		}
	}
	if fs.IssueCount > 0 {
		j.Status = statusDamaged
	}
	for _, is := range fs.Issues {
		j.Issues = append(j.Issues, jsonAOFIssue{Offset: is.Offset, Message: is.Err.Error()})
	}
	return j
}

// stopFirst starts every suggested repair: a server still running on the
// set keeps appending to the files a repair cuts.
const stopFirst = "stop the server first, then: "

// aofSuggest is the exact repair command for a damaged set, or "".
func aofSuggest(path string, s *repair.Scan) string {
	if len(s.Set.Errors()) > 0 {
		return ""
	}
	files := s.Files
	for i, fs := range files {
		if fs.RDBDamaged() {
			return ""
		}
		var se *aoffile.SyntaxError
		if !errors.As(fs.Err, &se) {
			continue
		}
		q := shellQuote(path)
		if i == len(files)-1 && errors.Is(se.Err, aoffile.ErrTruncated) {
			return stopFirst + "rdbkit repair --yes " + q
		}
		return stopFirst + "rdbkit repair --skip-corrupt --yes " + q + "   (or --drop-after to cut at offset " + strconv.FormatInt(se.OKUpTo.Offset, 10) + " of " + fs.File.Name + ")"
	}
	return ""
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '/' || r == '.' || r == '-' || r == '_' || r == ':' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// runAOF inspects (o.verify false) or verifies the AOF input in (opened
// once by openInput) and renders it. It returns the exit status. Every
// command is checked against the releases that may have written the set (an
// unknown one makes the file damaged: no server loads it); each of o.targets
// says whether that release would load the set.
func runAOF(ctx context.Context, app *App, in *input, o aofOptions) (int, error) {
	path := in.Name
	as, err := resolveAOF(ctx, in, o.config)
	if err != nil {
		var pe *manifest.ParseError
		if errors.As(err, &pe) {
			fmt.Fprintf(app.IO.ErrOut, "rdbkit: %s: %v\n", path, err)
			return exitCorrupt, nil
		}
		return exitError, err
	}
	set := as.set
	// The server loads a torn last command unless told not to.
	loadTruncated := true
	if o.config != "" {
		v, ok, err := manifest.ReadConfigValue(o.config, "aof-load-truncated")
		if err != nil {
			return exitError, err
		}
		if ok && strings.EqualFold(v, "no") {
			loadTruncated = false
		}
	}
	var total int64
	for _, f := range set.Files() {
		total += f.Size
	}
	compats := make([]*rdbscan.SetCompat, len(o.targets))
	for i, t := range o.targets {
		compats[i] = rdbscan.NewSetCompat(t, o.maxKeys)
	}
	known := aoffile.NewKnownChecker(nil) // every release, until an RDB base names its writer
	loadersSet := false
	onRDB := func(f *manifest.File, h *rdbfile.Header) func(*rdbfile.Entry) {
		if !loadersSet {
			loadersSet = true
			d := release.Redis
			if h.Dialect == rdbfile.DialectValkey {
				d = release.Valkey
			}
			rv, _ := h.AuxValue("redis-ver")
			vv, _ := h.AuxValue("valkey-ver")
			w, _ := release.FromAux(rv, vv)
			if ls := release.Loaders(d, h.Version, w); len(ls) > 0 {
				known = aoffile.NewKnownChecker(ls)
			}
		}
		var each []func(*rdbfile.Entry)
		for _, c := range compats {
			each = append(each, c.RDB(f.Name, h))
		}
		if len(each) == 0 {
			return nil
		}
		return func(e *rdbfile.Entry) {
			for _, fn := range each {
				fn(e)
			}
		}
	}
	check := func(f *manifest.File, c *aoffile.Command) error {
		for _, sc := range compats {
			sc.Command(f.Name, c)
		}
		return known.Validate(c.Args)
	}
	update, done := app.startSetProgress(total, "verify")
	so := &repair.ScanOptions{DeepRDB: true, NoDupCheck: o.noDups, Check: check, OnRDB: onRDB, Progress: update, Source: as.src}
	if as.src != nil && in.Regular && in.Name != "-" {
		// A single file on disk: read again (decompressed as the first
		// time) for the duplicate key check's confirming pass.
		so.Reopen = func() (io.ReadCloser, error) {
			in2, err := app.openInput(ctx, in.Name)
			if err != nil {
				return nil, err
			}
			return readCloser{in2.R, in2.Close}, nil
		}
	}
	s, err := repair.ScanSet(ctx, set, so)
	done()
	if err == nil {
		err = as.finish()
	}
	if err != nil {
		return exitError, err
	}
	var verdicts []rdbscan.CompatVerdict
	refused := false
	for _, c := range compats {
		v := c.Verdict()
		verdicts = append(verdicts, v)
		refused = refused || v.Status != rdbscan.CompatLoads
	}
	code := exitOK
	status := statusIntact
	js := jsonAOFSet{Type: "aof_set", Path: path, Dir: set.Dir, Manifest: set.ManifestPath, Legacy: set.Legacy,
		Incrs: []string{}, History: []string{}, Findings: []string{}, Warnings: []string{}, Leftovers: []string{}}
	if s.Damaged() {
		code, status = exitCorrupt, statusDamaged
		if name, n, ok := s.TornTail(); ok {
			status, js.Dropped = statusTruncated, n
			switch {
			case o.strict:
				js.Warnings = append(js.Warnings, fmt.Sprintf("%s ends in an incomplete command: the server would drop its last %d bytes at load (aof-load-truncated yes, the default); --strict counts it as damage", name, n))
			case !loadTruncated:
				js.Warnings = append(js.Warnings, fmt.Sprintf("%s ends in an incomplete command, and %s sets aof-load-truncated no: the server refuses to load it", name, o.config))
			default:
				code = exitOK
				js.Warnings = append(js.Warnings, fmt.Sprintf("%s ends in an incomplete command: the server loads this with aof-load-truncated yes (the default) and drops %d bytes", name, n))
			}
		}
	}
	damaged := code == exitCorrupt // the set does not load anywhere as it is
	if refused && code == exitOK {
		code = exitCorrupt // it loads, but not on every --target
	}
	js.Status, js.ExitCode = status, code
	var left []repair.Leftover
	if in.Regular { // a pipe or standard input has no directory of its own
		if left, err = repair.FindLeftovers(repair.LeftoverDirs(set.Dir), app.Clock()); err != nil {
			return exitError, err
		}
	}
	for _, l := range left {
		js.Leftovers = append(js.Leftovers, l.Path)
		what := "left by an rdbkit run that was killed; the next 'rdbkit repair --yes' removes it"
		if l.InUse {
			what = "open by a running process (an rdbkit run still going?)"
		}
		js.Warnings = append(js.Warnings, fmt.Sprintf("leftover %s (%d bytes): %s", l.Path, l.Size, what))
	}
	if set.Base != nil {
		js.Base = set.Base.Name
	}
	for _, f := range set.Incrs {
		js.Incrs = append(js.Incrs, f.Name)
	}
	for _, f := range set.History {
		js.History = append(js.History, f.Name)
	}
	for _, f := range set.Findings {
		js.Findings = append(js.Findings, f.String())
	}
	if o.verify && status != statusIntact && in.Regular && !in.Compressed() { // repair needs the file on disk
		js.Suggest = aofSuggest(path, s)
		if status == statusTruncated && code == exitOK && js.Suggest != "" {
			js.Suggest = "optional (the server cuts it itself at load): " + js.Suggest
		}
	}
	fileJSON := func(fs *repair.FileScan) jsonAOFFile {
		j := aofFileJSON(set, fs)
		if status == statusTruncated && fs == s.Files[len(s.Files)-1] {
			j.Status = statusTruncated
		}
		return j
	}
	out := app.IO.Out
	if app.mode() == modeJSON {
		for _, fs := range s.Files {
			if err := writeJSON(out, fileJSON(fs)); err != nil {
				return exitError, err
			}
		}
		for _, vd := range verdicts {
			if err := writeJSON(out, targetJSON(path, vd, damaged, o.maxKeys)); err != nil {
				return exitError, err
			}
		}
		if err := writeJSON(out, js); err != nil {
			return exitError, err
		}
		return code, nil
	}
	if o.verify && app.Quiet && status == statusIntact && !refused && len(set.Findings) == 0 && len(js.Warnings) == 0 {
		return code, nil // verify --quiet prints only problems
	}
	if o.oneLine {
		line := status
		if status == statusTruncated && code == exitOK {
			line += " (loads; the server drops " + strconv.FormatInt(js.Dropped, 10) + " bytes)"
		}
		for _, fs := range s.Files {
			if fs.Err != nil {
				line += ": " + fs.File.Name + ": " + fs.Err.Error()
				break
			}
		}
		if n := len(set.Findings) + len(js.Leftovers); n > 0 && status == statusIntact {
			line += ", " + plural(n, "warning")
		}
		plainLine(out, path, line)
		return code, nil
	}
	if set.Legacy {
		plainLine(out, "layout", "old-style single AOF file "+set.Base.Name)
	} else {
		plainLine(out, "manifest", set.ManifestPath)
		plainLine(out, "base", js.Base)
		plainLine(out, "incr", strings.Join(js.Incrs, ", "))
		if len(js.History) > 0 {
			plainLine(out, "history", strings.Join(js.History, ", "))
		}
	}
	for _, f := range js.Findings {
		plainLine(out, "finding", f)
	}
	for _, fs := range s.Files {
		j := fileJSON(fs)
		fmt.Fprintln(out)
		plainLine(out, "file", j.Name+" ("+j.Kind+", "+j.Content+", "+humanBytes(j.Size)+")")
		if j.RDB != nil {
			plainLine(out, "rdb", fmt.Sprintf("version %d, %d keys, ends at %d, checksum %s", j.RDB.Version, j.RDB.Keys, j.RDB.End, j.RDB.Checksum))
		}
		plainLine(out, "commands", i64(j.Commands))
		var top []string
		for _, c := range j.TopCommands {
			top = append(top, c.Name+" "+i64(c.Count))
		}
		plainLine(out, "top commands", strings.Join(top, ", "))
		var dbs []string
		for _, d := range j.DBs {
			dbs = append(dbs, strconv.Itoa(d))
		}
		plainLine(out, "dbs selected", orDash(ptrIf(strings.Join(dbs, ", "))))
		plainLine(out, "first ts", orDash(j.FirstTS))
		plainLine(out, "last ts", orDash(j.LastTS))
		plainLine(out, "multi blocks", i64(j.MultiBlocks))
		plainLine(out, "ok_up_to", fmt.Sprintf("%d (line %d)", j.OKUpTo, j.OKUpToLine))
		plainLine(out, "status", j.Status)
		if j.Error != "" {
			plainLine(out, "error", j.Error)
		}
		for _, is := range j.Issues {
			plainLine(out, "command", offsetText(is.Offset)+": "+is.Message)
		}
	}
	fmt.Fprintln(out)
	for _, w := range js.Warnings {
		plainLine(out, "warning", w)
	}
	for _, vd := range verdicts {
		plainLine(out, "target", vd.Target.Name+": "+verdictText(vd, damaged, 5))
	}
	verdict := status
	if refused && !damaged {
		verdict += ", but NOT loadable by every --target (see above)"
	}
	plainLine(out, "verdict", verdict)
	if js.Suggest != "" {
		plainLine(out, "repair", js.Suggest)
	}
	return code, nil
}

func ptrIf(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// aofExit turns runAOF's status into the command's error.
func aofExit(code int, err error) error {
	if err != nil {
		return err
	}
	if code == exitOK {
		return nil
	}
	return &filesError{code: code, msg: "AOF is damaged or will not load on a --target"}
}

func asRDBCorrupt(err error) *rdbfile.CorruptError {
	var ce *rdbfile.CorruptError
	if errors.As(err, &ce) {
		return ce
	}
	return nil
}

func rdbChecksumText(c rdbfile.ChecksumStatus) string {
	switch {
	case !c.Present:
		return "absent"
	case c.Disabled:
		return "not verified (rdbchecksum no)"
	case c.Verified:
		return "ok"
	}
	return "mismatch"
}

// readCloser joins a reader and the Close of what it reads.
type readCloser struct {
	io.Reader
	close func() error
}

func (r readCloser) Close() error { return r.close() }
