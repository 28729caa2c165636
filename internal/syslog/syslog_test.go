package syslog

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/sink"
)

const welfLine = `id=firewall time="2024-03-05 07:08:09" fw=gw1.example.com pri=4 msg="Zugriff verweigert: ä"`

var when = time.Date(2024, 3, 5, 7, 8, 9, 123456789, time.FixedZone("CET", 3600))

func TestAppendMessage(t *testing.T) {
	tests := []struct {
		name string
		rec  sink.Record
		opt  Options
		want string
	}{{
		name: "rfc5424",
		rec:  sink.Record{Time: when, Severity: 4, Host: "gw1.example.com", Line: []byte(welfLine)},
		opt:  Options{Facility: 16},
		want: `<132>1 2024-03-05T06:08:09.123456Z gw1.example.com welfbridge - - - ` + welfLine,
	}, {
		name: "rfc5424 configured hostname and app name",
		rec:  sink.Record{Time: when, Severity: 0, Host: "gw1.example.com", Line: []byte("id=x")},
		opt:  Options{Facility: 0, AppName: "airlock", Hostname: "relay", LocalHostname: "me"},
		want: `<0>1 2024-03-05T06:08:09.123456Z relay airlock - - - id=x`,
	}, {
		name: "rfc5424 local hostname when the record has none",
		rec:  sink.Record{Time: when, Severity: 7, Line: []byte("id=x")},
		opt:  Options{Facility: 23, LocalHostname: "collector"},
		want: `<191>1 2024-03-05T06:08:09.123456Z collector welfbridge - - - id=x`,
	}, {
		name: "rfc5424 nil hostname and nil time",
		rec:  sink.Record{Severity: 6, Line: []byte("id=x")},
		opt:  Options{Facility: 1},
		want: `<14>1 - - welfbridge - - - id=x`,
	}, {
		name: "rfc5424 year beyond 9999 is the nil time",
		rec:  sink.Record{Time: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), Severity: 6, Host: "h", Line: []byte("id=x")},
		opt:  Options{Facility: 1},
		want: `<14>1 - h welfbridge - - - id=x`,
	}, {
		name: "rfc5424 header characters replaced",
		rec:  sink.Record{Time: when, Severity: 3, Host: "gate way\x00ä", Line: []byte("id=x")},
		opt:  Options{Facility: 4, AppName: "app name\t"},
		want: `<35>1 2024-03-05T06:08:09.123456Z gate_way___ app_name_ - - - id=x`,
	}, {
		name: "rfc5424 header fields capped",
		rec:  sink.Record{Time: when, Severity: 6, Host: strings.Repeat("h", 300), Line: []byte("id=x")},
		opt:  Options{Facility: 16, AppName: strings.Repeat("a", 60)},
		want: `<134>1 2024-03-05T06:08:09.123456Z ` + strings.Repeat("h", 255) + ` ` + strings.Repeat("a", 48) + ` - - - id=x`,
	}, {
		name: "rfc5424 out-of-range facility and severity",
		rec:  sink.Record{Time: when, Severity: 9, Host: "h", Line: []byte("id=x")},
		opt:  Options{Facility: 24},
		want: `<134>1 2024-03-05T06:08:09.123456Z h welfbridge - - - id=x`,
	}, {
		name: "rfc5424 empty line",
		rec:  sink.Record{Time: when, Severity: 6, Host: "h"},
		opt:  Options{Facility: 16},
		want: `<134>1 2024-03-05T06:08:09.123456Z h welfbridge - - - `,
	}, {
		name: "rfc3164 day space-padded",
		rec:  sink.Record{Time: when, Severity: 4, Host: "gw1.example.com", Line: []byte(welfLine)},
		opt:  Options{Format: FormatRFC3164, Facility: 16},
		want: `<132>Mar  5 06:08:09 gw1.example.com welfbridge: ` + welfLine,
	}, {
		name: "rfc3164 two-digit day",
		rec:  sink.Record{Time: time.Date(2023, 12, 31, 23, 59, 59, 0, time.UTC), Severity: 2, Host: "h", Line: []byte("id=x")},
		opt:  Options{Format: FormatRFC3164, Facility: 10},
		want: `<82>Dec 31 23:59:59 h welfbridge: id=x`,
	}, {
		name: "rfc3164 tag characters replaced and capped",
		rec:  sink.Record{Time: when, Severity: 6, Host: "h", Line: []byte("id=x")},
		opt:  Options{Format: FormatRFC3164, Facility: 16, AppName: "a:b[1] " + strings.Repeat("c", 40)},
		want: `<134>Mar  5 06:08:09 h a_b_1__` + strings.Repeat("c", 25) + `: id=x`,
	}, {
		name: "rfc3164 nil hostname",
		rec:  sink.Record{Time: when, Severity: 6, Line: []byte("id=x")},
		opt:  Options{Format: FormatRFC3164, Facility: 16},
		want: `<134>Mar  5 06:08:09 - welfbridge: id=x`,
	}, {
		// syslog-ng rejects these (TestHostileSyslogHost).
		name: "rfc5424 hostname with brackets and colons",
		rec:  sink.Record{Time: when, Severity: 6, Host: "sshd[1]:gw:1", Line: []byte("id=x")},
		opt:  Options{Facility: 16},
		want: `<134>1 2024-03-05T06:08:09.123456Z sshd_1__gw_1 welfbridge - - - id=x`,
	}, {
		name: "rfc5424 IPv6 hostname kept",
		rec:  sink.Record{Time: when, Severity: 6, Host: "2001:db8::1", Line: []byte("id=x")},
		opt:  Options{Facility: 16},
		want: `<134>1 2024-03-05T06:08:09.123456Z 2001:db8::1 welfbridge - - - id=x`,
	}, {
		name: "rfc5424 IPv6 literal in brackets and with a zone",
		rec:  sink.Record{Time: when, Severity: 6, Host: "[::1]", Line: []byte("id=x")},
		opt:  Options{Facility: 16, Hostname: "fe80::1%eth0"},
		want: `<134>1 2024-03-05T06:08:09.123456Z fe80__1_eth0 welfbridge - - - id=x`,
	}, {
		// rsyslog would take each of these for the TAG (TestHostileSyslogHost).
		name: "rfc3164 hostname that could pass for a TAG",
		rec:  sink.Record{Time: when, Severity: 6, Host: "sshd[1]", Line: []byte("id=x")},
		opt:  Options{Format: FormatRFC3164, Facility: 16},
		want: `<134>Mar  5 06:08:09 sshd_1 welfbridge: id=x`,
	}, {
		name: "rfc3164 hostname ending in a colon",
		rec:  sink.Record{Time: when, Severity: 6, Host: "evil:", Line: []byte("id=x")},
		opt:  Options{Format: FormatRFC3164, Facility: 16},
		want: `<134>Mar  5 06:08:09 evil welfbridge: id=x`,
	}, {
		name: "rfc3164 IPv6, path and mail-like hostnames",
		rec:  sink.Record{Time: when, Severity: 6, Host: "2001:db8::1/a@b", Line: []byte("id=x")},
		opt:  Options{Format: FormatRFC3164, Facility: 16},
		want: `<134>Mar  5 06:08:09 2001_db8__1_a_b welfbridge: id=x`,
	}, {
		name: "rfc3164 configured hostname likewise",
		rec:  sink.Record{Time: when, Severity: 6, Host: "h", Line: []byte("id=x")},
		opt:  Options{Format: FormatRFC3164, Facility: 16, Hostname: "[::1]"},
		want: `<134>Mar  5 06:08:09 ___1 welfbridge: id=x`,
	}, {
		name: "rfc3164 hostname with nothing rsyslog takes: the next one",
		rec:  sink.Record{Time: when, Severity: 6, Host: "-", Line: []byte("id=x")},
		opt:  Options{Format: FormatRFC3164, Facility: 16, LocalHostname: "relay.", Hostname: "_"},
		want: `<134>Mar  5 06:08:09 relay welfbridge: id=x`,
	}, {
		name: "raw",
		rec:  sink.Record{Time: when, Severity: 4, Host: "gw1.example.com", Line: []byte(welfLine)},
		opt:  Options{Format: FormatRaw, Facility: 16},
		want: welfLine,
	}, {
		name: "unknown format is rfc5424",
		rec:  sink.Record{Time: when, Severity: 6, Host: "h", Line: []byte("id=x")},
		opt:  Options{Format: 7, Facility: 16},
		want: `<134>1 2024-03-05T06:08:09.123456Z h welfbridge - - - id=x`,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prefix := "kept|"
			got := AppendMessage([]byte(prefix), &tt.rec, &tt.opt)
			if string(got) != prefix+tt.want {
				t.Errorf("AppendMessage:\n got %q\nwant %q", got, prefix+tt.want)
			}
			if n := HeaderLen(&tt.rec, &tt.opt); n != len(tt.want)-len(tt.rec.Line) {
				t.Errorf("HeaderLen = %d, want %d", n, len(tt.want)-len(tt.rec.Line))
			}
		})
	}
}

// TestHeaderLenIgnoresLine proves the caller may ask for the header length
// before it has encoded the WELF record.
func TestHeaderLenIgnoresLine(t *testing.T) {
	for _, format := range []Format{FormatRFC5424, FormatRFC3164, FormatRaw} {
		opt := Options{Format: format, Facility: 16}
		short := sink.Record{Time: when, Severity: 6, Host: "h", Line: []byte("id=x")}
		long := short
		long.Line = []byte(welfLine)
		if a, b := HeaderLen(&short, &opt), HeaderLen(&long, &opt); a != b {
			t.Errorf("%v: HeaderLen %d for a short line, %d for a long one", format, a, b)
		}
	}
}

func TestAppendFramed(t *testing.T) {
	tests := []struct {
		framing Framing
		msg     string
		want    string
	}{
		{FramingOctetCounting, "<134>1 - - - - - id=x", "21 <134>1 - - - - - id=x"},
		{FramingOctetCounting, "", "0 "},
		{FramingLF, "<134>1 - - - - - id=x", "<134>1 - - - - - id=x\n"},
		{FramingNone, "<134>1 - - - - - id=x", "<134>1 - - - - - id=x"},
		{Framing(9), "id=x", "id=x"},
	}
	for _, tt := range tests {
		if got := AppendFramed([]byte("kept|"), []byte(tt.msg), tt.framing); string(got) != "kept|"+tt.want {
			t.Errorf("AppendFramed(%q, %v) = %q, want %q", tt.msg, tt.framing, got, "kept|"+tt.want)
		}
	}
}

func TestParseFacility(t *testing.T) {
	const allowed = "want a number 0..23 or one of kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, security, console, solaris-cron, local0, local1, local2, local3, local4, local5, local6, local7"
	tests := []struct {
		in      string
		want    int
		wantErr string
	}{
		{in: "kern", want: 0},
		{in: "user", want: 1},
		{in: "authpriv", want: 10},
		{in: "solaris-cron", want: 15},
		{in: "local0", want: 16},
		{in: "LOCAL7", want: 23},
		{in: "0", want: 0},
		{in: "23", want: 23},
		{in: "07", want: 7},
		{in: "24", wantErr: `unknown syslog facility "24": ` + allowed},
		{in: "-1", wantErr: `unknown syslog facility "-1": ` + allowed},
		{in: "+1", wantErr: `unknown syslog facility "+1": ` + allowed},
		{in: "1a", wantErr: `unknown syslog facility "1a": ` + allowed},
		{in: "local8", wantErr: `unknown syslog facility "local8": ` + allowed},
		{in: "", wantErr: `unknown syslog facility "": ` + allowed},
	}
	for _, tt := range tests {
		got, err := ParseFacility(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseFacility(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFacility(%q) = %d, %v, want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in      string
		want    Format
		wantErr string
	}{
		{in: "rfc5424", want: FormatRFC5424},
		{in: "RFC3164", want: FormatRFC3164},
		{in: "Raw", want: FormatRaw},
		{in: "rfc5425", wantErr: `unknown syslog format "rfc5425": want rfc5424, rfc3164 or raw`},
		{in: "", wantErr: `unknown syslog format "": want rfc5424, rfc3164 or raw`},
	}
	for _, tt := range tests {
		got, err := ParseFormat(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseFormat(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFormat(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseFraming(t *testing.T) {
	tests := []struct {
		in      string
		want    Framing
		wantErr string
	}{
		{in: "octet-counting", want: FramingOctetCounting},
		{in: "LF", want: FramingLF},
		{in: "none", wantErr: `unknown syslog framing "none": want octet-counting or lf`},
		{in: "nul", wantErr: `unknown syslog framing "nul": want octet-counting or lf`},
	}
	for _, tt := range tests {
		got, err := ParseFraming(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("ParseFraming(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseFraming(%q) = %v, %v, want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		opt     Options
		wantErr string
	}{
		{opt: Options{Format: FormatRaw, Facility: 23, MaxSize: 0}},
		{opt: Options{Format: 3, Facility: 16}, wantErr: "unknown syslog format Format(3)"},
		{opt: Options{Facility: 24}, wantErr: "syslog facility 24 out of range 0..23"},
		{opt: Options{Facility: -1}, wantErr: "syslog facility -1 out of range 0..23"},
		{opt: Options{Facility: 16, MaxSize: -5}, wantErr: "syslog max size -5 is negative"},
	}
	for _, tt := range tests {
		err := tt.opt.Validate()
		if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.opt, err, tt.wantErr)
		}
	}
}

func TestDefaultMaxSize(t *testing.T) {
	tests := []struct {
		format Format
		stream bool
		want   int
	}{
		{FormatRFC5424, false, 2048},
		{FormatRFC5424, true, 8192},
		{FormatRFC3164, false, 1024},
		{FormatRFC3164, true, 1024},
		{FormatRaw, false, 2048},
		{FormatRaw, true, 8192},
	}
	for _, tt := range tests {
		if got := DefaultMaxSize(tt.format, tt.stream); got != tt.want {
			t.Errorf("DefaultMaxSize(%v, %v) = %d, want %d", tt.format, tt.stream, got, tt.want)
		}
	}
}

func TestStrings(t *testing.T) {
	tests := []struct{ got, want string }{
		{FormatRFC5424.String(), "rfc5424"},
		{FormatRFC3164.String(), "rfc3164"},
		{FormatRaw.String(), "raw"},
		{Format(5).String(), "Format(5)"},
		{FramingOctetCounting.String(), "octet-counting"},
		{FramingLF.String(), "lf"},
		{FramingNone.String(), "none"},
		{Framing(5).String(), "Framing(5)"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

// FuzzHeaderLen checks that HeaderLen is exact for any header input and that
// the header never contains a byte a receiver would take for a delimiter.
func FuzzHeaderLen(f *testing.F) {
	f.Add(uint8(0), 16, 6, "gw1", "", "", int64(1709618889), int64(123456789))
	f.Add(uint8(1), 23, 7, "", "app:[x]", "", int64(0), int64(0))
	f.Add(uint8(2), 0, -1, "h h", "a\x00b", "relay", int64(-62135596800), int64(0))
	f.Add(uint8(1), 16, 6, "sshd[1]", "", "", int64(1709618889), int64(0))
	f.Add(uint8(0), 16, 6, "gw:1[x]", "", "", int64(1709618889), int64(0))
	f.Fuzz(func(t *testing.T, format uint8, facility, severity int, host, app, hostname string, sec, nsec int64) {
		rec := sink.Record{Time: time.Unix(sec, nsec), Severity: severity, Host: host, Line: []byte("id=x")}
		opt := Options{Format: Format(format), Facility: facility, AppName: app, Hostname: hostname}
		msg := AppendMessage(nil, &rec, &opt)
		n := HeaderLen(&rec, &opt)
		if n != len(msg)-len(rec.Line) {
			t.Fatalf("HeaderLen = %d, message %q has a %d-byte header", n, msg, len(msg)-len(rec.Line))
		}
		for _, c := range msg[:n] {
			if c < ' ' || c > '~' {
				t.Fatalf("header %q holds byte %#x", msg[:n], c)
			}
		}
		if opt.Format != FormatRFC3164 && opt.Format != FormatRaw {
			// syslog-ng takes the HOSTNAME for one: host-name bytes, and
			// colons only in an IPv6 address.
			fields := strings.SplitN(string(msg[:n]), " ", 4)
			host := fields[2]
			if _, err := netip.ParseAddr(host); err != nil && strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != "" {
				t.Fatalf("RFC 5424 header %q: HOSTNAME %q", msg[:n], host)
			}
		}
		if opt.Format == FormatRFC3164 {
			// A HOSTNAME is one word of host-name bytes ending in a letter
			// or digit, else rsyslog takes it for the TAG.
			// "-" only when no name has a letter or digit.
			host, _, _ := strings.Cut(string(msg[bytes.IndexByte(msg, '>')+1+stamp3164Len+1:n]), " ")
			if host != "-" && (!isAlnum(host[len(host)-1]) || strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_") != "") {
				t.Fatalf("RFC 3164 header %q: HOSTNAME %q", msg[:n], host)
			}
		}
	})
}

func BenchmarkAppendMessage(b *testing.B) {
	line := []byte(`id=firewall time="2024-03-05 07:08:09" fw=gw1.example.com pri=6 proto=https src=192.0.2.10 srcport=51234 dst=198.51.100.7 dstport=443 user=alice op=GET arg="/portal/api/v2/accounts/12345/transactions?from=2024-03-01&to=2024-03-05" result=200 sent=1532 rcvd=48213 duration=0.182 agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36" ref=https://portal.example.com/`)
	rec := sink.Record{Time: when, Severity: 6, Host: "gw1.example.com", Line: line}
	for _, bc := range []struct {
		name    string
		format  Format
		framing Framing
	}{
		{"rfc5424-octet", FormatRFC5424, FramingOctetCounting},
		{"rfc3164-lf", FormatRFC3164, FramingLF},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opt := Options{Format: bc.format, Facility: DefaultFacility}
			var msg, framed []byte
			b.ReportAllocs()
			b.SetBytes(int64(len(line)))
			for b.Loop() {
				msg = AppendMessage(msg[:0], &rec, &opt)
				framed = AppendFramed(framed[:0], msg, bc.framing)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
		})
	}
}
