package rdbfile

import (
	"bytes"
	"encoding/binary"
	"io"
	"strconv"
)

// DUMP payloads (Redis src/cluster.c createDumpPayload and
// verifyDumpPayload; Valkey the same, with version 80 from 9.0): the
// object type byte and the value exactly as in an RDB file, then the RDB
// version as 2 bytes little-endian and the CRC-64 (as in the file trailer)
// of everything before it, 8 bytes little-endian. There is no magic: the
// version alone says which numbering the type byte follows (80+ Valkey).
// FUNCTION DUMP payloads have the same footer after FUNCTION2 records.

const dumpFooterSize = 10

// AppendDumpFooter appends the DUMP footer to p, which holds a type byte and
// a value (or FUNCTION2 records): version as 2 bytes LE and the CRC-64 of
// p plus those 2 bytes.
func AppendDumpFooter(p []byte, version int) []byte {
	p = binary.LittleEndian.AppendUint16(p, uint16(version))
	return binary.LittleEndian.AppendUint64(p, crc64Update(0, p))
}

// SplitDump checks a DUMP payload's footer and returns the body (type byte
// and value, or FUNCTION2 records) and the RDB version. Errors are
// *CorruptError with Offset in the payload: ErrBadLength for a payload
// shorter than its footer plus one byte, ErrChecksum for a CRC mismatch.
// A zero CRC is not accepted (RESTORE always checks it).
func SplitDump(payload []byte) (body []byte, version int, err error) {
	return splitDump(payload, 1)
}

func splitDump(payload []byte, minBody int) (body []byte, version int, err error) {
	if len(payload) < dumpFooterSize+minBody {
		return nil, 0, &CorruptError{Offset: 0, Field: "DUMP payload", Err: ErrBadLength,
			Detail: "payload of " + strconv.Itoa(len(payload)) + " bytes is shorter than its 10-byte footer plus a type byte"}
	}
	n := len(payload) - dumpFooterSize
	version = int(binary.LittleEndian.Uint16(payload[n:]))
	want := binary.LittleEndian.Uint64(payload[n+2:])
	if got := crc64Update(0, payload[:n+2]); got != want {
		return nil, version, &CorruptError{Offset: int64(n + 2), Field: "DUMP checksum", Err: &ChecksumError{Want: want, Got: got}}
	}
	return payload[:n], version, nil
}

// dumpReader wraps a DUMP body in the smallest RDB file that holds it, so
// the Reader decodes it without a copy: magic for version (REDIS%04d, or
// VALKEY%03d from 80), then prefix, the body, the EOF opcode and a zero
// (not verified) trailer.
func dumpReader(body []byte, version int, prefix []byte) (*Reader, error) {
	var magic string
	switch {
	case version >= 80 && version <= 999:
		magic = "VALKEY" + pad(version, 3)
	case version >= 1 && version <= 79:
		magic = "REDIS" + pad(version, 4)
	default:
		return nil, &CorruptError{Field: "DUMP version", Err: ErrUnsupportedVersion, Detail: "RDB version " + strconv.Itoa(version)}
	}
	head := append([]byte(magic), prefix...)
	tail := []byte{byte(OpEOF)}
	if version >= 5 {
		tail = append(tail, 0, 0, 0, 0, 0, 0, 0, 0)
	}
	size := int64(len(head) + len(body) + len(tail))
	src := io.MultiReader(bytes.NewReader(head), bytes.NewReader(body), bytes.NewReader(tail))
	return NewReader(src, &Options{Size: size}), nil
}

// ReadDump decodes a DUMP payload into a Value. maxVersion is the newest
// RDB version accepted (0: any), as RESTORE refuses payloads newer than its
// server. It returns the payload's RDB version too. Errors: those of
// SplitDump, ErrUnsupportedVersion for a version above maxVersion, and the
// Reader's *CorruptError for a bad value (offsets are in the wrapping file,
// not the payload).
func ReadDump(payload []byte, maxVersion int) (*Value, int, error) {
	body, ver, err := SplitDump(payload)
	if err != nil {
		return nil, ver, err
	}
	if maxVersion > 0 && ver > maxVersion {
		return nil, ver, &CorruptError{Offset: int64(len(body)), Field: "DUMP version", Err: ErrUnsupportedVersion,
			Detail: "RDB version " + strconv.Itoa(ver) + " is newer than " + strconv.Itoa(maxVersion)}
	}
	// SELECTDB 0, the type byte, a one-byte key "k", then the value.
	r, err := dumpReader(body[1:], ver, []byte{byte(OpSelectDB), 0, body[0], 1, 'k'})
	if err != nil {
		return nil, ver, err
	}
	var val *Value
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, ver, err
		}
		if e.Kind != EntryKey {
			continue
		}
		if val != nil {
			return nil, ver, &CorruptError{Field: "DUMP payload", Err: ErrInvalid, Detail: "trailing data after the value"}
		}
		if val, err = e.Value(); err != nil {
			return nil, ver, err
		}
	}
	if val == nil {
		return nil, ver, &CorruptError{Field: "DUMP payload", Err: ErrInvalid, Detail: "no value"}
	}
	return val, ver, nil
}

// ReadFunctionDump decodes a FUNCTION DUMP payload (Redis src/functions.c
// functionDumpCommand): FUNCTION2 records, then the DUMP footer. It returns
// the code of each library in order. maxVersion is as for ReadDump.
func ReadFunctionDump(payload []byte, maxVersion int) ([][]byte, error) {
	body, ver, err := splitDump(payload, 0)
	if err != nil {
		return nil, err
	}
	if maxVersion > 0 && ver > maxVersion {
		return nil, &CorruptError{Offset: int64(len(body)), Field: "DUMP version", Err: ErrUnsupportedVersion,
			Detail: "RDB version " + strconv.Itoa(ver) + " is newer than " + strconv.Itoa(maxVersion)}
	}
	if ver < 10 {
		ver = 10 // FUNCTION2 records exist from RDB 10
	}
	r, err := dumpReader(body, ver, nil)
	if err != nil {
		return nil, err
	}
	var libs [][]byte
	for {
		e, err := r.Next()
		if err == io.EOF {
			return libs, nil
		}
		if err != nil {
			return nil, err
		}
		if e.Kind != EntryFunction {
			return nil, &CorruptError{Offset: e.Offset - 9, Field: "FUNCTION DUMP payload", Err: ErrInvalid, Detail: "record " + e.Kind.String() + " where a FUNCTION2 record is expected"}
		}
		libs = append(libs, e.Data)
	}
}

// AppendDump appends the DUMP payload of v for the target in opts (dialect,
// version, limits, compression; the checksum option does not apply: a
// payload always carries its CRC) to dst. The value is encoded as WriteKey
// encodes it; refusals are *UnsupportedError.
func AppendDump(dst []byte, v *Value, opts *WriterOptions) ([]byte, error) {
	var buf bytes.Buffer
	w := NewWriter(&buf, opts)
	w.dump = true
	if err := w.WriteKey(KeyHeader{ExpireAt: NoExpire, Idle: -1, Freq: -1}, v); err != nil {
		return dst, err
	}
	if err := w.Close(); err != nil {
		return dst, err
	}
	start := len(dst)
	dst = append(dst, buf.Bytes()...)
	dst = binary.LittleEndian.AppendUint16(dst, uint16(w.v))
	return binary.LittleEndian.AppendUint64(dst, crc64Update(0, dst[start:])), nil
}
