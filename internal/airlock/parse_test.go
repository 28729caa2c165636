package airlock

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The records of airlock.md §6 and the seed's Kibana export, with every
// decoded field and the exact WELF fields they map to.
var examples = []struct {
	file   string
	kind   Kind
	time   string // RFC 3339 with milliseconds
	sev    int
	fields string
	welf   string
}{
	{
		file: "conntrace.json", kind: KindConntrace, time: "2024-03-05T09:12:44.318+01:00", sev: 6,
		fields: lines(
			"@timestamp=2024-03-05T09:12:44.318+01:00",
			"host=gw01",
			"program=SG_child",
			"pid=20417",
			"priority=info",
			"facility=user",
			"log_id=WR-SG-CONNTRACE",
			"log_cat=U",
			"message=Connection Trace",
			"rcpt_id=5530021",
			"req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk",
			"sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
			"mapping=shop",
			"client_ip=198.51.100.23",
			"front_src_ip=198.51.100.23",
			"front_src_port=51544",
			"front_dst_ip=203.0.113.10",
			"front_dst_port=443",
			"back_src_ip=10.20.0.5",
			"back_src_port=40118",
			"back_dst_ip=10.20.1.17",
			"back_dst_port=8080",
		),
		welf: lines(
			"str src=198.51.100.23",
			"str srcport=51544",
			"str dst=10.20.1.17",
			"str dstport=8080",
			"str log_id=WR-SG-CONNTRACE",
			"str req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk",
			"str sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
			"str mapping=shop",
			"str front_dst=203.0.113.10:443",
			"str back_src=10.20.0.5:40118",
		),
	},
	{
		file: "summary.json", kind: KindSummary, time: "2024-03-05T09:12:44.331+01:00", sev: 6,
		fields: lines(
			"@timestamp=2024-03-05T09:12:44.331+01:00",
			"host=gw01",
			"program=SG_child",
			"pid=20417",
			"priority=info",
			"facility=user",
			"log_id=WR-SG-SUMMARY",
			"log_cat=X",
			"req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk",
			"sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
			"sess_auth=false",
			"mapping=shop",
			"entry_url=https://shop.example.com/cart?item=42",
			"entry_path=/cart",
			"entry_query=item=42",
			"vhost=shop.example.com",
			"vhost_ip=203.0.113.10",
			"vhost_port=443",
			"vhost_proto=https",
			"vhost_proto_vers=HTTP/2",
			"http_method=GET",
			"http_status=200",
			"http_user_agent=Mozilla/5.0",
			"http_accept_lang=de-CH",
			"http_referrer=https://shop.example.com/",
			"backend_url=http://10.20.1.17:8080/cart?item=42",
			"req_size=612",
			"resp_size=18342",
			"client_ip=198.51.100.23",
			"back_host=app1.internal",
			"back_host_ip=10.20.1.17",
			"back_host_port=8080",
			"back_host_proto=http",
		),
		welf: lines(
			"str proto=https",
			"str src=198.51.100.23",
			"str dst=10.20.1.17",
			"str dstport=8080",
			"str dstname=shop.example.com",
			"str op=GET",
			"str arg=/cart?item=42",
			"str result=200",
			"str sent=612",
			"str rcvd=18342",
			"text ref=https://shop.example.com/",
			"text agent=Mozilla/5.0",
			"str log_id=WR-SG-SUMMARY",
			"str req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk",
			"str sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
			"str mapping=shop",
			"str sess_auth=false",
			"str vhost_addr=203.0.113.10:443",
			"str back_host=app1.internal",
			"str back_host_proto=http",
			"str backend_url=http://10.20.1.17:8080/cart?item=42",
			"str vhost_proto_vers=HTTP/2",
			"str http_accept_lang=de-CH",
		),
	},
	{
		file: "block.json", kind: KindBlock, time: "2024-03-05T09:13:02.907+01:00", sev: 6,
		fields: lines(
			"@timestamp=2024-03-05T09:13:02.907+01:00",
			"host=gw01",
			"program=SG_child",
			"pid=20419",
			"priority=info",
			"log_id=WR-SG-BLOCK-110-01",
			`message=Blocked parameter: "s=' or 1=1--"`,
			"req_id=ZebVjmq3rXx9Qm2kYcE1IAAAAE0",
			"sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
			"sess_auth=false",
			"mapping=shop",
			"vhost=shop.example.com",
			"vhost_ip=203.0.113.10",
			"vhost_port=443",
			"vhost_proto=https",
			"th_mode=block",
			"client_ip=198.51.100.23",
			"geoip_continent=EU",
			"geoip_country=CH",
			"block_type=deny rule",
			"attack_type=SQL injection",
			"constraint=(default) SQL Injection",
			"position=query parameter 's'",
		),
		welf: lines(
			"str rule=deny rule/(default) SQL Injection",
			"str proto=https",
			"str src=198.51.100.23",
			"str dst=203.0.113.10",
			"str dstport=443",
			"str dstname=shop.example.com",
			"str cat=SQL injection",
			"str cat_action=block",
			`text msg=Blocked parameter: "s=' or 1=1--"`,
			"str log_id=WR-SG-BLOCK-110-01",
			"str req_id=ZebVjmq3rXx9Qm2kYcE1IAAAAE0",
			"str sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
			"str mapping=shop",
			"str sess_auth=false",
			"str th_mode=block",
			"text position=query parameter 's'",
			"str geoip_continent=EU",
			"str geoip_country=CH",
		),
	},
	{
		file: "session_start.json", kind: KindSessionStart, time: "2024-03-05T09:12:44.329+01:00", sev: 6,
		fields: lines(
			"@timestamp=2024-03-05T09:12:44.329+01:00",
			"host=gw01",
			"program=SG_child",
			"pid=20417",
			"priority=info",
			"log_id=WR-SG-SESS-004",
			"message=Session created",
			"req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk",
			"sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
			"mapping=shop",
			"entry_url=https://shop.example.com/cart?item=42",
			"vhost=shop.example.com",
			"vhost_ip=203.0.113.10",
			"vhost_port=443",
			"vhost_proto=https",
			"http_user_agent=Mozilla/5.0",
			"http_accept_lang=de-CH",
			"client_ip=198.51.100.23",
			"geoip_continent=EU",
			"geoip_country=CH",
			"geoip_location=47.37,8.54",
		),
		welf: lines(
			"str proto=https",
			"str src=198.51.100.23",
			"str dst=203.0.113.10",
			"str dstport=443",
			"str dstname=shop.example.com",
			"str arg=/cart?item=42",
			"text msg=Session created",
			"text agent=Mozilla/5.0",
			"str log_id=WR-SG-SESS-004",
			"str req_id=ZebVfGq3rXx9Qm2kYcE1HwAAAEk",
			"str sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
			"str mapping=shop",
			"str http_accept_lang=de-CH",
			"str geoip_continent=EU",
			"str geoip_country=CH",
			"str geoip_location=47.37,8.54",
		),
	},
	{
		file: "session_end.json", kind: KindSessionEnd, time: "2024-03-05T09:48:10.004+01:00", sev: 6,
		fields: lines(
			"@timestamp=2024-03-05T09:48:10.004+01:00",
			"host=gw01",
			"program=SG_child",
			"pid=20417",
			"priority=info",
			"log_id=WR-SG-SESS-005",
			"message=Session terminated",
			"sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
			"audit_token=jdoe@example.com",
			"lifetime=2126",
			"reason=idle timeout",
		),
		welf: lines(
			"str user=jdoe@example.com",
			"str duration=2126",
			"text msg=idle timeout",
			"str log_id=WR-SG-SESS-005",
			"str sess_id=3f9a6c0d2b7e48a1c5d0e9f8a7b6c5d4",
		),
	},
	{
		file: "backend_error.json", kind: KindBackend, time: "2024-03-05T10:01:17.550+01:00", sev: 3,
		fields: lines(
			"@timestamp=2024-03-05T10:01:17.550+01:00",
			"host=gw01",
			"program=SG_child",
			"pid=20422",
			"priority=err",
			"log_id=WR-SG-BACK-502",
			"message=Back-end connection failed",
			"req_id=ZebkWWq3rXx9Qm2kYcE1LQAAAFc",
			"sess_id=8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
			"mapping=shop",
			"backend_url=http://10.20.1.18:8080/api/orders",
			"back_host=app2.internal",
			"back_host_ip=10.20.1.18",
			"back_host_port=8080",
			"back_host_proto=http",
			"error_code=7",
		),
		welf: lines(
			"str dst=10.20.1.18",
			"str dstport=8080",
			"text msg=Back-end connection failed (error_code 7)",
			"str log_id=WR-SG-BACK-502",
			"str req_id=ZebkWWq3rXx9Qm2kYcE1LQAAAFc",
			"str sess_id=8c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f",
			"str mapping=shop",
			"str back_host=app2.internal",
			"str back_host_proto=http",
			"str backend_url=http://10.20.1.18:8080/api/orders",
		),
	},
	{
		// Pretty-printed, with the envelope and "fields" around _source.
		file: "kibana_export.json", kind: KindConntrace, time: "2023-12-06T15:19:35.763+01:00", sev: 6,
		fields: lines(
			"@timestamp=2023-12-06T15:19:35.763+01:00",
			"host=lesbos",
			"program=SG_child",
			"pid=176182",
			"priority=info",
			"facility=user",
			"log_id=WR-SG-CONNTRACE",
			"log_cat=U",
			"message=Connection Trace",
			"rcpt_id=1709447",
			"req_id=ZXCC9-Ko6WsU10yuyRWf7wAAAIA",
			"sess_id=8fda8ccee7d2a555c910cf9d2d5afb5e",
			"mapping=root",
			"client_ip=172.18.60.2",
			"front_src_ip=172.18.60.2",
			"front_src_port=18982",
			"front_dst_ip=172.18.60.225",
			"front_dst_port=80",
			"back_src_ip=172.18.98.225",
			"back_src_port=54444",
			"back_dst_ip=172.18.98.50",
			"back_dst_port=80",
		),
		welf: lines(
			"str src=172.18.60.2",
			"str srcport=18982",
			"str dst=172.18.98.50",
			"str dstport=80",
			"str log_id=WR-SG-CONNTRACE",
			"str req_id=ZXCC9-Ko6WsU10yuyRWf7wAAAIA",
			"str sess_id=8fda8ccee7d2a555c910cf9d2d5afb5e",
			"str mapping=root",
			"str front_dst=172.18.60.225:80",
			"str back_src=172.18.98.225:54444",
		),
	},
}

func TestParseLineExamples(t *testing.T) {
	var r Record // reused across cases, as in production
	for _, tc := range examples {
		t.Run(tc.file, func(t *testing.T) {
			if err := ParseLine(readFixture(t, tc.file), &r); err != nil {
				t.Fatalf("ParseLine: %v", err)
			}
			if got := dump(&r); got != tc.fields {
				t.Errorf("fields:\n%s\nwant:\n%s", got, tc.fields)
			}
			if got := welfOf(&r); got != tc.welf {
				t.Errorf("WELF:\n%s\nwant:\n%s", got, tc.welf)
			}
			if got := r.Kind(); got != tc.kind {
				t.Errorf("Kind = %v, want %v", got, tc.kind)
			}
			if tm, ok := r.Time(); !ok || tm.Format("2006-01-02T15:04:05.000Z07:00") != tc.time {
				t.Errorf("Time = %v, %v, want %s", tm, ok, tc.time)
			}
			if sev, ok := r.Severity(); !ok || sev != tc.sev {
				t.Errorf("Severity = %d, %v, want %d", sev, ok, tc.sev)
			}
		})
	}
}

// TestParseLinePrefixes checks that the headers a line may carry before the
// JSON object change nothing.
func TestParseLinePrefixes(t *testing.T) {
	tests := []struct{ file, bare string }{
		{"prefix_exabeam.log", "summary.json"},   // "<ISO time> <host> {"
		{"prefix_rfc3164.log", "block.json"},     // "<134>Mar  5 09:13:02 gw01 SG_child[20419]: {"
		{"prefix_rfc5424.log", "conntrace.json"}, // "<134>1 <ISO time> gw01 SG_child 20417 - - {"
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var want *struct{ fields, welf string }
			for _, ex := range examples {
				if ex.file == tc.bare {
					want = &struct{ fields, welf string }{ex.fields, ex.welf}
				}
			}
			if want == nil {
				t.Fatalf("no example %s", tc.bare)
			}
			var r Record
			if err := ParseLine(readFixture(t, tc.file), &r); err != nil {
				t.Fatalf("ParseLine: %v", err)
			}
			if got := dump(&r); got != want.fields {
				t.Errorf("fields:\n%s\nwant:\n%s", got, want.fields)
			}
			if got := welfOf(&r); got != want.welf {
				t.Errorf("WELF:\n%s\nwant:\n%s", got, want.welf)
			}
		})
	}
}

func TestParseLineValues(t *testing.T) {
	tests := []struct {
		name, line, want string
	}{
		{"absent markers", `{"corr_id":"<n/a>","audit_token":"-","tenant":"","x":"<n/a>","y":"-","z":""}`, ""},
		{"numbers", `{"front_src_port":51544,"lifetime":-2,"x":1.5e3,"y":0}`,
			lines("front_src_port=51544", "lifetime=-2", "extra x=1500", "extra y=0")},
		// Numbers read as Fluent Bit's json parser renders them; one that no
		// float64 holds keeps its text instead of failing the record.
		{"number forms", `{"a":-0,"b":1E2,"c":0.10,"d":1e21,"e":1e-7,"f":18446744073709551615,"g":18446744073709551616,"h":-9223372036854775809,"i":1e-400}`,
			lines("extra a=0", "extra b=100", "extra c=0.1", "extra d=1e+21", "extra e=1e-07",
				"extra f=18446744073709551615", "extra g=1.8446744073709552e+19", "extra h=-9.223372036854776e+18", "extra i=0")},
		{"out of range numbers keep their text", `{"resp_size":1e400,"req_size":-1E+999,"log_id":"WR-SG-SUMMARY"}`,
			lines("log_id=WR-SG-SUMMARY", "req_size=-1E+999", "resp_size=1e400")},
		{"booleans", `{"sess_auth":true,"x":false}`, lines("sess_auth=true", "extra x=false")},
		{"null", `{"req_id":null,"x":null,"host":"gw"}`, lines("host=gw")},
		// Nested values read as Fluent Bit's json parser makes them and the
		// map path renders them: numbers, escapes and invalid UTF-8 alike.
		{"nested canonical", `{"x":{"n":[1.5e3,-0,1e400,18446744073709551616],"s":"\/\u00e9\b\ud800` + "\xff" + `","t":true,"f":false,"z":null}}`,
			lines("extra x=" + strconv.Quote(`{"n":[1500,0,1e400,1.8446744073709552e+19],"s":"/é\u0008`+"\ufffd"+`\ufffd","t":true,"f":false,"z":null}`))},
		{"nested compacted", `{"x": { "b" : [1, 2, {"c": "d e"}], "e":"\"}" } ,"y":[ ]}`,
			lines(`extra x={"b":[1,2,{"c":"d e"}],"e":"\"}"}`, "extra y=[]")},
		{"whitespace", "\r\n{ \"host\" :\t\"gw\" ,\n\"pid\" : 7 }\r\n", lines("host=gw", "pid=7")},
		{"empty object", `{}`, ""},
		{"empty after space", `{ }`, ""},
		{"trailing garbage ignored", `{"host":"gw"} {"host":"other"`, lines("host=gw")},
		{"fast path", `{"message":"a/b 'c' é"}`, lines(`message="a/b 'c' é"`)},
		{"escapes", `{"message":"q\" b\\ s\/ \b\f\n\r\t \u00e9 \u20AC"}`,
			lines(`message="q\" b\\ s/ \b\f\n\r\t é €"`)},
		{"escape path, plain string beside", `{"host":"gw","message":"a\"b"}`, lines("host=gw", `message=a"b`)},
		{"surrogate pair", `{"message":"\ud83d\ude00"}`, lines(`message="😀"`)},
		{"lone surrogates", `{"message":"\ud800x\udc00\ud800\u0041"}`, lines("message=\"\ufffdx\ufffd\ufffdA\"")},
		{"escaped key", `{"log\u005fid":"WR-SG-SUMMARY","k\"y":"v"}`, lines("log_id=WR-SG-SUMMARY", `extra k"y=v`)},
		{"raw control character accepted", "{\"message\":\"a\tb\"}", lines(`message="a\tb"`)},
		{"duplicate known key", `{"req_id":"a","req_id":"b"}`, lines("req_id=b", "extra req_id=a")},
		{"duplicate key absent", `{"req_id":"a","req_id":"<n/a>","req_id":null}`, lines("req_id=a")},
		{"duplicate unknown key", `{"x":"1","y":"2","x":"3"}`, lines("extra x=1", "extra y=2", "extra x=3")},
		{"duplicate unknown key null", `{"x":"1","y":"2","x":null}`, lines("extra x=1", "extra y=2")},
		{"duplicate pair", `{"x":"1","x":"1","log_id":"L","log_id":"L"}`, lines("log_id=L", "extra x=1")},
		{"empty key kept", `{"":"v"}`, "extra =v\n"},
		{"export: _source only", `{"_index":"i","_source":{"host":"gw","_source":{"a":1}},"fields":{"host":["x"]}}`,
			lines("host=gw", `extra _source={"a":1}`)},
		{"export: the rest kept but Elasticsearch's own", `{"_source":{"host":"gw"},"host":"x","log_id":"L","_source":{"a":"b"},"fields":{"a":["b"]},"sort":[1]}`,
			lines("host=gw", "extra host=x", "extra log_id=L")},
		{"export: members before _source kept", `{"_index":"i","client_ip":"6.6.6.6","log_id":"WR-SG-BLOCK-1","x":"y","_id":"d","_source":{"log_id":"WR-SG-SUMMARY","x":"z"}}`,
			lines("log_id=WR-SG-SUMMARY", "extra x=y", "extra log_id=WR-SG-BLOCK-1", "extra client_ip=6.6.6.6", "extra x=z")},
		{"prefix with JSON-like text", `<14>1 - h - - [x y="1"] {"host":"gw"}`, lines("host=gw")},
	}
	var r Record
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := ParseLine([]byte(tc.line), &r); err != nil {
				t.Fatalf("ParseLine: %v", err)
			}
			if got := dump(&r); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestParseLineErrors(t *testing.T) {
	tests := []struct{ line, want string }{
		{"", "no JSON object in line"},
		{"not json at all", "no JSON object in line"},
		{"[1,2,3]", "no JSON object in line"},
		{`{`, "invalid JSON at offset 1: unexpected end of input"},
		{`{"a":`, "invalid JSON at offset 5: unexpected end of input"},
		{`{"a":"b"`, "invalid JSON at offset 8: unexpected end of input"},
		{`{"a":1`, "invalid JSON at offset 6: unexpected end of input"},
		{`{a:1}`, "invalid JSON at offset 1: expected string key, found 'a'"},
		{`{"a":"b",}`, "invalid JSON at offset 9: expected string key, found '}'"},
		{`{"a" "b"}`, `invalid JSON at offset 5: expected ':' after key, found '"'`},
		{`{"a":"b" "c":"d"}`, `invalid JSON at offset 9: expected ',' or '}' after value, found '"'`},
		{"{\"a\":1\x00}", `invalid JSON at offset 6: expected ',' or '}' after value, found '\x00'`},
		{`{"a":x}`, "invalid JSON at offset 5: expected a value, found 'x'"},
		{`{"a":"open}`, "invalid JSON at offset 5: unterminated string"},
		{`{"a":"esc\"}`, "invalid JSON at offset 5: unterminated string"},
		{`{"a":"esc\`, "invalid JSON at offset 5: unterminated string"},
		{`{"open`, "invalid JSON at offset 1: unterminated string"},
		{`{"a":"x\q"}`, "invalid JSON at offset 7: invalid escape character 'q' after backslash"},
		{`{"a":"\u12G4"}`, `invalid JSON at offset 6: invalid \u escape`},
		{`{"a":"\u12"}`, `invalid JSON at offset 6: invalid \u escape`},
		{`{"a":tru}`, "invalid JSON at offset 5: invalid literal"},
		{`{"a":[nul]}`, "invalid JSON at offset 6: invalid literal"},
		{`{"a":{"b" 1}}`, "invalid JSON at offset 10: expected ':' after key, found '1'"},
		{`{"a":{1:2}}`, "invalid JSON at offset 6: expected string key, found '1'"},
		{`{"a":[1,]}`, "invalid JSON at offset 8: expected a value, found ']'"},
		{`{"a":[1.e]}`, "invalid JSON at offset 6: invalid number"},
		{`{"a":[` + strings.Repeat("[", 300), "invalid JSON at offset 260: nested more than 255 levels deep"},
		{`{"a":01}`, "invalid JSON at offset 6: expected ',' or '}' after value, found '1'"},
		{`{"a":1.}`, "invalid JSON at offset 5: invalid number"},
		{`{"_source":{"host":"gw"} garbage`, "invalid JSON at offset 25: expected ',' or '}' after value, found 'g'"},
		{`{"a":-}`, "invalid JSON at offset 5: invalid number"},
		{`{"a":1e}`, "invalid JSON at offset 5: invalid number"},
		{`{"a":[1 2]}`, "invalid JSON at offset 8: expected ',' or ']', found '2'"},
		{`{"_source":"x"}`, "invalid Kibana export at offset 11: _source: JSON value is not an object"},
		{`{"_source":null}`, "invalid Kibana export at offset 11: _source: JSON value is not an object"},
		{`{"_source":{"a":}}`, "invalid JSON at offset 16: expected a value, found '}'"},
		// Offsets count from the start of the line, prefix included.
		{`<134>Mar  5 09:12:44 gw01 SG_child[1]: {"a" 1}`, "invalid JSON at offset 44: expected ':' after key, found '1'"},
	}
	var r Record
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			err := ParseLine([]byte(tc.line), &r)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("error = %v, want %s", err, tc.want)
			}
			if got := dump(&r); got != "" {
				t.Errorf("record after error:\n%s", got)
			}
		})
	}
}

// TestParseLineReuse checks that a record reused after a longer line with
// escapes and nested values holds nothing of it.
func TestParseLineReuse(t *testing.T) {
	var r Record
	long := `{"message":"` + strings.Repeat(`\"x\"`, 100) + `","x":{"y":[1,2]},"host":"gw1"}`
	if err := ParseLine([]byte(long), &r); err != nil {
		t.Fatal(err)
	}
	if err := ParseLine([]byte(`{"host":"gw2","pid":"1"}`), &r); err != nil {
		t.Fatal(err)
	}
	if got, want := dump(&r), lines("host=gw2", "pid=1"); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestParseLineAllocs(t *testing.T) {
	summary := readFixture(t, "summary.json")
	escaped := []byte(strings.ReplaceAll(string(summary), "https://", `https:\/\/`))
	numbers := []byte(`{"log_id":"WR-SG-CONNTRACE","front_src_port":51544,"back_dst_port":8080,"sess_auth":true}`)
	var r Record
	for name, line := range map[string][]byte{"plain": summary, "escaped": escaped, "numbers": numbers} {
		t.Run(name, func(t *testing.T) {
			allocs := testing.AllocsPerRun(100, func() {
				if err := ParseLine(line, &r); err != nil {
					t.Fatal(err)
				}
				r.Time()
			})
			if allocs != 0 {
				t.Errorf("%v allocations per ParseLine, want 0", allocs)
			}
		})
	}
}

func TestTime(t *testing.T) {
	tests := []struct{ in, want string }{
		{"2023-12-06T15:19:35.763+01:00", "2023-12-06T15:19:35.763+01:00"},
		{"2024-05-01T08:15:02.123+0000", "2024-05-01T08:15:02.123Z"},
		{"2023-12-06T14:19:35.763Z", "2023-12-06T14:19:35.763Z"},
		{"2024-03-05T09:12:44-05:30", "2024-03-05T09:12:44-05:30"},
		{"2024-03-05 09:12:44.5+01:00", "2024-03-05T09:12:44.5+01:00"},
		{"2024-03-05T09:12:44.123456789123-0100", "2024-03-05T09:12:44.123456789-01:00"},
		{"2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"},
		{"2023-02-29T00:00:00Z", ""},
		{"2024-13-01T00:00:00Z", ""},
		{"2024-03-05T24:00:00Z", ""},
		{"2024-03-05T09:60:00Z", ""},
		{"2024-03-05T09:12:44", ""},
		{"2024-03-05T09:12:44.Z", ""},
		{"2024-03-05T09:12:44+1:00", ""},
		{"2024-03-05T09:12:44+01:60", ""},
		{"2024-03-05T09:12:44+01:00x", ""},
		{"2024-03-05T09:12:44+01-00", ""},
		{"2024-03-05X09:12:44Z", ""},
		{"2024-0a-05T09:12:44Z", ""},
		{"Mar  5 09:12:44", ""},
		{"", ""},
	}
	var r Record
	for _, tc := range tests {
		r.Reset()
		r.Set([]byte("@timestamp"), []byte(tc.in))
		got := ""
		if tm, ok := r.Time(); ok {
			got = tm.Format(time.RFC3339Nano)
		}
		if got != tc.want {
			t.Errorf("Time(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTimeZoneReuse checks that a repeated offset reuses its zone and a new
// one does not change times already returned.
func TestTimeZoneReuse(t *testing.T) {
	var r Record
	r.Set([]byte("@timestamp"), []byte("2024-03-05T09:12:44.318+01:00"))
	first, _ := r.Time()
	r.Set([]byte("@timestamp"), []byte("2024-03-05T09:12:45.000-03:00"))
	second, _ := r.Time()
	if got := first.Format(time.RFC3339Nano); got != "2024-03-05T09:12:44.318+01:00" {
		t.Errorf("first = %s", got)
	}
	if got := second.Format(time.RFC3339Nano); got != "2024-03-05T09:12:45-03:00" {
		t.Errorf("second = %s", got)
	}
	if allocs := testing.AllocsPerRun(10, func() { r.Time() }); allocs != 0 {
		t.Errorf("%v allocations per Time with a repeated offset, want 0", allocs)
	}
}

func TestQuoteOrBackslash(t *testing.T) {
	// Fillers include the bytes next to '"' (0x22) and '\\' (0x5c) and
	// their high-bit twins, which a faulty word-at-a-time test would take
	// for a match.
	fillers := []byte{'a', 0x21, 0x23, 0x5b, 0x5d, 0xa2, 0xdc, 0x00, 0x01, 0xff}
	for _, filler := range fillers {
		for n := 0; n <= 20; n++ {
			for at := 0; at <= n; at++ { // at == n: no match
				for _, c := range []byte{'"', '\\'} {
					b := bytes.Repeat([]byte{filler}, n)
					if at < n {
						b[at] = c
						if at+1 < n {
							b[at+1] = '"' // a later match must not win
						}
					}
					for from := 0; from <= min(at, 3); from++ {
						if got := quoteOrBackslash(b, from); got != at {
							t.Fatalf("quoteOrBackslash(%q, %d) = %d, want %d", b, from, got, at)
						}
					}
				}
			}
		}
	}
}
