package pipeline

import (
	"bytes"
	"github.com/welfbridge/welfbridge/internal/airlockjoin"
	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/event/eventtest"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// hostileLines are raw lines that are not exactly one Airlock JSON object.
var hostileLines = []string{
	`{"log_id":"WR-SG-SUMMARY","req_id":"A1","host":"gw"} {"log_id":"WR-SG-SUMMARY","req_id":"A2","host":"gw"}`,
	`["text",{"log_id":"WR-SG-SUMMARY","req_id":"B1","host":"gw"}]`,
	`{"log_id":"WR-SG-SUMMARY","req_id":"C1","host":"gw"} trailing garbage`,
	``,
	"  \t",
	`{"foo":"bar"},{"log_id":"WR-SG-SUMMARY","req_id":"D1","host":"gw"}`,
	`not json`,
	`{"log_id":"WR-SG-SUMMARY","req_id":"E1","host":"gw"}{"log_id":"WR-SG-BLOCK-1","req_id":"E1","host":"gw"}`,
	`{"log_id":"WR-SG-SUMMARY","req_id":"F1","host":"gw","resp_size":1e400,"req_size":1.5e3}`,
}

func hostileChunk(lines []string) []byte {
	var chunk []byte
	for _, l := range lines {
		chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log": l})
	}
	return chunk
}

// TestLinesNotOneObject: every object of a line becomes a record, text
// outside objects is forwarded as not decoded, blank lines are counted,
// and the books balance, with and without correlation and for both
// Unparsed_Records modes.
func TestLinesNotOneObject(t *testing.T) {
	const head = `id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 `
	const unparsed = `id=firewall time="2024-03-05 08:00:00" fw=collector pri=4 tag=t msg="welfbridge: record not decoded: `
	decoded := []string{
		head + `log_id=WR-SG-SUMMARY req_id=A1`,
		head + `log_id=WR-SG-SUMMARY req_id=A2`,
		head + `log_id=WR-SG-SUMMARY req_id=B1`,
		head + `log_id=WR-SG-SUMMARY req_id=C1`,
		head + `log_id=WR-SG-SUMMARY req_id=D1`,
	}
	notDecoded := []string{
		unparsed + `text before the JSON object at offset 8 is not a syslog or time header; text after the JSON object at offset 60" raw=[\x22text\x22,{\x22log_id\x22:\x22WR-SG-SUMMARY\x22,\x22req_id\x22:\x22B1\x22,\x22host\x22:\x22gw\x22}]`,
		unparsed + `text after the JSON object at offset 52" raw="{\x22log_id\x22:\x22WR-SG-SUMMARY\x22,\x22req_id\x22:\x22C1\x22,\x22host\x22:\x22gw\x22} trailing garbage"`,
		unparsed + `JSON object has no log_id: not an Airlock log record" raw={\x22foo\x22:\x22bar\x22},{\x22log_id\x22:\x22WR-SG-SUMMARY\x22,\x22req_id\x22:\x22D1\x22,\x22host\x22:\x22gw\x22}`,
		unparsed + `no JSON object in line" raw="not json"`,
	}
	single := []string{
		head + `cat_action=block log_id=WR-SG-BLOCK-1 req_id=E1`,
		head + `sent=1500 unvalidated_rcvd=1e400 log_id=WR-SG-SUMMARY req_id=F1`,
	}
	joined := []string{
		`id=firewall time="2024-03-05 08:00:00" fw=gw pri=4 cat_action=block log_id=WR-SG-BLOCK-1 req_id=E1`,
		head + `sent=1500 unvalidated_rcvd=1e400 log_id=WR-SG-SUMMARY req_id=F1`,
	}
	tests := []struct {
		name      string
		correlate bool
		mode      config.Unparsed
		want      []string
		balance   Balance
	}{
		{"emit", false, config.UnparsedEmit, concat(decoded[:2], decoded[2:3], notDecoded[:1], decoded[3:4], notDecoded[1:2], decoded[4:5], notDecoded[2:4],
			[]string{head + "log_id=WR-SG-SUMMARY req_id=E1"}, single),
			Balance{In: 14, Written: 12, Blank: 2}},
		{"drop", false, config.UnparsedDrop, concat(decoded, []string{head + "log_id=WR-SG-SUMMARY req_id=E1"}, single),
			Balance{In: 14, Written: 8, UnparsedDropped: 4, Blank: 2}},
		{"correlated", true, config.UnparsedEmit, concat(notDecoded[:2], notDecoded[2:4], joined[:1], decoded[:4], decoded[4:5], joined[1:]),
			Balance{In: 14, Written: 11, Blank: 2, Joined: 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, logs bytes.Buffer
			p := newTest(t, testConfig(func(c *config.Config) {
				c.Unparsed = tc.mode
				if tc.correlate {
					c.Correlation = config.Correlation{Enabled: true, Join: airlockjoin.Config{Timeout: 30 * time.Second, SessionTimeout: time.Hour, MaxPending: 1000, MaxPendingBytes: 1 << 20}}
				}
			}), &out, &logs)
			if _, err := p.Flush(hostileChunk(hostileLines), "t"); err != nil {
				t.Fatal(err)
			}
			if err := p.Close(); err != nil {
				t.Fatal(err)
			}
			got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
			if !sameSet(got, tc.want) {
				t.Errorf("output:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			b := p.Balance()
			if b != tc.balance {
				t.Errorf("balance %s, want %s", b, tc.balance)
			}
			if err := b.Check(); err != nil {
				t.Error(err)
			}
			if !strings.Contains(logs.String(), "] records: "+tc.balance.String()+"\n") {
				t.Errorf("logs lack the records line:\n%s", logs.String())
			}
		})
	}
}

func concat(parts ...[]string) []string {
	var all []string
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// sameSet compares the records regardless of order: correlation writes
// completed requests at the end of the chunk, after the others.
func sameSet(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	count := map[string]int{}
	for _, g := range got {
		count[g]++
	}
	for _, w := range want {
		if count[w] == 0 {
			return false
		}
		count[w]--
	}
	return true
}

// FuzzBalance feeds arbitrary lines, as raw lines and in both Unparsed
// modes with and without correlation, and checks that the books balance
// and that no record breaks a line.
func FuzzBalance(f *testing.F) {
	for _, l := range hostileLines {
		f.Add(l, `{"log_id":"WR-SG-SUMMARY","req_id":"A1"}`, uint8(0))
	}
	f.Add("\u2028{\"log_id\":\"X\",\"a.b\":\"\u0085\"}", "[1,{}]", uint8(3))
	f.Add(`{"log_id":"WR-SG-SUMMARY","req_id":"R","":"e","x":"1","x":"2","req_id":"S","@timestamp":"9999-12-31T23:59:59-14:00"}`,
		`{"_index":"i","client_ip":"6.6.6.6","_source":{"log_id":"WR-SG-CONNTRACE","req_id":"R","password":"p"},"fields":{}}`, uint8(2))
	f.Fuzz(func(t *testing.T, a, b string, mode uint8) {
		var out, logs bytes.Buffer
		p := newTest(t, testConfig(func(c *config.Config) {
			if mode&1 != 0 {
				c.Unparsed = config.UnparsedDrop
			}
			if mode&2 != 0 {
				c.Correlation = config.Correlation{Enabled: true, Join: airlockjoin.Config{Timeout: 30 * time.Second, SessionTimeout: time.Hour, MaxPending: 1000, MaxPendingBytes: 1 << 20}}
			}
		}), &out, &logs)
		if _, err := p.Flush(hostileChunk([]string{a, b, a}), "t"); err != nil {
			t.Fatal(err)
		}
		if err := p.Close(); err != nil {
			t.Fatal(err)
		}
		bal := p.Balance()
		if err := bal.Check(); err != nil {
			t.Fatal(err)
		}
		if n := uint64(strings.Count(out.String(), "\n")); n != bal.Written {
			t.Fatalf("%d lines written, balance says %d", n, bal.Written)
		}
		// Strict decoding also refuses any raw control character, line or
		// paragraph separator and bidi control.
		for _, rec := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
			if _, err := welf.Decode([]byte(rec)); rec != "" && err != nil {
				t.Fatalf("%v: %q", err, rec)
			}
		}
		if bal.In < 3 {
			t.Fatalf("3 events counted as %d records", bal.In)
		}
	})
}

// TestBalanceMWG: trace lines folded into transactions count as joined.
func TestBalanceMWG(t *testing.T) {
	chunk, _ := traceChunk(t, "../mwg/testdata/traces/HTTP-1a2b3c-C.txt", "../mwg/testdata/traces/HTTP-1a2b3c-S.txt")
	const lines = 37 // events in the chunk
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(func(c *config.Config) {
		c.MWG = config.MWG{PathKey: "file", Join: mwgjoin.Config{IdleTimeout: time.Minute, MaxConnections: 100, MaxBytes: 1 << 20, Clock: correlate.ClockRecord}}
	}), &out, &logs)
	if _, err := p.Flush(chunk, "mwg"); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	want := Balance{In: uint64(lines), Written: 2, Joined: uint64(lines) - 2}
	if b := p.Balance(); b != want || b.Check() != nil {
		t.Errorf("balance %s, want %s", b, want)
	}
}

// TestNonStringLogKeyKept: a Log_Key value that is no line (a map, a
// number), or a line next to a parsed record (Preserve_Key), is an ordinary
// field of the record, not dropped.
func TestNonStringLogKeyKept(t *testing.T) {
	var chunk []byte
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log_id": "WR-SG-X", "host": "gw", "log": map[string]any{"a": 1}})
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log_id": "WR-SG-X", "host": "gw", "log": 7})
	chunk = eventtest.AppendV2(chunk, evTime, map[string]any{"log_id": "WR-SG-X", "host": "gw", "log": `{"log_id":"WR-SG-X"}`})
	var out, logs bytes.Buffer
	p := newTest(t, testConfig(), &out, &logs)
	if _, err := p.Flush(chunk, "t"); err != nil {
		t.Fatal(err)
	}
	want := `id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 log_id=WR-SG-X log={\x22a\x22:1}` + "\n" +
		`id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 log_id=WR-SG-X log=7` + "\n" +
		`id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 log_id=WR-SG-X log={\x22log_id\x22:\x22WR-SG-X\x22}` + "\n"
	if out.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", out.String(), want)
	}
}
