package mwg

import (
	"bytes"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/userinfo"
	"github.com/welfbridge/welfbridge/internal/userinfo/userinfotest"
)

// The password and the URL spellings of every test here.
const secret = userinfotest.Secret

var passwordSpellings = append(userinfotest.Spellings[:len(userinfotest.Spellings):len(userinfotest.Spellings)], userinfotest.Normalized...)

// passwordTraces places url in every field a trace can carry it to: the
// request target (absolute, origin form, CONNECT), Host, Referer,
// User-Agent, X-Forwarded-For, Forwarded, Location, Upgrade, the ICAP
// target, its encapsulated request and X-Client-IP, FTP USER, CWD, RETR and
// a PWD reply.
func passwordTraces(url string) map[string]string {
	return map[string]string{
		"HTTP-1-C.txt": ">>>\nGET " + url + " HTTP/1.1\nHost: " + url + "\nReferer: " + url + "\nUser-Agent: x " + url +
			"\nX-Forwarded-For: " + url + ", 192.0.2.1\nForwarded: for=\"" + url + "\"\n\n<<<\nHTTP/1.1 302 Found\nLocation: " + url +
			"\nContent-Length: 0\n\n>>>\nCONNECT " + url + " HTTP/1.1\nHost: " + url + "\n\n<<<\nHTTP/1.1 403 Forbidden\nContent-Length: 0\n\n" +
			">>>\nGET /a HTTP/1.1\nHost: " + url + "\nUpgrade: " + url + "\n\n<<<\nHTTP/1.1 101 Switching\nUpgrade: " + url + "\n\n",
		"HTTP-1-S.txt": ">>>\nGET " + url + " HTTP/1.1\nHost: host.example\nReferer: " + url + "\n\n<<<\nHTTP/1.1 200 OK\nContent-Length: 0\n\n",
		"ICAP-1-S.txt": ">>>\nREQMOD " + url + " ICAP/1.0\nHost: " + url + "\nX-Client-IP: " + url + "\nEncapsulated: req-hdr=0, null-body=60\n\nGET " + url +
			" HTTP/1.1\nHost: " + url + "\n\n<<<\nICAP/1.0 204 No Content\nEncapsulated: null-body=0\n\n",
		"ICAP-2-S.txt": ">>>\nREQMOD icap://i/r ICAP/1.0\nX-Authenticated-User: " + base64.StdEncoding.EncodeToString([]byte(url)) +
			"\nEncapsulated: null-body=0\n\n<<<\nICAP/1.0 204 No Content\n\n>>>\nREQMOD icap://i/r ICAP/1.0\nX-Authenticated-User: " + url +
			"\nEncapsulated: null-body=0\n\n<<<\nICAP/1.0 204 No Content\n\n",
		"FTP-1-CC.txt": "<<<\n220 ready\n>>>\nUSER " + url + "\n<<<\n331 pw\n>>>\nPASS x\n<<<\n230 ok\n>>>\nCWD " + url + "\n<<<\n250 ok\n>>>\nPWD\n<<<\n257 \"" + url +
			"\"\n>>>\nRETR " + url + "\n<<<\n550 no\n>>>\nDELE f\n<<<\n250 ok\n",
		"FTP-1-SC.txt": ">>>\nUSER " + url + "\n<<<\n530 no\n>>>\nUSER u:" + url + "\n<<<\n530 no\n",
	}
}

// checkNoPassword decodes the traces of url and fails when password appears
// in a string of a transaction or anything in one still looks like userinfo
// with a password.
func checkNoPassword(t *testing.T, url, password string, opts Options) {
	t.Helper()
	for file, trace := range passwordTraces(url) {
		txs := feedLines(t, file, opts, tailLines([]byte(trace), false))
		for _, tx := range txs {
			for _, s := range []string{tx.Method, tx.Target, tx.Path, tx.Host, tx.UserAgent, tx.Referer, tx.User, tx.ClientAddr, tx.Msg, tx.HTTP.Method, tx.HTTP.Target, tx.HTTP.Host} {
				if strings.Contains(s, password) {
					t.Fatalf("%s of %q: password %q in %s", file, url, password, format(tx))
				}
				if r := string(userinfo.Redact(nil, []byte(s))); r != s {
					t.Fatalf("%s of %q: %q still looks like it holds a password (%q) in %s", file, url, s, r, format(tx))
				}
			}
		}
	}
}

// TestNoPasswordInAnyField: every spelling in every place.
func TestNoPasswordInAnyField(t *testing.T) {
	for _, tt := range passwordSpellings {
		for _, mode := range []MarkerMode{MarkerAuto, MarkerDirection, MarkerRegion} {
			opts := DefaultOptions()
			opts.MarkerMode = mode
			checkNoPassword(t, tt.In, secret, opts)
		}
		checkCutPassword(t, tt.In)
	}
}

// checkCutPassword: url with its password cut by a read in the middle, as
// an FTP command argument and as a Referer: the first part ("Pw9S") reaches
// no field.
func checkCutPassword(t *testing.T, url string) {
	t.Helper()
	i := strings.Index(url, secret)
	if i < 0 { // spelled apart
		return
	}
	k := i + 4
	for file, trace := range map[string]string{
		"FTP-2-SC.txt": ">>>\nUSER bob\n<<<\n331 pw\n>>>\nPASS x\n<<<\n230 ok\n>>>\nRETR " + url[:k] + "\n>>>\n" + url[k:] + "\n<<<\n226 ok\n",
		"HTTP-2-C.txt": ">>>\nGET /x HTTP/1.1\nHost: h.example\nReferer: " + url[:k] + "\n>>>\n" + url[k:] + "\n\n<<<\nHTTP/1.1 204 No Content\n\n",
	} {
		for _, tx := range feedLines(t, file, DefaultOptions(), tailLines([]byte(trace), false)) {
			if got := format(tx); strings.Contains(got, secret[:4]) {
				t.Errorf("%s of %q cut after %q: %s", file, url, url[:k], got)
			}
		}
	}
}

// TestUserinfoHost: the host of a URL is what follows its userinfo, and a
// URL whose host is not valid gives none (the Host header does).
func TestUserinfoHost(t *testing.T) {
	trace := func(url, host string) [][]byte {
		return tailLines([]byte(">>>\nGET "+url+" HTTP/1.1\nHost: "+host+"\n\n<<<\nHTTP/1.1 204 No Content\n\n"), false)
	}
	for _, tt := range []struct{ url, host, want string }{
		{"http://u:p@host.example:8080/x", "other.example", `HTTP-1-C #0 http method="GET" target="http://u@host.example:8080/x" path="/x" host="host.example" port=8080 status=204 req=65 resp=25 complete`},
		{"http://u:p@[2001:db8::1]/x", "other.example", `HTTP-1-C #0 http method="GET" target="http://u@[2001:db8::1]/x" path="/x" host="2001:db8::1" port=80 status=204 req=61 resp=25 complete`},
		{"http://[u:p@host.example]/x", "host.example", `HTTP-1-C #0 http method="GET" target="http://[u@host.example]/x" path="/x" host="host.example" port=80 status=204 req=61 resp=25 msg="malformed host in URL" complete`},
		{"/x", "u:p@host.example:81", `HTTP-1-C #0 http method="GET" target="/x" path="/x" host="host.example" port=81 status=204 req=43 resp=25 complete`},
		{"/x", "[u:p@host.example]", `HTTP-1-C #0 http method="GET" target="/x" path="/x" port=80 status=204 req=42 resp=25 msg="malformed Host header" complete`},
		{"/x", "[::1]:8080", `HTTP-1-C #0 http method="GET" target="/x" path="/x" host="::1" port=8080 status=204 req=34 resp=25 complete`},
	} {
		got := formatAll(feedLines(t, "HTTP-1-C.txt", DefaultOptions(), trace(tt.url, tt.host)))
		if got != lines(tt.want) {
			t.Errorf("%s with Host %s:\n got %s want %s", tt.url, tt.host, got, lines(tt.want))
		}
	}
}

// FuzzURLPassword: whatever surrounds a password in a URL-like string, and
// wherever that string is placed in a trace, no transaction carries the
// password, and nothing in one still looks like userinfo with a password.
// schemeOnly matches a URL scheme and its ':' alone (RFC 3986's grammar).
var schemeOnly = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]*:$`)

func FuzzURLPassword(f *testing.F) {
	for _, tt := range passwordSpellings {
		i := strings.Index(tt.In, secret)
		if i < 0 { // the password is spelled apart
			continue
		}
		f.Add([]byte(tt.In[:i]), []byte(secret), []byte(tt.In[i+len(secret):]), byte(0))
	}
	f.Add([]byte("http://u:"), []byte("P,w;d"), []byte("@h/"), byte(1))
	f.Add([]byte("http://h/%3"), []byte("Apw"), []byte("%40h/"), byte(2))
	f.Fuzz(func(t *testing.T, before, password, after []byte, mode byte) {
		url := string(before) + string(password) + string(after)
		// The password must be one: inside an authority, and distinctive
		// enough not to appear in the output by coincidence.
		if len(password) < 3 || bytes.ContainsAny(password, "/?#\r\n") || !bytes.ContainsAny(password, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") ||
			strings.ContainsAny(url, "\r\n") || strings.Count(url, string(password)) != 1 || len(url) > 512 {
			return
		}
		// A URL parser finds a password only between a ':' and an '@' of one
		// authority; what fuzzing puts around it may make it none, but the
		// property must hold anyway when it is one.
		// ':' ends before, as in every seed ("" has none: then it is no password)
		if !bytes.HasSuffix(before, []byte(":")) && !bytes.HasSuffix(before, []byte("%3A")) && !bytes.HasSuffix(before, []byte("%3a")) {
			return
		}
		if !bytes.HasPrefix(after, []byte("@")) && !bytes.HasPrefix(after, []byte("%40")) {
			return
		}
		// A ':' that ends the scheme is not userinfo's: in "http:A00@h" the
		// authority holds the user A00 and no password.
		if schemeOnly.Match(before) {
			return
		}
		checkNoPassword(t, url, string(password), fuzzOptions(mode))
	})
}

// TestFTPUserPassword: "USER user:password", with or without a host, keeps
// only the user.
func TestFTPUserPassword(t *testing.T) {
	for file, arg := range map[string]string{"FTP-1-SC.txt": "alice:" + secret, "FTP-1-CC.txt": "alice:" + secret + "@ftp.example.net"} {
		got := run(t, file, DefaultOptions(), ">>>\nUSER "+arg+"\n<<<\n530 no\n")
		if strings.Contains(got, secret) || !strings.Contains(got, `user="alice"`) {
			t.Errorf("%s: %s", file, got)
		}
	}
}
