package aoffile_test

import (
	"fmt"
	"io"
	"strings"

	"github.com/rdbkit/rdbkit/aoffile"
	"github.com/rdbkit/rdbkit/release"
)

func ExampleReader() {
	aof := "#TS:1795236325\r\n" +
		"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n" +
		"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n" +
		"*3\r\n$3\r\nSET\r\n$1\r\nk" // cut in the middle of a command
	r := aoffile.NewReader(strings.NewReader(aof), nil)
	for {
		c, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			ok := r.OKUpTo()
			fmt.Printf("error: %v\nok_up_to=%d ok_up_to_line=%d\n", err, ok.Offset, ok.Line)
			break
		}
		if c.Kind == aoffile.KindAnnotation {
			fmt.Printf("annotation %q at %d\n", c.Text, c.Offset)
			continue
		}
		fmt.Printf("%q at %d, line %d, ts %d\n", c.Args, c.Offset, c.Line, c.Timestamp)
	}
	// Output:
	// annotation "TS:1795236325" at 0
	// ["SELECT" "0"] at 16, line 1, ts 1795236325
	// ["SET" "k" "v"] at 39, line 6, ts 1795236325
	// error: aoffile: truncated: Expected to read 3 bytes, got 1 bytes reading argument at offset 83 (0x53), line 17; ok up to offset 66
	// ok_up_to=66 ok_up_to_line=17
}

func ExampleValidate() {
	args := [][]byte{[]byte("HPEXPIREAT"), []byte("h"), []byte("4102444800000"), []byte("FIELDS"), []byte("1"), []byte("f")}
	for _, name := range []string{"redis-7.2", "redis-7.4"} {
		r, _ := release.Lookup(name)
		_, err := aoffile.Validate(r, args)
		fmt.Println(r.Name, err)
	}
	// Output:
	// redis-7.2 aoffile: unknown command "hpexpireat" for redis-7.2
	// redis-7.4 <nil>
}
