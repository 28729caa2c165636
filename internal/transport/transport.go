package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sort"
	"time"

	"github.com/welfbridge/welfbridge/internal/netconn"
	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/syslog"
)

// Default timeouts.
const (
	DefaultDialTimeout  = 5 * time.Second  // connect and TLS handshake together
	DefaultWriteTimeout = 10 * time.Second // one write of a batch
)

// Config configures a carrier.
type Config struct {
	Network string // "udp", "tcp" or "tls"
	Address string // host:port
	// Syslog formats each record. Its MaxSize is not enforced here: the
	// records arrive already capped by the WELF encoder (see syslog.HeaderLen).
	Syslog syslog.Options
	// Framing delimits messages on TCP and TLS: octet counting (the zero
	// value) or LF. UDP sends one unframed message per datagram.
	Framing syslog.Framing
	// TLS is for "tls", normally from NewTLSConfig; nil means its defaults
	// (system roots, verification on). An empty ServerName is taken from
	// the host part of Address.
	TLS          *tls.Config
	DialTimeout  time.Duration // 0 means DefaultDialTimeout
	WriteTimeout time.Duration // 0 means DefaultWriteTimeout
}

// ErrTooLarge is wrapped by the error for a message that does not fit into a
// UDP datagram. Resending cannot help; the WELF size cap prevents it.
var ErrTooLarge = errors.New("message too large for a UDP datagram")

// maxDatagram is the largest UDP payload over IPv4 (65535 minus the IP and
// UDP headers); IPv6 allows 20 bytes more.
const maxDatagram = 65507

// flushSize bounds the stream buffer: a batch larger than this is written in
// several writes rather than held in memory whole.
const flushSize = 1 << 20

// Carrier is a syslog carrier: a sink.Sink that can also connect without
// sending, which is how a failover pool probes a receiver.
type Carrier interface {
	sink.Sink
	// Connect connects, unless the receiver still holds the connection
	// there is open, and sends nothing.
	Connect() error
}

// New returns a carrier for cfg. It does not connect: the first Send or
// Connect does.
func New(cfg Config) (Carrier, error) {
	c := &carrier{cfg: cfg, name: "syslog " + cfg.Network + "://" + cfg.Address}
	switch cfg.Network {
	case "udp":
	case "tcp", "tls":
		c.stream = true
	default:
		return nil, fmt.Errorf("unknown syslog network %q: want udp, tcp or tls", cfg.Network)
	}
	host, _, err := net.SplitHostPort(cfg.Address)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	if err := cfg.Syslog.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", c.name, err)
	}
	if c.stream && cfg.Framing != syslog.FramingOctetCounting && cfg.Framing != syslog.FramingLF {
		return nil, fmt.Errorf("%s: framing %v cannot delimit messages on a stream", c.name, cfg.Framing)
	}
	if cfg.Network == "tls" {
		if cfg.TLS == nil {
			if cfg.TLS, err = NewTLSConfig(TLSOptions{}); err != nil {
				return nil, err
			}
		}
		c.tls = netconn.ForHost(cfg.TLS, host)
	}
	c.cfg.DialTimeout = netconn.Timeout(c.cfg.DialTimeout, DefaultDialTimeout)
	c.cfg.WriteTimeout = netconn.Timeout(c.cfg.WriteTimeout, DefaultWriteTimeout)
	c.conn = netconn.NewLazy(c.alive, c.dial)
	return c, nil
}

// carrier is a sink.Sink for one syslog destination. Send is not safe for
// concurrent use; Close may be called concurrently with Send.
type carrier struct {
	cfg    Config
	name   string // "syslog tcp://host:port", prefixes every error
	stream bool
	tls    *tls.Config // nil unless "tls"

	// Reused by Send.
	buf     []byte // the batch (stream) or one datagram
	msg     []byte // one message before framing
	ends    []int  // where each record of the batch ends in buf
	discard [512]byte

	conn *netconn.Lazy
}

// Send formats recs and writes them: one datagram per record for UDP, one
// write per batch (per flushSize bytes) for TCP and TLS. On failure it drops
// the connection; the next Send reconnects. The error names the destination
// and the failed step; it is a *sink.PartialError when some records were sent.
func (c *carrier) Send(recs []sink.Record) error {
	if len(recs) == 0 {
		return nil
	}
	conn, _, err := c.conn.Get()
	if err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	var sent int
	if c.stream {
		sent, err = c.writeStream(conn, recs)
	} else {
		sent, err = c.writeDatagrams(conn, recs)
	}
	if err != nil {
		c.conn.Drop(conn)
		return sink.Partial(sent, fmt.Errorf("%s: %w", c.name, err))
	}
	return nil
}

// Connect makes sure there is a connection: for UDP a socket, for TCP and
// TLS one the receiver accepted (and shook hands on).
func (c *carrier) Connect() error {
	if _, _, err := c.conn.Get(); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// Close closes the connection. A Send blocked in connecting or writing
// returns with an error.
func (c *carrier) Close() error {
	if err := c.conn.Shut(); err != nil {
		return fmt.Errorf("%s: %w", c.name, err)
	}
	return nil
}

// alive reports whether a stream receiver still holds conn open; a UDP
// socket has no peer to lose.
func (c *carrier) alive(conn net.Conn) bool {
	return !c.stream || netconn.PeerOpen(conn, c.discard[:], false)
}

func (c *carrier) dial(ctx context.Context) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer cancel()
	network := c.cfg.Network
	if network == "tls" {
		network = "tcp"
	}
	return netconn.Dial(ctx, network, c.cfg.Address, c.tls)
}

// writeStream writes recs in as few writes as flushSize allows and returns
// how many records were written completely.
func (c *carrier) writeStream(conn net.Conn, recs []sink.Record) (int, error) {
	buf, ends := c.buf[:0], c.ends[:0]
	defer func() { c.buf, c.ends = buf[:0], ends[:0] }()
	sent := 0
	for i := range recs {
		c.msg = syslog.AppendMessage(c.msg[:0], &recs[i], &c.cfg.Syslog)
		buf = syslog.AppendFramed(buf, c.msg, c.cfg.Framing)
		ends = append(ends, len(buf))
		if len(buf) < flushSize && i < len(recs)-1 {
			continue
		}
		if err := conn.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout)); err != nil {
			return sent, fmt.Errorf("write: %w", netconn.Cause(err))
		}
		n, err := conn.Write(buf)
		if err != nil {
			// The records wholly within the first n bytes are in the socket.
			return sent + sort.SearchInts(ends, n+1), fmt.Errorf("write: %w", netconn.Cause(err))
		}
		sent = i + 1
		buf, ends = buf[:0], ends[:0]
	}
	return sent, nil
}

// writeDatagrams sends one datagram per record and returns how many were
// sent.
func (c *carrier) writeDatagrams(conn net.Conn, recs []sink.Record) (int, error) {
	if err := conn.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout)); err != nil {
		return 0, fmt.Errorf("write: %w", netconn.Cause(err))
	}
	for i := range recs {
		c.buf = syslog.AppendMessage(c.buf[:0], &recs[i], &c.cfg.Syslog)
		if len(c.buf) > maxDatagram {
			return i, fmt.Errorf("record %d has %d bytes: %w", i, len(c.buf), ErrTooLarge)
		}
		if _, err := conn.Write(c.buf); err != nil {
			return i, fmt.Errorf("write: %w", netconn.Cause(err))
		}
	}
	return len(recs), nil
}
