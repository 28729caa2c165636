// Package ascii folds the case of protocol text of unknown encoding: ASCII
// letters only, so that no other byte (a UTF-8 Kelvin sign, say, which
// Unicode folds to 'k') can pass for a protocol name.
package ascii

// Lower returns c in lower case if it is an ASCII upper-case letter, else c.
func Lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c | 0x20
	}
	return c
}

// EqualFold reports whether b equals the lower-case ASCII string lower,
// ignoring ASCII case.
func EqualFold(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i := range len(b) {
		if Lower(b[i]) != lower[i] {
			return false
		}
	}
	return true
}
