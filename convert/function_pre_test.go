package convert_test

import (
	"bytes"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/rdbfile"
)

const preGACode = "redis.register_function('f', function() return 1 end)"

// preGAFunctionRDB is a Redis 7.0 release candidate's RDB holding one
// function library in the pre-release FUNCTION record (opcode 0xF6, read by
// rdbFunctionLoad in Redis 7.0's src/rdb.c):
//
//	"REDIS0010"                   magic, RDB version 10
//	0xF6                          RDB_OPCODE_FUNCTION
//	  5 "mylib" 3 "LUA"           library name, engine name
//	  0x00                        no description
//	  n "redis.register..."       library code
//	0xFE 0x00 0x00 1 "k" 1 "v"    SELECTDB 0, STRING k = v
//	0xFF + 8 zero bytes           EOF, checksum not computed
func preGAFunctionRDB() []byte {
	str := func(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }
	f := append([]byte("REDIS0010"), 0xF6)
	f = str(str(f, "mylib"), "LUA")
	f = str(append(f, 0x00), preGACode)
	f = str(str(append(f, 0xFE, 0x00, 0x00), "k"), "v")
	return append(f, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0)
}

// functionRecords returns the opcode and code of every function record.
func functionRecords(t *testing.T, data []byte) (ops []rdbfile.Opcode, codes []string) {
	t.Helper()
	eachRecord(t, data, func(e *rdbfile.Entry) {
		if e.Kind == rdbfile.EntryFunction {
			ops, codes = append(ops, e.Opcode), append(codes, string(e.Data))
		}
	})
	return ops, codes
}

// TestConvertFunctionPreGA: the pre-release FUNCTION record (0xF6) is
// copied byte for byte to RDB 10, where Redis 7.0 reads it, and written as
// FUNCTION2 with the same library code for every later target, which
// refuses 0xF6; before RDB 10 it is a functions loss.
func TestConvertFunctionPreGA(t *testing.T) {
	data := preGAFunctionRDB()
	want := "#!LUA name=mylib\n" + preGACode
	out, rep, err := run(t, data, rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: 10, NoChecksum: true}, nil)
	if err != nil || !bytes.Equal(out, data) || rep.Records == 0 {
		t.Fatalf("RDB 10: %v, identical %v", err, bytes.Equal(out, data))
	}
	for _, tg := range []rdbfile.WriterOptions{{Dialect: rdbfile.DialectRedis, Version: 11}, {Dialect: rdbfile.DialectRedis, Version: 12},
		{Dialect: rdbfile.DialectRedis, Version: 15}, {Dialect: rdbfile.DialectValkey, Version: 80}} {
		out, rep, err := run(t, data, tg, nil)
		if err != nil || len(rep.Losses) != 0 {
			t.Fatalf("%s %d: %v %v", tg.Dialect, tg.Version, err, rep.Losses)
		}
		ops, codes := functionRecords(t, out)
		if len(ops) != 1 || ops[0] != rdbfile.OpFunction2 || codes[0] != want {
			t.Errorf("%s %d: function records %v %q, want FUNCTION2 %q", tg.Dialect, tg.Version, ops, codes, want)
		}
	}
	o := allDrop
	_, rep, err = run(t, data, rdbfile.WriterOptions{Dialect: rdbfile.DialectRedis, Version: 9}, &o)
	if l := rep.Loss(convert.LossFunctions); err != nil || l == nil || l.Count != 1 || string(l.Keys[0]) != "mylib" {
		t.Errorf("RDB 9: %v, losses %+v", err, rep.Losses)
	}
}
