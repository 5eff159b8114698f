package aoffile

import "strconv"

// AppendCommand appends one command in the layout the server writes to
// an AOF and sends over the wire (Redis src/aof.c catAppendOnlyGenericCommand):
// "*<argc>\r\n" then, per argument, "$<len>\r\n<bytes>\r\n". args[0] is the
// command name. It returns the extended buffer.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}
