package estimate

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rdbkit/rdbkit/release"
)

// SavePoint is one "save SECONDS CHANGES" point: the server snapshots when
// at least Changes writes happened in the last Seconds seconds (Redis
// src/server.c serverCron, saveparams).
type SavePoint struct {
	Seconds int64 `json:"seconds"`
	Changes int64 `json:"changes"`
}

// Config holds the durability and memory settings the model reads from a
// redis.conf. A field the file does not set keeps the server's default:
// DefaultConfig.
type Config struct {
	AppendOnly  bool        `json:"appendonly"`
	AppendFsync string      `json:"appendfsync"` // "always", "everysec" or "no"
	Save        []SavePoint `json:"save"`        // empty: no snapshots
	MaxMemory   int64       `json:"maxmemory"`   // bytes; 0: no limit
	// FromFile is true when the settings come from a configuration file.
	FromFile bool `json:"from_file"`

	saveSeen bool
	limits   []limitDirective // encoding limits, in file order (ApplyLimits)
}

type limitDirective struct {
	name string
	n    int
}

// ApplyLimits sets on l the encoding limits the configuration file gave
// (hash-max-listpack-entries and the others of release.Limits, or their
// pre-7.0 ziplist names), in the file's order.
func (c *Config) ApplyLimits(l *release.Limits) {
	for _, d := range c.limits {
		l.Set(d.name, d.n)
	}
}

// DefaultConfig returns the settings of a server started without a
// configuration file (Redis 7 src/config.c: appendonly no, appendfsync
// everysec, save 3600 1 300 100 60 10000, maxmemory 0).
func DefaultConfig() Config {
	return Config{AppendFsync: "everysec", Save: []SavePoint{{3600, 1}, {300, 100}, {60, 10000}}}
}

// Apply takes one configuration directive, argv as the server splits a
// line of redis.conf (argv[0] the name, any case): appendonly,
// appendfsync, save (every line adds its points, the first one replacing
// the defaults, and `save ""` removes them all, as the server's loader
// does), maxmemory (with the units of ParseBytes) and the encoding limits
// (hash-max-listpack-entries and the others release.Limits knows, kept for
// ApplyLimits). Other directives are ignored. Apply sets FromFile.
func (c *Config) Apply(argv []string) error {
	if len(argv) == 0 {
		return nil
	}
	c.FromFile = true
	bad := func(what string) error {
		return fmt.Errorf("%s: %q", what, strings.Join(argv, " "))
	}
	switch strings.ToLower(argv[0]) {
	case "appendonly":
		if len(argv) != 2 {
			return bad("appendonly takes yes or no")
		}
		switch strings.ToLower(argv[1]) {
		case "yes":
			c.AppendOnly = true
		case "no":
			c.AppendOnly = false
		default:
			return bad("appendonly takes yes or no")
		}
	case "appendfsync":
		v := ""
		if len(argv) == 2 {
			v = strings.ToLower(argv[1])
		}
		if v != "always" && v != "everysec" && v != "no" {
			return bad("appendfsync takes always, everysec or no")
		}
		c.AppendFsync = v
	case "save":
		if !c.saveSeen {
			c.Save, c.saveSeen = nil, true
		}
		args := argv[1:]
		if len(args) == 1 && args[0] == "" {
			c.Save = nil
			return nil
		}
		if len(args) == 0 || len(args)%2 != 0 {
			return bad("save takes pairs of seconds and changes")
		}
		for i := 0; i < len(args); i += 2 {
			s, err1 := strconv.ParseInt(args[i], 10, 64)
			ch, err2 := strconv.ParseInt(args[i+1], 10, 64)
			if err1 != nil || err2 != nil || s <= 0 || ch <= 0 {
				return bad("save takes pairs of positive seconds and changes")
			}
			c.Save = append(c.Save, SavePoint{s, ch})
		}
	case "maxmemory":
		if len(argv) != 2 {
			return bad("maxmemory takes one size")
		}
		v, err := ParseBytes(argv[1])
		if err != nil {
			return err
		}
		c.MaxMemory = v
	default:
		name := strings.ToLower(argv[0])
		if _, ok := (&release.Limits{}).Get(name); !ok || name == "databases" {
			return nil
		}
		if len(argv) != 2 {
			return bad(name + " takes one number")
		}
		n, err := strconv.Atoi(argv[1])
		if err != nil {
			return bad(name + " takes one number")
		}
		c.limits = append(c.limits, limitDirective{name, n})
	}
	return nil
}

// ParseBytes reads a size as redis.conf writes it: a number with an
// optional unit k (1000), kb (1024), m, mb, g, gb, any case (Redis
// src/util.c memtoull).
func ParseBytes(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mul := int64(1)
	for _, u := range [...]struct {
		suffix string
		mul    int64
	}{{"kb", 1 << 10}, {"mb", 1 << 20}, {"gb", 1 << 30}, {"k", 1000}, {"m", 1000 * 1000}, {"g", 1000 * 1000 * 1000}, {"b", 1}} {
		if rest, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mul = rest, u.mul
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mul {
		return 0, fmt.Errorf("bad size %q (want a number with an optional k, kb, m, mb, g or gb)", s)
	}
	return n * mul, nil
}
