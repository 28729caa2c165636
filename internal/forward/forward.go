package forward

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/welfbridge/welfbridge/internal/netconn"
	"github.com/welfbridge/welfbridge/internal/sink"
)

// Defaults for the zero values of Config.
const (
	DefaultTag          = "welf"
	DefaultAckTimeout   = 10 * time.Second // one ack, from the end of the write
	DefaultDialTimeout  = 5 * time.Second  // connect, TLS and secure-forward handshakes together
	DefaultWriteTimeout = 10 * time.Second // one message of at most about 1 MiB
)

// Config configures a Client.
type Config struct {
	Address    string // host:port of the in_forward input (which listens on 24224 by default)
	Tag        string // tag of every event; empty means DefaultTag
	RequireAck bool   // ask for an ack of every message and wait for it
	// Timeouts; zero or negative means the default.
	AckTimeout, DialTimeout, WriteTimeout time.Duration
	// TLS, when not nil, secures the connection, normally with the
	// configuration the caller built from its TLS options. An empty
	// ServerName is taken from the host part of Address.
	TLS *tls.Config
	// Auth, when enabled, runs the secure-forward handshake on every new
	// connection before any event is sent.
	Auth Auth
	// Gzip compresses the entries of every message
	// (CompressedPackedForward), as out_forward's compress gzip does.
	Gzip bool
}

var _ sink.Sink = (*Client)(nil)

// Client is a sink.Sink that sends records to one forward receiver. Send and
// Close are safe for concurrent use: Sends run one after another, and Close
// aborts a Send that is waiting.
type Client struct {
	cfg  Config
	name string // "forward tcp://host:port", prefixes every error
	tls  *tls.Config

	sendMu sync.Mutex // serializes Send; guards the fields up to conn
	msg    []byte     // the message being sent
	gz     *gzipper   // nil without Config.Gzip
	chunks chunkIDs
	reply  [maxReplySize]byte
	probe  [512]byte // what netconn.PeerOpen reads from an idle connection
	// inDoubt counts the records of the message whose ack the last failed
	// Send did not get: the receiver may have stored them.
	inDoubt int

	conn *netconn.Lazy
}

// New returns a client for cfg. It does not connect: the first Send does.
func New(cfg Config) (*Client, error) {
	scheme := "tcp"
	if cfg.TLS != nil {
		scheme = "tls"
	}
	c := &Client{cfg: cfg, name: "forward " + scheme + "://" + cfg.Address, chunks: newChunkIDs()}
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	c.tls = netconn.ForHost(cfg.TLS, host)
	if c.cfg.Tag == "" {
		c.cfg.Tag = DefaultTag
	}
	c.cfg.AckTimeout = netconn.Timeout(c.cfg.AckTimeout, DefaultAckTimeout)
	c.cfg.DialTimeout = netconn.Timeout(c.cfg.DialTimeout, DefaultDialTimeout)
	c.cfg.WriteTimeout = netconn.Timeout(c.cfg.WriteTimeout, DefaultWriteTimeout)
	if cfg.Gzip {
		c.gz = newGzipper()
	}
	c.conn = netconn.NewLazy(c.alive, c.dial)
	return c, nil
}

// Send sends recs in messages of at most about 1 MiB, waiting for the ack of
// each before the next when acks are required. On failure it drops the
// connection; the next Send reconnects. The error names the destination and
// the failed step; it is a *sink.PartialError when whole messages were
// delivered first.
func (c *Client) Send(recs []sink.Record) error {
	if len(recs) == 0 {
		return nil
	}
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	c.inDoubt = 0
	conn, _, err := c.conn.Get()
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	now := time.Now() // the time of records without one
	sent := 0
	for sent < len(recs) {
		n, err := c.deliver(conn, recs[sent:], now)
		if err != nil {
			c.conn.Drop(conn)
			return sink.Partial(sent, fmt.Errorf("%s: %w", c.name, err))
		}
		sent += n
	}
	return nil
}

// deliver sends one message with as many of recs as fit and, when acks are
// required, waits for its ack. It returns how many records the message
// carried.
func (c *Client) deliver(conn net.Conn, recs []sink.Record, now time.Time) (int, error) {
	var chunk []byte
	if c.cfg.RequireAck {
		chunk = c.chunks.next()
	}
	var n int
	c.msg, n = appendMessage(c.msg[:0], c.cfg.Tag, recs, now, chunk, maxEntriesSize, c.gz)
	if err := conn.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout)); err != nil {
		return 0, fmt.Errorf("write: %w", netconn.Cause(err))
	}
	if _, err := conn.Write(c.msg); err != nil {
		return 0, fmt.Errorf("write: %w", netconn.Cause(err))
	}
	if chunk == nil {
		return n, nil
	}
	c.inDoubt = n // until the ack arrives
	if err := conn.SetReadDeadline(time.Now().Add(c.cfg.AckTimeout)); err != nil {
		return 0, fmt.Errorf("wait for ack: %w", netconn.Cause(err))
	}
	reply, err := readReply(conn, c.reply[:])
	if err != nil {
		return 0, fmt.Errorf("wait for ack: %w", netconn.Cause(err))
	}
	ack, err := ackedChunk(reply)
	if err != nil {
		return 0, err
	}
	if !bytes.Equal(ack, chunk) {
		return 0, fmt.Errorf("ack %q does not match chunk %q", ack, chunk)
	}
	c.inDoubt = 0
	return n, nil
}

// Connect connects (and runs the handshakes) unless the receiver still
// holds the connection there is open, and sends no record: a failover pool
// probes a receiver with it.
func (c *Client) Connect() error {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	if _, _, err := c.conn.Get(); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// InDoubt returns how many records the last Send wrote in a message whose
// ack it did not get, when it failed that way: the receiver may have
// stored them, so sending them elsewhere may duplicate them.
func (c *Client) InDoubt() int {
	c.sendMu.Lock()
	defer c.sendMu.Unlock()
	return c.inDoubt
}

// Close closes the connection. A Send blocked in connecting, writing or
// waiting for an ack returns with an error.
func (c *Client) Close() error {
	if err := c.conn.Shut(); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// alive reports whether the receiver still holds conn open. A receiver
// sends nothing but the acks Send waits for, so data on an idle connection
// means it is not to be used.
func (c *Client) alive(conn net.Conn) bool { return netconn.PeerOpen(conn, c.probe[:], true) }

// dial connects, runs the handshakes and returns the connection; closing
// the Lazy cancels closed and aborts it.
func (c *Client) dial(closed context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(closed, c.cfg.DialTimeout)
	defer cancel()
	conn, err := netconn.Dial(ctx, "tcp", c.cfg.Address, c.tls)
	if err != nil || !c.cfg.Auth.enabled() {
		return conn, err
	}
	// Close aborts the handshake the way it aborts a Send: by closing the
	// connection, which Lazy hands over only once dial returns. The
	// deadline, not this, ends a handshake that takes too long.
	stop := context.AfterFunc(closed, func() { conn.Close() })
	defer stop()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		conn.Close()
		return nil, netconn.Cause(err)
	}
	if err := handshake(conn, c.cfg.Auth, make([]byte, maxHandshakeSize), c.cfg.DialTimeout); err != nil {
		conn.Close()
		return nil, err
	}
	if err := conn.SetDeadline(time.Time{}); err != nil {
		conn.Close()
		return nil, netconn.Cause(err)
	}
	return conn, nil
}
