package rdbscan_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
	"github.com/rdbkit/rdbkit/rdbscan"
)

// crc64Jones is Redis's CRC-64 (src/crc64.c: Jones polynomial, reflected,
// initial value 0, no final xor), bit by bit.
func crc64Jones(p []byte) uint64 {
	var crc uint64
	for _, b := range p {
		crc ^= uint64(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ 0x95ac9329ac4bc9b5
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// rdb builds a whole RDB 9 file (Redis 5.0+) from its records: the magic
// "REDIS0009", the records, the EOF opcode 0xFF and the CRC-64 trailer
// (8 bytes, little endian).
func rdb(records ...[]byte) []byte {
	b := []byte("REDIS0009")
	for _, r := range records {
		b = append(b, r...)
	}
	b = append(b, 0xff)
	return binary.LittleEndian.AppendUint64(b, crc64Jones(b))
}

// selectDB is opcode 0xFE (SELECTDB) and the db number as a 6-bit length.
func selectDB(n byte) []byte { return []byte{0xfe, n} }

// str is a string key record: type 0 (STRING), then key and value, each a
// 6-bit length byte and the bytes.
func str(key, val string) []byte {
	b := []byte{0x00, byte(len(key))}
	b = append(b, key...)
	b = append(b, byte(len(val)))
	return append(b, val...)
}

// expireMs prefixes a record with opcode 0xFC (EXPIRETIME_MS) and the
// absolute expire time in ms since the Unix epoch (8 bytes, little endian).
func expireMs(ms uint64, rec []byte) []byte {
	return append(binary.LittleEndian.AppendUint64([]byte{0xfc}, ms), rec...)
}

// emptySet is a set key record with no member: type 2 (SET), the key, and
// the member count 0.
func emptySet(key string) []byte {
	b := []byte{0x02, byte(len(key))}
	b = append(b, key...)
	return append(b, 0x00)
}

func TestCRC64Jones(t *testing.T) {
	if got := crc64Jones([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %016x", got)
	}
}

func scan(t *testing.T, file []byte, o *rdbscan.Options) *rdbscan.Result {
	t.Helper()
	if o == nil {
		o = &rdbscan.Options{}
	}
	res, err := rdbscan.Scan(context.Background(), rdbfile.NewReader(bytes.NewReader(file), nil), o)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func reopen(file []byte) func() (*rdbfile.Reader, error) {
	return func() (*rdbfile.Reader, error) { return rdbfile.NewReader(bytes.NewReader(file), nil), nil }
}

// Offsets in the files below: the magic is bytes 0-8, SELECTDB 0 is 9-10,
// and each str record of a 1-byte key and value is 5 bytes.
func TestDuplicates(t *testing.T) {
	const now = 1_700_000_000_000
	tests := []struct {
		name    string
		file    []byte
		offsets []int64 // copies of the one duplicated key; nil: none
		db      int
		outcome rdbscan.DupOutcome
	}{
		{"same key twice in db 0", rdb(selectDB(0), str("k", "a"), str("x", "1"), str("k", "b")), []int64{11, 21}, 0, rdbscan.DupAborts},
		{"same key in db 0 and db 1", rdb(selectDB(0), str("k", "a"), selectDB(1), str("k", "b")), nil, 0, 0},
		{"three copies in db 3", rdb(selectDB(3), str("k", "a"), str("k", "b"), str("k", "c")), []int64{11, 16, 21}, 3, rdbscan.DupAborts},
		{"first copy expired", rdb(selectDB(0), expireMs(1000, str("k", "a")), str("k", "b")), []int64{11, 25}, 0, rdbscan.DupAbortsUnlessExpired},
		{"second copy expires later", rdb(selectDB(0), str("k", "a"), expireMs(now+1, str("k", "b"))), []int64{11, 16}, 0, rdbscan.DupAborts},
		{"one copy empty", rdb(selectDB(0), emptySet("k"), str("k", "b")), []int64{11, 15}, 0, rdbscan.DupLoads},
		{"different keys", rdb(selectDB(0), str("k", "a"), str("K", "a"), str("kk", "a")), nil, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := scan(t, tt.file, &rdbscan.Options{Duplicates: true, Reopen: reopen(tt.file), Now: now})
			if res.Err != nil || !res.DupChecked {
				t.Fatalf("err %v, checked %v", res.Err, res.DupChecked)
			}
			if tt.offsets == nil {
				if res.DupCount != 0 || len(res.Duplicates) != 0 {
					t.Fatalf("duplicates %+v", res.Duplicates)
				}
				return
			}
			if res.DupCount != 1 || len(res.Duplicates) != 1 {
				t.Fatalf("count %d, duplicates %+v", res.DupCount, res.Duplicates)
			}
			d := res.Duplicates[0]
			if d.Unconfirmed || string(d.Key) != "k" || d.DB != tt.db || d.N != len(tt.offsets) || d.Outcome != tt.outcome {
				t.Errorf("duplicate %+v", d)
			}
			for i, c := range d.Copies {
				if c.Offset != tt.offsets[i] {
					t.Errorf("copy %d at %d, want %d", i, c.Offset, tt.offsets[i])
				}
			}
			// Without a second pass the key is known by its hash only.
			res = scan(t, tt.file, &rdbscan.Options{Duplicates: true})
			if res.DupCount != 1 || len(res.Duplicates) != 1 || !res.Duplicates[0].Unconfirmed ||
				res.Duplicates[0].N != len(tt.offsets) || res.Duplicates[0].DB != tt.db || res.Duplicates[0].Key != nil {
				t.Errorf("unconfirmed: count %d, %+v", res.DupCount, res.Duplicates)
			}
			// Off by default.
			if res = scan(t, tt.file, nil); res.DupCount != 0 || res.Duplicates != nil || res.DupChecked {
				t.Errorf("check ran without Options.Duplicates")
			}
		})
	}
}

// TestDuplicatesMany: more duplicated keys than kept are counted, the kept
// ones are those of the first MaxDuplicates hashes, each confirmed.
func TestDuplicatesMany(t *testing.T) {
	recs := [][]byte{selectDB(0)}
	for range 2 {
		for i := range 50 {
			recs = append(recs, str("key"+string(rune('A'+i)), "v"))
		}
	}
	file := rdb(recs...)
	res := scan(t, file, &rdbscan.Options{Duplicates: true, Reopen: reopen(file), MaxDuplicates: 7})
	if res.DupCount != 50 || len(res.Duplicates) != 7 {
		t.Fatalf("count %d, kept %d", res.DupCount, len(res.Duplicates))
	}
	for i, d := range res.Duplicates {
		if d.N != 2 || d.Copies[1].Offset-d.Copies[0].Offset != 50*8 || (i > 0 && d.Copies[1].Offset < res.Duplicates[i-1].Copies[1].Offset) {
			t.Errorf("duplicate %d: %+v", i, d)
		}
	}
}

// TestDuplicatesRealFiles: files saved by real servers have no duplicated
// key, and the check sees every key of every db.
func TestDuplicatesRealFiles(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(summaryTestdata, "*.rdb"))
	if len(files) < 5 {
		t.Fatalf("found %d test files", len(files))
	}
	for _, p := range files {
		file, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		res := scan(t, file, &rdbscan.Options{Duplicates: true, Reopen: reopen(file)})
		if res.DupCount != 0 || (res.Err == nil && !res.DupChecked) {
			t.Errorf("%s: %d duplicates %+v (checked %v)", p, res.DupCount, res.Duplicates, res.DupChecked)
		}
	}
}

// TestScanIntactUpTo: the bookkeeping of how far records are intact, on
// every prefix of a small file: a truncated file is intact up to the
// start of the record it breaks in, and Size is how far the reader got.
func TestScanIntactUpTo(t *testing.T) {
	file := rdb(selectDB(0), str("k", "a"), str("x", "1"), str("k", "b"))
	starts := []int64{9, 11, 16, 21, 26} // SELECTDB, three keys, EOF opcode
	res := scan(t, file, &rdbscan.Options{Tail: true})
	if res.Err != nil || res.IntactUpTo != -1 || res.Records != 4 || res.Keys != 3 || res.End != int64(len(file)) ||
		res.Size != int64(len(file)) || res.Damaged() || !res.Done() {
		t.Fatalf("whole file: %+v", res)
	}
	for n := 9; n < len(file); n++ {
		res := scan(t, file[:n], nil)
		var ce *rdbfile.CorruptError
		if !errors.As(res.Err, &ce) || !errors.Is(res.Err, io.ErrUnexpectedEOF) {
			t.Fatalf("prefix %d: err %v", n, res.Err)
		}
		want := int64(0)
		for _, s := range starts {
			if s <= int64(n) {
				want = s
			}
		}
		if n == len(file)-8 { // cut in the trailer: every record is intact, the trailer is not
			want = 26
		}
		if res.IntactUpTo != want || res.RecordStart < want || !res.Damaged() {
			t.Errorf("prefix %d: intact up to %d, record start %d, want %d", n, res.IntactUpTo, res.RecordStart, want)
		}
	}
	// Trailing bytes are counted with Tail only.
	long := append(append([]byte(nil), file...), "junk"...)
	if res := scan(t, long, &rdbscan.Options{Tail: true}); res.Trailing != 4 || res.Size != int64(len(long)) || res.End != int64(len(file)) {
		t.Errorf("trailing %d size %d end %d", res.Trailing, res.Size, res.End)
	}
	if res := scan(t, long, nil); res.Trailing != 0 || res.Size != int64(len(file)) {
		t.Errorf("without Tail: trailing %d size %d", res.Trailing, res.Size)
	}
}

// TestScanHooks: OnHeader then OnEntry for every record in file order,
// values consumed before OnEntry unless Shallow, and a hook's error stops
// the scan and comes back from Scan.
func TestScanHooks(t *testing.T) {
	file := rdb(selectDB(0), str("k", "a"), str("x", "1"), str("k", "b"))
	for _, shallow := range []bool{false, true} {
		var log []string
		o := &rdbscan.Options{Shallow: shallow,
			OnHeader: func(h *rdbfile.Header) error { log = append(log, "header "+h.Magic); return nil },
			OnEntry: func(e *rdbfile.Entry) error {
				s := e.Kind.String()
				if e.Kind == rdbfile.EntryKey {
					s += " " + string(e.Key)
					_, err := e.Value()
					if shallow != (err == nil) {
						t.Errorf("shallow %v: Value in the hook: %v", shallow, err)
					}
				}
				log = append(log, s)
				return nil
			}}
		scan(t, file, o)
		if len(log) != 5 || log[0] != "header REDIS" || log[2] != "key k" || log[4] != "key k" {
			t.Errorf("shallow %v: %q", shallow, log)
		}
	}
	stop := errors.New("stop")
	n := 0
	res, err := rdbscan.Scan(context.Background(), rdbfile.NewReader(bytes.NewReader(file), nil),
		&rdbscan.Options{OnEntry: func(*rdbfile.Entry) error { n++; return stop }})
	if err != stop || n != 1 || res.Records != 1 {
		t.Errorf("hook error: %v after %d calls, %d records", err, n, res.Records)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rdbscan.Scan(ctx, rdbfile.NewReader(bytes.NewReader(file), nil), nil); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestDuplicatesLarge: 300 000 keys in two databases (every bucket grows
// several blocks), three of them stored twice in db 1, the same names
// once each in db 0.
func TestDuplicatesLarge(t *testing.T) {
	const n = 150_000
	var recs [][]byte
	for db := byte(0); db < 2; db++ {
		recs = append(recs, selectDB(db))
		for i := range n {
			recs = append(recs, str("key:"+strconv.Itoa(i), "v"))
		}
	}
	for _, i := range []int{7, 77_777, 149_999} {
		recs = append(recs, str("key:"+strconv.Itoa(i), "w"))
	}
	file := rdb(recs...)
	res := scan(t, file, &rdbscan.Options{Duplicates: true, Reopen: reopen(file)})
	if res.Keys != 2*n+3 || res.DupCount != 3 || len(res.Duplicates) != 3 {
		t.Fatalf("keys %d, count %d, %+v", res.Keys, res.DupCount, res.Duplicates)
	}
	for i, want := range []string{"key:7", "key:77777", "key:149999"} {
		d := res.Duplicates[i]
		if string(d.Key) != want || d.DB != 1 || d.N != 2 || d.Outcome != rdbscan.DupAborts {
			t.Errorf("duplicate %d: %+v", i, d)
		}
	}
}

// TestScanChecksumMismatch: a changed byte that keeps the structure is a
// checksum error that damages no record: IntactUpTo stays -1, End is set.
func TestScanChecksumMismatch(t *testing.T) {
	file := rdb(selectDB(0), str("k", "a"), str("x", "1"))
	file[15] = 'z' // the value of "k"
	res := scan(t, file, &rdbscan.Options{Tail: true})
	if !errors.Is(res.Err, rdbfile.ErrChecksum) || res.IntactUpTo != -1 || res.End != int64(len(file)) || res.Keys != 2 {
		t.Errorf("err %v, intact up to %d, end %d, keys %d", res.Err, res.IntactUpTo, res.End, res.Keys)
	}
}
