package aoffile

import (
	"strconv"
	"strings"
)

// Target is a server release line whose command set an AOF is checked
// against (verify --target, the replay engine).
type Target uint8

// The supported targets. Redis 8.8 is included for its array and XNACK
// commands (Redis 8.8 src/t_array.c and the XNACK command of
// src/t_stream.c; src/aof.c rewriteArrayObject and rewriteStreamObject write
// them in rewrites).
const (
	Redis70 Target = iota + 1
	Redis72
	Redis74
	Redis80
	Redis82
	Redis84
	Redis86
	Redis88
	Valkey80
	Valkey81
	Valkey90
)

var targetInfo = [...]struct {
	name   string
	valkey bool
	ver    Version
}{
	Redis70:  {"redis-7.0", false, 700},
	Redis72:  {"redis-7.2", false, 702},
	Redis74:  {"redis-7.4", false, 704},
	Redis80:  {"redis-8.0", false, 800},
	Redis82:  {"redis-8.2", false, 802},
	Redis84:  {"redis-8.4", false, 804},
	Redis86:  {"redis-8.6", false, 806},
	Redis88:  {"redis-8.8", false, 808},
	Valkey80: {"valkey-8.0", true, 800},
	Valkey81: {"valkey-8.1", true, 801},
	Valkey90: {"valkey-9.0", true, 900},
}

// Targets returns every supported target, Redis first, oldest first.
func Targets() []Target {
	t := make([]Target, 0, len(targetInfo)-1)
	for i := Redis70; int(i) < len(targetInfo); i++ {
		t = append(t, i)
	}
	return t
}

func (t Target) valid() bool { return t >= Redis70 && int(t) < len(targetInfo) }

// String returns the target's name, e.g. "redis-7.4" or "valkey-9.0".
func (t Target) String() string {
	if !t.valid() {
		return "target(" + strconv.Itoa(int(t)) + ")"
	}
	return targetInfo[t].name
}

// Valkey reports whether the target is a Valkey release.
func (t Target) Valkey() bool { return t.valid() && targetInfo[t].valkey }

// Version returns the target's release line, e.g. 7.4.
func (t Target) Version() Version {
	if !t.valid() {
		return 0
	}
	return targetInfo[t].ver
}

// ParseTarget parses a target name: "redis-7.4", "valkey-9.0" (also with a
// space or no separator, any case, and with a patch level such as
// "redis-7.4.1", which is ignored), or a bare "7.4" meaning Redis.
func ParseTarget(s string) (Target, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	vendor := "redis"
	for _, v := range []string{"redis", "valkey"} {
		if rest, ok := strings.CutPrefix(s, v); ok {
			vendor, s = v, strings.TrimLeft(rest, "-_ ")
			break
		}
	}
	parts := strings.Split(s, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, false
	}
	name := vendor + "-" + parts[0] + "." + parts[1]
	for _, t := range Targets() {
		if targetInfo[t].name == name {
			return t, true
		}
	}
	return 0, false
}

// Version is a release line, major*100 + minor: 704 is 7.4.
type Version uint16

func (v Version) String() string {
	return strconv.Itoa(int(v/100)) + "." + strconv.Itoa(int(v%100))
}

// CommandInfo describes a command as the server's command table does
// (src/commands/*.json, src/commands.def).
type CommandInfo struct {
	// Name is the lower-case name; a subcommand is "container|sub", e.g.
	// "function|load", "xgroup|create".
	Name string
	// Arity follows the Redis convention: N > 0 means exactly N arguments
	// including the name, -N means at least N. For a subcommand it counts
	// the container name too ("FUNCTION LOAD code" is 3).
	Arity int
	// Write is the server's CMD_WRITE flag.
	Write bool
	// Script is set for EVAL, EVALSHA and FCALL: they may execute writes
	// (old AOFs replicated scripts verbatim).
	Script bool
	// Transaction is set for MULTI, EXEC, DISCARD, WATCH and UNWATCH.
	Transaction bool
	// Container is set for a command that only dispatches to subcommands
	// (FUNCTION, XGROUP, SCRIPT).
	Container bool
	// Group is the command group of the server's table ("string", "hash", ...).
	Group string
	// Redis is the first Redis release line with the command, 0 if none.
	Redis Version
	// Valkey is the first Valkey release line with the command, 0 if none
	// (7.2 for everything Valkey inherited from Redis 7.2).
	Valkey Version
	// Module names the module providing the command ("vectorset", bundled
	// with Redis 8), or "" for a core command.
	Module string
}

// In reports whether target t has the command.
func (c CommandInfo) In(t Target) bool {
	if !t.valid() {
		return false
	}
	since := c.Redis
	if t.Valkey() {
		since = c.Valkey
	}
	return since != 0 && since <= t.Version()
}

// CheckArity reports whether argc arguments (the command name included) fit
// the command's arity, as the server checks before executing a command.
func CheckArity(c CommandInfo, argc int) bool {
	if c.Arity >= 0 {
		return argc == c.Arity
	}
	return argc >= -c.Arity
}

// Lookup returns the command named name (any case) if target t has it.
// Container commands (FUNCTION, XGROUP, SCRIPT) are returned as containers;
// use LookupArgs to resolve the subcommand.
func Lookup(t Target, name []byte) (CommandInfo, bool) {
	var lb [32]byte
	if len(name) > len(lb) {
		return CommandInfo{}, false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lb[i] = c
	}
	i, ok := commandIndex[string(lb[:len(name)])]
	if !ok || !commandTable[i].In(t) {
		return CommandInfo{}, false
	}
	return commandTable[i], true
}

// LookupArgs returns the command argv invokes on target t, resolving a
// container's subcommand from args[1] (the container itself is returned when
// args has no second element, so that CheckArity then fails).
func LookupArgs(t Target, args [][]byte) (CommandInfo, bool) {
	if len(args) == 0 {
		return CommandInfo{}, false
	}
	c, ok := Lookup(t, args[0])
	if !ok || !c.Container || len(args) < 2 {
		return c, ok
	}
	sub := args[1]
	if len(c.Name)+1+len(sub) > 32 {
		return CommandInfo{}, false
	}
	var nb [32]byte
	n := copy(nb[:], c.Name)
	nb[n] = '|'
	n++
	n += copy(nb[n:], sub)
	return Lookup(t, nb[:n])
}

// Validate checks argv against target t's command table: the command must
// exist there and its arity must fit. It returns the command's info, or a
// *CommandError with ErrUnknownCommand or ErrArity.
func Validate(t Target, args [][]byte) (CommandInfo, error) {
	c, ok := LookupArgs(t, args)
	if !ok {
		name := ""
		if len(args) > 0 {
			name = strings.ToLower(string(args[0]))
			if len(args) > 1 {
				if top, ok := Lookup(t, args[0]); ok && top.Container {
					name += "|" + strings.ToLower(string(args[1]))
				}
			}
		}
		return CommandInfo{}, &CommandError{Target: t, Name: name, Argc: len(args), Err: ErrUnknownCommand}
	}
	if !CheckArity(c, len(args)) {
		return c, &CommandError{Target: t, Name: c.Name, Argc: len(args), Arity: c.Arity, Err: ErrArity}
	}
	return c, nil
}

// Commands returns the commands target t has, in table order.
func Commands(t Target) []CommandInfo {
	var out []CommandInfo
	for _, c := range commandTable {
		if c.In(t) {
			out = append(out, c)
		}
	}
	return out
}

const (
	fWrite = 1 << iota
	fContainer
	fScript
	fTransaction
)

type tableRow struct {
	name   string
	arity  int
	flags  int
	redis  Version
	valkey Version
	group  string
	module string
}

var (
	commandTable []CommandInfo
	commandIndex map[string]int
)

func init() {
	commandTable = make([]CommandInfo, len(commandRows))
	commandIndex = make(map[string]int, len(commandRows))
	for i, r := range commandRows {
		commandTable[i] = CommandInfo{
			Name: r.name, Arity: r.arity, Group: r.group, Redis: r.redis, Valkey: r.valkey, Module: r.module,
			Write: r.flags&fWrite != 0, Container: r.flags&fContainer != 0,
			Script: r.flags&fScript != 0, Transaction: r.flags&fTransaction != 0,
		}
		commandIndex[r.name] = i
	}
}

// commandRows is the command table: every write command of Redis 7.0-8.8
// and Valkey 8.0-9.0 (anything that can be propagated to an AOF), the
// commands the AOF machinery writes itself (SELECT, MULTI, EXEC), scripting
// commands found in old AOFs (EVAL, EVALSHA, SCRIPT LOAD), and the read-only
// data commands (the server executes them from an AOF too). Administrative,
// connection and cluster commands are left out.
//
// Sources: Redis src/commands/*.json ("since", "arity", "command_flags") and
// Valkey src/commands/*.json; src/aof.c rewriteAppendOnlyFileRio and the
// propagation rewrites of src/server.c (alsoPropagate) and the commands'
// rewriteClientCommandVector calls for what rewrite and propagation emit.
// Notes:
//   - HEXPIRE and friends: Redis 7.4; Valkey 9.0. HGETEX/HSETEX: Redis 8.0,
//     Valkey 9.0; HGETDEL: Redis 8.0, Valkey 9.1 (no Valkey target has it).
//   - XNACK's json says "since 8.2.0" but it shipped with RDB 14 in 8.8.
//   - DELEX: arity 4 (the condition is mandatory) per its json.
//   - VADD, VREM, VSETATTR come from the vectorset module bundled with
//     Redis 8; module commands have arity -1.
var commandRows = [...]tableRow{
	{"append", 3, fWrite, 200, 702, "string", ""},
	{"decr", 2, fWrite, 100, 702, "string", ""},
	{"decrby", 3, fWrite, 100, 702, "string", ""},
	{"get", 2, 0, 100, 702, "string", ""},
	{"getdel", 2, fWrite, 602, 702, "string", ""},
	{"getex", -2, fWrite, 602, 702, "string", ""},
	{"getrange", 4, 0, 204, 702, "string", ""},
	{"getset", 3, fWrite, 100, 702, "string", ""},
	{"incr", 2, fWrite, 100, 702, "string", ""},
	{"incrby", 3, fWrite, 100, 702, "string", ""},
	{"incrbyfloat", 3, fWrite, 206, 702, "string", ""},
	{"lcs", -3, 0, 700, 702, "string", ""},
	{"mget", -2, 0, 100, 702, "string", ""},
	{"mset", -3, fWrite, 101, 702, "string", ""},
	{"msetnx", -3, fWrite, 101, 702, "string", ""},
	{"psetex", 4, fWrite, 206, 702, "string", ""},
	{"set", -3, fWrite, 100, 702, "string", ""},
	{"setex", 4, fWrite, 200, 702, "string", ""},
	{"setnx", 3, fWrite, 100, 702, "string", ""},
	{"setrange", 4, fWrite, 202, 702, "string", ""},
	{"strlen", 2, 0, 202, 702, "string", ""},
	{"substr", 4, 0, 100, 702, "string", ""},
	{"msetex", -4, fWrite, 804, 0, "string", ""},
	{"delex", 4, fWrite, 804, 0, "string", ""},
	{"digest", 2, 0, 804, 0, "string", ""},
	{"delifeq", 3, fWrite, 0, 900, "string", ""},
	{"bitcount", -2, 0, 206, 702, "bitmap", ""},
	{"bitfield", -2, fWrite, 302, 702, "bitmap", ""},
	{"bitfield_ro", -2, 0, 600, 702, "bitmap", ""},
	{"bitop", -4, fWrite, 206, 702, "bitmap", ""},
	{"bitpos", -3, 0, 208, 702, "bitmap", ""},
	{"getbit", 3, 0, 202, 702, "bitmap", ""},
	{"setbit", 4, fWrite, 202, 702, "bitmap", ""},
	{"copy", -3, fWrite, 602, 702, "generic", ""},
	{"del", -2, fWrite, 100, 702, "generic", ""},
	{"dump", 2, 0, 206, 702, "generic", ""},
	{"exists", -2, 0, 100, 702, "generic", ""},
	{"expire", -3, fWrite, 100, 702, "generic", ""},
	{"expireat", -3, fWrite, 102, 702, "generic", ""},
	{"expiretime", 2, 0, 700, 702, "generic", ""},
	{"keys", 2, 0, 100, 702, "generic", ""},
	{"migrate", -6, fWrite, 206, 702, "generic", ""},
	{"move", 3, fWrite, 100, 702, "generic", ""},
	{"persist", 2, fWrite, 202, 702, "generic", ""},
	{"pexpire", -3, fWrite, 206, 702, "generic", ""},
	{"pexpireat", -3, fWrite, 206, 702, "generic", ""},
	{"pexpiretime", 2, 0, 700, 702, "generic", ""},
	{"pttl", 2, 0, 206, 702, "generic", ""},
	{"randomkey", 1, 0, 100, 702, "generic", ""},
	{"rename", 3, fWrite, 100, 702, "generic", ""},
	{"renamenx", 3, fWrite, 100, 702, "generic", ""},
	{"restore", -4, fWrite, 206, 702, "generic", ""},
	{"restore-asking", -4, fWrite, 300, 702, "server", ""},
	{"scan", -2, 0, 208, 702, "generic", ""},
	{"sort", -2, fWrite, 100, 702, "generic", ""},
	{"sort_ro", -2, 0, 700, 702, "generic", ""},
	{"touch", -2, 0, 302, 702, "generic", ""},
	{"ttl", 2, 0, 100, 702, "generic", ""},
	{"type", 2, 0, 100, 702, "generic", ""},
	{"unlink", -2, fWrite, 400, 702, "generic", ""},
	{"select", 2, 0, 100, 702, "connection", ""},
	{"swapdb", 3, fWrite, 400, 702, "server", ""},
	{"flushall", -1, fWrite, 100, 702, "server", ""},
	{"flushdb", -1, fWrite, 100, 702, "server", ""},
	{"dbsize", 1, 0, 100, 702, "server", ""},
	{"blmove", 6, fWrite, 602, 702, "list", ""},
	{"blmpop", -5, fWrite, 700, 702, "list", ""},
	{"blpop", -3, fWrite, 200, 702, "list", ""},
	{"brpop", -3, fWrite, 200, 702, "list", ""},
	{"brpoplpush", 4, fWrite, 202, 702, "list", ""},
	{"lindex", 3, 0, 100, 702, "list", ""},
	{"linsert", 5, fWrite, 202, 702, "list", ""},
	{"llen", 2, 0, 100, 702, "list", ""},
	{"lmove", 5, fWrite, 602, 702, "list", ""},
	{"lmpop", -4, fWrite, 700, 702, "list", ""},
	{"lpop", -2, fWrite, 100, 702, "list", ""},
	{"lpos", -3, 0, 606, 702, "list", ""},
	{"lpush", -3, fWrite, 100, 702, "list", ""},
	{"lpushx", -3, fWrite, 202, 702, "list", ""},
	{"lrange", 4, 0, 100, 702, "list", ""},
	{"lrem", 4, fWrite, 100, 702, "list", ""},
	{"lset", 4, fWrite, 100, 702, "list", ""},
	{"ltrim", 4, fWrite, 100, 702, "list", ""},
	{"rpop", -2, fWrite, 100, 702, "list", ""},
	{"rpoplpush", 3, fWrite, 102, 702, "list", ""},
	{"rpush", -3, fWrite, 100, 702, "list", ""},
	{"rpushx", -3, fWrite, 202, 702, "list", ""},
	{"sadd", -3, fWrite, 100, 702, "set", ""},
	{"scard", 2, 0, 100, 702, "set", ""},
	{"sdiff", -2, 0, 100, 702, "set", ""},
	{"sdiffstore", -3, fWrite, 100, 702, "set", ""},
	{"sinter", -2, 0, 100, 702, "set", ""},
	{"sintercard", -3, 0, 700, 702, "set", ""},
	{"sinterstore", -3, fWrite, 100, 702, "set", ""},
	{"sismember", 3, 0, 100, 702, "set", ""},
	{"smembers", 2, 0, 100, 702, "set", ""},
	{"smismember", -3, 0, 602, 702, "set", ""},
	{"smove", 4, fWrite, 100, 702, "set", ""},
	{"spop", -2, fWrite, 100, 702, "set", ""},
	{"srandmember", -2, 0, 100, 702, "set", ""},
	{"srem", -3, fWrite, 100, 702, "set", ""},
	{"sscan", -3, 0, 208, 702, "set", ""},
	{"sunion", -2, 0, 100, 702, "set", ""},
	{"sunionstore", -3, fWrite, 100, 702, "set", ""},
	{"bzmpop", -5, fWrite, 700, 702, "sorted-set", ""},
	{"bzpopmax", -3, fWrite, 500, 702, "sorted-set", ""},
	{"bzpopmin", -3, fWrite, 500, 702, "sorted-set", ""},
	{"zadd", -4, fWrite, 102, 702, "sorted-set", ""},
	{"zcard", 2, 0, 102, 702, "sorted-set", ""},
	{"zcount", 4, 0, 200, 702, "sorted-set", ""},
	{"zdiff", -3, 0, 602, 702, "sorted-set", ""},
	{"zdiffstore", -4, fWrite, 602, 702, "sorted-set", ""},
	{"zincrby", 4, fWrite, 102, 702, "sorted-set", ""},
	{"zinter", -3, 0, 602, 702, "sorted-set", ""},
	{"zintercard", -3, 0, 700, 702, "sorted-set", ""},
	{"zinterstore", -4, fWrite, 200, 702, "sorted-set", ""},
	{"zlexcount", 4, 0, 209, 702, "sorted-set", ""},
	{"zmpop", -4, fWrite, 700, 702, "sorted-set", ""},
	{"zmscore", -3, 0, 602, 702, "sorted-set", ""},
	{"zpopmax", -2, fWrite, 500, 702, "sorted-set", ""},
	{"zpopmin", -2, fWrite, 500, 702, "sorted-set", ""},
	{"zrandmember", -2, 0, 602, 702, "sorted-set", ""},
	{"zrange", -4, 0, 102, 702, "sorted-set", ""},
	{"zrangebylex", -4, 0, 209, 702, "sorted-set", ""},
	{"zrangebyscore", -4, 0, 105, 702, "sorted-set", ""},
	{"zrangestore", -5, fWrite, 602, 702, "sorted-set", ""},
	{"zrank", -3, 0, 200, 702, "sorted-set", ""},
	{"zrem", -3, fWrite, 102, 702, "sorted-set", ""},
	{"zremrangebylex", 4, fWrite, 209, 702, "sorted-set", ""},
	{"zremrangebyrank", 4, fWrite, 200, 702, "sorted-set", ""},
	{"zremrangebyscore", 4, fWrite, 102, 702, "sorted-set", ""},
	{"zrevrange", -4, 0, 102, 702, "sorted-set", ""},
	{"zrevrangebylex", -4, 0, 209, 702, "sorted-set", ""},
	{"zrevrangebyscore", -4, 0, 202, 702, "sorted-set", ""},
	{"zrevrank", -3, 0, 200, 702, "sorted-set", ""},
	{"zscan", -3, 0, 208, 702, "sorted-set", ""},
	{"zscore", 3, 0, 102, 702, "sorted-set", ""},
	{"zunion", -3, 0, 602, 702, "sorted-set", ""},
	{"zunionstore", -4, fWrite, 200, 702, "sorted-set", ""},
	{"hdel", -3, fWrite, 200, 702, "hash", ""},
	{"hexists", 3, 0, 200, 702, "hash", ""},
	{"hexpire", -6, fWrite, 704, 900, "hash", ""},
	{"hexpireat", -6, fWrite, 704, 900, "hash", ""},
	{"hexpiretime", -5, 0, 704, 900, "hash", ""},
	{"hget", 3, 0, 200, 702, "hash", ""},
	{"hgetall", 2, 0, 200, 702, "hash", ""},
	{"hgetdel", -5, fWrite, 800, 0, "hash", ""},
	{"hgetex", -5, fWrite, 800, 900, "hash", ""},
	{"hincrby", 4, fWrite, 200, 702, "hash", ""},
	{"hincrbyfloat", 4, fWrite, 206, 702, "hash", ""},
	{"hkeys", 2, 0, 200, 702, "hash", ""},
	{"hlen", 2, 0, 200, 702, "hash", ""},
	{"hmget", -3, 0, 200, 702, "hash", ""},
	{"hmset", -4, fWrite, 200, 702, "hash", ""},
	{"hpersist", -5, fWrite, 704, 900, "hash", ""},
	{"hpexpire", -6, fWrite, 704, 900, "hash", ""},
	{"hpexpireat", -6, fWrite, 704, 900, "hash", ""},
	{"hpexpiretime", -5, 0, 704, 900, "hash", ""},
	{"hpttl", -5, 0, 704, 900, "hash", ""},
	{"hrandfield", -2, 0, 602, 702, "hash", ""},
	{"hscan", -3, 0, 208, 702, "hash", ""},
	{"hset", -4, fWrite, 200, 702, "hash", ""},
	{"hsetex", -6, fWrite, 800, 900, "hash", ""},
	{"hsetnx", 4, fWrite, 200, 702, "hash", ""},
	{"hstrlen", 3, 0, 302, 702, "hash", ""},
	{"httl", -5, 0, 704, 900, "hash", ""},
	{"hvals", 2, 0, 200, 702, "hash", ""},
	{"pfadd", -2, fWrite, 209, 702, "hyperloglog", ""},
	{"pfcount", -2, 0, 209, 702, "hyperloglog", ""},
	{"pfmerge", -2, fWrite, 209, 702, "hyperloglog", ""},
	{"geoadd", -5, fWrite, 302, 702, "geo", ""},
	{"geodist", -4, 0, 302, 702, "geo", ""},
	{"geohash", -2, 0, 302, 702, "geo", ""},
	{"geopos", -2, 0, 302, 702, "geo", ""},
	{"georadius", -6, fWrite, 302, 702, "geo", ""},
	{"georadius_ro", -6, 0, 320, 702, "geo", ""},
	{"georadiusbymember", -5, fWrite, 302, 702, "geo", ""},
	{"georadiusbymember_ro", -5, 0, 320, 702, "geo", ""},
	{"geosearch", -7, 0, 602, 702, "geo", ""},
	{"geosearchstore", -8, fWrite, 602, 702, "geo", ""},
	{"xack", -4, fWrite, 500, 702, "stream", ""},
	{"xackdel", -6, fWrite, 802, 0, "stream", ""},
	{"xadd", -5, fWrite, 500, 702, "stream", ""},
	{"xautoclaim", -6, fWrite, 602, 702, "stream", ""},
	{"xcfgset", -2, fWrite, 806, 0, "stream", ""},
	{"xclaim", -6, fWrite, 500, 702, "stream", ""},
	{"xdel", -3, fWrite, 500, 702, "stream", ""},
	{"xdelex", -5, fWrite, 802, 0, "stream", ""},
	{"xgroup", -2, fContainer, 500, 702, "stream", ""},
	{"xgroup|create", -5, fWrite, 500, 702, "stream", ""},
	{"xgroup|createconsumer", 5, fWrite, 602, 702, "stream", ""},
	{"xgroup|delconsumer", 5, fWrite, 500, 702, "stream", ""},
	{"xgroup|destroy", 4, fWrite, 500, 702, "stream", ""},
	{"xgroup|setid", -5, fWrite, 500, 702, "stream", ""},
	{"xidmprecord", 5, fWrite, 806, 0, "stream", ""},
	{"xlen", 2, 0, 500, 702, "stream", ""},
	{"xnack", -7, fWrite, 808, 0, "stream", ""},
	{"xpending", -3, 0, 500, 702, "stream", ""},
	{"xrange", -4, 0, 500, 702, "stream", ""},
	{"xread", -4, 0, 500, 702, "stream", ""},
	{"xreadgroup", -7, fWrite, 500, 702, "stream", ""},
	{"xrevrange", -4, 0, 500, 702, "stream", ""},
	{"xsetid", -3, fWrite, 500, 702, "stream", ""},
	{"xtrim", -4, fWrite, 500, 702, "stream", ""},
	{"ardel", -3, fWrite, 808, 0, "array", ""},
	{"ardelrange", -4, fWrite, 808, 0, "array", ""},
	{"arinsert", -3, fWrite, 808, 0, "array", ""},
	{"armset", -4, fWrite, 808, 0, "array", ""},
	{"arop", -5, 0, 808, 0, "array", ""},
	{"arring", -4, fWrite, 808, 0, "array", ""},
	{"arseek", 3, fWrite, 808, 0, "array", ""},
	{"arset", -4, fWrite, 808, 0, "array", ""},
	{"eval", -3, fScript, 206, 702, "scripting", ""},
	{"evalsha", -3, fScript, 206, 702, "scripting", ""},
	{"eval_ro", -3, 0, 700, 702, "scripting", ""},
	{"evalsha_ro", -3, 0, 700, 702, "scripting", ""},
	{"fcall", -3, fScript, 700, 702, "scripting", ""},
	{"fcall_ro", -3, 0, 700, 702, "scripting", ""},
	{"function", -2, fContainer, 700, 702, "scripting", ""},
	{"function|delete", 3, fWrite, 700, 702, "scripting", ""},
	{"function|dump", 2, 0, 700, 702, "scripting", ""},
	{"function|flush", -2, fWrite, 700, 702, "scripting", ""},
	{"function|kill", 2, 0, 700, 702, "scripting", ""},
	{"function|list", -2, 0, 700, 702, "scripting", ""},
	{"function|load", -3, fWrite, 700, 702, "scripting", ""},
	{"function|restore", -3, fWrite, 700, 702, "scripting", ""},
	{"function|stats", 2, 0, 700, 702, "scripting", ""},
	{"script", -2, fContainer, 206, 702, "scripting", ""},
	{"script|exists", -3, 0, 206, 702, "scripting", ""},
	{"script|flush", -2, 0, 206, 702, "scripting", ""},
	{"script|kill", 2, 0, 206, 702, "scripting", ""},
	{"script|load", 3, 0, 206, 702, "scripting", ""},
	{"multi", 1, fTransaction, 102, 702, "transactions", ""},
	{"exec", 1, fTransaction, 102, 702, "transactions", ""},
	{"discard", 1, fTransaction, 200, 702, "transactions", ""},
	{"watch", -2, fTransaction, 220, 702, "transactions", ""},
	{"unwatch", 1, fTransaction, 220, 702, "transactions", ""},
	{"vadd", -1, fWrite, 800, 0, "vector_set", "vectorset"},
	{"vrem", -1, fWrite, 800, 0, "vector_set", "vectorset"},
	{"vsetattr", -1, fWrite, 800, 0, "vector_set", "vectorset"},
}
