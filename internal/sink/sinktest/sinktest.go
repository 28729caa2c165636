// Package sinktest makes WELF records for the tests of destinations, and
// loopback listeners for them to deliver to.
package sinktest

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/syslog"
)

// Stamp is the time of every record Records makes.
var Stamp = time.Date(2024, 3, 5, 6, 8, 9, 123456789, time.UTC)

// Records returns n WELF records whose lines differ by tag and index. They
// hold what WELF escaping produces: quoted values, \x22 and UTF-8.
func Records(tag string, n int) []sink.Record {
	recs := make([]sink.Record, n)
	for i := range recs {
		recs[i] = sink.Record{
			Time:     Stamp,
			Severity: i % 8,
			Host:     "gw1.example.com",
			Line: fmt.Appendf(nil, `id=firewall time="2024-03-05 07:08:09" fw=gw1.example.com pri=%d proto=https `+
				`src=192.0.2.10 srcport=51234 dst=198.51.100.7 dstport=443 user=alice op=GET `+
				`arg=/portal/%s/%d result=403 msg="Zugriff verweigert: \x22Grüße\x22 [%s #%d]"`, i%8, tag, i, tag, i),
		}
	}
	return recs
}

// Lines returns the WELF lines of recs.
func Lines(recs []sink.Record) []string {
	out := make([]string, len(recs))
	for i := range recs {
		out[i] = string(recs[i].Line)
	}
	return out
}

// SyslogMessages returns the whole syslog messages expected for recs with
// facility local0 and the default app name. They are written out here
// rather than with the syslog package, so a formatting mistake there
// cannot hide.
func SyslogMessages(recs []sink.Record, format syslog.Format) []string {
	out := make([]string, len(recs))
	for i := range recs {
		pri := 16*8 + recs[i].Severity
		switch format {
		case syslog.FormatRFC5424:
			out[i] = fmt.Sprintf("<%d>1 2024-03-05T06:08:09.123456Z gw1.example.com welfbridge - - - %s", pri, recs[i].Line)
		case syslog.FormatRFC3164:
			out[i] = fmt.Sprintf("<%d>Mar  5 06:08:09 gw1.example.com welfbridge: %s", pri, recs[i].Line)
		default:
			out[i] = string(recs[i].Line)
		}
	}
	return out
}

// Listen accepts connections on a free port of 127.0.0.1, TLS ones when cfg
// is not nil, and hands each to serve on its own goroutine until the test
// ends. It returns the address.
func Listen(t testing.TB, cfg *tls.Config, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go serve(conn)
		}
	}()
	return ln.Addr().String()
}

// Discard reads conn to its end and closes it: a receiver that takes
// everything.
func Discard(conn net.Conn) {
	defer conn.Close()
	io.Copy(io.Discard, conn)
}
