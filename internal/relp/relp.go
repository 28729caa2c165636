package relp

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/welfbridge/welfbridge/internal/netconn"
	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/syslog"
)

// Defaults for Config.
const (
	DefaultWindow       = 128              // librelp's own window
	DefaultDialTimeout  = 5 * time.Second  // connect, TLS handshake and session open together
	DefaultWriteTimeout = 10 * time.Second // one write
	DefaultAckTimeout   = 10 * time.Second // one wait for acknowledgements
)

// MaxWindow bounds Config.Window. A larger window adds no throughput on any
// real link; it only lets a broken connection leave more messages in doubt.
const MaxWindow = 1 << 16

// Config configures a Client.
type Config struct {
	Address string // host:port
	// Window is how many messages may await their acknowledgement; 0 means
	// DefaultWindow.
	Window int
	// Syslog formats each record into the DATA of one "syslog" command. Its
	// MaxSize is not enforced here: the records arrive already capped by the
	// WELF encoder (see syslog.HeaderLen).
	Syslog syslog.Options
	// TLS, when not nil, wraps the connection in TLS, normally from
	// transport.NewTLSConfig; an empty ServerName is taken from the host
	// part of Address. rsyslog's imrelp needs tls="on" with its own
	// certificate (tls.mycert, tls.myprivkey) and a tls.authMode that
	// accepts ours ("certvalid", "name", or "fingerprint", its default,
	// with our fingerprint in tls.permittedPeer). Without a certificate it
	// speaks anonymous TLS, which Go does not.
	TLS          *tls.Config
	DialTimeout  time.Duration // 0 means DefaultDialTimeout
	WriteTimeout time.Duration // 0 means DefaultWriteTimeout
	// AckTimeout bounds each wait for the server's next acknowledgement; 0
	// means DefaultAckTimeout.
	AckTimeout time.Duration
}

// Stats counts what a Client did since New.
type Stats struct {
	Sent uint64 // messages the server acknowledged
	// Resent counts the messages written for records that an earlier Send
	// failed to deliver: the caller's retries that reached the wire.
	Resent uint64
	// PossibleDuplicates counts the resent messages that had been written
	// whole before: the server may have taken them and lost only the
	// acknowledgement. It bounds the duplicates the receiver holds.
	PossibleDuplicates uint64
	Reconnects         uint64 // sessions opened after the first
}

// openOffers is the DATA of the client's "open": the protocol version
// librelp speaks, who we are, and the one command we use.
var openOffers = []byte("relp_version=0\nrelp_software=welfbridge\ncommands=syslog")

// flushSize bounds the write buffer: a window of large messages is written
// in several writes rather than held in memory whole.
const flushSize = 1 << 20

// closeTimeout bounds Close's exchange of "close" and its answer. Every
// message is acknowledged by then, so nothing is lost by not waiting longer.
const closeTimeout = 2 * time.Second

// New returns a Client for cfg. It does not connect: the first Send does.
func New(cfg Config) (*Client, error) {
	scheme := "relp"
	if cfg.TLS != nil {
		scheme = "relp+tls"
	}
	c := &Client{
		cfg:     cfg,
		name:    "syslog " + scheme + "://" + cfg.Address,
		reader:  newFrameReader(nil),
		resends: newResendLog(),
	}
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	if err := cfg.Syslog.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	switch {
	case cfg.Window == 0:
		c.cfg.Window = DefaultWindow
	case cfg.Window < 0 || cfg.Window > MaxWindow:
		return nil, fmt.Errorf("%s: window %d out of range 1..%d", c.name, cfg.Window, MaxWindow)
	}
	c.tls = netconn.ForHost(cfg.TLS, host)
	c.cfg.DialTimeout = netconn.Timeout(c.cfg.DialTimeout, DefaultDialTimeout)
	c.cfg.WriteTimeout = netconn.Timeout(c.cfg.WriteTimeout, DefaultWriteTimeout)
	c.cfg.AckTimeout = netconn.Timeout(c.cfg.AckTimeout, DefaultAckTimeout)
	c.conn = netconn.NewLazy(c.peerOpen, c.connect)
	return c, nil
}

// Client is a sink.Sink for one RELP server. Send is not safe for
// concurrent use; Close and Stats may be called concurrently with Send.
type Client struct {
	cfg  Config
	name string      // "syslog relp://host:port", prefixes every error
	tls  *tls.Config // nil for plain TCP

	// Owned by Send, and by Close when no Send runs.
	reader  *frameReader
	raw     syscall.RawConn // of the TCP connection under conn, for quiet and ackQuickly
	txnr    int             // the transaction number of the next command
	expect  int             // the transaction number of the next acknowledgement
	opened  bool            // a session was opened before: the next one is a reconnect
	buf     []byte          // frames to write
	msg     []byte          // one syslog message
	ends    []int           // where each frame ends in buf
	probe   [1]byte         // peerOpen's read buffer
	resends resendLog

	inDoubt int // records the last failed Send wrote whole but the server did not acknowledge

	sent, resent, duplicates, reconnects atomic.Uint64

	conn *netconn.Lazy

	mu   sync.Mutex // guards busy
	busy bool       // a Send runs
}

var _ sink.Sink = (*Client)(nil)

// Send formats recs and sends each as one "syslog" command, keeping up to
// Config.Window of them unacknowledged, and returns nil once the server has
// acknowledged every one. On failure it drops the connection; the next Send
// reconnects. The error names the destination and the failed step; it is a
// *sink.PartialError when the server acknowledged some records.
func (c *Client) Send(recs []sink.Record) error {
	if len(recs) == 0 {
		return nil
	}
	c.begin()
	defer c.end()
	matched := c.resends.match(recs)
	acked, written, err := c.send(recs)
	resent, duplicates := c.resends.update(recs, matched, acked, written)
	c.sent.Add(uint64(acked))
	c.resent.Add(uint64(resent))
	c.duplicates.Add(uint64(duplicates))
	c.inDoubt = written - acked
	if err != nil {
		return sink.Partial(acked, fmt.Errorf("%s: %w", c.name, err))
	}
	return nil
}

// Connect opens a session unless the server still holds the one there is
// open, and sends no record: a failover pool probes a receiver with it. It
// must not run concurrently with Send.
func (c *Client) Connect() error {
	c.begin()
	defer c.end()
	if _, err := c.connection(); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// InDoubt returns how many records after the acknowledged ones the last
// Send wrote whole before it failed: the server may hold them although it
// did not acknowledge them, so sending them elsewhere may duplicate them.
func (c *Client) InDoubt() int { return c.inDoubt }

// Stats returns the counters so far.
func (c *Client) Stats() Stats {
	return Stats{
		Sent:               c.sent.Load(),
		Resent:             c.resent.Load(),
		PossibleDuplicates: c.duplicates.Load(),
		Reconnects:         c.reconnects.Load(),
	}
}

// Close ends the session with a "close" command when no Send runs and
// closes the connection. A Send blocked in connecting, writing or waiting
// for acknowledgements returns with an error.
func (c *Client) Close() error {
	conn := c.conn.Close()
	if conn == nil {
		return nil
	}
	c.mu.Lock()
	busy := c.busy
	c.mu.Unlock()
	if busy {
		conn.Close() // the failing Send reports it
		return nil
	}
	err := c.closeSession(conn)
	if closeErr := conn.Close(); err == nil && closeErr != nil {
		err = fmt.Errorf("close: %w", netconn.Cause(closeErr))
	}
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// begin marks a Send as running, so that Close does not say goodbye on a
// connection the Send is using (it closes it instead). After Close, the
// Send's connection request fails.
func (c *Client) begin() {
	c.mu.Lock()
	c.busy = true
	c.mu.Unlock()
}

func (c *Client) end() {
	c.mu.Lock()
	c.busy = false
	c.mu.Unlock()
}

// send delivers recs over a live session and returns how many leading
// records the server acknowledged and how many were written whole.
func (c *Client) send(recs []sink.Record) (acked, written int, err error) {
	conn, err := c.connection()
	if err != nil {
		return 0, 0, err
	}
	acked, written, err = c.exchange(conn, recs)
	if err != nil {
		c.conn.Drop(conn)
	}
	return acked, written, err
}

// connection returns the connection of an open session, opening one when
// there is none or when the server has ended the one there is.
func (c *Client) connection() (net.Conn, error) {
	conn, fresh, err := c.conn.Get()
	if err != nil || !fresh {
		return conn, err
	}
	if c.opened {
		c.reconnects.Add(1)
	}
	c.opened = true
	return conn, nil
}

// connect dials, shakes hands for TLS and opens a RELP session, all within
// DialTimeout.
func (c *Client) connect(closing context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(closing, c.cfg.DialTimeout)
	defer cancel()
	conn, err := netconn.Dial(ctx, "tcp", c.cfg.Address, c.tls)
	if err != nil {
		return nil, err
	}
	c.raw = nil
	tcp := conn
	if tlsConn, ok := conn.(*tls.Conn); ok {
		tcp = tlsConn.NetConn()
	}
	if sc, ok := tcp.(syscall.Conn); ok {
		c.raw, _ = sc.SyscallConn() // on failure, ackQuickly does without
	}
	// The deadline ends a session open the server does not answer; Close
	// ends one by closing the connection.
	stop := context.AfterFunc(closing, func() { conn.Close() })
	defer stop()
	deadline, _ := ctx.Deadline()
	if err := c.open(conn, deadline); err != nil {
		conn.Close()
		if c.tls != nil && closedByServer(err) {
			// librelp ends the TLS session without an alert when it does
			// not accept the client (before or after our "open" reaches
			// it), so say what this most likely means.
			return nil, fmt.Errorf("open session: %w (over TLS, this is how imrelp refuses a client whose certificate it does not accept)", err)
		}
		return nil, fmt.Errorf("open session: %w", err)
	}
	return conn, nil
}

// open sends "open" and checks that the server accepts and offers the
// "syslog" command.
func (c *Client) open(conn net.Conn, deadline time.Time) error {
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("write: %w", netconn.Cause(err))
	}
	c.buf = appendFrame(c.buf[:0], 1, "open", openOffers)
	if _, err := conn.Write(c.buf); err != nil {
		return fmt.Errorf("write: %w", netconn.Cause(err))
	}
	c.reader.reset(conn)
	f, err := c.reader.read()
	if err != nil {
		return readError(err)
	}
	if err := checkAnswer(f, 1); err != nil {
		return err
	}
	if err := checkStatus(f); err != nil {
		return err
	}
	if offers := offered(f.data, "commands"); !listed(offers, "syslog") {
		return fmt.Errorf("server does not offer the syslog command (commands=%q)", offers)
	}
	c.txnr, c.expect = 2, 2
	return nil
}

// closeSession sends "close" and waits for its answer, unless the server
// has ended the session already.
func (c *Client) closeSession(conn net.Conn) error {
	if !c.peerOpen(conn) {
		return nil
	}
	if err := conn.SetDeadline(time.Now().Add(closeTimeout)); err != nil {
		return fmt.Errorf("close session: %w", netconn.Cause(err))
	}
	c.buf = appendFrame(c.buf[:0], c.txnr, "close", nil)
	if _, err := conn.Write(c.buf); err != nil {
		return fmt.Errorf("close session: write: %w", netconn.Cause(err))
	}
	f, err := c.reader.read()
	if err != nil {
		return fmt.Errorf("close session: %w", readError(err))
	}
	if err := checkAnswer(f, c.txnr); err != nil {
		return fmt.Errorf("close session: %w", err)
	}
	return nil
}

// exchange writes a "syslog" command per record, never more than Window
// unacknowledged, and reads the acknowledgements as they come. It returns
// how many leading records were acknowledged and how many written whole.
func (c *Client) exchange(conn net.Conn, recs []sink.Record) (acked, written int, err error) {
	for acked < len(recs) {
		if limit := min(len(recs), acked+c.cfg.Window); written < limit {
			n, err := c.write(conn, recs[written:limit])
			written += n
			if err != nil {
				return acked, written, err
			}
		}
		n, err := c.readAcks(conn, written-acked)
		acked += n
		if err != nil {
			return acked, written, err
		}
	}
	return acked, written, nil
}

// write writes one "syslog" command per record, in as few writes as
// flushSize allows, and returns how many were written whole.
func (c *Client) write(conn net.Conn, recs []sink.Record) (int, error) {
	buf, ends := c.buf[:0], c.ends[:0]
	defer func() { c.buf, c.ends = buf[:0], ends[:0] }()
	written := 0
	for i := range recs {
		c.msg = syslog.AppendMessage(c.msg[:0], &recs[i], &c.cfg.Syslog)
		buf = appendFrame(buf, c.txnr, "syslog", c.msg)
		c.txnr = nextTxnr(c.txnr)
		ends = append(ends, len(buf))
		if len(buf) < flushSize && i < len(recs)-1 {
			continue
		}
		if err := conn.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout)); err != nil {
			return written, fmt.Errorf("write: %w", netconn.Cause(err))
		}
		n, err := conn.Write(buf)
		if err != nil {
			// The frames wholly within the first n bytes are in the socket.
			return written + sort.SearchInts(ends, n+1), fmt.Errorf("write: %w", netconn.Cause(err))
		}
		written = i + 1
		buf, ends = buf[:0], ends[:0]
	}
	return written, nil
}

// readAcks waits up to AckTimeout for the acknowledgement of the oldest of
// the outstanding messages, takes the ones that arrived with it and returns
// how many messages were acknowledged.
func (c *Client) readAcks(conn net.Conn, outstanding int) (int, error) {
	ackQuickly(c.raw)
	if err := conn.SetReadDeadline(time.Now().Add(c.cfg.AckTimeout)); err != nil {
		return 0, fmt.Errorf("read: %w", netconn.Cause(err))
	}
	acked := 0
	for acked < outstanding {
		f, err := c.reader.read()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return acked, fmt.Errorf("no acknowledgement within %v: %w", c.cfg.AckTimeout, os.ErrDeadlineExceeded)
		}
		if err != nil {
			return acked, readError(err)
		}
		if err := checkAnswer(f, c.expect); err != nil {
			return acked, err
		}
		if err := checkStatus(f); err != nil {
			return acked, err
		}
		c.expect = nextTxnr(c.expect)
		acked++
		if c.reader.buffered() == 0 {
			break // all that arrived; the caller may write more before waiting again
		}
	}
	return acked, nil
}

// peerOpen reports whether the server still has the session open. A RELP
// server speaks only when asked, except for "serverclose", so anything
// readable on an idle session means its end, unless it is a TLS record
// without application data (a session ticket): those are read through conn
// until nothing is readable (open) or something else arrives (closed).
func (c *Client) peerOpen(conn net.Conn) bool {
	if c.reader.buffered() > 0 {
		return false
	}
	return netconn.PeerOpen(conn, c.probe[:], true)
}

// errServerClose is the error for the server's "serverclose".
var errServerClose = errors.New("server closed the session")

// checkAnswer checks that f is the server's answer to transaction txnr.
func checkAnswer(f frame, txnr int) error {
	switch {
	case string(f.command) == "serverclose":
		return errServerClose
	case string(f.command) != "rsp":
		return fmt.Errorf("%w: unexpected command %q", errBadFrame, f.command)
	case f.txnr != txnr:
		return fmt.Errorf("server answered transaction %d, want %d", f.txnr, txnr)
	}
	return nil
}

// checkStatus checks that the answer f reports success.
func checkStatus(f frame) error {
	code, line, ok := status(f.data)
	switch {
	case !ok:
		return fmt.Errorf("%w: answer %q to transaction %d has no status code", errBadFrame, f.data, f.txnr)
	case code != 200:
		return fmt.Errorf("server refused transaction %d: %q", f.txnr, line)
	}
	return nil
}

var errConnClosed = errors.New("server closed the connection")

// closedByServer reports whether err says the server closed or reset the
// connection.
func closedByServer(err error) bool {
	return errors.Is(err, errConnClosed) || errors.Is(err, syscall.EPIPE) || errors.Is(err, syscall.ECONNRESET)
}

// readError describes a failed read of the server's answer.
func readError(err error) error {
	switch {
	case err == io.EOF:
		return errConnClosed
	case err == io.ErrUnexpectedEOF:
		return errors.New("server closed the connection inside a frame")
	case errors.Is(err, errBadFrame):
		return err
	}
	return fmt.Errorf("read: %w", netconn.Cause(err))
}

// offered returns the value of the offer name in the DATA of an answer to
// "open": lines of name=value after the status line.
func offered(data []byte, name string) []byte {
	_, offers, _ := bytes.Cut(data, []byte{'\n'})
	for len(offers) > 0 {
		var line []byte
		line, offers, _ = bytes.Cut(offers, []byte{'\n'})
		if key, value, ok := bytes.Cut(line, []byte{'='}); ok && string(key) == name {
			return value
		}
	}
	return nil
}

// listed reports whether the comma-separated list holds item.
func listed(list []byte, item string) bool {
	for len(list) > 0 {
		var elem []byte
		elem, list, _ = bytes.Cut(list, []byte{','})
		if string(elem) == item {
			return true
		}
	}
	return false
}
