package test

import (
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/transport/rsyslogtest"
	"github.com/welfbridge/welfbridge/internal/transport/syslogngtest"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// hostileAirlock are Airlock lines whose content an attacker controls: the
// fixtures of the hostile tests (controls and separators, long and
// colliding keys, several objects and stray text on a line, numbers, typed
// fields) and quotes, backslashes, equals signs and URL credentials in
// values and keys.
var hostileAirlock = []string{
	// TestHostileControls
	`{"log_id":"WR-SG-X","host":"gw","req_id":"R1","message":"a\u0085id=evil pri=0","http_user_agent":"ua\u2028x","http_referrer":"r\u202egnp.exe","position":"p\u007fq\u009b1m"}`,
	`{"log_id":"WR-SG-X","host":"gw","req_id":"R2","message":"` + "raw\u2029next\x7f" + `","tech_client_label":"\u2067rtl\u2069 \u2066x\u2068","mapping":"m\u0080\u009f"}`,
	`{"log_id":"WR-SG-X","host":"gw\u0085x","req_id":"R3\u202a\u202b\u202c\u202d","note\u2028":"v","mark":"\u200e\u200f\u061c"}`,
	// TestHostileKeys: sanitised and colliding keys; keys of 300 bytes
	// (hashed to 128) and of exactly 128 bytes.
	`{"log_id":"WR-SG-X","host":"gw","a.b":"v1","a b":"v2","a_b":"v3","src":"9.9.9.9","x_src":"v4"}`,
	`{"log_id":"WR-SG-X","host":"gw","` + strings.Repeat("k", 300) + `":"l1","` + strings.Repeat("k", 299) + `j":"l2","` + strings.Repeat("e", 128) + `":"e"}`,
	`{"log_id":"WR-SG-X","host":"gw","front_src":"forged","front_src_ip":"10.0.0.1","front_src_port":"1","client_ip":"2.2.2.2","msg":"m","partial":"p","unvalidated_src":"u","tls_proto":"t","front_tls_proto":"TLSv1.3"}`,
	`{"log_id":"WR-SG-X","host":"gw","":"empty","@":"at","a-b":"1","a_b_2":"2","a.b":"3"}`,
	// TestHostileLines: several objects, stray text (records not decoded,
	// the line in raw=).
	`{"log_id":"WR-SG-X","host":"gw","req_id":"B1"}{"log_id":"WR-SG-X","host":"gw","req_id":"B2"},{"log_id":"WR-SG-X","host":"gw","req_id":"B3"}`,
	`["text",{"log_id":"WR-SG-X","host":"gw","req_id":"C1"}]`,
	`{"log_id":"WR-SG-X","host":"gw","req_id":"D1"} trailing garbage`,
	`x {"log_id":"WR-SG-X","host":"gw","req_id":"F1"}`,
	`{"log_id":"WR-SG-X","host":"gw","req_id":"G1"} {"log_id":`,
	// TestHostileNumbers, TestHostileTypedFields
	`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"N3","resp_size":18446744073709551615,"req_size":-0,"x":1e21,"y":1e-400,"z":123456789012345678901,"geo":{"n":[1.5e3,-0,2E1],"s":"\/\u00e9\b"}}`,
	`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"T1","client_ip":"1.2.3.4\" src=6.6.6.6","front_src_ip":"10.0.0.1","front_src_port":"4000","back_dst_ip":"::1\" x=y","back_dst_port":"99999999999"}`,
	`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"T2","client_ip":"a b","vhost_ip":"2001:db8::1","vhost_port":"abc","http_status":"20x","req_size":"-5","resp_size":"1 2","lifetime":"abc"}`,
	// Quotes and backslashes: a value ending in a backslash, a literal
	// "\x22", quotes at either end, C0 controls, '=' and a space.
	`{"log_id":"WR-SG-X","host":"gw","req_id":"Q1","message":"x\" src=6.6.6.6 user=admin","http_user_agent":"a\\b","http_referrer":"'quoted'","note":"\\\"","tab":"a\tb c","lit":"\\x22 y","end":"z\\","endq":"z\\ q"}`,
	`{"log_id":"WR-SG-X","host":"gw","req_id":"Q2","message":"\"","q2":"\"\"","eq":"a=b c=d","sq":"'","bs2":"\\\\","nl":"a\nb\r\nc","ctl":"\u0001\u001b[31m\u0000"}`,
	`{"log_id":"WR-SG-X","host":"gw","req_id":"Q3","k\"=x":"v","k=v":"w","k v":"\" pri=0 id=forged","\\":"b"}`,
	// '=' at either end or alone, values of spaces only, keys that start
	// with a digit, '-' or '=', keys of punctuation or non-ASCII only, a
	// key repeated (class 6).
	`{"log_id":"WR-SG-X","host":"gw","req_id":"Q4","e1":"=x","e2":"x=","e3":"==","e4":"   ","e5":" ","e6":"a =b","e7":"= =","1k":"d","-k":"m","=k":"q","éé":"u","!!":"p","k=v=w":"kv","rep":"r1","rep":"r2 x=1","e8":"\\ ","e9":" \\"}`,
	// URL credentials in Airlock's fields, free text, a field passed
	// through, a key and a line not decoded: their passwords are removed.
	`{"log_id":"WR-SG-SUMMARY","host":"gw","req_id":"U1","entry_path":"/p?u=http://u:Pw9Secret@host.example/x","http_referrer":"http://u:Pw9Secret@host.example/x","back_host":"u:Pw9Secret@h"}`,
	`{"log_id":"WR-SG-X","host":"gw","req_id":"U2","message":"see http:\\\\u:Pw9Secret@h.example/","vhost":"[u:Pw9Secret@h]","note":"//u%3APw9Secret%40h/x","HTTP:u:Pw9Secret@h":"k"}`,
	`x {"log_id":"WR-SG-X","host":"gw","req_id":"U3","backend_url":"wss://u:Pw9Secret@[::1]:8443/"}`,
}

// TestSyslogNGKVParser sends hostile records through the plugin to a real
// syslog-ng, whose kv-parser reads each WELF record back as key=value
// pairs. Every record arrives once, as written to a file; kv-parser finds
// exactly the keys welf.Decode does (none created, hidden or dropped, keys
// of 128 bytes included), and so does Lire's regex; and its values equal welf.Decode's except where
// kv-parser does not undo WELF's escaping: those differences are listed
// exactly in golden/syslogng_kv_differences.txt.
func TestSyslogNGKVParser(t *testing.T) {
	dir := t.TempDir()
	airlockIn := writeLines(t, dir, "airlock.log", hostileAirlock...)
	traces := t.TempDir()
	for i, url := range urlSpellings {
		writeLines(t, traces, fmt.Sprintf("HTTP-5a%04d-C.txt", i), ">>>", "GET "+url+" HTTP/1.1", "Host: host.example", "Referer: "+url, "User-Agent: "+url, "",
			"<<<", "HTTP/1.1 302 Found", "Location: "+url, "Content-Length: 0", "")
	}
	airlockFile, mwgFile := filepath.Join(dir, "airlock.welf"), filepath.Join(dir, "mwg.welf")
	sngAirlock, sngMWG := syslogngtest.Start(t, syslogngtest.Config{}), syslogngtest.Start(t, syslogngtest.Config{})
	common := []string{"Time_Zone UTC", "Line_Ending lf", single}
	mustRun(t, tailInput("a", airlockIn)+tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+
		welfOutput("a", append([]string{"Destination file://" + airlockFile}, common...)...)+
		welfOutput("a", append([]string{"Destination tcp://" + sngAirlock.TCPAddr}, common...)...)+
		welfOutput("mwg", append([]string{"Destination file://" + mwgFile, "FW mwg01", "Correlation_Clock record"}, common...)...)+
		welfOutput("mwg", append([]string{"Destination tcp://" + sngMWG.TCPAddr, "FW mwg01", "Correlation_Clock record"}, common...)...))

	var differences strings.Builder
	long := 0
	for _, tt := range []struct {
		name string
		file string
		sng  *syslogngtest.Server
	}{{"airlock", airlockFile, sngAirlock}, {"mwg", mwgFile, sngMWG}} {
		written := strings.Split(strings.TrimSuffix(readOutput(t, tt.file), "\n"), "\n")
		tt.sng.WaitRecords(len(written), 20*time.Second)
		time.Sleep(200 * time.Millisecond) // a record too many would have arrived by now
		got := tt.sng.Records()
		msgs := make([]string, len(got))
		for i, r := range got {
			msgs[i] = r.MSG
		}
		// Each record once, in order, byte for byte as in the file.
		equalLines(t, tt.name+": MSG at syslog-ng", msgs, written)
		if len(got) != len(written) {
			continue
		}
		for i, r := range got {
			// No password from a URL reaches any field, in any source.
			for _, part := range []string{"Pw9", "Secret"} {
				if strings.Contains(fmt.Sprint(r), part) {
					t.Errorf("%s record %d: %q reached syslog-ng: %+v", tt.name, i+1, part, r)
				}
			}
			fields, err := welf.Decode([]byte(written[i]))
			if err != nil {
				t.Errorf("%s record %d: welf.Decode: %v", tt.name, i+1, err)
				continue
			}
			// Lire's regex finds the same keys too (it does not unescape).
			lire := lireParse(written[i])
			for _, f := range fields {
				if _, ok := lire[f.Key]; !ok || len(lire) != len(fields) {
					t.Errorf("%s record %d: Lire finds %d keys (%q missing), welf.Decode %d:\n%s", tt.name, i+1, len(lire), f.Key, len(fields), written[i])
					break
				}
			}
			if len(r.Pairs) != len(fields) {
				t.Errorf("%s record %d: kv-parser found %d pairs, welf.Decode %d fields:\n%s\n%v", tt.name, i+1, len(r.Pairs), len(fields), written[i], r.Pairs)
			}
			for _, f := range fields {
				v, ok := r.Pairs[f.Key]
				switch {
				case !ok:
					t.Errorf("%s record %d: kv-parser lacks key %q:\n%s", tt.name, i+1, f.Key, written[i])
				case v != f.Value:
					fmt.Fprintf(&differences, "%s record %d key %s: welf.Decode %q, kv-parser %q\n", tt.name, i+1, f.Key, f.Value, v)
				}
				if len(f.Key) == 128 && ok {
					long++
				}
			}
		}
	}
	// The 128-byte keys of the long-key record: one exact, two hashed.
	if long != 3 {
		t.Errorf("kv-parser kept %d keys of 128 bytes, want 3", long)
	}
	golden(t, "syslogng_kv_differences.txt", differences.String())
}

// TestFailoverSyslogNG: two syslog-ng receivers. With the first down at
// start (TCP, TLS) every record arrives at the second, once. Then the active
// receiver is killed in the middle of a stream and restarted: every record
// arrives, except at most what was written into the killed receiver's
// socket that it never read (README, "What a switch costs": TCP), and
// no record arrives twice.
func TestFailoverSyslogNG(t *testing.T) {
	for _, scheme := range []string{"tcp", "tls"} {
		t.Run("first down/"+scheme, func(t *testing.T) {
			var cfg syslogngtest.Config
			props := []string{"Time_Zone UTC", single}
			if scheme == "tls" {
				certs := rsyslogtest.GenerateCerts(t)
				cfg.TLS = &syslogngtest.TLS{CertFile: certs.ServerCert, KeyFile: certs.ServerKey}
				props = append(props, "TLS_CA_File "+certs.CAFile)
			}
			a, b := syslogngtest.Start(t, cfg), syslogngtest.Start(t, cfg)
			a.Stop()
			r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
				welfOutput("airlock", append(props, "Destination "+scheme+"://"+a.TCPAddr+","+scheme+"://"+b.TCPAddr)...))
			b.WaitRecords(7, 20*time.Second)
			time.Sleep(200 * time.Millisecond)
			equalLines(t, "second receiver", b.Lines(), sampleWELF(t))
			if want := fmt.Sprintf("failover: switching from %s to %s: syslog %s://%s: connect: connection refused", a.TCPAddr, b.TCPAddr, scheme, a.TCPAddr); !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
			if want := b.TCPAddr + " up sent=7 failures=0; switches=1 possible_duplicates=0"; !strings.Contains(r.stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
			}
		})
	}
	t.Run("killed mid-stream", func(t *testing.T) {
		// 100,000 records, about 14 MB: more than the sender's socket
		// buffer (up to 4 MiB) holds.
		const n = 100000
		in := filepath.Join(t.TempDir(), "many.log")
		lines := make([]string, n)
		want := make([]string, n)
		for i := range lines {
			lines[i] = fmt.Sprintf(`{"log_id":"WR-SG-SUMMARY","host":"gw01","req_id":"r%06d","http_method":"GET","entry_path":"/p","http_status":"200"}`, i)
			want[i] = fmt.Sprintf(`id=firewall time="2024-03-05 08:00:00" fw=gw01 pri=6 op=GET arg=/p result=200 log_id=WR-SG-SUMMARY req_id=r%06d`, i)
		}
		writeLines(t, filepath.Dir(in), filepath.Base(in), lines...)
		// Both write 20,000 messages a second with flow control: the
		// plugin is still sending when the first is killed.
		slow := syslogngtest.Config{Throttle: 20000}
		a, b := syslogngtest.Start(t, slow), syslogngtest.Start(t, slow)
		wait := startHarness(t, tailInput("a", in)+
			welfOutput("*", "Destination tcp://"+a.TCPAddr+",tcp://"+b.TCPAddr, "Time_Zone UTC", single,
				"Shutdown_Timeout 60s", "Failback_Interval 0", "workers 1"),
			"--chunk-records", "500")
		waitFor(t, 20*time.Second, "the first records at the first receiver", func() bool { return a.Count() >= 2000 })
		a.Kill()
		atA := a.Lines() // what it wrote before it died
		a.Start()
		r := wait()
		if r.exit != 0 {
			t.Fatalf("exit %d:\n%s", r.exit, r.stderr)
		}
		m := failoverSent.FindStringSubmatch(r.stderr)
		if m == nil {
			t.Fatalf("no failover counters in the log:\n%s", r.stderr)
		}
		sentA, _ := strconv.Atoi(m[1])
		sentB, _ := strconv.Atoi(m[2])
		// The receivers write at their own pace: wait until the second has
		// all it was sent and neither writes any more.
		var atB, atA2 []string
		last, stable := -1, time.Now()
		waitFor(t, 60*time.Second, "the receivers to write what they were sent", func() bool {
			atA2, atB = a.Lines()[len(atA):], b.Lines()
			if total := len(atA2) + len(atB); total != last {
				last, stable = total, time.Now()
			}
			return len(atB) >= sentB && time.Since(stable) > time.Second
		})
		for name, got := range map[string][]string{"first receiver before the kill": atA, "second receiver": atB, "first receiver after the restart": atA2} {
			if !sort.StringsAreSorted(got) { // req_id counts up: sorted is in order
				t.Errorf("%s: records out of order", name)
			}
		}
		all := append(append(append([]string(nil), atA...), atB...), atA2...)
		sort.Strings(all)
		if d := len(all) - len(dedupe(all)); d != 0 {
			t.Errorf("%d records arrived twice", d)
		}
		// What TCP may lose: records written into the killed receiver's
		// socket that it never wrote out, i.e. one run right after the
		// last record it wrote, all counted as sent to it.
		lost := missing(want, all)
		t.Logf("first receiver %d before the kill, %d after the restart; second %d; lost %d; %s", len(atA), len(atA2), len(atB), len(lost), m[0])
		if first := len(atA); len(lost) > 0 && strings.Join(lost, "\n") != strings.Join(want[first:min(first+len(lost), n)], "\n") {
			t.Errorf("lost records are not one run right after the last the killed receiver wrote (%s): %d from %s to %s",
				atA[len(atA)-1], len(lost), lost[0], lost[len(lost)-1])
		}
		if sentA != len(atA)+len(lost)+len(atA2) || sentB != len(atB) {
			t.Errorf("counted sent %d to the first receiver and %d to the second; they wrote %d + %d (lost %d) and %d",
				sentA, sentB, len(atA), len(atA2), len(lost), len(atB))
		}
		if !strings.Contains(r.stderr, "failover: switching from "+a.TCPAddr+" to "+b.TCPAddr+": ") {
			t.Errorf("no switch logged:\n%s", r.stderr)
		}
		if !strings.Contains(r.stderr, "exit: events=100000 written=100000 ") {
			t.Errorf("each record must be processed exactly once:\n%s", r.stderr)
		}
	})
}

// failoverSent matches the per-receiver counters of two receivers at exit.
var failoverSent = regexp.MustCompile(`failover stats: \S+ \S+ sent=(\d+) failures=\d+; \S+ \S+ sent=(\d+) failures=\d+; switches=\d+ possible_duplicates=\d+`)

// missing returns the lines of want (sorted) that sorted got lacks.
func missing(want, got []string) []string {
	var out []string
	j := 0
	for _, w := range want {
		for j < len(got) && got[j] < w {
			j++
		}
		if j == len(got) || got[j] != w {
			out = append(out, w)
		}
	}
	return out
}
