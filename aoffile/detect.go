package aoffile

// Format is what an AOF file starts with.
type Format uint8

const (
	// FormatEmpty is a file of size 0: nothing to load (valid).
	FormatEmpty Format = iota
	// FormatRESP is a file of RESP commands (and annotations) from byte 0.
	FormatRESP
	// FormatRDB is a file starting with an RDB snapshot ("REDIS" or
	// "VALKEY" magic): an RDB preamble or RDB base, possibly followed by
	// RESP commands.
	FormatRDB
)

func (f Format) String() string {
	switch f {
	case FormatEmpty:
		return "empty"
	case FormatRDB:
		return "rdb"
	}
	return "resp"
}

// Detect tells the Format of a file from its first bytes (6 are enough).
// Like the server (loadSingleAppendOnlyFile) and redis-check-aof it decides
// by content, never by file name: "REDIS" (5 bytes) or, for Valkey 9 and
// 8.1.5+, "VALKEY" (6 bytes) means an RDB; anything else is read as RESP.
func Detect(prefix []byte) Format {
	switch {
	case len(prefix) == 0:
		return FormatEmpty
	case len(prefix) >= 5 && string(prefix[:5]) == "REDIS",
		len(prefix) >= 6 && string(prefix[:6]) == "VALKEY":
		return FormatRDB
	}
	return FormatRESP
}
