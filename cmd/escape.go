package cmd

// escapeBytes renders b the way redis-cli shows binary strings: printable
// ASCII as is, \\ and \" escaped, \n \r \t \a \b by name, anything else as \xHH.
func escapeBytes(b []byte) string {
	out := make([]byte, 0, len(b)+8)
	const hex = "0123456789abcdef"
	for _, c := range b {
		switch c {
		case '\\':
			out = append(out, '\\', '\\')
		case '"':
			out = append(out, '\\', '"')
		case '\n':
			out = append(out, '\\', 'n')
		case '\r':
			out = append(out, '\\', 'r')
		case '\t':
			out = append(out, '\\', 't')
		case '\a':
			out = append(out, '\\', 'a')
		case '\b':
			out = append(out, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				out = append(out, c)
			} else {
				out = append(out, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return string(out)
}
