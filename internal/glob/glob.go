// Package glob matches byte strings against Redis glob-style patterns, with
// the semantics of Redis src/util.c stringmatchlen (used by KEYS, SCAN MATCH
// and PSUBSCRIBE):
//
//	pattern  matches
//	*        any sequence of bytes, including none
//	?        exactly one byte
//	[abc]    one of the listed bytes; [^abc] any byte but those; [a-z] a
//	         range (ends may be given in either order); \x inside brackets is x
//	\x       the byte x literally
//
// An unterminated "[" class ends at the end of the pattern. Range ends are
// compared as signed chars, as Redis built for x86-64 does (C char is signed
// there; on arm64 Linux it is unsigned, so a range with ends on both sides
// of 0x80 matches differently between server builds). For ASCII this makes
// no difference.
package glob

// maxNesting bounds the recursion on "*" like Redis does: a match that needs
// more than 1000 nested stars fails.
const maxNesting = 1000

// Match reports whether s matches pattern. With nocase set, ASCII letters
// match either case. The pattern "*" matches every string, the empty one
// included, as KEYS and SCAN special-case it (stringmatchlen itself would
// not match "" against "*").
func Match(pattern, s []byte, nocase bool) bool {
	if len(pattern) == 1 && pattern[0] == '*' {
		return true
	}
	skip := false
	return match(pattern, s, nocase, &skip, 0)
}

// MatchString is Match for strings.
func MatchString(pattern, s string, nocase bool) bool {
	return Match([]byte(pattern), []byte(s), nocase)
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func match(p, s []byte, nocase bool, skipLonger *bool, nesting int) bool {
	if nesting > maxNesting {
		return false
	}
	for len(p) > 0 && len(s) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for len(s) > 0 {
				if match(p[1:], s, nocase, skipLonger, nesting+1) {
					return true
				}
				if *skipLonger {
					return false
				}
				s = s[1:]
			}
			// No match for the rest of the pattern anywhere in the rest of
			// the string: a longer match of an earlier star cannot help.
			*skipLonger = true
			return false
		case '?':
			s = s[1:]
		case '[':
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for {
				if len(p) == 0 {
					// Unterminated class: keep one byte so that the
					// common advance below leaves the pattern empty.
					p = []byte{']'}
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						matched = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end, c := int(int8(p[0])), int(int8(p[2])), int(int8(s[0]))
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lowerInt(start), lowerInt(end), lowerInt(c)
					}
					p = p[2:]
					if c >= start && c <= end {
						matched = true
					}
				} else if nocase {
					if lower(p[0]) == lower(s[0]) {
						matched = true
					}
				} else if p[0] == s[0] {
					matched = true
				}
				p = p[1:]
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if nocase {
				if lower(p[0]) != lower(s[0]) {
					return false
				}
			} else if p[0] != s[0] {
				return false
			}
			s = s[1:]
		}
		p = p[1:]
		if len(s) == 0 {
			for len(p) > 0 && p[0] == '*' {
				p = p[1:]
			}
			break
		}
	}
	return len(p) == 0 && len(s) == 0
}

func lowerInt(c int) int {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
