// Package config reads and validates the properties of one welf output
// instance.
//
// Fluent Bit hands properties to the plugin by name, case-insensitively, with
// ${ENV} already expanded; an empty value is indistinguishable from an unset
// one. Every property therefore has a default, and every value is checked
// here, once, in FLBPluginInit: a bad value fails Init with a message naming
// the key and what is allowed. Names avoid the keys Fluent Bit's core consumes
// (host, port, tls*, workers, match, net.* …), which never reach a plugin.
//
// The settings of each part live in that part's own type, with its defaults:
// airlockjoin.Config, mwgjoin.Config, delivery.Options, failover.Options,
// syslog.Options, transport.TLSOptions, forward.Config. Config holds them
// ready to use, and the key table in settings.go says, for every key, which
// field it sets and how its value is parsed. To add a setting: add its field
// (and default) to the owning package's type, and one row to the table.
package config

import (
	"cmp"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlockjoin"
	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/failover"
	"github.com/welfbridge/welfbridge/internal/forward"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
	"github.com/welfbridge/welfbridge/internal/syslog"
	"github.com/welfbridge/welfbridge/internal/transport"
)

// Getter returns the value of a property, "" when unset.
type Getter func(key string) string

// Source selects how records are decoded.
type Source uint8

const (
	SourceAuto    Source = iota // decide per record from its shape
	SourceAirlock               // Airlock Gateway JSON log records
	SourceMWG                   // MWG connection-trace lines
)

func (s Source) String() string {
	switch s {
	case SourceAirlock:
		return "airlock"
	case SourceMWG:
		return "mwg"
	}
	return "auto"
}

// Unparsed says what happens to a record that cannot be decoded.
type Unparsed uint8

const (
	UnparsedEmit Unparsed = iota // forward it as a WELF record carrying the reason and the raw text
	UnparsedDrop                 // only count and report it
)

// Config is the validated configuration of one instance.
type Config struct {
	Destination DestinationURL // where records go (the Destination key)
	Source      Source
	LogKey      string         // key holding a raw line
	WELFID      string         // value of the WELF id field
	FW          string         // fixed WELF fw value; "" = the record's gateway host, else Hostname
	Location    *time.Location // zone of the WELF time field
	CRLF        bool           // terminate records with CR LF (else LF)
	MaxSize     int            // cap on a whole message (WELF record, plus the syslog header on syslog carriers); 0 = none
	Unparsed    Unparsed
	Hostname    string // this machine's name, resolved once by the caller

	Syslog      syslog.Options       // syslog carriers (udp, tcp, tls, relp); LocalHostname and MaxSize filled in
	Framing     syslog.Framing       // tcp and tls; FramingNone for udp
	TLS         transport.TLSOptions // TLS carriers (tls, relp+tls, forward+tls)
	Forward     forward.Config       // forward destinations; Address and TLS are set per receiver
	Delivery    delivery.Options     // network destinations; Log is set when opened
	Failover    *Failover            // nil unless Destination lists several receivers
	MWG         MWG                  // MWG connection traces
	Correlation Correlation          // Airlock request and session correlation
}

// Failover holds the settings of a Destination of several receivers.
type Failover struct {
	Addresses []string // host:port of each receiver, in list order; the first is Destination.Address
	Pool      failover.Options
}

// MWG holds which record keys carry MWG trace lines and how they are joined.
type MWG struct {
	PathKey   string // record key with the trace file's path (tail's Path_Key)
	OffsetKey string // record key with the line's byte offset (tail's Offset_Key); "" = none
	Join      mwgjoin.Config
}

// Correlation holds whether and how Airlock records of one request (req_id)
// and one session (sess_id) are joined.
type Correlation struct {
	Enabled   bool
	StateFile string // "" = pending state is emitted as partial records at exit
	Join      airlockjoin.Config
}

// defaults returns the configuration before any property is read: each
// part's defaults come from the package that owns it.
func defaults(hostname string) *Config {
	return &Config{
		Destination: DestinationURL{Scheme: "stdout"}, LogKey: "log", WELFID: "firewall", Location: time.Local,
		MaxSize: -1, Hostname: hostname,
		Syslog:      syslog.DefaultOptions(),
		Forward:     forward.Config{Tag: forward.DefaultTag},
		Delivery:    delivery.DefaultOptions(),
		Failover:    &Failover{Pool: failover.Options{FailbackInterval: failover.DefaultFailbackInterval}},
		MWG:         MWG{PathKey: "file", Join: mwgjoin.DefaultConfig()},
		Correlation: Correlation{Enabled: true, Join: airlockjoin.DefaultConfig()},
	}
}

// Parse reads every property through get, once, and validates it. hostname
// is this machine's name, the last fallback for the WELF fw field. All
// problems are reported together, each naming its key.
func Parse(get Getter, hostname string) (*Config, error) {
	p := parser{get: get}
	c := defaults(hostname)
	// Destination first: the defaults and the scope of other settings
	// depend on it.
	c.Destination, c.Failover.Addresses = p.destination(p.value(KeyDestination))
	c.CRLF = c.Destination.Scheme == "file"
	for _, s := range settings {
		p.apply(c, s)
	}
	p.checkTogether(c)
	if c.FW == "" && hostname == "" {
		c.Hostname = "localhost"
	}
	c.Syslog.LocalHostname, c.Syslog.MaxSize = c.Hostname, c.MaxSize
	c.MWG.Join.Stream.Location = c.Location // trace timestamps without an offset are in Time_Zone too
	if len(c.Failover.Addresses) < 2 {
		c.Failover = nil
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return c, nil
}

type parser struct {
	get  Getter
	errs []error
}

func (p *parser) value(key string) string { return strings.TrimSpace(p.get(key)) }

func (p *parser) fail(key, val, allowed string) {
	p.errs = append(p.errs, fmt.Errorf("%s: invalid value %q: %s", key, val, allowed))
}

// apply reads the property of s and, when it is set, parses it into c and
// checks that it applies to c's destination.
func (p *parser) apply(c *Config, s setting) {
	v := p.value(s.key)
	if v == "" {
		return
	}
	shown := v
	if s.secret {
		shown = "(hidden)"
	}
	if err := s.set(c, v); err != nil {
		p.fail(s.key, shown, err.Error())
	}
	if s.only != nil && !s.only.to(c.Destination) {
		p.fail(s.key, shown, s.only.what)
	}
}

// checkTogether checks the rules that involve several settings, and fills
// in the defaults that depend on other settings.
func (p *parser) checkTogether(c *Config) {
	d := c.Destination
	if d.Scheme == "udp" {
		c.Framing = syslog.FramingNone
	}
	if t := c.TLS; d.TLS() && (t.CertFile == "") != (t.KeyFile == "") {
		key, v := keyTLSCertFile, t.CertFile
		if t.CertFile == "" {
			key, v = keyTLSKeyFile, t.KeyFile
		}
		p.fail(key, v, "a client certificate needs both TLS_Cert_File and TLS_Key_File")
	}
	if a := &c.Forward.Auth; d.Forward() {
		if (a.Username == "") != (a.Password == "") {
			key, v := keyForwardUsername, a.Username
			if a.Username == "" {
				key, v = keyForwardPassword, "(hidden)"
			}
			p.fail(key, v, "Forward_Username and Forward_Password go together")
		}
		a.SelfHostname = cmp.Or(a.SelfHostname, c.Hostname, "localhost")
	}
	if c.MaxSize < 0 {
		c.MaxSize = defaultMaxSize(d, c.Syslog.Format)
	}
	if d.Scheme == "udp" && (c.MaxSize == 0 || c.MaxSize > maxDatagram) {
		p.fail(keyMaxSize, fmt.Sprint(c.MaxSize), "a UDP message must fit in one datagram: 1 to 65507 bytes")
	}
}

// defaultMaxSize is the message size cap of a destination when Max_Size is
// unset: what receivers must accept per carrier (RFC 3164: 1024; RFC 5426
// UDP: 2048; RFC 5425 TLS and common TCP receivers: 8192), no cap for files,
// stdout and forward.
func defaultMaxSize(d DestinationURL, f syslog.Format) int {
	if !d.Syslog() {
		return 0
	}
	return syslog.DefaultMaxSize(f, d.Scheme != "udp")
}

// maxDatagram is the largest UDP payload over IPv4.
const maxDatagram = 65507
