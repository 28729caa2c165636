package config

import (
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlockjoin"
	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/failover"
	"github.com/welfbridge/welfbridge/internal/mwg"
	"github.com/welfbridge/welfbridge/internal/syslog"
)

// Keys that other packages name in their messages. The README documents
// every key.
const (
	KeyDestination   = "Destination"
	KeyQueueMaxBytes = "Queue_Max_Bytes"
	KeySpoolDir      = "Spool_Dir"
	KeySpoolMaxBytes = "Spool_Max_Bytes"
	KeyFlushWait     = "Flush_Wait"
	KeyStateFile     = "State_File"
)

// Keys that the rules across settings name (see checkTogether).
const (
	keyMaxSize         = "Max_Size"
	keyTLSCertFile     = "TLS_Cert_File"
	keyTLSKeyFile      = "TLS_Key_File"
	keyForwardUsername = "Forward_Username"
	keyForwardPassword = "Forward_Password"
)

// A setting is one property: set parses a value (never empty) into the
// field it owns, and returns what is allowed when the value is bad; only,
// when not nil, names the destinations the setting applies to.
type setting struct {
	key    string
	set    func(c *Config, v string) error
	only   *scope
	secret bool // never shown in a message
}

// A scope is the destinations some settings apply to.
type scope struct {
	to   func(DestinationURL) bool
	what string // the message when a setting is given outside its scope
}

var (
	network     = &scope{DestinationURL.Network, "applies only to network destinations (udp, tcp, tls, relp, forward)"}
	forwardOnly = &scope{DestinationURL.Forward, "applies only to forward:// and forward+tls:// destinations"}
	tlsOnly     = &scope{DestinationURL.TLS, "TLS settings apply only to tls://, relp+tls:// and forward+tls:// destinations"}
)

// settings is every key but Destination, in the order their problems are
// reported. Each value is read once, into the type of the package that
// uses it.
var settings = []setting{
	{key: "Source", set: func(c *Config, v string) (err error) { c.Source, err = parseSource(v); return }},
	{key: "Log_Key", set: func(c *Config, v string) (err error) { c.LogKey, err = recordKey(v); return }},
	{key: "WELF_Id", set: func(c *Config, v string) (err error) {
		c.WELFID, err = token(v, 64, "allowed: 1 to 64 printable ASCII characters without spaces or quotes")
		return
	}},
	{key: "FW", set: func(c *Config, v string) (err error) {
		c.FW, err = token(v, 255, "allowed: a host name or address (printable ASCII without spaces or quotes, at most 255 characters)")
		return
	}},
	{key: "Time_Zone", set: func(c *Config, v string) (err error) { c.Location, err = timeZone(v); return }},
	{key: "Line_Ending", set: func(c *Config, v string) (err error) { c.CRLF, err = lineEnding(v); return }},

	{key: "Syslog_Format", set: func(c *Config, v string) (err error) {
		c.Syslog.Format, err = syslog.ParseFormat(v)
		return allowed(err, "allowed: rfc5424, rfc3164, raw")
	}},
	{key: "Syslog_Facility", set: func(c *Config, v string) (err error) {
		c.Syslog.Facility, err = syslog.ParseFacility(v)
		return allowed(err, "allowed: a number from 0 to 23 or a name: kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, security, console, solaris-cron, local0 … local7")
	}},
	{key: "Syslog_Appname", set: func(c *Config, v string) (err error) {
		c.Syslog.AppName, err = token(v, 48, "allowed: 1 to 48 printable ASCII characters without spaces")
		return
	}},
	{key: "Syslog_Hostname", set: func(c *Config, v string) (err error) {
		c.Syslog.Hostname, err = token(v, 255, "allowed: 1 to 255 printable ASCII characters without spaces")
		return
	}},
	{key: "Framing", set: func(c *Config, v string) (err error) {
		if c.Framing, err = syslog.ParseFraming(v); err != nil {
			return errors.New("allowed: octet-counting, lf")
		}
		if s := c.Destination.Scheme; s != "tcp" && s != "tls" {
			return errors.New("framing applies only to tcp:// and tls:// destinations")
		}
		return nil
	}},

	{key: "TLS_CA_File", only: tlsOnly, set: func(c *Config, v string) error { c.TLS.CAFile = v; return nil }},
	{key: keyTLSCertFile, only: tlsOnly, set: func(c *Config, v string) error { c.TLS.CertFile = v; return nil }},
	{key: keyTLSKeyFile, only: tlsOnly, set: func(c *Config, v string) error { c.TLS.KeyFile = v; return nil }},
	{key: "TLS_Server_Name", only: tlsOnly, set: func(c *Config, v string) error { c.TLS.ServerName = v; return nil }},
	{key: "TLS_Verify", set: func(c *Config, v string) (err error) {
		verify, err := onOff(v)
		c.TLS.SkipVerify = !verify
		return err
	}},

	{key: "Forward_Tag", only: forwardOnly, set: func(c *Config, v string) (err error) { c.Forward.Tag, err = recordKey(v); return }},
	{key: "Forward_Require_Ack", only: forwardOnly, set: func(c *Config, v string) (err error) { c.Forward.RequireAck, err = onOff(v); return }},
	{key: "Forward_Shared_Key", only: forwardOnly, secret: true, set: func(c *Config, v string) error { c.Forward.Auth.SharedKey = v; return nil }},
	{key: "Forward_Self_Hostname", only: forwardOnly, set: func(c *Config, v string) (err error) {
		c.Forward.Auth.SelfHostname, err = token(v, 255, "allowed: 1 to 255 printable ASCII characters without spaces")
		return
	}},
	{key: keyForwardUsername, only: forwardOnly, set: func(c *Config, v string) error { c.Forward.Auth.Username = v; return nil }},
	{key: keyForwardPassword, only: forwardOnly, secret: true, set: func(c *Config, v string) error { c.Forward.Auth.Password = v; return nil }},
	{key: "Forward_Compress", only: forwardOnly, set: func(c *Config, v string) error {
		switch strings.ToLower(v) {
		case "off":
			c.Forward.Gzip = false
		case "gzip":
			c.Forward.Gzip = true
		default:
			return errors.New("allowed: off, gzip")
		}
		return nil
	}},

	{key: KeyQueueMaxBytes, only: network, set: func(c *Config, v string) (err error) { c.Delivery.QueueMaxBytes, err = positiveSize(v); return }},
	{key: KeySpoolMaxBytes, only: network, set: func(c *Config, v string) (err error) { c.Delivery.SpoolMaxBytes, err = size(v); return }},
	{key: "Shutdown_Timeout", only: network, set: func(c *Config, v string) (err error) { c.Delivery.ShutdownTimeout, err = duration(v); return }},
	{key: "Stats_Interval", set: func(c *Config, v string) (err error) {
		c.Delivery.StatsInterval, err = duration(v)
		if c.Delivery.StatsInterval == 0 {
			c.Delivery.StatsInterval = -1 // the engine's "off"
		}
		return
	}},
	{key: KeyFlushWait, only: network, set: func(c *Config, v string) (err error) { c.Delivery.AdmitWait, err = duration(v); return }},
	{key: "Spool_Fsync", only: network, set: func(c *Config, v string) (err error) {
		c.Delivery.SpoolFsync, err = delivery.ParseFsync(v)
		return allowed(err, "allowed: always, interval, off")
	}},
	{key: KeySpoolDir, only: network, set: func(c *Config, v string) (err error) {
		c.Delivery.SpoolDir, err = absPath(v, "allowed: an absolute directory path")
		return
	}},

	{key: "Balance", only: network, set: func(c *Config, v string) (err error) {
		c.Failover.Pool.Policy, err = failover.ParsePolicy(v)
		return allowed(err, "allowed: failover, round-robin")
	}},
	{key: "Failback_Interval", only: network, set: func(c *Config, v string) (err error) {
		c.Failover.Pool.FailbackInterval, err = duration(v)
		return
	}},

	{key: "Path_Key", set: func(c *Config, v string) (err error) { c.MWG.PathKey, err = recordKey(v); return }},
	{key: "Offset_Key", set: func(c *Config, v string) (err error) { c.MWG.OffsetKey, err = recordKey(v); return }},
	{key: "Marker_Mode", set: func(c *Config, v string) (err error) {
		c.MWG.Join.Stream.MarkerMode, err = mwg.ParseMarkerMode(v)
		return allowed(err, "allowed: auto, region, direction")
	}},
	{key: "Idle_Timeout", set: func(c *Config, v string) (err error) { c.MWG.Join.IdleTimeout, err = positiveDuration(v); return }},
	{key: "Max_Connections", set: func(c *Config, v string) (err error) { c.MWG.Join.MaxConnections, err = count(v); return }},
	{key: "Max_Header_Bytes", set: func(c *Config, v string) error {
		n, err := size(v)
		if err == nil && n < mwg.MinMaxHeaderBytes {
			err = errors.New("allowed: at least 8K")
		}
		c.MWG.Join.Stream.MaxHeaderBytes = int(n)
		return err
	}},
	// Max_Pending_Bytes is one budget for both joiners.
	{key: "Max_Pending_Bytes", set: func(c *Config, v string) (err error) {
		c.MWG.Join.MaxBytes, err = positiveSize(v)
		c.Correlation.Join.MaxPendingBytes = c.MWG.Join.MaxBytes
		return
	}},
	{key: "Correlation_Clock", set: func(c *Config, v string) (err error) {
		c.MWG.Join.Clock, err = correlate.ParseClockMode(v)
		c.Correlation.Join.Clock = c.MWG.Join.Clock
		return allowed(err, "allowed: record, wall")
	}},

	{key: "Correlate", set: func(c *Config, v string) (err error) { c.Correlation.Enabled, err = onOff(v); return }},
	{key: "Correlation_Timeout", set: func(c *Config, v string) (err error) { c.Correlation.Join.Timeout, err = positiveDuration(v); return }},
	{key: "Session_Timeout", set: func(c *Config, v string) (err error) {
		c.Correlation.Join.SessionTimeout, err = positiveDuration(v)
		return
	}},
	{key: "Max_Pending", set: func(c *Config, v string) (err error) { c.Correlation.Join.MaxPending, err = count(v); return }},
	{key: "Conntrace", set: func(c *Config, v string) (err error) {
		c.Correlation.Join.Conntrace, err = airlockjoin.ParseConntrace(v)
		return allowed(err, "allowed: auto, on, off")
	}},
	{key: KeyStateFile, set: func(c *Config, v string) (err error) {
		c.Correlation.StateFile, err = absPath(v, "allowed: an absolute file path")
		return
	}},
	{key: "Correlation_Linger", set: func(c *Config, v string) (err error) { c.Correlation.Join.Linger, err = duration(v); return }},

	{key: keyMaxSize, set: func(c *Config, v string) error {
		n, err := size(v)
		c.MaxSize = int(n)
		return err
	}},
	{key: "Unparsed_Records", set: func(c *Config, v string) (err error) { c.Unparsed, err = parseUnparsed(v); return }},
}

// allowed replaces err, from an owning package's parser, with what is
// allowed.
func allowed(err error, what string) error {
	if err != nil {
		return errors.New(what)
	}
	return nil
}

func parseSource(v string) (Source, error) {
	for _, s := range []Source{SourceAuto, SourceAirlock, SourceMWG} {
		if strings.EqualFold(v, s.String()) {
			return s, nil
		}
	}
	return SourceAuto, errors.New("allowed: auto, airlock, mwg")
}

func parseUnparsed(v string) (Unparsed, error) {
	switch strings.ToLower(v) {
	case "emit":
		return UnparsedEmit, nil
	case "drop":
		return UnparsedDrop, nil
	}
	return UnparsedEmit, errors.New("allowed: emit, drop")
}

// recordKey reads a record key name: one token without spaces.
func recordKey(v string) (string, error) {
	if strings.ContainsAny(v, " \t\"") {
		return "", errors.New("allowed: a record key without spaces or quotes")
	}
	return v, nil
}

// token reads printable ASCII without spaces, quotes or backslashes, at most
// maxLen bytes; what says what is allowed.
func token(v string, maxLen int, what string) (string, error) {
	if len(v) > maxLen {
		return "", errors.New(what)
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return "", errors.New(what)
		}
	}
	return v, nil
}

func timeZone(v string) (*time.Location, error) {
	switch {
	case strings.EqualFold(v, "local"):
		return time.Local, nil
	case strings.EqualFold(v, "utc"):
		return time.UTC, nil
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		return nil, errors.New("allowed: local, UTC, or an IANA zone name known to this system (e.g. Europe/Zurich)")
	}
	return loc, nil
}

func lineEnding(v string) (crlf bool, err error) {
	switch strings.ToLower(v) {
	case "crlf":
		return true, nil
	case "lf":
		return false, nil
	}
	return false, errors.New("allowed: crlf, lf")
}

func absPath(v, what string) (string, error) {
	if !filepath.IsAbs(v) {
		return "", errors.New(what)
	}
	return v, nil
}

// onOff reads a boolean in Fluent Bit's spellings.
func onOff(v string) (bool, error) {
	switch strings.ToLower(v) {
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, errors.New("allowed: on, off")
}

// size reads a byte count: a whole number, optionally with a K, M or G
// suffix (powers of 1024).
func size(v string) (int64, error) {
	n, err := ParseSize(v)
	if err != nil {
		return 0, errors.New("allowed: a whole number of bytes, optionally with a K, M or G suffix")
	}
	return n, nil
}

func positiveSize(v string) (int64, error) {
	n, err := size(v)
	if err == nil && n == 0 {
		err = errors.New("allowed: a positive number of bytes, optionally with a K, M or G suffix")
	}
	return n, err
}

// count reads a positive whole number.
func count(v string) (int, error) {
	n, err := ParseSize(v)
	if err != nil || n == 0 || n > 1<<31 || strings.ContainsAny(v, "KMGkmg") {
		return 0, errors.New("allowed: a positive whole number")
	}
	return int(n), nil
}

// duration reads a duration: Go syntax (500ms, 30s, 5m, 1h) or a whole
// number of seconds, as Fluent Bit's own time properties take.
func duration(v string) (time.Duration, error) {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	d, err := time.ParseDuration(strings.ToLower(v))
	if err != nil || d < 0 {
		return 0, errors.New("allowed: a duration such as 500ms, 30s, 5m or 1h, or a whole number of seconds")
	}
	return d, nil
}

func positiveDuration(v string) (time.Duration, error) {
	d, err := duration(v)
	if err == nil && d == 0 {
		err = errors.New("allowed: a positive duration")
	}
	return d, err
}

// ParseSize parses a byte count such as 8192, 64K, 16M or 1G.
func ParseSize(s string) (int64, error) {
	if s == "" {
		return 0, errors.New("empty size")
	}
	mult := int64(1)
	switch strings.ToUpper(s[len(s)-1:]) {
	case "K":
		mult = 1 << 10
	case "M":
		mult = 1 << 20
	case "G":
		mult = 1 << 30
	}
	if mult > 1 {
		s = s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, errors.New("invalid size " + strconv.Quote(s))
	}
	return n * mult, nil
}
