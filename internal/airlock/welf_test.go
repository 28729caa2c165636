package airlock

import (
	"testing"

	"github.com/welfbridge/welfbridge/internal/welf"
)

func TestWriteWELF(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		want string
	}{
		{"empty record", nil, ""},
		{"client behind a proxy: srcport belongs to front_src", []string{
			"client_ip", "192.0.2.7", "front_src_ip", "198.51.100.1", "front_src_port", "40000"},
			lines("str src=192.0.2.7", "str front_src=198.51.100.1:40000")},
		{"front_src alone", []string{"front_src_ip", "198.51.100.1", "front_src_port", "40000"},
			lines("str src=198.51.100.1", "str srcport=40000")},
		{"dstport only from the chosen pair", []string{
			"back_dst_ip", "10.0.0.1", "back_host_ip", "10.0.0.2", "back_host_port", "8080"},
			lines("str dst=10.0.0.1", "str back_host_addr=10.0.0.2:8080")},
		{"IPv6 pairs in brackets", []string{
			"front_src_ip", "2001:db8::7", "front_src_port", "51544",
			"front_dst_ip", "2001:db8::1", "front_dst_port", "443",
			"back_src_ip", "fd00::5", "back_src_port", "40118",
			"back_dst_ip", "fd00::17", "back_dst_port", "8080"},
			lines("str src=2001:db8::7", "str srcport=51544", "str dst=fd00::17", "str dstport=8080",
				"str front_dst=[2001:db8::1]:443", "str back_src=[fd00::5]:40118")},
		{"vhost pair equal to front_dst said once", []string{
			"front_dst_ip", "203.0.113.10", "front_dst_port", "443",
			"vhost_ip", "203.0.113.10", "vhost_port", "443", "back_host_ip", "10.0.0.2"},
			lines("str dst=10.0.0.2", "str front_dst=203.0.113.10:443")},
		{"vhost pair differing from front_dst", []string{
			"front_dst_ip", "10.1.1.1", "front_dst_port", "8443",
			"vhost_ip", "203.0.113.10", "vhost_port", "443", "back_host_ip", "10.0.0.2"},
			lines("str dst=10.0.0.2", "str front_dst=10.1.1.1:8443", "str vhost_addr=203.0.113.10:443")},
		{"arg: path without query", []string{"entry_path", "/a b", "entry_url", "https://h/x"}, lines("str arg=/a b")},
		{"arg: query without path", []string{"entry_query", "q=1"}, lines("str arg=?q=1")},
		{"arg: from entry_url", []string{"entry_url", "https://h:8443/p/q?x=1#frag"}, lines("str arg=/p/q?x=1")},
		{"arg: entry_url query only", []string{"entry_url", "https://h?x=1"}, lines("str arg=?x=1")},
		{"arg: entry_url without path", []string{"entry_url", "https://h"}, ""},
		{"arg: relative entry_url", []string{"entry_url", "/p?x#y"}, lines("str arg=/p?x")},
		{"rule: constraint alone", []string{"constraint", "(default) XSS"}, lines("str rule=(default) XSS")},
		{"rule: block_type alone, block detail", []string{"log_id", "WR-SG-BLOCKDET-110-01", "block_type", "deny rule",
			"message", `Blocked parameter: "comment=..."`},
			lines("str rule=deny rule", "str cat_action=block", `text msg=Blocked parameter: "comment=..."`,
				"str log_id=WR-SG-BLOCKDET-110-01")},
		{"block message without block fields", []string{"log_id", "WR-SG-BLOCK-115", "message", "schema violation"},
			lines("str cat_action=block", "text msg=schema violation", "str log_id=WR-SG-BLOCK-115")},
		{"attack_type alone is a block", []string{"attack_type", "XSS"}, lines("str cat=XSS", "str cat_action=block")},
		{"session end without reason", []string{"log_id", "WR-SG-SESS-005", "message", "Session terminated", "lifetime", "5"},
			lines("str duration=5", "text msg=Session terminated", "str log_id=WR-SG-SESS-005")},
		{"reason outside session end", []string{"reason", "peer reset", "message", "m"},
			lines("text msg=m", "text reason=peer reset")},
		{"back-end error without error_code", []string{"log_id", "WR-SG-BACK-500", "message", "timeout"},
			lines("text msg=timeout", "str log_id=WR-SG-BACK-500")},
		{"back-end error_code without message", []string{"log_id", "WR-SG-BACK-500", "error_code", "28"},
			lines("str log_id=WR-SG-BACK-500", "str error_code=28")},
		{"conntrace text after a merge", []string{"log_id", "WR-SG-BLOCK-110-01", "message", "Connection Trace"},
			lines("str cat_action=block", "str log_id=WR-SG-BLOCK-110-01")},
		{"summary message is fixed text", []string{"log_id", "WR-SG-SUMMARY", "message", "Request summary"},
			lines("str log_id=WR-SG-SUMMARY")},
		{"TLS session start", []string{"log_id", "WR-SG-TLS-SESS-START", "front_tls_sess_id", "ab12",
			"front_tls_proto", "TLSv1.3", "front_tls_cipher", "TLS_AES_128_GCM_SHA256",
			"front_tls_client_subject_dn", "CN=client, O=Example", "message", "TLS session created"},
			lines("text msg=TLS session created", "str log_id=WR-SG-TLS-SESS-START", "str tls_sess_id=ab12",
				"str tls_proto=TLSv1.3", "str tls_cipher=TLS_AES_128_GCM_SHA256", "text tls_client_dn=CN=client, O=Example")},
		{"all other extensions", []string{
			"corr_id", "c1", "corr_id_2", "c2", "corr_id_3", "c3", "tenant", "t",
			"tech_client_id", "tc", "tech_client_display_name", "Shop App", "tech_client_label", "l b",
			"tech_client_subscription_id", "sub", "action", "allow", "file", "a.txt",
			"http_redirect_url", "/test/", "geoip_location", "47.37,8.54"},
			lines("str corr_id=c1", "str corr_id_2=c2", "str corr_id_3=c3", "str tenant=t", "str tech_client_id=tc",
				"text tech_client_display_name=Shop App", "text tech_client_label=l b",
				"str tech_client_subscription_id=sub", "str action=allow", "str http_redirect_url=/test/",
				"str geoip_location=47.37,8.54", "str file=a.txt")},
		{"envelope not written", []string{"@timestamp", "2024-03-05T09:12:44.318+01:00", "host", "gw01",
			"priority", "info", "program", "SG_child", "pid", "1", "facility", "user", "log_cat", "U", "rcpt_id", "9"}, ""},
		{"unknown fields", []string{
			"a.b-c", "1", "a_b_c", "dup", "src", "spoof", "cat-action", "pass", "log_id", "X", "x_log_id", "z",
			"time", "t", "nested", `{"k":"v w"}`},
			lines("str log_id=X", "text a_b_c=1", "text a_b_c_2=dup", "text x_src=spoof", "text x_cat_action=pass",
				"text x_log_id=z", "text x_time=t", `text nested={"k":"v w"}`)},
	}
	var r Record
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.Reset()
			set(&r, tc.kv...)
			if got := welfOf(&r); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

// TestWriteWELFHeaderKeys checks that unknown fields do not repeat keys the
// caller wrote before WriteWELF, such as the header, and are not lost.
func TestWriteWELFHeaderKeys(t *testing.T) {
	var r Record
	set(&r, "x_time", "1", "extra", "2")
	w := recorder{lines: []string{"str x_time=header"}}
	r.WriteWELF(&w)
	want := lines("str x_time=header", "text x_time_2=1", "text extra=2")
	if got := lines(w.lines...); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

type discard struct{}

func (discard) Str(key, val string)              {}
func (discard) Bytes(key string, val []byte)     {}
func (discard) Text(key, val string)             {}
func (discard) TextBytes(key string, val []byte) {}
func (discard) Int(key string, v int64)          {}
func (discard) Has(key string) bool              { return false }

func TestWriteWELFAllocs(t *testing.T) {
	for _, file := range []string{"summary.json", "block.json", "backend_error.json", "conntrace.json"} {
		var r Record
		if err := ParseLine(readFixture(t, file), &r); err != nil {
			t.Fatal(err)
		}
		set(&r, "unknown.key", "v")
		var w welf.FieldWriter = discard{}
		if allocs := testing.AllocsPerRun(100, func() { r.WriteWELF(w) }); allocs != 0 {
			t.Errorf("%s: %v allocations per WriteWELF, want 0", file, allocs)
		}
	}
}
