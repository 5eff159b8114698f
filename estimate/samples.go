package estimate

import (
	"bufio"
	"fmt"
	"io"
	"strconv"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// A Shape is one generated calibration dataset: keys of one cost class,
// written as an RDB file, or commands of one name, written as a RESP AOF.
// The shapes are those of scripts/bench-estimate.sh (docs/benchmarks.md),
// generated here rather than by the server so that a calibration needs
// nothing but the server binary.
type Shape struct {
	Name    string // "strings-small", "hash-listpack", "aof-set", ...
	N       int    // keys (RDB) or commands (AOF)
	Command string // the AOF command ("SET", "HSET", "XADD"); "" for an RDB shape
	// Keys is the number of keys an AOF shape's commands write in turn (0:
	// the default, 5000 hashes for HSET, 500 streams for XADD; SET writes
	// N keys). It does not grow with N: a bigger sample has bigger keys.
	Keys int
}

// AOF reports whether the shape is an AOF (Command set).
func (s Shape) AOF() bool { return s.Command != "" }

// CalibrationShapes returns the shapes a calibration loads, each sized
// (at scale 1) for 0.03 to 0.06 s of load CPU on the reference machine of
// DefaultCoefficients: an RDB sample's load is measured alone (DEBUG
// RELOAD), an AOF sample's stands out of the 0.03 to 0.06 s a server needs
// to start; few enough for a calibration within a minute on a machine
// whose two cores are shared by a load average of 30. Two string shapes (16-byte and 2 KiB values) fix the per-key and
// per-byte figures, which Fit needs; every other shape one class or command.
// HSET and XADD come at two densities (4 and 80 fields per hash, 40 and
// 800 entries per stream at scale 1), from which Fit tells their cost per
// key and per listpack search from their cost per command.
func CalibrationShapes(scale float64) []Shape {
	n := func(k int) int { return max(1, int(float64(k)*scale)) }
	return []Shape{
		{Name: "strings-small", N: n(40000)},
		{Name: "strings-large", N: n(2500)},
		{Name: "hash-listpack", N: n(8000)},
		{Name: "hash-hashtable", N: n(100)},
		{Name: "list-quicklist", N: n(600)},
		{Name: "set-intset", N: n(8000)},
		{Name: "set-hashtable", N: n(400)},
		{Name: "zset-listpack", N: n(9000)},
		{Name: "zset-skiplist", N: n(250)},
		{Name: "stream-groups", N: n(600)},
		{Name: "aof-set", N: n(20000), Command: "SET"},
		{Name: "aof-hset", N: n(20000), Command: "HSET"},
		{Name: "aof-xadd", N: n(20000), Command: "XADD"},
		{Name: "aof-hset-wide", N: n(20000), Command: "HSET", Keys: 250},
		{Name: "aof-xadd-long", N: n(20000), Command: "XADD", Keys: 25},
	}
}

// sampleTime is the fixed time (ms since the Unix epoch) of the stream IDs
// and consumer-group times of the generated samples; the library never
// reads the clock.
const sampleTime = 1_700_000_000_000

func itoa(i int) []byte { return strconv.AppendInt(nil, int64(i), 10) }

func cat(s string, i int) []byte { return strconv.AppendInt([]byte(s), int64(i), 10) }

// WriteRDB writes the RDB shape s with the writer options of the server
// release that will load it (rdbfile.ReleaseOptions), after the AUX
// fields aux (name, value pairs, e.g. "redis-ver", "7.0.15"). The keys are
// those scripts/bench-estimate.sh builds with the server (DEBUG POPULATE
// or EVAL loops); the writer picks the encoding the server would (the
// 600-field hashes are hashtables, the 16-field ones listpacks). It
// returns an error for an AOF shape or an unknown name.
func (s Shape) WriteRDB(out io.Writer, opts *rdbfile.WriterOptions, aux ...[2]string) error {
	bw := bufio.NewWriterSize(out, 256<<10)
	w := rdbfile.NewWriter(bw, opts)
	for _, a := range aux {
		if err := w.WriteAux([]byte(a[0]), []byte(a[1])); err != nil {
			return err
		}
	}
	if err := w.SelectDB(0); err != nil {
		return err
	}
	if err := w.ResizeDB(uint64(s.N), 0); err != nil {
		return err
	}
	members := func(n int, f func(j int) []byte) [][]byte {
		m := make([][]byte, n)
		for j := range m {
			m[j] = f(j + 1)
		}
		return m
	}
	for i := 1; i <= s.N; i++ {
		var key []byte
		var v rdbfile.Value
		switch s.Name {
		case "strings-small", "strings-large":
			// DEBUG POPULATE's "value:<i>" padded with zero bytes.
			size := 16
			if s.Name == "strings-large" {
				size = 2048
			}
			key = cat("key:", i)
			v = rdbfile.Value{Kind: rdbfile.KindString, String: append(cat("value:", i), make([]byte, max(0, size-len(cat("value:", i))))...)}
		case "hash-listpack", "hash-hashtable":
			fields := 16
			key = cat("h:", i)
			if s.Name == "hash-hashtable" {
				fields, key = 600, cat("H:", i)
			}
			v = rdbfile.Value{Kind: rdbfile.KindHash}
			for j := 1; j <= fields; j++ {
				v.Hash = append(v.Hash, rdbfile.HashField{Field: cat("field:", j), Value: cat("value:", i*j), ExpireAt: rdbfile.NoExpire})
			}
		case "list-quicklist":
			key = cat("l:", i)
			v = rdbfile.Value{Kind: rdbfile.KindList, List: members(500, func(j int) []byte { return cat("item:", i*j) })}
		case "set-intset":
			key = cat("s:", i)
			v = rdbfile.Value{Kind: rdbfile.KindSet, Set: members(100, func(j int) []byte { return itoa(i*1000 + j) })}
		case "set-hashtable":
			key = cat("S:", i)
			v = rdbfile.Value{Kind: rdbfile.KindSet, Set: members(200, func(j int) []byte { return cat("member:", i*j) })}
		case "zset-listpack", "zset-skiplist":
			n := 16
			key = cat("z:", i)
			if s.Name == "zset-skiplist" {
				n, key = 200, cat("Z:", i)
			}
			v = rdbfile.Value{Kind: rdbfile.KindZSet}
			for j := 1; j <= n; j++ {
				m := cat("m:", j)
				if n > 16 {
					m = cat("member:", j)
				}
				v.ZSet = append(v.ZSet, rdbfile.ZMember{Member: m, Score: float64(i) + float64(j)/7})
			}
		case "stream-groups":
			key = cat("x:", i)
			v = rdbfile.Value{Kind: rdbfile.KindStream, Stream: sampleStream(i)}
		default:
			return fmt.Errorf("estimate: %q is no RDB calibration shape", s.Name)
		}
		if err := w.WriteKey(rdbfile.KeyHeader{Key: key, ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1}, &v); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return bw.Flush()
}

// sampleStream is the stream the benchmark's EVAL loop builds: 200 entries
// of two fields, one group "g" whose consumer "c" read the first 50.
func sampleStream(i int) *rdbfile.Stream {
	st := &rdbfile.Stream{HasV2Meta: true}
	for j := 1; j <= 200; j++ {
		st.Entries = append(st.Entries, rdbfile.StreamEntry{ID: rdbfile.StreamID{Ms: sampleTime, Seq: uint64(j)},
			Fields: [][]byte{[]byte("sensor"), itoa(j), []byte("reading"), itoa(i * j)}})
	}
	st.Length, st.EntriesAdded = 200, 200
	st.FirstID, st.LastID = st.Entries[0].ID, st.Entries[199].ID
	g := rdbfile.StreamGroup{Name: []byte("g"), LastID: st.Entries[49].ID, EntriesRead: 50}
	c := rdbfile.StreamConsumer{Name: []byte("c"), SeenTime: sampleTime, ActiveTime: sampleTime}
	for _, e := range st.Entries[:50] {
		g.PEL = append(g.PEL, rdbfile.StreamPending{ID: e.ID, DeliveryTime: sampleTime, DeliveryCount: 1})
		c.PEL = append(c.PEL, e.ID)
	}
	g.Consumers = []rdbfile.StreamConsumer{c}
	st.Groups = []rdbfile.StreamGroup{g}
	return st
}

// WriteAOF writes the commands of the AOF shape s in RESP (the base file
// of a RESP-base AOF set, as scripts/bench-estimate.sh feeds them through
// redis-cli --pipe): SET of distinct keys; HSET of one field into 5000
// hashes (Keys) in turn; XADD of two fields into 500 streams (Keys) in
// turn, with explicit increasing IDs. It returns an error for an RDB shape.
func (s Shape) WriteAOF(out io.Writer) error {
	bw := bufio.NewWriterSize(out, 256<<10)
	var buf []byte
	hashes, streams := 5000, 500
	if s.Keys > 0 {
		hashes, streams = s.Keys, s.Keys
	}
	for i := 1; i <= s.N; i++ {
		buf = buf[:0]
		switch s.Command {
		case "SET":
			buf = aoffile.AppendCommand(buf, []byte("SET"), cat("key:", i), append(cat("value:", i), "-0123456789"...))
		case "HSET":
			buf = aoffile.AppendCommand(buf, []byte("HSET"), cat("hash:", i%hashes), cat("field:", i), cat("value:", i))
		case "XADD":
			id := append(strconv.AppendInt(nil, sampleTime, 10), '-')
			id = strconv.AppendInt(id, int64(i), 10)
			buf = aoffile.AppendCommand(buf, []byte("XADD"), cat("stream:", i%streams), id, []byte("sensor"), itoa(i%97), []byte("reading"), itoa(i))
		default:
			return fmt.Errorf("estimate: %q is no AOF calibration shape", s.Name)
		}
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// ReadRDB runs the statistics pass over one RDB stream into p (AddHeader,
// then AddEntry for every record, values skipped). It returns the
// reader's error (*rdbfile.CorruptError for a damaged file).
func ReadRDB(r io.Reader, p *Part) error {
	rd := rdbfile.NewReader(bufio.NewReaderSize(r, 256<<10), nil)
	h, err := rd.Header()
	if err != nil {
		return err
	}
	p.AddHeader(h)
	for {
		e, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if e.Kind == rdbfile.EntryKey {
			if err := e.Skip(); err != nil {
				return err
			}
		}
		p.AddEntry(e)
	}
}

// ReadAOF runs the statistics pass over one RESP stream into p
// (AddCommand per command, AddTimestamp per "#TS:" annotation). It
// returns the reader's error (*aoffile.SyntaxError for a damaged file).
func ReadAOF(r io.Reader, p *Part) error {
	rd := aoffile.NewReader(bufio.NewReaderSize(r, 256<<10), nil)
	for {
		c, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if c.Kind == aoffile.KindCommand {
			p.AddCommand(c.Args)
		}
	}
}
