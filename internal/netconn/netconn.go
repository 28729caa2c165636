package netconn

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// Dial connects to address over network ("tcp", or "udp" without TLS)
// within ctx and, when tlsConfig is not nil, completes the TLS handshake.
// Errors read "connect: …" or "TLS handshake: …".
func Dial(ctx context.Context, network, address string, tlsConfig *tls.Config) (net.Conn, error) {
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, network, address)
	if err != nil {
		return nil, fmt.Errorf("connect: %w", Cause(err))
	}
	if tlsConfig == nil {
		return conn, nil
	}
	tlsConn := tls.Client(conn, tlsConfig)
	if err := tlsConn.HandshakeContext(ctx); err != nil {
		conn.Close() // the handshake error is the one worth reporting
		return nil, fmt.Errorf("TLS handshake: %w", Cause(err))
	}
	return tlsConn, nil
}

// Cause strips the *net.OpError and *os.SyscallError wrappers from err, TLS
// ones included, so messages say "connection refused" rather than
// "dial tcp 127.0.0.1:514: connect: connection refused" after the caller's
// own context.
func Cause(err error) error {
	for {
		var opErr *net.OpError
		var sysErr *os.SyscallError
		switch {
		case errors.As(err, &opErr) && opErr.Net != "":
			err = opErr.Err
		case errors.As(err, &sysErr):
			err = sysErr.Err
		default:
			return err
		}
	}
}

// Probing an idle connection: probeWait bounds one read of whatever is
// readable, probeRounds how often the peer may keep sending (TLS session
// tickets, a chatty receiver) before the connection is given up.
const (
	probeWait   = 10 * time.Millisecond
	probeRounds = 3
)

// PeerOpen reports whether the peer still has the idle conn open. Nothing
// readable is the answer for a live connection. Something readable is read
// through conn into buf, so TLS processes session tickets and close_notify:
// the end of the stream or an error means closed; data means closed when
// dataMeansClosed (a protocol peer that speaks only when asked), and is
// discarded otherwise (syslog receivers have nothing to say).
func PeerOpen(conn net.Conn, buf []byte, dataMeansClosed bool) bool {
	raw := conn
	if tlsConn, ok := conn.(*tls.Conn); ok {
		raw = tlsConn.NetConn()
	}
	for range probeRounds {
		if Quiet(raw) {
			return true
		}
		if err := conn.SetReadDeadline(time.Now().Add(probeWait)); err != nil {
			return false
		}
		var err error
		for err == nil {
			var n int
			n, err = conn.Read(buf)
			if n > 0 && dataMeansClosed {
				return false
			}
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return false
		}
		// An expired deadline would fail the next peek before it peeks.
		if err := conn.SetReadDeadline(time.Time{}); err != nil {
			return false
		}
	}
	return false // still readable: the safe answer is a new connection
}

// Timeout returns d, or def when d is not set (zero or negative): how the
// carriers default their configured time limits.
func Timeout(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// ForHost returns a copy of a carrier's TLS configuration that verifies the
// server as host unless it names a server itself; nil (no TLS) stays nil.
func ForHost(cfg *tls.Config, host string) *tls.Config {
	if cfg == nil {
		return nil
	}
	c := cfg.Clone()
	if c.ServerName == "" {
		c.ServerName = host
	}
	return c
}
