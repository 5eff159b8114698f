package cmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rdbkit/rdbkit/internal/timeparse"
	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/repair"
)

// exitDataDropped: repaired, but valid commands were dropped.
const exitDataDropped = 4

// repairOptions are the flags of "rdbkit repair".
type repairOptions struct {
	dryRun      bool
	yes         bool
	force       bool
	output      string
	backupDir   string
	dropAfter   bool
	skipCorrupt bool
	toTimestamp int64
	config      string
	undo        string
}

func newRepairCmd(app *App) *cobra.Command {
	var o repairOptions
	c := &cobra.Command{
		Use:   "repair [flags] PATH | repair --undo BACKUP",
		Short: "Repair an AOF set (manifest, appendonlydir or single AOF file)",
		Long: `Repair scans an AOF set strictly (as redis-check-aof), plans the smallest
repair and, with --yes, applies it. --dry-run only prints the plan.

  - an incomplete last command (or unfinished MULTI) at the end of the last
    file is cut at ok_up_to, byte-identical to redis-check-aof --fix;
  - damage elsewhere needs --skip-corrupt (skip each damaged range, resume at
    the next complete valid command, never keeping part of a transaction) or
    --drop-after (cut at the damage; later incr files become history); the
    two exclude each other;
  - --to-timestamp T cuts the set at the first #TS annotation after T
    (RFC 3339, unix seconds or unix ms);
  - a damaged RDB base or preamble is refused (nothing is written).

Stop the server first. A process that has files of the set open (found
through /proc on Linux; elsewhere this check is not made) makes --yes refuse,
naming its pid, unless --force. The plan records each file's size,
modification time and a hash of the bytes around the cut; the repair
re-checks them on the files it opened and refuses if anything moved.

Writes go to --output DIR (a repaired copy of the whole set, removed again if
the run fails), or in place. In place, the bytes a repair removes are first
saved in an undo file (synced) in --backup-dir (default: a timestamped folder
beside the input); a cut at the end of a file is then a truncate and fsync,
as redis-check-aof --fix does, so it needs almost no free space; a file whose
middle changes is saved whole and rewritten via temporary file, fsync and
rename. Free space is checked first. 'rdbkit repair --undo BACKUP' (an undo
file, or the backup folder) puts the original bytes back.

Each run removes the temporary files (.rdbkit-tmp-*) that killed runs left
in the set's folder and its backup folders, once they are older than the run
and no process has them open, and says so.` + exitStatusHelp +
			`  0    repaired (or nothing to do, or --dry-run with a usable plan, or
       --undo restored the files); at most the torn tail was dropped
  1    runtime or I/O error, or refused without changing anything: a
       process has the files open, a file changed since the scan, not
       enough free space
  2    usage error (conflicting flags), or --yes missing (the plan is
       printed)
  3    cannot repair without more flags, or refused (damaged RDB part,
       missing files, a manifest that does not parse)
  4    repaired with --yes, and complete commands were dropped
  130  interrupted`,
		Example: `  rdbkit repair --dry-run /var/lib/redis/appendonlydir
  rdbkit repair --yes --output /tmp/fixed /var/lib/redis/appendonlydir
  rdbkit repair --yes --skip-corrupt appendonlydir
  rdbkit repair --yes --to-timestamp 2026-11-21T04:00:00Z appendonlydir
  rdbkit repair --undo appendonlydir.rdbkit-backup-20261121T120000Z`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.toTimestamp = -1
			if f := c.Flags().Lookup("to-timestamp"); f.Changed {
				n, err := timeparse.UnixSeconds(f.Value.String())
				if err != nil {
					return usageErrorf("--to-timestamp %q: want %s", f.Value.String(), timeparse.Forms)
				}
				o.toTimestamp = n
			}
			if err := o.conflicts(c, args); err != nil {
				return err
			}
			if o.undo != "" {
				return runUndo(app, o)
			}
			return runRepair(c.Context(), app, o, args[0])
		},
	}
	f := c.Flags()
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing")
	f.BoolVar(&o.yes, "yes", false, "apply the plan (required; rdbkit never prompts)")
	f.BoolVar(&o.force, "force", false, "with --yes or --undo: write even though a process has the files open (it will likely undo or corrupt the repair)")
	f.StringVar(&o.output, "output", "", "write a repaired copy of the whole set to this new or empty directory")
	f.StringVar(&o.backupDir, "backup-dir", "", "in-place repair: save undo files here (default: <dir>.rdbkit-backup-<time>)")
	f.BoolVar(&o.dropAfter, "drop-after", false, "cut at the first damage and drop everything after it")
	f.BoolVar(&o.skipCorrupt, "skip-corrupt", false, "skip damaged ranges and keep every valid command after them")
	f.String("to-timestamp", "", "point-in-time cut at the first #TS annotation after this time (RFC 3339, unix seconds or unix ms)")
	f.StringVar(&o.config, "config", "", "redis.conf/valkey.conf to read appenddirname and appendfilename from")
	f.StringVar(&o.undo, "undo", "", "restore the original bytes from an undo file or backup folder a repair wrote")
	return c
}

// conflicts rejects flags that do not go together (exit 2).
func (o *repairOptions) conflicts(c *cobra.Command, args []string) error {
	set := func(name string) bool { return c.Flags().Lookup(name).Changed }
	if o.undo != "" {
		for _, n := range []string{"dry-run", "output", "backup-dir", "drop-after", "skip-corrupt", "to-timestamp", "config"} {
			if set(n) {
				return usageErrorf("--undo restores a backup and takes no --%s", n)
			}
		}
		if len(args) != 0 {
			return usageErrorf("--undo takes the backup, not a PATH (the undo files name the files they restore)")
		}
		return nil
	}
	switch {
	case len(args) != 1:
		return usageErrorf("repair needs the AOF set's PATH (or --undo BACKUP)")
	case o.dryRun && o.yes:
		return usageErrorf("--dry-run and --yes exclude each other")
	case o.output != "" && o.backupDir != "":
		return usageErrorf("--output and --backup-dir exclude each other")
	case o.skipCorrupt && o.dropAfter:
		return usageErrorf("--skip-corrupt and --drop-after exclude each other: skip the damaged ranges and keep what follows, or cut at the first damage")
	case o.force && !o.yes:
		return usageErrorf("--force only matters with --yes or --undo")
	}
	return nil
}

// jsonRepair is the "repair" JSON record.
type jsonRepair struct {
	Type     string         `json:"type"`
	Plan     *repair.Plan   `json:"plan"`
	Applied  bool           `json:"applied"`
	Result   *repair.Result `json:"result"`
	ExitCode int            `json:"exit_code"`
	// Error says why the repair stopped ("" when it did not).
	Error string `json:"error"`
	// NotChanged lists the files the plan changes that were not changed
	// (all of them when the run refused or failed before writing).
	NotChanged []string `json:"not_changed"`
	// InUse lists processes that have files of the set open.
	InUse []repair.Holder `json:"in_use"`
	// Space is the free-space shortfall that stopped the repair, or null.
	Space *jsonSpace `json:"space"`
	// Leftovers lists temporary files of killed runs: removed by this run
	// (removed true), or kept (open, or newer than the run).
	Leftovers []jsonLeftover `json:"leftovers"`
}

type jsonSpace struct {
	Dir       string `json:"dir"`
	Need      int64  `json:"need"`
	Available int64  `json:"available"`
}

type jsonLeftover struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	Removed bool   `json:"removed"`
}

// jsonUndo is the "undo" JSON record of repair --undo.
type jsonUndo struct {
	Type     string             `json:"type"`
	Backup   string             `json:"backup"`
	Result   *repair.UndoResult `json:"result"`
	Error    string             `json:"error"`
	InUse    []repair.Holder    `json:"in_use"`
	ExitCode int                `json:"exit_code"`
}

func runRepair(ctx context.Context, app *App, o repairOptions, path string) error {
	start := app.Clock()
	var set *manifest.Set
	rec := jsonRepair{Type: "repair", InUse: []repair.Holder{}, Leftovers: []jsonLeftover{}, NotChanged: []string{}}
	// fail reports a run that stopped: what was and was not changed, in
	// text and JSON.
	fail := func(code int, err error, hints ...string) error {
		rec.ExitCode, rec.Error = code, err.Error()
		if rec.Plan != nil {
			changed := map[string]bool{}
			if rec.Result != nil {
				for _, w := range rec.Result.Written {
					changed[filepath.Base(w)] = true
				}
			}
			rec.NotChanged = rec.NotChanged[:0]
			for _, f := range rec.Plan.Files {
				if f.Action != repair.ActionKeep && !changed[f.Name] {
					rec.NotChanged = append(rec.NotChanged, f.Name)
				}
			}
			if rec.Plan.RewriteManifest && set != nil && !changed[filepath.Base(set.ManifestPath)] {
				rec.NotChanged = append(rec.NotChanged, filepath.Base(set.ManifestPath))
			}
		}
		if app.mode() == modeJSON {
			if werr := writeJSON(app.IO.Out, rec); werr != nil {
				return werr
			}
		} else if rec.Plan != nil {
			renderPlan(app, rec.Plan, rec.Result)
		}
		e := app.IO.ErrOut
		fmt.Fprintln(e, "rdbkit: "+err.Error())
		switch {
		case rec.Result != nil && len(rec.Result.Written) > 0:
			fmt.Fprintf(e, "rdbkit: changed: %s\n", strings.Join(rec.Result.Written, ", "))
			if len(rec.NotChanged) > 0 {
				fmt.Fprintf(e, "rdbkit: not changed: %s\n", strings.Join(rec.NotChanged, ", "))
			}
			if len(rec.Result.BackedUp) > 0 {
				fmt.Fprintf(e, "rdbkit: to put the original bytes back: rdbkit repair --undo %s\n", shellQuote(filepath.Dir(rec.Result.BackedUp[0])))
			}
		case rec.Result != nil && len(rec.Result.Removed) > 0:
			fmt.Fprintf(e, "rdbkit: nothing was changed; removed what this run had written: %s\n", strings.Join(rec.Result.Removed, ", "))
		default:
			fmt.Fprintln(e, "rdbkit: nothing was changed")
		}
		for _, h := range hints {
			fmt.Fprintln(e, "rdbkit: "+h)
		}
		return &filesError{code: code, msg: err.Error()}
	}
	if err := checkRepairInput(ctx, app, path); err != nil {
		var ue *usageError
		switch {
		case isContextErr(err):
			return err
		case errors.As(err, &ue):
			return fail(exitUsage, err)
		}
		return fail(exitError, err)
	}
	set, err := manifest.Resolve(path, &manifest.ResolveOptions{ConfigPath: o.config})
	if err != nil {
		var pe *manifest.ParseError
		if errors.As(err, &pe) {
			// The server refuses this manifest too; rdbkit does not guess
			// what it meant.
			return fail(exitCorrupt, fmt.Errorf("%s: %w; rdbkit does not repair a manifest it cannot parse: fix or restore it by hand", path, err))
		}
		return fail(exitError, err)
	}
	holders, err := repair.OpenBy(repair.SetPaths(set))
	if err != nil {
		return fail(exitError, err)
	}
	rec.InUse = append(rec.InUse, holders...)
	if len(holders) > 0 && o.yes && o.output == "" && !o.force {
		return fail(exitError, &repair.InUseError{Holders: holders},
			"stop the server (or wait until it exits), then run the repair again; --force writes anyway")
	}
	for _, h := range holders {
		fmt.Fprintf(app.IO.ErrOut, "rdbkit: warning: %s: stop the server before repairing\n", h)
	}

	// Temporary files of killed runs: removed by a run that writes, listed
	// by one that does not.
	dirs := repair.LeftoverDirs(set.Dir)
	if o.backupDir != "" {
		dirs = append(dirs, o.backupDir)
	}
	left, err := repair.FindLeftovers(dirs, start)
	if err != nil {
		return fail(exitError, err)
	}
	removed := map[string]bool{}
	if o.yes {
		rm, err := repair.RemoveLeftovers(left)
		if err != nil {
			return fail(exitError, err)
		}
		for _, l := range rm {
			removed[l.Path] = true
		}
	}
	for _, l := range left {
		rec.Leftovers = append(rec.Leftovers, jsonLeftover{Path: l.Path, Size: l.Size, Removed: removed[l.Path]})
		switch {
		case removed[l.Path]:
			fmt.Fprintf(app.IO.ErrOut, "rdbkit: removed %s (%d bytes), left by an earlier run that was killed\n", l.Path, l.Size)
		case l.InUse:
			fmt.Fprintf(app.IO.ErrOut, "rdbkit: warning: %s (%d bytes) is open by a running process: kept\n", l.Path, l.Size)
		case l.Stale:
			fmt.Fprintf(app.IO.ErrOut, "rdbkit: warning: %s (%d bytes) was left by an earlier run that was killed; a run with --yes removes it\n", l.Path, l.Size)
		}
	}

	var total int64
	for _, f := range set.Files() {
		total += f.Size
	}
	update, done := app.startSetProgress(total, "scan")
	s, err := repair.ScanSet(ctx, set, &repair.ScanOptions{Records: true, DeepRDB: true, Progress: update})
	done()
	if errors.Is(err, context.Canceled) {
		return fail(exitInterrupted, err)
	}
	if err != nil {
		return fail(exitError, err)
	}
	plan, err := repair.NewPlan(s, repair.PlanOptions{DropAfter: o.dropAfter, SkipCorrupt: o.skipCorrupt,
		ToTimestamp: o.toTimestamp, HasTimestamp: o.toTimestamp >= 0})
	var stale *repair.StaleError
	if errors.As(err, &stale) {
		return fail(exitError, err, "stop the server before repairing")
	}
	if err != nil {
		return fail(exitError, err)
	}
	rec.Plan = plan
	code := exitOK
	switch {
	case plan.Refused != "":
		code = exitCorrupt
	case plan.DataDropped && !o.dryRun:
		code = exitDataDropped
	}
	apply := o.yes && plan.Refused == "" && plan.Changes
	if apply {
		ao := repair.ApplyOptions{OutputDir: o.output, BackupDir: o.backupDir, Force: o.force}
		if ao.OutputDir == "" && ao.BackupDir == "" {
			ao.BackupDir = repair.BackupDirName(set.Dir, start)
		}
		res, err := repair.Apply(s, plan, ao)
		rec.Result = res
		if err != nil {
			return applyFailed(err, fail, o, &rec)
		}
		rec.Applied = true
	}
	if !o.yes && !o.dryRun && plan.Refused == "" && plan.Changes {
		code = exitUsage
	}
	rec.ExitCode = code
	if app.mode() == modeJSON {
		if err := writeJSON(app.IO.Out, rec); err != nil {
			return err
		}
	} else {
		renderPlan(app, plan, rec.Result)
	}
	switch {
	case code == exitUsage:
		fmt.Fprintln(app.IO.ErrOut, "rdbkit: nothing was changed: --yes is required to apply the plan (or --dry-run to only print it)")
		return &filesError{code: exitUsage, msg: "--yes is required"}
	case plan.Refused != "":
		fmt.Fprintln(app.IO.ErrOut, "rdbkit: "+plan.Refused)
		return &filesError{code: code, msg: plan.Refused}
	case code != exitOK:
		return &filesError{code: code, msg: "commands dropped"}
	}
	return nil
}

// applyFailed reports an Apply error with its hint.
func applyFailed(err error, fail func(int, error, ...string) error, o repairOptions, rec *jsonRepair) error {
	var (
		inUse *repair.InUseError
		stale *repair.StaleError
		space *repair.SpaceError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return fail(exitInterrupted, err)
	case errors.As(err, &inUse):
		rec.InUse = inUse.Holders
		return fail(exitError, err, "stop the server (or wait until it exits), then run the repair again; --force writes anyway")
	case errors.As(err, &stale):
		return fail(exitError, err, "stop the server before repairing")
	case errors.As(err, &space):
		rec.Space = &jsonSpace{Dir: space.Dir, Need: space.Need, Available: space.Avail}
		hint := "free some space, or save the undo files on another filesystem with --backup-dir DIR, or write a repaired copy there with --output DIR"
		if o.output != "" {
			hint = "free some space, or choose an --output directory on another filesystem"
		}
		return fail(exitError, err, hint)
	}
	return fail(exitError, err)
}

func runUndo(app *App, o repairOptions) error {
	rec := jsonUndo{Type: "undo", Backup: o.undo, InUse: []repair.Holder{}}
	res, err := repair.Undo(o.undo, repair.UndoOptions{Force: o.force})
	rec.Result = res
	code := exitOK
	if err != nil {
		code = exitError
		rec.Error = err.Error()
		var inUse *repair.InUseError
		if errors.As(err, &inUse) {
			rec.InUse = inUse.Holders
		}
	}
	rec.ExitCode = code
	if app.mode() == modeJSON {
		if werr := writeJSON(app.IO.Out, rec); werr != nil {
			return werr
		}
	} else if res != nil {
		for _, r := range res.Restored {
			plainLine(app.IO.Out, "restored", r)
		}
		for _, r := range res.Already {
			plainLine(app.IO.Out, "unchanged", r+" (already holds the original bytes)")
		}
	}
	if err != nil {
		fmt.Fprintln(app.IO.ErrOut, "rdbkit: "+err.Error())
		if res != nil && len(res.Restored) > 0 {
			fmt.Fprintln(app.IO.ErrOut, "rdbkit: restored before the error: "+strings.Join(res.Restored, ", "))
		} else {
			fmt.Fprintln(app.IO.ErrOut, "rdbkit: nothing was changed")
		}
		return &filesError{code: code, msg: err.Error()}
	}
	return nil
}

func renderPlan(app *App, p *repair.Plan, res *repair.Result) {
	out := app.IO.Out
	plainLine(out, "dir", p.Dir)
	for _, f := range p.Files {
		line := f.Action
		switch f.Action {
		case repair.ActionTruncate:
			line += fmt.Sprintf(" at %d (%d -> %d bytes)", f.TruncateAt, f.Size, f.NewSize)
		case repair.ActionRewrite:
			line += fmt.Sprintf(" (%d -> %d bytes)", f.Size, f.NewSize)
		}
		plainLine(out, f.Name, line)
		for _, sk := range f.Skips {
			plainLine(out, "  skip", fmt.Sprintf("%d bytes at %s, %d commands: %s", sk.Length, offsetText(sk.Offset), sk.CommandsLost, sk.Reason))
		}
		if f.BytesLost > 0 {
			plainLine(out, "  lost", fmt.Sprintf("%d bytes, %d complete commands", f.BytesLost, f.CommandsLost))
			if len(f.LostShown) > 0 {
				plainLine(out, "  first lost", strings.Join(f.LostShown, " | "))
			}
		}
		if f.Reason != "" {
			plainLine(out, "  why", f.Reason)
		}
	}
	if p.RewriteManifest {
		plainLine(out, "manifest", "rewritten: "+strings.Join(p.MoveToHistory, ", ")+" moved to history")
	}
	if p.Refused != "" {
		plainLine(out, "refused", p.Refused)
	} else if !p.Changes {
		plainLine(out, "plan", "nothing to repair")
	}
	if res != nil {
		for _, b := range res.BackedUp {
			plainLine(out, "undo file", b)
		}
		for _, w := range res.Written {
			plainLine(out, "wrote", w)
		}
	}
}
