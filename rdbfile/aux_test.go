package rdbfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rdbkit/rdbkit/internal/testcorpus"
	"github.com/rdbkit/rdbkit/rdbfile"
)

func auxList(kv ...string) []rdbfile.Aux {
	var out []rdbfile.Aux
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, rdbfile.Aux{Name: []byte(kv[i]), Value: []byte(kv[i+1])})
	}
	return out
}

func TestParseAux(t *testing.T) {
	i := rdbfile.ParseAux(auxList(
		"redis-ver", "7.2.4", "REDIS-BITS", "32", "ctime", "1700000000", "used-mem", "1048576",
		"repl-stream-db", "3", "repl-id", "0123456789012345678901234567890123456789", "repl-offset", "-1",
		"aof-preamble", "1", "lua", "return 1", "lua", "return 2", "valkey-ver", "8.0.1", "%info", "x"))
	if i.Server != "valkey" || i.Version != "8.0.1" || i.Bits != 32 || *i.CTime != 1700000000 || *i.UsedMem != 1048576 ||
		*i.ReplStreamDB != 3 || i.ReplID != "0123456789012345678901234567890123456789" || *i.ReplOffset != -1 ||
		!*i.AOFBase || i.LuaScripts != 2 {
		t.Errorf("ParseAux: %+v", i)
	}
	// The last occurrence counts; one that is not a number leaves the member unset.
	i = rdbfile.ParseAux(auxList("ctime", "5", "ctime", "6", "used-mem", "7", "used-mem", "lots", "aof-base", "1", "aof-base", "0",
		"redis-bits", "64", "redis-bits", "x", "redis-ver", "6.2.0"))
	if *i.CTime != 6 || i.UsedMem != nil || *i.AOFBase || i.Bits != 0 || i.Server != "redis" || i.Version != "6.2.0" {
		t.Errorf("ParseAux (repeated and bad fields): %+v", i)
	}
	i = rdbfile.ParseAux(nil)
	if i.Server != "" || i.CTime != nil || i.UsedMem != nil || i.AOFBase != nil || i.ReplStreamDB != nil || i.ReplOffset != nil {
		t.Errorf("ParseAux(nil): %+v", i)
	}
}

// TestHeaderAuxInfo reads the AUX fields of files written by real servers.
func TestHeaderAuxInfo(t *testing.T) {
	h := header(t, "../testdata/redis-7.4.1-dump.rdb")
	i := h.AuxInfo()
	if i.Server != "redis" || i.Version != "7.4.1" || i.Bits != 64 || *i.CTime != 1795236567 || *i.UsedMem != 2507824 ||
		i.AOFBase == nil || *i.AOFBase || i.ReplID != "" || i.ReplOffset != nil {
		t.Errorf("redis 7.4.1 SAVE: %+v", i)
	}
	dir := testcorpus.Path()
	if dir == "" {
		t.Skip("corpus not found: set RDBKIT_CORPUS for the other servers' files")
	}
	for _, c := range []struct {
		path, server, version string
		aofBase               bool
	}{
		{"valkey-8.0.1/rdb/dump.rdb", "valkey", "8.0.1", false},
		{"redis-7.0.15/rdb/dump.rdb", "redis", "7.0.15", false},
		{"newer/valkey-9-hash2.rdb", "valkey", "", false},
	} {
		i := header(t, filepath.Join(dir, c.path)).AuxInfo()
		if i.Server != c.server || (c.version != "" && i.Version != c.version) || i.AOFBase == nil || *i.AOFBase != c.aofBase || i.CTime == nil {
			t.Errorf("%s: %+v", c.path, i)
		}
	}
	bases, _ := filepath.Glob(filepath.Join(dir, "redis-7.4.1", "aof-preamble", "appendonlydir", "*.base.rdb"))
	if len(bases) == 0 {
		t.Fatal("no RDB base in redis-7.4.1/aof-preamble")
	}
	if i := header(t, bases[0]).AuxInfo(); i.AOFBase == nil || !*i.AOFBase {
		t.Errorf("%s: aof-base %v, want true", bases[0], i.AOFBase)
	}
}

func header(t *testing.T, path string) *rdbfile.Header {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	h, err := rdbfile.NewReader(f, nil).Header()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return h
}
