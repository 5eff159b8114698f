package rdbfile

import (
	"strings"

	"github.com/rdbkit/rdbkit/release"
)

// Set sets the limit of redis.conf directive name (any case; the current
// name or its pre-7.0 alias, per release.Limits.Set, or the pre-3.2
// list-max-ziplist-entries and list-max-ziplist-value) to n. ok is false
// for a directive that is no encoding limit of the writer.
func (l *Limits) Set(name string, n int) (ok bool) {
	name = strings.ToLower(name)
	switch name {
	case "list-max-ziplist-entries":
		l.ListMaxZiplistEntries = n
		return true
	case "list-max-ziplist-value":
		l.ListMaxZiplistValue = n
		return true
	}
	r := release.Limits{
		HashMaxListpackEntries: l.HashMaxListpackEntries, HashMaxListpackValue: l.HashMaxListpackValue,
		ZSetMaxListpackEntries: l.ZSetMaxListpackEntries, ZSetMaxListpackValue: l.ZSetMaxListpackValue,
		SetMaxIntsetEntries:   l.SetMaxIntsetEntries,
		SetMaxListpackEntries: l.SetMaxListpackEntries, SetMaxListpackValue: l.SetMaxListpackValue,
		ListMaxListpackSize: l.ListMaxListpackSize, ListCompressDepth: l.ListCompressDepth,
		StreamNodeMaxBytes: l.StreamNodeMaxBytes, StreamNodeMaxEntries: l.StreamNodeMaxEntries,
	}
	if name == "databases" || !r.Set(name, n) {
		return false
	}
	m := LimitsOf(r)
	m.ListPackedThreshold, m.ListMaxZiplistEntries, m.ListMaxZiplistValue = l.ListPackedThreshold, l.ListMaxZiplistEntries, l.ListMaxZiplistValue
	*l = m
	return true
}
