package rdbfile_test

import (
	"bytes"
	"io"
	"os"
	"reflect"
	"testing"

	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// streamMetas walks every stream of data and returns a deep copy of each
// one's metadata; with recycle it hands each Stream back to the Reader
// before the next key and counts the streams read into a handed-back one.
func streamMetas(t *testing.T, data []byte, recycle bool) (metas []rdbfile.Stream, reused int) {
	t.Helper()
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	if _, err := r.Header(); err != nil {
		t.Fatal(err)
	}
	var back *rdbfile.Stream
	for {
		e, err := r.Next()
		if err == io.EOF {
			return metas, reused
		}
		if err != nil {
			t.Fatal(err)
		}
		if e.Kind != rdbfile.EntryKey || e.ValueKind != rdbfile.KindStream {
			continue
		}
		if err := e.Walk(func(*rdbfile.Element) error { return nil }); err != nil {
			t.Fatal(err)
		}
		m := e.StreamMeta()
		if back != nil && m == back {
			reused++
		}
		metas = append(metas, *deepCopyStream(m))
		if recycle {
			// Scribble over it: nothing of the handed-back Stream may
			// show in the next one but its capacity.
			for i := range m.Groups {
				g := &m.Groups[i]
				g.Name = append(g.Name[:0], "scribbled"...)
				g.PEL = append(g.PEL, rdbfile.StreamPending{DeliveryCount: 99})
				g.Consumers = append(g.Consumers, rdbfile.StreamConsumer{Name: []byte("x")})
			}
			m.Length = 12345
			r.RecycleStream(m)
			back = m
		}
	}
}

// deepCopyStream copies st with an empty slice as nil: a Stream read into
// a recycled one has empty slices where a new one has nil.
func deepCopyStream(st *rdbfile.Stream) *rdbfile.Stream {
	c := *st
	c.Groups = nil
	for _, g := range st.Groups {
		g.Name, g.PEL, g.NACK = clone(g.Name), clone(g.PEL), clone(g.NACK)
		cons := g.Consumers
		g.Consumers = nil
		for _, cn := range cons {
			cn.Name, cn.PEL = clone(cn.Name), clone(cn.PEL)
			g.Consumers = append(g.Consumers, cn)
		}
		c.Groups = append(c.Groups, g)
	}
	return &c
}

func clone[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return append([]T(nil), s...)
}

// TestReaderRecycleStream: every corpus stream reads the same metadata
// into a Stream handed back with RecycleStream (scribbled over first) as
// into a new one, and the handed-back Stream is the one reused.
func TestReaderRecycleStream(t *testing.T) {
	streams, reusedAll := 0, 0
	for _, p := range testcorpus.GoodRDBs(t) {
		data := mustRead(t, p)
		want, _ := streamMetas(t, data, false)
		got, reused := streamMetas(t, data, true)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: stream metadata read into recycled Streams differs", p)
		}
		if len(want) > 1 && reused != len(want)-1 {
			t.Errorf("%s: %d of %d streams read into the recycled Stream", p, reused, len(want)-1)
		}
		streams += len(want)
		reusedAll += reused
	}
	if streams < 10 {
		t.Fatalf("only %d streams in the corpus", streams)
	}
	t.Logf("%d streams, %d read into a recycled Stream", streams, reusedAll)
}

// TestRecycleSkippedStream: handing back the Stream of a skipped stream
// (the Reader's own, reused by the next skip) is ignored, so a Stream that
// Walk hands out later is never also the one skips overwrite.
func TestRecycleSkippedStream(t *testing.T) {
	var data []byte
	for _, p := range testcorpus.GoodRDBs(t) {
		b := mustRead(t, p)
		if metas, _ := streamMetas(t, b, false); len(metas) >= 3 {
			data = b
			break
		}
	}
	if data == nil {
		t.Skip("no corpus file with three streams")
	}
	r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
	if _, err := r.Header(); err != nil {
		t.Fatal(err)
	}
	var skipped, walked *rdbfile.Stream
	for n := 0; ; {
		e, err := r.Next()
		if err != nil {
			break
		}
		if e.Kind != rdbfile.EntryKey || e.ValueKind != rdbfile.KindStream {
			continue
		}
		n++
		switch n {
		case 1:
			if err := e.Skip(); err != nil {
				t.Fatal(err)
			}
			skipped = e.StreamMeta()
			r.RecycleStream(skipped)
		case 2:
			if err := e.Walk(func(*rdbfile.Element) error { return nil }); err != nil {
				t.Fatal(err)
			}
			walked = e.StreamMeta()
		}
	}
	if skipped == nil || walked == nil || skipped == walked {
		t.Errorf("a Walk after recycling a skipped stream's Stream read into it (%p, %p)", skipped, walked)
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
