package cmd

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

func TestUsageErrorsExit2(t *testing.T) {
	tests := [][]string{
		{"verify"},                     // missing FILE
		{"inspect"},                    // missing FILE
		{"inspect", sample, sample},    // too many
		{"bogus"},                      // unknown command
		{"inspect", "--bogus", sample}, // unknown flag
		{"verify", "--target", "redis-6.2", sample}, // unknown target
		{"inspect", "--now", "yesterday", sample},
		{"verify", "--now", "0", sample}, // --now only where it changes the output
		{"inspect", "--top", "-1", sample},
		{"inspect", "--db", "0", sample}, // --db needs --keys
		{"inspect", "--keys", "--type", "blob", sample},
		{"inspect", "--keys", "--db", "-3", sample},
		{"version", "extra"},
	}
	for _, args := range tests {
		r := run(t, nil, args...)
		if r.code != exitUsage {
			t.Errorf("rdbkit %s: exit %d, want %d (stderr %q)", strings.Join(args, " "), r.code, exitUsage, r.err)
		}
		if !strings.Contains(r.err, "--help") {
			t.Errorf("rdbkit %s: stderr %q does not point to --help", strings.Join(args, " "), r.err)
		}
		if r.out != "" {
			t.Errorf("rdbkit %s: wrote to stdout on a usage error: %q", strings.Join(args, " "), r.out)
		}
	}
}

func TestMissingFileExit1(t *testing.T) {
	missing := t.TempDir() + "/no-such.rdb"
	for _, args := range [][]string{
		{"verify", missing},
		{"inspect", missing},
		{"inspect", "--keys", missing},
		{"verify", "--json", missing},
		{"inspect", t.TempDir()}, // a directory
	} {
		r := run(t, nil, args...)
		if r.code != exitError {
			t.Errorf("rdbkit %s: exit %d, want %d", strings.Join(args, " "), r.code, exitError)
		}
		if !strings.Contains(r.err, "rdbkit: ") {
			t.Errorf("rdbkit %s: no error on stderr: %q", strings.Join(args, " "), r.err)
		}
	}
}

func TestInterruptedExit130(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, args := range [][]string{{"verify", sample}, {"inspect", sample}, {"inspect", "--keys", sample}} {
		r := runCtx(t, ctx, nil, args...)
		if r.code != exitInterrupted {
			t.Errorf("rdbkit %s with a cancelled context: exit %d, want %d (stderr %q)", strings.Join(args, " "), r.code, exitInterrupted, r.err)
		}
	}
}

func TestExecute(t *testing.T) {
	var out, errb bytes.Buffer
	code := Execute(context.Background(), []string{"verify", "--quiet", sample}, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errb})
	if code != 0 || out.Len() != 0 || errb.Len() != 0 {
		t.Fatalf("Execute verify --quiet: code %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	code = Execute(context.Background(), []string{"version"}, IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errb})
	if code != 0 || !strings.HasPrefix(out.String(), "rdbkit ") {
		t.Fatalf("version: code %d, stdout %q", code, out.String())
	}
}

func TestHelpHasExitStatus(t *testing.T) {
	for _, c := range []string{"inspect", "verify", "version"} {
		r := run(t, nil, c, "--help")
		if r.code != 0 || !strings.Contains(r.out, "EXIT STATUS") {
			t.Errorf("%s --help: exit %d, no EXIT STATUS section:\n%s", c, r.code, r.out)
		}
	}
	if r := run(t, nil); r.code != 0 || !strings.Contains(r.out, "EXIT STATUS") {
		t.Errorf("rdbkit: exit %d, output %q", r.code, r.out)
	}
}

func TestParseNow(t *testing.T) {
	clock := func() time.Time { return fixedNow }
	tests := []struct {
		in   string
		want time.Time
	}{
		{"", fixedNow},
		{"now", fixedNow},
		{"2030-01-02T03:04:05Z", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"2030-01-02T05:04:05+02:00", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)},
		{"1700000000", time.Unix(1700000000, 0).UTC()},
		{"1700000000123", time.UnixMilli(1700000000123).UTC()},
		{"0", time.Unix(0, 0).UTC()},
	}
	for _, tt := range tests {
		got, err := parseNow(tt.in, clock)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseNow(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"yesterday", "-5", "2030-01-02"} {
		if _, err := parseNow(bad, clock); err == nil {
			t.Errorf("parseNow(%q) succeeded", bad)
		}
	}
}
