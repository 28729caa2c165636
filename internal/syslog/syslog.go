package syslog

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

// Format is the syslog message format.
type Format uint8

const (
	FormatRFC5424 Format = iota // the default
	FormatRFC3164
	FormatRaw // the bare WELF record, no syslog header
)

var formatNames = [...]string{FormatRFC5424: "rfc5424", FormatRFC3164: "rfc3164", FormatRaw: "raw"}

func (f Format) String() string { return nameOf(formatNames[:], f, "Format") }

// ParseFormat parses "rfc5424", "rfc3164" or "raw", ignoring case.
func ParseFormat(s string) (Format, error) {
	if f, ok := lookup[Format](formatNames[:], s); ok {
		return f, nil
	}
	return 0, fmt.Errorf("unknown syslog format %q: want rfc5424, rfc3164 or raw", s)
}

// Framing delimits messages on a stream (RFC 6587).
type Framing uint8

const (
	FramingOctetCounting Framing = iota // "LEN SP MSG", the default for TCP and TLS
	FramingLF                           // MSG followed by "\n", for legacy receivers
	FramingNone                         // MSG alone: one UDP datagram per message
)

var framingNames = [...]string{FramingOctetCounting: "octet-counting", FramingLF: "lf", FramingNone: "none"}

func (f Framing) String() string { return nameOf(framingNames[:], f, "Framing") }

// ParseFraming parses a stream framing: "octet-counting" or "lf", ignoring
// case. Datagrams need no framing, so "none" is not a choice.
func ParseFraming(s string) (Framing, error) {
	if f, ok := lookup[Framing](framingNames[:FramingNone], s); ok {
		return f, nil
	}
	return 0, fmt.Errorf("unknown syslog framing %q: want octet-counting or lf", s)
}

// nameOf returns the name of v in names, where the name at index i is value
// i, or typ(v) for a value without one.
func nameOf[T ~uint8](names []string, v T, typ string) string {
	if int(v) < len(names) {
		return names[v]
	}
	return typ + "(" + strconv.Itoa(int(v)) + ")"
}

// lookup returns the value named s in names (ignoring case), where the name
// at index i is value i.
func lookup[T ~uint8 | ~int](names []string, s string) (T, bool) {
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return T(i), true
		}
	}
	return 0, false
}

// facilityNames lists the facility names in code order: the name at index i
// is facility i.
var facilityNames = [...]string{
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
}

// DefaultFacility is local0.
const DefaultFacility = 16

// ParseFacility parses a facility name (ignoring case) or a number 0..23.
func ParseFacility(name string) (int, error) {
	if code, ok := lookup[int](facilityNames[:], name); ok {
		return code, nil
	}
	if len(name) > 0 && len(name) <= 2 && name[0] >= '0' && name[0] <= '9' && name[len(name)-1] >= '0' && name[len(name)-1] <= '9' {
		if code, _ := strconv.Atoi(name); code < len(facilityNames) {
			return code, nil
		}
	}
	return 0, fmt.Errorf("unknown syslog facility %q: want a number 0..23 or one of %s",
		name, strings.Join(facilityNames[:], ", "))
}

// DefaultAppName is the APP-NAME (RFC 3164 TAG) when Options.AppName is empty.
const DefaultAppName = "welfbridge"

// DefaultMaxSize returns the default cap on a whole syslog message: 1024 for
// RFC 3164 (its own limit), 2048 for datagrams (RFC 5426: every receiver
// SHOULD accept 2048) and 8192 for streams (RFC 5425: SHOULD accept 8192).
func DefaultMaxSize(format Format, stream bool) int {
	switch {
	case format == FormatRFC3164:
		return 1024
	case stream:
		return 8192
	default:
		return 2048
	}
}

// Options configures the syslog header.
type Options struct {
	Format   Format
	Facility int    // 0..23; DefaultOptions sets DefaultFacility
	AppName  string // empty means DefaultAppName
	// Hostname is the HOSTNAME for every message. When empty, the record's
	// gateway host is used, and when that is empty too, LocalHostname.
	Hostname string
	// LocalHostname is this machine's name, resolved once by the caller
	// (os.Hostname); empty means the NILVALUE "-".
	LocalHostname string
	// MaxSize caps the whole message (header + MSG, framing not counted);
	// 0 means no cap. AppendMessage does not enforce it: see HeaderLen.
	MaxSize int
}

// DefaultOptions returns the options of syslog carriers when none is given.
func DefaultOptions() Options { return Options{Facility: DefaultFacility, AppName: DefaultAppName} }

// Validate reports options that AppendMessage would have to replace.
func (o *Options) Validate() error {
	if o.Format > FormatRaw {
		return fmt.Errorf("unknown syslog format %v", o.Format)
	}
	if o.Facility < 0 || o.Facility >= len(facilityNames) {
		return fmt.Errorf("syslog facility %d out of range 0..23", o.Facility)
	}
	if o.MaxSize < 0 {
		return fmt.Errorf("syslog max size %d is negative", o.MaxSize)
	}
	return nil
}

// Header field caps.
const (
	maxHostname = 255 // RFC 5424 HOSTNAME
	maxAppName  = 48  // RFC 5424 APP-NAME
	maxTag      = 32  // RFC 3164 TAG
)

// Fixed-width parts of the headers.
const (
	stamp5424Len = len("2006-01-02T15:04:05.000000Z")
	stamp3164Len = len("Jan _2 15:04:05")
	// "<" PRI ">1 " TIMESTAMP " " HOSTNAME " " APP-NAME " - - - "
	fixed5424Len = len("<>1 ") + len(" ") + len(" ") + len(" - - - ")
	// "<" PRI ">" TIMESTAMP " " HOSTNAME " " TAG ": "
	fixed3164Len = len("<>") + stamp3164Len + len(" ") + len(" ") + len(": ")
)

// HeaderLen returns the number of bytes AppendMessage writes before the WELF
// record (MSG), so that with opt.MaxSize set the caller can encode the record
// with the cap opt.MaxSize - HeaderLen(rec, opt). It does not depend on
// rec.Line, which the caller has not encoded yet.
func HeaderLen(rec *sink.Record, opt *Options) int {
	switch opt.Format {
	case FormatRaw:
		return 0
	case FormatRFC3164:
		return fixed3164Len + priLen(rec, opt) +
			len(hostname3164(rec, opt)) + min(len(appName(opt)), maxTag)
	default:
		stampLen := stamp5424Len
		if !stampable(rec.Time) {
			stampLen = len("-")
		}
		return fixed5424Len + priLen(rec, opt) + stampLen +
			min(len(hostname(rec, opt)), maxHostname) + min(len(appName(opt)), maxAppName)
	}
}

// AppendMessage appends the syslog message for rec (header and rec.Line) to
// dst. It never truncates; see HeaderLen for how the caller keeps the message
// within opt.MaxSize. An unknown Format is formatted as RFC 5424, an
// out-of-range facility as DefaultFacility and an out-of-range severity as 6
// (informational).
func AppendMessage(dst []byte, rec *sink.Record, opt *Options) []byte {
	switch opt.Format {
	case FormatRaw:
	case FormatRFC3164:
		dst = appendPRI(dst, rec, opt)
		dst = appendStamp3164(dst, rec.Time)
		dst = append(dst, ' ')
		dst = appendHostname3164(dst, hostname3164(rec, opt))
		dst = append(dst, ' ')
		dst = appendField(dst, appName(opt), maxTag, true)
		dst = append(dst, ": "...)
	default:
		dst = appendPRI(dst, rec, opt)
		dst = append(dst, '1', ' ')
		dst = appendStamp5424(dst, rec.Time)
		dst = append(dst, ' ')
		dst = appendHostname5424(dst, hostname(rec, opt))
		dst = append(dst, ' ')
		dst = appendField(dst, appName(opt), maxAppName, false)
		dst = append(dst, " - - - "...) // PROCID, MSGID, STRUCTURED-DATA
	}
	return append(dst, rec.Line...)
}

// AppendFramed appends msg to dst framed as f. An unknown Framing appends msg
// unframed.
func AppendFramed(dst []byte, msg []byte, f Framing) []byte {
	switch f {
	case FramingOctetCounting:
		dst = strconv.AppendInt(dst, int64(len(msg)), 10)
		dst = append(dst, ' ')
		return append(dst, msg...)
	case FramingLF:
		dst = append(dst, msg...)
		return append(dst, '\n')
	default:
		return append(dst, msg...)
	}
}

func pri(rec *sink.Record, opt *Options) int {
	facility, severity := opt.Facility, rec.Severity
	if facility < 0 || facility >= len(facilityNames) {
		facility = DefaultFacility
	}
	if severity < 0 || severity > 7 {
		severity = 6
	}
	return facility*8 + severity
}

func priLen(rec *sink.Record, opt *Options) int {
	switch p := pri(rec, opt); {
	case p < 10:
		return 1
	case p < 100:
		return 2
	default:
		return 3
	}
}

func appendPRI(dst []byte, rec *sink.Record, opt *Options) []byte {
	dst = append(dst, '<')
	dst = strconv.AppendInt(dst, int64(pri(rec, opt)), 10)
	return append(dst, '>')
}

func hostname(rec *sink.Record, opt *Options) string {
	switch {
	case opt.Hostname != "":
		return opt.Hostname
	case rec.Host != "":
		return rec.Host
	case opt.LocalHostname != "":
		return opt.LocalHostname
	default:
		return "-"
	}
}

func appName(opt *Options) string {
	if opt.AppName == "" {
		return DefaultAppName
	}
	return opt.AppName
}

// appendField appends at most limit bytes of s, each byte outside printable
// US-ASCII (and, for an RFC 3164 TAG, each byte that would end the TAG)
// replaced by '_'.
func appendField(dst []byte, s string, limit int, tag bool) []byte {
	s = s[:min(len(s), limit)]
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '!' || c > '~' || tag && (c == ':' || c == '[' || c == ']') {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

// hostname3164 picks the RFC 3164 HOSTNAME as hostname does, skipping
// names that trimHostname3164 leaves empty.
func hostname3164(rec *sink.Record, opt *Options) string {
	if h := trimHostname3164(opt.Hostname); h != "" {
		return h
	}
	if h := trimHostname3164(rec.Host); h != "" {
		return h
	}
	if h := trimHostname3164(opt.LocalHostname); h != "" {
		return h
	}
	return "-"
}

// trimHostname3164 returns at most maxHostname bytes of s without the
// bytes after its last letter or digit. RFC 3164 has no grammar for the
// HOSTNAME: receivers guess it, and rsyslog takes a word that does not end
// in a letter or digit ("evil:", "sshd[1]", "a.", "-") for the TAG, so
// that a record's host would name the program a receiver routes on and
// push the real TAG into the MSG.
func trimHostname3164(s string) string {
	s = s[:min(len(s), maxHostname)]
	for len(s) > 0 && !isAlnum(s[len(s)-1]) {
		s = s[:len(s)-1]
	}
	return s
}

// appendHostname3164 appends h (from hostname3164), each byte but letters,
// digits, '.', '-' and '_' replaced by '_': rsyslog takes a word with any
// other byte (':' as in an IPv6 address, '[', '/', '@') for the TAG too.
func appendHostname3164(dst []byte, h string) []byte {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !isAlnum(c) && c != '.' && c != '-' && c != '_' {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

// appendHostname5424 appends at most maxHostname bytes of an RFC 5424
// HOSTNAME, each byte but letters, digits, '.', '-' and '_' replaced by
// '_', except the colons of an IPv6 address. RFC 5424 allows any printable
// ASCII, but syslog-ng rejects a message whose HOSTNAME holds '[' or a
// colon outside an address ("Error processing log message"), and the
// record would reach its parsers as an error text.
func appendHostname5424(dst []byte, s string) []byte {
	s = s[:min(len(s), maxHostname)]
	ipv6 := false
	if strings.IndexByte(s, ':') >= 0 {
		addr, err := netip.ParseAddr(s)
		ipv6 = err == nil && addr.Zone() == ""
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isAlnum(c) && c != '.' && c != '-' && c != '_' && !(ipv6 && c == ':') {
			c = '_'
		}
		dst = append(dst, c)
	}
	return dst
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// stampable reports whether t fits RFC 5424's four-digit year. The zero Time
// (a record without a time) is not stampable either: the NILVALUE says so
// more honestly than the year 1.
func stampable(t time.Time) bool {
	if t.IsZero() {
		return false
	}
	year := t.UTC().Year()
	return year >= 0 && year <= 9999
}

// appendStamp5424 appends t as 2006-01-02T15:04:05.000000Z in UTC, or the
// NILVALUE when t has no four-digit year.
func appendStamp5424(dst []byte, t time.Time) []byte {
	if !stampable(t) {
		return append(dst, '-')
	}
	t = t.UTC()
	year, month, day := t.Date()
	dst = appendDigits(dst, year, 4)
	dst = append(dst, '-')
	dst = appendDigits(dst, int(month), 2)
	dst = append(dst, '-')
	dst = appendDigits(dst, day, 2)
	dst = append(dst, 'T')
	dst = appendClock(dst, t)
	dst = append(dst, '.')
	dst = appendDigits(dst, t.Nanosecond()/1000, 6)
	return append(dst, 'Z')
}

const months = "JanFebMarAprMayJunJulAugSepOctNovDec"

// appendStamp3164 appends t as "Jan _2 15:04:05" in UTC (RFC 3164 has no
// year and no zone; UTC at least makes the receiver's guess reproducible).
func appendStamp3164(dst []byte, t time.Time) []byte {
	t = t.UTC()
	_, month, day := t.Date()
	dst = append(dst, months[3*(month-1):3*month]...)
	dst = append(dst, ' ')
	if day < 10 {
		dst = append(dst, ' ')
		dst = appendDigits(dst, day, 1)
	} else {
		dst = appendDigits(dst, day, 2)
	}
	dst = append(dst, ' ')
	return appendClock(dst, t)
}

// appendClock appends t's time of day as 15:04:05, as both timestamp
// formats write it.
func appendClock(dst []byte, t time.Time) []byte {
	hour, minute, sec := t.Clock()
	dst = appendDigits(dst, hour, 2)
	dst = append(dst, ':')
	dst = appendDigits(dst, minute, 2)
	dst = append(dst, ':')
	return appendDigits(dst, sec, 2)
}

// appendDigits appends the width lowest decimal digits of the non-negative v,
// zero-padded.
func appendDigits(dst []byte, v, width int) []byte {
	var buf [9]byte
	for i := width - 1; i >= 0; i-- {
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(dst, buf[:width]...)
}
