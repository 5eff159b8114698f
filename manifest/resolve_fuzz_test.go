package manifest

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Fuzz targets for Resolve (a directory built from the input: manifest
// text, file names and contents, symbolic links leading out of the
// directory) and for the redis.conf reader.

// outsideSecret is the content of a file next to the AOF directory, which
// symbolic links in it point to: Resolve must never read it.
const outsideSecret = "REDIS0011 outside the AOF directory"

func FuzzResolve(f *testing.F) {
	f.Add([]byte("file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"),
		"appendonly.aof.2.incr.aof\ntemp-rewriteaof-1.aof", []byte("REDIS0011\xff"), uint8(0))
	f.Add([]byte("file appendonly.aof.1.base.aof seq 1 type b\nfile ../secret seq 1 type i\nfile link seq 2 type i\n"),
		"link\nappendonly.aof.1.base.aof", []byte("*1\r\n$4\r\nPING\r\n"), uint8(1))
	f.Add([]byte("file \"a b\" seq 1 type b\nfile sub/x seq 1 type i\nfile . seq 2 type i\nfile .. seq 3 type h\n"),
		"temp-appendonly.aof.manifest\ntemp-appendonly.aof.incr", []byte("VALKEY080"), uint8(2))
	f.Add([]byte("file appendonly.aof.1.base.rdb seq 1 type b\n"), "appendonly.aof", []byte(""), uint8(5))
	if m, err := filepath.Glob(filepath.Join(corpusDirNoSkip(), "*", "*", "appendonlydir", "*.manifest")); err == nil {
		for i, p := range m {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, "appendonly.aof.9.incr.aof", []byte("REDIS0010"), uint8(i))
			}
		}
	}
	if m, err := filepath.Glob(filepath.Join(corpusDirNoSkip(), "*", "damaged", "*", "appendonlydir", "*.manifest")); err == nil {
		for i, p := range m {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b, "", []byte("*"), uint8(i))
			}
		}
	}
	f.Fuzz(func(t *testing.T, man []byte, names string, content []byte, mode uint8) {
		if len(man) > 64<<10 || len(names) > 4<<10 || len(content) > 64<<10 {
			t.Skip("input too large")
		}
		tmp := t.TempDir()
		if err := os.WriteFile(filepath.Join(tmp, "secret"), []byte(outsideSecret), 0o644); err != nil {
			t.Fatal(err)
		}
		srv := filepath.Join(tmp, "srv")
		dir := filepath.Join(srv, "appendonlydir")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		// Files listed by the manifest get content (a different start of
		// it for each); mode bit 3 leaves them out.
		var listed []string
		if m, err := Parse(man); err == nil && mode&8 == 0 {
			for _, e := range append(append([]Entry{}, m.History...), m.Incr...) {
				listed = append(listed, e.Name)
			}
			if m.Base != nil {
				listed = append(listed, m.Base.Name)
			}
		}
		for i, n := range listed {
			if isBaseName(n) && len(n) < 200 {
				_ = os.WriteFile(filepath.Join(dir, n), content[min(i, len(content)):], 0o644)
			}
		}
		// Extra names: empty files, or (bit 0 and odd position) symbolic
		// links to the secret outside the directory.
		for i, n := range strings.Split(names, "\n") {
			if !isBaseName(n) || len(n) >= 200 {
				continue
			}
			p := filepath.Join(dir, n)
			os.Remove(p)
			if mode&1 != 0 && i%2 == 1 {
				_ = os.Symlink(filepath.Join("..", "..", "secret"), p)
			} else {
				_ = os.WriteFile(p, content[:min(len(content), i)], 0o644)
			}
		}
		mpath := filepath.Join(dir, "appendonly.aof.manifest")
		if mode&4 == 0 {
			if err := os.WriteFile(mpath, man, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		path := []string{dir, srv, mpath}[int(mode>>4)%3]
		set, err := Resolve(path, nil)
		if err != nil {
			return
		}
		if set == nil || set.Manifest == nil {
			t.Fatalf("Resolve(%s) gave %+v and no error", path, set)
		}
		all := set.Files()
		for i := range set.History {
			all = append(all, &set.History[i])
		}
		for _, fl := range all {
			if fl.Path != filepath.Join(set.Dir, fl.Name) {
				t.Fatalf("file %q has path %q outside %q", fl.Name, fl.Path, set.Dir)
			}
			if !fl.Exists {
				if fl.Size != -1 || fl.Content != ContentUnknown {
					t.Fatalf("missing file %q: size %d, content %v", fl.Name, fl.Size, fl.Content)
				}
				continue
			}
			h, err := set.Open(fl)
			if err != nil {
				t.Fatalf("file %q exists but does not open: %v", fl.Name, err)
			}
			b, err := io.ReadAll(h)
			h.Close()
			if err != nil {
				t.Fatal(err)
			}
			if string(b) == outsideSecret {
				t.Fatalf("file %q was read outside the directory", fl.Name)
			}
			want := ContentRESP
			switch {
			case len(b) == 0:
				want = ContentEmpty
			case bytes.HasPrefix(b, []byte("REDIS")) || bytes.HasPrefix(b, []byte("VALKEY")):
				want = ContentRDB
			}
			if int64(len(b)) != fl.Size || fl.Content != want {
				t.Fatalf("file %q: size %d content %v, holds %d bytes (%v)", fl.Name, fl.Size, fl.Content, len(b), want)
			}
		}
		for _, fd := range set.Findings {
			_ = fd.String()
		}
	})
}

// FuzzReadConfig: ReadConfig never panics; what it returns are plain file
// names, and they agree with ReadConfigValue (the last occurrence wins in
// both).
func FuzzReadConfig(f *testing.F) {
	for _, s := range []string{
		"appendonly yes\nappendfilename \"appendonly.aof\"\nappenddirname \"appendonlydir\"\n",
		"# comment\r\nappendfilename 'my file.aof'\r\nAPPENDDIRNAME aofs\r\nappendfilename other.aof\n",
		"appendfilename \"a\\x00b\"\nappenddirname ../up\n",
		"appendfilename a b\n",
		"appendfilename \"unterminated\n  appenddirname\t\"d\\\"q\"  \n",
		"include /etc/redis/other.conf\nappendfilename x\n",
	} {
		f.Add([]byte(s))
	}
	if b, err := os.ReadFile("/etc/redis/redis.conf"); err == nil {
		var keep []string
		for _, ln := range strings.Split(string(b), "\n") {
			if strings.Contains(ln, "append") || (ln != "" && ln[0] != '#') {
				keep = append(keep, ln)
			}
		}
		f.Add([]byte(strings.Join(keep, "\n")))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 64<<10 {
			t.Skip("input over 64 KiB")
		}
		p := filepath.Join(t.TempDir(), "redis.conf")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		fname, dname, err := ReadConfig(p)
		if err != nil {
			return
		}
		for _, c := range []struct{ directive, got string }{{"appendfilename", fname}, {"appenddirname", dname}} {
			if c.got != "" && !isBaseName(c.got) {
				t.Fatalf("%s %q is not a plain name", c.directive, c.got)
			}
			v, found, err := ReadConfigValue(p, c.directive)
			if err != nil || found != (c.got != "") || v != c.got {
				t.Fatalf("ReadConfig %s %q, ReadConfigValue %q %v %v", c.directive, c.got, v, found, err)
			}
		}
		if fname != "" || dname != "" {
			dir := t.TempDir()
			if _, err := Resolve(dir, &ResolveOptions{ConfigPath: p}); err != nil && strings.Contains(err.Error(), "plain names") {
				t.Fatalf("Resolve refuses the names ReadConfig accepted: %v", err)
			}
		}
	})
}
