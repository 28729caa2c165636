package airlock

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/welfbridge/welfbridge/internal/userinfo"
)

func FuzzParseLine(f *testing.F) {
	for _, ex := range examples {
		f.Add(readFixture(f, ex.file))
	}
	f.Add(readFixture(f, "prefix_rfc3164.log"))
	f.Add([]byte(`{"message":"\ud83d\ude00 \ud800 \u00e9 \"q\" \/","x":{"a":[1,2.5e3,null]},"front_src_port":443,"sess_auth":true}`))
	f.Add([]byte(`{"_index":"i","_source":{"log_id":"WR-SG-SUMMARY","a.b":"c"},"fields":{}}`))
	f.Add([]byte(`<134>Mar  5 09:12:44 gw01 SG_child[1]: {"a" 1}`))
	f.Add([]byte(`{"front_dst_ip":"2001:db8::1","front_dst_port":"443","src":"x","k\u0000":"\u0000"}`))
	f.Add([]byte(`{"log_id":"X","a.b":"v1","a b":"v2","a_b":"v3","src":"9.9.9.9","x_src":"v4","client_ip":"::1\" x=y","unvalidated_src":"u"}`))
	f.Add([]byte(`{"log_id":"X","note":"see http://u:Pw9Secret@h/","http_referrer":"r:p@h","k http:u:p@h":"v"}`))
	f.Add([]byte(`{"resp_size":1e400,"req_size":1.5e3,"lifetime":-0,"http_status":18446744073709551616}`))
	f.Add([]byte(`{"log_id":"X","client_ip":"1.1.1.1","src":"a","client_ip":"2.2.2.2","src":"b","src":null,"req_id":"R","req_id":"-"}`))
	f.Add([]byte(`{"log_id":"X","password":"hunter2","X-Api-Key":"k","Cookie":"sid=1","password":"again"}`))
	f.Add([]byte(`{"log_id":"X","h":{"Authorization":"Basic dTpw","a":[{"token":1}]},"s":"{\"pass\\u0077ord\":\"p\"}"}`))

	var r Record
	f.Fuzz(func(t *testing.T, line []byte) {
		buf := bytes.Clone(line)
		err := ParseLine(buf, &r)
		checkAgainstEncodingJSON(t, line, &r, err)
		if err != nil {
			if got := dump(&r); got != "" {
				t.Fatalf("record after error %v:\n%s", err, got)
			}
			return
		}
		checkWELFKeys(t, welfOf(&r))
		checkNoValueLost(t, &r)
		checkRepeatedKeysKept(t, line, &r)
	})
}

// checkRepeatedKeysKept: on a line that is one valid JSON object, every
// earlier value of a key that repeats (encoding/json keeps only the last)
// is the value of a field of its own in the WELF. (The last value is the
// field's, which the mapping may put in the header, in a composed field or
// nowhere, as for any field.)
func checkRepeatedKeysKept(t *testing.T, line []byte, r *Record) {
	t.Helper()
	members, ok := jsonMembers(line)
	if !ok || r.dropped > 0 {
		return
	}
	last := map[string]string{}
	for _, m := range members {
		if m.value != nil && !isAbsent(m.value) {
			last[m.key] = string(m.value)
		}
	}
	got := map[string]bool{}
	for _, f := range decodeFields(t, r) {
		got[f.Value] = true
	}
	for _, m := range members {
		if m.value == nil || isAbsent(m.value) || string(m.value) == last[m.key] {
			continue
		}
		v := []byte(passedThrough(r, []byte(m.key), m.value))
		if !got[string(v)] && !got[string(userinfo.Redact(nil, v))] {
			t.Fatalf("value %q of the repeated key %q lost:\n%s", m.value, m.key, encodeFields(t, r))
		}
	}
}

// passedThrough returns the value the unknown field key=val is written
// with before URL passwords are removed: <redacted> if its key names a
// secret, else val with the secrets of JSON text in it redacted.
func passedThrough(r *Record, key, val []byte) string {
	if namesSecret(r.extraKey(key)) && !isKnown(key) {
		return redactedValue
	}
	return string(AppendRedactedSecrets(nil, val))
}

type member struct {
	key   string
	value []byte // as the record holds it; nil for a nested value or null
}

// jsonMembers returns the members of a line that is exactly one JSON object
// without a Kibana _source, repeated keys included, in order.
func jsonMembers(line []byte) ([]member, bool) {
	if !utf8.Valid(line) || !json.Valid(line) {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(line))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, false
	}
	var members []member
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, false
		}
		key := tok.(string)
		if key == "_source" {
			return nil, false
		}
		var raw json.RawMessage
		if dec.Decode(&raw) != nil {
			return nil, false
		}
		m := member{key: key}
		switch raw[0] {
		case '"':
			var s string
			if json.Unmarshal(raw, &s) != nil {
				return nil, false
			}
			m.value = []byte(s)
		case '{', '[', 'n':
		case 't', 'f':
			m.value = raw
		default:
			m.value = fluentBitNumber(raw)
		}
		members = append(members, m)
	}
	return members, true
}

// checkAgainstEncodingJSON compares with encoding/json on lines that are
// exactly one valid JSON object without a Kibana _source: ParseLine must
// accept them and decode every known field alike.
func checkAgainstEncodingJSON(t *testing.T, line []byte, r *Record, err error) {
	t.Helper()
	var m map[string]json.RawMessage
	if !utf8.Valid(line) || json.Unmarshal(line, &m) != nil || m == nil {
		return
	}
	if _, export := m["_source"]; export {
		return
	}
	if err != nil {
		t.Fatalf("ParseLine rejects valid JSON: %v", err)
	}
	// encoding/json keeps the last value of a repeated key, even null;
	// checkRepeatedKeysKept looks after those keys.
	members, _ := jsonMembers(line)
	repeated := map[string]int{}
	for _, m := range members {
		repeated[m.key]++
	}
	for key, raw := range m {
		f, ok := LookupField([]byte(key))
		if !ok || repeated[key] > 1 {
			continue
		}
		var want []byte
		switch raw[0] {
		case '"':
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			want = []byte(s)
		case '{', '[':
			// Canonical, not the source text: the same JSON value.
			checkSameJSON(t, key, r.Get(f), raw)
			continue
		case 'n':
			want = nil
		case 't', 'f':
			want = raw
		default:
			want = fluentBitNumber(raw)
		}
		if isAbsent(want) {
			want = nil
		}
		if got := r.Get(f); !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("%s = %q, encoding/json says %q", key, got, want)
		}
	}
}

// checkSameJSON fails unless got is compact JSON with the same value as
// want (numbers compared as float64, as both stand for one).
func checkSameJSON(t *testing.T, key string, got, want []byte) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(want, &w); err != nil {
		return // out-of-range numbers: encoding/json refuses them
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s = %q: not JSON: %v", key, got, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("%s = %q, encoding/json says %q", key, got, want)
	}
	var compact bytes.Buffer
	if json.Compact(&compact, got) != nil || !bytes.Equal(compact.Bytes(), got) {
		t.Fatalf("%s = %q is not compact", key, got)
	}
}

// checkNoValueLost encodes r with a real welf.Builder (which refuses a
// repeated or invalid key) and checks that every unknown field's value is
// the value of a field of its own.
func checkNoValueLost(t *testing.T, r *Record) {
	t.Helper()
	got := map[string]int{}
	for _, f := range decodeFields(t, r) { // values may hold line breaks
		got[f.Value]++
	}
	for _, kv := range r.Extra() {
		v := passedThrough(r, kv.Key, kv.Value)
		if got[v] == 0 { // or without URL passwords
			v = string(userinfo.Redact(nil, []byte(v)))
		}
		if got[v] == 0 {
			t.Fatalf("value %q of %q lost:\n%s", kv.Value, kv.Key, encodeFields(t, r))
		}
		got[v]--
	}
}

// fluentBitNumber renders a JSON number as the map Fluent Bit's json parser
// makes of it reaches us: integers within int64 or uint64 as integers, other
// numbers as float64 in Go's shortest 'g' form; text no float64 can hold
// stays as it is.
func fluentBitNumber(raw []byte) []byte {
	s := string(raw)
	if !strings.ContainsAny(s, ".eE") {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.AppendInt(nil, n, 10)
		}
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return strconv.AppendUint(nil, n, 10)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return raw
	}
	return strconv.AppendFloat(nil, f, 'g', -1, 64)
}

// checkWELFKeys fails unless every key is valid for WELF and written once,
// as internal/welf.Builder requires.
func checkWELFKeys(t *testing.T, welf string) {
	t.Helper()
	seen := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSuffix(welf, "\n"), "\n") {
		if l == "" {
			continue
		}
		_, kv, _ := strings.Cut(l, " ")
		key, _, _ := strings.Cut(kv, "=")
		if key == "" || strings.Trim(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") != "" {
			t.Fatalf("invalid WELF key %q", key)
		}
		if seen[key] {
			t.Fatalf("WELF key %q written twice:\n%s", key, welf)
		}
		seen[key] = true
	}
}

// FuzzAppendRedactedSecrets: on any text the result is stable (redacting
// twice changes nothing more); on valid JSON it is valid JSON of the same
// shape in which every scalar under a key that names a secret is
// "<redacted>" and everything else is unchanged.
func FuzzAppendRedactedSecrets(f *testing.F) {
	f.Add([]byte(`{"user":"u","password":"p","h":{"Cookie":"c","n":[1,{"api-key":true}]},"credentials":{"pin":1}}`))
	f.Add([]byte(`x" "password":"p" and "cookie":sid=1}`))
	f.Add([]byte(`{"pass\u0077ord":"p","pass\"word":"q","secret":"a\"b\\"}`))
	f.Fuzz(func(t *testing.T, text []byte) {
		out := AppendRedactedSecrets(nil, text)
		if again := AppendRedactedSecrets(nil, out); !bytes.Equal(again, out) {
			t.Fatalf("not stable:\n%q\n%q", out, again)
		}
		var in any
		if json.Unmarshal(text, &in) != nil {
			return
		}
		var got any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%q became invalid JSON %q: %v", text, out, err)
		}
		checkRedactedJSON(t, in, got, false)
	})
}

func checkRedactedJSON(t *testing.T, in, got any, secret bool) {
	t.Helper()
	switch v := in.(type) {
	case map[string]any:
		if secret {
			break
		}
		g, ok := got.(map[string]any)
		if !ok || len(g) != len(v) {
			t.Fatalf("object %v became %v", v, got)
		}
		for k, x := range v {
			checkRedactedJSON(t, x, g[k], namesSecret(k))
		}
	case []any:
		if secret {
			break
		}
		g, ok := got.([]any)
		if !ok || len(g) != len(v) {
			t.Fatalf("array %v became %v", v, got)
		}
		for i := range v {
			checkRedactedJSON(t, v[i], g[i], false)
		}
	default:
		if !secret && !reflect.DeepEqual(in, got) {
			t.Fatalf("%v became %v", in, got)
		}
		return
	}
	if secret && got != redactedValue {
		t.Fatalf("%v under a secret's key became %v", in, got)
	}
}
