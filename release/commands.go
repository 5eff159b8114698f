package release

import "strings"

// Command describes a command as a release's command table does (src/commands/*.json, compiled into
// src/commands.def).
type Command struct {
	// Name is the lower-case name; a subcommand is "container|sub", e.g.
	// "function|load", "xgroup|create".
	Name string
	// Arity follows the server's convention: N > 0 means exactly N
	// arguments including the name, -N means at least N. A subcommand's
	// counts the container name too ("FUNCTION LOAD code" is 3). It is the
	// arity of the release the Command was looked up in (Redis and Valkey
	// differ for DELEX).
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

// In reports whether release r has the command.
func (c Command) In(r *Release) bool {
	since := c.Redis
	if r.Dialect == Valkey {
		since = c.Valkey
	}
	return since != 0 && since <= r.Version
}

// ArityOK reports whether argc arguments (the command name included) fit
// the command's arity, as the server checks before executing a command
// (processCommand in src/server.c).
func (c Command) ArityOK(argc int) bool {
	if c.Arity >= 0 {
		return argc == c.Arity
	}
	return argc >= -c.Arity
}

// maxCommandName bounds the names looked up (the longest is
// "georadiusbymember_ro", with room for a subcommand).
const maxCommandName = 32

// lower copies name in lower case into buf; ok is false when it is too long.
func lower(buf *[maxCommandName]byte, name []byte) ([]byte, bool) {
	if len(name) > len(buf) {
		return nil, false
	}
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return buf[:len(name)], true
}

// lookupRow returns the table row of name (any case).
func lookupRow(name []byte) (*commandRow, bool) {
	var lb [maxCommandName]byte
	l, ok := lower(&lb, name)
	if !ok {
		return nil, false
	}
	i, ok := commandIndex[string(l)]
	if !ok {
		return nil, false
	}
	return &commandRows[i], true
}

// LookupCommand returns the command named name (any case, "container|sub"
// for a subcommand) as dialect d's table has it, whatever the release: its
// Redis and Valkey fields say which releases have it.
func LookupCommand(d Dialect, name string) (Command, bool) {
	row, ok := lookupRow([]byte(name))
	if !ok {
		return Command{}, false
	}
	return row.command(d), true
}

// Command returns the command named name (any case) if release r has it.
// A container (FUNCTION, XGROUP, SCRIPT) is returned as such; use
// CommandArgs to resolve its subcommand.
func (r *Release) Command(name []byte) (Command, bool) {
	row, ok := lookupRow(name)
	if !ok {
		return Command{}, false
	}
	c := row.command(r.Dialect)
	if !c.In(r) {
		return Command{}, false
	}
	return c, true
}

// CommandArgs returns the command argv invokes on release r, resolving a
// container's subcommand from args[1] (the container itself is returned
// when args has no second element, so that ArityOK then fails).
func (r *Release) CommandArgs(args [][]byte) (Command, bool) {
	if len(args) == 0 {
		return Command{}, false
	}
	c, ok := r.Command(args[0])
	if !ok || !c.Container || len(args) < 2 {
		return c, ok
	}
	sub := args[1]
	if len(c.Name)+1+len(sub) > maxCommandName {
		return Command{}, false
	}
	var nb [maxCommandName]byte
	n := copy(nb[:], c.Name)
	nb[n] = '|'
	n++
	n += copy(nb[n:], sub)
	return r.Command(nb[:n])
}

// Commands returns the commands release r has, in table order.
func (r *Release) Commands() []Command {
	var out []Command
	for i := range commandRows {
		if c := commandRows[i].command(r.Dialect); c.In(r) {
			out = append(out, c)
		}
	}
	return out
}

// CommandName returns the lower-case name argv invokes: "set", or
// "xgroup|create" for a container's subcommand when some release has the
// container. It is for messages.
func CommandName(args [][]byte) string {
	if len(args) == 0 {
		return ""
	}
	name := strings.ToLower(string(args[0]))
	if row, ok := lookupRow(args[0]); ok && row.flags&fContainer != 0 && len(args) > 1 {
		name += "|" + strings.ToLower(string(args[1]))
	}
	return name
}

// KnownCommand reports whether some known release has the command argv
// invokes (argc arguments in all, of which args holds at least the first
// two) with an arity that fits: a command no release knows makes every
// server refuse the AOF that holds it ("Unknown command ... reading the
// append only file", loadSingleAppendOnlyFile in src/aof.c).
func KnownCommand(args [][]byte, argc int) bool { return KnownIn(releases, args, argc) }

// KnownIn is KnownCommand among the releases rs.
func KnownIn(rs []*Release, args [][]byte, argc int) bool {
	if len(args) == 0 {
		return false
	}
	row, ok := lookupRow(args[0])
	if !ok {
		return false
	}
	if row.flags&fContainer != 0 && len(args) > 1 {
		var nb [maxCommandName]byte
		if len(row.name)+1+len(args[1]) > maxCommandName {
			return false
		}
		n := copy(nb[:], row.name)
		nb[n] = '|'
		n++
		n += copy(nb[n:], args[1])
		if row, ok = lookupRow(nb[:n]); !ok {
			return false
		}
	}
	for _, r := range rs {
		if row.fits(r, argc) {
			return true
		}
	}
	return false
}

// Loaders returns the releases that may have appended to an AOF set whose
// RDB base (or preamble) has dialect d and RDB version v and was written by
// release w: w itself and every later release of w's dialect, and every
// release of the other dialect, that loads the base in its default
// configuration (an upgraded server keeps appending to the set it loaded).
// Without a writer (w nil) it is every release that loads the base.
func Loaders(d Dialect, v int, w *Release) []*Release {
	var out []*Release
	for _, r := range releases {
		if _, bad := r.CheckRDB(d, v); bad {
			continue
		}
		if w != nil && r.Dialect == w.Dialect && r.Version < w.Version {
			continue
		}
		out = append(out, r)
	}
	return out
}

const (
	fWrite = 1 << iota
	fContainer
	fScript
	fTransaction
)

type commandRow struct {
	name        string
	arity       int // Redis arity (and Valkey's unless valkeyArity is set)
	flags       int
	redis       Version
	valkey      Version
	valkeyArity int // Valkey's arity where it differs, else 0
	group       string
	module      string
}

// fits reports whether release rel has the command with an arity that
// takes argc arguments.
func (r *commandRow) fits(rel *Release, argc int) bool {
	since, arity := r.redis, r.arity
	if rel.Dialect == Valkey {
		since = r.valkey
		if r.valkeyArity != 0 {
			arity = r.valkeyArity
		}
	}
	if since == 0 || since > rel.Version {
		return false
	}
	if arity >= 0 {
		return argc == arity
	}
	return argc >= -arity
}

func (r *commandRow) command(d Dialect) Command {
	c := Command{Name: r.name, Arity: r.arity, Group: r.group, Redis: r.redis, Valkey: r.valkey, Module: r.module,
		Write: r.flags&fWrite != 0, Container: r.flags&fContainer != 0,
		Script: r.flags&fScript != 0, Transaction: r.flags&fTransaction != 0}
	if d == Valkey && r.valkeyArity != 0 {
		c.Arity = r.valkeyArity
	}
	return c
}

var commandIndex = func() map[string]int {
	m := make(map[string]int, len(commandRows))
	for i := range commandRows {
		m[commandRows[i].name] = i
	}
	return m
}()

// commandRows is the command table: every write command of the known
// releases (anything that can be propagated to an AOF), the commands the
// AOF machinery writes itself (SELECT, MULTI, EXEC), scripting commands
// found in old AOFs (EVAL, EVALSHA, SCRIPT LOAD), and the read-only data
// commands (a server executes them from an AOF too). Administrative,
// connection and cluster commands are left out.
//
// Columns: name, arity, flags, first Redis line, first Valkey line, Valkey
// arity where it differs, group, module. Sources: Redis and Valkey
// src/commands/<name>.json ("arity", "since", "command_flags"); for what
// rewrite and propagation emit, src/aof.c rewriteAppendOnlyFileRio, the
// propagation of src/server.c (alsoPropagate) and the commands'
// rewriteClientCommandVector calls. Notes:
//   - HEXPIRE and friends: Redis 7.4, Valkey 9.0. HGETEX, HSETEX: Redis
//     8.0, Valkey 9.0. HGETDEL: Redis 8.0, Valkey 9.1 (hgetdel.json "since
//     9.1.0").
//   - DELEX: Redis 8.4 with arity -2 (the condition is optional: without
//     one DELEX deletes like DEL; delex.json after redis/redis#14529);
//     Valkey 9.1 with arity 4 (IFEQ|IFNE value is mandatory; delex.json
//     "since 9.1.2").
//   - XNACK's json says "since 8.2.0" but it shipped with RDB 14 in 8.8.
//   - VADD, VREM, VSETATTR come from the vectorset module bundled with
//     Redis 8; module commands have arity -1.
var commandRows = [...]commandRow{
	{"append", 3, fWrite, 200, 702, 0, "string", ""},
	{"decr", 2, fWrite, 100, 702, 0, "string", ""},
	{"decrby", 3, fWrite, 100, 702, 0, "string", ""},
	{"get", 2, 0, 100, 702, 0, "string", ""},
	{"getdel", 2, fWrite, 602, 702, 0, "string", ""},
	{"getex", -2, fWrite, 602, 702, 0, "string", ""},
	{"getrange", 4, 0, 204, 702, 0, "string", ""},
	{"getset", 3, fWrite, 100, 702, 0, "string", ""},
	{"incr", 2, fWrite, 100, 702, 0, "string", ""},
	{"incrby", 3, fWrite, 100, 702, 0, "string", ""},
	{"incrbyfloat", 3, fWrite, 206, 702, 0, "string", ""},
	{"lcs", -3, 0, 700, 702, 0, "string", ""},
	{"mget", -2, 0, 100, 702, 0, "string", ""},
	{"mset", -3, fWrite, 101, 702, 0, "string", ""},
	{"msetnx", -3, fWrite, 101, 702, 0, "string", ""},
	{"psetex", 4, fWrite, 206, 702, 0, "string", ""},
	{"set", -3, fWrite, 100, 702, 0, "string", ""},
	{"setex", 4, fWrite, 200, 702, 0, "string", ""},
	{"setnx", 3, fWrite, 100, 702, 0, "string", ""},
	{"setrange", 4, fWrite, 202, 702, 0, "string", ""},
	{"strlen", 2, 0, 202, 702, 0, "string", ""},
	{"substr", 4, 0, 100, 702, 0, "string", ""},
	{"msetex", -4, fWrite, 804, 0, 0, "string", ""},
	{"delex", -2, fWrite, 804, 901, 4, "string", ""},
	{"digest", 2, 0, 804, 0, 0, "string", ""},
	{"delifeq", 3, fWrite, 0, 900, 0, "string", ""},
	{"bitcount", -2, 0, 206, 702, 0, "bitmap", ""},
	{"bitfield", -2, fWrite, 302, 702, 0, "bitmap", ""},
	{"bitfield_ro", -2, 0, 600, 702, 0, "bitmap", ""},
	{"bitop", -4, fWrite, 206, 702, 0, "bitmap", ""},
	{"bitpos", -3, 0, 208, 702, 0, "bitmap", ""},
	{"getbit", 3, 0, 202, 702, 0, "bitmap", ""},
	{"setbit", 4, fWrite, 202, 702, 0, "bitmap", ""},
	{"copy", -3, fWrite, 602, 702, 0, "generic", ""},
	{"del", -2, fWrite, 100, 702, 0, "generic", ""},
	{"dump", 2, 0, 206, 702, 0, "generic", ""},
	{"exists", -2, 0, 100, 702, 0, "generic", ""},
	{"expire", -3, fWrite, 100, 702, 0, "generic", ""},
	{"expireat", -3, fWrite, 102, 702, 0, "generic", ""},
	{"expiretime", 2, 0, 700, 702, 0, "generic", ""},
	{"keys", 2, 0, 100, 702, 0, "generic", ""},
	{"migrate", -6, fWrite, 206, 702, 0, "generic", ""},
	{"move", 3, fWrite, 100, 702, 0, "generic", ""},
	{"persist", 2, fWrite, 202, 702, 0, "generic", ""},
	{"pexpire", -3, fWrite, 206, 702, 0, "generic", ""},
	{"pexpireat", -3, fWrite, 206, 702, 0, "generic", ""},
	{"pexpiretime", 2, 0, 700, 702, 0, "generic", ""},
	{"pttl", 2, 0, 206, 702, 0, "generic", ""},
	{"randomkey", 1, 0, 100, 702, 0, "generic", ""},
	{"rename", 3, fWrite, 100, 702, 0, "generic", ""},
	{"renamenx", 3, fWrite, 100, 702, 0, "generic", ""},
	{"restore", -4, fWrite, 206, 702, 0, "generic", ""},
	{"restore-asking", -4, fWrite, 300, 702, 0, "server", ""},
	{"scan", -2, 0, 208, 702, 0, "generic", ""},
	{"sort", -2, fWrite, 100, 702, 0, "generic", ""},
	{"sort_ro", -2, 0, 700, 702, 0, "generic", ""},
	{"touch", -2, 0, 302, 702, 0, "generic", ""},
	{"ttl", 2, 0, 100, 702, 0, "generic", ""},
	{"type", 2, 0, 100, 702, 0, "generic", ""},
	{"unlink", -2, fWrite, 400, 702, 0, "generic", ""},
	{"select", 2, 0, 100, 702, 0, "connection", ""},
	{"swapdb", 3, fWrite, 400, 702, 0, "server", ""},
	{"flushall", -1, fWrite, 100, 702, 0, "server", ""},
	{"flushdb", -1, fWrite, 100, 702, 0, "server", ""},
	{"dbsize", 1, 0, 100, 702, 0, "server", ""},
	{"blmove", 6, fWrite, 602, 702, 0, "list", ""},
	{"blmpop", -5, fWrite, 700, 702, 0, "list", ""},
	{"blpop", -3, fWrite, 200, 702, 0, "list", ""},
	{"brpop", -3, fWrite, 200, 702, 0, "list", ""},
	{"brpoplpush", 4, fWrite, 202, 702, 0, "list", ""},
	{"lindex", 3, 0, 100, 702, 0, "list", ""},
	{"linsert", 5, fWrite, 202, 702, 0, "list", ""},
	{"llen", 2, 0, 100, 702, 0, "list", ""},
	{"lmove", 5, fWrite, 602, 702, 0, "list", ""},
	{"lmpop", -4, fWrite, 700, 702, 0, "list", ""},
	{"lpop", -2, fWrite, 100, 702, 0, "list", ""},
	{"lpos", -3, 0, 606, 702, 0, "list", ""},
	{"lpush", -3, fWrite, 100, 702, 0, "list", ""},
	{"lpushx", -3, fWrite, 202, 702, 0, "list", ""},
	{"lrange", 4, 0, 100, 702, 0, "list", ""},
	{"lrem", 4, fWrite, 100, 702, 0, "list", ""},
	{"lset", 4, fWrite, 100, 702, 0, "list", ""},
	{"ltrim", 4, fWrite, 100, 702, 0, "list", ""},
	{"rpop", -2, fWrite, 100, 702, 0, "list", ""},
	{"rpoplpush", 3, fWrite, 102, 702, 0, "list", ""},
	{"rpush", -3, fWrite, 100, 702, 0, "list", ""},
	{"rpushx", -3, fWrite, 202, 702, 0, "list", ""},
	{"sadd", -3, fWrite, 100, 702, 0, "set", ""},
	{"scard", 2, 0, 100, 702, 0, "set", ""},
	{"sdiff", -2, 0, 100, 702, 0, "set", ""},
	{"sdiffstore", -3, fWrite, 100, 702, 0, "set", ""},
	{"sinter", -2, 0, 100, 702, 0, "set", ""},
	{"sintercard", -3, 0, 700, 702, 0, "set", ""},
	{"sinterstore", -3, fWrite, 100, 702, 0, "set", ""},
	{"sismember", 3, 0, 100, 702, 0, "set", ""},
	{"smembers", 2, 0, 100, 702, 0, "set", ""},
	{"smismember", -3, 0, 602, 702, 0, "set", ""},
	{"smove", 4, fWrite, 100, 702, 0, "set", ""},
	{"spop", -2, fWrite, 100, 702, 0, "set", ""},
	{"srandmember", -2, 0, 100, 702, 0, "set", ""},
	{"srem", -3, fWrite, 100, 702, 0, "set", ""},
	{"sscan", -3, 0, 208, 702, 0, "set", ""},
	{"sunion", -2, 0, 100, 702, 0, "set", ""},
	{"sunionstore", -3, fWrite, 100, 702, 0, "set", ""},
	{"bzmpop", -5, fWrite, 700, 702, 0, "sorted-set", ""},
	{"bzpopmax", -3, fWrite, 500, 702, 0, "sorted-set", ""},
	{"bzpopmin", -3, fWrite, 500, 702, 0, "sorted-set", ""},
	{"zadd", -4, fWrite, 102, 702, 0, "sorted-set", ""},
	{"zcard", 2, 0, 102, 702, 0, "sorted-set", ""},
	{"zcount", 4, 0, 200, 702, 0, "sorted-set", ""},
	{"zdiff", -3, 0, 602, 702, 0, "sorted-set", ""},
	{"zdiffstore", -4, fWrite, 602, 702, 0, "sorted-set", ""},
	{"zincrby", 4, fWrite, 102, 702, 0, "sorted-set", ""},
	{"zinter", -3, 0, 602, 702, 0, "sorted-set", ""},
	{"zintercard", -3, 0, 700, 702, 0, "sorted-set", ""},
	{"zinterstore", -4, fWrite, 200, 702, 0, "sorted-set", ""},
	{"zlexcount", 4, 0, 209, 702, 0, "sorted-set", ""},
	{"zmpop", -4, fWrite, 700, 702, 0, "sorted-set", ""},
	{"zmscore", -3, 0, 602, 702, 0, "sorted-set", ""},
	{"zpopmax", -2, fWrite, 500, 702, 0, "sorted-set", ""},
	{"zpopmin", -2, fWrite, 500, 702, 0, "sorted-set", ""},
	{"zrandmember", -2, 0, 602, 702, 0, "sorted-set", ""},
	{"zrange", -4, 0, 102, 702, 0, "sorted-set", ""},
	{"zrangebylex", -4, 0, 209, 702, 0, "sorted-set", ""},
	{"zrangebyscore", -4, 0, 105, 702, 0, "sorted-set", ""},
	{"zrangestore", -5, fWrite, 602, 702, 0, "sorted-set", ""},
	{"zrank", -3, 0, 200, 702, 0, "sorted-set", ""},
	{"zrem", -3, fWrite, 102, 702, 0, "sorted-set", ""},
	{"zremrangebylex", 4, fWrite, 209, 702, 0, "sorted-set", ""},
	{"zremrangebyrank", 4, fWrite, 200, 702, 0, "sorted-set", ""},
	{"zremrangebyscore", 4, fWrite, 102, 702, 0, "sorted-set", ""},
	{"zrevrange", -4, 0, 102, 702, 0, "sorted-set", ""},
	{"zrevrangebylex", -4, 0, 209, 702, 0, "sorted-set", ""},
	{"zrevrangebyscore", -4, 0, 202, 702, 0, "sorted-set", ""},
	{"zrevrank", -3, 0, 200, 702, 0, "sorted-set", ""},
	{"zscan", -3, 0, 208, 702, 0, "sorted-set", ""},
	{"zscore", 3, 0, 102, 702, 0, "sorted-set", ""},
	{"zunion", -3, 0, 602, 702, 0, "sorted-set", ""},
	{"zunionstore", -4, fWrite, 200, 702, 0, "sorted-set", ""},
	{"hdel", -3, fWrite, 200, 702, 0, "hash", ""},
	{"hexists", 3, 0, 200, 702, 0, "hash", ""},
	{"hexpire", -6, fWrite, 704, 900, 0, "hash", ""},
	{"hexpireat", -6, fWrite, 704, 900, 0, "hash", ""},
	{"hexpiretime", -5, 0, 704, 900, 0, "hash", ""},
	{"hget", 3, 0, 200, 702, 0, "hash", ""},
	{"hgetall", 2, 0, 200, 702, 0, "hash", ""},
	{"hgetdel", -5, fWrite, 800, 901, 0, "hash", ""},
	{"hgetex", -5, fWrite, 800, 900, 0, "hash", ""},
	{"hincrby", 4, fWrite, 200, 702, 0, "hash", ""},
	{"hincrbyfloat", 4, fWrite, 206, 702, 0, "hash", ""},
	{"hkeys", 2, 0, 200, 702, 0, "hash", ""},
	{"hlen", 2, 0, 200, 702, 0, "hash", ""},
	{"hmget", -3, 0, 200, 702, 0, "hash", ""},
	{"hmset", -4, fWrite, 200, 702, 0, "hash", ""},
	{"hpersist", -5, fWrite, 704, 900, 0, "hash", ""},
	{"hpexpire", -6, fWrite, 704, 900, 0, "hash", ""},
	{"hpexpireat", -6, fWrite, 704, 900, 0, "hash", ""},
	{"hpexpiretime", -5, 0, 704, 900, 0, "hash", ""},
	{"hpttl", -5, 0, 704, 900, 0, "hash", ""},
	{"hrandfield", -2, 0, 602, 702, 0, "hash", ""},
	{"hscan", -3, 0, 208, 702, 0, "hash", ""},
	{"hset", -4, fWrite, 200, 702, 0, "hash", ""},
	{"hsetex", -6, fWrite, 800, 900, 0, "hash", ""},
	{"hsetnx", 4, fWrite, 200, 702, 0, "hash", ""},
	{"hstrlen", 3, 0, 302, 702, 0, "hash", ""},
	{"httl", -5, 0, 704, 900, 0, "hash", ""},
	{"hvals", 2, 0, 200, 702, 0, "hash", ""},
	{"pfadd", -2, fWrite, 209, 702, 0, "hyperloglog", ""},
	{"pfcount", -2, 0, 209, 702, 0, "hyperloglog", ""},
	{"pfmerge", -2, fWrite, 209, 702, 0, "hyperloglog", ""},
	{"geoadd", -5, fWrite, 302, 702, 0, "geo", ""},
	{"geodist", -4, 0, 302, 702, 0, "geo", ""},
	{"geohash", -2, 0, 302, 702, 0, "geo", ""},
	{"geopos", -2, 0, 302, 702, 0, "geo", ""},
	{"georadius", -6, fWrite, 302, 702, 0, "geo", ""},
	{"georadius_ro", -6, 0, 320, 702, 0, "geo", ""},
	{"georadiusbymember", -5, fWrite, 302, 702, 0, "geo", ""},
	{"georadiusbymember_ro", -5, 0, 320, 702, 0, "geo", ""},
	{"geosearch", -7, 0, 602, 702, 0, "geo", ""},
	{"geosearchstore", -8, fWrite, 602, 702, 0, "geo", ""},
	{"xack", -4, fWrite, 500, 702, 0, "stream", ""},
	{"xackdel", -6, fWrite, 802, 0, 0, "stream", ""},
	{"xadd", -5, fWrite, 500, 702, 0, "stream", ""},
	{"xautoclaim", -6, fWrite, 602, 702, 0, "stream", ""},
	{"xcfgset", -2, fWrite, 806, 0, 0, "stream", ""},
	{"xclaim", -6, fWrite, 500, 702, 0, "stream", ""},
	{"xdel", -3, fWrite, 500, 702, 0, "stream", ""},
	{"xdelex", -5, fWrite, 802, 0, 0, "stream", ""},
	{"xgroup", -2, fContainer, 500, 702, 0, "stream", ""},
	{"xgroup|create", -5, fWrite, 500, 702, 0, "stream", ""},
	{"xgroup|createconsumer", 5, fWrite, 602, 702, 0, "stream", ""},
	{"xgroup|delconsumer", 5, fWrite, 500, 702, 0, "stream", ""},
	{"xgroup|destroy", 4, fWrite, 500, 702, 0, "stream", ""},
	{"xgroup|setid", -5, fWrite, 500, 702, 0, "stream", ""},
	{"xidmprecord", 5, fWrite, 806, 0, 0, "stream", ""},
	{"xlen", 2, 0, 500, 702, 0, "stream", ""},
	{"xnack", -7, fWrite, 808, 0, 0, "stream", ""},
	{"xpending", -3, 0, 500, 702, 0, "stream", ""},
	{"xrange", -4, 0, 500, 702, 0, "stream", ""},
	{"xread", -4, 0, 500, 702, 0, "stream", ""},
	{"xreadgroup", -7, fWrite, 500, 702, 0, "stream", ""},
	{"xrevrange", -4, 0, 500, 702, 0, "stream", ""},
	{"xsetid", -3, fWrite, 500, 702, 0, "stream", ""},
	{"xtrim", -4, fWrite, 500, 702, 0, "stream", ""},
	{"ardel", -3, fWrite, 808, 0, 0, "array", ""},
	{"ardelrange", -4, fWrite, 808, 0, 0, "array", ""},
	{"arinsert", -3, fWrite, 808, 0, 0, "array", ""},
	{"armset", -4, fWrite, 808, 0, 0, "array", ""},
	{"arop", -5, 0, 808, 0, 0, "array", ""},
	{"arring", -4, fWrite, 808, 0, 0, "array", ""},
	{"arseek", 3, fWrite, 808, 0, 0, "array", ""},
	{"arset", -4, fWrite, 808, 0, 0, "array", ""},
	{"eval", -3, fScript, 206, 702, 0, "scripting", ""},
	{"evalsha", -3, fScript, 206, 702, 0, "scripting", ""},
	{"eval_ro", -3, 0, 700, 702, 0, "scripting", ""},
	{"evalsha_ro", -3, 0, 700, 702, 0, "scripting", ""},
	{"fcall", -3, fScript, 700, 702, 0, "scripting", ""},
	{"fcall_ro", -3, 0, 700, 702, 0, "scripting", ""},
	{"function", -2, fContainer, 700, 702, 0, "scripting", ""},
	{"function|delete", 3, fWrite, 700, 702, 0, "scripting", ""},
	{"function|dump", 2, 0, 700, 702, 0, "scripting", ""},
	{"function|flush", -2, fWrite, 700, 702, 0, "scripting", ""},
	{"function|kill", 2, 0, 700, 702, 0, "scripting", ""},
	{"function|list", -2, 0, 700, 702, 0, "scripting", ""},
	{"function|load", -3, fWrite, 700, 702, 0, "scripting", ""},
	{"function|restore", -3, fWrite, 700, 702, 0, "scripting", ""},
	{"function|stats", 2, 0, 700, 702, 0, "scripting", ""},
	{"script", -2, fContainer, 206, 702, 0, "scripting", ""},
	{"script|exists", -3, 0, 206, 702, 0, "scripting", ""},
	{"script|flush", -2, 0, 206, 702, 0, "scripting", ""},
	{"script|kill", 2, 0, 206, 702, 0, "scripting", ""},
	{"script|load", 3, 0, 206, 702, 0, "scripting", ""},
	{"multi", 1, fTransaction, 102, 702, 0, "transactions", ""},
	{"exec", 1, fTransaction, 102, 702, 0, "transactions", ""},
	{"discard", 1, fTransaction, 200, 702, 0, "transactions", ""},
	{"watch", -2, fTransaction, 220, 702, 0, "transactions", ""},
	{"unwatch", 1, fTransaction, 220, 702, 0, "transactions", ""},
	{"vadd", -1, fWrite, 800, 0, 0, "vector_set", "vectorset"},
	{"vrem", -1, fWrite, 800, 0, 0, "vector_set", "vectorset"},
	{"vsetattr", -1, fWrite, 800, 0, 0, "vector_set", "vectorset"},
}

// A Checker is KnownIn for a fixed set of releases, with a small cache of
// the command names it met (an AOF holds few distinct names, written in
// one case): a name seen before costs a byte comparison, not a lookup.
// A Checker is not safe for concurrent use.
type Checker struct {
	rs    []*Release
	cache [32]struct {
		name string // as written
		row  *commandRow
	}
}

// NewChecker returns a Checker for the releases rs (every known release
// when rs is nil).
func NewChecker(rs []*Release) *Checker {
	if rs == nil {
		rs = releases
	}
	return &Checker{rs: rs}
}

// Known reports what KnownIn(rs, args, argc) reports.
func (k *Checker) Known(args [][]byte, argc int) bool {
	if len(args) == 0 || len(args[0]) == 0 {
		return false
	}
	name := args[0]
	slot := &k.cache[(len(name)*7+int(name[0])+int(name[len(name)-1]))&31]
	row := slot.row
	if row == nil || slot.name != string(name) {
		var ok bool
		if row, ok = lookupRow(name); !ok {
			return false
		}
		slot.name, slot.row = string(name), row
	}
	if row.flags&fContainer != 0 && len(args) > 1 {
		return KnownIn(k.rs, args, argc)
	}
	for _, r := range k.rs {
		if row.fits(r, argc) {
			return true
		}
	}
	return false
}
