package mwgjoin

import (
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/mwg"
)

// TestWriteWELF covers mappings the fixtures do not reach.
func TestWriteWELF(t *testing.T) {
	start := time.Date(2024, 3, 5, 9, 12, 44, 120e6, time.UTC)
	tests := []struct {
		name string
		out  Output
		want string
	}{
		{
			name: "IPv6 addresses, origin form on a non-default port, client address from a header",
			out: Output{Exchange: mwg.Exchange{
				Client: &mwg.Transaction{
					Conn: mwg.Name{Proto: "HTTP", ID: "9", Side: "C"}, Proto: "https", TLS: mwg.TLSInspected,
					Method: "GET", Target: "/x?y=1", Path: "/x?y=1", Host: "2001:db8::7", Port: 8443, Status: 200,
					ReqBytes: 10, RespBytes: 20, ClientAddr: "2001:db8::99", SrcAddr: "[2001:db8::44]:51234",
					DstAddr: "[2001:db8::10]:8080", Start: start, End: start.Add(1500 * time.Millisecond), Complete: true,
				},
				Server: &mwg.Transaction{
					Conn: mwg.Name{Proto: "HTTP", ID: "9", Side: "S"}, Proto: "https", TLS: mwg.TLSInspected,
					Method: "GET", Target: "/x?y=1", Path: "/x?y=1", Host: "2001:db8::7", Port: 8443, Status: 200,
					ReqBytes: 30, RespBytes: 20, SrcAddr: "[2001:db8::10]:40000", DstAddr: "[2001:db8::7]:8443",
					Msg: "header cap reached", Complete: true,
				},
			}},
			want: `id=firewall time="2024-03-05 09:12:44" fw=mwg01 pri=4 proto=https src=2001:db8::99 dst=2001:db8::7 dstport=8443 dstname=2001:db8::7 op=GET arg=https://[2001:db8::7]:8443/x?y=1 result=200 sent=10 rcvd=20 duration=1.500 conn=9 tls=inspected upstream_sent=30 upstream_rcvd=20 upstream_msg="header cap reached" proxy_addr=[2001:db8::10]:8080 upstream_src=[2001:db8::10]:40000`,
		},
		{
			name: "server side alone: client address from X-Forwarded-For, no srcport; date-less start ignored for the time",
			out: Output{Exchange: mwg.Exchange{
				Server: &mwg.Transaction{
					Conn: mwg.Name{Proto: "HTTP", ID: "a", Side: "S"}, Proto: "http", Method: "POST", Target: "/api",
					Path: "/api", Host: "api.example.net", Port: 80, Status: 201, ReqBytes: 5, RespBytes: 6,
					ClientAddr: "192.0.2.7", SrcAddr: "192.0.2.10:40000", DstAddr: "198.51.100.1:80", User: "bob",
					Start: time.Date(1, 1, 1, 9, 0, 0, 0, time.UTC), End: time.Date(1, 1, 1, 9, 0, 2, 0, time.UTC), Complete: true,
				},
				Seen: start,
			}},
			want: `id=firewall time="2024-03-05 09:12:44" fw=mwg01 pri=6 proto=http src=192.0.2.7 dst=198.51.100.1 dstport=80 dstname=api.example.net user=bob op=POST arg=http://api.example.net/api result=201 sent=5 rcvd=6 duration=2.000 conn=a view=server upstream_src=192.0.2.10:40000`,
		},
		{
			name: "FTP data connection without transfer; end before start gives no duration",
			out: Output{Exchange: mwg.Exchange{
				Client: &mwg.Transaction{
					Conn: mwg.Name{Proto: "FTP", ID: "b", Side: "CL"}, Proto: "ftp", RespBytes: 58,
					SrcAddr: "192.0.2.44:53311", DstAddr: "192.0.2.10:50000", Start: start, End: start.Add(-time.Second), Complete: true,
				},
				Seen: start,
			}},
			want: `id=firewall time="2024-03-05 09:12:44" fw=mwg01 pri=6 proto=ftp src=192.0.2.44 srcport=53311 sent=0 rcvd=58 conn=b view=client proxy_addr=192.0.2.10:50000`,
		},
		{
			name: "FTP transfer with data counts of both sides, one incomplete; relative path unresolved",
			out: Output{Exchange: mwg.Exchange{
				Client: &mwg.Transaction{
					Conn: mwg.Name{Proto: "FTP", ID: "c", Side: "CC"}, Proto: "ftp", Method: "STOR", Target: "up.bin",
					Host: "ftp.example.net", Port: 21, Status: 226, ReqBytes: 13, RespBytes: 40, User: "anonymous", Complete: true,
				},
				Server: &mwg.Transaction{
					Conn: mwg.Name{Proto: "FTP", ID: "c", Side: "SC"}, Proto: "ftp", Method: "STOR", Target: "up.bin",
					Port: 21, Status: 226, ReqBytes: 13, RespBytes: 42, Complete: true,
				},
				ClientData: &mwg.Transaction{Proto: "ftp", ReqBytes: 1000, Complete: true},
				ServerData: &mwg.Transaction{Proto: "ftp", ReqBytes: 900, Msg: "incomplete (truncated): data connection still open"},
				Seen:       start,
			}},
			want: `id=firewall time="2024-03-05 09:12:44" fw=mwg01 pri=4 proto=ftp dstport=21 dstname=ftp.example.net user=anonymous op=STOR arg=up.bin result=226 sent=1013 rcvd=40 conn=c upstream_sent=913 upstream_rcvd=42 data_msg="incomplete (truncated): data connection still open"`,
		},
		{
			name: "protocol without decoder: undecoded data, quotes and control bytes escaped",
			out: Output{Exchange: mwg.Exchange{
				Client: &mwg.Transaction{
					Conn: mwg.Name{Proto: "SOCKS", ID: "d", Side: "C"}, Proto: "socks", ReqBytes: 7,
					Msg: `binary data not decoded; "x"` + "\x01", Complete: false,
				},
				Seen: start,
			}, Partial: "timeout"},
			want: `id=firewall time="2024-03-05 09:12:44" fw=mwg01 pri=4 proto=socks sent=7 rcvd=0 msg="binary data not decoded; \x22x\x22\x01" conn=d view=client partial=timeout`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCollector(t)
			c.emit(&tt.out)
			if got := c.take(); got != tt.want+"\n" {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestAddrPort(t *testing.T) {
	for in, want := range map[string]int{"192.0.2.1:50000": 50000, "192.0.2.1": 0, "x:123456": 0, "x:12a": 0, "[::1]:21": 21} {
		if got := addrPort(in); got != want {
			t.Errorf("addrPort(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestSplitName(t *testing.T) {
	tests := []struct {
		in, key, side string
		ok            bool
	}{
		{"/d/HTTP-1a2b3c-C.txt", "/d/HTTP-1a2b3c", "C", true},
		{"FTP-1-SD.txt", "FTP-1", "SD", true},
		{"/d-x/a.txt", "", "", false},
		{"/d/HTTP-1a2b3c-C.log", "", "", false},
		{"/d/-C.txt", "", "", false},
		{"/d/a-b-c-d.txt", "/d/a-b-c", "d", true}, // found, then refused by mwg.ParseName
	}
	for _, tt := range tests {
		key, side, ok := splitName([]byte(tt.in))
		if string(key) != tt.key || string(side) != tt.side || ok != tt.ok {
			t.Errorf("splitName(%q) = %q, %q, %v, want %q, %q, %v", tt.in, key, side, ok, tt.key, tt.side, tt.ok)
		}
	}
}

func TestPairing(t *testing.T) {
	get := func(host, path string, status int) *mwg.Transaction {
		return &mwg.Transaction{Method: "GET", Host: host, Path: path, Status: status}
	}
	tests := []struct {
		name           string
		c, s           *mwg.Transaction
		mayPair, match bool
	}{
		{"same request and status", get("a.example", "/", 200), get("a.example", "/", 200), true, true},
		{"host case differs", get("A.Example", "/", 200), get("a.example", "/", 200), true, true},
		{"block page for an upstream 200", get("a.example", "/", 403), get("a.example", "/", 200), true, false},
		{"proxy 407", get("a.example", "/", 407), get("a.example", "/", 200), false, false},
		{"407 from a next-hop proxy", get("a.example", "/", 407), get("a.example", "/", 407), true, true},
		{"other path", get("a.example", "/a", 200), get("a.example", "/b", 200), false, false},
		{"other host", get("a.example", "/", 200), get("b.example", "/", 200), false, false},
		{"no host on the server side (FTP)", get("a.example", "/", 226), get("", "/", 226), true, true},
		{"no method", &mwg.Transaction{}, &mwg.Transaction{}, false, false},
	}
	for _, tt := range tests {
		if got := mayPair(tt.c, tt.s); got != tt.mayPair {
			t.Errorf("%s: mayPair = %v", tt.name, got)
		}
		if got := samePair(tt.c, tt.s); got != tt.match {
			t.Errorf("%s: samePair = %v", tt.name, got)
		}
	}
}
