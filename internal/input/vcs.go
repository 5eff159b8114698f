package input

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/pierrec/lz4/v4"
)

// The Valkey 9.2 whole-file compression envelope (Valkey src/rdb.c,
// rdbcompression lz4): 7 bytes, then one LZ4 frame holding the whole file.
//
//	offset 0  "VCS"  magic
//	offset 3  1      envelope version
//	offset 4  1      codec id (1 = LZ4)
//	offset 5  0      reserved
//	offset 6  1      stream kind (1 = RDB)
//	offset 7         LZ4 frame (magic 04 22 4d 18)
//
// The pre-release "VKCS" form is refused by Open.
var (
	vcsMagic   = []byte("VCS")
	lz4Magic   = []byte{0x04, 0x22, 0x4d, 0x18}
	vcsHeaderN = 7
)

// openVCS reads the envelope from br and returns the decompressed stream.
// A bad envelope is a *FormatError with the offset of the bad byte.
func openVCS(name string, br *bufio.Reader) (io.Reader, error) {
	h := make([]byte, vcsHeaderN)
	n, err := io.ReadFull(br, h)
	if err != nil {
		if isContextErr(err) {
			return nil, err
		}
		return nil, &FormatError{Name: name, Offset: int64(n), Msg: "truncated \"VCS\" compression envelope"}
	}
	check := []struct {
		off  int
		want byte
		bad  string
	}{
		{3, 1, "unknown \"VCS\" envelope version"},
		{4, 1, "unknown \"VCS\" envelope codec id (only 1 = LZ4 is known)"},
		{5, 0, "nonzero reserved byte in \"VCS\" envelope"},
		{6, 1, "unknown \"VCS\" envelope stream kind (only 1 = RDB is known)"},
	}
	for _, c := range check {
		if h[c.off] != c.want {
			return nil, &FormatError{Name: name, Offset: int64(c.off), Msg: fmt.Sprintf("%s %d", c.bad, h[c.off])}
		}
	}
	magic, err := br.Peek(len(lz4Magic))
	switch {
	case isContextErr(err):
		return nil, err
	case err != nil:
		return nil, &FormatError{Name: name, Offset: int64(vcsHeaderN), Msg: "truncated LZ4 frame after the \"VCS\" envelope"}
	case !bytes.Equal(magic, lz4Magic):
		return nil, &FormatError{Name: name, Offset: int64(vcsHeaderN), Msg: "no LZ4 frame after the \"VCS\" envelope"}
	}
	return &decompressReader{r: lz4.NewReader(br), codec: "lz4"}, nil
}
