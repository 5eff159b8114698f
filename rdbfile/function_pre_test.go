package rdbfile

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
)

// preGAFunctionFile builds the RDB file a Redis 7.0 release candidate writes
// for one function library, byte by byte (rdbSaveFunctions in 7.0-rc1's
// src/rdb.c; rdbFunctionLoad in 7.0's src/rdb.c reads it):
//
//	"REDIS0010"                  magic and RDB version 10
//	0xFA 9 "redis-ver" 6 "6.9.241"  AUX (7.0-rc1 reports 6.9.241)
//	0xF6                         RDB_OPCODE_FUNCTION (pre-GA)
//	  5 "mylib"                  library name
//	  3 "LUA"                    engine name
//	  0x01                       has description (a length, 1)
//	  4 "desc"                   description
//	  n "redis.register..."      library code
//	0xFE 0x00                    SELECTDB 0
//	0x00 1 "k" 1 "v"             STRING k = v
//	0xFF + 8 bytes               EOF and CRC-64 (Jones, little endian)
func preGAFunctionFile(code string) []byte {
	str := func(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }
	f := []byte("REDIS0010")
	f = str(append(f, 0xFA), "redis-ver")
	f = str(f, "6.9.241")
	f = append(f, 0xF6)
	f = str(f, "mylib")
	f = str(f, "LUA")
	f = append(f, 0x01)
	f = str(f, "desc")
	f = str(f, code)
	f = append(f, 0xFE, 0x00)
	f = str(str(append(f, 0x00), "k"), "v")
	f = append(f, 0xFF)
	return binary.LittleEndian.AppendUint64(f, crc64Update(0, f))
}

func TestFunctionPreGA(t *testing.T) {
	const code = "redis.register_function('f', function() return 1 end)"
	r := NewReader(bytes.NewReader(preGAFunctionFile(code)), nil)
	var fns [][]byte
	keys := 0
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("pre-GA FUNCTION file: %v", err)
		}
		switch e.Kind {
		case EntryFunction:
			if e.Opcode != OpFunctionPre {
				t.Errorf("opcode %v", e.Opcode)
			}
			fns = append(fns, bytes.Clone(e.Data))
		case EntryKey:
			keys++
			if e.Opcode != 0 {
				t.Errorf("key record with opcode %v", e.Opcode)
			}
		}
	}
	want := "#!LUA name=mylib\n" + code
	if len(fns) != 1 || string(fns[0]) != want || keys != 1 {
		t.Errorf("functions %q, keys %d; want [%q], 1", fns, keys, want)
	}
	if c := r.Checksum(); !c.Verified {
		t.Errorf("checksum %+v", c)
	}
	// Without the description indicator set, no description follows.
	f := preGAFunctionFile(code)
	i := bytes.Index(f, []byte("\x01\x04desc"))
	g := append(append(append([]byte(nil), f[:i]...), 0x00), f[i+6:len(f)-8]...)
	g = binary.LittleEndian.AppendUint64(g, crc64Update(0, g))
	r = NewReader(bytes.NewReader(g), nil)
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("no description: %v", err)
		}
		if e.Kind == EntryFunction && string(e.Data) != want {
			t.Errorf("no description: %q", e.Data)
		}
	}
	// Every prefix is reported as truncated, never as a clean end.
	for n := 9; n < len(f); n++ {
		r := NewReader(bytes.NewReader(f[:n]), nil)
		var err error
		for err == nil {
			_, err = r.Next()
		}
		if err == io.EOF {
			t.Fatalf("prefix %d read as a complete file", n)
		}
	}
}
