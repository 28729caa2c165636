// Package destination opens the sink a configured Destination names: the
// local ones (stdout, files) and the network carriers (syslog over UDP, TCP
// and TLS; RELP and the forward protocol, each plain or over TLS). It is the one place that knows which
// package serves which scheme, and how much room each carrier's own header
// takes from Max_Size. A destination of several receivers gets one carrier
// per receiver behind a failover pool.
//
// Network carriers are always behind the delivery engine: Fluent Bit's
// flush only hands records over and never waits on the network. When the
// outbound buffer is full, the engine's admission check makes the flush wait
// for room (Flush_Wait), and only then lets it return FLB_RETRY before it
// touches any state.
package destination

import (
	"crypto/tls"
	"fmt"
	"io"
	"strings"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/failover"
	"github.com/welfbridge/welfbridge/internal/forward"
	"github.com/welfbridge/welfbridge/internal/relp"
	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/syslog"
	"github.com/welfbridge/welfbridge/internal/transport"
)

// Logger is what the destination reports through.
type Logger = delivery.Logger

// Destination is an open destination.
type Destination struct {
	Sink sink.Sink
	// Overhead returns how many bytes of Max_Size the carrier's own header
	// takes for rec (its Time, Severity and Host set); nil when the WELF
	// record is the whole message.
	Overhead func(rec *sink.Record) int
	// Admit reports whether the destination takes another chunk, waiting
	// up to Flush_Wait for room; nil when it always does (local
	// destinations write synchronously).
	Admit func() bool
	// ReceiverStats reads the counters of each receiver into s, reusing
	// its room; nil unless the destination lists several receivers.
	ReceiverStats func(s *failover.Stats)
}

// Open opens the destination cfg names. stdout is where records go for the
// stdout scheme.
func Open(cfg *config.Config, stdout io.Writer, log Logger) (*Destination, error) {
	d := cfg.Destination
	switch {
	case d.Scheme == "stdout":
		return &Destination{Sink: sink.NewWriter(stdout, cfg.CRLF)}, nil
	case d.Scheme == "file":
		f, err := sink.OpenFile(d.Path, cfg.CRLF)
		if err != nil {
			return nil, err
		}
		return &Destination{Sink: f}, nil
	}
	tlsConf, err := tlsConfig(cfg, log)
	if err != nil {
		return nil, err
	}
	var carrier sink.Sink
	var overhead func(*sink.Record) int
	if cfg.Failover != nil {
		carrier, overhead, err = openPool(cfg, tlsConf, log)
	} else {
		carrier, overhead, err = openReceiver(cfg, d.Address, tlsConf, log)
	}
	if err != nil {
		return nil, err
	}
	opts := cfg.Delivery
	opts.Log = log
	engine, err := delivery.New(carrier, opts)
	if err != nil {
		carrier.Close()
		return nil, fmt.Errorf("%s: %w", config.KeySpoolDir, err)
	}
	return &Destination{Sink: engine, Overhead: overhead, Admit: engine.Admit, ReceiverStats: receiverStats(carrier)}, nil
}

// openReceiver opens the carrier to one receiver and says how much room its
// header takes; tlsConf is nil without TLS, and names no server unless
// TLS_Server_Name does (each carrier then verifies its own host).
func openReceiver(cfg *config.Config, address string, tlsConf *tls.Config, log Logger) (failover.Carrier, func(*sink.Record) int, error) {
	d := cfg.Destination
	d.Address, d.Receivers = address, ""
	switch d.Scheme {
	case "udp", "tcp", "tls":
		opts := cfg.Syslog
		s, err := transport.New(transport.Config{Network: d.Scheme, Address: d.Address, Syslog: opts, Framing: cfg.Framing, TLS: tlsConf})
		if err != nil {
			return nil, nil, err
		}
		return s, func(rec *sink.Record) int { return syslog.HeaderLen(rec, &opts) }, nil
	case "relp", "relp+tls":
		opts := cfg.Syslog
		c, err := relp.New(relp.Config{Address: d.Address, Syslog: opts, TLS: tlsConf})
		if err != nil {
			return nil, nil, err
		}
		label := "relp"
		if cfg.Failover != nil {
			label += " " + address // one line per receiver
		}
		return relpCarrier{c, log, label}, func(rec *sink.Record) int { return syslog.HeaderLen(rec, &opts) }, nil
	case "forward", "forward+tls":
		f := cfg.Forward
		f.Address, f.TLS = d.Address, tlsConf
		c, err := forward.New(f)
		if err != nil {
			return nil, nil, err
		}
		return c, nil, nil
	}
	return nil, nil, fmt.Errorf("%s: destination %s is not available in this build", config.KeyDestination, d)
}

// relpCarrier reports the RELP client's counters when it closes, so that
// the records resent after a lost acknowledgement — possible duplicates at
// the receiver — are counted in the log.
type relpCarrier struct {
	*relp.Client
	log   Logger
	label string
}

func (c relpCarrier) Close() error {
	err := c.Client.Close()
	st := c.Stats()
	c.log.Infof("%s: acknowledged=%d resent=%d possible_duplicates=%d reconnects=%d", c.label, st.Sent, st.Resent, st.PossibleDuplicates, st.Reconnects)
	return err
}

// tlsConfig returns the TLS configuration of cfg's carriers, nil when the
// destination does not use TLS.
func tlsConfig(cfg *config.Config, log Logger) (*tls.Config, error) {
	if !cfg.Destination.TLS() {
		return nil, nil
	}
	c, err := transport.NewTLSConfig(cfg.TLS)
	if err != nil {
		return nil, fmt.Errorf("TLS settings (TLS_CA_File, TLS_Cert_File, TLS_Key_File): %w", err)
	}
	if cfg.TLS.SkipVerify {
		who := cfg.Destination.Address
		if cfg.Failover != nil {
			who = strings.Join(cfg.Failover.Addresses, ", ")
		}
		log.Warnf("TLS_Verify off: the certificate of %s is not verified; anyone on the path can read and change what is sent", who)
	}
	return c, nil
}
