package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Exit codes, documented in every command's EXIT STATUS and in
// docs/exit-codes.md.
const (
	exitOK          = 0   // success (verify: intact, warnings allowed)
	exitError       = 1   // runtime or I/O error
	exitUsage       = 2   // bad flags or arguments
	exitCorrupt     = 3   // corrupt or unloadable input
	exitNotFound    = 5   // replay --get: no such key
	exitInterrupted = 130 // SIGINT/SIGTERM
)

// Execute runs the rdbkit command line with args (without the program
// name) on the given streams and returns the process exit code. It is the
// only place that turns errors into exit codes.
func Execute(ctx context.Context, args []string, streams IOStreams) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	app := newApp(streams)
	return app.run(ctx, args)
}

func (a *App) run(ctx context.Context, args []string) int {
	root := newRootCmd(a)
	root.SetArgs(args)
	root.SetIn(a.IO.In)
	root.SetOut(a.IO.Out)
	root.SetErr(a.IO.ErrOut)
	c, err := root.ExecuteContextC(ctx)
	code := exitCode(err, a.started)
	if err != nil && !errors.Is(err, errReported) {
		switch code {
		case exitUsage:
			fmt.Fprintf(a.IO.ErrOut, "rdbkit: %v\nRun '%s --help' for usage.\n", err, c.CommandPath())
		case exitInterrupted:
			fmt.Fprintln(a.IO.ErrOut, "rdbkit: interrupted")
		default:
			fmt.Fprintf(a.IO.ErrOut, "rdbkit: %v\n", err)
		}
	}
	return code
}

// exitCode maps an error to the exit code. Errors returned before a
// command's run function started (flag parsing, argument counts, unknown
// commands) are usage errors.
func exitCode(err error, started bool) int {
	var (
		ue *usageError
		ce *rdbfile.CorruptError
		ie *inputFormatError
		de *decompressError
		fe *filesError
	)
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, context.Canceled):
		return exitInterrupted
	case errors.As(err, &ue) || !started:
		return exitUsage
	case errors.As(err, &fe):
		return fe.code
	case errors.As(err, &ce), errors.As(err, &ie), errors.As(err, &de), errors.Is(err, errDamaged):
		return exitCorrupt
	}
	return exitError
}

// usageError is a bad invocation found by a command itself (a flag value).
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usageErrorf(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

var (
	// errDamaged: the command found and reported a corrupt input (exit 3).
	errDamaged = fmt.Errorf("input is damaged: %w", errReported)
	// errReported marks an error the command already printed.
	errReported = errors.New("already reported")
)

// filesError summarises a multi-file command whose problems were already
// reported: code is the exit code to use.
type filesError struct {
	code int
	msg  string
}

func (e *filesError) Error() string { return e.msg }
func (e *filesError) Unwrap() error { return errReported }
