package convert_test

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// allocFile is an RDB file (version v) of n keys of each shape whose
// re-encoding used to allocate per key: streams with a group, a consumer
// and pending entries; quicklists; small sorted sets with fractional
// scores; intsets; and small hashes, whose fields have TTLs from RDB 12
// (HASH_LISTPACK_EX).
func allocFile(t *testing.T, n, v int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := rdbfile.NewWriter(&buf, &rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: v})
	key := func(kind string, i int) rdbfile.KeyHeader {
		return rdbfile.KeyHeader{Key: fmt.Appendf(nil, "%s:%d", kind, i), ExpireAt: rdbfile.NoExpire, Idle: -1, Freq: -1}
	}
	for i := range n {
		st := &rdbfile.Stream{HasV2Meta: true, EntriesAdded: 5, Length: 5}
		for j := range 5 {
			st.Entries = append(st.Entries, rdbfile.StreamEntry{ID: rdbfile.StreamID{Ms: 1700000000000 + uint64(j)},
				Fields: [][]byte{[]byte("f"), fmt.Appendf(nil, "v%d", j)}})
		}
		st.FirstID, st.LastID = st.Entries[0].ID, st.Entries[4].ID
		pel := []rdbfile.StreamPending{{ID: st.Entries[1].ID, DeliveryTime: 1700000000000, DeliveryCount: 1}}
		st.Groups = []rdbfile.StreamGroup{{Name: fmt.Appendf(nil, "g%d", i), LastID: st.Entries[2].ID, EntriesRead: 3, PEL: pel,
			Consumers: []rdbfile.StreamConsumer{{Name: fmt.Appendf(nil, "c%d", i), SeenTime: 1700000000000, ActiveTime: -1,
				PEL: []rdbfile.StreamID{st.Entries[1].ID}}}}}
		var list [][]byte
		var zset []rdbfile.ZMember
		var set [][]byte
		var hash []rdbfile.HashField
		for j := range 40 {
			list = append(list, fmt.Appendf(nil, "item-%d-%d", i, j))
			zset = append(zset, rdbfile.ZMember{Member: fmt.Appendf(nil, "m%d", j), Score: float64(j) / 3})
			set = append(set, fmt.Append(nil, j*7+i))
			exp := rdbfile.NoExpire
			if v >= 12 && j%3 == 0 {
				exp = 4102444800000 + int64(j) // 2100
			}
			hash = append(hash, rdbfile.HashField{Field: fmt.Appendf(nil, "field:%d", j), Value: fmt.Appendf(nil, "value %d of %d", j, i), ExpireAt: exp})
		}
		for _, kv := range []struct {
			h rdbfile.KeyHeader
			v *rdbfile.Value
		}{
			{key("stream", i), &rdbfile.Value{Kind: rdbfile.KindStream, Stream: st}},
			{key("list", i), &rdbfile.Value{Kind: rdbfile.KindList, List: list}},
			{key("zset", i), &rdbfile.Value{Kind: rdbfile.KindZSet, ZSet: zset}},
			{key("set", i), &rdbfile.Value{Kind: rdbfile.KindSet, Set: set}},
			{key("hash", i), &rdbfile.Value{Kind: rdbfile.KindHash, Hash: hash}},
		} {
			kv.h.Kind = kv.v.Kind
			kv.h.FieldTTL = kv.v.Kind == rdbfile.KindHash && v >= 12
			if err := w.WriteKey(kv.h, kv.v); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestConvertAllocationsFlat: a re-encoding conversion allocates per
// conversion, not per key: the Writer reuses its ValueWriter, its stream
// and quicklist builders and its scratch buffers, and the Reader reads each
// stream's metadata into the one convert hands back (RecycleStream). The
// allocations of 300 keys of each shape and of 1200 differ by less than one
// per hundred keys.
func TestConvertAllocationsFlat(t *testing.T) {
	for _, v := range []struct{ from, to int }{{10, 11}, {12, 12}} {
		allocs := func(data []byte) float64 {
			return testing.AllocsPerRun(3, func() {
				r := rdbfile.NewReader(bytes.NewReader(data), &rdbfile.Options{Size: int64(len(data))})
				w := rdbfile.NewWriter(io.Discard, &rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: v.to})
				rep, err := convert.Convert(r, w, &convert.Options{NoRaw: true})
				if err != nil {
					t.Fatal(err)
				}
				if rep.Reencoded != rep.KeysRead || rep.KeysRead == 0 {
					t.Fatalf("re-encoded %d of %d keys", rep.Reencoded, rep.KeysRead)
				}
			})
		}
		const small, large = 60, 240 // of each of the five shapes
		a, b := allocs(allocFile(t, small, v.from)), allocs(allocFile(t, large, v.from))
		if extra := 5 * (large - small); b-a > float64(extra)/100 {
			t.Errorf("RDB %d to %d: %.0f allocations for %d keys, %.0f for %d: %.2f per extra key", v.from, v.to, a, 5*small, b, 5*large, (b-a)/float64(extra))
		}
		t.Logf("RDB %d to %d: %.0f allocations for %d keys, %.0f for %d", v.from, v.to, a, 5*small, b, 5*large)
	}
}
