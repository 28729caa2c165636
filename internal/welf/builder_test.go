package welf

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

var testTime = time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC)

// testPrefix is the encoding of testHeader.
const testPrefix = `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri=6`

func testHeader() Header { return Header{ID: "firewall", Time: testTime, FW: "gw1", Pri: 6} }

// finish returns the record as a string and fails the test on an error.
func finish(t *testing.T, b *Builder) string {
	t.Helper()
	rec, err := b.Finish()
	if err != nil {
		t.Fatalf("Finish: %v", err)
	}
	return string(rec)
}

// valueVectors are welf.md §2.1 (our column, §5 "resulting vectors") plus
// the remaining rules of §5.3/§5.4, as value -> encoded field ("" = omitted).
var valueVectors = []struct {
	name, value, want string
}{
	{"plain", "plain", `k=plain`},
	{"space", "two words", `k="two words"`},
	{"quote bare", `a"b`, `k=a\x22b`},
	{"quote quoted", `say "hi" now`, `k="say \x22hi\x22 now"`},
	{"empty", "", ""},
	{"equals", "a=b", `k=a=b`},
	{"backslash quoted", `C:\dir x`, `k="C:\\dir x"`},
	{"tab", "tab\there", `k=tab\there`},
	{"CR LF", "l1\r\nl2", `k=l1\r\nl2`},
	{"controls", "\x01\x1b", `k=\x01\x1b`},
	{"NUL", "bin\x00z", `k=bin\x00z`},
	{"invalid UTF-8", "\xff\xc3", `k=\xff\xc3`},
	{"leading apostrophe", "'single'", `k="'single'"`},
	{"leading space", " lead", `k=" lead"`},
	{"two quotes", `""`, `k=\x22\x22`},
	{"syslog-ng upstream", "binary stuff follows \"\xad árvíztűrőtükörfúrógép", `k="binary stuff follows \x22\xad árvíztűrőtükörfúrógép"`},
	{"BS FF", "\b\f", `k=\b\f`},
	{"DEL", "a\x7fb", `k=a\x7fb`},
	{"C1 NEL and CSI", "a\u0085b\u009bc", `k=a\xc2\x85b\xc2\x9bc`},
	{"C1 first and last", "\u0080\u009f", `k=\xc2\x80\xc2\x9f`},
	{"after C1 raw", "\u00a0\u00bf", "k=\u00a0\u00bf"},
	{"line and paragraph separators", "l1\u2028l2\u2029", `k=l1\xe2\x80\xa8l2\xe2\x80\xa9`},
	{"bidi embeddings and overrides", "\u202a\u202b\u202c\u202d\u202e", `k=\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xae`},
	{"bidi isolates", "\u2066\u2067\u2068\u2069", `k=\xe2\x81\xa6\xe2\x81\xa7\xe2\x81\xa8\xe2\x81\xa9`},
	{"bidi marks", "\u061c\u200e\u200f", `k=\xd8\x9c\xe2\x80\x8e\xe2\x80\x8f`},
	{"neighbours of escaped runes raw", "\u061b\u061d\u200d\u2010\u2027\u202f\u2065\u206a", "k=\u061b\u061d\u200d\u2010\u2027\u202f\u2065\u206a"},
	{"punctuation raw", "(a)[b]<c>,d'e=f", `k=(a)[b]<c>,d'e=f`},
	{"apostrophe inside", "it's", `k=it's`},
	{"surrogate", "\xed\xa0\x80", `k=\xed\xa0\x80`},
	{"overlong", "\xc0\x80", `k=\xc0\x80`},
	{"cut 3-byte", "\xe2\x82", `k=\xe2\x82`},
	{"above U+10FFFF", "\xf4\x90\x80\x80", `k=\xf4\x90\x80\x80`},
	{"4-byte", "😀", "k=😀"},
	{"backslash x", `\x22`, `k=\\x22`},
	{"trailing space", "end ", `k="end "`},
	{"only space", " ", `k=" "`},
}

func TestValueEncoding(t *testing.T) {
	writers := map[string]func(b *Builder, key, val string){
		"Str":       (*Builder).Str,
		"Bytes":     func(b *Builder, k, v string) { b.Bytes(k, []byte(v)) },
		"Text":      (*Builder).Text,
		"TextBytes": func(b *Builder, k, v string) { b.TextBytes(k, []byte(v)) },
	}
	b := NewBuilder(Options{})
	for _, tc := range valueVectors {
		for wname, write := range writers {
			t.Run(tc.name+"/"+wname, func(t *testing.T) {
				b.Begin(testHeader())
				write(b, "k", tc.value)
				want := testPrefix
				if tc.want != "" {
					want += " " + tc.want
				}
				if got := finish(t, b); got != want {
					t.Errorf("got  %s\nwant %s", got, want)
				}
			})
		}
	}
}

func TestHeader(t *testing.T) {
	tests := []struct {
		name string
		opt  Options
		h    Header
		want string
	}{
		{"UTC", Options{Location: time.UTC}, testHeader(), testPrefix},
		{
			"fixed zone east", Options{Location: time.FixedZone("CET", 3600)},
			Header{ID: "firewall", Time: time.Date(2024, 12, 31, 23, 30, 0, 0, time.UTC), FW: "gw1", Pri: 6},
			`id=firewall time="2025-01-01 00:30:00" fw=gw1 pri=6`,
		},
		{
			"fixed zone west", Options{Location: time.FixedZone("", -(5*3600 + 1800))},
			Header{ID: "firewall", Time: time.Date(2024, 3, 5, 2, 0, 0, 999999999, time.UTC), FW: "gw1", Pri: 6},
			`id=firewall time="2024-03-04 20:30:00" fw=gw1 pri=6`,
		},
		{
			"zero padding", Options{Location: time.UTC},
			Header{ID: "firewall", Time: time.Date(5, 1, 2, 3, 4, 5, 0, time.UTC), FW: "gw1", Pri: 6},
			`id=firewall time="0005-01-02 03:04:05" fw=gw1 pri=6`,
		},
		{
			"zero time", Options{Location: time.UTC},
			Header{ID: "firewall", FW: "gw1"},
			`id=firewall time="0001-01-01 00:00:00" fw=gw1 pri=0`,
		},
		{
			"escaped and quoted id and fw", Options{Location: time.UTC},
			Header{ID: "Web\"GW", Time: testTime, FW: "gate way 1", Pri: 3},
			`id=Web\x22GW time="2024-03-05 07:08:09" fw="gate way 1" pri=3`,
		},
		{"pri -3", Options{Location: time.UTC}, Header{ID: "firewall", Time: testTime, FW: "gw1", Pri: -3}, `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri=0`},
		{"pri 0", Options{Location: time.UTC}, Header{ID: "firewall", Time: testTime, FW: "gw1", Pri: 0}, `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri=0`},
		{"pri 7", Options{Location: time.UTC}, Header{ID: "firewall", Time: testTime, FW: "gw1", Pri: 7}, `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri=7`},
		{"pri 8", Options{Location: time.UTC}, Header{ID: "firewall", Time: testTime, FW: "gw1", Pri: 8}, `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri=7`},
		{"pri 100", Options{Location: time.UTC}, Header{ID: "firewall", Time: testTime, FW: "gw1", Pri: 100}, `id=firewall time="2024-03-05 07:08:09" fw=gw1 pri=7`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder(tc.opt)
			b.Begin(tc.h)
			if got := finish(t, b); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestHeaderLocalByDefault(t *testing.T) {
	b := NewBuilder(Options{})
	b.Begin(testHeader())
	want := `id=firewall time="` + testTime.In(time.Local).Format(time.DateTime) + `" fw=gw1 pri=6`
	if got := finish(t, b); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// TestTimeCache checks that the per-second cache never serves a stale time.
func TestTimeCache(t *testing.T) {
	b := NewBuilder(Options{Location: time.UTC})
	base := time.Date(2024, 3, 5, 7, 8, 9, 0, time.UTC)
	steps := []struct {
		t    time.Time
		want string
	}{
		{base, "2024-03-05 07:08:09"},
		{base.Add(999 * time.Millisecond), "2024-03-05 07:08:09"},
		{base.Add(time.Second), "2024-03-05 07:08:10"},
		{base, "2024-03-05 07:08:09"},
		{base.Add(24 * time.Hour), "2024-03-06 07:08:09"},
		{base.In(time.FixedZone("x", 7200)), "2024-03-05 07:08:09"},
	}
	for i, s := range steps {
		b.Begin(Header{ID: "firewall", Time: s.t, FW: "gw1", Pri: 6})
		want := `id=firewall time="` + s.want + `" fw=gw1 pri=6`
		if got := finish(t, b); got != want {
			t.Errorf("step %d: got  %s\nwant %s", i, got, want)
		}
	}
}

func TestFields(t *testing.T) {
	tests := []struct {
		name  string
		write func(b *Builder)
		want  string // after testPrefix
	}{
		{"order kept", func(b *Builder) {
			b.Str("src", "10.0.0.1")
			b.Int("srcport", 51234)
			b.Str("dst", "192.0.2.7")
			b.Text("msg", "hello")
			b.Str("arg", "/a?b=c&d=e")
		}, ` src=10.0.0.1 srcport=51234 dst=192.0.2.7 msg=hello arg=/a?b=c&d=e`},
		{"int", func(b *Builder) {
			b.Int("sent", -42)
			b.Int("rcvd", 0)
			b.Int("big", 9223372036854775807)
		}, ` sent=-42 rcvd=0 big=9223372036854775807`},
		{"empty values omitted", func(b *Builder) {
			b.Str("a", "")
			b.Bytes("b", nil)
			b.Text("c", "")
			b.TextBytes("d", []byte{})
			b.Str("g", "x")
		}, ` g=x`},
		{"empty value then same key", func(b *Builder) {
			b.Str("user", "")
			b.Str("user", "alice")
			b.Str("user", "")
		}, ` user=alice`},
		{"key case kept", func(b *Builder) {
			b.Str("srcMac", "00:11")
			b.Str("SRCMAC", "22:33")
		}, ` srcMac=00:11 SRCMAC=22:33`},
	}
	b := NewBuilder(Options{Location: time.UTC})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b.Begin(testHeader())
			tc.write(b)
			want := testPrefix + tc.want
			if got := finish(t, b); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name  string
		write func(b *Builder)
		want  string
	}{
		{"empty id", func(b *Builder) { b.Begin(Header{Time: testTime, FW: "gw1"}) }, `welf: header id is empty`},
		{"empty fw", func(b *Builder) { b.Begin(Header{ID: "firewall", Time: testTime}) }, `welf: header fw is empty`},
		{"year 10000", func(b *Builder) {
			b.Begin(Header{ID: "firewall", Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), FW: "gw1"})
		}, `welf: header time 10000-01-01T00:00:00Z: year outside 0000..9999`},
		{"negative year", func(b *Builder) {
			b.Begin(Header{ID: "firewall", Time: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), FW: "gw1"})
		}, `welf: header time -0001-01-01T00:00:00Z: year outside 0000..9999`},
		{"invalid key", func(b *Builder) { b.Begin(testHeader()); b.Str("bad key", "v") }, `welf: invalid key "bad key": allowed are 1 to 128 of A-Z a-z 0-9 _`},
		{"empty key", func(b *Builder) { b.Begin(testHeader()); b.Text("", "v") }, `welf: invalid key "": allowed are 1 to 128 of A-Z a-z 0-9 _`},
		{"dotted key", func(b *Builder) { b.Begin(testHeader()); b.Int("a.b", 1) }, `welf: invalid key "a.b": allowed are 1 to 128 of A-Z a-z 0-9 _`},
		{"invalid key with empty value", func(b *Builder) { b.Begin(testHeader()); b.Str("a-b", "") }, `welf: invalid key "a-b": allowed are 1 to 128 of A-Z a-z 0-9 _`},
		{"duplicate", func(b *Builder) {
			b.Begin(testHeader())
			b.Str("src", "1")
			b.Bytes("src", []byte("2"))
		}, `welf: duplicate key "src"`},
		{"duplicate header pri", func(b *Builder) { b.Begin(testHeader()); b.Str("pri", "0") }, `welf: duplicate key "pri"`},
		{"duplicate header time", func(b *Builder) { b.Begin(testHeader()); b.Int("time", 0) }, `welf: duplicate key "time"`},
		{"duplicate header id", func(b *Builder) { b.Begin(testHeader()); b.Text("id", "x") }, `welf: duplicate key "id"`},
		{"duplicate header fw", func(b *Builder) { b.Begin(testHeader()); b.Str("fw", "x") }, `welf: duplicate key "fw"`},
		{"first error kept", func(b *Builder) {
			b.Begin(testHeader())
			b.Str("a b", "1")
			b.Str("src", "1")
			b.Str("src", "2")
		}, `welf: invalid key "a b": allowed are 1 to 128 of A-Z a-z 0-9 _`},
		{"field before Begin", func(b *Builder) { b.Str("k", "v") }, `welf: field "k" written before Begin`},
		{"Finish before Begin", func(b *Builder) {}, `welf: Finish called before Begin`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := NewBuilder(Options{Location: time.UTC})
			tc.write(b)
			rec, err := b.Finish()
			if err == nil || err.Error() != tc.want {
				t.Fatalf("got error %v, want %s", err, tc.want)
			}
			if rec != nil {
				t.Errorf("got record %q with the error, want nil", rec)
			}
		})
	}
}

// TestBeginResets checks that a failed record leaves nothing behind.
func TestBeginResets(t *testing.T) {
	b := NewBuilder(Options{Location: time.UTC, MaxSize: 60})
	b.Begin(testHeader())
	b.Text("msg", strings.Repeat("x", 100))
	b.Str("bad key", "v")
	if _, err := b.Finish(); err == nil {
		t.Fatal("want an error for the first record")
	}
	b.Begin(testHeader())
	b.Str("src", "1")
	if got, want := finish(t, b), testPrefix+" src=1"; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if b.Truncated() || b.Has("msg") {
		t.Errorf("Truncated %v, Has(msg) %v after Begin: state of the previous record kept", b.Truncated(), b.Has("msg"))
	}
}

func TestHas(t *testing.T) {
	b := NewBuilder(Options{Location: time.UTC})
	b.Begin(testHeader())
	b.Str("src", "10.0.0.1")
	b.Str("user", "")
	b.Int("sent", 1)
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"id", true}, {"time", true}, {"fw", true}, {"pri", true},
		{"src", true}, {"sent", true},
		{"user", false}, {"cat", false}, {"sr", false}, {"srcx", false}, {"", false}, {"ID", false},
	} {
		if got := b.Has(tc.key); got != tc.want {
			t.Errorf("Has(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
}

func TestValidKey(t *testing.T) {
	for _, tc := range []struct {
		key  string
		want bool
	}{
		{"src", true}, {"srcMac", true}, {"cat_action", true}, {"_", true}, {"A0_z9", true},
		{"", false}, {"a b", false}, {"a.b", false}, {"a-b", false}, {"a=b", false},
		{"é", false}, {"a\x00", false}, {`a"`, false},
	} {
		if got := ValidKey(tc.key); got != tc.want {
			t.Errorf("ValidKey(%q) = %v, want %v", tc.key, got, tc.want)
		}
	}
}

func TestAppendSanitizedKey(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"", "_"},
		{"src", "src"},
		{"my-key.x", "my_key_x"},
		{"a b=c", "a_b_c"},
		{"é", "__"},
		{"\x00\"", "__"},
	} {
		got := string(AppendSanitizedKey([]byte("p:"), []byte(tc.key)))
		if want := "p:" + tc.want; got != want {
			t.Errorf("AppendSanitizedKey(%q) = %q, want %q", tc.key, got, want)
		}
		if !ValidKey(tc.want) {
			t.Errorf("sanitized %q is not a valid key", tc.want)
		}
	}
}

// TestValidRuneLen compares validRuneLen with unicode/utf8: exhaustively for
// 2- and 3-byte sequences, and for every lead and second byte of 4-byte ones.
func TestValidRuneLen(t *testing.T) {
	check := func(p []byte) {
		want := 0
		if r, n := utf8.DecodeRune(p); r != utf8.RuneError || n > 1 {
			want = n
		}
		if got := validRuneLen(p, 0); got != want {
			t.Fatalf("validRuneLen(% x) = %d, want %d", p, got, want)
		}
		if got := validRuneLen(string(p), 0); got != want {
			t.Fatalf("validRuneLen(string % x) = %d, want %d", p, got, want)
		}
	}
	edges := []byte{0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xff}
	for c0 := 0x80; c0 <= 0xff; c0++ {
		check([]byte{byte(c0)})
		for c1 := 0; c1 <= 0xff; c1++ {
			check([]byte{byte(c0), byte(c1)})
			if c0 >= 0xe0 && c0 <= 0xef {
				for c2 := 0; c2 <= 0xff; c2++ {
					check([]byte{byte(c0), byte(c1), byte(c2)})
				}
			}
			if c0 >= 0xf0 {
				for _, c2 := range edges {
					for _, c3 := range edges {
						check([]byte{byte(c0), byte(c1), c2, c3})
					}
				}
			}
		}
	}
}

// TestBuilderAllocs guards the 0-allocation promise outside benchmarks.
func TestBuilderAllocs(t *testing.T) {
	b := NewBuilder(Options{Location: time.UTC, MaxSize: 400})
	h := testHeader()
	allocs := testing.AllocsPerRun(100, func() {
		writeAirlockRecord(b, h)
		if _, err := b.Finish(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per record, want 0", allocs)
	}
}
