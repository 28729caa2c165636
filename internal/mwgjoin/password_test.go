package mwgjoin

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// FuzzNoURLPasswordInWELF: a URL password, whatever surrounds it and
// wherever the URL stands in the traces of a connection (request targets
// on both sides, Host, Referer, User-Agent, Location, ICAP, FTP), never
// appears in the WELF written for them.
func FuzzNoURLPasswordInWELF(f *testing.F) {
	f.Add([]byte("http://u:"), []byte("Pw9Secret"), []byte("@host.example/x"))
	f.Add([]byte(`http:\\u:`), []byte("Pw9Secret"), []byte("@host.example/x"))
	f.Add([]byte(`http:/\u:`), []byte("Pw9Secret"), []byte("@host.example/x"))
	f.Add([]byte("http:u:"), []byte("Pw9Secret"), []byte("@host.example/x"))
	f.Add([]byte("//u:"), []byte("Pw9Secret"), []byte("@host.example/x"))
	f.Add([]byte("http://[u:"), []byte("Pw9Secret"), []byte("@host.example]/x"))
	f.Add([]byte("http://h.example//u:"), []byte("Pw9Secret"), []byte("@h.example/x"))
	f.Add([]byte("r:"), []byte("Pw9Secret"), []byte("@host.example"))
	f.Add([]byte("HTTP://u%3A"), []byte("Pw9Secret"), []byte("%40host.example/x"))
	f.Add([]byte("http://u%3\tA"), []byte("Pw9Secret"), []byte("%25%34%30host.example/x"))
	f.Add([]byte("http://u\uff1a"), []byte("Pw9Secret"), []byte("\uff20host.example/x"))
	f.Fuzz(func(t *testing.T, before, password, after []byte) {
		url := string(before) + string(password) + string(after)
		// Passwords the WELF encoder writes as they are, distinctive enough
		// not to appear by coincidence (not even in the \xNN escape of a
		// byte around them: a letter no hex digit is), between a ':' and an
		// '@'.
		ok := len(password) >= 3 && len(url) <= 512 && !strings.ContainsAny(url, "\r\n") && strings.Count(url, string(password)) == 1 &&
			bytes.ContainsAny(password, "GHIJKLMNOPQRSTUVWXYZ") &&
			hasAny(before, bytes.HasSuffix, ":", "%3A", "%253A", "%25%33%41", "%3\tA", "\uff1a", "\ufe55") &&
			hasAny(after, bytes.HasPrefix, "@", "%40", "%2540", "%25%34%30", "%%34%30", "%4\t0", "\uff20", "\ufe6b")
		for _, c := range password {
			ok = ok && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._~!$&'()*+,;%-:@", c) >= 0)
		}
		if !ok {
			return
		}
		fd := newFeeder(t, recordTime())
		for path, trace := range map[string]string{
			"/t/HTTP-1-C.txt": ">>>\nGET " + url + " HTTP/1.1\nHost: " + url + "\nReferer: " + url + "\nUser-Agent: " + url + "\n\n<<<\nHTTP/1.1 302 Found\nLocation: " + url + "\nContent-Length: 0\n\n",
			"/t/HTTP-1-S.txt": ">>>\nGET " + url + " HTTP/1.1\nHost: host.example\nReferer: " + url + "\n\n<<<\nHTTP/1.1 302 Found\nContent-Length: 0\n\n",
			"/t/ICAP-2-S.txt": ">>>\nREQMOD " + url + " ICAP/1.0\nHost: " + url + "\nEncapsulated: req-hdr=0, null-body=60\n\nGET " + url + " HTTP/1.1\nHost: " + url + "\n\n<<<\nICAP/1.0 204 No Content\n\n",
			"/t/FTP-3-CC.txt": ">>>\nUSER " + url + "\n<<<\n331 pw\n>>>\nCWD " + url + "\n<<<\n250 ok\n>>>\nRETR " + url + "\n<<<\n550 no\n",
		} {
			for line := range strings.SplitSeq(strings.TrimSuffix(trace, "\n"), "\n") {
				fd.add(path, -1, []byte(line), t0)
			}
		}
		// A password holds no '\\', so no \xNN escape of a byte around it
		// can be part of it: escapes are blanked first, lest "\x00"
		// followed by "X" pass for a password "00X".
		if out := fd.drain(); strings.Contains(hexEscape.ReplaceAllString(out, "\\"), string(password)) {
			t.Fatalf("password %q of %q in:\n%s", password, url, out)
		}
	})
}

var hexEscape = regexp.MustCompile(`\\x[0-9a-f]{2}`)

// hasAny reports whether has(b, x) holds for one of xs.
func hasAny(b []byte, has func(b, x []byte) bool, xs ...string) bool {
	for _, x := range xs {
		if has(b, []byte(x)) {
			return true
		}
	}
	return false
}
