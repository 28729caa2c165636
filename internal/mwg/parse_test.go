package mwg

import (
	"fmt"
	"testing"
)

func TestParseName(t *testing.T) {
	tests := []struct {
		path    string
		want    Name
		wantErr string
	}{
		{path: "/opt/mwg/log/debug/connection_tracing/HTTP-1a2b3c-C.txt", want: Name{Proto: "HTTP", ID: "1a2b3c", Side: "C"}},
		{path: "FTP-000123-SD.txt", want: Name{Proto: "FTP", ID: "000123", Side: "SD"}},
		{path: "dir/ICAP-ff-S.txt", want: Name{Proto: "ICAP", ID: "ff", Side: "S"}},
		{path: "HTTP2-Zz9-ABC.txt", want: Name{Proto: "HTTP2", ID: "Zz9", Side: "ABC"}},
		{path: "HTTP-1a2b3c-C.log", wantErr: `mwg: trace file name "HTTP-1a2b3c-C.log": no .txt suffix`},
		{path: "HTTP-1a2b3c.txt", wantErr: `mwg: trace file name "HTTP-1a2b3c.txt": want PROTO-ID-SIDE.txt`},
		{path: "http-1a-C.txt", wantErr: `mwg: trace file name "http-1a-C.txt": protocol "http" is not upper-case letters and digits`},
		{path: "HTTP-1a-2b-C.txt", wantErr: `mwg: trace file name "HTTP-1a-2b-C.txt": want PROTO-ID-SIDE.txt`},
		{path: "HTTP-1_a-C.txt", wantErr: `mwg: trace file name "HTTP-1_a-C.txt": connection id "1_a" is not letters and digits`},
		{path: "HTTP--C.txt", wantErr: `mwg: trace file name "HTTP--C.txt": connection id "" is not letters and digits`},
		{path: "HTTP-1a-CCCC.txt", wantErr: `mwg: trace file name "HTTP-1a-CCCC.txt": side "CCCC" is not 1 to 3 upper-case letters`},
		{path: "HTTP-1a-c.txt", wantErr: `mwg: trace file name "HTTP-1a-c.txt": side "c" is not 1 to 3 upper-case letters`},
		{path: "HTTP-1a-.txt", wantErr: `mwg: trace file name "HTTP-1a-.txt": side "" is not 1 to 3 upper-case letters`},
		{path: "/x/", wantErr: `mwg: trace file name "": no .txt suffix`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, err := ParseName(tt.path)
			switch {
			case tt.wantErr != "":
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("ParseName(%q) error = %v, want %s", tt.path, err, tt.wantErr)
				}
			case err != nil:
				t.Errorf("ParseName(%q): %v", tt.path, err)
			case got != tt.want:
				t.Errorf("ParseName(%q) = %+v, want %+v", tt.path, got, tt.want)
			}
		})
	}
}

func TestParseMarkerMode(t *testing.T) {
	for in, want := range map[string]MarkerMode{"auto": MarkerAuto, "": MarkerAuto, "Direction": MarkerDirection, " region ": MarkerRegion} {
		if got, err := ParseMarkerMode(in); err != nil || got != want {
			t.Errorf("ParseMarkerMode(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseMarkerMode("both"); err == nil || err.Error() != `mwg: marker mode "both": want auto, direction or region` {
		t.Errorf("ParseMarkerMode(both) error = %v", err)
	}
}

// describe renders a parsed marker line for comparison.
func describe(ml markerLine) string {
	s := fmt.Sprintf("mark=%d", ml.mark)
	st := ml.meta.stamp
	if st.date {
		s += fmt.Sprintf(" date=%04d-%02d-%02d", st.year, st.month, st.day)
	}
	if st.clock {
		s += fmt.Sprintf(" clock=%02d:%02d:%02d.%09d", st.hour, st.min, st.sec, st.nsec)
	}
	if st.zone {
		s += fmt.Sprintf(" offset=%d", st.offset)
	}
	if ml.meta.count >= 0 {
		s += fmt.Sprintf(" count=%d", ml.meta.count)
	}
	for _, a := range ml.meta.addrs[:ml.meta.naddr] {
		s += fmt.Sprintf(" addr=%s", a)
	}
	if ml.meta.reverse {
		s += " reverse"
	}
	if ml.hasPayload {
		s += fmt.Sprintf(" payload=%q", ml.payload)
	}
	return s
}

func TestParseMarkerLine(t *testing.T) {
	tests := []struct {
		line string
		want string // "" when the line is no marker line
	}{
		{">>>", "mark=1"},
		{"<<<\r", "mark=2"},
		{"[[[", "mark=3"},
		{"]]]  \t", "mark=4"},
		{">>>>", ""},
		{">>>x", ""},
		{">>", ""},
		{"x >>>", ""},
		{" >>>", ""},
		{"<<< 2024-03-05 09:12:44.123", "mark=2 date=2024-03-05 clock=09:12:44.123000000"},
		{">>> 192.0.2.44:51234 -> 192.0.2.10:8080 (212 bytes)", "mark=1 count=212 addr=192.0.2.44:51234 addr=192.0.2.10:8080"},
		{">>> [2001:db8::1]:443 <- 10.0.0.1:80", "mark=1 addr=[2001:db8::1]:443 addr=10.0.0.1:80 reverse"},
		{"<<< (17)", "mark=2 count=17"},
		{"<<< 17 bytes", "mark=2 count=17"},
		{"<<< (1 byte)", "mark=2 count=1"},
		{"<<< 17", `mark=2 payload="17"`},
		{"<<< 300.1.1.1:80", `mark=2 payload="300.1.1.1:80"`},
		{">>> GET / HTTP/1.1\r", `mark=1 payload="GET / HTTP/1.1\r"`},
		{">>>\tHTTP/1.1 200 OK", `mark=1 payload="HTTP/1.1 200 OK"`},
		{">>>  two spaces", `mark=1 payload=" two spaces"`},
		{"2024-03-05 09:12:44.123 >>>", "mark=1 date=2024-03-05 clock=09:12:44.123000000"},
		{"2024/03/05T09:12:44Z <<<", "mark=2 date=2024-03-05 clock=09:12:44.000000000 offset=0"},
		{"12:01:02.345 [[[", "mark=3 clock=12:01:02.345000000"},
		{"[0001] ]]]", "mark=4"},
		{"[0001] 12:01:02,5-0130 >>>", "mark=1 clock=12:01:02.500000000 offset=-5400"},
		{"[2024-03-05 09:12:44] >>> 10.0.0.1:1", "mark=1 date=2024-03-05 clock=09:12:44.000000000 addr=10.0.0.1:1"},
		{"[12:00:00] <<< data", `mark=2 clock=12:00:00.000000000 payload="data"`},
		{"2024-03-05 09:12:44 1 >>>", ""},
		{"2024-13-05 >>>", ""},
		{"25:00:00 >>>", ""},
		{"[] >>>", ""},
		{"1 2 3 4 >>>", ""},
		{"2024-03-05 09:12:44.123", ""},
	}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			ml, ok := parseMarkerLine([]byte(tt.line), true)
			got := ""
			if ok {
				got = describe(ml)
			}
			if got != tt.want {
				t.Errorf("parseMarkerLine(%q) = %q, want %q", tt.line, got, tt.want)
			}
		})
	}
	if _, ok := parseMarkerLine([]byte("12:00:00 >>>"), false); ok {
		t.Error("prefix accepted with prefixes disabled")
	}
}

func TestStartLines(t *testing.T) {
	tests := []struct {
		line    string
		proto   string
		request bool
		status  int
	}{
		{"GET / HTTP/1.1", "HTTP", true, 0},
		{"GET /a b HTTP/1.0", "HTTP", true, 0},
		{"M-SEARCH * HTTP/1.1", "HTTP", true, 0},
		{"GET / HTTP/1.1 ", "HTTP", false, 0},
		{"GET  HTTP/1.1", "HTTP", false, 0}, // empty target
		{"GET HTTP/1.1", "HTTP", false, 0},
		{"G:ET / HTTP/1.1", "HTTP", false, 0},
		{"GET / HTTP/11", "HTTP", false, 0},
		{"GET / ICAP/1.0", "HTTP", false, 0},
		{"REQMOD icap://i/ ICAP/1.0", "ICAP", true, 0},
		{"HTTP/1.1 200 OK", "HTTP", false, 200},
		{"HTTP/1.0 404", "HTTP", false, 404},
		{"HTTP/1.1 2000 OK", "HTTP", false, 0},
		{"HTTP/1.1 099 x", "HTTP", false, 0},
		{"HTTP/1.1  200 OK", "HTTP", false, 0},
		{"ICAP/1.0 204 No Content", "ICAP", false, 204},
	}
	for _, tt := range tests {
		_, req := parseRequestLine([]byte(tt.line), tt.proto)
		status, _ := parseStatusLine([]byte(tt.line), tt.proto)
		if req != tt.request || status != tt.status {
			t.Errorf("%q as %s: request %v status %d, want %v %d", tt.line, tt.proto, req, status, tt.request, tt.status)
		}
	}
}

func TestHeaderValues(t *testing.T) {
	var buf [64]byte
	for value, want := range map[string]string{
		"Basic YWxpY2U6UzNjcjN0LVBhNTU=": "alice",
		"basic  YWxpY2U6UzNjcjN0LVBhNTU": "alice", // padding missing
		"Basic Ym9i":                     "",      // no colon
		"Basic !!!!":                     "",
		"NTLM TlRMTVNTUAADAAAA":          "",
		"Negotiate YIIB":                 "",
	} {
		if got := string(buf[:basicUser([]byte(value), buf[:])]); got != want {
			t.Errorf("basicUser(%q) = %q, want %q", value, got, want)
		}
	}
	for value, want := range map[string]string{
		`for=192.0.2.43`: "192.0.2.43",
		`For="[2001:db8:cafe::17]:4711";proto=http, for=x`: "[2001:db8:cafe::17]:4711",
		`proto=https;for=198.51.100.17;by=203.0.113.43`:    "198.51.100.17",
		`by=203.0.113.43`: "",
	} {
		if got := string(forwardedFor([]byte(value))); got != want {
			t.Errorf("forwardedFor(%q) = %q, want %q", value, got, want)
		}
	}
	for arg, want := range map[string]int{
		"10,0,0,1,4,1": 1025, "Entering Passive Mode (192,0,2,10,195,80).": 50000, "=192,0,2,10,0,21": 21,
		"1,2,3": 0, "256,0,0,1,1,1": 0, "": 0,
	} {
		if got := hostPort6([]byte(arg)); got != want {
			t.Errorf("hostPort6(%q) = %d, want %d", arg, got, want)
		}
	}
	for text, want := range map[string]int{"Entering Extended Passive Mode (|||41733|)": 41733, "(|||70000|)": 0, "no": 0} {
		if got := epsvPort([]byte(text)); got != want {
			t.Errorf("epsvPort(%q) = %d, want %d", text, got, want)
		}
	}
	for arg, want := range map[string]int{"|1|132.235.1.2|6275|": 6275, "|2|1080::8:800:200C:417A|5282|": 5282, "!1!h!21!": 21, "|1|": 0, "": 0} {
		if got := eprtPort([]byte(arg)); got != want {
			t.Errorf("eprtPort(%q) = %d, want %d", arg, got, want)
		}
	}
}

func TestEncapsulated(t *testing.T) {
	for v, want := range map[string]string{
		"req-hdr=0, res-hdr=137, res-body=296":  "[1 2 4] 3",
		"null-body=0":                           "[6 0 0] 1",
		"req-hdr=0,null-body=170":               "[1 6 0] 2",
		"opt-body=0":                            "[5 0 0] 1",
		"req-hdr=5":                             "invalid",
		"res-hdr=0, req-hdr=10, res-hdr=5":      "invalid",
		"res-body=0, res-hdr=10":                "invalid",
		"req-hdr=0, x-hdr=3":                    "invalid",
		"req-hdr=0, res-hdr=1, req-body=2, x=3": "invalid",
		"":                                      "invalid",
	} {
		secs, n, ok := parseEncapsulated([]byte(v))
		got := "invalid"
		if ok {
			got = fmt.Sprintf("%v %d", secs, n)
		}
		if got != want {
			t.Errorf("parseEncapsulated(%q) = %s, want %s", v, got, want)
		}
	}
}

func TestSplitHostPort(t *testing.T) {
	tests := []struct {
		in   string
		host string
		port int
	}{
		{"www.example.com", "www.example.com", 0},
		{"www.example.com:8080", "www.example.com", 8080},
		{"www.example.com:", "www.example.com", 0},
		{"www.example.com:99999", "www.example.com", 0},
		{"www.example.com:80a", "www.example.com", 0},
		{"[2001:db8::1]:443", "2001:db8::1", 443},
		{"[2001:db8::1]", "2001:db8::1", 0},
		{"[2001:db8::1", "[2001:db8::1", 0},
		{"2001:db8::1", "2001:db8::1", 0},
		{"", "", 0},
	}
	for _, tt := range tests {
		if host, port := splitHostPort(tt.in); host != tt.host || port != tt.port {
			t.Errorf("splitHostPort(%q) = %q, %d; want %q, %d", tt.in, host, port, tt.host, tt.port)
		}
	}
}

func TestStrings(t *testing.T) {
	for got, want := range map[fmt.Stringer]string{
		MarkerAuto: "auto", MarkerDirection: "direction", MarkerRegion: "region", MarkerMode(9): "MarkerMode(9)",
		FlushIdle: "idle", FlushShutdown: "shutdown", FlushTruncated: "truncated", FlushReason(0): "FlushReason(0)",
	} {
		if got.String() != want {
			t.Errorf("%#v.String() = %q, want %q", got, got.String(), want)
		}
	}
}
