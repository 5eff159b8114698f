// Package cmd is the rdbkit command line: cobra commands, terminal
// detection, styles and progress; inputs are opened by internal/input.
// It holds no format
// logic: it calls the format packages (rdbfile, ...) and renders what they
// report. Every command writes to the streams of the App it was built
// with, never to os.Stdout, so tests can capture the output.
package cmd

import (
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rdbkit/rdbkit/internal/timeparse"
)

// IOStreams are the standard streams of one invocation; tests replace them.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// OSStreams returns the process's standard streams.
func OSStreams() IOStreams { return IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// App is what every command shares: the streams, the environment, the
// clock and the global flags. It is built once per Execute.
type App struct {
	IO     IOStreams
	Getenv func(string) string // environment lookup (NO_COLOR)
	Clock  func() time.Time    // current time unless --now is given

	// Global flags.
	JSON    bool
	NoColor bool
	Quiet   bool
	nowFlag string

	now     time.Time // resolved in PersistentPreRunE
	started bool      // a command's run function was reached: later errors are not usage errors
}

func newApp(streams IOStreams) *App {
	return &App{IO: streams, Getenv: os.Getenv, Clock: time.Now}
}

// Now returns the reference time: --now if given, else the clock.
func (a *App) Now() time.Time { return a.now }

// isTerminal reports whether w is a terminal.
func isTerminal(w any) bool {
	f, ok := w.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// outputMode is how a command renders its result.
type outputMode int

const (
	modePlain  outputMode = iota // stable "key:\tvalue" text (not a terminal)
	modeStyled                   // lipgloss styles and tables (a terminal)
	modeJSON                     // --json
)

// mode picks the output mode; the one place that decides it.
func (a *App) mode() outputMode {
	switch {
	case a.JSON:
		return modeJSON
	case isTerminal(a.IO.Out):
		return modeStyled
	}
	return modePlain
}

// color reports whether styled output may use colour (--no-color, NO_COLOR).
func (a *App) color() bool {
	return !a.NoColor && a.Getenv("NO_COLOR") == ""
}

const exitStatusHelp = `

EXIT STATUS
`

func newRootCmd(app *App) *cobra.Command {
	root := &cobra.Command{
		Use:   "rdbkit",
		Short: "Inspect, verify, repair, replay, convert and estimate Redis and Valkey persistence files",
		Long: `rdbkit reads Redis and Valkey RDB files and AOF sets (single, RDB-preamble or
multi-part with a manifest) offline, without a server: it summarises them
(inspect), checks every byte of them (verify), repairs AOF sets without losing
a good command (repair) and rebuilds the dataset a restart would bring back,
with the server's own DEBUG DIGEST (replay). It converts RDB files to another
RDB version or dialect, naming everything the target cannot hold (convert), and
predicts a restart's load time, memory, fork cost and loss window (estimate).
Inputs are read once, so files,
"-" for standard input, FIFOs and <(process substitution) all work, plain or
gzip, zstd or Valkey LZ4 ("VCS") compressed (repair needs files on disk).` + exitStatusHelp +
			`  0    success
  1    runtime or I/O error
  2    usage error
  3    the input is corrupt or cannot be loaded
  4    repair: repaired, and complete commands were dropped
  5    replay --get: no such key
  130  interrupted`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.NoArgs,
		RunE: func(c *cobra.Command, args []string) error {
			return c.Help()
		},
		PersistentPreRunE: func(c *cobra.Command, args []string) error {
			app.started = true
			now, err := parseNow(app.nowFlag, app.Clock)
			if err != nil {
				return usageErrorf("invalid --now %q: %v", app.nowFlag, err)
			}
			app.now = now
			return nil
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	pf := root.PersistentFlags()
	pf.BoolVar(&app.JSON, "json", false, "write JSON (see docs/json.md)")
	pf.BoolVar(&app.NoColor, "no-color", false, "no colours in terminal output (also NO_COLOR=1)")
	pf.BoolVarP(&app.Quiet, "quiet", "q", false, "print less: no progress bar, only problems")

	root.AddCommand(newVersionCmd(app), newInspectCmd(app), newVerifyCmd(app), newRepairCmd(app), newReplayCmd(app), newConvertCmd(app), newEstimateCmd(app))
	return root
}

// addNowFlag offers --now on a command whose output depends on the
// reference time (TTLs already expired); commands it would not change do
// not take it.
func addNowFlag(c *cobra.Command, app *App) {
	c.Flags().StringVar(&app.nowFlag, "now", "", "reference time for TTLs: RFC3339, unix seconds or unix ms (default: current time)")
}

// parseNow resolves --now: empty means clock(); otherwise any form
// timeparse.Parse reads.
func parseNow(s string, clock func() time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "now" {
		return clock(), nil
	}
	return timeparse.Parse(s)
}
