package glob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pat, s string
		nocase bool
		want   bool
	}{
		{"*", "", false, true},
		{"*", "anything", false, true},
		{"", "", false, true},
		{"", "a", false, false},
		{"a", "", false, false},
		{"h?llo", "hello", false, true},
		{"h?llo", "hllo", false, false},
		{"h*llo", "hllo", false, true},
		{"h*llo", "heeeello", false, true},
		{"h[ae]llo", "hello", false, true},
		{"h[ae]llo", "hallo", false, true},
		{"h[ae]llo", "hillo", false, false},
		{"h[^e]llo", "hallo", false, true},
		{"h[^e]llo", "hello", false, false},
		{"h[a-b]llo", "hbllo", false, true},
		{"h[b-a]llo", "hallo", false, true}, // reversed range
		{"h[a-b]llo", "hcllo", false, false},
		{`h\*llo`, "h*llo", false, true},
		{`h\*llo`, "hello", false, false},
		{`h[\]]llo`, "h]llo", false, true},
		{"user:*", "user:1", false, true},
		{"user:*", "USER:1", false, false},
		{"user:*", "USER:1", true, true},
		{"[A-Z]", "q", true, true},
		{"a*b*c", "aXXbYYc", false, true},
		{"a*b*c", "aXXbYY", false, false},
		{"*a", "bbbba", false, true},
		{"a**", "a", false, true},
		{"a*", "a", false, true},
		{"[abc", "a", false, true}, // unterminated class ends at the end
		{"[abc", "ab", false, false},
		{`\`, `\`, false, true},
		{"*\x00*", "a\x00b", false, true},
		{"bin\x00key*", "bin\x00key\xff\xfe", false, true},
		{"[\x80-\xff]", "\x90", false, true},
		{"?", "\xff", false, true},
	}
	for _, tt := range tests {
		if got := MatchString(tt.pat, tt.s, tt.nocase); got != tt.want {
			t.Errorf("Match(%q, %q, nocase=%v) = %v, want %v", tt.pat, tt.s, tt.nocase, got, tt.want)
		}
	}
}

// TestMatchPathological is Redis's "KEYS with pattern starting with many
// stars" guard: it must finish quickly and not match.
func TestMatchPathological(t *testing.T) {
	pat := strings.Repeat("a*", 50) + "b"
	s := strings.Repeat("a", 100)
	if MatchString(pat, s, false) {
		t.Fatal("matched")
	}
	if MatchString(strings.Repeat("*", 2000)+"x", "y", false) {
		t.Fatal("matched")
	}
}

// FuzzMatch checks that no pattern panics or runs away, and that a pattern
// without special bytes matches exactly itself.
func FuzzMatch(f *testing.F) {
	for _, s := range []string{"*", "h?llo", "h[^e]llo", "[a-", `\`, "a*b*c", "[", "**a"} {
		f.Add(s, "hello")
	}
	f.Fuzz(func(t *testing.T, pat, s string) {
		Match([]byte(pat), []byte(s), false)
		Match([]byte(pat), []byte(s), true)
		if !strings.ContainsAny(s, `*?[\`) && !MatchString(s, s, false) {
			t.Errorf("%q does not match itself", s)
		}
	})
}
