package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/welf"

	"github.com/welfbridge/welfbridge/internal/userinfo/userinfotest"
)

// airlockPasswordLines places each URL spelling with the password
// Pw9Secret in every Airlock field that holds a URL or a host (vhost,
// entry_path, entry_query, entry_url, http_referrer, back_host,
// backend_url, http_redirect_url, client_ip, back_host_ip), in free text
// (message) and in a field passed through (note, and a key), and in lines
// that do not decode (an object after text, an object without log_id).
func airlockPasswordLines(t *testing.T) []string {
	var lines []string
	for i, tt := range userinfotest.Spellings {
		s := jsonString(tt.In)
		lines = append(lines,
			fmt.Sprintf(`{"log_id":"WR-SG-X","host":"gw","req_id":"P%d","vhost":%s,"entry_path":%s,"entry_query":%s,"http_referrer":%s,"back_host":%s,"backend_url":%s,"http_redirect_url":%s,"client_ip":%s,"back_host_ip":%s,"back_host_port":"443","message":%s,"note":%s}`,
				i, s, s, jsonString("next="+tt.In), s, s, s, s, s, s, jsonString("see "+tt.In), s),
			fmt.Sprintf(`{"log_id":"WR-SG-X","host":"gw","req_id":"E%d","entry_url":%s,%s:"k"}`, i, s, jsonString("see "+tt.In)),
			fmt.Sprintf(`x {"log_id":"WR-SG-X","host":"gw","req_id":"R%d","http_referrer":%s}`, i, s),
			fmt.Sprintf(`{"host":"gw","req_id":"N%d","http_referrer":%s}`, i, s),
		)
	}
	return lines
}

// urlKeys are the WELF fields that hold a URL or a host.
var urlKeys = map[string]bool{
	"arg": true, "ref": true, "dstname": true, "back_host": true, "backend_url": true, "http_redirect_url": true,
	"unvalidated_src": true, "unvalidated_dst": true, "back_host_addr": true,
}

// noURLSign are the spellings without a sign of a URL ("//", '\', a
// special scheme, a percent-encoded '@'), as values and as keys.
var noURLSign = []string{
	"r:Pw9Secret@host.example", "mailto:u:Pw9Secret@host.example", "u:Pw9Secret@host.example:8080",
	"r_Pw9Secret_host_example", "mailto_u_Pw9Secret_host_example", "u_Pw9Secret_host_example_8080",
}

// TestAirlockURLPasswords: no part of a URL password reaches the output,
// from raw lines or from maps Fluent Bit's json parser made; users stay
// (the exact output is in golden/airlock_url_passwords*.welf). Free text
// without a sign of a URL ("r:Pw9Secret@host.example" in a message, a
// field passed through, a key, a line not decoded) is left as it is.
func TestAirlockURLPasswords(t *testing.T) {
	lines := airlockPasswordLines(t)
	for _, parsed := range []bool{false, true} {
		t.Run(fmt.Sprint("parsed=", parsed), func(t *testing.T) {
			got, _ := runLines(t, lines, parsed, single, "FW gw")
			out := strings.Join(got, "\n") + "\n"
			name := "airlock_url_passwords.welf"
			if parsed {
				name = "airlock_url_passwords_parsed.welf"
			}
			golden(t, name, out)
			for i, rec := range got {
				fields, err := welf.Decode([]byte(rec))
				if err != nil {
					t.Fatalf("record %d: %v", i+1, err)
				}
				for _, f := range fields {
					kv := f.Key + "=" + f.Value
					if !urlKeys[f.Key] {
						// Free text (a message, a field passed through, a
						// key, a raw line) keeps userinfo without a sign
						// of a URL (README: Airlock Gateway → WELF).
						for _, free := range noURLSign {
							kv = strings.ReplaceAll(kv, free, "")
						}
					}
					if strings.Contains(kv, "Pw9") || strings.Contains(kv, "Secret") {
						t.Errorf("record %d: %s leaks: %s", i+1, f.Key, rec)
					}
				}
			}
		})
	}
}
