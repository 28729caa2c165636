package airlock

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// set calls r.Set for alternating keys and values.
func set(r *Record, kv ...string) {
	for i := 0; i+1 < len(kv); i += 2 {
		r.Set([]byte(kv[i]), []byte(kv[i+1]))
	}
}

func TestSet(t *testing.T) {
	tests := []struct {
		name string
		kv   []string
		want string
	}{
		{"known and unknown", []string{"log_id", "WR-SG-SUMMARY", "zeta", "1", "alpha", "2", "req_id", "R1"},
			lines("log_id=WR-SG-SUMMARY", "req_id=R1", "extra zeta=1", "extra alpha=2")},
		{"absent markers", []string{"corr_id", "<n/a>", "audit_token", "-", "tenant", "", "x", "<n/a>"}, ""},
		{"last wins", []string{"req_id", "a", "x", "1", "req_id", "b", "x", "2"}, lines("req_id=b", "extra x=2")},
		{"set absent removes", []string{"req_id", "a", "x", "1", "y", "2", "req_id", "-", "x", "<n/a>"}, lines("extra y=2")},
		{"nested value as text", []string{"geo", `{"lat":47.37}`}, lines(`extra geo={"lat":47.37}`)},
		{"empty key kept", []string{"", "v"}, "extra =v\n"},
		{"export: _source replaces the envelope", []string{
			"_index", "airlock-gateway-default-2023.12.06", "_id", "x",
			"_source", `{"log_id":"WR-SG-CONNTRACE","front_src_port":"18982","msg":"a\"b"}`,
			"fields", `{"log_id":["WR-SG-CONNTRACE"]}`, "host", "late"},
			lines("log_id=WR-SG-CONNTRACE", "front_src_port=18982", `extra msg=a"b`)},
		{"export: _source not an object is kept", []string{"_index", "i", "_source", `"text"`, "fields", "{}"},
			lines(`extra _source="text"`, "extra fields={}")},
		{"export: invalid _source is kept", []string{"_source", `{"host":"gw","pid":}`, "host", "h2"},
			lines("host=h2", `extra _source={"host":"gw","pid":}`)},
	}
	var r Record
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r.Reset()
			set(&r, tc.kv...)
			if got := dump(&r); got != tc.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestSetValuesAreCapped(t *testing.T) {
	var r Record
	buf := []byte("ab")
	r.Set([]byte("host"), buf[:1])
	_ = append(r.Get(FieldHost), 'X') // must not write into buf
	if string(buf) != "ab" {
		t.Errorf("append through Get changed the caller's buffer: %q", buf)
	}
}

func TestMaxExtra(t *testing.T) {
	var r Record
	for i := range MaxExtra + 3 {
		r.Set([]byte(fmt.Sprintf("k%d", i)), []byte("v"))
	}
	r.Set([]byte("k0"), []byte("again")) // still replaceable when full
	if got := len(r.Extra()); got != MaxExtra {
		t.Errorf("len(Extra) = %d, want %d", got, MaxExtra)
	}
	if got := r.ExtraDropped(); got != 3 {
		t.Errorf("ExtraDropped = %d, want 3", got)
	}
	if kv := r.Extra()[0]; string(kv.Key) != "k0" || string(kv.Value) != "again" {
		t.Errorf("Extra[0] = %s=%s", kv.Key, kv.Value)
	}
	r.Reset()
	if len(r.Extra()) != 0 || r.ExtraDropped() != 0 {
		t.Errorf("after Reset: %d extra, %d dropped", len(r.Extra()), r.ExtraDropped())
	}
}

func TestSetAllocs(t *testing.T) {
	keys, vals := summaryPairs(t)
	var r Record
	allocs := testing.AllocsPerRun(100, func() {
		r.Reset()
		for i := range keys {
			r.Set(keys[i], vals[i])
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations per record, want 0", allocs)
	}
}

// summaryPairs returns the keys and values of the summary example as the
// map case delivers them.
func summaryPairs(t testing.TB) (keys, vals [][]byte) {
	t.Helper()
	line := readFixture(t, "summary.json")
	for _, pair := range strings.Split(strings.Trim(strings.TrimSpace(string(line)), "{}"), `","`) {
		k, v, ok := strings.Cut(strings.Trim(pair, `"`), `":"`)
		if !ok {
			t.Fatalf("cannot split %q", pair)
		}
		keys, vals = append(keys, []byte(k)), append(vals, []byte(v))
	}
	return keys, vals
}

// TestOwn checks that an owned record survives its sources being
// overwritten, for values from ParseLine (fast and escape path) and Set.
func TestOwn(t *testing.T) {
	tests := []struct {
		name string
		fill func(r *Record, buf []byte) error
		src  string
	}{
		{"ParseLine plain", func(r *Record, buf []byte) error { return ParseLine(buf, r) },
			`{"host":"gw","req_id":"R1","x":{"a": 1},"port":443}`},
		{"ParseLine escapes", func(r *Record, buf []byte) error { return ParseLine(buf, r) },
			`{"host":"gw","message":"a\"b","k\u00e9y":"v"}`},
		{"Set", func(r *Record, buf []byte) error {
			r.Reset()
			r.Set(buf[0:4], buf[4:6])
			r.Set(buf[6:7], buf[7:9])
			return nil
		}, "hostgwxyz"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r Record
			buf := []byte(tc.src)
			if err := tc.fill(&r, buf); err != nil {
				t.Fatal(err)
			}
			want := dump(&r)
			r.Own()
			copy(buf, bytes.Repeat([]byte{'#'}, len(buf)))
			if got := dump(&r); got != want {
				t.Errorf("after overwrite:\n%s\nwant:\n%s", got, want)
			}
			r.Own() // again: copying its own arena must be harmless
			if got := dump(&r); got != want {
				t.Errorf("after second Own:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

func TestSize(t *testing.T) {
	var r Record
	base := r.Size()
	if base != recordOverhead {
		t.Errorf("empty Size = %d, want %d", base, recordOverhead)
	}
	set(&r, "host", "gw01", "req_id", "ZebVfGq3rXx9Qm2kYcE1HwAAAEk")
	if got := r.Size(); got != base {
		t.Errorf("Size before Own = %d, want %d: caller memory is not the record's", got, base)
	}
	r.Own()
	if got, want := r.Size(), base+len("gw01")+len("ZebVfGq3rXx9Qm2kYcE1HwAAAEk"); got != want {
		t.Errorf("Size after Own = %d, want %d", got, want)
	}
}

func TestMerge(t *testing.T) {
	var summary, conntrace Record
	summaryLine, conntraceLine := readFixture(t, "summary.json"), readFixture(t, "conntrace.json")
	if err := ParseLine(summaryLine, &summary); err != nil {
		t.Fatal(err)
	}
	if err := ParseLine(conntraceLine, &conntrace); err != nil {
		t.Fatal(err)
	}
	set(&summary, "only_in_summary", "s", "both", "summary")
	set(&conntrace, "only_in_conntrace", "c", "both", "conntrace")
	summary.Own()
	summary.Merge(&conntrace)

	// Merge copies: the conntrace record and its line may go.
	copy(conntraceLine, bytes.Repeat([]byte{'#'}, len(conntraceLine)))
	conntrace.Reset()

	wantFields := lines(
		"@timestamp=2024-03-05T09:12:44.331+01:00",
		"host=gw01",
		"program=SG_child",
		"pid=20417",
		"priority=info",
		"facility=user",
		"log_id=WR-SG-SUMMARY",
		"log_cat=X",
		"message=Connection Trace",
		"rcpt_id=5530021",
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
		"front_src_ip=198.51.100.23",
		"front_src_port=51544",
		"front_dst_ip=203.0.113.10",
		"front_dst_port=443",
		"back_src_ip=10.20.0.5",
		"back_src_port=40118",
		"back_dst_ip=10.20.1.17",
		"back_dst_port=8080",
		"back_host=app1.internal",
		"back_host_ip=10.20.1.17",
		"back_host_port=8080",
		"back_host_proto=http",
		"extra only_in_summary=s",
		"extra both=summary",
		"extra only_in_conntrace=c",
	)
	if got := dump(&summary); got != wantFields {
		t.Errorf("merged fields:\n%s\nwant:\n%s", got, wantFields)
	}
	// The correlated record: the back-end 4-tuple of the trace and the
	// request of the summary in one WELF record, nothing said twice.
	wantWELF := lines(
		"str proto=https",
		"str src=198.51.100.23",
		"str srcport=51544",
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
		"str front_dst=203.0.113.10:443",
		"str back_src=10.20.0.5:40118",
		"str back_host=app1.internal",
		"str back_host_proto=http",
		"str backend_url=http://10.20.1.17:8080/cart?item=42",
		"str vhost_proto_vers=HTTP/2",
		"str http_accept_lang=de-CH",
		"text only_in_summary=s",
		"text both=summary",
		"text only_in_conntrace=c",
	)
	if got := welfOf(&summary); got != wantWELF {
		t.Errorf("merged WELF:\n%s\nwant:\n%s", got, wantWELF)
	}
}

func TestMergeExtraLimit(t *testing.T) {
	var r, other Record
	for i := range MaxExtra {
		r.Set([]byte(fmt.Sprintf("r%d", i)), []byte("v"))
	}
	set(&other, "r0", "other", "new", "v", "host", "gw")
	r.Merge(&other)
	r.Merge(&r) // merging a record into itself changes nothing
	if got := r.ExtraDropped(); got != 1 {
		t.Errorf("ExtraDropped = %d, want 1", got)
	}
	if got := string(r.Get(FieldHost)); got != "gw" {
		t.Errorf("host = %q", got)
	}
	if got := string(r.Extra()[0].Value); got != "v" {
		t.Errorf("r0 = %q, want the record's own value", got)
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"8080", 8080, true},
		{"0", 0, true},
		{"-2", -2, true},
		{"+7", 7, true},
		{"9223372036854775807", 1<<63 - 1, true},
		{"-9223372036854775808", -1 << 63, true},
		{"9223372036854775808", 0, false},
		{"99999999999999999999", 0, false},
		{"1.5", 0, false},
		{"1e3", 0, false},
		{" 80", 0, false},
		{"-", 0, false}, // absent
		{"+", 0, false},
		{"", 0, false},
	}
	var r Record
	for _, tc := range tests {
		r.Set([]byte("front_src_port"), []byte(tc.in))
		if got, ok := r.Int(FieldFrontSrcPort); got != tc.want || ok != tc.ok {
			t.Errorf("Int(%q) = %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
	if _, ok := r.Int(NumFields); ok {
		t.Error("Int(NumFields) ok")
	}
}

func TestSeverity(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"emerg", 0, true}, {"panic", 0, true}, {"alert", 1, true}, {"crit", 2, true},
		{"err", 3, true}, {"error", 3, true}, {"warning", 4, true}, {"warn", 4, true},
		{"notice", 5, true}, {"info", 6, true}, {"debug", 7, true}, {"INFO", 6, true},
		{"0", 0, true}, {"7", 7, true}, {"8", 0, false}, {"informational", 0, false},
		{"inf", 0, false}, {"<n/a>", 0, false},
	}
	var r Record
	for _, tc := range tests {
		r.Set([]byte("priority"), []byte(tc.in))
		if got, ok := r.Severity(); got != tc.want || ok != tc.ok {
			t.Errorf("Severity(%q) = %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestKind(t *testing.T) {
	tests := []struct {
		logID string
		want  Kind
		name  string
	}{
		{"WR-SG-CONNTRACE", KindConntrace, "conntrace"},
		{"WR-SG-SUMMARY", KindSummary, "summary"},
		{"WR-SG-BLOCK-110-01", KindBlock, "block"},
		{"WR-SG-BLOCK-115", KindBlock, "block"},
		{"WR-SG-BLOCKDET-110-01", KindBlockDetail, "block-detail"},
		{"WR-SG-SESS-004", KindSessionStart, "session-start"},
		{"WR-SG-SESS-005", KindSessionEnd, "session-end"},
		{"WR-SG-BACK-502", KindBackend, "backend"},
		{"WR-SG-TLS-SESS-START", KindTLSSessionStart, "tls-session-start"},
		{"WR-SG-REJECT-3", KindReject, "reject"},
		{"WR-SG-FILT-016", KindOther, "other"},
		{"EVENT_WR-H-back-end-500", KindOther, "other"},
		{"WR-SG-SUMMARYX", KindOther, "other"},
		{"wr-sg-summary", KindUnknown, "unknown"},
		{"", KindUnknown, "unknown"},
	}
	var r Record
	for _, tc := range tests {
		r.Set([]byte("log_id"), []byte(tc.logID))
		if got := r.Kind(); got != tc.want || got.String() != tc.name {
			t.Errorf("Kind(%q) = %v (%d), want %s", tc.logID, got, got, tc.name)
		}
	}
	if got := Kind(200).String(); got != "unknown" {
		t.Errorf("Kind(200).String() = %q", got)
	}
}

func TestLookupField(t *testing.T) {
	seen := map[string]Field{}
	for f := Field(0); f < NumFields; f++ {
		name := f.Name()
		if name == "" {
			t.Fatalf("field %d has no name", f)
		}
		if g, dup := seen[name]; dup {
			t.Errorf("fields %d and %d are both %q", g, f, name)
		}
		seen[name] = f
		if got, ok := LookupField([]byte(name)); !ok || got != f {
			t.Errorf("LookupField(%q) = %d, %v, want %d", name, got, ok, f)
		}
	}
	for _, key := range []string{"", "_source", "Facility", "host ", "fields"} {
		if f, ok := LookupField([]byte(key)); ok {
			t.Errorf("LookupField(%q) = %d", key, f)
		}
	}
	if NumFields.Name() != "" {
		t.Errorf("NumFields.Name() = %q", NumFields.Name())
	}
	key := []byte("front_tls_client_subject_dn")
	if allocs := testing.AllocsPerRun(100, func() { LookupField(key) }); allocs != 0 {
		t.Errorf("%v allocations per LookupField", allocs)
	}
}
