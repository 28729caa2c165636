package userinfo

import (
	"bytes"
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/userinfo/userinfotest"
)

func TestRedact(t *testing.T) {
	for _, tt := range append(userinfotest.Spellings[:len(userinfotest.Spellings):len(userinfotest.Spellings)], userinfotest.Normalized...) {
		if !MayHold([]byte(tt.In)) {
			t.Errorf("MayHold(%q) = false", tt.In)
		}
		got := string(Redact(nil, []byte(tt.In)))
		if got != tt.Out {
			t.Errorf("Redact(%q) = %q, want %q", tt.In, got, tt.Out)
		}
		if again := string(Redact(nil, []byte(got))); again != got {
			t.Errorf("Redact(%q) = %q, not idempotent", got, again)
		}
	}
	// Left alone: no '@' in any spelling, or no ':' before it.
	for _, s := range []string{"http://host.example:8080/a:b", "http://u@host.example/", "/a/b%3Ac", "user@example.com", "http:@h", "http://h/%4",
		"http://u:Pw9Secret%2%340host.example/x", "http://u:Pw9/Secret@host.example/x", "http://h/\xef\xbc"} {
		if got := string(Redact(nil, []byte(s))); got != s {
			t.Errorf("Redact(%q) = %q, want it unchanged", s, got)
		}
	}
}

// TestMayHoldURL: free text is redacted only when it holds an '@' and a
// sign of a URL.
func TestMayHoldURL(t *testing.T) {
	for _, s := range []string{
		"see http://u:p@h/x", `GET http:\\u:p@h`, `a\b:c@d`, "//u:p@h", "u%3Ap%40h", "u:p%2540h", "WSS:u:p@h", "x hTtP:u:p@h",
		"ftp:a@b", "a@b file:", `{"u":"http:\/\/u:p@h"}`,
	} {
		if !MayHoldURL([]byte(s)) {
			t.Errorf("MayHoldURL(%q) = false", s)
		}
	}
	for _, s := range []string{
		"", "value 'x': a@b", "r:p@host", "mailto:a:b@c", "u:p@h:8080", "http://h/x", `a\b`, "50% off: a@b", "%3A%41", "httpx@y:z", "user@example.com",
	} {
		if MayHoldURL([]byte(s)) {
			t.Errorf("MayHoldURL(%q) = true", s)
		}
	}
}

// TestLastAt: the host of an authority starts after its last '@', in any
// spelling.
func TestLastAt(t *testing.T) {
	for _, tt := range []struct {
		in   string
		host string
	}{
		{"u:p@h:80", "h:80"}, {"u%40v@h", "h"}, {"u@v%40h", "h"}, {"u%2540h", "h"}, {"h", "h"}, {"u%4", "u%4"},
	} {
		host := tt.in
		if at := LastAt(tt.in); at >= 0 {
			host = tt.in[at+AtLen(tt.in, at):]
		}
		if host != tt.host {
			t.Errorf("host of %q = %q, want %q", tt.in, host, tt.host)
		}
	}
}

// FuzzRedact: whatever surrounds a password between a ':' and an '@' (in
// any spelling) of one authority, Redact removes it, is idempotent, and
// leaves text MayHold rejects as it is; MayHoldURL implies MayHold.
func FuzzRedact(f *testing.F) {
	for _, tt := range append(userinfotest.Spellings[:len(userinfotest.Spellings):len(userinfotest.Spellings)], userinfotest.Normalized...) {
		i := strings.Index(tt.In, userinfotest.Secret)
		if i < 0 { // the password is spelled apart
			continue
		}
		f.Add([]byte(tt.In[:i]), []byte(userinfotest.Secret), []byte(tt.In[i+len(userinfotest.Secret):]))
	}
	f.Add([]byte("http://u:"), []byte("P,w;d"), []byte("@h/"))
	f.Add([]byte("http://h/%3"), []byte("Apw"), []byte("%40h/"))
	f.Fuzz(func(t *testing.T, before, password, after []byte) {
		text := append(append(bytes.Clone(before), password...), after...)
		got := Redact(nil, text)
		if again := Redact(nil, got); !bytes.Equal(again, got) {
			t.Fatalf("Redact(%q) = %q, not idempotent: %q", text, got, again)
		}
		if !MayHold(text) && !bytes.Equal(got, text) {
			t.Fatalf("Redact(%q) = %q, but MayHold is false", text, got)
		}
		if MayHoldURL(text) && !MayHold(text) {
			t.Fatalf("MayHoldURL(%q) but not MayHold", text)
		}
		// A password: within one authority, distinctive, once, between a
		// ':' and an '@' in any spelling.
		if len(password) < 3 || bytes.ContainsAny(password, "/?#") || !bytes.ContainsAny(password, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ||
			bytes.Count(text, password) != 1 {
			return
		}
		if !hasAny(before, bytes.HasSuffix, ":", "%3A", "%3a", "%253A", "%25%33%41", "%3\tA", "\uff1a", "\ufe55", "\ufe13") {
			return
		}
		if !hasAny(after, bytes.HasPrefix, "@", "%40", "%2540", "%25%34%30", "%%34%30", "%4\t0", "\uff20", "\ufe6b") {
			return
		}
		if specialSchemeLen(text) == len(before) { // "http:P@h": a user, no password
			return
		}
		if bytes.Contains(got, password) {
			t.Fatalf("Redact(%q) = %q keeps the password %q", text, got, password)
		}
	})
}

// hasAny reports whether has(b, x) holds for one of xs.
func hasAny(b []byte, has func(b, x []byte) bool, xs ...string) bool {
	for _, x := range xs {
		if has(b, []byte(x)) {
			return true
		}
	}
	return false
}

// TestRedactAuthority: in text that can only be an authority, the user
// ends at the first colon, even after a scheme's name; what Redact already
// removes stays removed.
func TestRedactAuthority(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"gw01", "gw01"},
		{"u:pw@gw01", "u@gw01"},
		{"http:A00@", "http@"},
		{"http:u:pw@gw01", "http@gw01"},
		{"HTTPS%3Apw%40gw01", "HTTPS%40gw01"},
		{"http\uff1apw@gw01", "http@gw01"},
		{"u@gw01", "u@gw01"},
		{"gw01/a:b@c", "gw01/a@c"},
		{"http:\\\\u:pw@gw01", "http@gw01"},
	} {
		if got := string(RedactAuthority([]byte("x"), []byte(tt.in))); got != "x"+tt.want {
			t.Errorf("RedactAuthority(%q) = %q, want %q", tt.in, got, "x"+tt.want)
		}
	}
}
