package rdbscan

import (
	"slices"

	"github.com/rdbkit/rdbkit/internal/glob"
	"github.com/rdbkit/rdbkit/rdbfile"
)

// KeyFilter selects key records: the filters of `inspect --keys` and of
// `convert`. Every set criterion must hold; the zero value keeps every key.
// DBs, Kinds, TypeNames and Match are decided from the key's header (Head);
// the size bounds need the record's size, known once its value was read or
// skipped (Size, Want).
type KeyFilter struct {
	DBs       []int          // databases to keep; nil: all
	Kinds     []rdbfile.Kind // logical types to keep (TYPE command)
	TypeNames []string       // RDB type names to keep, as the file's dialect names them (Entry.TypeName, e.g. "HASH_LISTPACK")
	// A key is kept when it is of one of Kinds or of one of TypeNames
	// (either list may be empty; both nil: every type).
	Match  []byte // Redis glob pattern (KEYS syntax, internal/glob); nil: every key
	NoCase bool   // Match ignores ASCII case
	// MinBytes and MaxBytes bound the serialized size of the key's record
	// in bytes (Entry.Size: its prefix opcodes, type, key and value, as
	// `inspect --keys` shows it); 0: no bound.
	MinBytes, MaxBytes int64
}

// Head reports whether key record e passes every criterion but the size.
func (f *KeyFilter) Head(e *rdbfile.Entry) bool {
	if f.DBs != nil && !slices.Contains(f.DBs, e.DB) {
		return false
	}
	if (f.Kinds != nil || f.TypeNames != nil) && !slices.Contains(f.Kinds, e.ValueKind) && !slices.Contains(f.TypeNames, e.TypeName) {
		return false
	}
	return f.Match == nil || glob.Match(f.Match, e.Key, f.NoCase)
}

// Sized reports whether a size bound is set.
func (f *KeyFilter) Sized() bool { return f.MinBytes > 0 || f.MaxBytes > 0 }

// Size reports whether a record of n bytes is within the size bounds.
func (f *KeyFilter) Size(n int64) bool {
	return n >= f.MinBytes && (f.MaxBytes <= 0 || n <= f.MaxBytes)
}

// Want reports whether key record e, whose value was read or skipped, passes
// every criterion.
func (f *KeyFilter) Want(e *rdbfile.Entry) bool { return f.Head(e) && f.Size(e.Size) }
