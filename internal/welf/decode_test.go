package welf

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// headerFields is testHeader as Decode returns it.
var headerFields = []Field{{"id", "firewall"}, {"time", "2024-03-05 07:08:09"}, {"fw", "gw1"}, {"pri", "6"}}

func withHeader(fields ...Field) []Field { return append(slices.Clone(headerFields), fields...) }

func TestDecode(t *testing.T) {
	tests := []struct {
		name, rec string
		want      []Field
	}{
		{"header only", testPrefix, headerFields},
		{"bare and quoted", testPrefix + ` src=10.0.0.1 msg="a b"`, withHeader(Field{"src", "10.0.0.1"}, Field{"msg", "a b"})},
		{"quoted without space", `id="firewall" time="2024-03-05 07:08:09" fw="gw1" pri=6 k="x"`, withHeader(Field{"k", "x"})},
		{"escapes", testPrefix + ` k=\\\b\f\n\r\t\x00\x22\x7f\xff`, withHeader(Field{"k", "\\\b\f\n\r\t\x00\"\x7f\xff"})},
		{"syslog-ng quote escape", testPrefix + ` k="say \"hi\" now"`, withHeader(Field{"k", `say "hi" now`})},
		{"escaped quote bare", testPrefix + ` k=\"`, withHeader(Field{"k", `"`})},
		{"raw UTF-8", testPrefix + " k=aé😀\u00a0", withHeader(Field{"k", "aé😀\u00a0"})},
		{"apostrophe inside quotes", testPrefix + ` k="'x'"`, withHeader(Field{"k", "'x'"})},
		{"equals in value", testPrefix + ` arg=/a?b=c&d=e`, withHeader(Field{"arg", "/a?b=c&d=e"})},
		{"year 0000", `id=firewall time="0000-01-01 00:00:00" fw=gw1 pri=0`, []Field{{"id", "firewall"}, {"time", "0000-01-01 00:00:00"}, {"fw", "gw1"}, {"pri", "0"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.rec))
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ name, rec, want string }{
		{"empty", ``, `welf: decode at offset 0: expected a key of A-Z a-z 0-9 _`},
		{"header order", `time="2024-03-05 07:08:09" id=firewall fw=gw1 pri=6`, `welf: decode at offset 0: field 1 must be "id", found "time"`},
		{"missing pri", `id=firewall time="2024-03-05 07:08:09" fw=gw1`, `welf: decode at offset 45: missing header field "pri"`},
		{"missing all but id", `id=firewall`, `welf: decode at offset 11: missing header field "time"`},
		{"fw after pri", `id=firewall time="2024-03-05 07:08:09" pri=6 fw=gw1`, `welf: decode at offset 39: field 3 must be "fw", found "pri"`},
		{"time bare", `id=firewall time=2024-03-05T07:08:09 fw=gw1 pri=6`, `welf: decode at offset 17: header field time: must be "YYYY-MM-DD hh:mm:ss", quoted`},
		{"time unpadded", `id=firewall time="2000-2-4 12:01:01" fw=gw1 pri=6`, `welf: decode at offset 17: header field time: must be "YYYY-MM-DD hh:mm:ss", quoted`},
		{"time with zone", `id=firewall time="2024-03-05 07:08:09 UTC" fw=gw1 pri=6`, `welf: decode at offset 17: header field time: must be "YYYY-MM-DD hh:mm:ss", quoted`},
		{"time impossible", `id=firewall time="2024-02-30 07:08:09" fw=gw1 pri=6`, `welf: decode at offset 17: header field time: invalid date or time: parsing time "2024-02-30 07:08:09": day out of range`},
		{"pri 8", `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri=8`, `welf: decode at offset 50: header field pri: must be one unquoted digit 0-7`},
		{"pri quoted", `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri="6"`, `welf: decode at offset 50: header field pri: must be one unquoted digit 0-7`},
		{"pri two digits", `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri=06`, `welf: decode at offset 50: header field pri: must be one unquoted digit 0-7`},
		{"duplicate", testPrefix + ` src=1 src=2`, `welf: decode at offset 58: duplicate key "src"`},
		{"duplicate header key", testPrefix + ` fw=gw2`, `welf: decode at offset 52: duplicate key "fw"`},
		{"two spaces", testPrefix + `  src=1`, `welf: decode at offset 52: expected a key after the single space separating fields`},
		{"trailing space", testPrefix + ` `, `welf: decode at offset 52: expected a key after the single space separating fields`},
		{"leading space", ` ` + testPrefix, `welf: decode at offset 0: expected a key of A-Z a-z 0-9 _`},
		{"tab separator", testPrefix + "\tsrc=1", `welf: decode at offset 51: raw control byte 0x09`},
		{"CRLF terminator", testPrefix + "\r\n", `welf: decode at offset 51: raw control byte 0x0d`},
		{"bad key char", testPrefix + ` a.b=1`, `welf: decode at offset 53: expected '=' after key "a"`},
		{"key without value", testPrefix + ` src`, `welf: decode at offset 55: expected '=' after key "src"`},
		{"empty bare value", testPrefix + ` user= op=GET`, `welf: decode at offset 57: empty value`},
		{"empty value at end", testPrefix + ` user=`, `welf: decode at offset 57: empty value`},
		{"empty quoted value", testPrefix + ` user=""`, `welf: decode at offset 57: empty quoted value`},
		{"raw quote in bare", testPrefix + ` msg=a"b`, `welf: decode at offset 57: raw '"' in an unquoted value`},
		{"raw quote in quoted", testPrefix + ` msg="a"b c"`, `welf: decode at offset 59: expected a space or the end after a closing quote`},
		{"unclosed quote", testPrefix + ` msg="a b`, `welf: decode at offset 56: quoted value not closed`},
		{"space in bare", testPrefix + ` msg=a b`, `welf: decode at offset 59: expected '=' after key "b"`},
		{"bare apostrophe", testPrefix + ` k='x'`, `welf: decode at offset 54: an unquoted value must not start with '`},
		{"unknown escape", testPrefix + ` k=a\qb`, `welf: decode at offset 55: unknown escape sequence \q`},
		{"upper-case hex", testPrefix + ` k=\xFF`, `welf: decode at offset 54: \x must be followed by two lower-case hex digits`},
		{"short hex", testPrefix + ` k=\x1`, `welf: decode at offset 54: \x must be followed by two lower-case hex digits`},
		{"lone backslash", testPrefix + ` k=a\`, `welf: decode at offset 55: incomplete escape sequence`},
		{"backslash before closing quote", testPrefix + ` k="a\"`, `welf: decode at offset 54: quoted value not closed`},
		{"raw NUL", testPrefix + " k=a\x00", `welf: decode at offset 55: raw control byte 0x00`},
		{"raw DEL", testPrefix + " k=a\x7f", `welf: decode at offset 55: raw control byte 0x7f`},
		{"raw NEL", testPrefix + " k=a\u0085", `welf: decode at offset 55: raw control or separator "\u0085"`},
		{"raw U+2028", testPrefix + " k=a\u2028", `welf: decode at offset 55: raw control or separator "\u2028"`},
		{"raw RLO", testPrefix + " k=a\u202e", `welf: decode at offset 55: raw control or separator "\u202e"`},
		{"raw RLI", testPrefix + " k=a\u2067", `welf: decode at offset 55: raw control or separator "\u2067"`},
		{"raw tab quoted", testPrefix + " k=\"a\tb\"", `welf: decode at offset 56: raw control byte 0x09`},
		{"invalid UTF-8", testPrefix + " k=a\xc3(", `welf: decode at offset 55: raw invalid UTF-8 byte 0xc3`},
		{"surrogate", testPrefix + " k=\xed\xa0\x80", `welf: decode at offset 54: raw invalid UTF-8 byte 0xed`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode([]byte(tc.rec))
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got error %v, want %s", err, tc.want)
			}
			if got != nil {
				t.Errorf("got fields %q with the error, want nil", got)
			}
		})
	}
}

// TestDecodeManyFields crosses the point where Decode switches to a map for
// duplicate detection.
func TestDecodeManyFields(t *testing.T) {
	for _, n := range []int{manyFields - 5, manyFields - 4, manyFields - 3, manyFields + 10} {
		rec := []byte(testPrefix)
		want := slices.Clone(headerFields)
		for i := range n {
			key := "k" + strings.Repeat("x", i)
			rec = append(rec, " "+key+"=v"...)
			want = append(want, Field{key, "v"})
		}
		got, err := Decode(rec)
		if err != nil {
			t.Fatalf("%d fields: %v", n, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%d fields: got %q, want %q", n, got, want)
		}
		dup := append(slices.Clone(rec), " kxx=w"...)
		if _, err := Decode(dup); err == nil || !strings.HasSuffix(err.Error(), `duplicate key "kxx"`) {
			t.Errorf("%d fields + duplicate kxx: got error %v", n, err)
		}
		if _, err := Decode(append(slices.Clone(rec), " id=w"...)); err == nil || !strings.HasSuffix(err.Error(), `duplicate key "id"`) {
			t.Errorf("%d fields + duplicate id: got error %v", n, err)
		}
	}
}

// roundTripValues covers every byte, UTF-8 of every length, invalid UTF-8
// and everything that escaping or quoting treats specially.
func roundTripValues() []string {
	vals := []string{
		"plain", "two words", " ", "  ", "a  b", " lead", "trail ", "'", "'x", "x'", "''",
		`"`, `""`, `say "hi" now`, `\`, `\\`, `\x22`, `\"`, `a\" pri=0`, `x" src=6.6.6.6 user=admin`,
		"=", "a=b", "k=v w=x", ",", "(a)", "[b]", "<c>",
		"é", "árvíztűrőtükörfúrógép", "€", "😀", "\u0085\u2028\ufeff\uffff",
		"\xff", "\xc3", "\xc3(", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\x80", "a\xffb c\xfe",
		"\r\n", "l1\r\nl2", "\x00", "\x7f", "\x1b[31mred\x1b[0m",
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
		vals = append(vals, string(rune(i)), string([]byte{byte(i)}), "a"+string([]byte{byte(i)})+" b")
	}
	return append(vals, string(all), strings.Repeat("é \x00\"", 1000))
}

func TestRoundTrip(t *testing.T) {
	for _, opt := range []Options{{Location: time.UTC}} {
		b := NewBuilder(opt)
		for _, v := range roundTripValues() {
			b.Begin(Header{ID: v, Time: testTime, FW: v, Pri: 6})
			b.Str("s", v)
			b.TextBytes("t", []byte(v))
			rec, err := b.Finish()
			if err != nil {
				t.Fatalf("Finish(%q): %v", v, err)
			}
			want := []Field{{"id", v}, {"time", "2024-03-05 07:08:09"}, {"fw", v}, {"pri", "6"}, {"s", v}, {"t", v}}
			got, err := Decode(rec)
			if err != nil {
				t.Fatalf("Decode(%q) of value %q: %v", rec, v, err)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("value %q, record %q:\ngot  %q\nwant %q", v, rec, got, want)
			}
		}
	}
}
