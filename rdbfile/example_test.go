package rdbfile_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Read a whole file: the header, then every record until io.EOF, which
// Next returns only after the EOF opcode and the checksum trailer.
func ExampleReader() {
	f, err := os.Open("../testdata/redis-7.4.1-dump.rdb")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	r := rdbfile.NewReader(f, nil)
	h, err := r.Header()
	if err != nil {
		panic(err)
	}
	fmt.Println(h.Magic, h.Version, h.Dialect)
	keys := map[rdbfile.Kind]int{}
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err) // a *rdbfile.CorruptError with the byte offset
			return
		}
		if e.Kind == rdbfile.EntryKey {
			keys[e.ValueKind]++ // the value is skipped (and checked) by the next Next
		}
	}
	fmt.Println("strings", keys[rdbfile.KindString], "hashes", keys[rdbfile.KindHash], "streams", keys[rdbfile.KindStream])
	fmt.Printf("checksum verified %v (%016x)\n", r.Checksum().Verified, r.Checksum().Stored)
	// Output:
	// REDIS 12 redis
	// strings 38 hashes 10 streams 5
	// checksum verified true (3364e76e70df62e9)
}

// Decode one value whole with Value: here a hash with field TTLs (absolute
// times in ms since the Unix epoch).
func ExampleEntry_Value() {
	f, err := os.Open("../testdata/redis-7.4.1-dump.rdb")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	r := rdbfile.NewReader(f, nil)
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if e.Kind != rdbfile.EntryKey || string(e.Key) != "hash:hfe:keyttl" {
			continue
		}
		v, err := e.Value()
		if err != nil {
			panic(err)
		}
		fmt.Println(e.TypeName, "key expires at", e.ExpireAt)
		for _, fv := range v.Hash {
			fmt.Printf("%s=%s field expires at %d\n", fv.Field, fv.Value, fv.ExpireAt)
		}
	}
	// Output:
	// HASH_LISTPACK_EX key expires at 4102444800132
	// a=1 field expires at 4102444800130
	// b=2 field expires at -1
}

// Walk a big value element by element: memory stays bounded by one
// element, whatever the size of the value.
func ExampleEntry_Walk() {
	f, err := os.Open("../testdata/redis-7.4.1-dump.rdb")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	r := rdbfile.NewReader(f, nil)
	for {
		e, err := r.Next()
		if err != nil {
			break
		}
		if e.Kind != rdbfile.EntryKey || string(e.Key) != "list:large" {
			continue
		}
		n, total := 0, 0
		err = e.Walk(func(el *rdbfile.Element) error {
			n++
			total += len(el.Member) // el is valid only during the call
			return nil
		})
		fmt.Println(e.Encoding, n, "items,", total, "bytes; Len", e.Len, "err", err)
	}
	// Output:
	// quicklist 1000 items, 19994 bytes; Len 1000 err <nil>
}

// A file cut short: Next reports where, as a *CorruptError wrapping
// io.ErrUnexpectedEOF, never a clean io.EOF.
func ExampleCorruptError() {
	data, err := os.ReadFile("../testdata/redis-7.4.1-dump.rdb")
	if err != nil {
		panic(err)
	}
	r := rdbfile.NewReader(bytes.NewReader(data[:100]), nil)
	for {
		_, err = r.Next()
		if err != nil {
			break
		}
	}
	var ce *rdbfile.CorruptError
	fmt.Println(errors.As(err, &ce), errors.Is(err, io.ErrUnexpectedEOF), ce.Offset <= 100)
	fmt.Println(err)
	// Output:
	// true true true
	// rdbfile: unexpected end of file reading FUNCTION2 library code at offset 85 (0x55)
}

// The AUX fields at the start of the file, interpreted.
func ExampleHeader_AuxInfo() {
	f, err := os.Open("../testdata/redis-7.4.1-dump.rdb")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	h, err := rdbfile.NewReader(f, nil).Header()
	if err != nil {
		panic(err)
	}
	info := h.AuxInfo()
	fmt.Println(info.Server, info.Version, info.Bits, "bits")
	fmt.Println("saved at", *info.CTime, "using", *info.UsedMem, "bytes; AOF base:", *info.AOFBase)
	// Output:
	// redis 7.4.1 64 bits
	// saved at 1795236567 using 2507824 bytes; AOF base: false
}
