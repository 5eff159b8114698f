package rdbfile_test

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"
	"testing/iotest"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// moduleRDB builds an RDB 9 file holding one module value (type 7) and
// returns it with the value's body (what follows the module type id).
// The layout is Redis src/rdb.c rdbSaveObject for a module: the 64-bit
// module type id as a length, then the module's RM_Save* items, each a
// length-encoded RDB_MODULE_OPCODE_* tag and its payload, then the EOF tag.
func moduleRDB(bigString int) (file, body []byte) {
	var b bytes.Buffer
	b.WriteString("REDIS0009")
	b.Write([]byte{0xfe, 0x00})                                           // SELECTDB 0
	b.Write([]byte{0x07, 0x01, 'm'})                                      // type MODULE_2, key "m"
	b.Write([]byte{0x81, 0x45, 0xe2, 0x52, 0x38, 0xdf, 0x91, 0x2c, 0x03}) // ReJSON-RL encver 3, 64-bit length form
	start := b.Len()
	b.Write([]byte{0x02, 0x05})           // UINT 5
	b.Write([]byte{0x05, 0x02, 'h', 'i'}) // STRING "hi"
	b.Write([]byte{0x04})                 // DOUBLE 1.5
	var d [8]byte
	binary.LittleEndian.PutUint64(d[:], 0x3ff8000000000000)
	b.Write(d[:])
	b.Write([]byte{0x03, 0x00, 0x00, 0xc0, 0x3f}) // FLOAT 1.5
	if bigString > 0 {
		b.Write([]byte{0x05, 0x80}) // STRING with a 32-bit length
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(bigString))
		b.Write(n[:])
		b.Write(bytes.Repeat([]byte{'x'}, bigString))
	}
	b.Write([]byte{0x00}) // EOF tag
	body = append([]byte(nil), b.Bytes()[start:]...)
	b.Write([]byte{0xff, 0, 0, 0, 0, 0, 0, 0, 0}) // EOF opcode, checksum off
	return b.Bytes(), body
}

// TestModuleValueRaw checks that Value keeps a module value's body byte
// for byte, also when it spans buffer refills (a 600 KB string item, read
// one byte at a time), and that Skip does not keep it.
func TestModuleValueRaw(t *testing.T) {
	for _, c := range []struct {
		name     string
		big      int
		oneByte  bool
		useValue bool
	}{
		{"small", 0, false, true},
		{"big", 600 << 10, false, true},
		{"big one byte reads", 600 << 10, true, true},
		{"skip", 0, false, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			file, body := moduleRDB(c.big)
			var src io.Reader = bytes.NewReader(file)
			if c.oneByte {
				src = iotest.OneByteReader(src)
			}
			r := rdbfile.NewReader(src, nil)
			e, err := r.Next()
			for err == nil && e.Kind != rdbfile.EntryKey {
				e, err = r.Next()
			}
			if err != nil {
				t.Fatal(err)
			}
			var mv *rdbfile.ModuleValue
			if c.useValue {
				v, err := e.Value()
				if err != nil {
					t.Fatal(err)
				}
				mv = v.Module
			} else {
				if err := e.Skip(); err != nil {
					t.Fatal(err)
				}
				mv = e.Module
			}
			if mv == nil || mv.TypeName != "ReJSON-RL" || mv.EncVer != 3 || mv.Size != int64(len(body)) {
				t.Fatalf("module value %+v, want ReJSON-RL encver 3 size %d", mv, len(body))
			}
			if !c.useValue {
				if mv.Raw != nil {
					t.Errorf("Skip kept %d raw bytes", len(mv.Raw))
				}
			} else if !bytes.Equal(mv.Raw, body) {
				t.Errorf("Raw: %d bytes %.40x..., want %d bytes %.40x...", len(mv.Raw), mv.Raw, len(body), body)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Fatalf("after the value: %v, want io.EOF", err)
			}
		})
	}
}
