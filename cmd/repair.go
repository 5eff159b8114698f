package cmd

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rdbkit/rdbkit/manifest"
	"github.com/rdbkit/rdbkit/repair"
)

// exitDataDropped: repaired, but valid commands were dropped.
const exitDataDropped = 4

// repairOptions are the flags of "rdbkit repair".
type repairOptions struct {
	dryRun      bool
	yes         bool
	output      string
	backupDir   string
	dropAfter   bool
	skipCorrupt bool
	toTimestamp int64
	config      string
}

func newRepairCmd(app *App) *cobra.Command {
	var o repairOptions
	c := &cobra.Command{
		Use:   "repair [flags] PATH",
		Short: "Repair an AOF set (manifest, appendonlydir or single AOF file)",
		Long: `Repair scans an AOF set strictly (as redis-check-aof), plans the smallest
repair and, with --yes, applies it. --dry-run only prints the plan.

  - an incomplete last command (or unfinished MULTI) at the end of the last
    file is cut at ok_up_to, byte-identical to redis-check-aof --fix;
  - damage elsewhere needs --skip-corrupt (skip each damaged range, resume at
    the next complete valid command, never keeping part of a transaction) or
    --drop-after (cut at the damage; later incr files become history);
  - --to-timestamp T cuts the set at the first #TS annotation after T;
  - a damaged RDB base or preamble is refused (nothing is written).

Writes go to --output DIR (a repaired copy of the whole set), or in place
after copying every changed file to --backup-dir (default: a timestamped
folder beside the input), always via temporary file, fsync and rename.` + exitStatusHelp +
			`  0    repaired (or nothing to do); at most the torn tail was dropped
  1    runtime or I/O error
  2    usage error, or --yes missing (the plan is printed)
  3    cannot repair without more flags, or refused (damaged RDB part, missing files)
  4    repaired, and complete commands were dropped
  130  interrupted`,
		Example: `  rdbkit repair --dry-run /var/lib/redis/appendonlydir
  rdbkit repair --yes --output /tmp/fixed /var/lib/redis/appendonlydir
  rdbkit repair --yes --skip-corrupt appendonlydir
  rdbkit repair --yes --to-timestamp 1795236558 appendonlydir`,
		Args: cobra.ExactArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			o.toTimestamp = -1
			if f := c.Flags().Lookup("to-timestamp"); f.Changed {
				n, err := strconv.ParseInt(f.Value.String(), 10, 64)
				if err != nil || n < 0 {
					return usageErrorf("--to-timestamp wants unix seconds")
				}
				o.toTimestamp = n
			}
			return runRepair(c.Context(), app, o, args[0])
		},
	}
	f := c.Flags()
	f.BoolVar(&o.dryRun, "dry-run", false, "print the plan and change nothing")
	f.BoolVar(&o.yes, "yes", false, "apply the plan (required; rdbkit never prompts)")
	f.StringVar(&o.output, "output", "", "write a repaired copy of the whole set to this new or empty directory")
	f.StringVar(&o.backupDir, "backup-dir", "", "in-place repair: copy changed files here first (default: <dir>.rdbkit-backup-<time>)")
	f.BoolVar(&o.dropAfter, "drop-after", false, "cut at the first damage and drop everything after it")
	f.BoolVar(&o.skipCorrupt, "skip-corrupt", false, "skip damaged ranges and keep every valid command after them")
	f.String("to-timestamp", "", "point-in-time cut at the first #TS annotation after this unix time")
	f.StringVar(&o.config, "config", "", "redis.conf/valkey.conf to read appenddirname and appendfilename from")
	return c
}

// jsonRepair is the "repair" JSON record.
type jsonRepair struct {
	Type     string         `json:"type"`
	Plan     *repair.Plan   `json:"plan"`
	Applied  bool           `json:"applied"`
	Result   *repair.Result `json:"result"`
	ExitCode int            `json:"exit_code"`
}

func runRepair(ctx context.Context, app *App, o repairOptions, path string) error {
	if o.dryRun && o.yes {
		return usageErrorf("--dry-run and --yes exclude each other")
	}
	if o.output != "" && o.backupDir != "" {
		return usageErrorf("--output and --backup-dir exclude each other")
	}
	set, err := manifest.Resolve(path, &manifest.ResolveOptions{ConfigPath: o.config})
	if err != nil {
		var pe *manifest.ParseError
		if errors.As(err, &pe) {
			// The server refuses this manifest too; rdbkit does not guess
			// what it meant.
			msg := fmt.Sprintf("%s: %v; rdbkit does not repair a manifest it cannot parse: fix or restore it by hand", path, err)
			fmt.Fprintln(app.IO.ErrOut, "rdbkit: "+msg)
			return &filesError{code: exitCorrupt, msg: msg}
		}
		return err
	}
	var total int64
	for _, f := range set.Files() {
		total += f.Size
	}
	update, done := app.startSetProgress(total, "scan")
	s, err := repair.ScanSet(ctx, set, &repair.ScanOptions{Records: true, DeepRDB: true, Progress: update})
	done()
	if err != nil {
		return err
	}
	plan, err := repair.NewPlan(s, repair.PlanOptions{DropAfter: o.dropAfter, SkipCorrupt: o.skipCorrupt,
		ToTimestamp: o.toTimestamp, HasTimestamp: o.toTimestamp >= 0})
	if err != nil {
		return err
	}
	rec := jsonRepair{Type: "repair", Plan: plan}
	code := exitOK
	switch {
	case plan.Refused != "":
		code = exitCorrupt
	case plan.DataDropped:
		code = exitDataDropped
	}
	apply := o.yes && plan.Refused == "" && plan.Changes
	if apply {
		ao := repair.ApplyOptions{OutputDir: o.output, BackupDir: o.backupDir}
		if ao.OutputDir == "" && ao.BackupDir == "" {
			ao.BackupDir = filepath.Clean(set.Dir) + ".rdbkit-backup-" + app.Now().UTC().Format("20060102T150405Z")
		}
		res, err := repair.Apply(s, plan, ao)
		if err != nil {
			return err
		}
		rec.Applied, rec.Result = true, res
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
			plainLine(out, "backup", b)
		}
		for _, w := range res.Written {
			plainLine(out, "wrote", w)
		}
	}
}
