package convert_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rdbkit/rdbkit/convert"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// TestConvertModules: a module value has no re-encoding. Where the target
// has module values it is copied byte for byte (also with NoRaw), for a
// server with its module; Modules: Drop leaves every module value out and
// names it, for a server without the module (which refuses the file: "no
// matching module type"). The file is a real one, written by a Redis 8.9
// development build (testdata/rdb/README.md).
func TestConvertModules(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "testdata", "rdb", "redis-8.9dev-rdb15-module.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	rdb12 := rdbfile.WriterOptions{Version: 12}
	for _, c := range []struct {
		name    string
		o       convert.Options
		keys    int
		dropped bool
	}{
		{"default", convert.Options{}, 3, false},
		{"reencode", convert.Options{NoRaw: true}, 3, false},
		{"drop", convert.Options{Modules: convert.Drop}, 2, true},
	} {
		o := c.o
		out, rep, err := run(t, data, rdb12, &o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, _ := readKeys(t, c.name, out)
		if len(got) != c.keys || rep.KeysWritten != int64(c.keys) {
			t.Errorf("%s: %d keys read back, %d written, want %d", c.name, len(got), rep.KeysWritten, c.keys)
		}
		l := rep.Loss(convert.LossModules)
		if c.dropped != (l != nil) {
			t.Fatalf("%s: modules loss %+v", c.name, l)
		}
		if l != nil && (l.Count != 1 || string(l.Keys[0]) != "lab:module" || l.Policy != convert.Drop) {
			t.Errorf("%s: modules loss %+v, want lab:module dropped", c.name, l)
		}
	}
	// Before RDB 8 there are no module values: the policy applies.
	if _, rep, err := run(t, data, rdbfile.WriterOptions{Version: 7}, nil); err == nil || rep.Loss(convert.LossModules) == nil {
		t.Errorf("RDB 7 under fail: %v, losses %+v", err, rep.Losses)
	}

	// A MODULE_AUX record (RDB 9: ReJSON-RL's module id, when opcode UINT,
	// when 2 = after the keyspace, no data), then a string: copied by
	// default, left out and named by its module type under drop.
	aux := []byte("REDIS0009")
	aux = append(aux, 0xf7, 0x81, 0x45, 0xe2, 0x52, 0x38, 0xdf, 0x91, 0x2c, 0x03, 0x02, 0x02, 0x00)
	aux = append(aux, 0xfe, 0x00, 0x00, 0x01, 'k', 0x01, 'v', 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
	for _, drop := range []bool{false, true} {
		o := convert.Options{}
		if drop {
			o.Modules = convert.Drop
		}
		out, rep, err := run(t, aux, rdb12, &o)
		if err != nil {
			t.Fatalf("module aux, drop %v: %v", drop, err)
		}
		n := 0
		eachRecord(t, out, func(e *rdbfile.Entry) {
			if e.Kind == rdbfile.EntryModuleAux {
				n++
			}
		})
		l := rep.Loss(convert.LossModules)
		if drop && (n != 0 || l == nil || l.Count != 1 || string(l.Keys[0]) != "ReJSON-RL") || !drop && (n != 1 || l != nil) {
			t.Errorf("module aux, drop %v: %d records written, loss %+v", drop, n, l)
		}
	}
}

// TestConvertBlockedModules: once another loss blocks the conversion, the
// report still lists only what blocks it. A module value that the target
// would take byte for byte is not one.
func TestConvertBlockedModules(t *testing.T) {
	code := "#!lua name=lib\nredis.register_function('f', function() return 1 end)"
	// RDB 10: FUNCTION2, then db 0 with one module value (ReJSON-RL encver 3,
	// an empty value: the EOF opcode of the module's stream), then EOF.
	b := []byte("REDIS0010")
	b = append(b, 0xf5, 0x40|byte(len(code)>>8), byte(len(code))) // a 14-bit length
	b = append(b, code...)
	b = append(b, 0xfe, 0x00, 0x07, 0x01, 'm')
	b = append(b, 0x81, 0x45, 0xe2, 0x52, 0x38, 0xdf, 0x91, 0x2c, 0x03, 0x00)
	b = append(b, 0xff, 0, 0, 0, 0, 0, 0, 0, 0)
	_, rep, err := run(t, b, rdbfile.WriterOptions{Version: 9}, nil)
	if err == nil || !rep.Blocked {
		t.Fatalf("functions on RDB 9 under fail: %v, blocked %v", err, rep.Blocked)
	}
	if rep.Loss(convert.LossFunctions) == nil {
		t.Errorf("the function library is not named: %+v", rep.Losses)
	}
	if l := rep.Loss(convert.LossModules); l != nil {
		t.Errorf("a module value RDB 9 takes is named as blocking: %+v", l)
	}
	// Unblocked, the same value is copied.
	out, rep, err := run(t, b, rdbfile.WriterOptions{Version: 9}, &convert.Options{Functions: convert.Drop})
	if err != nil || rep.Loss(convert.LossModules) != nil {
		t.Fatalf("functions dropped: %v, losses %+v", err, rep.Losses)
	}
	if got, _ := readKeys(t, "unblocked", out); len(got) != 1 {
		t.Errorf("%d keys, want the module value", len(got))
	}
}
