package welf

// ValidKey reports whether key can be written as a WELF key: one or more of
// A-Z, a-z, 0-9 and '_'. Wider key alphabets are cut short by some parsers
// (Lire stops at '.' and '-').
func ValidKey(key string) bool {
	if key == "" {
		return false
	}
	for i := 0; i < len(key); i++ {
		if !isKeyByte(key[i]) {
			return false
		}
	}
	return true
}

// AppendSanitizedKey appends key to dst with every byte outside
// [A-Za-z0-9_] replaced by '_', so that foreign keys can be passed through.
// An empty key becomes "_". Distinct keys may map to the same result.
func AppendSanitizedKey(dst, key []byte) []byte {
	if len(key) == 0 {
		return append(dst, '_')
	}
	for _, c := range key {
		if !isKeyByte(c) {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

func isKeyByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
}
