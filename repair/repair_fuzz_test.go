package repair

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/manifest"
)

// Fuzz targets for repair: the frame finder on arbitrary bytes, and scan,
// plan and apply on AOF sets built from the fuzz input.

// FuzzFindFrame: findFrame returns -1 or the offset of a '*' where a frame
// of a known command parses, no earlier known frame starts, and the strict
// aoffile.Reader reads the same command (same size and arguments).
func FuzzFindFrame(f *testing.F) {
	for _, s := range []string{
		"*1\r\n$4\r\nPING\r\n",
		"xx*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n",
		"*2\r\n$3\r\nGET\r\n*1\r\n$4\r\nMULTI\r\n",
		"*1\r\n$3\r\nfoo\r\n*1\r\n$4\r\nEXEC\r\n",
		"*2\r\n$01\r\nx\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n",
	} {
		f.Add([]byte(s), uint16(0))
	}
	for _, s := range setSeeds() {
		f.Add(s, uint16(3))
	}
	f.Fuzz(func(t *testing.T, data []byte, from16 uint16) {
		if len(data) > 1<<20 {
			t.Skip("input over 1 MiB")
		}
		from := int64(from16) % (int64(len(data)) + 1)
		src := newSource(bytes.NewReader(data), int64(len(data)))
		q := findFrame(src, from)
		if q < 0 {
			q = int64(len(data))
		} else if q < from || q >= int64(len(data)) || data[q] != '*' {
			t.Fatalf("findFrame(%d) = %d", from, q)
		}
		for p := from; p < q; p++ {
			if fr, ok := parseFrame(src, p, src.size); ok && knownCommand(fr) {
				t.Fatalf("findFrame(%d) = %d, but a known frame starts at %d", from, q, p)
			}
		}
		if q == int64(len(data)) {
			return
		}
		fr, ok := parseFrame(src, q, src.size)
		if !ok || !knownCommand(fr) {
			t.Fatalf("no known frame at %d", q)
		}
		// The reader refuses an EXEC without MULTI: give it one first.
		in := data[q:]
		if fr.name() == "EXEC" {
			in = append([]byte("*1\r\n$5\r\nMULTI\r\n"), in...)
		}
		r := aoffile.NewReader(bytes.NewReader(in), &aoffile.Options{NoPreamble: true, Size: int64(len(in))})
		c, err := r.Next()
		if err == nil && fr.name() == "EXEC" {
			c, err = r.Next()
		}
		if err != nil {
			t.Fatalf("frame at %d (%d bytes) does not read strictly: %v", q, fr.size, err)
		}
		if c.Size != fr.size || int64(len(c.Args)) != fr.argc {
			t.Fatalf("frame at %d: %d bytes, %d args; reader: %d bytes, %d args", q, fr.size, fr.argc, c.Size, len(c.Args))
		}
		for i, h := range fr.head {
			if !bytes.HasPrefix(c.Args[i], h) {
				t.Fatalf("frame at %d: argument %d %q, reader %q", q, i, h, c.Args[i])
			}
		}
	})
}

// fuzzSet is an AOF set built from fuzz input: files of RESP commands,
// annotations and garbage, some torn at their end, and the commands that
// were written whole, in order.
type fuzzSet struct {
	files [][]byte
	orig  []string
}

var fuzzVocab = []struct {
	name string
	args int // fixed argument count after the name; -1: one or more
}{
	{"SET", 2}, {"DEL", -1}, {"INCR", 1}, {"RPUSH", -1}, {"SADD", -1}, {"HSET", 3}, {"SELECT", 1},
	{"MULTI", 0}, {"EXEC", 0}, {"PEXPIREAT", 2}, {"ZADD", 2}, {"APPEND", 2}, {"FLUSHALL", 0},
}

// buildFuzzSet decodes data. Each step's first byte b picks: b%8 < 5 a
// command (vocabulary entry from the next byte, arguments from the bytes
// after it), 5 a new file, 6 garbage (b>>3 bytes), 7 a "#TS:" annotation or
// (b&8) the end of the file torn by b>>4 bytes. No byte written outside a
// command's first byte is '*', so every frame in the set starts an
// original command.
func buildFuzzSet(data []byte) fuzzSet {
	var s fuzzSet
	cur := []byte{}
	clean := func(b []byte) []byte {
		return bytes.ReplaceAll(b, []byte("*"), []byte("+"))
	}
	take := func(n int) []byte {
		n = min(n, len(data))
		b := data[:n]
		data = data[n:]
		return b
	}
	for len(data) > 0 && len(s.files) < 6 {
		b := take(1)[0]
		switch b % 8 {
		case 0, 1, 2, 3, 4:
			sel := 0
			if len(data) > 0 {
				sel = int(take(1)[0])
			}
			v := fuzzVocab[sel%len(fuzzVocab)]
			n := v.args
			if n < 0 {
				n = 1 + int(b>>3)%4
			}
			argv := []string{v.name}
			for i := range n {
				l := int(b>>5) + i%3
				a := string(clean(take(l)))
				if v.name == "SELECT" {
					a = strconv.Itoa(len(a) % 16)
				}
				if v.name == "PEXPIREAT" && i == 1 || v.name == "ZADD" && i == 0 {
					a = strconv.Itoa(len(a) * 1000)
				}
				argv = append(argv, a)
			}
			cur = append(cur, fmt.Sprintf("*%d\r\n", len(argv))...)
			for _, a := range argv {
				cur = append(cur, fmt.Sprintf("$%d\r\n%s\r\n", len(a), a)...)
			}
			s.orig = append(s.orig, strings.Join(argv, "\x00"))
		case 5:
			s.files = append(s.files, cur)
			cur = []byte{}
		case 6:
			cur = append(cur, clean(take(int(b>>3)))...)
		case 7:
			if b&8 == 0 {
				cur = append(cur, fmt.Sprintf("#TS:%d\r\n", 1700000000+int(b>>4))...)
				continue
			}
			cur = cur[:len(cur)-min(len(cur), int(b>>4))]
			s.files = append(s.files, cur)
			cur = []byte{}
		}
	}
	return fuzzSet{files: append(s.files, cur), orig: s.orig}
}

// setSeeds encodes a few sets in buildFuzzSet's language: clean, torn,
// with garbage between commands, with a transaction cut in two.
func setSeeds() [][]byte {
	return [][]byte{
		{0x20, 0, 'a', 'b', 0x40, 3, 'k', 'v', 'w', 0x05, 0x00, 7, 0x07, 0x20, 0},
		{0x00, 7, 0x20, 0, 'k', 'v', 0x20, 8, 'k', 'v', 0x00, 8, 0x40, 2, 'k', 'x', 'f', 'v', 0xff},
		{0x20, 0, 'k', 'v', 0x3e, 'g', 'a', 'r', 'b', 'a', 'g', 'e', '$', '3', '\r', '\n', 0x20, 1, 'k', 0x05, 0x20, 2, 'x'},
		{0x00, 7, 0x20, 0, 'k', 'v', 0x0e, 'x', 0x20, 0, 'q', 'r', 0x00, 8, 0x05, 0x00, 7, 0x20, 0, 's', 't', 0x9f},
		{0x20, 0, 'k', 'v', 0xf7, 0x25, 3, 'a', 0x00, 12, 0x87, 0x00, 6, 0x20, 0, 'x', 'y'},
	}
}

// writeFuzzSet writes the set as an appendonlydir in dir: the first file
// is the base (RESP), the others incr files.
func writeFuzzSet(t *testing.T, dir string, s fuzzSet) {
	t.Helper()
	var m strings.Builder
	for i, b := range s.files {
		name := "appendonly.aof.1.base.aof"
		line := "file " + name + " seq 1 type b\n"
		if i > 0 {
			name = "appendonly.aof." + strconv.Itoa(i) + ".incr.aof"
			line = "file " + name + " seq " + strconv.Itoa(i) + " type i\n"
		}
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
		m.WriteString(line)
	}
	if err := os.WriteFile(filepath.Join(dir, "appendonly.aof.manifest"), []byte(m.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// setCommands reads every command of the set's files in load order,
// strictly; an error fails the test.
func setCommands(t *testing.T, set *manifest.Set) []string {
	t.Helper()
	var out []string
	for _, f := range set.Files() {
		fh, err := os.Open(f.Path)
		if err != nil {
			t.Fatal(err)
		}
		r := aoffile.NewReader(fh, &aoffile.Options{NoPreamble: true, SkipAnnotations: true})
		for {
			c, err := r.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				fh.Close()
				t.Fatalf("%s: %v", f.Path, err)
			}
			args := make([]string, len(c.Args))
			for i, a := range c.Args {
				args[i] = string(a)
			}
			out = append(out, strings.Join(args, "\x00"))
		}
		fh.Close()
	}
	return out
}

func isSubsequence(sub, of []string) bool {
	i := 0
	for _, s := range of {
		if i < len(sub) && sub[i] == s {
			i++
		}
	}
	return i == len(sub)
}

func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = string(b)
	}
	return m
}

// FuzzRepairSet builds an AOF set from the input, then scans, plans and
// applies a repair with the options in opts (bit 0 SkipCorrupt, bit 1
// DropAfter, bit 2 in place with a backup, bit 3 a ToTimestamp cut).
// Properties: no panic; a refused plan makes Apply refuse and write
// nothing; otherwise every command kept is one of the originals, in their
// order, the repaired set scans clean and needs no further repair, and in
// place, Undo gives back the original files byte for byte.
func FuzzRepairSet(f *testing.F) {
	for _, s := range setSeeds() {
		for o := range uint8(16) {
			f.Add(s, o)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, opts uint8) {
		if len(data) > 64<<10 {
			t.Skip("input over 64 KiB")
		}
		fs := buildFuzzSet(data)
		tmp := t.TempDir()
		dir := filepath.Join(tmp, "appendonlydir")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		writeFuzzSet(t, dir, fs)
		before := snapshotDir(t, dir)
		set, err := manifest.Resolve(dir, nil)
		if err != nil {
			t.Fatalf("Resolve: %v", err)
		}
		s, err := ScanSet(context.Background(), set, &ScanOptions{Records: true})
		if err != nil {
			t.Fatalf("ScanSet: %v", err)
		}
		po := PlanOptions{SkipCorrupt: opts&1 != 0, DropAfter: opts&2 != 0}
		if opts&8 != 0 {
			po.HasTimestamp, po.ToTimestamp = true, 1700000000+int64(opts>>4)
		}
		p, err := NewPlan(s, po)
		if err != nil {
			t.Fatalf("NewPlan: %v", err)
		}
		inPlace := opts&4 != 0
		ao := ApplyOptions{OutputDir: filepath.Join(tmp, "out"), Force: true}
		if inPlace {
			ao = ApplyOptions{BackupDir: filepath.Join(tmp, "backup"), Force: true}
		}
		if p.Refused != "" {
			if _, err := Apply(s, p, ao); !errors.Is(err, ErrRefused) {
				t.Fatalf("refused plan (%s): Apply returned %v", p.Refused, err)
			}
			if !mapsEqual(snapshotDir(t, dir), before) {
				t.Fatalf("refused plan changed the set")
			}
			return
		}
		if !p.Changes {
			if s.Damaged() {
				t.Fatalf("damaged set, plan without changes or refusal: %+v", p)
			}
			return
		}
		res, err := Apply(s, p, ao)
		if err != nil {
			t.Fatalf("Apply: %v\nplan %+v", err, p)
		}
		out := ao.OutputDir
		if inPlace {
			out = dir
		}
		set2, err := manifest.Resolve(out, nil)
		if err != nil {
			t.Fatalf("Resolve of the repaired set: %v", err)
		}
		s2, err := ScanSet(context.Background(), set2, &ScanOptions{Records: true})
		if err != nil {
			t.Fatal(err)
		}
		if s2.Damaged() {
			for _, f := range s2.Files {
				t.Logf("%s: %v", f.File.Name, f.Err)
			}
			t.Fatalf("repaired set is damaged; plan %+v", p)
		}
		if p2, err := NewPlan(s2, PlanOptions{}); err != nil || p2.Changes || p2.Refused != "" {
			t.Fatalf("repaired set needs another repair: %+v %v", p2, err)
		}
		if kept := setCommands(t, set2); !isSubsequence(kept, fs.orig) {
			t.Fatalf("kept commands are not a subsequence of the originals\nkept %q\norig %q", kept, fs.orig)
		}
		if inPlace {
			if len(res.BackedUp) == 0 {
				t.Fatalf("in-place repair made no backup: %+v", res)
			}
			if _, err := Undo(ao.BackupDir, UndoOptions{Force: true}); err != nil {
				t.Fatalf("Undo: %v", err)
			}
			after := snapshotDir(t, dir)
			for name, b := range before {
				if after[name] != b {
					t.Fatalf("after Undo %s differs (%d bytes, was %d)", name, len(after[name]), len(b))
				}
			}
		} else if !mapsEqual(snapshotDir(t, dir), before) {
			t.Fatalf("a repair to an output directory changed the input")
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	ka := make([]string, 0, len(a))
	for k := range a {
		ka = append(ka, k)
	}
	slices.Sort(ka)
	for _, k := range ka {
		if bv, ok := b[k]; !ok || bv != a[k] {
			return false
		}
	}
	return true
}
