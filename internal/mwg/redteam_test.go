package mwg

import (
	"encoding/base64"
	"strings"
	"testing"
)

// Second red-team pass: instances found end to end, each kept as a class.

// TestICAPAuthenticatedUserNoPassword: X-Authenticated-User is read like
// Basic credentials: whatever stands behind a ':' of the user, in base64 or
// not, behind a scheme or not, never reaches user.
func TestICAPAuthenticatedUserNoPassword(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	tests := []struct{ value, user string }{
		{b64("WinNT://CORP/alice"), "CORP/alice"},
		{b64("LDAP://alice:s3cret"), "alice"},
		{b64("WinNT://alice:s3cret@CORP"), "alice"},
		{b64("alice:s3cret"), "alice"},
		{"alice:s3cret", "alice"},
		{b64("http://alice:s3cret@h/"), "alice"},
		{b64("Local://al%3Aice:s3cret"), "al%3Aice"},
		{b64("Local://:s3cret"), ""},
	}
	for i, tt := range tests {
		text := ">>>\nREQMOD icap://icap.example/reqmod ICAP/1.0\nHost: icap.example\nX-Authenticated-User: " + tt.value +
			"\nEncapsulated: req-hdr=0, null-body=40\n\nGET http://a.example/ HTTP/1.1\nHost: a.example\n\n<<<\nICAP/1.0 204 No Content\n\n"
		got := feedLines(t, "ICAP-7c0001-S.txt", DefaultOptions(), tailLines([]byte(text), false))
		if len(got) != 1 || got[0].User != tt.user || strings.Contains(formatAll(got), "s3cret") {
			t.Errorf("#%d %q: got\n%s want user=%q", i, tt.value, formatAll(got), tt.user)
		}
	}
}
