package test

import (
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/welfbridge/welfbridge/internal/userinfo"
	"github.com/welfbridge/welfbridge/internal/userinfo/userinfotest"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// runLines writes lines to a file, runs them through the plugin (raw lines,
// or with parsed set as maps from a json parser like Fluent Bit's) with
// Time_Zone UTC, LF line ends and the extra output properties, and returns
// the records written and the run.
func runLines(t *testing.T, lines []string, parsed bool, props ...string) ([]string, run) {
	t.Helper()
	// Not t.TempDir: a fuzz seed's name holds '#', which a file:// URL
	// would take for a fragment.
	dir, err := os.MkdirTemp("", "hostile")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	in := filepath.Join(dir, "in.log")
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.welf")
	conf, input := "", tailInput("a", in)
	if parsed {
		parsers := filepath.Join(dir, "parsers.conf")
		if err := os.WriteFile(parsers, []byte("[PARSER]\n    Name json\n    Format json\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		conf, input = "[SERVICE]\n    parsers_file "+parsers+"\n", tailInput("a", in, "Parser json")
	}
	r := mustRun(t, conf+input+welfOutput("*", append([]string{"Destination file://" + out, "Time_Zone UTC", "Line_Ending lf"}, props...)...))
	got := readOutput(t, out)
	assertStrictWELF(t, got, "\n")
	assertNoUnicodeLineBreaks(t, got)
	return strings.Split(strings.TrimSuffix(got, "\n"), "\n"), r
}

// assertNoUnicodeLineBreaks checks that a consumer splitting on every
// Unicode line boundary (Python's str.splitlines) sees exactly the records,
// and that no control or bidi character is written raw.
func assertNoUnicodeLineBreaks(t *testing.T, out string) {
	t.Helper()
	for i, r := range strings.TrimSuffix(out, "\n") {
		switch {
		case r == '\n':
		case unicode.IsControl(r), r == '\u2028', r == '\u2029', unicode.Is(unicode.Bidi_Control, r):
			t.Errorf("raw %U at offset %d of the output", r, i)
		}
	}
}

func assertRecords(t *testing.T, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

const hostileHead = `id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 `

// TestHostileControls: DEL, C1 controls, U+2028, U+2029 and bidi controls,
// as JSON escapes and raw, in free text, structured fields, keys and the
// header, come out as \xNN per byte (class 4).
func TestHostileControls(t *testing.T) {
	lines := []string{
		`{"log_id":"WR-SG-X","host":"gw","req_id":"R1","message":"a\u0085id=evil pri=0","http_user_agent":"ua\u2028x","http_referrer":"r\u202egnp.exe","position":"p\u007fq\u009b1m"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"R2","message":"` + "raw\u2029next\x7f" + `","tech_client_label":"\u2067rtl\u2069 \u2066x\u2068","mapping":"m\u0080\u009f"}`,
		`{"log_id":"WR-SG-X","host":"gw\u0085x","req_id":"R3\u202a\u202b\u202c\u202d","note\u2028":"v","mark":"\u200e\u200f\u061c"}`,
	}
	want := []string{
		hostileHead + `msg="a\xc2\x85id=evil pri=0" ref=r\xe2\x80\xaegnp.exe agent=ua\xe2\x80\xa8x log_id=WR-SG-X req_id=R1 position=p\x7fq\xc2\x9b1m`,
		hostileHead + `msg=raw\xe2\x80\xa9next\x7f log_id=WR-SG-X req_id=R2 mapping=m\xc2\x80\xc2\x9f tech_client_label="\xe2\x81\xa7rtl\xe2\x81\xa9 \xe2\x81\xa6x\xe2\x81\xa8"`,
		`id=firewall time="2024-03-05 08:00:00" fw=gw\xc2\x85x pri=6 log_id=WR-SG-X req_id=R3\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad note___=v mark=\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c`,
	}
	for _, parsed := range []bool{false, true} {
		t.Run(fmt.Sprint("parsed=", parsed), func(t *testing.T) {
			got, _ := runLines(t, lines, parsed, single)
			assertRecords(t, got, want)
		})
	}
}

// TestHostileKeys: keys longer than 128 bytes are shortened with a hash of
// the whole key and stay apart (class 5); keys that meet after sanitising,
// or meet a standard or earlier field, get numbered suffixes, so that no
// value is lost (class 6), from raw lines and parsed maps alike.
func TestHostileKeys(t *testing.T) {
	hashed := func(key string) string {
		h := fnv.New32a()
		h.Write([]byte(key))
		return key[:119] + fmt.Sprintf("_%08x", h.Sum32())
	}
	long1, long2 := strings.Repeat("k", 300), strings.Repeat("k", 299)+"j"
	exact128 := strings.Repeat("e", 128)
	lines := []string{
		`{"log_id":"WR-SG-X","host":"gw","a.b":"v1","a b":"v2","a_b":"v3","src":"9.9.9.9","x_src":"v4"}`,
		`{"log_id":"WR-SG-X","host":"gw","` + long1 + `":"l1","` + long2 + `":"l2","` + exact128 + `":"e"}`,
		`{"log_id":"WR-SG-X","host":"gw","front_src":"forged","front_src_ip":"10.0.0.1","front_src_port":"1","client_ip":"2.2.2.2","msg":"m","partial":"p","unvalidated_src":"u","tls_proto":"t","front_tls_proto":"TLSv1.3"}`,
		`{"log_id":"WR-SG-X","host":"gw","":"empty","@":"at","a-b":"1","a_b_2":"2","a.b":"3"}`,
	}
	want := []string{
		hostileHead + `log_id=WR-SG-X a_b=v1 a_b_2=v2 a_b_3=v3 x_src=9.9.9.9 x_src_2=v4`,
		hostileHead + `log_id=WR-SG-X ` + hashed(long1) + `=l1 ` + hashed(long2) + `=l2 ` + exact128 + `=e`,
		hostileHead + `src=2.2.2.2 log_id=WR-SG-X front_src=10.0.0.1:1 tls_proto=TLSv1.3 x_front_src=forged x_msg=m x_partial=p x_unvalidated_src=u x_tls_proto=t`,
		hostileHead + `log_id=WR-SG-X _=empty __2=at a_b=1 a_b_2=2 a_b_3=3`,
	}
	for _, parsed := range []bool{false, true} {
		t.Run(fmt.Sprint("parsed=", parsed), func(t *testing.T) {
			got, _ := runLines(t, lines, parsed, single)
			assertRecords(t, got, want)
		})
	}
	// With correlation a record may be written with partial=…: an unknown
	// "partial" field must neither be lost nor clash with it. A summary
	// without req_id cannot join: it is written as an orphan.
	got, _ := runLines(t, []string{strings.Replace(lines[2], "WR-SG-X", "WR-SG-SUMMARY", 1)}, false)
	assertRecords(t, got, []string{strings.Replace(want[2], "WR-SG-X", "WR-SG-SUMMARY", 1) + " partial=orphan"})
}

// TestHostileLines: a line holding several objects gives a record for each;
// text outside objects reaches the output as a not-decoded record with the
// whole line in raw=, or is counted with Unparsed_Records drop; blank lines
// are counted; the books balance (class 7).
func TestHostileLines(t *testing.T) {
	lines := []string{
		`{"log_id":"WR-SG-X","host":"gw","req_id":"A1"} {"log_id":"WR-SG-X","host":"gw","req_id":"A2"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"B1"}{"log_id":"WR-SG-X","host":"gw","req_id":"B2"},{"log_id":"WR-SG-X","host":"gw","req_id":"B3"}`,
		`["text",{"log_id":"WR-SG-X","host":"gw","req_id":"C1"}]`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"D1"} trailing garbage`,
		``,
		`   `,
		`<14>Mar  5 09:13:02 gw01 SG_child[1]: {"log_id":"WR-SG-X","host":"gw","req_id":"E1"} {"log_id":"WR-SG-X","host":"gw","req_id":"E2"}`,
		`x {"log_id":"WR-SG-X","host":"gw","req_id":"F1"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"G1"} {"log_id":`,
	}
	const nd = `id=firewall time="2024-03-05 08:00:00" fw=gw-test pri=4 tag=a msg="welfbridge: record not decoded: `
	rec := func(id string) string { return hostileHead + "log_id=WR-SG-X req_id=" + id }
	want := []string{
		rec("A1"), rec("A2"), rec("B1"), rec("B2"), rec("B3"),
		rec("C1"),
		nd + `text before the JSON object at offset 8 is not a syslog or time header; text after the JSON object at offset 54" raw=[\x22text\x22,{\x22log_id\x22:\x22WR-SG-X\x22,\x22host\x22:\x22gw\x22,\x22req_id\x22:\x22C1\x22}]`,
		rec("D1"),
		nd + `text after the JSON object at offset 46" raw="{\x22log_id\x22:\x22WR-SG-X\x22,\x22host\x22:\x22gw\x22,\x22req_id\x22:\x22D1\x22} trailing garbage"`,
		rec("E1"), rec("E2"),
		rec("F1"),
		nd + `text before the JSON object at offset 2 is not a syslog or time header" raw="x {\x22log_id\x22:\x22WR-SG-X\x22,\x22host\x22:\x22gw\x22,\x22req_id\x22:\x22F1\x22}"`,
		rec("G1"),
		nd + `invalid JSON at offset 57: unexpected end of input" raw="{\x22log_id\x22:\x22WR-SG-X\x22,\x22host\x22:\x22gw\x22,\x22req_id\x22:\x22G1\x22} {\x22log_id\x22:"`,
	}
	t.Run("emit", func(t *testing.T) {
		got, r := runLines(t, lines, false, single, "FW gw-test")
		for i := range want {
			if strings.HasPrefix(want[i], hostileHead) {
				want[i] = strings.Replace(want[i], "fw=gw ", "fw=gw-test ", 1)
			}
		}
		assertRecords(t, got, want)
		if w := "records: in=17 written=15 unparsed_dropped=0 blank=2 failed=0 joined=0 saved=0"; !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	})
	t.Run("drop", func(t *testing.T) {
		got, r := runLines(t, lines, false, single, "Unparsed_Records drop")
		var decoded []string
		for _, w := range want {
			if !strings.Contains(w, "not decoded") {
				decoded = append(decoded, strings.Replace(w, "fw=gw-test ", "fw=gw ", 1))
			}
		}
		assertRecords(t, got, decoded)
		if w := "records: in=17 written=11 unparsed_dropped=4 blank=2 failed=0 joined=0 saved=0"; !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	})
}

// TestHostileNumbers: a number no float64 holds keeps its text instead of
// failing the record, and numbers come out the same from raw lines and from
// maps Fluent Bit's json parser made (class 8).
func TestHostileNumbers(t *testing.T) {
	lines := []string{
		`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"N1","resp_size":1e400,"req_size":1.5e3,"http_status":200}`,
		`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"N2","resp_size":-1e400,"req_size":1E2,"lifetime":0.25,"front_src_ip":"1.2.3.4","front_src_port":443.0}`,
		`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"N3","resp_size":18446744073709551615,"req_size":-0,"x":1e21,"y":1e-400,"z":123456789012345678901,"geo":{"n":[1.5e3,-0,2E1],"s":"\/\u00e9\b"}}`,
	}
	for _, parsed := range []bool{false, true} {
		t.Run(fmt.Sprint("parsed=", parsed), func(t *testing.T) {
			got, _ := runLines(t, lines, parsed, single)
			// Fluent Bit's parser turns 1e400 into +Inf; the raw line keeps it.
			inf, negInf := "1e400", "-1e400"
			if parsed {
				inf, negInf = "+Inf", "-Inf"
			}
			assertRecords(t, got, []string{
				hostileHead + `result=200 sent=1500 unvalidated_rcvd=` + inf + ` log_id=WR-SG-SUMMARY req_id=N1`,
				hostileHead + `src=1.2.3.4 srcport=443 sent=100 unvalidated_rcvd=` + negInf + ` duration=0.25 log_id=WR-SG-SUMMARY req_id=N2`,
				hostileHead + `sent=0 unvalidated_rcvd=18446744073709551615 log_id=WR-SG-SUMMARY req_id=N3 x=1e+21 y=0 z=1.2345678901234568e+20 geo={\x22n\x22:[1500,0,20],\x22s\x22:\x22/é\\u0008\x22}`,
			})
		})
	}
}

// TestHostileTypedFields: addresses, ports, status, sizes and durations
// are written under their standard keys only when valid; anything else is
// kept under unvalidated_<key> (class 9).
func TestHostileTypedFields(t *testing.T) {
	lines := []string{
		`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"T1","client_ip":"1.2.3.4\" src=6.6.6.6","front_src_ip":"10.0.0.1","front_src_port":"4000","back_dst_ip":"::1\" x=y","back_dst_port":"99999999999"}`,
		`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"T2","client_ip":"a b","vhost_ip":"2001:db8::1","vhost_port":"abc","http_status":"20x","req_size":"-5","resp_size":"1 2","lifetime":"abc"}`,
		`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"T3","front_src_ip":"fe80::1%eth0","front_src_port":"65536","back_host_ip":"10.1.1.1","back_host_port":"+80","http_status":"2000","req_size":"012","lifetime":"-1"}`,
		`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"T4","client_ip":"198.51.100.7","back_dst_ip":"2001:db8::2","back_dst_port":"8443","http_status":"503","req_size":"0","resp_size":"9223372036854775807","lifetime":"3.5"}`,
	}
	got, _ := runLines(t, lines, false, single)
	assertRecords(t, got, []string{
		hostileHead + `unvalidated_src="1.2.3.4\x22 src=6.6.6.6" unvalidated_dst="::1\x22 x=y" unvalidated_dstport=99999999999 log_id=WR-SG-SUMMARY req_id=T1 front_src=10.0.0.1:4000`,
		hostileHead + `unvalidated_src="a b" dst=2001:db8::1 unvalidated_dstport=abc unvalidated_result=20x unvalidated_sent=-5 unvalidated_rcvd="1 2" unvalidated_duration=abc log_id=WR-SG-SUMMARY req_id=T2`,
		hostileHead + `unvalidated_src=fe80::1%eth0 unvalidated_srcport=65536 dst=10.1.1.1 unvalidated_dstport=+80 unvalidated_result=2000 unvalidated_sent=012 unvalidated_duration=-1 log_id=WR-SG-SUMMARY req_id=T3`,
		hostileHead + `src=198.51.100.7 dst=2001:db8::2 dstport=8443 result=503 sent=0 rcvd=9223372036854775807 duration=3.5 log_id=WR-SG-SUMMARY req_id=T4`,
	})
}

// recordsLine matches the plugin's record accounting at exit.
var recordsLine = regexp.MustCompile(`\] records: in=(\d+) written=(\d+) `)

// FuzzPluginLines runs two arbitrary lines and a good record through the
// .so, as raw lines or through a json parser, and checks what must hold for
// any input: every record is strict WELF with no raw control, separator or
// bidi character (runLines), the record accounting balances (mustRun), and
// the records in the file are the records it counts as written.
func FuzzPluginLines(f *testing.F) {
	f.Add(`{"log_id":"WR-SG-X","host":"gw","a.b":"v1","a b":"v2","a_b":"v3"} {"log_id":"WR-SG-X"}`, `["text",{"log_id":"WR-SG-X"}] x`, false)
	f.Add("{\"log_id\":\"WR-SG-X\",\"message\":\"a\u2028b\u0085c\u202e\x7f\",\"client_ip\":\"::1\\\" x=y\"}", ``, true)
	f.Add(`{"log_id":"WR-SG-SUMMARY","resp_size":1e400,"req_size":1.5e3,"x":{"n":[2E1]}}`, `   `, false)
	f.Fuzz(func(t *testing.T, a, b string, parsed bool) {
		if strings.ContainsAny(a+b, "\r\n") {
			t.Skip("one line each")
		}
		got, r := runLines(t, []string{a, b, `{"log_id":"WR-SG-X","host":"gw"}`}, parsed, single)
		m := recordsLine.FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("no records line:\n%s", r.stderr)
		}
		if m[2] != strconv.Itoa(len(got)) {
			t.Fatalf("%d records in the file, %s counted as written:\n%s", len(got), m[2], r.stderr)
		}
	})
}

// TestHostileRepeatedKeys: a key that repeats in one object loses no value,
// from raw lines and from maps Fluent Bit's json parser made (which keep
// both members) alike: the last value is the field's, every earlier
// different value is passed through under its key, numbered if taken; null
// and the absent markers remove nothing (class 6).
func TestHostileRepeatedKeys(t *testing.T) {
	lines := []string{
		`{"log_id":"WR-SG-X","host":"gw","src":"1.1.1.1","src":"2.2.2.2"}`,
		`{"log_id":"WR-SG-X","host":"gw","client_ip":"1.1.1.1","client_ip":"2.2.2.2","client_ip":null}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"A","req_id":"B","log_id":"WR-SG-Y","message":"m1","message":"m2"}`,
		`{"log_id":"WR-SG-X","host":"gw","foo":"a","foo":"b","foo":"-","foo":"a","vhost":"h","vhost":"<n/a>"}`,
		`{"log_id":"WR-SG-X","host":"gw","a":{"b":1},"a.b":2,"a_b":3,"a":{"b":1}}`,
	}
	want := []string{
		hostileHead + `log_id=WR-SG-X x_src=1.1.1.1 x_src_2=2.2.2.2`,
		hostileHead + `src=2.2.2.2 log_id=WR-SG-X client_ip=1.1.1.1`,
		hostileHead + `msg=m2 log_id=WR-SG-Y req_id=B req_id_2=A log_id_2=WR-SG-X message=m1`,
		hostileHead + `dstname=h log_id=WR-SG-X foo=a foo_2=b`,
		hostileHead + `log_id=WR-SG-X a={\x22b\x22:1} a_b=2 a_b_2=3`,
	}
	for _, parsed := range []bool{false, true} {
		t.Run(fmt.Sprint("parsed=", parsed), func(t *testing.T) {
			got, _ := runLines(t, lines, parsed, single)
			assertRecords(t, got, want)
		})
	}
}

// TestHostileSecrets: no value of a member whose key names a credential
// reaches the output, at the top of a record, in a nested object or array,
// in JSON in a string, or in a line that is not decoded, from raw lines
// and parsed maps alike; the keys stay, so the field is seen.
func TestHostileSecrets(t *testing.T) {
	lines := []string{
		`{"log_id":"WR-SG-X","host":"gw","password":"Pw9Secret","X-Api-Key":"Pw9Secret","Cookie":"sid=Pw9Secret","note":"ok"}`,
		`{"log_id":"WR-SG-X","host":"gw","headers":{"Authorization":"Basic Pw9Secret","Accept":"*/*"},"list":[{"token":"Pw9Secret"},{"n":1}]}`,
		`{"log_id":"WR-SG-X","host":"gw","body":"{\"user\":\"u\",\"pass\\u0077ord\":\"Pw9Secret\"}","credentials":{"user":"u","pin":"Pw9Secret"}}`,
		`{"user":"u","password":"Pw9Secret","access_token":"Pw9Secret"}`,
	}
	const nd = `id=firewall time="2024-03-05 08:00:00" fw=gw-test pri=4 tag=a msg="welfbridge: record not decoded: `
	want := []string{
		hostileHead + `log_id=WR-SG-X password=<redacted> X_Api_Key=<redacted> Cookie=<redacted> note=ok`,
		hostileHead + `log_id=WR-SG-X headers={\x22Authorization\x22:\x22<redacted>\x22,\x22Accept\x22:\x22*/*\x22} list=[{\x22token\x22:\x22<redacted>\x22},{\x22n\x22:1}]`,
		hostileHead + `log_id=WR-SG-X body={\x22user\x22:\x22u\x22,\x22pass\\u0077ord\x22:\x22<redacted>\x22} credentials=<redacted>`,
		nd + `JSON object has no log_id: not an Airlock log record" raw={\x22user\x22:\x22u\x22,\x22password\x22:\x22<redacted>\x22,\x22access_token\x22:\x22<redacted>\x22}`,
	}
	for _, parsed := range []bool{false, true} {
		t.Run(fmt.Sprint("parsed=", parsed), func(t *testing.T) {
			got, r := runLines(t, lines, parsed, single, "FW gw-test")
			w := append([]string(nil), want...)
			for i := range w {
				w[i] = strings.Replace(w[i], "fw=gw ", "fw=gw-test ", 1)
			}
			if parsed {
				w[3] = nd + `no Airlock log_id and no \x22log\x22 line in record" raw={\x22user\x22:\x22u\x22,\x22password\x22:\x22<redacted>\x22,\x22access_token\x22:\x22<redacted>\x22}`
			}
			assertRecords(t, got, w)
			if strings.Contains(strings.Join(got, "\n")+r.stderr, "Pw9") {
				t.Errorf("a secret reached the output or the log:\n%s\n%s", strings.Join(got, "\n"), r.stderr)
			}
		})
	}
}

// TestHostileExport: in a Kibana export, members next to _source other
// than Elasticsearch's own (_index, _id, fields, sort …), before it or
// after it, are passed through, not dropped, from raw lines and parsed
// maps alike (classes 6 and 8).
func TestHostileExport(t *testing.T) {
	lines := []string{
		`{"_index":"airlock","client_ip":"6.6.6.6","log_id":"WR-SG-BLOCK-1","_id":"x","_source":{"log_id":"WR-SG-X","host":"gw","req_id":"K1"},"fields":{"req_id":["K1"]},"message":"after","sort":[1]}`,
		`{"_source":{"log_id":"WR-SG-X","host":"gw","req_id":"K2"},"_source":{"log_id":"WR-SG-Y"},"note":{"a":1}}`,
	}
	want := []string{
		hostileHead + `log_id=WR-SG-X req_id=K1 log_id_2=WR-SG-BLOCK-1 client_ip=6.6.6.6 message=after`,
		hostileHead + `log_id=WR-SG-X req_id=K2 note={\x22a\x22:1}`,
	}
	for _, parsed := range []bool{false, true} {
		t.Run(fmt.Sprint("parsed=", parsed), func(t *testing.T) {
			got, _ := runLines(t, lines, parsed, single)
			assertRecords(t, got, want)
		})
	}
}

// TestHostileHostPasswords: the gateway host, which becomes the WELF
// header's fw (and a syslog header's host), loses URL passwords in every
// spelling, with and without correlation, from raw lines and parsed maps
// (class 2); "http:pw@host" there is the user "http" with a password.
func TestHostileHostPasswords(t *testing.T) {
	var lines []string
	for i, sp := range userinfotest.Spellings {
		lines = append(lines, fmt.Sprintf(`{"log_id":"WR-SG-X","host":%s,"req_id":"H%d"}`, jsonString(sp.In), i))
	}
	for _, parsed := range []bool{false, true} {
		for _, props := range [][]string{{single}, nil} {
			t.Run(fmt.Sprint("parsed=", parsed, "/", props), func(t *testing.T) {
				got, r := runLines(t, lines, parsed, props...)
				if len(got) != len(lines) {
					t.Fatalf("%d records for %d lines:\n%s", len(got), len(lines), strings.Join(got, "\n"))
				}
				for i, rec := range got {
					fields, err := welf.Decode([]byte(rec))
					if err != nil {
						t.Fatal(err)
					}
					// A host is an authority: a scheme's name before the
					// password is its user (userinfo.RedactAuthority).
					want := string(userinfo.RedactAuthority(nil, []byte(userinfotest.Spellings[i].Out)))
					if fields[2].Value != want {
						t.Errorf("record %d: fw=%q, want %q", i+1, fields[2].Value, want)
					}
				}
				if strings.Contains(strings.Join(got, "\n")+r.stderr, userinfotest.Secret) {
					t.Errorf("the password reached the output or the log")
				}
			})
		}
	}
}

// TestHostileTimestamps: an @timestamp whose year WELF cannot write in the
// configured zone, or that is no time, neither loses the record (which
// takes the event time) nor its own text (unvalidated_time), from raw lines
// and parsed maps, with and without correlation (classes 7 and 9).
func TestHostileTimestamps(t *testing.T) {
	lines := []string{
		`{"log_id":"WR-SG-X","host":"gw","req_id":"T1","@timestamp":"9999-12-31T23:59:59-14:00"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"T2","@timestamp":"0000-01-01T00:00:00+14:00"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"T3","@timestamp":"2024-02-30T00:00:00Z"}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"T4","@timestamp":1709626364}`,
		`{"log_id":"WR-SG-X","host":"gw","req_id":"T5","@timestamp":"2024-03-05T09:12:44.331+01:00"}`,
	}
	want := []string{
		hostileHead + `unvalidated_time=9999-12-31T23:59:59-14:00 log_id=WR-SG-X req_id=T1`,
		hostileHead + `unvalidated_time=0000-01-01T00:00:00+14:00 log_id=WR-SG-X req_id=T2`,
		hostileHead + `unvalidated_time=2024-02-30T00:00:00Z log_id=WR-SG-X req_id=T3`,
		hostileHead + `unvalidated_time=1709626364 log_id=WR-SG-X req_id=T4`,
		`id=firewall time="2024-03-05 08:12:44" fw=gw pri=6 log_id=WR-SG-X req_id=T5`,
	}
	for _, parsed := range []bool{false, true} {
		for _, props := range [][]string{{single}, nil} {
			t.Run(fmt.Sprint("parsed=", parsed, "/", props), func(t *testing.T) {
				got, _ := runLines(t, lines, parsed, props...)
				assertRecords(t, got, want)
			})
		}
	}
}

// TestHostileKeysStateFile: a pending request whose records hold an empty
// key, a repeated key and one unknown key with two values survives a
// restart through State_File (it made the whole state file unreadable
// before), and the joined record keeps every value (classes 6 and 7).
func TestHostileKeysStateFile(t *testing.T) {
	dir := t.TempDir()
	state := filepath.Join(dir, "welf.state")
	out := filepath.Join(dir, "out.welf")
	props := []string{"Destination file://" + out, "Time_Zone UTC", "Line_Ending lf", "Conntrace on", "State_File " + state}
	conntrace := `{"@timestamp":"2024-03-05T09:12:44.000+01:00","log_id":"WR-SG-CONNTRACE","host":"gw","req_id":"S1","":"empty","x":"c","client_ip":"1.1.1.1","client_ip":"2.2.2.2"}`
	summary := `{"@timestamp":"2024-03-05T09:12:44.500+01:00","log_id":"WR-SG-SUMMARY","host":"gw","req_id":"S1","x":"s","http_status":"200"}`

	r := mustRun(t, tailInput("a", writeLines(t, dir, "1.log", conntrace))+welfOutput("*", props...))
	if !strings.Contains(r.stderr, "saved 1 pending requests") {
		t.Fatalf("first run did not save its state:\n%s", r.stderr)
	}
	r = mustRun(t, tailInput("a", writeLines(t, dir, "2.log", summary))+welfOutput("*", props...))
	if !strings.Contains(r.stderr, "restored 1 pending requests") {
		t.Errorf("second run did not restore the state:\n%s", r.stderr)
	}
	want := `id=firewall time="2024-03-05 08:12:44" fw=gw pri=6 src=2.2.2.2 result=200 log_id=WR-SG-SUMMARY req_id=S1 x=s _=empty x_2=c client_ip=1.1.1.1`
	if got := strings.TrimSuffix(readOutput(t, out), "\n"); got != want {
		t.Errorf("after the restart:\n got %s\nwant %s", got, want)
	}
}

// TestHostileLogMember: a JSON line whose "log" member holds an Airlock
// record next to other members, through Fluent Bit's json parser: the map
// has the raw line under Log_Key and the other members beside it, which
// are passed through into the record instead of vanishing (class 7).
func TestHostileLogMember(t *testing.T) {
	lines := []string{
		`{"log":"{\"log_id\":\"WR-SG-X\",\"host\":\"gw\",\"req_id\":\"L1\"}","evil":"kept","req_id":"forged"}`,
		`{"log":"not json","evil":"kept"}`,
	}
	got, _ := runLines(t, lines, true, single, "FW gw")
	assertRecords(t, got, []string{
		hostileHead + `log_id=WR-SG-X req_id=L1 evil=kept req_id_2=forged`,
		`id=firewall time="2024-03-05 08:00:00" fw=gw pri=4 tag=a msg="welfbridge: record not decoded: no JSON object in line" raw="{\x22log\x22:\x22not json\x22,\x22evil\x22:\x22kept\x22}"`,
	})
}
