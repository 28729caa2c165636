package mwgjoin

import (
	"testing"

	"github.com/welfbridge/welfbridge/internal/mwg"
)

// TestClientAddrTyped: src is a typed field; a client address from
// X-Forwarded-For, Forwarded or X-Client-IP is whatever the client wrote,
// so only an IP address (a Forwarded port dropped) becomes src; anything
// else goes to unvalidated_src and src is the peer MWG saw.
func TestClientAddrTyped(t *testing.T) {
	tail := ` dstport=80 dstname=a.example op=GET arg=http://a.example/ result=200 sent=1 rcvd=2 conn=e view=client proxy_addr=192.0.2.10:9090`
	tests := []struct{ claimed, want string }{
		{"198.51.100.7", `src=198.51.100.7` + tail},
		{"2001:db8::1", `src=2001:db8::1` + tail},
		{"[2001:db8::1]", `src=2001:db8::1` + tail},
		{"[2001:db8::1]:4711", `src=2001:db8::1` + tail},
		{"198.51.100.7:4711", `src=198.51.100.7` + tail},
		{`1.2.3.4" src=6.6.6.6`, `src=192.0.2.44 srcport=53311` + tail + ` unvalidated_src="1.2.3.4\x22 src=6.6.6.6"`},
		{"a b", `src=192.0.2.44 srcport=53311` + tail + ` unvalidated_src="a b"`},
		{"unknown", `src=192.0.2.44 srcport=53311` + tail + ` unvalidated_src=unknown`},
		{"fe80::1%eth0", `src=192.0.2.44 srcport=53311` + tail + ` unvalidated_src=fe80::1%eth0`},
		{"999.1.1.1", `src=192.0.2.44 srcport=53311` + tail + ` unvalidated_src=999.1.1.1`},
		{"[1.2.3.4", `src=192.0.2.44 srcport=53311` + tail + ` unvalidated_src=[1.2.3.4`},
	}
	for _, tt := range tests {
		c := newCollector(t)
		c.emit(&Output{Exchange: mwg.Exchange{
			Client: &mwg.Transaction{
				Conn: mwg.Name{Proto: "HTTP", ID: "e", Side: "C"}, Proto: "http", Method: "GET", Target: "http://a.example/",
				Path: "/", Host: "a.example", Port: 80, Status: 200, ReqBytes: 1, RespBytes: 2, ClientAddr: tt.claimed,
				SrcAddr: "192.0.2.44:53311", DstAddr: "192.0.2.10:9090", Complete: true,
			},
		}})
		want := `id=firewall time="0001-01-01 00:00:00" fw=mwg01 pri=6 proto=http ` + tt.want + "\n"
		if got := c.take(); got != want {
			t.Errorf("%q:\ngot  %swant %s", tt.claimed, got, want)
		}
	}
}
