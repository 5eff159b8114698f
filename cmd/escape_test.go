package cmd

import "testing"

// TestEscapeBytes: keys and AUX values in text output are shown as
// redis-cli shows binary strings.
func TestEscapeBytes(t *testing.T) {
	for in, want := range map[string]string{
		"user:1":                "user:1",
		"a\"b\\c":               `a\"b\\c`,
		"\n\r\t\a\b":            `\n\r\t\a\b`,
		"bin\x00key\xff\xfe":    `bin\x00key\xff\xfe`,
		"caf\xc3\xa9 \x7f \x1b": `caf\xc3\xa9 \x7f \x1b`,
	} {
		if got := escapeBytes([]byte(in)); got != want {
			t.Errorf("escapeBytes(%q) = %s, want %s", in, got, want)
		}
	}
}
