package mwgjoin

import (
	"net/netip"
	"strconv"
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

// TestMarkerAddrTyped: addresses of marker lines (which bytes behind a
// message can also spell) become src and dst only if they are IP
// addresses; others go to unvalidated_peer and unvalidated_dst, and
// dstport then comes from the request. Ports are written without leading
// zeros.
func TestMarkerAddrTyped(t *testing.T) {
	tests := []struct{ srcAddr, dstAddr, want, bad string }{
		{"192.0.2.44:53311", "198.51.100.7:80", `src=192.0.2.44 srcport=53311 dst=198.51.100.7 dstport=80 dstname=a.example`, ""},
		{"[2001:db8::44]:53311", "[2001:db8::7]:80", `src=2001:db8::44 srcport=53311 dst=2001:db8::7 dstport=80 dstname=a.example`, ""},
		{"[::::::]:1", "[fffff::1.2.3.4.5.6]:8080", `dstport=80 dstname=a.example`, ` unvalidated_peer=[::::::]:1 unvalidated_dst=[fffff::1.2.3.4.5.6]:8080`},
		{"[a]:1", "[1.1.1.1]:81", `dst=1.1.1.1 dstport=81 dstname=a.example`, ` unvalidated_peer=[a]:1`},
		{"192.0.2.44:0080", "198.51.100.7:00443", `src=192.0.2.44 srcport=80 dst=198.51.100.7 dstport=443 dstname=a.example`, ""},
		{"192.000.002.044:1", "198.51.100.7:0", `dst=198.51.100.7 dstport=0 dstname=a.example`, ` unvalidated_peer=192.000.002.044:1`},
		{"[1.2.3]:1", "[::ffff:1.2.3.4%eth0]:80", `dstport=80 dstname=a.example`, ` unvalidated_peer=[1.2.3]:1 unvalidated_dst=[::ffff:1.2.3.4%eth0]:80`},
	}
	for _, tt := range tests {
		c := newCollector(t)
		tx := func(side, src, dst string) *mwg.Transaction {
			return &mwg.Transaction{
				Conn: mwg.Name{Proto: "HTTP", ID: "f", Side: side}, Proto: "http", Method: "GET", Target: "http://a.example/",
				Path: "/", Host: "a.example", Port: 80, Status: 200, ReqBytes: 1, RespBytes: 2, SrcAddr: src, DstAddr: dst, Complete: true,
			}
		}
		c.emit(&Output{Exchange: mwg.Exchange{Client: tx("C", tt.srcAddr, "192.0.2.10:9090"), Server: tx("S", "192.0.2.10:40000", tt.dstAddr)}})
		want := `id=firewall time="0001-01-01 00:00:00" fw=mwg01 pri=6 proto=http ` + tt.want +
			` op=GET arg=http://a.example/ result=200 sent=1 rcvd=2 conn=f upstream_sent=1 upstream_rcvd=2 proxy_addr=192.0.2.10:9090 upstream_src=192.0.2.10:40000`
		want += tt.bad
		if got := c.take(); got != want+"\n" {
			t.Errorf("%q %q:\ngot  %swant %s", tt.srcAddr, tt.dstAddr, got, want+"\n")
		}
	}
}

// typedChecker is a welf.FieldWriter that fails the test when a field a
// SIEM types carries a value not of its type: src and dst an IP address,
// ports 0-65535.
type typedChecker struct{ t *testing.T }

func (c typedChecker) Str(key, val string) {
	if val == "" {
		return // not written
	}
	switch key {
	case "src", "dst":
		if ip, err := netip.ParseAddr(val); err != nil || ip.Zone() != "" {
			c.t.Fatalf("%s=%q is no IP address", key, val)
		}
	case "srcport", "dstport":
		if n, err := strconv.ParseUint(val, 10, 16); err != nil || strconv.FormatUint(n, 10) != val {
			c.t.Fatalf("%s=%q is no port", key, val)
		}
	}
}
func (c typedChecker) Bytes(key string, val []byte)     { c.Str(key, string(val)) }
func (c typedChecker) Text(key, val string)             { c.Str(key, val) }
func (c typedChecker) TextBytes(key string, val []byte) { c.Str(key, string(val)) }
func (c typedChecker) Int(key string, v int64) {
	if v < 0 || (key == "srcport" || key == "dstport") && v > 65535 || key == "result" && v > 999 {
		c.t.Fatalf("%s=%d out of range", key, v)
	}
}
func (c typedChecker) Has(string) bool { return false }
