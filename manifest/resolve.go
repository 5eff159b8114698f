package manifest

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Defaults of the server's appendfilename and appenddirname.
const (
	DefaultAppendFilename = "appendonly.aof"
	DefaultAppendDirname  = "appendonlydir"
)

// maxManifestSize bounds how much of a manifest file is read.
const maxManifestSize = 64 << 20

// ResolveOptions tune Resolve. The zero value uses the server defaults.
type ResolveOptions struct {
	// ConfigPath is a redis.conf or valkey.conf to read appendfilename and
	// appenddirname from (only those two directives are read; "include"
	// is not followed).
	ConfigPath string
	// AppendFilename and AppendDirname override the configuration.
	AppendFilename string
	AppendDirname  string
}

// Content is what a file holds, decided by its first bytes as the server
// does ("REDIS" or "VALKEY" magic: RDB), never by its name.
type Content uint8

const (
	ContentUnknown Content = iota // not examined (missing or not a regular file)
	ContentEmpty                  // size 0
	ContentRDB                    // RDB (base, or RDB preamble + RESP tail)
	ContentRESP                   // RESP commands
)

func (c Content) String() string {
	return [...]string{"unknown", "empty", "rdb", "resp"}[min(int(c), 3)]
}

// File is a manifest entry resolved in the directory.
type File struct {
	Entry
	Path    string // Set.Dir joined with Name
	Exists  bool
	Size    int64 // -1 when the file does not exist
	Content Content
}

// Severity grades a Finding.
type Severity uint8

const (
	// SevError: the server refuses to start (e.g. a listed file is missing).
	SevError Severity = iota
	// SevWarning: the server starts, but something deserves attention.
	SevWarning
)

func (s Severity) String() string {
	if s == SevWarning {
		return "warning"
	}
	return "error"
}

// Problem says what a Finding is about.
type Problem uint8

const (
	// ProblemMissing: a base or incr file listed in the manifest does not
	// exist ("Unable to obtain the AOF file ... length" at startup).
	ProblemMissing Problem = iota
	// ProblemNotRegular: a listed name is not a regular file inside the
	// directory (a directory, ".", "..", a symlink leaving the directory).
	ProblemNotRegular
	// ProblemUnlisted: a file named like an AOF part of this set is in the
	// directory but not in the manifest; the server never loads it.
	ProblemUnlisted
	// ProblemTemp: a temporary file of an interrupted rewrite or manifest
	// update is in the directory.
	ProblemTemp
	// ProblemNoData: the manifest lists no base and no incr file; the
	// server starts with an empty dataset.
	ProblemNoData
)

func (p Problem) String() string {
	return [...]string{"missing file", "not a regular file", "file not in the manifest",
		"temporary file", "no base or incr file"}[min(int(p), 4)]
}

// A Finding is one problem Resolve noticed.
type Finding struct {
	Severity Severity
	Problem  Problem
	Name     string // file name in the directory
	Detail   string
}

func (f Finding) String() string {
	s := f.Severity.String() + ": " + f.Problem.String()
	if f.Name != "" {
		s += " " + strconv.Quote(f.Name)
	}
	if f.Detail != "" {
		s += ": " + f.Detail
	}
	return s
}

// Set is an AOF as the server would load it: a base, then incr files in
// order; history files are never loaded.
type Set struct {
	// Dir is the directory holding the files (the appendonlydir, or the
	// directory of a single old-style file).
	Dir string
	// ManifestPath is the manifest's path, "" for an old-style file.
	ManifestPath string
	// Manifest is the parsed manifest; for an old-style file, the one the
	// server writes when it migrates it: "file <name> seq 1 type b".
	Manifest *Manifest
	Base     *File
	Incrs    []File
	History  []File
	// Legacy is set for an old-style single file (Redis < 7.0): RESP, or
	// an RDB preamble followed by RESP.
	Legacy bool
	// AppendFilename is the appendfilename the file names derive from.
	AppendFilename string
	// Findings lists missing, unlisted and temporary files.
	Findings []Finding
}

// Files returns the files the server loads, in order: the base, then the
// incr files.
func (s *Set) Files() []*File {
	var out []*File
	if s.Base != nil {
		out = append(out, s.Base)
	}
	for i := range s.Incrs {
		out = append(out, &s.Incrs[i])
	}
	return out
}

// Errors returns the findings of severity SevError.
func (s *Set) Errors() []Finding {
	var out []Finding
	for _, f := range s.Findings {
		if f.Severity == SevError {
			out = append(out, f)
		}
	}
	return out
}

// Open opens a file of the set for reading. Names are resolved inside Dir
// only (os.Root): a name or symbolic link leading outside it fails.
func (s *Set) Open(f *File) (*os.File, error) {
	root, err := os.OpenRoot(s.Dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.Open(f.Name)
}

// Resolve finds the AOF designated by path, which may be a manifest file, an
// appendonlydir, a directory containing one (the server's dir), an old-style
// single AOF file (RESP or RDB preamble), or a directory containing one. It
// parses the manifest, stats every listed file (sizes, content by magic) and
// lists unlisted and temporary files. Files are opened only inside the AOF
// directory. The error is non-nil when nothing usable was found or the
// manifest does not parse (a *ParseError); problems with individual files
// are Findings.
func Resolve(path string, opts *ResolveOptions) (*Set, error) {
	var o ResolveOptions
	if opts != nil {
		o = *opts
	}
	fname, dname := DefaultAppendFilename, DefaultAppendDirname
	if o.ConfigPath != "" {
		f, d, err := ReadConfig(o.ConfigPath)
		if err != nil {
			return nil, err
		}
		if f != "" {
			fname = f
		}
		if d != "" {
			dname = d
		}
	}
	if o.AppendFilename != "" {
		fname = o.AppendFilename
	}
	if o.AppendDirname != "" {
		dname = o.AppendDirname
	}
	if !isBaseName(fname) || !isBaseName(dname) {
		return nil, errors.New("manifest: appendfilename and appenddirname must be plain names")
	}
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.IsDir() {
		if isManifestFile(path) {
			return resolveManifest(filepath.Dir(path), filepath.Base(path), fname)
		}
		return resolveLegacy(filepath.Dir(path), filepath.Base(path), fname)
	}
	// A directory: an appendonlydir, the server's dir, or a dir with an
	// old-style file.
	if fileExists(filepath.Join(path, fname+".manifest")) {
		return resolveManifest(path, fname+".manifest", fname)
	}
	sub := filepath.Join(path, dname)
	if st, err := os.Stat(sub); err == nil && st.IsDir() && fileExists(filepath.Join(sub, fname+".manifest")) {
		return resolveManifest(sub, fname+".manifest", fname)
	}
	if fileExists(filepath.Join(path, fname)) {
		return resolveLegacy(path, fname, fname)
	}
	// Any single *.manifest (a non-default appendfilename without its config).
	m, _ := filepath.Glob(filepath.Join(path, "*.manifest"))
	var cands []string
	for _, p := range m {
		if !strings.HasPrefix(filepath.Base(p), "temp-") && fileExists(p) {
			cands = append(cands, p)
		}
	}
	if len(cands) == 1 {
		name := filepath.Base(cands[0])
		return resolveManifest(path, name, strings.TrimSuffix(name, ".manifest"))
	}
	if len(cands) > 1 {
		return nil, errors.New("manifest: several manifests in " + path + "; name one")
	}
	return nil, errors.New("manifest: no AOF manifest or " + fname + " found in " + path)
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

func isBaseName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00")
}

// isManifestFile applies redis-check-aof's test (fileIsManifest): after
// optional '#' lines, the first line starts with "file".
func isManifestFile(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	b := make([]byte, 64<<10)
	n, _ := io.ReadFull(f, b)
	b = b[:n]
	for len(b) > 0 {
		ln := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			ln, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		if len(ln) > 0 && ln[0] == '#' {
			continue
		}
		return bytes.HasPrefix(ln, []byte("file"))
	}
	return false
}

func resolveManifest(dir, name, fname string) (*Set, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(name)
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(f, maxManifestSize))
	f.Close()
	if err != nil {
		return nil, err
	}
	m, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(name, ".manifest") && name != fname+".manifest" {
		fname = strings.TrimSuffix(name, ".manifest")
	}
	s := &Set{Dir: dir, ManifestPath: filepath.Join(dir, name), Manifest: m, AppendFilename: fname}
	listed := map[string]bool{name: true}
	if m.Base != nil {
		s.Base = s.stat(root, *m.Base, true)
		listed[m.Base.Name] = true
	}
	for _, e := range m.Incr {
		s.Incrs = append(s.Incrs, *s.stat(root, e, true))
		listed[e.Name] = true
	}
	for _, e := range m.History {
		s.History = append(s.History, *s.stat(root, e, false))
		listed[e.Name] = true
	}
	if m.Base == nil && len(m.Incr) == 0 {
		s.Findings = append(s.Findings, Finding{Severity: SevWarning, Problem: ProblemNoData,
			Detail: "the server starts with an empty dataset"})
	}
	s.scanDir(root, listed)
	return s, nil
}

func resolveLegacy(dir, name, fname string) (*Set, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	e := Entry{Name: name, Seq: 1, Type: TypeBase, StartOffset: NoOffset, EndOffset: NoOffset}
	s := &Set{Dir: dir, Manifest: &Manifest{Base: &e}, Legacy: true, AppendFilename: fname}
	s.Base = s.stat(root, e, true)
	if !s.Base.Exists {
		return nil, &fs.PathError{Op: "open", Path: filepath.Join(dir, name), Err: fs.ErrNotExist}
	}
	return s, nil
}

// stat resolves one entry; required files that are missing become findings.
func (s *Set) stat(root *os.Root, e Entry, required bool) *File {
	f := &File{Entry: e, Path: filepath.Join(s.Dir, e.Name), Size: -1}
	if e.Name == "" || e.Name == "." || e.Name == ".." {
		s.Findings = append(s.Findings, Finding{Severity: SevError, Problem: ProblemNotRegular, Name: e.Name,
			Detail: "not a file name"})
		return f
	}
	st, err := root.Stat(e.Name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if required {
			s.Findings = append(s.Findings, Finding{Severity: SevError, Problem: ProblemMissing, Name: e.Name,
				Detail: e.Type.String() + " file listed in the manifest at line " + strconv.Itoa(e.Line)})
		}
		return f
	case err != nil:
		s.Findings = append(s.Findings, Finding{Severity: SevError, Problem: ProblemNotRegular, Name: e.Name, Detail: err.Error()})
		return f
	case !st.Mode().IsRegular():
		s.Findings = append(s.Findings, Finding{Severity: SevError, Problem: ProblemNotRegular, Name: e.Name,
			Detail: st.Mode().Type().String()})
		return f
	}
	f.Exists, f.Size = true, st.Size()
	f.Content = ContentEmpty
	if f.Size > 0 {
		f.Content = ContentRESP
		if r, err := root.Open(e.Name); err == nil {
			var b [6]byte
			n, _ := io.ReadFull(r, b[:])
			r.Close()
			if n >= 5 && string(b[:5]) == "REDIS" || n == 6 && string(b[:6]) == "VALKEY" {
				f.Content = ContentRDB
			}
		}
	}
	return f
}

// scanDir reports files named like parts of this AOF but not listed, and
// temporary files of rewrites (aof.c: getTempIncrAofName,
// getTempAofManifestFileName, temp-rewriteaof-*).
func (s *Set) scanDir(root *os.Root, listed map[string]bool) {
	ents, err := fs.ReadDir(root.FS(), ".")
	if err != nil {
		return
	}
	part := regexp.MustCompile(`^` + regexp.QuoteMeta(s.AppendFilename) + `\.[0-9]+\.(base\.rdb|base\.aof|incr\.aof)$`)
	temps := map[string]bool{
		"temp-" + s.AppendFilename + ".manifest": true,
		"temp-" + s.AppendFilename + ".incr":     true,
	}
	var found []Finding
	for _, e := range ents {
		n := e.Name()
		switch {
		case listed[n]:
		case part.MatchString(n):
			found = append(found, Finding{Severity: SevWarning, Problem: ProblemUnlisted, Name: n,
				Detail: "the server does not load it"})
		case temps[n] || strings.HasPrefix(n, "temp-rewriteaof-"):
			found = append(found, Finding{Severity: SevWarning, Problem: ProblemTemp, Name: n,
				Detail: "left over by an interrupted rewrite"})
		}
	}
	sort.Slice(found, func(i, j int) bool { return found[i].Name < found[j].Name })
	s.Findings = append(s.Findings, found...)
}

// ReadConfig reads the appendfilename and appenddirname directives from a
// redis.conf or valkey.conf (the last occurrence wins, like the server's
// config loader; values may be quoted). Empty results mean "not set".
func ReadConfig(path string) (appendFilename, appendDirname string, err error) {
	err = ConfigDirectives(path, func(line int, argv []string) error {
		switch strings.ToLower(argv[0]) {
		case "appendfilename", "appenddirname":
			if len(argv) != 2 || !isBaseName(argv[1]) {
				return errors.New("manifest: " + path + ":" + strconv.Itoa(line) + ": " + argv[0] + " must be one plain file name")
			}
			if strings.EqualFold(argv[0], "appendfilename") {
				appendFilename = argv[1]
			} else {
				appendDirname = argv[1]
			}
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	return appendFilename, appendDirname, nil
}
