package airlock

import (
	"bytes"
	"encoding/json"

	"github.com/welfbridge/welfbridge/internal/ascii"
)

// redactedValue replaces the value of a pass-through field whose key names
// a secret (namesSecret).
const redactedValue = "<redacted>"

// namesSecret reports whether the WELF key of an unknown field (after its
// URL passwords are removed and it is sanitised, see extraKey) names a
// credential, so that its value must not reach the output: the key, lower
// case and without anything but letters and digits ("X_Api_Key" is
// "xapikey"), contains one of secretWords or is one of secretKeys. The
// rule is wide on purpose: hiding a value that was no secret ("tokenizer")
// costs less than leaking one.
func namesSecret[T ~string | ~[]byte](key T) bool {
	var buf [64]byte
	norm := buf[:0]
	for i := range len(key) {
		c := ascii.Lower(key[i])
		if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
			norm = append(norm, c) // may grow past buf for long keys: rare
		}
	}
	for _, w := range secretKeys {
		if string(norm) == w {
			return true
		}
	}
	for _, w := range secretWords {
		if bytes.Contains(norm, []byte(w)) {
			return true
		}
	}
	return false
}

// secretWords make any key that contains them name a secret; secretKeys
// only when they are the whole key.
var (
	secretWords = [...]string{"password", "passwd", "passphrase", "secret", "token", "apikey",
		"authorization", "cookie", "credential", "privatekey", "privkey", "bearer", "jwt", "sessionid"}
	secretKeys = [...]string{"auth", "pass", "pwd", "pw", "pin", "otp", "sid", "session"}
)

// AppendRedactedSecrets appends text to dst with the value of every JSON
// member whose key names a secret (namesSecret) replaced by
// "<redacted>": for JSON text that is passed through whole (a nested
// value, a line that was not decoded). text need not be valid JSON: every
// '"' followed by ':' (white space between allowed) is taken for the end
// of a key that starts at the '"' before it, so that no stray quote can
// hide a key; the whole value is replaced: a string up to its closing
// quote, an object or array up to its closing bracket, any other text up
// to ',', '}', ']' or a line end. Text without a key that names a secret
// is appended unchanged.
func AppendRedactedSecrets(dst, text []byte) []byte {
	run := 0
	for i := 0; i < len(text); i++ {
		if text[i] != '"' || escaped(text, i) {
			continue
		}
		colon := skipSpace(text, i+1)
		if colon == len(text) || text[colon] != ':' {
			continue
		}
		open := bytes.LastIndexByte(text[:i], '"')
		for open > 0 && escaped(text, open) {
			open = bytes.LastIndexByte(text[:open], '"')
		}
		if open < run || !keyNamesSecret(text[open+1:i]) {
			continue
		}
		start := skipSpace(text, colon+1)
		end := valueEnd(text, start)
		if end == start {
			continue // no value
		}
		dst = append(append(dst, text[run:start]...), `"`+redactedValue+`"`...)
		run, i = end, end-1
	}
	return append(dst, text[run:]...)
}

// escaped reports whether text[i] follows an odd number of backslashes.
func escaped(text []byte, i int) bool {
	n := 0
	for i > 0 && text[i-1] == '\\' {
		n, i = n+1, i-1
	}
	return n%2 == 1
}

// valueEnd returns the end of the value at text[start:]: after the closing
// quote of a string or the bracket that closes an object or array (strings
// inside skipped), the end of text if there is none; else before the first
// ',', '}', ']' or line end.
func valueEnd(text []byte, start int) int {
	depth := 0
	for i := start; i < len(text); i++ {
		switch c := text[i]; {
		case c == '"':
			i = stringEnd(text, i) - 1
		case c == '{' || c == '[':
			depth++
		case depth > 0 && (c == '}' || c == ']'):
			depth--
		case depth == 0 && (c == ',' || c == '}' || c == ']' || c == '\n' || c == '\r'):
			return i
		}
		if depth == 0 && (text[i] == '"' || text[i] == '}' || text[i] == ']') {
			return i + 1
		}
	}
	return len(text)
}

// stringEnd returns the index after the quote that closes the string
// opening at text[open], or len(text).
func stringEnd(text []byte, open int) int {
	for i := open + 1; i < len(text); i++ {
		if text[i] == '"' && !escaped(text, i) {
			return i + 1
		}
	}
	return len(text)
}

// keyNamesSecret is namesSecret for a key as JSON text, escapes undone
// first so that "pass\u0077ord" is caught.
func keyNamesSecret(raw []byte) bool {
	if bytes.IndexByte(raw, '\\') < 0 {
		return namesSecret(raw)
	}
	var key string
	if json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &key) != nil {
		return namesSecret(raw)
	}
	return namesSecret(key)
}

// AppendRedactedSecretPairs appends text to dst with the value of every
// "key=value" and "Key: value" pair whose key names a secret
// (namesSecret) replaced by <redacted>: for text that is not decoded (a
// line forwarded as raw=), where a credential may stand in a header line
// ("Authorization: Basic …"), a query or a kv pair ("password=…"), not as
// a JSON member. The key is the run of letters, digits, '_', '-' and '.'
// before the '=' or ':'. A value in quotes (also \" inside a JSON string)
// runs to the closing quote; else, after '=', to white space or one of
// & ; , " ' \; after ':' (a header's value holds spaces), to a line end
// or '"' (also escaped as in JSON text: \n, \r, \"). Every pair is found
// in the text as it is, also inside the value of another, and overlapping
// values are replaced as one, so that no quote can end a value early and
// expose the next pair's.
func AppendRedactedSecretPairs(dst, text []byte) []byte {
	last := 0         // text[:last] is appended
	from, to := -1, 0 // the value being replaced, once from >= 0
	// The end of the last unquoted value scanned of each form, and where
	// that scan began: a value starting in between ends there too, which
	// keeps repeated pairs ("pw=pw=pw=…") linear.
	var scan [2]struct{ start, end int }
	for i := 0; i < len(text); i++ {
		sep := text[i]
		if sep != '=' && sep != ':' {
			continue
		}
		k := i
		for k > 0 && isKeyByte(text[k-1]) {
			k--
		}
		if k == i || !namesSecret(text[k:i]) {
			continue
		}
		start := i + 1
		if sep == ':' {
			start = skipBlanks(text, start)
		}
		end := start
		switch form := int(sep & 1); { // '=' is odd, ':' even
		case end < len(text) && (text[end] == '"' || text[end] == '\''):
			end = quotedEnd(text, end)
		case end+1 < len(text) && text[end] == '\\' && text[end+1] == '"': // quoted inside a JSON string
			if j := bytes.Index(text[end+2:], []byte(`\"`)); j >= 0 {
				end += 2 + j + 2
			} else {
				end = len(text)
			}
		case scan[form].start <= start && start < scan[form].end:
			end = scan[form].end
		default:
			for end < len(text) && !(sep == '=' && isPairEnd(text[end]) ||
				sep == ':' && headerEnd(text, end)) {
				end++
			}
			scan[form].start, scan[form].end = start, end
		}
		switch {
		case end == start:
		case from >= 0 && start <= to:
			to = max(to, end)
		default:
			if from >= 0 {
				dst = append(append(dst, text[last:from]...), redactedValue...)
				last = to
			}
			from, to = start, end
		}
	}
	if from >= 0 {
		dst = append(append(dst, text[last:from]...), redactedValue...)
		last = to
	}
	return append(dst, text[last:]...)
}

func isKeyByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.'
}

func isPairEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\n', '\r', '&', ';', ',', '"', '\'', '\\':
		return true
	}
	return false
}

// skipBlanks skips spaces and tabs, also tabs escaped as in JSON text.
func skipBlanks(text []byte, i int) int {
	for i < len(text) {
		switch {
		case text[i] == ' ' || text[i] == '\t':
			i++
		case text[i] == '\\' && i+1 < len(text) && text[i+1] == 't':
			i += 2
		default:
			return i
		}
	}
	return i
}

// headerEnd reports whether a header's value ends at text[i]: a line end,
// also one escaped as in JSON text, or a quote.
func headerEnd(text []byte, i int) bool {
	switch text[i] {
	case '\n', '\r', '"':
		return true
	case '\\':
		return i+1 < len(text) && (text[i+1] == 'n' || text[i+1] == 'r' || text[i+1] == '"')
	}
	return false
}

// quotedEnd returns the index after the quote that closes the one at
// text[open], or len(text).
func quotedEnd(text []byte, open int) int {
	if i := bytes.IndexByte(text[open+1:], text[open]); i >= 0 {
		return open + 1 + i + 1
	}
	return len(text)
}
