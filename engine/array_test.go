package engine

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/rdbkit/rdbkit/rdbfile"
)

// arrayString renders an array key as "idx=value ... next=N" (next is
// ARNEXT: 0 without a cursor, "nil" when exhausted), "<nil>" if missing.
func arrayString(t *testing.T, e *Engine, key string) string {
	t.Helper()
	v := value(t, e, key)
	if v == nil {
		return "<nil>"
	}
	if v.Kind != rdbfile.KindArray {
		t.Fatalf("%s: %v, not an array", key, v.Kind)
	}
	var parts []string
	for _, el := range v.Array.Elements {
		parts = append(parts, strconv.FormatUint(el.Index, 10)+"="+string(arrayElementText(nil, &el)))
	}
	return strings.Join(append(parts, "next="+arNext(v.Array)), " ")
}

// arNext is ARNEXT of an exported array.
func arNext(a *rdbfile.Array) string {
	switch {
	case !a.HasCursor || a.InsertIdx == arNoInsert:
		return "0"
	case a.InsertIdx == arNoInsert-1:
		return "nil"
	}
	return strconv.FormatUint(a.InsertIdx+1, 10)
}

// TestArrayCommands follows src/t_array.c: replies are not modelled, the
// resulting values and errors are.
func TestArrayCommands(t *testing.T) {
	e := newEngine(t, "8.8.0")
	do(t, e, "ARSET", "a", "3", "x", "y", "z")
	do(t, e, "ARMSET", "a", "0", "zero", "10", "ten", "4", "Y")
	if got := arrayString(t, e, "a"); got != "0=zero 3=x 4=Y 5=z 10=ten next=0" {
		t.Errorf("ARSET/ARMSET: %s", got)
	}
	do(t, e, "ARDEL", "a", "3", "99")
	do(t, e, "ARDELRANGE", "a", "5", "4", "9", "1000") // either order
	if got := arrayString(t, e, "a"); got != "0=zero next=0" {
		t.Errorf("ARDEL/ARDELRANGE: %s", got)
	}
	do(t, e, "PEXPIREAT", "a", "4102444800000")
	do(t, e, "ARDEL", "a", "0") // the last element takes the key with it
	if v := value(t, e, "a"); v != nil {
		t.Errorf("emptied array still there: %+v", v)
	}
	do(t, e, "ARINSERT", "a", "p")
	if ttl(e, "a") != noExpire {
		t.Errorf("TTL survived the key")
	}
	do(t, e, "ARINSERT", "a", "q", "r")
	do(t, e, "ARSEEK", "a", "500")
	do(t, e, "ARINSERT", "a", "s")
	if got := arrayString(t, e, "a"); got != "0=p 1=q 2=r 500=s next=501" {
		t.Errorf("ARINSERT/ARSEEK: %s", got)
	}
	do(t, e, "ARSEEK", "a", "0")
	do(t, e, "ARSEEK", "missing", "7") // no key is created
	if value(t, e, "missing") != nil || arrayString(t, e, "a") != "0=p 1=q 2=r 500=s next=0" {
		t.Errorf("ARSEEK 0 / missing key: %s", arrayString(t, e, "a"))
	}

	// Index limits: 2^64-2 is the last index; ARSEEK takes 2^64-1 and
	// leaves the cursor exhausted.
	do(t, e, "ARSET", "far", "18446744073709551614", "top")
	fails(t, e, "ARSET", "far", "18446744073709551615", "x")
	fails(t, e, "ARSET", "far", "18446744073709551614", "x", "y")
	fails(t, e, "ARSET", "far", "-1", "x")
	do(t, e, "ARSEEK", "far", "18446744073709551615")
	if got := arrayString(t, e, "far"); got != "18446744073709551614=top next=nil" {
		t.Errorf("far: %s", got)
	}
	err := fails(t, e, "ARINSERT", "far", "x")
	var ce *CommandError
	if !errors.As(err, &ce) || ce.Msg != "ERR insert index overflow" {
		t.Errorf("ARINSERT on an exhausted cursor: %v", err)
	}
	do(t, e, "ARSEEK", "far", "18446744073709551614")
	fails(t, e, "ARINSERT", "far", "x", "y") // the batch would reach 2^64-1
	do(t, e, "ARSEEK", "far", "18446744073709551613")
	do(t, e, "ARINSERT", "far", "last")
	if got := arrayString(t, e, "far"); got != "18446744073709551613=last 18446744073709551614=top next=18446744073709551614" {
		t.Errorf("far after ARINSERT: %s", got)
	}

	// Atomic validation, arity, types.
	fails(t, e, "ARMSET", "b", "1", "x", "bad", "y")
	fails(t, e, "ARMSET", "b", "1", "x", "2")
	fails(t, e, "ARDEL", "a", "1", "bad")
	fails(t, e, "ARDELRANGE", "a", "1")
	if value(t, e, "b") != nil || arrayString(t, e, "a") != "0=p 1=q 2=r 500=s next=0" {
		t.Errorf("a refused command changed data")
	}
	do(t, e, "SET", "s", "v")
	fails(t, e, "ARSET", "s", "0", "x")
	fails(t, e, "ARINSERT", "s", "x")
	do(t, e, "ARDEL", "nokey", "1")
	if value(t, e, "nokey") != nil {
		t.Errorf("ARDEL created a key")
	}
	fails(t, e, "ARRING", "r", "0", "x")
	fails(t, e, "ARRING", "r", "x", "y")
	if value(t, e, "r") != nil {
		t.Errorf("refused ARRING created a key")
	}

	// The values read back as written, whatever the server stores them as.
	vals := []string{"0123", "+5", " 7", "-0", "1.0", "-0.0", "3.50", "1e5", "nan", "9223372036854775808", "\x00\xff"}
	for i, v := range vals {
		do(t, e, "ARSET", "v", strconv.Itoa(i), v)
	}
	got := value(t, e, "v").Array
	for i, el := range got.Elements {
		if s := string(arrayElementText(nil, &el)); s != vals[i] {
			t.Errorf("element %d: %q, want %q", i, s, vals[i])
		}
	}
	do(t, e, "COPY", "v", "v2")
	do(t, e, "ARSET", "v2", "0", "changed")
	if string(arrayElementText(nil, &value(t, e, "v").Array.Elements[0])) != "0123" {
		t.Errorf("COPY shares the array")
	}
	old := newEngine(t, "8.6.0")
	if err := old.Exec(toArgv([]string{"ARSET", "a", "0", "x"})); !errors.Is(err, ErrUnknownCommand) {
		t.Errorf("ARSET on 8.6: %v", err)
	}
}

// TestArrayRing checks ARRING: wrapping, shrinking to the newest run, and
// growing after a wrap (src/t_array.c arRingNeedsRework, arRingRework).
func TestArrayRing(t *testing.T) {
	e := newEngine(t, "8.8.0")
	// The corpus's array:ring: ARRING 4 with 6 values.
	do(t, e, "ARRING", "r", "4", "r1", "r2", "r3", "r4", "r5", "r6")
	if got := arrayString(t, e, "r"); got != "0=r5 1=r6 2=r3 3=r4 next=2" {
		t.Errorf("wrap: %s", got)
	}
	// Shrink to 3: the newest 3 (r4 r5 r6, walking back from the cursor)
	// move to 0..2, oldest first.
	do(t, e, "ARRING", "r", "3", "r7")
	if got := arrayString(t, e, "r"); got != "0=r7 1=r5 2=r6 next=1" {
		t.Errorf("shrink: %s", got)
	}
	// Grow after a wrap: the ring is rebuilt so the new slots are used.
	do(t, e, "ARRING", "r", "5", "r8")
	if got := arrayString(t, e, "r"); got != "0=r5 1=r6 2=r7 3=r8 next=4" {
		t.Errorf("grow: %s", got)
	}
	// A hole stops the retained run.
	do(t, e, "ARSET", "h", "0", "a", "b", "c", "d")
	do(t, e, "ARDEL", "h", "1")
	do(t, e, "ARRING", "h", "3", "x")
	if got := arrayString(t, e, "h"); got != "0=c 1=d 2=x next=3" {
		t.Errorf("hole: %s", got)
	}
	// ARSEEK 0 then growing: no rebuild, writing restarts at 0.
	do(t, e, "ARSET", "g", "0", "a", "b")
	do(t, e, "ARSEEK", "g", "0")
	do(t, e, "ARRING", "g", "4", "x")
	if got := arrayString(t, e, "g"); got != "0=x 1=b next=1" {
		t.Errorf("seek 0 + grow: %s", got)
	}
}

// TestArrayTags pins which RDB tag each value gets (src/sparsearray.c
// arEncode), per the corpus notes, and checks it on every array element
// of the unstable server's dump.rdb.
func TestArrayTags(t *testing.T) {
	for _, c := range []struct {
		in  string
		tag int
	}{
		{"0", rdbfile.ArrayInt}, {"-1", rdbfile.ArrayInt}, {"2305843009213693951", rdbfile.ArrayInt},
		{"2305843009213693952", rdbfile.ArraySDS}, {"-2305843009213693952", rdbfile.ArrayInt},
		{"9223372036854775807", rdbfile.ArraySDS}, {"0123", rdbfile.ArraySmallStr}, {"-0", rdbfile.ArraySmallStr},
		{"3.5", rdbfile.ArrayFloat}, {"-1.5", rdbfile.ArrayFloat}, {"0.5", rdbfile.ArrayFloat}, {"1.0", rdbfile.ArrayFloat},
		{"-0.0", rdbfile.ArrayFloat}, {"1.25", rdbfile.ArrayFloat}, {"0.0", rdbfile.ArrayFloat}, {"100.0", rdbfile.ArrayFloat},
		{"1234567890123.5", rdbfile.ArrayFloat}, {"0.1", rdbfile.ArraySmallStr}, {"3.14159", rdbfile.ArraySmallStr},
		{"1e5", rdbfile.ArraySmallStr}, {"1e100", rdbfile.ArraySmallStr}, {"5e-324", rdbfile.ArraySmallStr},
		{"inf", rdbfile.ArraySmallStr}, {"nan", rdbfile.ArraySmallStr}, {"3.50", rdbfile.ArraySmallStr},
		{"2.5E3", rdbfile.ArraySmallStr}, {"", rdbfile.ArraySmallStr}, {"8 bytes!", rdbfile.ArraySDS},
	} {
		if got := arrayTag([]byte(c.in)); got.Tag != c.tag {
			t.Errorf("%q: tag %d, want %d", c.in, got.Tag, c.tag)
		}
	}
	_, keys := readRDB(t, filepath.Join(corpusDir(t), "redis-unstable-2026-06-09", "rdb", "dump.rdb"))
	n := 0
	for _, k := range keys {
		if k.val.Kind != rdbfile.KindArray {
			continue
		}
		for _, el := range k.val.Array.Elements {
			text := arrayElementText(nil, &el)
			got := arrayTag(text)
			// An SDS the server compressed is still SDS; short strings
			// are SMALLSTR whatever they hold.
			if got.Tag != el.Tag {
				t.Errorf("key %q index %d %q: tag %d, file has %d", k.key, el.Index, text, got.Tag, el.Tag)
			}
			n++
		}
	}
	if n < 1000 {
		t.Errorf("only %d array elements checked", n)
	}
}

// naiveArrayDigest is DEBUG DIGEST-VALUE of an array as src/debug.c
// computes it: the type code, then every slot from 0 to ARLEN-1, an empty
// one as "(null)".
func naiveArrayDigest(a *arrayObj) string {
	var d [20]byte
	mix := func(p []byte) {
		h := sha1.Sum(p)
		for i := range d {
			d[i] ^= h[i]
		}
		d = sha1.Sum(d[:])
	}
	var code [4]byte
	binary.BigEndian.PutUint32(code[:], 7)
	mix(code[:])
	for i := uint64(0); i < a.arLen(); i++ {
		if v, ok := a.get(i); ok {
			mix(v)
		} else {
			mix([]byte("(null)"))
		}
	}
	return hex.EncodeToString(d[:])
}

// TestArrayDigest compares the digest (which hashes the gaps without
// looking slots up) with the slot-by-slot definition, and checks the
// length limit.
func TestArrayDigest(t *testing.T) {
	e := newEngine(t, "8.8.0")
	do(t, e, "ARSET", "a", "0", "x")
	do(t, e, "ARMSET", "a", "3", "1.0", "70000", "-5", "4095", "", "4096", "long string value here")
	do(t, e, "ARSET", "b", "200000", "only")
	do(t, e, "ARINSERT", "c", "p", "q")
	for _, k := range []string{"a", "b", "c"} {
		en, _ := e.cur().get([]byte(k))
		if got, want := e.DigestValue(0, []byte(k)), naiveArrayDigest(en.obj.(*arrayObj)); got != want {
			t.Errorf("%s: digest %s, slot by slot %s", k, got, want)
		}
	}
	// The cursor is not part of the digest.
	do(t, e, "ARSET", "d", "0", "p", "q")
	if e.DigestValue(0, []byte("c")) != e.DigestValue(0, []byte("d")) {
		t.Errorf("ARINSERT and ARSET of the same values digest differently")
	}
	before := e.Digest()
	do(t, e, "ARSET", "huge", strconv.FormatUint(ArrayDigestMaxLen, 10), "x")
	if e.DigestValue(0, []byte("huge")) != "" || e.UndigestedKeys() != 1 || e.Digest() != before {
		t.Errorf("array beyond ArrayDigestMaxLen: digest %q, %d undigested", e.DigestValue(0, []byte("huge")), e.UndigestedKeys())
	}
	v, _, _ := e.Lookup(0, []byte("huge"))
	if _, err := ValueDigest(e.Version(), v, false); !errors.Is(err, ErrNoDigest) {
		t.Errorf("ValueDigest of a huge array: %v", err)
	}
	do(t, e, "ARDEL", "huge", strconv.FormatUint(ArrayDigestMaxLen, 10))
	do(t, e, "ARSET", "big", strconv.FormatUint(ArrayDigestMaxLen-1, 10), "x")
	if e.UndigestedKeys() != 0 { // (its digest takes seconds: not computed here)
		t.Errorf("array of exactly ArrayDigestMaxLen slots left out")
	}
}

// gtArray is the ground-truth value of an array key.
type gtArray struct {
	Count    uint64            `json:"count"`
	Len      json.RawMessage   `json:"len"`
	Next     json.RawMessage   `json:"arnext"`
	Elements []json.RawMessage `json:"elements"`
}

// gtNumber returns a ground-truth number that may be a JSON number, a
// decimal string or null ("nil").
func gtNumber(raw json.RawMessage) string {
	s := strings.Trim(string(raw), `"`)
	if s == "null" {
		return "nil"
	}
	return s
}

// checkV5Values compares what DEBUG DIGEST does not see with the ground
// truth: every array's count, length, cursor (ARNEXT), elements and TTL,
// and the IDMP state and NACK zones of every stream. dupExact says whether
// the IDMP duplicate counter can match: an AOF rewrite does not carry it
// (it writes one XIDMPRECORD per record), so after a RESP base it restarts
// from 0 on a server that reloads the set, as in the engine, while the
// ground truth was captured before. It returns the number of array keys
// compared.
func checkV5Values(t *testing.T, e *Engine, gtPath string, dupExact bool) int {
	t.Helper()
	var g struct {
		DBs map[string]struct {
			Keys []struct {
				Key         json.RawMessage `json:"key"`
				Type        string          `json:"type"`
				PExpireTime int64           `json:"pexpiretime"`
				Value       json.RawMessage `json:"value"`
			} `json:"keys"`
		} `json:"dbs"`
	}
	b := readFile(t, gtPath)
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	arrays := 0
	for dbs, d := range g.DBs {
		db, _ := strconv.Atoi(dbs)
		for _, k := range d.Keys {
			var key string
			if err := json.Unmarshal(k.Key, &key); err != nil {
				continue // binary keys hold no arrays or streams
			}
			v, exp, ok := e.Lookup(db, []byte(key))
			if !ok {
				continue // reported by the caller
			}
			switch k.Type {
			case "array":
				arrays++
				checkArrayValue(t, db, key, v, exp, k.PExpireTime, k.Value)
			case "stream":
				checkStreamV5(t, db, key, v, k.Value, dupExact)
			}
		}
	}
	return arrays
}

func checkArrayValue(t *testing.T, db int, key string, v *rdbfile.Value, exp, wantExp int64, raw json.RawMessage) {
	t.Helper()
	if v.Kind != rdbfile.KindArray {
		t.Errorf("db %d %q: %v, want an array", db, key, v.Kind)
		return
	}
	var w gtArray
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	a := v.Array
	var length uint64
	if n := len(a.Elements); n > 0 {
		length = a.Elements[n-1].Index + 1
	}
	if uint64(len(a.Elements)) != w.Count || strconv.FormatUint(length, 10) != gtNumber(w.Len) || arNext(a) != gtNumber(w.Next) {
		t.Errorf("db %d %q: count %d len %d arnext %s, want %d %s %s", db, key, len(a.Elements), length, arNext(a), w.Count, gtNumber(w.Len), gtNumber(w.Next))
	}
	if (exp == noExpire) != (wantExp == -1) || (wantExp != -1 && exp != wantExp) {
		t.Errorf("db %d %q: expire %d, want %d", db, key, exp, wantExp)
	}
	for i, raw := range w.Elements {
		var pair []json.RawMessage
		if err := json.Unmarshal(raw, &pair); err != nil || len(pair) != 2 {
			t.Fatalf("db %d %q: element %s", db, key, raw)
		}
		wantVal, err := bstrID(pair[1])
		if err != nil {
			t.Fatal(err)
		}
		if i >= len(a.Elements) {
			break
		}
		el := a.Elements[i]
		if strconv.FormatUint(el.Index, 10) != gtNumber(pair[0]) || keyID(arrayElementText(nil, &el)) != wantVal {
			t.Errorf("db %d %q: element %d is %d=%q, want %s=%q", db, key, i, el.Index, arrayElementText(nil, &el), gtNumber(pair[0]), wantVal)
		}
	}
}

// checkStreamV5 compares the IDMP counters and, per group, the PEL with
// its owners, delivery counts and the NACK zone (XINFO STREAM FULL of the
// unstable server). Delivery times are wall-clock values of the capturing
// server, which the AOF records at 1 s resolution at best: only the NACKed
// entries' (0) are compared. Streams of older servers have no IDMP fields
// and are skipped.
func checkStreamV5(t *testing.T, db int, key string, v *rdbfile.Value, raw json.RawMessage, dupExact bool) {
	t.Helper()
	var w struct {
		Duration   *uint64 `json:"idmp-duration"`
		MaxSize    uint64  `json:"idmp-maxsize"`
		Pids       int     `json:"pids-tracked"`
		Iids       int     `json:"iids-tracked"`
		Added      uint64  `json:"iids-added"`
		Duplicates uint64  `json:"iids-duplicates"`
		Groups     []struct {
			Name    string              `json:"name"`
			Nacked  int                 `json:"nacked-count"`
			Pending [][]json.RawMessage `json:"pending"`
		} `json:"groups"`
	}
	if err := json.Unmarshal(raw, &w); err != nil {
		t.Fatal(err)
	}
	if w.Duration == nil {
		return
	}
	st := v.Stream
	m := rdbfile.StreamIDMP{Duration: idmpDefaultDuration, MaxEntries: idmpDefaultMaxSize}
	if st.IDMP != nil {
		m = *st.IDMP
	}
	iids := 0
	for _, p := range m.Producers {
		iids += len(p.Entries)
	}
	if !dupExact {
		w.Duplicates = m.IIDsDuplicates
	}
	if m.Duration != *w.Duration || m.MaxEntries != w.MaxSize || len(m.Producers) != w.Pids || iids != w.Iids ||
		m.IIDsAdded != w.Added || m.IIDsDuplicates != w.Duplicates {
		t.Errorf("db %d stream %q: IDMP %d/%d pids %d iids %d added %d dup %d, want %d/%d %d %d %d %d", db, key,
			m.Duration, m.MaxEntries, len(m.Producers), iids, m.IIDsAdded, m.IIDsDuplicates,
			*w.Duration, w.MaxSize, w.Pids, w.Iids, w.Added, w.Duplicates)
	}
	if len(st.Groups) != len(w.Groups) {
		t.Errorf("db %d stream %q: %d groups, want %d", db, key, len(st.Groups), len(w.Groups))
		return
	}
	for gi, wg := range w.Groups {
		g := st.Groups[gi]
		owner := map[rdbfile.StreamID]string{}
		for _, c := range g.Consumers {
			for _, id := range c.PEL {
				owner[id] = string(c.Name)
			}
		}
		var got, want []string
		for _, p := range g.PEL {
			tm := "t"
			if owner[p.ID] == "" {
				tm = strconv.FormatInt(p.DeliveryTime, 10)
			}
			got = append(got, p.ID.String()+" "+owner[p.ID]+" "+tm+" "+strconv.FormatUint(p.DeliveryCount, 10))
		}
		for _, p := range wg.Pending {
			var f []string
			for _, x := range p {
				f = append(f, strings.Trim(string(x), `"`))
			}
			if len(f) == 4 && f[1] != "" {
				f[2] = "t"
			}
			want = append(want, strings.Join(f, " "))
		}
		if strings.Join(got, ", ") != strings.Join(want, ", ") || len(g.NACK) != wg.Nacked {
			t.Errorf("db %d stream %q group %s: nacked %d, PEL\n %s\nwant nacked %d\n %s", db, key, g.Name, len(g.NACK), strings.Join(got, ", "), wg.Nacked, strings.Join(want, ", "))
		}
	}
}

// TestArrayFarCorpus: the far-index dataset of the unstable server (indices
// up to 2^64-2; its ground truth has values and no digests, which the
// server never finishes computing) as an RDB and as an AOF set: every key,
// value, cursor and TTL as the server had them; the five arrays are left
// out of the digest.
func TestArrayFarCorpus(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "redis-unstable-2026-06-09")
	for _, c := range []struct{ name, path, gt string }{
		{"rdb", filepath.Join(dir, "rdb", "dump-array-far.rdb"), filepath.Join(dir, "rdb", "gt-array-far.json")},
		{"aof", filepath.Join(dir, "aof-array-far", "appendonlydir"), filepath.Join(dir, "aof-array-far", "gt.json")},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := New(gtServerVersion(t, c.gt))
			var err error
			if c.name == "rdb" {
				_, err = replayAOFFile(e, c.path)
			} else {
				_, err = replayDir(e, c.path)
			}
			if err != nil {
				t.Fatal(err)
			}
			gt := loadGT(t, c.gt)
			keys := 0
			for dbs, d := range gt.DBs {
				db, _ := strconv.Atoi(dbs)
				if e.Len(db) != d.DBSize {
					t.Errorf("db %d: %d keys, want %d", db, e.Len(db), d.DBSize)
				}
				keys += d.DBSize
			}
			if n := checkV5Values(t, e, c.gt, true); n != 5 {
				t.Errorf("%d arrays compared, want 5", n)
			}
			if e.UndigestedKeys() != 5 {
				t.Errorf("%d keys left out of the digest, want the 5 arrays", e.UndigestedKeys())
			}
			t.Logf("%d keys equal to the ground truth", keys)
		})
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStreamIDMPAndNACK: IDMP records decide whether an XADD adds an
// entry (MAXSIZE evicts the oldest record, a changed XCFGSET drops them),
// XIDMPRECORD refuses a conflicting record, XNACK releases entries into
// the NACK zone (src/t_stream.c).
func TestStreamIDMPAndNACK(t *testing.T) {
	e := newEngine(t, "8.8.0")
	do(t, e, "XADD", "s", "IDMP", "p", "a", "1-1", "f", "v")
	do(t, e, "XADD", "s", "IDMP", "p", "a", "*", "f", "v") // duplicate: nothing added
	do(t, e, "XCFGSET", "s", "IDMP-MAXSIZE", "2")          // changed: records dropped
	do(t, e, "XADD", "s", "IDMP", "p", "a", "1-2", "f", "v")
	do(t, e, "XADD", "s", "IDMP", "p", "b", "1-3", "f", "v")
	do(t, e, "XADD", "s", "IDMP", "p", "c", "1-4", "f", "v") // evicts a
	do(t, e, "XADD", "s", "IDMP", "p", "a", "1-5", "f", "v") // a is new again
	do(t, e, "XCFGSET", "s", "IDMP-MAXSIZE", "2")            // unchanged: kept
	do(t, e, "XIDMPRECORD", "s", "q", "z", "1-1")
	do(t, e, "XIDMPRECORD", "s", "q", "z", "1-1") // same record: OK
	fails(t, e, "XIDMPRECORD", "s", "q", "z", "1-2")
	fails(t, e, "XIDMPRECORD", "s", "q", "y", "9-9") // no such entry
	fails(t, e, "XCFGSET", "s", "IDMP-DURATION", "0")
	fails(t, e, "XCFGSET", "nokey", "IDMP-DURATION", "5")
	st := value(t, e, "s").Stream
	var ids, recs []string
	for _, en := range st.Entries {
		ids = append(ids, en.ID.String())
	}
	for _, p := range st.IDMP.Producers {
		for _, r := range p.Entries {
			recs = append(recs, string(p.PID)+"/"+string(r.IID)+"="+r.ID.String())
		}
	}
	eqStrings(t, "entries", ids, []string{"1-1", "1-2", "1-3", "1-4", "1-5"})
	eqStrings(t, "records", recs, []string{"p/c=1-4", "p/a=1-5", "q/z=1-1"})
	if m := st.IDMP; m.MaxEntries != 2 || m.IIDsAdded != 6 || m.IIDsDuplicates != 1 {
		t.Errorf("IDMP %+v", m)
	}

	do(t, e, "COPY", "s", "s2") // the copy's records are its own
	do(t, e, "XADD", "s2", "IDMP", "p", "d", "1-6", "f", "v")
	if got := value(t, e, "s").Stream.IDMP.Producers[0].Entries; len(got) != 2 || string(got[0].IID) != "c" {
		t.Errorf("XADD on a copy changed the original's records: %+v", got)
	}
	do(t, e, "XGROUP", "CREATE", "s", "g", "0")
	do(t, e, "XCLAIM", "s", "g", "alice", "0", "1-1", "1-2", "1-3", "TIME", "1000", "RETRYCOUNT", "2", "FORCE", "JUSTID")
	do(t, e, "XNACK", "s", "g", "SILENT", "IDS", "2", "1-2", "1-1")
	do(t, e, "XNACK", "s", "g", "FATAL", "IDS", "1", "1-5", "FORCE")
	do(t, e, "XNACK", "s", "g", "FAIL", "IDS", "1", "9-9", "FORCE") // not in the stream: skipped
	fails(t, e, "XNACK", "s", "nogroup", "FAIL", "IDS", "1", "1-1")
	fails(t, e, "XNACK", "s", "g", "MAYBE", "IDS", "1", "1-1")
	fails(t, e, "XNACK", "s", "g", "FAIL", "IDS", "2", "1-1")
	g := value(t, e, "s").Stream.Groups[0]
	var nack []string
	for _, id := range g.NACK {
		nack = append(nack, id.String())
	}
	eqStrings(t, "NACK zone", nack, []string{"1-2", "1-1", "1-5"})
	got := map[string]string{}
	for _, p := range g.PEL {
		got[p.ID.String()] = strconv.FormatInt(p.DeliveryTime, 10) + "/" + strconv.FormatUint(p.DeliveryCount, 10)
	}
	if got["1-1"] != "0/1" || got["1-2"] != "0/1" || got["1-3"] != "1000/2" || got["1-5"] != "0/9223372036854775807" {
		t.Errorf("PEL %v", got)
	}
	if len(g.Consumers) != 1 || len(g.Consumers[0].PEL) != 1 {
		t.Errorf("alice still owns %v", g.Consumers[0].PEL)
	}
	do(t, e, "XACK", "s", "g", "1-1")
	do(t, e, "XCLAIM", "s", "g", "bob", "0", "1-2", "JUSTID")
	nack = nack[:0]
	for _, id := range value(t, e, "s").Stream.Groups[0].NACK {
		nack = append(nack, id.String())
	}
	eqStrings(t, "NACK zone after XACK and XCLAIM", nack, []string{"1-5"})
}

// TestStreamIDMPAuto: XADD IDMPAUTO records the hash of the entry's pairs,
// whatever their order, so the same pairs again add nothing; the length
// of each field separates "f"+"v" from "fv"+"" (src/t_stream.c
// createIdempotencyHash). TestIDMPAutoServer checks the hash's bytes.
func TestStreamIDMPAuto(t *testing.T) {
	e := newEngine(t, "8.8.0")
	do(t, e, "XADD", "s", "IDMPAUTO", "r", "2-1", "f", "v", "g", "w")
	do(t, e, "XADD", "s", "IDMPAUTO", "r", "*", "g", "w", "f", "v") // the same pairs
	do(t, e, "XADD", "s", "IDMPAUTO", "r", "2-2", "f", "w", "g", "v")
	do(t, e, "XADD", "s", "IDMPAUTO", "r", "2-3", "fv", "", "g", "w")
	do(t, e, "XADD", "s", "IDMPAUTO", "other", "2-4", "f", "v", "g", "w") // another producer
	st := value(t, e, "s").Stream
	if st.Length != 4 || st.IDMP.IIDsAdded != 4 || st.IDMP.IIDsDuplicates != 1 {
		t.Errorf("IDMPAUTO: %d entries, IDMP %+v; want 4 entries, 4 added, 1 duplicate", st.Length, st.IDMP)
	}
	for _, p := range st.IDMP.Producers {
		for _, r := range p.Entries {
			if len(r.IID) != 16 {
				t.Errorf("%s: IID of %d bytes, want 16", p.PID, len(r.IID))
			}
		}
	}
	fails(t, e, "XADD", "s", "IDMPAUTO", "", "*", "f", "v")
	fails(t, e, "XADD", "s", "IDMPAUTO", "r", "IDMP", "r", "i", "*", "f", "v")
}

// TestReplayUnstableRDBs loads every good RDB of the unstable (RDB 14)
// server into an Engine and compares DEBUG DIGEST, every key's DEBUG
// DIGEST-VALUE, and the array and v5-stream values with the ground truth
// (TestReplayCorpus does the same for its AOF sets, TestArrayFarCorpus for
// the far-index files, TestDigestCorpus digests the same RDBs without an
// Engine).
func TestReplayUnstableRDBs(t *testing.T) {
	dir := filepath.Join(corpusDir(t), "redis-unstable-2026-06-09", "rdb")
	for _, c := range []struct{ rdb, gt string }{
		{"dump.rdb", "gt-dataset.json"}, {"dump-nocompress.rdb", "gt-dataset.json"},
		{"dump-nochecksum.rdb", "gt-dataset.json"}, {"dump-lfu.rdb", "gt-dataset.json"},
		{"dump-lru.rdb", "gt-dataset.json"}, {"dump-empty.rdb", "gt-empty.json"}, {"dump-bigvalue.rdb", "gt-bigvalue.json"},
	} {
		t.Run(c.rdb, func(t *testing.T) {
			e := New(gtServerVersion(t, filepath.Join(dir, c.gt)))
			if _, err := replayAOFFile(e, filepath.Join(dir, c.rdb)); err != nil {
				t.Fatal(err)
			}
			checkAgainstGT(t, e, filepath.Join(dir, c.gt))
		})
	}
}
