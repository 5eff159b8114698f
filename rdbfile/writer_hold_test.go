package rdbfile_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// TestWriterHold: output written under a hold is kept as if written
// without one, or taken back as if never written (the CRC-64 too: the
// file reads back clean); a decision made as output arrives lets it
// through or discards it early; a kept-early hold cannot be taken back.
func TestWriterHold(t *testing.T) {
	str := func(k, v string) (rdbfile.KeyHeader, *rdbfile.Value) {
		return rdbfile.KeyHeader{Key: []byte(k), ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1},
			&rdbfile.Value{Kind: rdbfile.KindString, String: []byte(v)}
	}
	big := string(bytes.Repeat([]byte("0123456789abcdef"), 10000)) // over the Writer's 64 KiB buffer
	write := func(w *rdbfile.Writer, keys ...string) {
		t.Helper()
		for _, k := range keys {
			v := "v-" + k
			if k == "big" {
				v = big
			}
			if err := w.WriteKey(str(k, v)); err != nil {
				t.Fatal(err)
			}
		}
	}
	opts := &rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: 11, NoCompression: true} // the big value stays big
	var want bytes.Buffer
	w := rdbfile.NewWriter(&want, opts)
	w.SelectDB(0)
	write(w, "a", "big", "c")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	undecided := func() rdbfile.HoldState { return rdbfile.HoldUndecided }
	for _, tc := range []struct {
		name   string
		decide func() rdbfile.HoldState
		keep   bool
		held   []string // written under the hold
		err    bool
	}{
		{"kept", undecided, true, []string{"big"}, false},
		{"kept early", func() rdbfile.HoldState { return rdbfile.HoldKeep }, true, []string{"big"}, false},
		{"taken back", undecided, false, []string{"x", "big", "y"}, false},
		{"dropped early", func() rdbfile.HoldState { return rdbfile.HoldDrop }, false, []string{"big"}, false},
		{"kept early, then taken back", func() rdbfile.HoldState { return rdbfile.HoldKeep }, false, []string{"big"}, true},
	} {
		var out bytes.Buffer
		w := rdbfile.NewWriter(&out, opts)
		w.SelectDB(0)
		write(w, "a")
		if err := w.Hold(tc.decide); err != nil {
			t.Fatal(err)
		}
		if err := w.Hold(tc.decide); err == nil {
			t.Errorf("%s: a second Hold was accepted", tc.name)
		}
		write(w, tc.held...)
		err := w.Release(tc.keep)
		if tc.err {
			if err == nil || w.Close() == nil {
				t.Errorf("%s: Release(false) after HoldKeep: %v", tc.name, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !tc.keep {
			write(w, "big")
		}
		write(w, "c")
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want.Bytes()) {
			t.Errorf("%s: %d bytes, want the %d bytes written without a hold", tc.name, out.Len(), want.Len())
		}
		if recs := readRecs(t, tc.name, out.Bytes()); !recs.sum.Verified {
			t.Errorf("%s: checksum %+v", tc.name, recs.sum)
		}
	}
	if err := rdbfile.NewWriter(&bytes.Buffer{}, opts).Release(true); err == nil || errors.Is(err, rdbfile.ErrUnsupported) {
		t.Errorf("Release without Hold: %v", err)
	}
}
