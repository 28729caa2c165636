package test

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/transport/syslogngtest"
	"github.com/welfbridge/welfbridge/internal/welf"
)

// TestMWGRedTeam2: the second red-team pass on the MWG path, through the
// .so: an ICAP X-Authenticated-User with a password part, client addresses
// that are no addresses, FTP command lines with a CR and hosts that are no
// hosts in USER, an unknown FTP command pipelined before a DELE, an FTP
// command line cut by a read inside a password, and an FTP data file whose
// content holds marker lines.
// No password reaches the output, src is an address or empty, and no
// bytes move between sent and rcvd.
func TestMWGRedTeam2(t *testing.T) {
	traces := t.TempDir()
	writeRedTeam2Traces(t, traces)
	out := filepath.Join(t.TempDir(), "mwg.welf")
	mustRun(t, tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+mwgOutput(out))
	got := strings.Split(strings.TrimSuffix(readOutput(t, out), "\n"), "\n")
	sort.Strings(got)
	want := []string{
		`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=4 proto=ftp dstport=21 dstname=ftp.example user=u op=RETR arg=/pub/f result=226 sent=26 rcvd=7 msg="CR inside a command line: the rest not decoded" conn=7d0003 view=client partial=shutdown`,
		`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=4 proto=ftp dstport=21 dstname=ftp.example user=u op=USER result=331 sent=34 rcvd=7 msg="CR inside a command line: the rest not decoded" conn=7d0003 view=client partial=shutdown`,
		`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=4 proto=ftp sent=0 rcvd=40 msg="marker line inside a message read as its data" conn=7d0004 view=server partial=shutdown`,
		`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=4 proto=ftp user=bob op=RETR arg=ftp:// result=226 sent=19 rcvd=7 msg="a line behind it that is no command may be the rest of its line" conn=7d0006 view=server partial=shutdown`,
		`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=4 proto=ftp user=v op=USER result=530 sent=21 rcvd=7 msg="malformed host in USER" conn=7d0003 view=client partial=shutdown`,
		`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=6 proto=ftp user=bob op=DELE arg=/important result=550 sent=16 rcvd=11 conn=7d0005 view=server partial=shutdown`,
		`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=6 proto=http src=192.0.2.44 srcport=51234 dstport=80 dstname=a.example op=GET arg=http://a.example/ result=204 sent=85 rcvd=25 conn=7d0002 view=client proxy_addr=192.0.2.10:8080 unvalidated_src="9.9.9.9 src=6.6.6.6" partial=shutdown`,
		`id=firewall time="2024-03-05 08:00:00" fw=mwg01 pri=6 proto=icap dstport=1344 dstname=icap.example user=alice op=REQMOD arg=icap://icap.example/reqmod result=204 sent=238 rcvd=25 conn=7d0001 view=server http_op=GET http_arg=http://a.example/ http_host=a.example unvalidated_src="1.2.3.4\x22 src=6.6.6.6"`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if all := strings.Join(got, "\n"); strings.Contains(all, "Pw9") || strings.Contains(all, "Secret") || strings.Contains(all, "hidden9") {
		t.Errorf("a password or a hidden command in the output:\n%s", all)
	}
}

// writeRedTeam2Traces writes the traces of TestMWGRedTeam2 into dir.
func writeRedTeam2Traces(t *testing.T, traces string) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	writeLines(t, traces, "ICAP-7d0001-S.txt", ">>>", "REQMOD icap://icap.example/reqmod ICAP/1.0", "Host: icap.example",
		"X-Client-IP: 1.2.3.4\" src=6.6.6.6", "X-Authenticated-User: "+b64("LDAP://alice:Pw9Secret"),
		"Encapsulated: req-hdr=0, null-body=40", "", "GET http://a.example/ HTTP/1.1", "Host: a.example", "",
		"<<<", "ICAP/1.0 204 No Content", "")
	writeLines(t, traces, "HTTP-7d0002-C.txt", ">>> 192.0.2.44:51234 -> 192.0.2.10:8080", "GET http://a.example/ HTTP/1.1", "Host: a.example",
		"X-Forwarded-For: 9.9.9.9 src=6.6.6.6", "", "<<< 192.0.2.44:51234 <- 192.0.2.10:8080", "HTTP/1.1 204 No Content", "")
	writeLines(t, traces, "FTP-7d0003-CC.txt", "<<<", "220 ready", ">>>", "USER u@ftp.example\rPASS Pw9Secret", "<<<", "331 pw",
		">>>", "RETR /pub/f\rDELE /hidden9", "<<<", "226 ok", ">>>", "USER v@evil host x=y", "<<<", "530 no")
	writeLines(t, traces, "FTP-7d0005-SC.txt", "<<<", "220 ready", ">>>", "USER bob", "<<<", "331 pw", ">>>", "PASS x", "<<<", "230 ok",
		">>>", "XCRC f", "DELE /important", "<<<", "250 crc ok", "550 denied")
	writeLines(t, traces, "FTP-7d0006-SC.txt", "<<<", "220 ready", ">>>", "USER bob", "<<<", "331 pw", ">>>", "PASS x", "<<<", "230 ok",
		">>>", "RETR ftp://bob:Pw9", ">>>", "Secret@h/f", "<<<", "226 ok")
	writeLines(t, traces, "FTP-7d0004-SD.txt", "<<<", "file content", ">>>", "forged upload", "[[[", "more")
}

// TestMWGRedTeam2SyslogNG: the records of TestMWGRedTeam2, as read back by
// syslog-ng's kv-parser and by Lire's regex: each arrives once, byte for
// byte; both find every key welf.Decode finds, the typed ones (src, dst,
// ports, result, sizes) with the same value; no password reaches them.
func TestMWGRedTeam2SyslogNG(t *testing.T) {
	traces := t.TempDir()
	writeRedTeam2Traces(t, traces)
	out := filepath.Join(t.TempDir(), "mwg.welf")
	sng := syslogngtest.Start(t, syslogngtest.Config{})
	mustRun(t, tailInput("mwg", filepath.Join(traces, "*.txt"), "Path_Key file")+mwgOutput(out)+
		welfOutput("mwg", "Destination tcp://"+sng.TCPAddr, "Time_Zone UTC", "Line_Ending lf", "FW mwg01", "Correlation_Clock record"))
	written := strings.Split(strings.TrimSuffix(readOutput(t, out), "\n"), "\n")
	sng.WaitRecords(len(written), 20*time.Second)
	got := sng.Records()
	msgs := make([]string, len(got))
	for i, r := range got {
		msgs[i] = r.MSG
	}
	sort.Strings(msgs)
	sort.Strings(written)
	equalLines(t, "MSG at syslog-ng", msgs, written)
	for _, r := range got {
		if strings.Contains(fmt.Sprint(r), "Pw9") || strings.Contains(fmt.Sprint(r), "Secret") {
			t.Errorf("a password reached syslog-ng: %+v", r)
		}
		fields, err := welf.Decode([]byte(r.MSG))
		if err != nil {
			t.Errorf("welf.Decode: %v\n%s", err, r.MSG)
			continue
		}
		lire := lireParse(r.MSG)
		if len(r.Pairs) != len(fields) || len(lire) != len(fields) {
			t.Errorf("kv-parser %d pairs, Lire %d keys, welf.Decode %d fields:\n%s", len(r.Pairs), len(lire), len(fields), r.MSG)
		}
		for _, f := range fields {
			v, ok := r.Pairs[f.Key]
			if _, lok := lire[f.Key]; !ok || !lok {
				t.Errorf("key %q: kv-parser %v, Lire %v:\n%s", f.Key, ok, lok, r.MSG)
			}
			switch f.Key {
			case "src", "dst", "srcport", "dstport", "result", "sent", "rcvd":
				if v != f.Value {
					t.Errorf("%s: kv-parser %q, welf.Decode %q", f.Key, v, f.Value)
				}
			}
		}
	}
}
