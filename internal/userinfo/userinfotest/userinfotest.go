// Package userinfotest holds URL spellings with a password, and what
// userinfo.Redact leaves of them, for the tests of every source.
package userinfotest

// Secret is the password in Spellings.
const Secret = "Pw9Secret"

// Spellings are URLs (and things servers take for URLs) with the
// password Secret, in the spellings browsers and servers accept (WHATWG URL
// parsing, RFC 3986 references, percent-decoding servers), each with what
// userinfo.Redact leaves of it.
var Spellings = []struct{ In, Out string }{
	{"http://u:Pw9Secret@host.example/x", "http://u@host.example/x"},
	{"HTTP://u:Pw9Secret@host.example/x", "HTTP://u@host.example/x"},
	{`http:\\u:Pw9Secret@host.example/x`, `http:\\u@host.example/x`},
	{`http:/\u:Pw9Secret@host.example/x`, `http:/\u@host.example/x`},
	{`http:\/u:Pw9Secret@host.example/x`, `http:\/u@host.example/x`},
	{"http:u:Pw9Secret@host.example/x", "http:u@host.example/x"},
	{"hTtPs:u:Pw9Secret@host.example/x", "hTtPs:u@host.example/x"},
	{"ws:///u:Pw9Secret@host.example/x", "ws:///u@host.example/x"},
	{"//u:Pw9Secret@host.example/x", "//u@host.example/x"},
	{"http://[u:Pw9Secret@host.example]/x", "http://[u@host.example]/x"},
	{"http://u:Pw9Secret@[2001:db8::1]:8080/x", "http://u@[2001:db8::1]:8080/x"},
	{"http://h.example//u:Pw9Secret@host.example/x", "http://h.example//u@host.example/x"},
	{"http://h.example/a?next=http://u:Pw9Secret@host.example/", "http://h.example/a?next=http://u@host.example/"},
	{"http://h.example/a?u:Pw9Secret@host.example", "http://h.example/a?u@host.example"},
	{"http://h.example/a#u:Pw9Secret@host.example", "http://h.example/a#u@host.example"},
	{"r:Pw9Secret@host.example", "r@host.example"},
	{"http://u%3APw9Secret@host.example/x", "http://u@host.example/x"},
	{"http://u%3aPw9Secret@host.example/x", "http://u@host.example/x"},
	{"http://u:Pw9Secret%40host.example/x", "http://u%40host.example/x"},
	{"http://u%253APw9Secret@host.example/x", "http://u@host.example/x"},
	{"http://u:Pw9Secret%2540host.example/x", "http://u%2540host.example/x"},
	{"http://u:Pw9%40Secret@host.example/x", "http://u@host.example/x"},
	{"http://u:Pw9@Secret@host.example/x", "http://u@host.example/x"},
	{"http://u@v:Pw9Secret@host.example/x", "http://u@v@host.example/x"},
	{"http://u:Pw9:Secret@host.example/x", "http://u@host.example/x"},
	{"http://:Pw9Secret@host.example/x", "http://@host.example/x"},
	{`foo://u:Pw9\Secret@host.example/x`, "foo://u@host.example/x"},
	{"http://u:Pw9 Secret@host.example/x", "http://u@host.example/x"},
	{"http://u:Pw9\tSecret@host.example/x", "http://u@host.example/x"},
	{"ftp://u:Pw9Secret@ftp.example/pub/f", "ftp://u@ftp.example/pub/f"},
	{"icap://u:Pw9Secret@icap.example/reqmod", "icap://u@icap.example/reqmod"},
	{"mailto:u:Pw9Secret@host.example", "mailto@host.example"},
	{"http://http:Pw9Secret@host.example/x", "http://http@host.example/x"},
	{"x/http:Pw9Secret@host.example/x", "x/http@host.example/x"},
	{"u:Pw9Secret@host.example:8080", "u@host.example:8080"},
}

// Normalized are spellings that need a normalization before a parser sees
// the password (tabs and line breaks WHATWG URL parsing removes anywhere,
// digits percent-encoded in a second encoding, compatibility forms of ':'
// and '@' that NFKC or IDNA mapping turns into them), each with what
// userinfo.Redact leaves of it.
var Normalized = []struct{ In, Out string }{
	{"h\tttp://u:Pw9Secret@host.example/x", "h\tttp://u@host.example/x"},
	{"http:\tu:Pw9Secret@host.example/x", "http:\tu@host.example/x"},
	{"http://u%3\tAPw9Secret@host.example/x", "http://u@host.example/x"},
	{"http://u:Pw9Secret%4\t0host.example/x", "http://u%4\t0host.example/x"},
	{"http://u%25%33%41Pw9Secret@host.example/x", "http://u@host.example/x"},
	{"http://u:Pw9Secret%25%34%30host.example/x", "http://u%25%34%30host.example/x"},
	{"http://u:Pw9Secret%%34%30host.example/x", "http://u%%34%30host.example/x"},
	{"http://u:Pw9Secret%%340host.example/x", "http://u%%340host.example/x"},
	{"http://u\uff1aPw9Secret\uff20host.example/x", "http://u\uff20host.example/x"},
	{"http://u\ufe55Pw9Secret\ufe6bhost.example/x", "http://u\ufe6bhost.example/x"},
	{"http://u\ufe13Pw9Secret@host.example/x", "http://u@host.example/x"},
	{"http://u:Pw9Secret\uff20host.example/x", "http://u\uff20host.example/x"},
}
