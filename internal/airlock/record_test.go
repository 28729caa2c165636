package airlock

import (
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
		{"repeated key: last wins, earlier kept", []string{"req_id", "a", "x", "1", "req_id", "b", "x", "2"},
			lines("req_id=b", "extra x=1", "extra req_id=a", "extra x=2")},
		{"repeated pair is one field", []string{"req_id", "a", "x", "1", "req_id", "a", "x", "1"}, lines("req_id=a", "extra x=1")},
		{"absent removes nothing", []string{"req_id", "a", "x", "1", "y", "2", "req_id", "-", "x", "<n/a>", "y", ""},
			lines("req_id=a", "extra x=1", "extra y=2")},
		{"repeated known key three times", []string{"client_ip", "1.1.1.1", "client_ip", "2.2.2.2", "client_ip", "3.3.3.3"},
			lines("client_ip=3.3.3.3", "extra client_ip=1.1.1.1", "extra client_ip=2.2.2.2")},
		{"nested value as text", []string{"geo", `{"lat":47.37}`}, lines(`extra geo={"lat":47.37}`)},
		{"empty key kept", []string{"", "v"}, "extra =v\n"},
		{"export: _source replaces the envelope", []string{
			"_index", "airlock-gateway-default-2023.12.06", "_id", "x",
			"_source", `{"log_id":"WR-SG-CONNTRACE","front_src_port":"18982","msg":"a\"b"}`,
			"fields", `{"log_id":["WR-SG-CONNTRACE"]}`, "host", "late"},
			lines("log_id=WR-SG-CONNTRACE", "front_src_port=18982", `extra msg=a"b`, "extra host=late")},
		{"export: members before _source kept", []string{"host", "early", "_index", "i", "note", "n",
			"_source", `{"log_id":"WR-SG-CONNTRACE"}`, "_id", "x"},
			lines("log_id=WR-SG-CONNTRACE", "extra note=n", "extra host=early")},
		{"export: invalid _source keeps what came before", []string{"host", "early", "_source", `{"log_id":`},
			lines("host=early", `extra _source={"log_id":`)},
		{"export: _source not an object is kept", []string{"_index", "i", "_source", `"text"`, "fields", "{}"},
			lines("extra _index=i", `extra _source="text"`, "extra fields={}")},
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
	r.Set([]byte("k0"), []byte("again")) // a new value when full is counted too
	r.Set([]byte("k1"), []byte("v"))     // a pair it has is not
	if got := len(r.Extra()); got != MaxExtra {
		t.Errorf("len(Extra) = %d, want %d", got, MaxExtra)
	}
	if r.dropped != 4 {
		t.Errorf("dropped = %d, want 4", r.dropped)
	}
	if kv := r.Extra()[0]; string(kv.Key) != "k0" || string(kv.Value) != "v" {
		t.Errorf("Extra[0] = %s=%s", kv.Key, kv.Value)
	}
	r.Reset()
	if len(r.Extra()) != 0 || r.dropped != 0 {
		t.Errorf("after Reset: %d extra, %d dropped", len(r.Extra()), r.dropped)
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
	for _, tc := range tests {
		if got, ok := parseInt([]byte(tc.in)); got != tc.want || ok != tc.ok {
			t.Errorf("parseInt(%q) = %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
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
			t.Errorf("LookupField(%q) = %d, %v, want %d (go generate after changing fieldNames)", name, got, ok, f)
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
