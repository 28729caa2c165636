package airlock

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/userinfo"
	"github.com/welfbridge/welfbridge/internal/userinfo/userinfotest"
)

// urlFields are the Airlock fields whose WELF field holds a URL or a host,
// with that WELF key: their values lose URL passwords in any spelling.
var urlFields = []struct{ field, key string }{
	{"entry_path", "arg"},
	{"http_referrer", "ref"},
	{"vhost", "dstname"},
	{"back_host", "back_host"},
	{"backend_url", "backend_url"},
	{"http_redirect_url", "http_redirect_url"},
	{"client_ip", "unvalidated_src"},
	{"vhost_ip", "unvalidated_dst"},
}

// welfOfJSON decodes the record fields (a JSON object) and returns its WELF
// fields as recorded.
func welfOfJSON(t testing.TB, fields map[string]string) string {
	t.Helper()
	line, err := json.Marshal(fields)
	if err != nil {
		t.Fatal(err)
	}
	var r Record
	if err := ParseLine(line, &r); err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return welfOf(&r)
}

// TestURLFieldPasswords: every spelling (those that take a normalization
// too) in every field that holds a URL or a host loses its password and
// keeps its user; so does entry_query in arg, and entry_url where arg is
// made of it.
func TestURLFieldPasswords(t *testing.T) {
	for _, tt := range append(userinfotest.Spellings[:len(userinfotest.Spellings):len(userinfotest.Spellings)], userinfotest.Normalized...) {
		for _, f := range urlFields {
			got := welfOfJSON(t, map[string]string{"log_id": "WR-SG-X", f.field: tt.In})
			want := "str " + f.key + "=" + show([]byte(tt.Out)) + "\nstr log_id=WR-SG-X\n"
			switch f.key {
			case "ref":
				want = strings.Replace(want, "str ref", "text ref", 1)
			case "back_host", "backend_url", "http_redirect_url": // extensions
				want = "str log_id=WR-SG-X\nstr " + f.key + "=" + show([]byte(tt.Out)) + "\n"
			}
			if got != want {
				t.Errorf("%s %q:\n got %s want %s", f.field, tt.In, got, want)
			}
		}
		got := welfOfJSON(t, map[string]string{"log_id": "WR-SG-X", "entry_path": "/p", "entry_query": "next=" + tt.In})
		// After "next=" a scheme is no longer at the start: the rule may take
		// more than the password.
		arg := userinfo.Redact(nil, []byte("/p?next="+tt.In))
		if want := "str arg=" + show(arg) + "\nstr log_id=WR-SG-X\n"; got != want || strings.Contains(got, userinfotest.Secret) {
			t.Errorf("entry_query %q:\n got %s want %s", tt.In, got, want)
		}
		if got := welfOfJSON(t, map[string]string{"log_id": "WR-SG-X", "entry_url": tt.In}); strings.Contains(got, userinfotest.Secret) {
			t.Errorf("entry_url %q: %s", tt.In, got)
		}
	}
}

// TestTextFieldPasswords: in any other field, standard, extension or
// passed through (value and key), a value that looks like it holds a URL
// loses its passwords; free text without a sign of a URL stays as it is.
func TestTextFieldPasswords(t *testing.T) {
	for _, tt := range []struct{ in, out string }{
		{"see http://u:Pw9Secret@host.example/x", "see http://u@host.example/x"},
		{`GET http:\\u:Pw9Secret@host.example/`, `GET http@host.example/`}, // the scheme is not at the start: "GET http" is the user
		{"HTTP:u:Pw9Secret@host.example", "HTTP:u@host.example"},
		{"to //u:Pw9Secret@host.example/x", "to //u@host.example/x"},
		{"http://[u:Pw9Secret@host.example]/x", "http://[u@host.example]/x"},
		{"http://u:Pw9Secret@[2001:db8::1]:8080/x", "http://u@[2001:db8::1]:8080/x"},
		{"u%3APw9Secret%40host.example", "u%40host.example"},
		{"u:Pw9Secret%2540host.example", "u%2540host.example"},
		{"value 'x': a@b", "value 'x': a@b"},
		{"r:Pw9@host.example", "r:Pw9@host.example"},
		{"mail a:b@c.example, 50% off", "mail a:b@c.example, 50% off"},
	} {
		for _, f := range []struct{ field, key string }{
			{"message", "text msg"}, {"http_user_agent", "text agent"}, {"reason", "text reason"}, {"mapping", "str mapping"},
			{"tls_client_dn", "text x_tls_client_dn"}, {"note", "text note"}, {"src", "text x_src"},
		} {
			got := welfOfJSON(t, map[string]string{"log_id": "WR-SG-X", f.field: tt.in})
			want := "str log_id=WR-SG-X\n" + f.key + "=" + tt.out + "\n"
			if strings.HasPrefix(f.key, "text msg") || strings.HasPrefix(f.key, "text agent") {
				want = f.key + "=" + tt.out + "\nstr log_id=WR-SG-X\n"
			}
			if got != want {
				t.Errorf("%s %q:\n got %s want %s", f.field, tt.in, got, want)
			}
		}
	}
	// A key is free text too.
	got := welfOfJSON(t, map[string]string{"log_id": "WR-SG-X", "http://u:Pw9Secret@host.example/x": "v", "r:Pw9@h": "w"})
	if want := "str log_id=WR-SG-X\ntext http___u_host_example_x=v\ntext r_Pw9_h=w\n"; got != want {
		t.Errorf("keys:\n got %s want %s", got, want)
	}
}

// TestBackendMessagePassword: a message composed with the error code is
// redacted as a whole.
func TestBackendMessagePassword(t *testing.T) {
	got := welfOfJSON(t, map[string]string{"log_id": "WR-SG-BACK-001", "message": "connect to http://u:Pw9Secret@b.example/ failed", "error_code": "7"})
	if want := "text msg=connect to http://u@b.example/ failed (error_code 7)\nstr log_id=WR-SG-BACK-001\n"; got != want {
		t.Errorf("got %s want %s", got, want)
	}
}

// FuzzNoURLPasswordInWELF: a URL password, whatever surrounds it, in any
// field of an Airlock record (known or not) or in a key, never appears in
// the WELF written for it. A field that holds a URL or a host takes any
// text for one ("r:p@host" as a Referer); elsewhere the URL starts with a
// special scheme or "//", as a URL in free text does.
func FuzzNoURLPasswordInWELF(f *testing.F) {
	for i, tt := range userinfotest.Spellings {
		j := strings.Index(tt.In, userinfotest.Secret)
		if j < 0 {
			continue
		}
		f.Add([]byte("x "), []byte(tt.In[:j]), []byte(userinfotest.Secret), []byte(tt.In[j+len(userinfotest.Secret):]), byte(i))
	}
	f.Add([]byte(""), []byte("HTTP://u%3A"), []byte("Pw9Secret"), []byte("%40host.example/x"), byte(200))
	f.Fuzz(func(t *testing.T, prefix, before, password, after []byte, where byte) {
		url := string(before) + string(password) + string(after)
		// The password must hold a letter no hex digit is, or it could be
		// found by coincidence in the \xNN escape of a byte around it.
		ok := len(password) >= 3 && len(prefix)+len(url) <= 512 && strings.Count(string(prefix)+url, string(password)) == 1 &&
			bytes.ContainsAny(password, "GHIJKLMNOPQRSTUVWXYZ") &&
			(bytes.HasSuffix(before, []byte(":")) || bytes.HasSuffix(before, []byte("%3A"))) &&
			(bytes.HasPrefix(after, []byte("@")) || bytes.HasPrefix(after, []byte("%40")))
		for _, c := range password {
			ok = ok && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._~!$&'()*+,;%-:@", c) >= 0)
		}
		if !ok {
			return
		}
		// Where: a known field, an unknown one, or a key.
		fields := map[string]string{"log_id": "WR-SG-SUMMARY", "entry_path": "/a"}
		n := int(where) % (int(NumFields) + 2)
		key := "note"
		if n < int(NumFields) {
			key = Field(n).Name()
		}
		urlField := false
		for _, uf := range urlFields {
			urlField = urlField || uf.field == key
		}
		if key == "entry_url" || key == "entry_query" {
			urlField = true
			delete(fields, "entry_path")
		}
		text := string(prefix) + url
		if !urlField || len(prefix) > 0 {
			if !isURLStart(before) {
				return
			}
		}
		if n == int(NumFields)+1 {
			fields[text] = "v"
		} else {
			fields[key] = text
		}
		line, err := json.Marshal(fields)
		if err != nil {
			return // not UTF-8
		}
		var r Record
		if ParseLine(line, &r) != nil {
			return
		}
		// The fields as written, not as quoted for display: a quoted \x00
		// followed by "X" must not pass for a password "00X".
		var w recorder
		r.WriteWELF(&w)
		out := strings.Join(w.raw, "\n")
		sanitized := bytes.Map(func(c rune) rune {
			if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
				return c
			}
			return '_'
		}, password)
		if strings.Contains(out, string(password)) || n == int(NumFields)+1 && strings.Contains(out, string(sanitized)) {
			t.Fatalf("password %q of %q in %s:\n%s", password, text, key, welfOf(&r))
		}
	})
}

// isURLStart reports whether b starts like a URL: a special scheme and ':',
// any case, or "//".
func isURLStart(b []byte) bool {
	if bytes.HasPrefix(b, []byte("//")) {
		return true
	}
	scheme, _, found := bytes.Cut(b, []byte(":"))
	if !found {
		return false
	}
	switch string(bytes.ToLower(scheme)) {
	case "http", "https", "ws", "wss", "ftp", "file":
		return true
	}
	return false
}

// TestRedactorStrings: string values take the same rule as byte values.
func TestRedactorStrings(t *testing.T) {
	var w recorder
	d := redactor{w: &w}
	d.Str("ref", "r:Pw9Secret@host.example")
	d.Text("note", "see //u:Pw9Secret@host.example/")
	d.Str("note", "a:b@c")
	d.Text("msg", "50%")
	want := "str ref=r@host.example\ntext note=see //u@host.example/\nstr note=a:b@c\ntext msg=50%"
	if got := strings.Join(w.lines, "\n"); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestMayHoldAt: the word-at-a-time scan finds '@', '%' and 0xef at every
// position and length, in strings and byte slices, and nothing else: not
// the bytes next to them nor their high-bit twins.
func TestMayHoldAt(t *testing.T) {
	for _, filler := range []byte{'a', '?', 'A', '$', '&', 0xc0, 0xa5, 0xee, 0xf0, 0x6f, 0x00, 0xff} {
		for n := 0; n <= 20; n++ {
			for i := -1; i < n; i++ {
				for _, c := range []byte{'@', '%', 0xef, '?', 'A', 0x40 ^ 0x80, 0x25 ^ 0x80, 0x6f} {
					b := bytes.Repeat([]byte{filler}, n)
					if i >= 0 {
						b[i] = c
					}
					want := bytes.ContainsAny(b, "@%") || bytes.IndexByte(b, 0xef) >= 0
					if got := mayHoldAt(b); got != want {
						t.Fatalf("mayHoldAt(%q) = %v, want %v", b, got, want)
					}
					if got := mayHoldAt(string(b)); got != want {
						t.Fatalf("mayHoldAt(string %q) = %v, want %v", b, got, want)
					}
				}
			}
		}
	}
}
