package airlock

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/welf"
)

// encodeFields writes r through a real welf.Builder after a fixed header and
// returns the decoded fields after the header, as "key=value" lines.
func encodeFields(t *testing.T, r *Record) string {
	t.Helper()
	var out []string
	for _, f := range decodeFields(t, r) {
		out = append(out, f.Key+"="+f.Value)
	}
	return strings.Join(out, "\n")
}

// decodeFields writes r as WELF and decodes it back: the fields after the
// header, values as they were before encoding.
func decodeFields(t *testing.T, r *Record) []welf.Field {
	t.Helper()
	b := welf.NewBuilder(welf.Options{Location: time.UTC})
	b.Begin(welf.Header{ID: "firewall", Time: time.Unix(0, 0), FW: "gw", Pri: 6})
	r.WriteWELF(b)
	rec, err := b.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	fields, err := welf.Decode(rec)
	if err != nil {
		t.Fatalf("Decode: %v\n%q", err, rec)
	}
	return fields[4:]
}

// TestKeyCollisions: every unknown field keeps its value, whatever key it
// shares with another after sanitising, with a standard field or with an
// extension written before it.
func TestKeyCollisions(t *testing.T) {
	long := strings.Repeat("k", 200)
	longKey := string(welf.AppendSanitizedKey(nil, []byte(long+"1")))
	longKey2 := string(welf.AppendSanitizedKey(nil, []byte(long+"2")))
	tests := []struct {
		name string
		kv   []string
		want []string
	}{
		{"issue example", []string{"a.b", "v1", "a b", "v2", "a_b", "v3", "src", "9.9.9.9", "x_src", "v4"},
			[]string{"a_b=v1", "a_b_2=v2", "a_b_3=v3", "x_src=9.9.9.9", "x_src_2=v4"}},
		{"numbered name taken by a later key", []string{"a-b", "1", "a.b", "2", "a_b_2", "3"},
			[]string{"a_b=1", "a_b_2=2", "a_b_2_2=3"}},
		{"extension written before", []string{"front_src", "x", "client_ip", "1.2.3.4", "front_src_ip", "5.6.7.8", "front_src_port", "9"},
			[]string{"src=1.2.3.4", "front_src=5.6.7.8:9", "x_front_src=x"}},
		{"standard names and partial", []string{"msg", "m", "partial", "p", "x_partial", "q", "id", "i", "extra_dropped", "d"},
			[]string{"x_msg=m", "x_partial=p", "x_partial_2=q", "x_id=i", "x_extra_dropped=d"}},
		{"known extension name", []string{"tls_proto", "forged", "front_tls_proto", "TLSv1.3"},
			[]string{"tls_proto=TLSv1.3", "x_tls_proto=forged"}},
		{"unvalidated name", []string{"unvalidated_src", "u", "client_ip", "a b"},
			[]string{"unvalidated_src=a b", "x_unvalidated_src=u"}},
		{"standard names in any case", []string{"SRC", "a", "Time", "b", "UNVALIDATED_DST", "c", "Tls_Proto", "d", "Unvalidated_" + strings.Repeat("Long", 10), "e"},
			[]string{"x_SRC=a", "x_Time=b", "x_UNVALIDATED_DST=c", "x_Tls_Proto=d", "x_Unvalidated_" + strings.Repeat("Long", 10) + "=e"}},
		{"generated names when nothing else has them", []string{"unvalidated_time", "t", "unvalidated_dst", "d", "tls_proto", "p", "vhost_addr", "v", "tls_client_dn", "c"},
			[]string{"x_unvalidated_time=t", "x_unvalidated_dst=d", "x_tls_proto=p", "x_vhost_addr=v", "x_tls_client_dn=c"}},
		{"empty and odd keys", []string{"", "e", "@", "at", "é", "e-acute"},
			[]string{"_=e", "__2=at", "__=e-acute"}},
		{"long keys", []string{long + "1", "l1", long + "2", "l2"},
			[]string{longKey + "=l1", longKey2 + "=l2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Record
			set(&r, tc.kv...)
			if got, want := encodeFields(t, &r), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestTooManyExtras: unknown fields beyond MaxExtra are counted in the
// record, not dropped unseen.
func TestTooManyExtras(t *testing.T) {
	var r Record
	for i := 0; i < MaxExtra+3; i++ {
		r.Set([]byte(fmt.Sprintf("k%d", i)), []byte("v"))
	}
	got := encodeFields(t, &r)
	if !strings.HasSuffix(got, "\nk63=v\nextra_dropped=3") {
		t.Errorf("got:\n%s", got)
	}
}

// TestTypedFields: src, dst, ports, status, sizes and duration carry only
// values valid for their type; anything else is kept under unvalidated_<key>.
func TestTypedFields(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		want []string
	}{
		{"valid", []string{"front_src_ip", "198.51.100.7", "front_src_port", "65535", "back_dst_ip", "2001:db8::1",
			"back_dst_port", "0", "http_status", "404", "req_size", "0", "resp_size", "9223372036854775807", "lifetime", "12.5"},
			[]string{"src=198.51.100.7", "srcport=65535", "dst=2001:db8::1", "dstport=0", "result=404", "sent=0",
				"rcvd=9223372036854775807", "duration=12.5"}},
		{"addresses", []string{"client_ip", `::1" x=y`, "back_dst_ip", "fe80::1%eth0"},
			[]string{`unvalidated_src=::1" x=y`, "unvalidated_dst=fe80::1%eth0"}},
		{"X-Forwarded-For", []string{"client_ip", `1.2.3.4" src=6.6.6.6`, "front_src_ip", "10.0.0.1", "front_src_port", "4000"},
			[]string{`unvalidated_src=1.2.3.4" src=6.6.6.6`, "front_src=10.0.0.1:4000"}},
		{"address forms", []string{"client_ip", "1.2.3.4, 5.6.7.8", "vhost_ip", "010.1.1.1"},
			[]string{"unvalidated_src=1.2.3.4, 5.6.7.8", "unvalidated_dst=010.1.1.1"}},
		{"host names are not addresses", []string{"client_ip", "a b", "back_host_ip", "backend.example"},
			[]string{"unvalidated_src=a b", "unvalidated_dst=backend.example"}},
		{"ports", []string{"front_src_ip", "1.1.1.1", "front_src_port", "99999999999", "vhost_ip", "2.2.2.2", "vhost_port", "abc"},
			[]string{"src=1.1.1.1", "unvalidated_srcport=99999999999", "dst=2.2.2.2", "unvalidated_dstport=abc"}},
		{"port forms", []string{"front_src_ip", "1.1.1.1", "front_src_port", "65536", "vhost_ip", "2.2.2.2", "vhost_port", "+80"},
			[]string{"src=1.1.1.1", "unvalidated_srcport=65536", "dst=2.2.2.2", "unvalidated_dstport=+80"}},
		{"status", []string{"http_status", "2000"}, []string{"unvalidated_result=2000"}},
		{"status text", []string{"http_status", "200 OK"}, []string{`unvalidated_result=200 OK`}},
		{"sizes", []string{"req_size", "-1", "resp_size", "1e400"}, []string{"unvalidated_sent=-1", "unvalidated_rcvd=1e400"}},
		{"size overflow", []string{"req_size", "99999999999999999999", "resp_size", "012"},
			[]string{"unvalidated_sent=99999999999999999999", "unvalidated_rcvd=012"}},
		{"durations", []string{"lifetime", "abc"}, []string{"unvalidated_duration=abc"}},
		{"duration forms", []string{"lifetime", "1."}, []string{"unvalidated_duration=1."}},
		{"duration sign", []string{"lifetime", "-5"}, []string{"unvalidated_duration=-5"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Record
			set(&r, tc.kv...)
			if got, want := encodeFields(t, &r), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestRepeatedKeys: a key that repeats in one object loses no value (class
// 6): the last value is the field's, every earlier different value is
// passed through under the same key, numbered if that key is taken; absent
// values remove nothing.
func TestRepeatedKeys(t *testing.T) {
	tests := []struct {
		name, line string
		want       []string
	}{
		{"unknown key", `{"log_id":"X","src":"1.1.1.1","src":"2.2.2.2"}`,
			[]string{"log_id=X", "x_src=1.1.1.1", "x_src_2=2.2.2.2"}},
		{"typed field", `{"log_id":"X","client_ip":"1.1.1.1","client_ip":"2.2.2.2"}`,
			[]string{"src=2.2.2.2", "log_id=X", "client_ip=1.1.1.1"}},
		{"field written under its own name", `{"log_id":"X","req_id":"A","log_id":"Y","req_id":"B"}`,
			[]string{"log_id=Y", "req_id=B", "log_id_2=X", "req_id_2=A"}},
		{"null and absent markers", `{"log_id":"X","foo":"a","foo":"b","foo":null,"vhost":"h","vhost":"-","vhost":"<n/a>","vhost":""}`,
			[]string{"dstname=h", "log_id=X", "foo=a", "foo_2=b"}},
		{"same pair twice", `{"log_id":"X","foo":"a","foo":"a","req_id":"R","req_id":"R"}`,
			[]string{"log_id=X", "req_id=R", "foo=a"}},
		{"message", `{"log_id":"X","message":"first","message":"second"}`,
			[]string{"msg=second", "log_id=X", "message=first"}},
		{"nested and number", `{"log_id":"X","resp_size":{"a":1},"resp_size":5}`,
			[]string{"rcvd=5", "log_id=X", `resp_size={"a":1}`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Record
			if err := ParseLine([]byte(tc.line), &r); err != nil {
				t.Fatal(err)
			}
			if got, want := encodeFields(t, &r), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestSecretFields: a pass-through field whose key names a credential keeps
// its key, and its value is written as <redacted>, whatever the key's case
// and punctuation; Airlock's own fields and keys that merely resemble one
// are written as they are.
func TestSecretFields(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		want []string
	}{
		{"passwords", []string{"password", "hunter2", "User-Password", "p1", "PASSWD", "p2", "pwd", "p3", "pass", "p4", "db.passphrase", "p5"},
			[]string{"password=<redacted>", "User_Password=<redacted>", "PASSWD=<redacted>", "pwd=<redacted>", "pass=<redacted>", "db_passphrase=<redacted>"}},
		{"headers", []string{"authorization", "Basic dTpw", "Proxy-Authorization", "Bearer x", "cookie", "sid=1", "Set-Cookie", "sid=2", "X-Api-Key", "k1", "api_key", "k2"},
			[]string{"authorization=<redacted>", "Proxy_Authorization=<redacted>", "cookie=<redacted>", "Set_Cookie=<redacted>", "X_Api_Key=<redacted>", "api_key=<redacted>"}},
		{"tokens and keys", []string{"access_token", "t1", "refreshToken", "t2", "client_secret", "s1", "credentials", "c1", "private-key", "k", "auth", "a", "PIN", "1234"},
			[]string{"access_token=<redacted>", "refreshToken=<redacted>", "client_secret=<redacted>", "credentials=<redacted>", "private_key=<redacted>", "auth=<redacted>", "PIN=<redacted>"}},
		{"bearer tokens, JWTs and session ids", []string{"jwt", "j1", "Bearer", "b1", "JSESSIONID", "s1", "session", "s2", "sid", "s3", "otp", "123456", "privkey", "k"},
			[]string{"jwt=<redacted>", "Bearer=<redacted>", "JSESSIONID=<redacted>", "session=<redacted>", "sid=<redacted>", "otp=<redacted>", "privkey=<redacted>"}},
		{"repeated and colliding", []string{"password", "a", "password", "b", "pass.word", "c"},
			[]string{"password=<redacted>", "password_2=<redacted>", "pass_word=<redacted>"}},
		{"not secrets", []string{"author", "a", "passenger", "p", "keyword", "k", "pinned", "x", "sidebar", "y", "session_count", "2", "audit_token", "jdoe", "audit_token", "alice", "sess_auth", "true"},
			[]string{"user=alice", "sess_auth=true", "author=a", "passenger=p", "keyword=k", "pinned=x", "sidebar=y", "session_count=2", "audit_token=jdoe"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Record
			set(&r, tc.kv...)
			if got, want := encodeFields(t, &r), strings.Join(tc.want, "\n"); got != want {
				t.Errorf("got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestRedactedSecretsInJSON: in JSON text passed through whole (a nested
// value, JSON in a string, a line not decoded), the value of every member
// whose key names a secret is <redacted>, however the text is spelled or
// broken; other text is unchanged.
func TestRedactedSecretsInJSON(t *testing.T) {
	tests := []struct{ in, want string }{
		{`{"user":"u","password":"p"}`, `{"user":"u","password":"<redacted>"}`},
		{`{"h":{"Authorization":"Basic dTpw","X-Api-Key" : 123},"a":[{"token":null}]}`,
			`{"h":{"Authorization":"<redacted>","X-Api-Key" : "<redacted>"},"a":[{"token":"<redacted>"}]}`},
		{`{"pass\u0077ord":"p","pass\"word":"q"}`, `{"pass\u0077ord":"<redacted>","pass\"word":"<redacted>"}`},
		{`{"secret":"a\"b","n":1}`, `{"secret":"<redacted>","n":1}`},
		{`x" "password":"p" and "cookie":sid=1}`, `x" "password":"<redacted>" and "cookie":"<redacted>"}`},
		{`{"credentials":{"user":"u","pin":1234},"n":{"tokens":["a","b,]"],"c":{"cookie":{"sid":"1"}}}}`,
			`{"credentials":"<redacted>","n":{"tokens":"<redacted>","c":{"cookie":"<redacted>"}}}`},
		{"{\"secret\":{\"a\":[1,\n2]}, \"b\": 1}", `{"secret":"<redacted>", "b": 1}`},
		{`{"password":"unterminated`, `{"password":"<redacted>"`},
		{`{"note":"no secret: \"password\" is a word","password"`, `{"note":"no secret: \"password\" is a word","password"`},
		{`{"a":"b","keyword":"k","author":"x"}`, `{"a":"b","keyword":"k","author":"x"}`},
		{``, ``},
	}
	for _, tc := range tests {
		if got := string(AppendRedactedSecrets(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.in, got, tc.want)
		}
	}
	var r Record
	set(&r, "log_id", "X", "headers", `{"Cookie":"sid=1","Accept":"*/*"}`, "body", `{"password":"p"}`, "q", `say "x"`)
	want := strings.Join([]string{"log_id=X", `headers={"Cookie":"<redacted>","Accept":"*/*"}`, `body={"password":"<redacted>"}`, `q=say "x"`}, "\n")
	if got := encodeFields(t, &r); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestFullWidthUserinfo: the compatibility forms of '@' and ':' that
// Unicode normalization (NFKC, IDNA mapping) turns into them ("＠", "：")
// delimit userinfo as in every source (package userinfo): software that
// normalizes a URL first reads them so, although WHATWG's host parser
// rejects the host they make. A full-width '%' is not percent-encoding
// (it takes two passes, normalization then decoding, to become one).
func TestFullWidthUserinfo(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://u:p＠h/", "http://u＠h/"},
		{"http://u：p@h/x", "http://u@h/x"},
		{"//u:p＠h", "//u＠h"},
		{"http://u:p％40h/", "http://u:p％40h/"},
	} {
		var r Record
		set(&r, "log_id", "X", "http_referrer", tc.in, "message", "see "+tc.in)
		want := strings.Join([]string{"msg=see " + tc.want, "ref=" + tc.want, "log_id=X"}, "\n")
		if got := encodeFields(t, &r); got != want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tc.in, got, want)
		}
	}
}

// TestUnvalidatedTime: an @timestamp the header cannot take (no ISO 8601
// time with zone, an impossible date, a year WELF's four digits do not
// hold in every zone) is kept as unvalidated_time, and Time says so; a
// valid one is the header's only.
func TestUnvalidatedTime(t *testing.T) {
	for _, tc := range []struct {
		ts    string
		valid bool
	}{
		{"2024-03-05T09:12:44.331+01:00", true},
		{"2024-05-01T08:15:02.123+0000", true},
		{"0001-01-01T00:00:00Z", true},
		{"9998-12-31T23:59:59-14:00", true},
		{"9999-12-31T23:59:59-14:00", false},
		{"0000-01-01T00:00:00+14:00", false},
		{"2024-02-30T00:00:00Z", false},
		{"2024-03-05T09:12:44.331+99:00", false},
		{"2024-03-05 09:12:44", false},
		{"1709626364", false},
		{"yesterday at noon", false},
	} {
		var r Record
		set(&r, "@timestamp", tc.ts, "log_id", "X")
		if _, ok := r.Time(); ok != tc.valid {
			t.Errorf("%s: Time ok = %v, want %v", tc.ts, ok, tc.valid)
		}
		want := "log_id=X"
		if !tc.valid {
			want = "unvalidated_time=" + tc.ts + "\n" + want
		}
		if got := encodeFields(t, &r); got != want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tc.ts, got, want)
		}
	}
	// Time's kept result follows the text.
	var r Record
	set(&r, "@timestamp", "2024-03-05T09:12:44Z")
	first, _ := r.Time()
	set(&r, "@timestamp", "2024-03-05T09:12:45Z")
	if second, ok := r.Time(); !ok || second.Sub(first) != time.Second {
		t.Errorf("Time after a new @timestamp: %v, %v", second, ok)
	}
}

// TestUnvalidatedPri: a priority that is no syslog level leaves the header
// its default and is kept as unvalidated_pri.
func TestUnvalidatedPri(t *testing.T) {
	for _, tc := range []struct{ pri, want string }{
		{"warning", "log_id=X"},
		{"WARN", "log_id=X"},
		{"3", "log_id=X"},
		{"8", "unvalidated_pri=8\nlog_id=X"},
		{"evil pri=0", "unvalidated_pri=evil pri=0\nlog_id=X"},
		{"warningx", "unvalidated_pri=warningx\nlog_id=X"},
	} {
		var r Record
		set(&r, "priority", tc.pri, "log_id", "X")
		if got := encodeFields(t, &r); got != tc.want {
			t.Errorf("%s:\ngot:\n%s\nwant:\n%s", tc.pri, got, tc.want)
		}
	}
}

// TestUnvalidatedUserinfo: a value that failed its type is no free text:
// "u:p@h" in a port, size, status, duration, priority or @timestamp loses
// its password as in an address field.
func TestUnvalidatedUserinfo(t *testing.T) {
	var r Record
	set(&r, "log_id", "X", "front_src_ip", "1.1.1.1", "front_src_port", "u:p1@h", "http_status", "u:p2@h",
		"req_size", "u:p3@h", "lifetime", "u:p4@h", "priority", "u:p5@h", "@timestamp", "u:p6@h")
	want := strings.Join([]string{"src=1.1.1.1", "unvalidated_srcport=u@h", "unvalidated_result=u@h", "unvalidated_sent=u@h",
		"unvalidated_duration=u@h", "unvalidated_time=u@h", "unvalidated_pri=u@h", "log_id=X"}, "\n")
	if got := encodeFields(t, &r); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

// TestRedactedSecretPairs: in text that is not decoded, the value of a
// key=value or header pair whose key names a secret is <redacted>, in
// every spelling a line may hold it (header, query, kv, quoted, JSON
// string); other pairs are unchanged.
func TestRedactedSecretPairs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Authorization: Basic dTpw", "Authorization: <redacted>"},
		{"Proxy-Authorization:Bearer x.y.z\r\nHost: h", "Proxy-Authorization:<redacted>\r\nHost: h"},
		{"Cookie: a=1; b=2\nnext", "Cookie: <redacted>\nnext"},
		{"GET /login?user=bob&password=hunter2&x=1 HTTP/1.1", "GET /login?user=bob&password=<redacted>&x=1 HTTP/1.1"},
		{"user=bob pwd=hunter2 sid=abc;x=1", "user=bob pwd=<redacted> sid=<redacted>;x=1"},
		{`password="two words" api_key='k k' n=1`, `password=<redacted> api_key=<redacted> n=1`},
		{`{"m":"password=hunter2","h":"Authorization: Basic dTpw\r\nX: y","q":"token=\"a b\" n"}`,
			`{"m":"password=<redacted>","h":"Authorization: <redacted>\r\nX: y","q":"token=<redacted> n"}`},
		{`{password:"hunter2", user:"u"}`, `{password:<redacted>, user:"u"}`},
		{"http://h:80/x?a=b time 12:30 passenger=p keyword: k", "http://h:80/x?a=b time 12:30 passenger=p keyword: k"},
		{`"password":"<redacted>"`, `"password":"<redacted>"`},
		{"password= x password:", "password= x password:"},
	}
	for _, tc := range tests {
		if got := string(AppendRedactedSecretPairs([]byte("kept|"), []byte(tc.in))); got != "kept|"+tc.want {
			t.Errorf("%q:\n got %q\nwant %q", tc.in, got, "kept|"+tc.want)
		}
	}
}

// FuzzRedactedSecretPairs: a secret in a pair of a secret-named key, in
// any spelling, between any texts, never survives.
func FuzzRedactedSecretPairs(f *testing.F) {
	f.Add("GET /?a=1&", 0, "&b=2 HTTP/1.1")
	f.Add(`{"h":"`, 1, `\r\n"}`)
	f.Add(`token="x `, 2, `"`)
	f.Add(`pw=\"`, 3, `\"`)
	f.Fuzz(func(t *testing.T, prefix string, form int, suffix string) {
		const secret = "Pw9Zq"
		if strings.Contains(prefix+suffix, secret[:2]) {
			return
		}
		pairs := [...]string{"password=" + secret, "Authorization: Basic " + secret, `api-key="a ` + secret + `"`, `Cookie:\t'` + secret + `'`}
		text := prefix + " " + pairs[uint(form)%uint(len(pairs))] + suffix
		if got := AppendRedactedSecretPairs(nil, []byte(text)); bytes.Contains(got, []byte(secret)) {
			t.Fatalf("%q became %q", text, got)
		}
	})
}
