package test

import (
	"fmt"
	"strings"
	"testing"
)

// TestHostileSecretNames: bearer tokens, JWTs, session ids and one-time
// passwords under the names they go by reach neither the output nor the
// log, in a decoded record, in JSON in a field and in a line not decoded.
func TestHostileSecretNames(t *testing.T) {
	lines := []string{
		`{"log_id":"WR-SG-X","host":"gw","jwt":"Pw9Secret","bearer":"Pw9Secret","session":"Pw9Secret","JSESSIONID":"Pw9Secret","sid":"Pw9Secret","otp":"Pw9Secret"}`,
		`{"log_id":"WR-SG-X","host":"gw","ctx":{"Bearer":"Pw9Secret","n":1},"body":"{\"jwt\":\"Pw9Secret\"}"}`,
		`{"user":"u","PHP_SESSIONID":"Pw9Secret","id_jwt":"Pw9Secret"}`,
	}
	const nd = `id=firewall time="2024-03-05 08:00:00" fw=gw pri=4 tag=a msg="welfbridge: record not decoded: `
	for _, parsed := range []bool{false, true} {
		t.Run(fmt.Sprint("parsed=", parsed), func(t *testing.T) {
			got, r := runLines(t, lines, parsed, single, "FW gw")
			why := `JSON object has no log_id: not an Airlock log record`
			if parsed {
				why = `no Airlock log_id and no \x22log\x22 line in record`
			}
			assertRecords(t, got, []string{
				hostileHead + `log_id=WR-SG-X jwt=<redacted> bearer=<redacted> session=<redacted> JSESSIONID=<redacted> sid=<redacted> otp=<redacted>`,
				hostileHead + `log_id=WR-SG-X ctx={\x22Bearer\x22:\x22<redacted>\x22,\x22n\x22:1} body={\x22jwt\x22:\x22<redacted>\x22}`,
				nd + why + `" raw={\x22user\x22:\x22u\x22,\x22PHP_SESSIONID\x22:\x22<redacted>\x22,\x22id_jwt\x22:\x22<redacted>\x22}`,
			})
			if strings.Contains(strings.Join(got, "\n")+r.stderr, "Pw9") {
				t.Errorf("a secret reached the output or the log:\n%s", r.stderr)
			}
		})
	}
}

// TestHostileSecretPairs: a line that is not decoded keeps no credential
// that stands in it as a header, a query or kv pair (not as a JSON
// member), neither in raw= nor in the warning that quotes it.
func TestHostileSecretPairs(t *testing.T) {
	lines := []string{
		`Authorization: Basic Pw9Secret`,
		`GET /login?user=bob&password=Pw9Secret HTTP/1.1`,
		`user=bob pwd="Pw9 Secret" sid=Pw9Secret;x=1`,
		`{"log_id":"WR-SG-X","host":"gw"} token=Pw9Secret`,
		`{"h":"Cookie: Pw9Secret\r\nHost: h","m":"secret=\"Pw9 Secret\""}`,
		`{password:"Pw9Secret"}`,
	}
	const nd = `id=firewall time="2024-03-05 08:00:00" fw=gw pri=4 tag=a msg="welfbridge: record not decoded: `
	got, r := runLines(t, lines, false, single, "FW gw")
	assertRecords(t, got, []string{
		nd + `no JSON object in line" raw="Authorization: <redacted>"`,
		nd + `no JSON object in line" raw="GET /login?user=bob&password=<redacted> HTTP/1.1"`,
		nd + `no JSON object in line" raw="user=bob pwd=<redacted> sid=<redacted>;x=1"`,
		hostileHead + `log_id=WR-SG-X`,
		nd + `text after the JSON object at offset 32" raw="{\x22log_id\x22:\x22WR-SG-X\x22,\x22host\x22:\x22gw\x22} token=<redacted>"`,
		nd + `JSON object has no log_id: not an Airlock log record" raw="{\x22h\x22:\x22Cookie: <redacted>\\r\\nHost: h\x22,\x22m\x22:\x22secret=<redacted>\x22}"`,
		nd + `invalid JSON at offset 1: expected string key, found 'p'" raw={password:<redacted>}`,
	})
	if strings.Contains(strings.Join(got, "\n")+r.stderr, "Pw9") {
		t.Errorf("a secret reached the output or the log:\n%s", r.stderr)
	}
}
