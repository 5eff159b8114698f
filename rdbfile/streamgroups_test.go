package rdbfile

import (
	"bytes"
	"encoding/binary"
	"io"
	"slices"
	"strings"
	"testing"
)

// streamWithGroup builds an RDB 9 file with one empty type-15 stream whose
// one group has the given PEL and consumers (each a list of owned IDs, as
// seq numbers of ms 1). Layout per Redis src/rdb.c rdbSaveObject.
func streamWithGroup(pel []uint64, consumers [][]uint64) []byte {
	rawID := func(b []byte, seq uint64) []byte {
		b = binary.BigEndian.AppendUint64(b, 1)
		return binary.BigEndian.AppendUint64(b, seq)
	}
	b := []byte("REDIS0009\xfe\x00")
	b = append(b, byte(TypeStreamListpacks), 1, 's')
	b = append(b, 0)       // no node listpacks
	b = append(b, 0, 1, 9) // length 0, last id 1-9
	b = append(b, 1)       // one group
	b = append(b, 1, 'g', 0, 0)
	b = append(b, byte(len(pel)))
	for _, seq := range pel {
		b = rawID(b, seq)
		b = binary.LittleEndian.AppendUint64(b, 1700000000000) // delivery time
		b = append(b, 1)                                       // delivery count
	}
	b = append(b, byte(len(consumers)))
	for i, owned := range consumers {
		b = append(b, 2, 'c', byte('0'+i))
		b = binary.LittleEndian.AppendUint64(b, 1700000000000) // seen time
		b = append(b, byte(len(owned)))
		for _, seq := range owned {
			b = rawID(b, seq)
		}
	}
	b = append(b, byte(TypeString), 1, 'z', 1, 'v', 0xff)
	return append(b, 0, 0, 0, 0, 0, 0, 0, 0)
}

// eachKey reads file to its end and calls fn for every key record, which
// may consume the value; other records are skipped by Next. It returns the
// Reader, for its findings.
func eachKey(t *testing.T, file []byte, fn func(*Entry)) *Reader {
	t.Helper()
	r := NewReader(bytes.NewReader(file), nil)
	for {
		e, err := r.Next()
		if err == io.EOF {
			return r
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind == EntryKey {
			fn(e)
		}
	}
}

// TestStreamGroupChecks: the consumer group checks Redis's loader makes
// (src/rdb.c: duplicated PEL entry, consumer PEL entry not in the group PEL,
// an entry owned twice, a PEL entry without consumer), on PELs stored in
// rax order (binary search) and out of order (map), with the same verdicts
// for both. Skip and Value agree, and the metadata is read back intact.
func TestStreamGroupChecks(t *testing.T) {
	cases := []struct {
		name      string
		pel       []uint64
		consumers [][]uint64
		want      string // substring of the one finding; "" for none
	}{
		{"sorted ok", []uint64{1, 2, 3}, [][]uint64{{1, 3}, {2}}, ""},
		{"unsorted ok", []uint64{3, 1, 2}, [][]uint64{{2}, {3, 1}}, ""},
		{"duplicate first", []uint64{1, 1}, [][]uint64{{1}}, "duplicated PEL entry 1-1"},
		{"duplicate later", []uint64{1, 2, 3, 2}, [][]uint64{{1, 2, 3}}, "duplicated PEL entry 1-2"},
		{"sorted missing", []uint64{1, 2}, [][]uint64{{1, 2, 4}}, "consumer PEL entry 1-4 not found"},
		{"sorted missing between", []uint64{1, 3, 5}, [][]uint64{{1, 2, 3, 5}}, "consumer PEL entry 1-2 not found"},
		{"unsorted missing", []uint64{2, 1}, [][]uint64{{1, 2, 0}}, "consumer PEL entry 1-0 not found"},
		{"sorted owned twice", []uint64{1, 2}, [][]uint64{{1, 2}, {2}}, "PEL entry 1-2 owned by two consumers"},
		{"unsorted owned twice", []uint64{5, 2}, [][]uint64{{5}, {2, 5}}, "PEL entry 1-5 owned by two consumers"},
		{"sorted no consumer", []uint64{1, 2, 3}, [][]uint64{{1, 3}}, "PEL entry 1-2 of group \"g\" has no consumer"},
		{"unsorted no consumer", []uint64{3, 2, 1}, [][]uint64{{3, 2}}, "PEL entry 1-1 of group \"g\" has no consumer"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := streamWithGroup(c.pel, c.consumers)
			for _, mode := range []string{"skip", "value"} {
				var meta *Stream
				r := eachKey(t, file, func(e *Entry) {
					if string(e.Key) != "s" {
						return
					}
					var err error
					if mode == "value" {
						_, err = e.Value()
					} else {
						err = e.Skip()
					}
					if err != nil && c.want == "" {
						t.Fatalf("%s: %v", mode, err)
					}
					m := *e.StreamMeta() // copy: after Skip it is valid until Next
					m.Groups = slices.Clone(m.Groups)
					meta = &m
				})
				var errs []string
				for _, f := range r.Findings() {
					errs = append(errs, f.Err.Error())
				}
				if c.want == "" && len(errs) != 0 || c.want != "" && (len(errs) != 1 || !strings.Contains(errs[0], c.want)) {
					t.Fatalf("%s: findings %q, want one with %q", mode, errs, c.want)
				}
				if len(meta.Groups) != 1 || len(meta.Groups[0].PEL) != len(c.pel) || len(meta.Groups[0].Consumers) != len(c.consumers) {
					t.Fatalf("%s: metadata %+v", mode, meta)
				}
				for i, cons := range meta.Groups[0].Consumers {
					var got []uint64
					for _, id := range cons.PEL {
						got = append(got, id.Seq)
					}
					if string(cons.Name) != "c"+string(rune('0'+i)) || !slices.Equal(got, c.consumers[i]) {
						t.Fatalf("%s: consumer %d is %q owning %v, want %v", mode, i, cons.Name, got, c.consumers[i])
					}
				}
			}
		})
	}
}

// TestSkippedStreamMetaReused: after Skip, StreamMeta is the Reader's
// scratch (valid until Next) and a second stream's groups overwrite the
// first's without leaking consumers or PEL entries; after Value, each
// stream gets its own.
func TestSkippedStreamMetaReused(t *testing.T) {
	a := streamWithGroup([]uint64{1, 2, 3}, [][]uint64{{1}, {2, 3}})
	b := streamWithGroup([]uint64{7}, [][]uint64{{7}})
	// Two files' records in one: a's header and stream, then b's stream.
	file := append([]byte(nil), a[:len(a)-9-len("\x00\x01z\x01v")]...)
	file = append(file, b[len("REDIS0009\xfe\x00"):]...)
	for _, skip := range []bool{true, false} {
		var metas []*Stream
		var consumers []int
		r := eachKey(t, file, func(e *Entry) {
			if string(e.Key) != "s" {
				return
			}
			var err error
			if skip {
				err = e.Skip()
			} else {
				_, err = e.Value()
			}
			if err != nil {
				t.Fatal(err)
			}
			metas = append(metas, e.StreamMeta())
			consumers = append(consumers, len(e.StreamMeta().Groups[0].Consumers))
		})
		if len(r.Findings()) != 0 {
			t.Fatalf("findings %v", r.Findings())
		}
		if !slices.Equal(consumers, []int{2, 1}) {
			t.Fatalf("skip=%v: consumers per stream %v, want [2 1]", skip, consumers)
		}
		if same := metas[0] == metas[1]; same != skip {
			t.Errorf("skip=%v: both streams share one Stream: %v", skip, same)
		}
		if !skip && len(metas[0].Groups[0].PEL) != 3 {
			t.Errorf("a Stream from Value changed after Next: %+v", metas[0])
		}
	}
}
