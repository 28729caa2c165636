package config

import (
	"cmp"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/welfbridge/welfbridge/internal/syslog"
)

// Keys of the destination settings.
const (
	KeySyslogFormat        = "Syslog_Format"
	KeySyslogFacility      = "Syslog_Facility"
	KeySyslogAppname       = "Syslog_Appname"
	KeySyslogHostname      = "Syslog_Hostname"
	KeyFraming             = "Framing"
	KeyTLSCAFile           = "TLS_CA_File"
	KeyTLSCertFile         = "TLS_Cert_File"
	KeyTLSKeyFile          = "TLS_Key_File"
	KeyTLSServerName       = "TLS_Server_Name"
	KeyTLSVerify           = "TLS_Verify"
	KeyForwardTag          = "Forward_Tag"
	KeyForwardRequireAck   = "Forward_Require_Ack"
	KeyForwardSharedKey    = "Forward_Shared_Key"
	KeyForwardSelfHostname = "Forward_Self_Hostname"
	KeyForwardUsername     = "Forward_Username"
	KeyForwardPassword     = "Forward_Password"
	KeyForwardCompress     = "Forward_Compress"
)

// Destination is where encoded records go.
type Destination struct {
	Scheme  string // stdout, file, udp, tcp, tls, relp, relp+tls, forward, forward+tls
	Path    string // absolute path, for file
	Address string // host:port, for the network schemes
	// Receivers is every receiver's URL, comma-separated, when there are
	// several (see Config.Failover); Address is the first.
	Receivers string
}

func (d Destination) String() string {
	if d.Receivers != "" {
		return d.Receivers
	}
	switch d.Scheme {
	case "file":
		return "file://" + d.Path
	case "stdout":
		return "stdout"
	}
	return d.Scheme + "://" + d.Address
}

// Syslog reports whether the destination carries syslog messages.
func (d Destination) Syslog() bool {
	switch d.Scheme {
	case "udp", "tcp", "tls", "relp", "relp+tls":
		return true
	}
	return false
}

// TLS reports whether the destination is reached over TLS.
func (d Destination) TLS() bool {
	return d.Scheme == "tls" || strings.HasSuffix(d.Scheme, "+tls")
}

// Network reports whether the destination is reached over the network.
func (d Destination) Network() bool { return d.Scheme != "stdout" && d.Scheme != "file" }

// defaultPorts are the well-known ports of each network scheme: syslog
// (RFC 5426, RFC 6587, RFC 5425), RELP as rsyslog's documentation uses it,
// and Fluentd's forward protocol.
var defaultPorts = map[string]string{
	"udp": "514", "tcp": "514", "tls": "6514",
	"relp": "2514", "relp+tls": "2514",
	"forward": "24224", "forward+tls": "24224",
}

const destinationsAllowed = "allowed: stdout, file:///absolute/path, udp://host[:port], tcp://host[:port], tls://host[:port], " +
	"relp://host[:port], relp+tls://host[:port], forward://host[:port], forward+tls://host[:port]"

func (p *parser) destination() Destination {
	v := p.value(KeyDestination)
	if strings.Contains(v, ",") {
		return p.receivers(v)
	}
	return p.oneDestination(v)
}

// oneDestination parses one destination URL.
func (p *parser) oneDestination(v string) Destination {
	if v == "" || strings.EqualFold(v, "stdout") {
		return Destination{Scheme: "stdout"}
	}
	u, err := url.Parse(v)
	if err != nil {
		p.fail(KeyDestination, v, destinationsAllowed)
		return Destination{Scheme: "stdout"}
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "file" {
		if u.Host != "" && u.Host != "localhost" || u.RawQuery != "" || u.Fragment != "" ||
			!filepath.IsAbs(u.Path) || strings.HasSuffix(u.Path, "/") {
			p.fail(KeyDestination, v, "allowed: file:///absolute/path (an absolute file path, e.g. file:///var/log/welf/airlock.log)")
			return Destination{Scheme: "stdout"}
		}
		return Destination{Scheme: "file", Path: filepath.Clean(u.Path)}
	}
	port, known := defaultPorts[scheme]
	if !known {
		p.fail(KeyDestination, v, destinationsAllowed)
		return Destination{Scheme: "stdout"}
	}
	host := u.Hostname()
	if u.Port() != "" {
		port = u.Port()
	}
	n, err := strconv.Atoi(port)
	if host == "" || u.Path != "" || u.RawQuery != "" || u.User != nil || err != nil || n < 1 || n > 65535 {
		p.fail(KeyDestination, v, "allowed: "+scheme+"://host[:port] with a host name or address and a port from 1 to 65535 (default "+defaultPorts[scheme]+")")
		return Destination{Scheme: "stdout"}
	}
	return Destination{Scheme: scheme, Address: net.JoinHostPort(host, port)}
}

// Syslog holds how records are framed for syslog carriers.
type Syslog struct {
	Format   syslog.Format
	Facility int
	AppName  string
	Hostname string // "" = the record's gateway host, else this machine's name
	Framing  syslog.Framing
}

func (p *parser) syslog(d Destination) Syslog {
	s := Syslog{Facility: syslog.DefaultFacility, AppName: syslog.DefaultAppName}
	if v := p.value(KeySyslogFormat); v != "" {
		f, err := syslog.ParseFormat(v)
		if err != nil {
			p.fail(KeySyslogFormat, v, "allowed: rfc5424, rfc3164, raw")
		}
		s.Format = f
	}
	if v := p.value(KeySyslogFacility); v != "" {
		f, err := syslog.ParseFacility(v)
		if err != nil {
			p.fail(KeySyslogFacility, v, "allowed: a number from 0 to 23 or a name: kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, security, console, solaris-cron, local0 … local7")
			f = syslog.DefaultFacility
		}
		s.Facility = f
	}
	if v := p.value(KeySyslogAppname); v != "" {
		if len(v) > 48 || !printableToken(v) {
			p.fail(KeySyslogAppname, v, "allowed: 1 to 48 printable ASCII characters without spaces")
		} else {
			s.AppName = v
		}
	}
	if v := p.value(KeySyslogHostname); v != "" {
		if len(v) > 255 || !printableToken(v) {
			p.fail(KeySyslogHostname, v, "allowed: 1 to 255 printable ASCII characters without spaces")
		} else {
			s.Hostname = v
		}
	}
	if v := p.value(KeyFraming); v != "" {
		f, err := syslog.ParseFraming(v)
		switch {
		case err != nil:
			p.fail(KeyFraming, v, "allowed: octet-counting, lf")
		case d.Scheme != "tcp" && d.Scheme != "tls":
			p.fail(KeyFraming, v, "framing applies only to tcp:// and tls:// destinations")
		default:
			s.Framing = f
		}
	}
	if d.Scheme == "udp" {
		s.Framing = syslog.FramingNone
	}
	return s
}

// TLS holds the TLS settings of TLS carriers. Files are read, and checked,
// when the destination is opened in Init.
type TLS struct {
	CAFile, CertFile, KeyFile, ServerName string
	Verify                                bool
}

func (p *parser) tls(d Destination) TLS {
	t := TLS{
		CAFile: p.value(KeyTLSCAFile), CertFile: p.value(KeyTLSCertFile), KeyFile: p.value(KeyTLSKeyFile),
		ServerName: p.value(KeyTLSServerName), Verify: p.onOff(KeyTLSVerify, true),
	}
	if !d.TLS() {
		for key, v := range map[string]string{KeyTLSCAFile: t.CAFile, KeyTLSCertFile: t.CertFile, KeyTLSKeyFile: t.KeyFile, KeyTLSServerName: t.ServerName} {
			if v != "" {
				p.fail(key, v, "TLS settings apply only to tls://, relp+tls:// and forward+tls:// destinations")
			}
		}
		return t
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		key, v := KeyTLSCertFile, t.CertFile
		if t.CertFile == "" {
			key, v = KeyTLSKeyFile, t.KeyFile
		}
		p.fail(key, v, "a client certificate needs both TLS_Cert_File and TLS_Key_File")
	}
	return t
}

// Forward holds the settings of forward destinations.
type Forward struct {
	Tag        string
	RequireAck bool
	Gzip       bool // Forward_Compress gzip
	// The secure-forward handshake runs when SharedKey or Username is set;
	// a Username alone means an empty shared key.
	SharedKey, SelfHostname, Username, Password string
}

func (p *parser) forward(d Destination, hostname string) Forward {
	f := Forward{
		Tag:          p.word(KeyForwardTag, "welf"),
		RequireAck:   p.onOff(KeyForwardRequireAck, false),
		SharedKey:    p.value(KeyForwardSharedKey),
		SelfHostname: p.value(KeyForwardSelfHostname),
		Username:     p.value(KeyForwardUsername),
		Password:     p.value(KeyForwardPassword),
	}
	switch v := p.value(KeyForwardCompress); strings.ToLower(v) {
	case "", "off":
	case "gzip":
		f.Gzip = true
	default:
		p.fail(KeyForwardCompress, v, "allowed: off, gzip")
	}
	if !strings.HasPrefix(d.Scheme, "forward") {
		for _, key := range []string{KeyForwardTag, KeyForwardRequireAck, KeyForwardSharedKey, KeyForwardSelfHostname, KeyForwardUsername, KeyForwardPassword, KeyForwardCompress} {
			if v := p.value(key); v != "" {
				p.fail(key, redact(key, v), "applies only to forward:// and forward+tls:// destinations")
			}
		}
		return f
	}
	if (f.Username == "") != (f.Password == "") {
		key, v := KeyForwardUsername, f.Username
		if f.Username == "" {
			key, v = KeyForwardPassword, f.Password
		}
		p.fail(key, redact(key, v), "Forward_Username and Forward_Password go together")
	}
	if v := f.SelfHostname; len(v) > 255 || !printableToken(v) && v != "" {
		p.fail(KeyForwardSelfHostname, v, "allowed: 1 to 255 printable ASCII characters without spaces")
	}
	if f.SelfHostname == "" {
		f.SelfHostname = cmp.Or(hostname, "localhost")
	}
	return f
}

// redact hides secrets in error messages.
func redact(key, v string) string {
	if key == KeyForwardSharedKey || key == KeyForwardPassword {
		return "(hidden)"
	}
	return v
}

// defaultMaxSize is the message size cap of a destination when Max_Size is
// unset: what receivers must accept per carrier (RFC 3164: 1024; RFC 5426
// UDP: 2048; RFC 5425 TLS and common TCP receivers: 8192), no cap for files,
// stdout and forward.
func defaultMaxSize(d Destination, s Syslog) int {
	if !d.Syslog() {
		return 0
	}
	return syslog.DefaultMaxSize(s.Format, d.Scheme != "udp")
}

// maxDatagram is the largest UDP payload over IPv4.
const maxDatagram = 65507

func (p *parser) checkMaxSize(d Destination, n int) {
	if d.Scheme == "udp" && (n == 0 || n > maxDatagram) {
		p.fail(KeyMaxSize, strconv.Itoa(n), "a UDP message must fit in one datagram: 1 to 65507 bytes")
	}
}

// onOff reads a boolean in Fluent Bit's spellings.
func (p *parser) onOff(key string, def bool) bool {
	switch v := p.value(key); strings.ToLower(v) {
	case "":
		return def
	case "on", "true", "yes", "1":
		return true
	case "off", "false", "no", "0":
		return false
	default:
		p.fail(key, v, "allowed: on, off")
		return def
	}
}
