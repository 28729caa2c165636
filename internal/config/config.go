// Package config reads and validates the properties of one welf output
// instance.
//
// Fluent Bit hands properties to the plugin by name, case-insensitively, with
// ${ENV} already expanded; an empty value is indistinguishable from an unset
// one. Every property therefore has a default, and every value is checked
// here, once, in FLBPluginInit: a bad value fails Init with a message naming
// the key and what is allowed. Names avoid the keys Fluent Bit's core consumes
// (host, port, tls*, workers, match, net.* …), which never reach a plugin.
package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
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
	Destination Destination
	Source      Source
	LogKey      string         // key holding a raw line
	WELFID      string         // value of the WELF id field
	FW          string         // fixed WELF fw value; "" = the record's gateway host, else Hostname
	Location    *time.Location // zone of the WELF time field
	CRLF        bool           // terminate records with CR LF (else LF)
	MaxSize     int            // cap on a whole message (WELF record, plus the syslog header on syslog carriers); 0 = none
	Unparsed    Unparsed
	Hostname    string // this machine's name, resolved once by the caller

	Syslog      Syslog      // syslog carriers (udp, tcp, tls, relp)
	TLS         TLS         // TLS carriers (tls, relp+tls, forward+tls)
	Forward     Forward     // forward destinations
	Delivery    Delivery    // network destinations
	Failover    *Failover   // nil unless Destination lists several receivers
	MWG         MWG         // MWG connection traces
	Correlation Correlation // Airlock request and session correlation
}

// Keys, as documented in the README. Fluent Bit matches them case-insensitively.
const (
	KeyDestination = "Destination"
	KeySource      = "Source"
	KeyLogKey      = "Log_Key"
	KeyWELFID      = "WELF_Id"
	KeyFW          = "FW"
	KeyTimeZone    = "Time_Zone"
	KeyLineEnding  = "Line_Ending"
	KeyMaxSize     = "Max_Size"
	KeyUnparsed    = "Unparsed_Records"
)

// Parse reads every property through get and validates it. hostname is this
// machine's name, the last fallback for the WELF fw field. All problems are
// reported together, each naming its key.
func Parse(get Getter, hostname string) (*Config, error) {
	p := parser{get: get}
	c := &Config{Hostname: hostname}
	c.Destination = p.destination()
	c.Source = p.source()
	c.LogKey = p.word(KeyLogKey, "log")
	c.WELFID = p.welfID()
	c.FW = p.fw()
	c.Location = p.timeZone()
	c.CRLF = p.lineEnding(c.Destination.Scheme == "file")
	c.Syslog = p.syslog(c.Destination)
	c.TLS = p.tls(c.Destination)
	c.Forward = p.forward(c.Destination, hostname)
	c.Delivery = p.delivery(c.Destination)
	c.Failover = p.failover(c.Destination)
	c.MWG = p.mwg()
	c.Correlation = p.correlation()
	c.MaxSize = p.size(KeyMaxSize, int64(defaultMaxSize(c.Destination, c.Syslog)))
	p.checkMaxSize(c.Destination, c.MaxSize)
	c.Unparsed = p.unparsed()
	if c.FW == "" && hostname == "" {
		hostname = "localhost"
		c.Hostname = hostname
	}
	if err := errors.Join(p.errs...); err != nil {
		return nil, err
	}
	return c, nil
}

type parser struct {
	get  Getter
	errs []error

	addresses []string // the addresses of a Destination list of several receivers

	clockRead  bool   // Correlation_Clock has been read
	clockValue string // "record", "wall" or "" (unset or invalid)
}

func (p *parser) value(key string) string { return strings.TrimSpace(p.get(key)) }

func (p *parser) fail(key, val, allowed string) {
	p.errs = append(p.errs, fmt.Errorf("%s: invalid value %q: %s", key, val, allowed))
}

func (p *parser) source() Source {
	switch v := p.value(KeySource); strings.ToLower(v) {
	case "", "auto":
		return SourceAuto
	case "airlock":
		return SourceAirlock
	case "mwg":
		return SourceMWG
	default:
		p.fail(KeySource, v, "allowed: auto, airlock, mwg")
		return SourceAuto
	}
}

// word reads a record key name: one token without spaces.
func (p *parser) word(key, def string) string {
	v := p.value(key)
	if v == "" {
		return def
	}
	if strings.ContainsAny(v, " \t\"") {
		p.fail(key, v, "allowed: a record key without spaces or quotes")
		return def
	}
	return v
}

func (p *parser) welfID() string {
	v := p.value(KeyWELFID)
	if v == "" {
		return "firewall"
	}
	if len(v) > 64 || !printableToken(v) {
		p.fail(KeyWELFID, v, "allowed: 1 to 64 printable ASCII characters without spaces or quotes")
		return "firewall"
	}
	return v
}

func (p *parser) fw() string {
	v := p.value(KeyFW)
	if len(v) > 255 || !printableToken(v) && v != "" {
		p.fail(KeyFW, v, "allowed: a host name or address (printable ASCII without spaces or quotes, at most 255 characters)")
		return ""
	}
	return v
}

func printableToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f || c == '"' || c == '\\' {
			return false
		}
	}
	return s != ""
}

func (p *parser) timeZone() *time.Location {
	v := p.value(KeyTimeZone)
	switch {
	case v == "" || strings.EqualFold(v, "local"):
		return time.Local
	case strings.EqualFold(v, "utc"):
		return time.UTC
	}
	loc, err := time.LoadLocation(v)
	if err != nil {
		p.fail(KeyTimeZone, v, "allowed: local, UTC, or an IANA zone name known to this system (e.g. Europe/Zurich)")
		return time.Local
	}
	return loc
}

func (p *parser) lineEnding(file bool) bool {
	switch v := p.value(KeyLineEnding); strings.ToLower(v) {
	case "":
		return file
	case "crlf":
		return true
	case "lf":
		return false
	default:
		p.fail(KeyLineEnding, v, "allowed: crlf, lf")
		return file
	}
}

// size reads a byte count: a whole number, optionally with a K, M or G suffix
// (powers of 1024).
func (p *parser) size(key string, def int64) int {
	v := p.value(key)
	if v == "" {
		return int(def)
	}
	n, err := ParseSize(v)
	if err != nil {
		p.fail(key, v, "allowed: a whole number of bytes, optionally with a K, M or G suffix")
		return int(def)
	}
	return int(n)
}

func (p *parser) unparsed() Unparsed {
	switch v := p.value(KeyUnparsed); strings.ToLower(v) {
	case "", "emit":
		return UnparsedEmit
	case "drop":
		return UnparsedDrop
	default:
		p.fail(KeyUnparsed, v, "allowed: emit, drop")
		return UnparsedEmit
	}
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
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}
