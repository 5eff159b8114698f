package cmd

import (
	"path/filepath"
	"testing"
)

// TestJobsFlag: verify and inspect print the same, byte for byte, and exit
// the same with --jobs 1 (one goroutine) and --jobs 2, 3, 4 and 0, in every
// output mode, on the sample, a good corpus file and damaged ones; a
// negative --jobs is a usage error.
func TestJobsFlag(t *testing.T) {
	files := []string{sample}
	if dir := findCorpus(); dir != "" {
		for _, f := range []string{"redis-7.4.1/rdb/dump.rdb", "redis-7.4.1/rdb/dump-bigvalue.rdb", "redis-7.4.1/damaged/rdb-flip-value.rdb",
			"redis-7.4.1/damaged/rdb-trunc-midvalue.rdb", "valkey-8.0.1/damaged/rdb-bad-type.rdb"} {
			files = append(files, filepath.Join(dir, f))
		}
	}
	for _, f := range files {
		for _, args := range [][]string{{"verify"}, {"verify", "--json"}, {"verify", "--quiet"}, {"inspect"}, {"inspect", "--json"}, {"inspect", "--keys"}} {
			one := run(t, nil, append(append(args, "--jobs", "1"), f)...)
			for _, j := range []string{"2", "3", "4", "0"} {
				got := run(t, nil, append(append(args, "--jobs", j), f)...)
				if got != one {
					t.Errorf("%v %s: --jobs %s differs from --jobs 1:\n%+v\n%+v", args, f, j, got, one)
				}
			}
		}
	}
	for _, c := range []string{"verify", "inspect"} {
		if r := run(t, nil, c, "--jobs", "-1", sample); r.code != 2 {
			t.Errorf("%s --jobs -1: exit %d, want 2 (usage)\n%s", c, r.code, r.err)
		}
	}
}
