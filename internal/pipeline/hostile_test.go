package pipeline

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tinylib/msgp/msgp"

	"github.com/welfbridge/welfbridge/internal/airlock"
	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
	"github.com/welfbridge/welfbridge/internal/userinfo/userinfotest"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// appendRawEvent appends a V2 event whose body is the msgpack map with the
// given raw entries (key and value already encoded): maps no JSON parser
// makes but a Fluent Bit filter or a forward client may send.
func appendRawEvent(dst []byte, entries ...[]byte) []byte {
	dst = msgp.AppendArrayHeader(dst, 2)
	dst = msgp.AppendArrayHeader(dst, 2)
	dst = append(dst, 0xd7, 0x00)
	dst = binary.BigEndian.AppendUint32(dst, uint32(evTime.Unix()))
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = msgp.AppendMapHeader(dst, 0)
	dst = msgp.AppendMapHeader(dst, uint32(len(entries)/2))
	for _, e := range entries {
		dst = append(dst, e...)
	}
	return dst
}

func str(s string) []byte { return msgp.AppendString(nil, s) }

func ext(typ int8, data []byte) []byte {
	b, err := msgp.AppendExtension(nil, &msgp.RawExtension{Type: typ, Data: data})
	if err != nil {
		panic(err)
	}
	return b
}

// TestFlushHostileMaps: maps with keys that are not strings, keys that
// repeat, several raw lines, bin and ext values: every key keeps its own
// name and every value reaches the output (classes 6 and 8).
func TestFlushHostileMaps(t *testing.T) {
	tests := []struct {
		name    string
		entries [][]byte
		want    string
	}{
		{"integer keys", [][]byte{str("log_id"), str("WR-SG-X"), msgp.AppendInt(nil, 1), str("a"), msgp.AppendInt(nil, 2), str("b"), msgp.AppendInt(nil, -3), str("c")},
			`log_id=WR-SG-X 1=a 2=b _3=c`},
		{"nil, bool and float keys", [][]byte{str("log_id"), str("WR-SG-X"), msgp.AppendNil(nil), str("n"), msgp.AppendBool(nil, true), str("t"), msgp.AppendFloat64(nil, 1.5), str("f")},
			`log_id=WR-SG-X _=n true=t 1_5=f`},
		{"bin key and values", [][]byte{str("log_id"), str("WR-SG-X"), msgp.AppendBytes(nil, []byte("k")), msgp.AppendBytes(nil, []byte("v\x00"))},
			`log_id=WR-SG-X k=v\x00`},
		{"repeated keys", [][]byte{str("log_id"), str("WR-SG-X"), str("client_ip"), str("1.1.1.1"), str("client_ip"), str("2.2.2.2"), str("x"), str("a"), str("x"), str("b")},
			`src=2.2.2.2 log_id=WR-SG-X client_ip=1.1.1.1 x=a x_2=b`},
		{"ext value", [][]byte{str("log_id"), str("WR-SG-X"), str("ts"), ext(0, []byte{0, 0, 0, 1, 0, 0, 0, 2})},
			`log_id=WR-SG-X ts=0000000100000002`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, logs bytes.Buffer
			p := newTest(t, testConfig(), &out, &logs)
			if _, err := p.Flush(appendRawEvent(nil, tc.entries...), "a"); err != nil {
				t.Fatal(err)
			}
			want := `id=firewall time="2024-03-05 08:00:00" fw=collector pri=6 ` + tc.want + "\n"
			if out.String() != want {
				t.Errorf("got:\n%s\nwant:\n%s%s", out.String(), want, logs.String())
			}
		})
	}
}

// TestFlushTwoLines: a map with two raw lines under Log_Key (a filter that
// added one, a forward client) loses neither: without log_id the record is
// forwarded as not decoded, whole; with log_id (lines kept next to parsed
// fields) both lines are passed through.
func TestFlushTwoLines(t *testing.T) {
	line := func(id string) []byte { return str(`{"log_id":"WR-SG-X","req_id":"` + id + `"}`) }
	const head = `id=firewall time="2024-03-05 08:00:00" fw=collector `
	tests := []struct {
		name    string
		entries [][]byte
		want    string
	}{
		{"no log_id", [][]byte{str("log"), line("A"), str("log"), line("B")},
			head + `pri=4 tag=a msg="welfbridge: record not decoded: 2 \x22log\x22 lines in one record" raw={\x22log\x22:\x22{\\\x22log_id\\\x22:\\\x22WR-SG-X\\\x22,\\\x22req_id\\\x22:\\\x22A\\\x22}\x22,\x22log\x22:\x22{\\\x22log_id\\\x22:\\\x22WR-SG-X\\\x22,\\\x22req_id\\\x22:\\\x22B\\\x22}\x22}`},
		{"with log_id", [][]byte{str("log"), str("a"), str("log_id"), str("WR-SG-X"), str("log"), str("b")},
			head + `pri=6 log_id=WR-SG-X log=a log_2=b`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := flushRaw(t, testConfig(), tc.entries...); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// FuzzFlushMapKeys sends maps whose keys are strings, integers or nil, one
// of them repeated, and checks that every value of an unknown field
// reaches the output under a key made from its own key (sanitised,
// perhaps numbered or prefixed x_), and that the books balance.
func FuzzFlushMapKeys(f *testing.F) {
	f.Add("a.b", "a_b", int64(1), int64(2), uint8(0))
	f.Add("x", "1", int64(1), int64(-1), uint8(3))
	f.Add("", "true", int64(0), int64(7), uint8(6))
	f.Fuzz(func(t *testing.T, a, b string, ia, ib int64, mode uint8) {
		key := func(s string, i int64, bit uint8) ([]byte, string) {
			switch {
			case mode&bit != 0:
				return msgp.AppendInt64(nil, i), strconv.FormatInt(i, 10)
			case mode&(bit<<2) != 0 && bit == 1:
				return msgp.AppendNil(nil), ""
			}
			return str(s), s
		}
		ka, na := key(a, ia, 1)
		kb, nb := key(b, ib, 2)
		entries := [][]byte{str("log_id"), str("WR-SG-X"), ka, str("value-one"), kb, str("value-two"), ka, str("value-three")}
		names := map[string]string{"value-one": na, "value-two": nb, "value-three": na}
		var out, logs bytes.Buffer
		p := newTest(t, testConfig(), &out, &logs)
		if _, err := p.Flush(appendRawEvent(nil, entries...), "a"); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		if err := p.Balance().Check(); err != nil {
			t.Fatal(err)
		}
		fields, err := welf.Decode(bytes.TrimSuffix(out.Bytes(), []byte("\n")))
		if err != nil {
			t.Fatalf("%v: %q", err, out.String())
		}
		for value, name := range names {
			if _, known := airlock.LookupField([]byte(name)); known || name == "log" || name == "message" || name == "_source" ||
				len(name) > 100 || strings.ContainsAny(name, "@%") {
				continue // a field of its own meaning, shortened, or cut by the URL password rule
			}
			want := string(welf.AppendSanitizedKey(nil, []byte(name)))
			found := false
			for _, fl := range fields {
				if fl.Value != value && fl.Value != "<redacted>" {
					continue
				}
				for _, k := range []string{fl.Key, strings.TrimPrefix(fl.Key, "x_")} {
					found = found || k == want || strings.HasPrefix(k, want+"_")
				}
			}
			if !found {
				t.Fatalf("%q of key %q (WELF %q) not found:\n%s", value, name, want, out.String())
			}
		}
	})
}

// TestFlushLineSiblings: fields next to a raw line in its map (the other
// members of a JSON line with a "log" member, a filter's) reach every
// record of the line, or the not-decoded record with the whole map; the
// file name and offset under the configured Path_Key and Offset_Key do
// not (class 7).
func TestFlushLineSiblings(t *testing.T) {
	const head = `id=firewall time="2024-03-05 08:00:00" fw=collector `
	tests := []struct {
		name    string
		entries [][]byte
		want    string
	}{
		{"two records", [][]byte{str("log"), str(`{"log_id":"WR-SG-X","req_id":"A"} {"log_id":"WR-SG-X","req_id":"B"}`), str("evil"), str("kept"), str("file"), str("/var/log/a.log"), str("offset"), msgp.AppendInt(nil, 7)},
			head + "pri=6 log_id=WR-SG-X req_id=A evil=kept\n" + head + "pri=6 log_id=WR-SG-X req_id=B evil=kept"},
		{"sibling with a field's name", [][]byte{str("req_id"), str("forged"), str("log"), str(`{"log_id":"WR-SG-X","req_id":"A"}`)},
			head + "pri=6 log_id=WR-SG-X req_id=A req_id_2=forged"},
		{"line not decoded", [][]byte{str("log"), str(`not json`), str("evil"), str("kept")},
			head + `pri=4 tag=a msg="welfbridge: record not decoded: no JSON object in line" raw="{\x22log\x22:\x22not json\x22,\x22evil\x22:\x22kept\x22}"`},
		{"message as the line", [][]byte{str("message"), str(`{"log_id":"WR-SG-X","req_id":"M"}`), str("n"), msgp.AppendInt(nil, 1)},
			head + "pri=6 log_id=WR-SG-X req_id=M n=1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testConfig(func(c *config.Config) { c.MWG.PathKey, c.MWG.OffsetKey = "file", "offset" })
			if got := flushRaw(t, cfg, tc.entries...); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// FuzzHostNoPassword: the gateway host becomes the header's fw (and a
// syslog header's host): no password of userinfo in it, in any spelling,
// reaches the output or the log.
func FuzzHostNoPassword(f *testing.F) {
	for _, tt := range userinfotest.Spellings {
		if j := strings.Index(tt.In, userinfotest.Secret); j >= 0 {
			f.Add(tt.In[:j], userinfotest.Secret, tt.In[j+len(userinfotest.Secret):])
		}
	}
	f.Fuzz(func(t *testing.T, before, password, after string) {
		ok := len(password) >= 3 && strings.ContainsAny(password, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") &&
			(strings.HasSuffix(before, ":") || strings.HasSuffix(before, "%3A")) &&
			(strings.HasPrefix(after, "@") || strings.HasPrefix(after, "%40")) &&
			strings.Count(before+password+after, password) == 1
		for _, c := range []byte(password) {
			ok = ok && (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("._~!$&'()*+,;-", c) >= 0)
		}
		if !ok {
			return
		}
		host := before + password + after
		var out, logs bytes.Buffer
		p := newTest(t, testConfig(), &out, &logs)
		chunk := eventtest.AppendV2(nil, evTime, map[string]any{"log_id": "WR-SG-X", "host": host})
		chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": `{"log_id":"WR-SG-X","host":` + strconv.Quote(host) + `}`})
		if _, err := p.Flush(chunk, "a"); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		// A password holds no '\\', so no escape of a byte around it (WELF's
		// and the log's \xNN) can be part of it: escapes are blanked first,
		// lest "\x00" followed by "X" pass for a password "00X".
		if written := hexEscape.ReplaceAllString(out.String()+logs.String(), "\\"); strings.Contains(written, password) {
			t.Fatalf("password %q of host %q:\n%s%s", password, host, out.String(), logs.String())
		}
	})
}

var hexEscape = regexp.MustCompile(`\\x[0-9a-f]{2}`)

// flushRaw flushes one record of the map entries through a pipeline with
// cfg, closes it, checks that its books balance and returns its output
// without the last line break.
func flushRaw(t *testing.T, cfg *config.Config, entries ...[]byte) string {
	t.Helper()
	var out, logs bytes.Buffer
	p := newTest(t, cfg, &out, &logs)
	if _, err := p.Flush(appendRawEvent(nil, entries...), "a"); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := p.Balance().Check(); err != nil {
		t.Error(err)
	}
	return strings.TrimSuffix(out.String(), "\n")
}
