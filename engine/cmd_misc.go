package engine

import (
	"bytes"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// Functions, scripting and the read-only commands Exec accepts.

var miscCommands = []cmdSpec{
	{name: "function", fn: cmdFunction},
	{name: "script", fn: cmdScript},
	{name: "eval", fn: cmdScriptCall},
	{name: "evalsha", fn: cmdScriptCall},
	{name: "eval_ro", fn: cmdScriptCall},
	{name: "evalsha_ro", fn: cmdScriptCall},
	{name: "fcall", fn: cmdScriptCall},
	{name: "fcall_ro", fn: cmdScriptCall},
}

// cmdScriptCall: scripts cannot run offline. Redis 7.0+ never writes them
// to an AOF (it writes the commands the script executed).
func cmdScriptCall(e *Engine, a [][]byte) error {
	return unsupported("scripts cannot be executed offline (Redis 7.0+ propagates their effects instead)")
}

// cmdScript accepts SCRIPT LOAD and SCRIPT FLUSH of old AOFs; scripts are
// not kept (EVALSHA is unsupported anyway).
func cmdScript(e *Engine, a [][]byte) error {
	switch {
	case eq(a[1], "load") && len(a) == 3, eq(a[1], "flush") && len(a) <= 3, eq(a[1], "exists"), eq(a[1], "help"):
		return nil
	}
	return replyErr("ERR unknown subcommand or wrong number of arguments for '" + string(a[1]) + "'")
}

// cmdFunction implements FUNCTION LOAD [REPLACE] code, DELETE name,
// FLUSH [ASYNC|SYNC] and RESTORE payload [FLUSH|APPEND|REPLACE]; the
// read-only subcommands are accepted. Library code is kept, not compiled:
// function-name collisions between libraries are not detected.
func cmdFunction(e *Engine, a [][]byte) error {
	sub := a[1]
	switch {
	case eq(sub, "load") && len(a) >= 3:
		replace := false
		i := 2
		for ; i < len(a)-1; i++ {
			if !eq(a[i], "replace") {
				return replyErr("ERR Unknown option given: " + string(a[i]))
			}
			replace = true
		}
		if i != len(a)-1 {
			return errSyntax
		}
		code := a[len(a)-1]
		name, ok := libraryName(code)
		if !ok {
			return replyErr("ERR Missing library metadata")
		}
		if eng := libraryEngine(code); !eq(eng, "lua") {
			return replyErr("ERR Engine '" + string(eng) + "' not found")
		}
		if _, exists := e.libs[name]; exists && !replace {
			return replyErr("ERR Library '" + name + "' already exists")
		}
		e.libs[name] = clone(code)
	case eq(sub, "delete") && len(a) == 3:
		if _, ok := e.libs[string(a[2])]; !ok {
			return replyErr("ERR Library not found")
		}
		delete(e.libs, string(a[2]))
	case eq(sub, "flush") && len(a) <= 3:
		if len(a) == 3 && !eq(a[2], "sync") && !eq(a[2], "async") {
			return replyErr("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		}
		e.libs = map[string][]byte{}
	case eq(sub, "restore") && (len(a) == 3 || len(a) == 4):
		policy := "append"
		if len(a) == 4 {
			switch {
			case eq(a[3], "flush"), eq(a[3], "append"), eq(a[3], "replace"):
				policy = string(bytes.ToLower(a[3]))
			default:
				return replyErr("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			}
		}
		libs, err := decodeFunctionDump(a[2], maxRDBVersion(e.v))
		if err != nil {
			return replyErr("ERR payload version or checksum are wrong")
		}
		if policy == "append" {
			for name := range libs {
				if _, exists := e.libs[name]; exists {
					return replyErr("ERR Library " + name + " already exists")
				}
			}
		}
		if policy == "flush" {
			e.libs = map[string][]byte{}
		}
		for name, code := range libs {
			e.libs[name] = code
		}
	case eq(sub, "list"), eq(sub, "dump"), eq(sub, "stats"), eq(sub, "help"), eq(sub, "kill"):
	default:
		return replyErr("ERR unknown subcommand or wrong number of arguments for '" + string(sub) + "'")
	}
	return nil
}

func libraryEngine(code []byte) []byte {
	line := code
	if i := bytes.IndexByte(line, '\n'); i >= 0 {
		line = line[:i]
	}
	f := bytes.Fields(line[2:])
	if len(f) == 0 {
		return nil
	}
	return f[0]
}

// decodeFunctionDump reads a FUNCTION DUMP payload (rdbfile.ReadFunctionDump)
// into libraries by name.
func decodeFunctionDump(p []byte, maxVersion int) (map[string][]byte, error) {
	codes, err := rdbfile.ReadFunctionDump(p, maxVersion)
	if err != nil {
		return nil, err
	}
	libs := map[string][]byte{}
	for _, code := range codes {
		name, ok := libraryName(code)
		if !ok {
			return nil, rdbfile.ErrInvalid
		}
		libs[name] = clone(code)
	}
	return libs, nil
}

// Read-only commands: the server executes them from an AOF too, without
// effect. Exec accepts and ignores them, in the releases the release table
// lists them for (with their arity); the administrative and connection
// commands the table leaves out (PING, INFO, CONFIG, ...) in every release.
var readOnlyCommands = func() []cmdSpec {
	var out []cmdSpec
	for _, n := range []string{"get", "strlen", "getrange", "substr", "mget", "lcs", "exists", "type", "ttl", "pttl",
		"keys", "scan", "randomkey", "dbsize", "touch", "dump", "object", "lrange", "llen", "lindex",
		"scard", "sismember", "smembers", "srandmember", "sinter", "sunion", "sdiff", "sscan",
		"zcard", "zcount", "zscore", "zrange", "zrangebyscore", "zrangebylex", "zrevrange", "zrevrangebyscore",
		"zrevrangebylex", "zrank", "zrevrank", "zlexcount", "zscan", "hget", "hmget", "hgetall", "hkeys",
		"hvals", "hlen", "hexists", "hstrlen", "hscan", "xlen", "xrange", "xrevrange", "xread", "xpending",
		"xinfo", "getbit", "bitcount", "bitpos", "geodist", "geohash", "geopos", "georadius_ro",
		"georadiusbymember_ro", "ping", "echo", "time", "info", "watch", "unwatch", "client", "config", "debug",
		"expiretime", "pexpiretime", "lpos", "smismember", "sintercard", "zmscore",
		"zrandmember", "zinter", "zunion", "zdiff", "zintercard", "hrandfield", "bitfield_ro", "geosearch",
		"sort_ro", "httl", "hpttl", "hexpiretime", "hpexpiretime"} {
		out = append(out, cmdSpec{name: n, noop: true})
	}
	return out
}()
