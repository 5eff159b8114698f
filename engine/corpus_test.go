package engine

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// corpusDir locates the shared corpus (../../shared/corpus from this
// directory; RDBKIT_CORPUS overrides it) or skips the test.
func corpusDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("RDBKIT_CORPUS"); d != "" {
		return d
	}
	const p = "../../shared/corpus"
	if st, err := os.Stat(p); err == nil && st.IsDir() {
		return p
	}
	t.Skip("corpus not found at ../../shared/corpus (set RDBKIT_CORPUS to run this test)")
	return ""
}

var corpusServers = []string{"redis-7.0.15", "redis-7.2.6", "redis-7.4.1", "redis-8.0-m01", "valkey-8.0.1", "redis-unstable-2026-06-09"}

// gtFile is the part of a corpus ground-truth file (corpus README,
// "Ground-truth JSON") these tests use.
type gtFile struct {
	DebugDigest string `json:"debug_digest"`
	DBs         map[string]struct {
		DBSize int     `json:"dbsize"`
		Keys   []gtKey `json:"keys"`
	} `json:"dbs"`
}

type gtKey struct {
	Key         json.RawMessage `json:"key"`
	Type        string          `json:"type"`
	DigestValue string          `json:"digest_value"`
	Value       json.RawMessage `json:"value"`
}

func loadGT(t testing.TB, path string) *gtFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var g gtFile
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &g
}

// bstrID turns a ground-truth BSTR (plain string, {"b64"} or {"len",
// "sha256"} for more than 4096 bytes) into the id keyID gives the same bytes.
func bstrID(raw json.RawMessage) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return keyID([]byte(s)), nil
	}
	var o struct {
		B64    *string `json:"b64"`
		Len    int     `json:"len"`
		SHA256 string  `json:"sha256"`
	}
	if err := json.Unmarshal(raw, &o); err != nil {
		return "", err
	}
	if o.B64 != nil {
		b, err := base64.StdEncoding.DecodeString(*o.B64)
		if err != nil {
			return "", err
		}
		return keyID(b), nil
	}
	if o.SHA256 == "" {
		return "", errors.New("unknown BSTR form " + string(raw))
	}
	return "sha256:" + o.SHA256 + ":" + strconv.Itoa(o.Len), nil
}

func keyID(b []byte) string {
	if len(b) > 4096 {
		h := sha256.Sum256(b)
		return "sha256:" + hex.EncodeToString(h[:]) + ":" + strconv.Itoa(len(b))
	}
	return string(b)
}

// fileKey is one key of an RDB file with its decoded value.
type fileKey struct {
	db        int
	key       []byte
	val       *rdbfile.Value
	hasExpire bool
}

// readRDB reads every key of an RDB file.
func readRDB(t testing.TB, path string) (*rdbfile.Header, []fileKey) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	r := rdbfile.NewReader(f, &rdbfile.Options{Size: st.Size()})
	h, err := r.Header()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var keys []fileKey
	for {
		e, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if e.Kind != rdbfile.EntryKey {
			continue
		}
		v, err := e.Value()
		if err != nil {
			t.Fatalf("%s: key %q: %v", path, e.Key, err)
		}
		keys = append(keys, fileKey{db: e.DB, key: append([]byte(nil), e.Key...), val: v, hasExpire: e.ExpireAt != rdbfile.NoExpire})
	}
	return h, keys
}

func relPath(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}
