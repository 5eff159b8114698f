package aoffile

import (
	"github.com/rdbkit/rdbkit/release"

	"errors"
	"io"
	"strconv"
)

// Sentinel causes carried in SyntaxError.Err and CommandError.Err. Test with
// errors.Is.
var (
	// ErrTruncated: the input ended in the middle of a command, or inside an
	// open MULTI. This is the kind of damage the server tolerates in the last
	// file of a set (aof-load-truncated) and redis-check-aof --fix repairs by
	// truncating at OKUpTo. A SyntaxError with this cause also matches
	// io.ErrUnexpectedEOF.
	ErrTruncated = errors.New("aoffile: truncated")
	// ErrFormat: bytes that can never be a valid AOF record ("format error"
	// in redis-check-aof and the server).
	ErrFormat = errors.New("aoffile: format error")
	// ErrTooLarge: a command larger than Options.MaxCommandSize.
	ErrTooLarge = errors.New("aoffile: command exceeds the configured size limit")
	// ErrUnknownCommand: a command name the target server does not have.
	ErrUnknownCommand = errors.New("aoffile: unknown command")
	// ErrArity: a command with a number of arguments its arity forbids.
	ErrArity = errors.New("aoffile: wrong number of arguments")
)

// Position is a place in an AOF as redis-check-aof reports it.
type Position struct {
	// Offset is an absolute byte offset in the file.
	Offset int64
	// Line is the check-aof line counter (see the package documentation).
	Line int64
}

// A SyntaxError reports malformed AOF input. Every error the Reader returns
// for bad RESP input is a *SyntaxError; errors of the RDB preamble are the
// *rdbfile.CorruptError of package rdbfile, and I/O errors of the underlying
// reader are returned unchanged.
type SyntaxError struct {
	// Offset is the absolute offset where reading failed, as redis-check-aof
	// prints it before its message: the start of the "*" or "$" line, or the
	// first data byte of the argument, being read.
	Offset int64
	// Line is the check-aof line counter when the problem was found.
	Line int64
	// Field names what was being read: "record", "argument count",
	// "argument length", "argument" or "transaction".
	Field string
	// Err is ErrTruncated, ErrFormat or ErrTooLarge.
	Err error
	// Detail is redis-check-aof's message, e.g. "Expected to read 19 bytes,
	// got 9 bytes" or "Expected \r\n, got: 0d58".
	Detail string
	// OKUpTo is the checker's ok_up_to / ok_up_to_line: where a repair
	// truncates the file.
	OKUpTo Position
}

func (e *SyntaxError) Error() string {
	s := e.Err.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	s += " reading " + e.Field + " at offset " + strconv.FormatInt(e.Offset, 10) +
		" (0x" + strconv.FormatInt(e.Offset, 16) + "), line " + strconv.FormatInt(e.Line, 10) +
		"; ok up to offset " + strconv.FormatInt(e.OKUpTo.Offset, 10)
	return s
}

// Unwrap returns the cause.
func (e *SyntaxError) Unwrap() error { return e.Err }

// Is reports whether target is io.ErrUnexpectedEOF for a truncation, so that
// callers following the archive/tar convention need not know ErrTruncated.
func (e *SyntaxError) Is(target error) bool {
	return target == io.ErrUnexpectedEOF && e.Err == ErrTruncated
}

// A CommandError reports a command that the target server would refuse:
// unknown (ErrUnknownCommand) or called with the wrong number of arguments
// (ErrArity). It is returned by Validate, and by ValidateKnown with a nil
// Target (no known release has the command).
type CommandError struct {
	Target *release.Release // nil: the releases of Among
	// Among are the releases checked by ValidateKnown (nil: every known release).
	Among []*release.Release
	Name  string // command name as found (subcommand as "name|sub")
	Argc  int    // number of arguments including the name
	Arity int    // the command's arity, for ErrArity
	Err   error
}

func (e *CommandError) Error() string {
	who := "any known release"
	switch {
	case e.Target != nil:
		who = e.Target.Name
	case len(e.Among) == 1:
		who = e.Among[0].Name
	case len(e.Among) > 1:
		who = "any of the " + strconv.Itoa(len(e.Among)) + " releases that load this AOF's RDB base (" +
			e.Among[0].Name + " ... " + e.Among[len(e.Among)-1].Name + ")"
	}
	s := e.Err.Error() + " " + strconv.Quote(e.Name) + " for " + who
	if e.Err == ErrArity {
		s += ": " + strconv.Itoa(e.Argc) + " arguments, arity " + strconv.Itoa(e.Arity)
	}
	return s
}

// Unwrap returns the cause.
func (e *CommandError) Unwrap() error { return e.Err }
