package estimate

import "fmt"

// Proof is the last write one file proves, in ms since the Unix epoch.
type Proof struct {
	File string `json:"file"`
	// TimeMs is the time; Source says how it is known: "ctime" (the RDB
	// ctime AUX field: when the snapshot was taken), "#TS" (the last
	// timestamp annotation of an AOF, aof-timestamp-enabled yes), or
	// "mtime" (the file's modification time: a fallback, since copying a
	// file changes it).
	TimeMs int64  `json:"time_ms"`
	Source string `json:"source"`
}

// Loss is what a crash would lose.
type Loss struct {
	Proofs []Proof `json:"proofs"`
	// Last is the newest of the proofs (nil when no file proves a time).
	Last *Proof `json:"last"`
	// BehindSeconds is Options.Now minus Last (nil when either is unknown).
	BehindSeconds *float64 `json:"behind_seconds"`
	// The settings the window follows from.
	AppendOnly     bool        `json:"appendonly"`
	AppendFsync    string      `json:"appendfsync"`
	Save           []SavePoint `json:"save"`
	ConfigFromFile bool        `json:"config_from_file"`
	// WindowSeconds is the longest stretch of acknowledged writes a crash
	// of the server or the machine can lose (-1: everything since the last
	// snapshot); WindowCommands is 1 for appendfsync always (the command
	// being written), else 0.
	WindowSeconds  float64 `json:"window_seconds"`
	WindowCommands int64   `json:"window_commands"`
	Window         string  `json:"window"`
}

// OSFlushSeconds is how long Linux keeps dirty page-cache data before
// writing it back (vm.dirty_expire_centisecs, 3000 by default), the loss
// bound of appendfsync no.
const OSFlushSeconds = 30

func lossWindow(parts []*Part, o Options) Loss {
	l := Loss{Proofs: []Proof{}, AppendFsync: o.Config.AppendFsync, Save: o.Config.Save, ConfigFromFile: o.Config.FromFile,
		AppendOnly: o.Config.AppendOnly}
	if l.Save == nil {
		l.Save = []SavePoint{}
	}
	for _, p := range parts {
		if p.Role != RoleRDB {
			l.AppendOnly = true
		}
		var pr Proof
		switch {
		case p.LastTS > 0:
			pr = Proof{File: p.Name, TimeMs: p.LastTS * 1000, Source: "#TS"}
		case p.CTime > 0 && p.CommandCount() == 0:
			pr = Proof{File: p.Name, TimeMs: p.CTime, Source: "ctime"}
		case p.MTime > 0:
			pr = Proof{File: p.Name, TimeMs: p.MTime, Source: "mtime"}
		default:
			continue
		}
		l.Proofs = append(l.Proofs, pr)
		if l.Last == nil || pr.TimeMs >= l.Last.TimeMs {
			last := pr
			l.Last = &last
		}
	}
	if l.Last != nil && o.Now > 0 {
		b := float64(o.Now-l.Last.TimeMs) / 1000
		l.BehindSeconds = &b
	}
	switch {
	case l.AppendOnly && l.AppendFsync == "always":
		l.WindowSeconds, l.WindowCommands = 0, 1
		l.Window = "at most the command being written: appendfsync always fsyncs the AOF before the reply (src/aof.c flushAppendOnlyFile)"
	case l.AppendOnly && l.AppendFsync == "no":
		l.WindowSeconds = OSFlushSeconds
		l.Window = fmt.Sprintf("up to %d s of writes on a machine crash: appendfsync no leaves the flush to the kernel (vm.dirty_expire_centisecs); a server crash alone loses nothing written", OSFlushSeconds)
	case l.AppendOnly:
		l.WindowSeconds = 1
		l.Window = "up to 1 s of writes: appendfsync everysec fsyncs once a second (2 s when a slow fsync makes the server postpone the write, src/aof.c flushAppendOnlyFile)"
	case len(l.Save) == 0:
		l.WindowSeconds = -1
		l.Window = "everything written since the last snapshot: no save points and no AOF"
	default:
		worst := l.Save[0]
		for _, s := range l.Save {
			if s.Seconds > worst.Seconds {
				worst = s
			}
		}
		l.WindowSeconds = float64(worst.Seconds)
		l.Window = fmt.Sprintf("up to %d s of writes (save %d %d: fewer writes take no snapshot sooner), plus the time the snapshot takes", worst.Seconds, worst.Seconds, worst.Changes)
	}
	return l
}
