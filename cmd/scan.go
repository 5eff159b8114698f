package cmd

import (
	"context"

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
// (I/O, interruption, a hook's error). jobs is rdbscan.Options.Jobs: how
// many goroutines check values (0 = one per CPU, 1 = the reading one).
func (a *App) scanRDB(ctx context.Context, in *input, dups bool, jobs int, onHeader func(*rdbfile.Header) error, each func(*rdbfile.Entry) error) (*rdbscan.Result, error) {
	if jobs != 1 {
		in.ReadAhead()
	}
	r := rdbfile.NewReader(in.R, &rdbfile.Options{Size: in.Size, MaxFindings: maxFindingsKept})
	if jobs == 0 {
		jobs = -1 // --jobs 0: one per CPU
	}
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

// defaultJobs is the default of --jobs, and what the scans without the
// flag (convert's re-read of its output, estimate) use.
const defaultJobs = 1

// addJobsFlag adds --jobs (rdbscan.Options.Jobs; 0 is one per CPU).
func addJobsFlag(c *cobra.Command, jobs *int) {
	c.Flags().IntVar(jobs, "jobs", defaultJobs, "goroutines that check the values of an RDB file: 1 reads and checks on one; more read on one and check on the others; 0: one per CPU (costs more CPU than 1 for no gain in wall time on 2 cores so far, docs/benchmarks.md)")
}

// checkJobs refuses a negative --jobs.
func checkJobs(jobs int) error {
	if jobs < 0 {
		return usageErrorf("--jobs must be >= 1 (or 0: one per CPU), got %d", jobs)
	}
	return nil
}
