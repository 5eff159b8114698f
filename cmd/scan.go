package cmd

import (
	"context"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
)

// scanRDB runs the one scan (rdbscan.Scan) over an opened input: every
// value checked, the bytes after the trailer counted. With dups, keys that
// appear twice in one database are looked for; a regular file is opened a
// second time for that check's confirming pass when the first pass found
// candidates, other inputs get unconfirmed candidates. A problem with the
// file is reported in the result; the returned error is for everything else
// (I/O, interruption, a hook's error). jobs is --jobs (see addJobsFlag):
// from 2 on, a regular file is read ahead on a goroutine of its own
// (input.ReadAhead) and rdbscan.Options.Jobs is jobs.
func (a *App) scanRDB(ctx context.Context, in *input, dups bool, jobs int, onHeader func(*rdbfile.Header) error, each func(*rdbfile.Entry) error) (*rdbscan.Result, error) {
	if jobs == 0 {
		jobs = autoJobs()
	}
	if jobs > 1 {
		in.ReadAhead()
	}
	r := rdbfile.NewReader(in.R, &rdbfile.Options{Size: in.Size, MaxFindings: maxFindingsKept})
	o := &rdbscan.Options{OnHeader: onHeader, OnEntry: each, Tail: true, Duplicates: dups, Now: a.Now().UnixMilli(), Jobs: jobs}
	var again []*input
	defer func() {
		for _, in := range again {
			in.Close()
		}
	}()
	if dups && in.Name != "-" && in.FileSize >= 0 {
		o.Reopen = func() (*rdbfile.Reader, error) {
			in2, err := a.openInput(ctx, in.Name)
			if err != nil {
				return nil, err
			}
			again = append(again, in2)
			if in2.FileSize != in.FileSize {
				return nil, &fileChangedError{name: in.Name}
			}
			return rdbfile.NewReader(in2.R, &rdbfile.Options{Size: in2.Size, MaxFindings: 1}), nil
		}
	}
	return rdbscan.Scan(ctx, r, o)
}

// fileChangedError: the file changed size between the two passes of the
// duplicate check (a server may be writing it).
type fileChangedError struct{ name string }

func (e *fileChangedError) Error() string {
	return e.name + ": the file changed while it was being read (is a server writing it?)"
}

// addJobsFlag adds --jobs: how many goroutines the scan of an RDB file
// keeps busy (rdbscan.Options.Jobs, and the read-ahead from 2 on); 0 is
// autoJobs.
func addJobsFlag(c *cobra.Command, jobs *int) {
	c.Flags().IntVar(jobs, "jobs", defaultJobs, "goroutines of the scan of an RDB file: 1 reads and checks on one; "+
		"2 also reads the file ahead (and decompresses it) and keeps the duplicate check's hashes on a second; "+
		"3 or more also check values on N-2 workers; 0, the default: 2 on a machine with 2 CPUs or more, else 1 (docs/benchmarks.md)")
}

// defaultJobs is the default of --jobs, and what the scans without the
// flag (convert's re-read of its output, estimate) use: autoJobs, which
// never starts the Checker's workers.
const defaultJobs = 0

// autoJobs is what --jobs 0 means: 2 on a machine with two CPUs or more,
// else 1. Two was faster than one on every bench file for about the same
// CPU; workers checking values (3 or more) cost more CPU than they gained
// in wall time on two cores (docs/benchmarks.md).
func autoJobs() int { return min(runtime.NumCPU(), 2) }

// checkJobs refuses a negative --jobs.
func checkJobs(jobs int) error {
	if jobs < 0 {
		return usageErrorf("--jobs must be >= 1 (or 0: 2 on a machine with 2 CPUs or more), got %d", jobs)
	}
	return nil
}
