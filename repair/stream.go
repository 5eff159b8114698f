package repair

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/release"
)

// windowSize is how much of a file a source caches. Plan and Apply never
// hold more of a file than this (plus the aoffile.Reader's buffer, which
// is bounded by the largest command).
const windowSize = 64 << 10

// source gives random access to the first size bytes of r through one
// cached window. Read errors are sticky in err; the bytes then look absent.
type source struct {
	r    io.ReaderAt
	size int64
	buf  []byte
	off  int64 // absolute offset of buf[0]
	n    int   // valid bytes in buf
	err  error
}

func newSource(r io.ReaderAt, size int64) *source {
	return &source{r: r, size: size}
}

// view returns up to n (≤ windowSize) bytes at off, fewer at the end of the
// source or of limit.
func (s *source) view(off int64, n int, limit int64) []byte {
	limit = min(limit, s.size)
	if off < 0 || off >= limit {
		return nil
	}
	if int64(n) > limit-off {
		n = int(limit - off)
	}
	if off >= s.off && off+int64(n) <= s.off+int64(s.n) {
		return s.buf[off-s.off : off-s.off+int64(n)]
	}
	if s.err != nil {
		return nil
	}
	if s.buf == nil {
		s.buf = make([]byte, windowSize)
	}
	m := int(min(int64(len(s.buf)), s.size-off))
	k, err := s.r.ReadAt(s.buf[:m], off)
	if k < m {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		s.err = err
	}
	s.off, s.n = off, k
	return s.buf[:min(n, k)]
}

// indexByte returns the first offset in [from, limit) holding c, or -1.
func (s *source) indexByte(from int64, c byte, limit int64) int64 {
	for from < limit {
		v := s.view(from, windowSize, limit)
		if len(v) == 0 {
			return -1
		}
		if i := bytes.IndexByte(v, c); i >= 0 {
			return from + int64(i)
		}
		from += int64(len(v))
	}
	return -1
}

// frameHead is how many arguments of a frame are kept, and headLen how many
// bytes of each: enough to name the command and subcommand and to show it.
const (
	frameHead = 7
	headLen   = 41
)

// frame is one complete "*<n>\r\n" + n × "$<len>\r\n<data>\r\n" record.
// Only the start of it is kept: argument contents are never loaded whole.
type frame struct {
	argc int64
	head [][]byte // the first frameHead arguments, each cut to headLen bytes
	size int64
}

func (f *frame) name() string { return strings.ToUpper(string(f.head[0])) }

// parseFrame parses one frame at q strictly; the frame must end at or before
// limit.
func parseFrame(s *source, q, limit int64) (frame, bool) {
	p := q
	num := func(prefix byte) (int64, bool) {
		// prefix, at most 18 digits, "\r\n"
		v := s.view(p, 21, limit)
		if len(v) == 0 || v[0] != prefix {
			return 0, false
		}
		i := 1
		var n int64
		for i < len(v) && v[i] >= '0' && v[i] <= '9' && i <= 18 {
			n = n*10 + int64(v[i]-'0')
			i++
		}
		if i == 1 || i+1 >= len(v) || v[i] != '\r' || v[i+1] != '\n' {
			return 0, false
		}
		p += int64(i) + 2
		return n, true
	}
	argc, ok := num('*')
	if !ok || argc < 1 || argc > 1<<20 {
		return frame{}, false
	}
	f := frame{argc: argc, head: make([][]byte, 0, min(argc, frameHead))}
	for k := int64(0); k < argc; k++ {
		n, ok := num('$')
		if !ok || n > min(limit, s.size)-p-2 {
			return frame{}, false
		}
		if t := s.view(p+n, 2, limit); len(t) < 2 || t[0] != '\r' || t[1] != '\n' {
			return frame{}, false
		}
		if k < frameHead {
			h := s.view(p, int(min(n, headLen)), limit)
			f.head = append(f.head, bytes.Clone(h))
		}
		p += n + 2
	}
	f.size = p - q
	return f, true
}

// knownCommand reports whether some release knows the command with a
// fitting arity (release.KnownCommand on the frame's head and argc).
func knownCommand(f frame) bool { return release.KnownCommand(f.head, int(f.argc)) }

// findFrame returns the first offset >= from where a complete frame of a
// known command starts, or -1.
func findFrame(s *source, from int64) int64 {
	for from < s.size {
		q := s.indexByte(from, '*', s.size)
		if q < 0 {
			return -1
		}
		if f, ok := parseFrame(s, q, s.size); ok && knownCommand(f) {
			return q
		}
		from = q + 1
	}
	return -1
}

// salvageRanges reads the source strictly from start; at each error it
// skips to the next offset where a complete, known command frame parses,
// never keeping commands of a transaction whose MULTI or EXEC was lost.
func salvageRanges(s *source, start int64) ([]Skip, error) {
	var skips []Skip
	pos := start
	for pos < s.size {
		r := aoffile.NewReader(io.NewSectionReader(s.r, pos, s.size-pos), &aoffile.Options{Size: s.size - pos, NoPreamble: true})
		var err error
		for {
			if _, err = r.Next(); err != nil {
				break
			}
		}
		var se *aoffile.SyntaxError
		if !errors.As(err, &se) {
			if err == io.EOF {
				err = nil
			}
			return skips, err // io.EOF: the rest is valid
		}
		bad := pos + se.OKUpTo.Offset
		q := findFrame(s, bad+1)
		if q < 0 {
			skips = append(skips, Skip{Offset: bad, Length: s.size - bad, Reason: se.Err.Error() + ": " + se.Detail + "; no valid command after it"})
			return skips, s.err
		}
		// A transaction cut in two: drop its surviving part up to its EXEC.
		f, ok := parseFrame(s, bad, s.size)
		lostTx := ok && f.name() == "MULTI"
		q = orphanExec(s, q, lostTx)
		if q >= s.size {
			skips = append(skips, Skip{Offset: bad, Length: s.size - bad, Reason: se.Err.Error() + ": " + se.Detail + "; unfinished transaction dropped"})
			return skips, s.err
		}
		skips = append(skips, Skip{Offset: bad, Length: q - bad, Reason: se.Err.Error() + ": " + se.Detail})
		pos = q
	}
	return skips, s.err
}

// orphanExec walks frames from q to find where keeping may resume. If an
// EXEC comes before any MULTI, the commands up to it belong to a
// transaction whose MULTI was lost: resume after that EXEC. When lostTx (the
// damage began inside a MULTI), nothing is kept until the next MULTI or past
// the next EXEC, across further damage; an unfinished transaction at the end
// is dropped.
func orphanExec(s *source, q int64, lostTx bool) int64 {
	start := q
	for q < s.size {
		if v := s.view(q, 1, s.size); len(v) == 1 && v[0] == '#' {
			nl := s.indexByte(q, '\n', s.size)
			if nl < 0 {
				break
			}
			q = nl + 1
			continue
		}
		f, ok := parseFrame(s, q, s.size)
		if !ok {
			if !lostTx {
				return start
			}
			if q = findFrame(s, q+1); q < 0 {
				return s.size
			}
			continue
		}
		switch f.name() {
		case "MULTI":
			if lostTx {
				return q
			}
			return start
		case "EXEC":
			return q + f.size
		}
		q += f.size
	}
	if lostTx {
		return s.size
	}
	return start
}

// lostCommands counts the complete command frames in [from, to) and decodes
// the first max of them.
func lostCommands(s *source, from, to int64, max int) (int64, []string) {
	var n int64
	var shown []string
	for q := from; q < to; {
		q = s.indexByte(q, '*', to)
		if q < 0 {
			break
		}
		if f, ok := parseFrame(s, q, to); ok {
			n++
			if len(shown) < max {
				shown = append(shown, showFrame(f))
			}
			q += f.size
			continue
		}
		q++
	}
	return n, shown
}

// showFrame renders a frame as quoted arguments: at most 6, each cut to 40
// bytes.
func showFrame(f frame) string {
	var b strings.Builder
	for i, a := range f.head {
		if i > 0 {
			b.WriteByte(' ')
		}
		if i >= 6 {
			b.WriteString("… (" + strconv.FormatInt(f.argc, 10) + " args)")
			break
		}
		if len(a) > 40 {
			b.WriteString(strconv.Quote(string(a[:40])) + "…")
			continue
		}
		b.WriteString(strconv.Quote(string(a)))
	}
	return b.String()
}
