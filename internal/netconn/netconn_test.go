package netconn

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"testing"
	"time"
)

// pair returns a connected client and server over loopback TCP.
func pair(t *testing.T) (client, server net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		accepted <- c
	}()
	client, err = Dial(context.Background(), "tcp", ln.Addr().String(), nil)
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { client.Close(); server.Close() })
	return client, server
}

// settle gives loopback time to deliver what the peer did; PeerOpen's
// answer does not depend on how long that takes, only on whether it happened.
func settle() { time.Sleep(50 * time.Millisecond) }

func TestPeerOpen(t *testing.T) {
	buf := make([]byte, 64)

	c, _ := pair(t)
	if !PeerOpen(c, buf, true) {
		t.Error("silent open peer: want open")
	}

	c, s := pair(t)
	s.Close()
	settle()
	if PeerOpen(c, buf, false) {
		t.Error("peer closed: want closed")
	}

	c, s = pair(t)
	s.Write([]byte("unexpected"))
	settle()
	if PeerOpen(c, buf, true) {
		t.Error("data from a peer that speaks only when asked: want closed")
	}

	c, s = pair(t)
	s.Write([]byte("chatter"))
	settle()
	if !PeerOpen(c, buf, false) {
		t.Error("data from a chatty receiver is discarded: want open")
	}
	if !PeerOpen(c, buf, false) {
		t.Error("a second check after the discarded data: want open")
	}
}

func TestDialErrorsWithoutWrappers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, err = Dial(context.Background(), "tcp", addr, nil)
	if want := "connect: connection refused"; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}

func TestForHost(t *testing.T) {
	if ForHost(nil, "h") != nil {
		t.Error("no TLS must stay no TLS")
	}
	base := &tls.Config{MinVersion: tls.VersionTLS12}
	if c := ForHost(base, "siem.example.com"); c.ServerName != "siem.example.com" || c.MinVersion != tls.VersionTLS12 || base.ServerName != "" {
		t.Errorf("got ServerName %q MinVersion %x; the caller's config must stay unchanged (%q)", c.ServerName, c.MinVersion, base.ServerName)
	}
	if c := ForHost(&tls.Config{ServerName: "named"}, "10.0.0.1"); c.ServerName != "named" {
		t.Errorf("a configured server name must win, got %q", c.ServerName)
	}
}

func TestTimeout(t *testing.T) {
	for _, tt := range []struct{ d, want time.Duration }{
		{0, 5 * time.Second},
		{-time.Second, 5 * time.Second},
		{time.Millisecond, time.Millisecond},
	} {
		if got := Timeout(tt.d, 5*time.Second); got != tt.want {
			t.Errorf("Timeout(%v, 5s) = %v, want %v", tt.d, got, tt.want)
		}
	}
}

func TestShutClosesTheConnection(t *testing.T) {
	client, _ := pair(t)
	l := NewLazy(func(net.Conn) bool { return true }, func(context.Context) (net.Conn, error) { return client, nil })
	if _, _, err := l.Get(); err != nil {
		t.Fatal(err)
	}
	if err := l.Shut(); err != nil {
		t.Fatalf("Shut: %v", err)
	}
	if _, err := client.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Errorf("write after Shut: %v, want net.ErrClosed", err)
	}
	if _, _, err := l.Get(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Get after Shut: %v, want net.ErrClosed", err)
	}
	if err := l.Shut(); err != nil {
		t.Errorf("second Shut: %v, want nil", err)
	}
}
