// Package destination opens the sink a configured Destination names: the
// local ones (stdout, files) and the network carriers (syslog over UDP, TCP
// and TLS). It is the one place that knows which package serves which
// scheme, and how much room each carrier's own header takes from Max_Size.
package destination

import (
	"crypto/tls"
	"fmt"
	"io"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/sink"
	"github.com/welfbridge/welfbridge/internal/syslog"
	"github.com/welfbridge/welfbridge/internal/transport"
)

// Logger is what the destination reports through.
type Logger interface {
	Warnf(format string, args ...any)
}

// Destination is an open destination.
type Destination struct {
	Sink sink.Sink
	// Overhead returns how many bytes of Max_Size the carrier's own header
	// takes for rec (its Time, Severity and Host set); nil when the WELF
	// record is the whole message.
	Overhead func(rec *sink.Record) int
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
	case d.Syslog() && !d.TLS() || d.Scheme == "tls":
		return openSyslog(cfg, log)
	}
	return nil, fmt.Errorf("%s: destination %s is not available in this build", config.KeyDestination, d)
}

// syslogOptions are the header options of the syslog carriers.
func syslogOptions(cfg *config.Config) syslog.Options {
	s := cfg.Syslog
	return syslog.Options{
		Format: s.Format, Facility: s.Facility, AppName: s.AppName, Hostname: s.Hostname,
		LocalHostname: cfg.Hostname, MaxSize: cfg.MaxSize,
	}
}

func openSyslog(cfg *config.Config, log Logger) (*Destination, error) {
	opts := syslogOptions(cfg)
	tc := transport.Config{Network: cfg.Destination.Scheme, Address: cfg.Destination.Address, Syslog: opts, Framing: cfg.Syslog.Framing}
	if cfg.Destination.TLS() {
		tlsConfig, err := tlsConfig(cfg, log)
		if err != nil {
			return nil, err
		}
		tc.TLS = tlsConfig
	}
	s, err := transport.New(tc)
	if err != nil {
		return nil, err
	}
	return &Destination{Sink: s, Overhead: func(rec *sink.Record) int { return syslog.HeaderLen(rec, &opts) }}, nil
}

func tlsConfig(cfg *config.Config, log Logger) (*tls.Config, error) {
	t := cfg.TLS
	c, err := transport.NewTLSConfig(transport.TLSOptions{
		CAFile: t.CAFile, CertFile: t.CertFile, KeyFile: t.KeyFile, ServerName: t.ServerName, SkipVerify: !t.Verify,
	})
	if err != nil {
		return nil, fmt.Errorf("TLS settings (TLS_CA_File, TLS_Cert_File, TLS_Key_File): %w", err)
	}
	if !t.Verify {
		log.Warnf("TLS_Verify off: the certificate of %s is not verified; anyone on the path can read and change what is sent", cfg.Destination.Address)
	}
	return c, nil
}
