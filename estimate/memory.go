// Package estimate predicts what loading a persistence file costs a server.
// It builds only on the format packages: it reads statistics (keys, key
// lengths, elements per value) and returns figures; it never opens files,
// reads the clock or prints.
//
// Today it holds the per-key memory model: a rough prediction of a
// server's used_memory (INFO memory, bytes) after loading a dataset, from
// key and element counts alone.
package estimate

import "github.com/rdbkit/rdbkit/rdbfile"

// Model is the per-key memory model. A key costs PerKey bytes plus the
// length of its name, and each element of its value PerElement bytes:
//
//	bytes(key) = PerKey + len(name) + PerElement × elements
//
// PerKey stands for the server's per-key structures (dict entry, robj, the
// key's sds header and the allocator's rounding: Redis src/server.h
// redisObject, src/dict.c dictEntry, src/sds.h); PerElement for one
// element's payload plus its share of a listpack or dict (src/listpack.c,
// src/dict.c). Elements count as in rdbfile.Entry.Len: 1 for a string,
// list items, set members, sorted-set members, hash fields, live stream
// entries. The coefficients are data (the JSON field names are stable), so
// a calibrated model can replace Default.
type Model struct {
	PerKey     int64 `json:"per_key"`     // bytes per key, besides its name
	PerElement int64 `json:"per_element"` // bytes per element of a value
}

// Default is the built-in model: 72 bytes per key plus its name, 64 bytes
// per element. It was calibrated on the mixed benchmark dataset of
// docs/benchmarks.md (500 k keys of every type, 544 MB RDB), for which
// redis-server 7.0 reported used_memory 1175 MB after loading. It ignores
// encodings and value sizes, so expect tens of percent of error on a
// dataset of another shape; it is a rough figure, not a capacity plan.
var Default = Model{PerKey: 72, PerElement: 64}

// Key returns the predicted bytes of one key whose name is keyLen bytes
// long and whose value has elements elements. Negative arguments count as 0.
func (m Model) Key(keyLen int, elements int64) int64 {
	return m.PerKey + int64(max(keyLen, 0)) + m.PerElement*max(elements, 0)
}

// Memory sums a Model over the keys of a dataset. Its zero value uses
// Default. Add the keys one by one (from an engine's keyspace or from an
// RDB scan with AddEntry), then read Bytes.
type Memory struct {
	Model *Model // nil: Default
	Keys  int64  // keys added
	Bytes int64  // predicted used_memory of those keys, bytes
}

// Add accounts for one key of keyLen bytes with elements elements.
func (m *Memory) Add(keyLen int, elements int64) {
	model := Default
	if m.Model != nil {
		model = *m.Model
	}
	m.Keys++
	m.Bytes += model.Key(keyLen, elements)
}

// AddKeys accounts for keys keys whose names are keyBytes bytes long in
// all and whose values have elements elements in all: the sum of the
// keys' Add, the model being linear (for non-negative counts).
func (m *Memory) AddKeys(keys, keyBytes, elements int64) {
	model := Default
	if m.Model != nil {
		model = *m.Model
	}
	m.Keys += keys
	m.Bytes += keys*model.PerKey + max(keyBytes, 0) + model.PerElement*max(elements, 0)
}

// AddEntry accounts for e when it is a key record (e.Kind ==
// rdbfile.EntryKey), using its key and its element count e.Len. Call it
// after the value has been read (Skip, Value or Walk), since Len is known
// only then. Other records are ignored.
func (m *Memory) AddEntry(e *rdbfile.Entry) {
	if e.Kind != rdbfile.EntryKey {
		return
	}
	m.Add(len(e.Key), e.Len)
}
