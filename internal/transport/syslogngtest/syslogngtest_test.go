package syslogngtest

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// send writes msgs to addr over TCP, octet-counted as RFC 6587 frames them.
func send(t *testing.T, addr string, msgs ...string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, m := range msgs {
		if _, err := fmt.Fprintf(c, "%d %s", len(m), m); err != nil {
			t.Fatal(err)
		}
	}
}

// TestServer: messages reach the output with kv-parser's pairs, across a
// stop, a kill and restarts on the same port.
func TestServer(t *testing.T) {
	s := Start(t, Config{})
	const head = "<134>1 2024-03-05T08:00:00.000000Z gw welfbridge - - - "
	send(t, s.TCPAddr, head+`id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 msg="a b"`)
	got := s.WaitRecords(1, 10*time.Second)
	want := map[string]string{"id": "firewall", "time": "2024-03-05 08:00:00", "fw": "gw", "pri": "6", "msg": "a b"}
	if len(got) != 1 || got[0].MSG != `id=firewall time="2024-03-05 08:00:00" fw=gw pri=6 msg="a b"` || fmt.Sprint(got[0].Pairs) != fmt.Sprint(want) {
		t.Fatalf("got %+v", got)
	}
	s.Stop()
	s.Start()
	send(t, s.TCPAddr, head+"id=firewall pri=2")
	s.WaitRecords(2, 10*time.Second)
	s.Kill()
	s.Start()
	send(t, s.TCPAddr, head+"id=firewall pri=3")
	if got := s.WaitRecords(3, 10*time.Second); got[2].Pairs["pri"] != "3" {
		t.Errorf("after the kill: %+v", got[2])
	}
}
