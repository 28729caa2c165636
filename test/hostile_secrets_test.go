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
