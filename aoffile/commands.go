package aoffile

import (
	"github.com/rdbkit/rdbkit/release"
)

// Validate checks argv against release r's command table (release.Release's
// CommandArgs): the command must exist there and its arity must fit, as the
// server checks each command it reads from an AOF (loadSingleAppendOnlyFile
// and processCommand in src/aof.c and src/server.c). It returns the
// command, or a *CommandError with ErrUnknownCommand or ErrArity.
func Validate(r *release.Release, args [][]byte) (release.Command, error) {
	c, ok := r.CommandArgs(args)
	if !ok {
		return release.Command{}, &CommandError{Target: r, Name: release.CommandName(args), Argc: len(args), Err: ErrUnknownCommand}
	}
	if !c.ArityOK(len(args)) {
		return c, &CommandError{Target: r, Name: c.Name, Argc: len(args), Arity: c.Arity, Err: ErrArity}
	}
	return c, nil
}

// ValidateKnown checks argv against the releases rs, or against every
// known release when rs is nil: an error (a *CommandError with a nil Target,
// Among set to rs, and ErrUnknownCommand) means none of them has the
// command with an arity that fits, so that each of them refuses to load an
// AOF holding it. release.Loaders gives the releases that may have written
// a set.
func ValidateKnown(rs []*release.Release, args [][]byte) error {
	if rs == nil {
		if release.KnownCommand(args, len(args)) {
			return nil
		}
	} else if release.KnownIn(rs, args, len(args)) {
		return nil
	}
	return &CommandError{Among: rs, Name: release.CommandName(args), Argc: len(args), Err: ErrUnknownCommand}
}

// A KnownChecker is ValidateKnown for a fixed set of releases, faster on
// the repeated command names of an AOF (release.Checker). It is not safe
// for concurrent use.
type KnownChecker struct {
	rs []*release.Release
	k  *release.Checker
}

// NewKnownChecker returns a KnownChecker for the releases rs (every known
// release when rs is nil).
func NewKnownChecker(rs []*release.Release) *KnownChecker {
	return &KnownChecker{rs: rs, k: release.NewChecker(rs)}
}

// Validate returns what ValidateKnown(rs, args) returns.
func (k *KnownChecker) Validate(args [][]byte) error {
	if k.k.Known(args, len(args)) {
		return nil
	}
	return &CommandError{Among: k.rs, Name: release.CommandName(args), Argc: len(args), Err: ErrUnknownCommand}
}
