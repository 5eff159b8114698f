package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

func gzipBytes(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zstdBytes(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	w, err := zstd.NewWriter(&b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// vcsBytes wraps data the way Valkey 9.2 with rdbcompression lz4 writes it:
// "VCS", version 1, codec 1 (LZ4), reserved 0, kind 1 (RDB), an LZ4 frame
// with block and content checksums.
func vcsBytes(t *testing.T, data []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{'V', 'C', 'S', 1, 1, 0, 1})
	w := lz4.NewWriter(&b)
	if err := w.Apply(lz4.ChecksumOption(true), lz4.BlockChecksumOption(true)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// stripInputFields removes what legitimately differs between a plain and a
// compressed input.
// A truncation is found earlier and described differently when the size is
// known ("length 19 exceeds the 9 bytes left") than in a decompressed stream
// ("unexpected end of file"), at the same offset, so truncation messages
// are normalised.
func stripInputFields(recs []map[string]any) []map[string]any {
	for _, r := range recs {
		for _, k := range []string{"file", "compression", "offsets", "file_size", "hint"} {
			delete(r, k)
		}
		normTruncation(r)
	}
	return recs
}

// normTruncation replaces a truncation message, in a record or in its
// "error" object (inspect --json on a damaged file), by "<truncated>".
func normTruncation(r map[string]any) {
	for _, m := range []map[string]any{r, func() map[string]any { e, _ := r["error"].(map[string]any); return e }()} {
		if msg, ok := m["message"].(string); ok && (strings.Contains(msg, "bytes left") || msg == "unexpected end of file") {
			m["message"] = "<truncated>"
		}
	}
}

// firstDiff describes the first differing record.
func firstDiff(got, want []map[string]any) string {
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			return fmt.Sprintf("record %d:\n got %v\nwant %v", i, got[i], want[i])
		}
	}
	return fmt.Sprintf("%d records, want %d", len(got), len(want))
}

func TestCompressedInputsVerifyLikePlain(t *testing.T) {
	inputs := []string{sample}
	if dir := findCorpus(); dir != "" {
		inputs = append(inputs,
			filepath.Join(dir, "redis-7.0.15", "rdb", "dump-bigvalue.rdb"),
			filepath.Join(dir, "valkey-8.0.1", "rdb", "dump.rdb"),
			filepath.Join(dir, "redis-7.4.1", "damaged", "rdb-trunc-midvalue.rdb"),
			filepath.Join(dir, "redis-7.2.6", "damaged", "rdb-bad-type.rdb"),
			filepath.Join(dir, "redis-7.4.1", "damaged", "rdb-flip-value.rdb"),
			filepath.Join(dir, "upstream-assets", "redis", "corrupt_empty_keys.rdb"))
	} else {
		t.Log("corpus absent: only the committed sample is compressed")
	}
	tmp := t.TempDir()
	for _, src := range inputs {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		wantCode, wantRecs := verifyJSON(t, "--target", "all", src)
		stripInputFields(wantRecs)
		wantInspect := run(t, nil, "--json", "inspect", src)
		for _, c := range []struct {
			name string
			data []byte
		}{{compGzip, gzipBytes(t, data)}, {compZstd, zstdBytes(t, data)}, {compLZ4VCS, vcsBytes(t, data)}} {
			path := filepath.Join(tmp, filepath.Base(src)+"."+c.name)
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			code, recs := verifyJSON(t, "--target", "all", path)
			if code != wantCode {
				t.Errorf("%s as %s: exit %d, plain %d", src, c.name, code, wantCode)
			}
			file := byType(recs, "file")[0]
			if file["compression"] != c.name || file["offsets"] != "decompressed" {
				t.Errorf("%s as %s: file record %v", src, c.name, file)
			}
			if !reflect.DeepEqual(stripInputFields(recs), wantRecs) {
				t.Errorf("%s as %s: verify differs from the plain file: %s", src, c.name, firstDiff(recs, wantRecs))
			}
			txt := run(t, nil, "verify", path)
			if !strings.Contains(txt.out, "compression:\t"+c.name+" (offsets are in the decompressed stream)") {
				t.Errorf("%s as %s: text does not say offsets are decompressed:\n%s", src, c.name, txt.out)
			}
			got := run(t, nil, "--json", "inspect", path)
			if got.code != wantInspect.code {
				t.Errorf("%s as %s: inspect exit %d, plain %d", src, c.name, got.code, wantInspect.code)
			}
			if wantInspect.code == 0 {
				g, w := jsonLines(t, compact(t, got.out)), jsonLines(t, compact(t, wantInspect.out))
				if !reflect.DeepEqual(stripInputFields(g), stripInputFields(w)) {
					t.Errorf("%s as %s: inspect differs from the plain file", src, c.name)
				}
			}
		}
	}
}

// compact turns one indented JSON document into one line.
func compact(t *testing.T, s string) string {
	var b bytes.Buffer
	if err := jsonCompact(&b, []byte(s)); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestBadEnvelopes(t *testing.T) {
	data, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	good := vcsBytes(t, data)
	mod := func(i int, v byte) []byte {
		b := bytes.Clone(good)
		b[i] = v
		return b
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"version", mod(3, 2), "unknown \"VCS\" envelope version 2"},
		{"codec", mod(4, 2), "unknown \"VCS\" envelope codec id"},
		{"reserved", mod(5, 1), "nonzero reserved byte"},
		{"kind", mod(6, 0), "unknown \"VCS\" envelope stream kind"},
		{"truncated-magic", []byte("VC"), "truncated \"VCS\" compression envelope"},
		{"truncated-header", good[:5], "truncated \"VCS\" compression envelope"},
		{"no-frame", append([]byte{'V', 'C', 'S', 1, 1, 0, 1}, data...), "no LZ4 frame"},
		{"vkcs", append([]byte("VKCS\x01\x00\x00\x00"), good[7:]...), "unsupported pre-release Valkey \"VKCS\""},
		{"lz4-truncated", good[:len(good)/2], "unexpected end of file"},
		{"gzip-garbage", append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{0xff}, 30)...), "gzip"},
	}
	tmp := t.TempDir()
	for _, tt := range tests {
		path := filepath.Join(tmp, tt.name)
		if err := os.WriteFile(path, tt.data, 0o644); err != nil {
			t.Fatal(err)
		}
		r := run(t, nil, "verify", path)
		if r.code != exitCorrupt {
			t.Errorf("%s: exit %d, want 3\n%s%s", tt.name, r.code, r.out, r.err)
		}
		if !strings.Contains(r.out, tt.want) {
			t.Errorf("%s: output lacks %q:\n%s", tt.name, tt.want, r.out)
		}
		if r := run(t, nil, "inspect", path); r.code != exitCorrupt {
			t.Errorf("inspect %s: exit %d, want 3 (%s)", tt.name, r.code, r.err)
		}
	}
}

// TestProgressOnlyOnTerminal: the bar is never attached when stderr is not
// a terminal, and never for --json or --quiet, whatever the size.
func TestProgressOnlyOnTerminal(t *testing.T) {
	var errb bytes.Buffer
	for _, a := range []*App{
		{IO: IOStreams{ErrOut: &errb}},
		{IO: IOStreams{ErrOut: &errb}, JSON: true},
		{IO: IOStreams{ErrOut: &errb}, Quiet: true},
	} {
		in, err := a.openInput(context.Background(), sample)
		if err != nil {
			t.Fatal(err)
		}
		in.FileSize = 1 << 40
		done := a.startProgress(in, "test")
		if _, err := io.Copy(io.Discard, in.R); err != nil {
			t.Fatal(err)
		}
		done()
		in.Close()
		if in.BytesRead() == 0 {
			t.Error("nothing counted")
		}
		update, done2 := a.startSetProgress(1<<40, "test")
		if update != nil {
			t.Error("set progress bar without a terminal")
		}
		done2()
	}
	if errb.Len() != 0 {
		t.Errorf("progress wrote %q", errb.String())
	}
}

// A small old-style AOF as redis-server 7.0 writes it with
// aof-timestamp-enabled: annotations, SELECT, writes and a transaction.
const oneShotAOF = "#TS:1795236558\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" +
	"*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r\n" +
	"*1\r\n$5\r\nMULTI\r\n*3\r\n$4\r\nSADD\r\n$1\r\ns\r\n$1\r\na\r\n*1\r\n$4\r\nEXEC\r\n" +
	"#TS:1795236560\r\n*4\r\n$5\r\nHMSET\r\n$1\r\nh\r\n$1\r\nf\r\n$1\r\nv\r\n"

// oneShotFeeders hand the bytes of a file to a command the ways a shell
// does: the file itself, a FIFO, process substitution (/dev/fd/N) and
// standard input. Each returns the path argument and the stdin stream.
func oneShotFeeders(t *testing.T, file string) map[string]func() (string, io.Reader) {
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pipe := func() (*os.File, *os.File) {
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		go func() { w.Write(data); w.Close() }()
		return r, w
	}
	return map[string]func() (string, io.Reader){
		"file": func() (string, io.Reader) { return file, nil },
		"fifo": func() (string, io.Reader) {
			p := filepath.Join(t.TempDir(), "fifo")
			if err := syscall.Mkfifo(p, 0o600); err != nil {
				t.Skip("no FIFOs:", err)
			}
			go func() {
				if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
					w.Write(data)
					w.Close()
				}
			}()
			return p, nil
		},
		"dev-fd": func() (string, io.Reader) {
			r, _ := pipe()
			return "/dev/fd/" + strconv.Itoa(int(r.Fd())), nil
		},
		"stdin": func() (string, io.Reader) {
			r, _ := pipe()
			return "-", r
		},
	}
}

// normOneShot removes what names the input (its path, directory and size on
// disk) from JSON records, so a stream and its file compare equal. As in
// stripInputFields, a truncation found early from the known file size and
// one found at the end of a stream of unknown size are the same finding
// (same offset, field and key) described in two ways.
func normOneShot(recs []map[string]any) []map[string]any {
	for _, r := range recs {
		normTruncation(r)
		for _, k := range []string{"file", "file_size", "path", "dir", "base", "suggest"} {
			delete(r, k)
		}
		if r["type"] == "aof_file" {
			delete(r, "name")
		}
		if ws, ok := r["warnings"].([]any); ok { // "<file name> ends in ..."
			for i, w := range ws {
				if m, ok := w.(map[string]any); ok {
					delete(m, "file")
				}
				if s, ok := w.(string); ok {
					if _, rest, ok := strings.Cut(s, " "); ok {
						ws[i] = "<name> " + rest
					}
				}
			}
		}
		if res, ok := r["result"].(map[string]any); ok {
			delete(res, "files")
			if tr, ok := res["truncated"].(map[string]any); ok {
				delete(tr, "file")
			}
		}
	}
	return recs
}

// dropLines removes the lines starting with prefix.
func dropLines(s, prefix string) string {
	var b strings.Builder
	for _, ln := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(ln, prefix) {
			b.WriteString(ln)
		}
	}
	return b.String()
}

// jsonValues decodes a stream of JSON documents, indented or one a line.
func jsonValues(t *testing.T, s string) []map[string]any {
	t.Helper()
	var out []map[string]any
	d := json.NewDecoder(strings.NewReader(s))
	for {
		var m map[string]any
		if err := d.Decode(&m); err == io.EOF {
			return out
		} else if err != nil {
			t.Fatalf("bad JSON: %v\n%s", err, s)
		}
		out = append(out, m)
	}
}

// TestOneShotInputs: every command reads its input once, so a FIFO,
// /dev/fd/N and standard input give what the file gives (before, they were
// opened, sniffed and opened again: "bad magic").
func TestOneShotInputs(t *testing.T) {
	if _, err := os.Stat("/dev/fd/0"); err != nil {
		t.Skip("no /dev/fd")
	}
	tmp := t.TempDir()
	sampleData, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"rdb": sample}
	write := func(name string, b []byte) {
		p := filepath.Join(tmp, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		files[name] = p
	}
	write("dump.rdb.gz", gzipBytes(t, sampleData))
	write("dump.rdb.vcs", vcsBytes(t, sampleData))
	write("trunc.rdb", sampleData[:len(sampleData)*2/3])
	write("appendonly.aof", []byte(oneShotAOF))
	write("torn.aof", []byte(oneShotAOF[:len(oneShotAOF)-7]))
	write("aof.zst", zstdBytes(t, []byte(oneShotAOF)))
	if dir := findCorpus(); dir != "" {
		files["corpus-legacy-aof"] = filepath.Join(dir, "redis-7.0.15", "legacy-aof", "appendonly.aof")
		files["corpus-bigvalue"] = filepath.Join(dir, "redis-7.0.15", "rdb", "dump-bigvalue.rdb")
	}
	commands := [][]string{
		{"--json", "inspect"},
		{"--json", "verify", "--target", "all"},
		{"--json", "replay", "--server-version", "7.0.15"},
		{"replay", "--digest", "--server-version", "7.0.15"},
	}
	for name, file := range files {
		feeders := oneShotFeeders(t, file)
		for _, args := range commands {
			want := run(t, nil, append(args, file)...)
			for _, how := range []string{"fifo", "dev-fd", "stdin"} {
				path, stdin := feeders[how]()
				got := run(t, stdin, append(args, path)...)
				if got.code != want.code {
					t.Errorf("%s via %s, %v: exit %d, the file %d\n%s", name, how, args, got.code, want.code, got.err)
					continue
				}
				if args[0] != "--json" {
					tornName := regexp.MustCompile(`(?m)^torn tail:\t[^:]*:`)
					g := tornName.ReplaceAllString(dropLines(got.out, "files:"), "torn tail:\t<name>:")
					w := tornName.ReplaceAllString(dropLines(want.out, "files:"), "torn tail:\t<name>:")
					if g != w {
						t.Errorf("%s via %s, %v:\n%s\nthe file:\n%s", name, how, args, g, w)
					}
					continue
				}
				g, w := normOneShot(jsonValues(t, got.out)), normOneShot(jsonValues(t, want.out))
				if !reflect.DeepEqual(g, w) {
					t.Errorf("%s via %s, %v: %s", name, how, args, firstDiff(g, w))
				}
			}
		}
	}
}

// TestRepairWantsAFile: repair re-reads what it cuts and rewrites files in
// place, so a stream is refused with the reason (exit 2), never half read.
func TestRepairWantsAFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "appendonly.aof")
	if err := os.WriteFile(p, []byte(oneShotAOF), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "repair", "--dry-run", p); r.code != exitOK {
		t.Fatalf("repair --dry-run on the file: exit %d\n%s%s", r.code, r.out, r.err)
	}
	feeders := oneShotFeeders(t, p)
	for _, how := range []string{"fifo", "dev-fd", "stdin"} {
		path, stdin := feeders[how]()
		r := run(t, stdin, "repair", "--dry-run", path)
		if r.code != exitUsage || !strings.Contains(r.err, "repair needs the files on disk") {
			t.Errorf("repair --dry-run via %s: exit %d\n%s", how, r.code, r.err)
		}
	}
	gz := filepath.Join(t.TempDir(), "appendonly.aof.gz")
	if err := os.WriteFile(gz, gzipBytes(t, []byte(oneShotAOF)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := run(t, nil, "repair", "--dry-run", gz); r.code != exitUsage || !strings.Contains(r.err, "gzip-compressed") {
		t.Errorf("repair --dry-run on gzip: exit %d\n%s", r.code, r.err)
	}
}

// TestInterruptBlockedInput runs the binary on inputs that block — a FIFO
// with no writer (blocked in open), a FIFO and standard input whose writer
// sends nothing (blocked in read) — sends SIGINT once it is blocked there,
// and expects exit 130 within a second.
func TestInterruptBlockedInput(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "rdbkit")
	if out, err := exec.Command("go", "build", "-o", bin, "./rdbkit").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	fifo := func(name string) string {
		p := filepath.Join(t.TempDir(), name)
		if err := syscall.Mkfifo(p, 0o600); err != nil {
			t.Skip("no FIFOs:", err)
		}
		return p
	}
	// inKernel reports whether a thread of pid waits in a kernel function
	// whose name contains one of names (/proc/PID/task/*/wchan): the
	// process got past its start-up, where a SIGINT would still kill it
	// the default way, to the blocking open or read.
	inKernel := func(pid int, names ...string) bool {
		tasks, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/wchan")
		for _, w := range tasks {
			b, _ := os.ReadFile(w)
			for _, n := range names {
				if strings.Contains(string(b), n) {
					return true
				}
			}
		}
		return false
	}
	cases := []struct {
		name  string
		setup func(c *exec.Cmd) (ready func(pid int) bool)
	}{
		{"fifo-no-writer", func(c *exec.Cmd) func(int) bool {
			c.Args = append(c.Args, fifo("nowriter"))
			return func(pid int) bool { return inKernel(pid, "partner", "fifo") }
		}},
		{"fifo-idle-writer", func(c *exec.Cmd) func(int) bool {
			p := fifo("idle")
			opened := make(chan struct{})
			go func() {
				// Returns once the command has opened the FIFO.
				if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
					t.Cleanup(func() { w.Close() })
				}
				close(opened)
			}()
			c.Args = append(c.Args, p)
			return func(int) bool {
				select {
				case <-opened:
					return true
				default:
					return false
				}
			}
		}},
		{"stdin-idle-writer", func(c *exec.Cmd) func(int) bool {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { r.Close(); w.Close() })
			c.Stdin = r
			c.Args = append(c.Args, "-")
			return func(pid int) bool { return inKernel(pid, "pipe") }
		}},
	}
	for _, tc := range cases {
		for _, verb := range []string{"verify", "inspect", "replay"} {
			c := exec.Command(bin, verb)
			ready := tc.setup(c)
			var errb bytes.Buffer
			c.Stderr = &errb
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(20 * time.Second); !ready(c.Process.Pid) && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			time.Sleep(100 * time.Millisecond) // settle into the blocking call
			sent := time.Now()
			if err := c.Process.Signal(os.Interrupt); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- c.Wait() }()
			select {
			case <-done:
				if code := c.ProcessState.ExitCode(); code != exitInterrupted {
					t.Errorf("%s %s: exit %d, want 130\n%s", verb, tc.name, code, errb.String())
				}
				if d := time.Since(sent); d > time.Second {
					t.Errorf("%s %s: exited %v after SIGINT", verb, tc.name, d)
				}
			case <-time.After(time.Second):
				c.Process.Kill()
				<-done
				t.Errorf("%s %s: still running 1 s after SIGINT", verb, tc.name)
			}
		}
	}
}
