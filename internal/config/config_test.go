package config

import (
	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/forward"
	"github.com/welfbridge/welfbridge/internal/mwgjoin"
	"github.com/welfbridge/welfbridge/internal/transport"
	"strings"
	"testing"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlockjoin"
	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/mwg"
	"github.com/welfbridge/welfbridge/internal/syslog"
)

// props returns a Getter over m with Fluent Bit's case-insensitive lookup.
func props(m map[string]string) Getter {
	return func(key string) string {
		for k, v := range m {
			if strings.EqualFold(k, key) {
				return v
			}
		}
		return ""
	}
}

var defaultDelivery = delivery.Options{QueueMaxBytes: 16 << 20, SpoolMaxBytes: 256 << 20, ShutdownTimeout: 5 * time.Second, StatsInterval: time.Minute, AdmitWait: 30 * time.Second}

// defaultMWG is the default MWG settings with trace times in loc.
func defaultMWG(loc *time.Location) MWG {
	return MWG{PathKey: "file", Join: mwgjoin.Config{
		Stream:      mwg.Options{MarkerMode: mwg.MarkerAuto, MaxHeaderBytes: 64 << 10, TimestampPrefix: true, Location: loc},
		IdleTimeout: time.Minute, MaxConnections: 10000, MaxBytes: 64 << 20,
	}}
}

var defaultCorrelation = Correlation{Enabled: true, Join: airlockjoin.Config{Timeout: 30 * time.Second, SessionTimeout: time.Hour, MaxPending: 100000, MaxPendingBytes: 64 << 20}}

// defaultSyslog is the default syslog settings on a machine named host.
func defaultSyslog(host string) syslog.Options {
	return syslog.Options{Format: syslog.FormatRFC5424, Facility: 16, AppName: "welfbridge", LocalHostname: host}
}

func TestParseDefaults(t *testing.T) {
	c, err := Parse(props(nil), "gw-host")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Destination: DestinationURL{Scheme: "stdout"}, Source: SourceAuto, LogKey: "log", WELFID: "firewall",
		Location: time.Local, CRLF: false, Unparsed: UnparsedEmit, Hostname: "gw-host",
		Syslog: defaultSyslog("gw-host"), Framing: syslog.FramingOctetCounting, TLS: transport.TLSOptions{}, Forward: forward.Config{Tag: "welf"},
		Delivery: defaultDelivery, MWG: defaultMWG(time.Local), Correlation: defaultCorrelation,
	}
	if *c != want {
		t.Errorf("defaults:\n got %+v\nwant %+v", *c, want)
	}
}

func TestParseValues(t *testing.T) {
	c, err := Parse(props(map[string]string{
		"destination": "file:///var/log/welf/out.log", "SOURCE": "Airlock", "log_key": "message",
		"WELF_Id": "WebGW", "fw": "10.0.0.1", "Time_Zone": "utc", "Line_Ending": "LF", "Max_Size": "8K",
		"Unparsed_Records": "drop",
	}), "h")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Destination: DestinationURL{Scheme: "file", Path: "/var/log/welf/out.log"}, Source: SourceAirlock,
		LogKey: "message", WELFID: "WebGW", FW: "10.0.0.1", Location: time.UTC, CRLF: false, MaxSize: 8192,
		Unparsed: UnparsedDrop, Hostname: "h",
		Syslog: func() syslog.Options { s := defaultSyslog("h"); s.MaxSize = 8192; return s }(), Framing: syslog.FramingOctetCounting,
		TLS: transport.TLSOptions{}, Forward: forward.Config{Tag: "welf"}, Delivery: defaultDelivery, MWG: defaultMWG(time.UTC), Correlation: defaultCorrelation,
	}
	if *c != want {
		t.Errorf("got %+v\nwant %+v", *c, want)
	}
}

func TestFileDestinationDefaultsToCRLF(t *testing.T) {
	c, err := Parse(props(map[string]string{"Destination": "file:///tmp/x.welf"}), "h")
	if err != nil {
		t.Fatal(err)
	}
	if !c.CRLF {
		t.Error("file destination: want CRLF by default")
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		key, val, want string
	}{
		{"Destination", "ftp://x", `Destination: invalid value "ftp://x": ` + destinationsAllowed},
		{"Destination", "file://relative/path", `Destination: invalid value "file://relative/path": allowed: file:///absolute/path (an absolute file path, e.g. file:///var/log/welf/airlock.log)`},
		{"Destination", "file:///var/log/", `Destination: invalid value "file:///var/log/": allowed: file:///absolute/path (an absolute file path, e.g. file:///var/log/welf/airlock.log)`},
		{"Destination", "tcp://:514", `Destination: invalid value "tcp://:514": allowed: tcp://host[:port] with a host name or address and a port from 1 to 65535 (default 514)`},
		{"Destination", "udp://siem:70000", `Destination: invalid value "udp://siem:70000": allowed: udp://host[:port] with a host name or address and a port from 1 to 65535 (default 514)`},
		{"Destination", "forward://fb/path", `Destination: invalid value "forward://fb/path": allowed: forward://host[:port] with a host name or address and a port from 1 to 65535 (default 24224)`},
		{"Syslog_Format", "cef", `Syslog_Format: invalid value "cef": allowed: rfc5424, rfc3164, raw`},
		{"Syslog_Facility", "local9", `Syslog_Facility: invalid value "local9": allowed: a number from 0 to 23 or a name: kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, ntp, security, console, solaris-cron, local0 … local7`},
		{"Syslog_Appname", "two words", `Syslog_Appname: invalid value "two words": allowed: 1 to 48 printable ASCII characters without spaces`},
		{"Framing", "lf", `Framing: invalid value "lf": framing applies only to tcp:// and tls:// destinations`},
		{"TLS_CA_File", "/etc/ca.pem", `TLS_CA_File: invalid value "/etc/ca.pem": TLS settings apply only to tls://, relp+tls:// and forward+tls:// destinations`},
		{"TLS_Verify", "maybe", `TLS_Verify: invalid value "maybe": allowed: on, off`},
		{"Spool_Dir", "/var/spool/welf", `Spool_Dir: invalid value "/var/spool/welf": applies only to network destinations (udp, tcp, tls, relp, forward)`},
		{"Shutdown_Timeout", "soon", "Shutdown_Timeout: invalid value \"soon\": allowed: a duration such as 500ms, 30s, 5m or 1h, or a whole number of seconds\n" +
			"Shutdown_Timeout: invalid value \"soon\": applies only to network destinations (udp, tcp, tls, relp, forward)"},
		{"Marker_Mode", "arrows", `Marker_Mode: invalid value "arrows": allowed: auto, region, direction`},
		{"Max_Header_Bytes", "1K", `Max_Header_Bytes: invalid value "1K": allowed: at least 8K`},
		{"Max_Connections", "10K", `Max_Connections: invalid value "10K": allowed: a positive whole number`},
		{"Max_Pending_Bytes", "lots", `Max_Pending_Bytes: invalid value "lots": allowed: a whole number of bytes, optionally with a K, M or G suffix`},
		{"Max_Pending_Bytes", "0", `Max_Pending_Bytes: invalid value "0": allowed: a positive number of bytes, optionally with a K, M or G suffix`},
		{"Correlation_Clock", "sundial", `Correlation_Clock: invalid value "sundial": allowed: record, wall`},
		{"Correlate", "sometimes", `Correlate: invalid value "sometimes": allowed: on, off`},
		{"Conntrace", "maybe", `Conntrace: invalid value "maybe": allowed: auto, on, off`},
		{"State_File", "state.bin", `State_File: invalid value "state.bin": allowed: an absolute file path`},
		{"Forward_Tag", "x", `Forward_Tag: invalid value "x": applies only to forward:// and forward+tls:// destinations`},
		{"Forward_Require_Ack", "on", `Forward_Require_Ack: invalid value "on": applies only to forward:// and forward+tls:// destinations`},
		{"Forward_Shared_Key", "secret", `Forward_Shared_Key: invalid value "(hidden)": applies only to forward:// and forward+tls:// destinations`},
		{"Source", "syslog", `Source: invalid value "syslog": allowed: auto, airlock, mwg`},
		{"Log_Key", "my key", `Log_Key: invalid value "my key": allowed: a record key without spaces or quotes`},
		{"WELF_Id", "fire wall", `WELF_Id: invalid value "fire wall": allowed: 1 to 64 printable ASCII characters without spaces or quotes`},
		{"FW", `gw"1`, `FW: invalid value "gw\"1": allowed: a host name or address (printable ASCII without spaces or quotes, at most 255 characters)`},
		{"Time_Zone", "Mars/Olympus", `Time_Zone: invalid value "Mars/Olympus": allowed: local, UTC, or an IANA zone name known to this system (e.g. Europe/Zurich)`},
		{"Line_Ending", "cr", `Line_Ending: invalid value "cr": allowed: crlf, lf`},
		{"Max_Size", "-5", `Max_Size: invalid value "-5": allowed: a whole number of bytes, optionally with a K, M or G suffix`},
		{"Max_Size", "12X", `Max_Size: invalid value "12X": allowed: a whole number of bytes, optionally with a K, M or G suffix`},
		{"Unparsed_Records", "keep", `Unparsed_Records: invalid value "keep": allowed: emit, drop`},
	}
	for _, tt := range tests {
		t.Run(tt.key+"="+tt.val, func(t *testing.T) {
			_, err := Parse(props(map[string]string{tt.key: tt.val}), "h")
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

func TestParseForward(t *testing.T) {
	tests := []struct {
		name  string
		props map[string]string
		want  forward.Config
		err   string
	}{
		{"defaults", map[string]string{}, forward.Config{Tag: "welf", Auth: forward.Auth{SelfHostname: "h"}}, ""},
		{"shared key", map[string]string{"Forward_Shared_Key": " s3cret ", "Forward_Self_Hostname": "gw-collector"},
			forward.Config{Tag: "welf", Auth: forward.Auth{SharedKey: "s3cret", SelfHostname: "gw-collector"}}, ""},
		{"user", map[string]string{"Forward_Shared_Key": "k", "Forward_Username": "welf", "Forward_Password": "p w"},
			forward.Config{Tag: "welf", Auth: forward.Auth{SharedKey: "k", SelfHostname: "h", Username: "welf", Password: "p w"}}, ""},
		{"user without password", map[string]string{"Forward_Username": "welf"}, forward.Config{},
			`Forward_Username: invalid value "welf": Forward_Username and Forward_Password go together`},
		{"password without user", map[string]string{"Forward_Password": "p"}, forward.Config{},
			`Forward_Password: invalid value "(hidden)": Forward_Username and Forward_Password go together`},
		{"gzip", map[string]string{"Forward_Compress": "GZIP"}, forward.Config{Tag: "welf", Gzip: true, Auth: forward.Auth{SelfHostname: "h"}}, ""},
		{"unknown compression", map[string]string{"Forward_Compress": "zstd"}, forward.Config{}, `Forward_Compress: invalid value "zstd": allowed: off, gzip`},
		{"hostname with a space", map[string]string{"Forward_Self_Hostname": "gw 1"}, forward.Config{},
			`Forward_Self_Hostname: invalid value "gw 1": allowed: 1 to 255 printable ASCII characters without spaces`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.props["Destination"] = "forward://127.0.0.1"
			c, err := Parse(props(tt.props), "h")
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("got  %v\nwant %s", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Forward != tt.want {
				t.Errorf("got  %+v\nwant %+v", c.Forward, tt.want)
			}
		})
	}
}

func TestParseReportsEveryBadKey(t *testing.T) {
	_, err := Parse(props(map[string]string{"Source": "x", "Line_Ending": "y"}), "h")
	want := "Source: invalid value \"x\": allowed: auto, airlock, mwg\nLine_Ending: invalid value \"y\": allowed: crlf, lf"
	if err == nil || err.Error() != want {
		t.Errorf("got  %v\nwant %s", err, want)
	}
}

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"0", 0, true}, {"2048", 2048, true}, {"64K", 65536, true}, {"64k", 65536, true},
		{"16M", 16 << 20, true}, {"1G", 1 << 30, true}, {"", 0, false}, {"K", 0, false},
		{"1.5M", 0, false}, {"-1", 0, false}, {"2000G", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestNetworkDestinations(t *testing.T) {
	tests := []struct {
		props   map[string]string
		dest    DestinationURL
		maxSize int
		syslog  syslog.Options
		framing syslog.Framing
	}{
		{map[string]string{"Destination": "udp://siem.example.com"}, DestinationURL{Scheme: "udp", Address: "siem.example.com:514"}, 2048,
			syslog.Options{Format: syslog.FormatRFC5424, Facility: 16, AppName: "welfbridge"}, syslog.FramingNone},
		{map[string]string{"Destination": "TCP://10.1.2.3:1514", "Framing": "lf", "Syslog_Format": "rfc3164", "Syslog_Facility": "auth"}, DestinationURL{Scheme: "tcp", Address: "10.1.2.3:1514"}, 1024,
			syslog.Options{Format: syslog.FormatRFC3164, Facility: 4, AppName: "welfbridge"}, syslog.FramingLF},
		{map[string]string{"Destination": "tls://[2001:db8::1]", "Syslog_Appname": "gw", "Syslog_Hostname": "proxy-1"}, DestinationURL{Scheme: "tls", Address: "[2001:db8::1]:6514"}, 8192,
			syslog.Options{Format: syslog.FormatRFC5424, Facility: 16, AppName: "gw", Hostname: "proxy-1"}, syslog.FramingOctetCounting},
		{map[string]string{"Destination": "relp+tls://siem", "Max_Size": "4K"}, DestinationURL{Scheme: "relp+tls", Address: "siem:2514"}, 4096, defaultSyslog(""), syslog.FramingOctetCounting},
		{map[string]string{"Destination": "forward://127.0.0.1"}, DestinationURL{Scheme: "forward", Address: "127.0.0.1:24224"}, 0, defaultSyslog(""), syslog.FramingOctetCounting},
	}
	for _, tt := range tests {
		c, err := Parse(props(tt.props), "h")
		if err != nil {
			t.Errorf("%v: %v", tt.props, err)
			continue
		}
		tt.syslog.LocalHostname, tt.syslog.MaxSize = "h", tt.maxSize
		if c.Destination != tt.dest || c.MaxSize != tt.maxSize || c.Syslog != tt.syslog || c.Framing != tt.framing {
			t.Errorf("%v:\n got %+v max %d %+v %v\nwant %+v max %d %+v %v", tt.props, c.Destination, c.MaxSize, c.Syslog, c.Framing, tt.dest, tt.maxSize, tt.syslog, tt.framing)
		}
	}
}

func TestTLSSettings(t *testing.T) {
	c, err := Parse(props(map[string]string{"Destination": "tls://siem", "TLS_CA_File": "/etc/ca.pem", "TLS_Cert_File": "/etc/c.pem",
		"TLS_Key_File": "/etc/k.pem", "TLS_Server_Name": "siem.example.com", "TLS_Verify": "off"}), "h")
	if err != nil {
		t.Fatal(err)
	}
	want := transport.TLSOptions{CAFile: "/etc/ca.pem", CertFile: "/etc/c.pem", KeyFile: "/etc/k.pem", ServerName: "siem.example.com", SkipVerify: true}
	if c.TLS != want {
		t.Errorf("got %+v want %+v", c.TLS, want)
	}
	_, err = Parse(props(map[string]string{"Destination": "tls://siem", "TLS_Cert_File": "/etc/c.pem"}), "h")
	if want := `TLS_Cert_File: invalid value "/etc/c.pem": a client certificate needs both TLS_Cert_File and TLS_Key_File`; err == nil || err.Error() != want {
		t.Errorf("got %v want %s", err, want)
	}
	_, err = Parse(props(map[string]string{"Destination": "udp://siem", "Max_Size": "0"}), "h")
	if want := `Max_Size: invalid value "0": a UDP message must fit in one datagram: 1 to 65507 bytes`; err == nil || err.Error() != want {
		t.Errorf("got %v want %s", err, want)
	}
}

func TestDeliverySettings(t *testing.T) {
	c, err := Parse(props(map[string]string{"Destination": "tcp://siem", "Queue_Max_Bytes": "1M", "Spool_Dir": "/var/spool/welf",
		"Spool_Max_Bytes": "2G", "Spool_Fsync": "always", "Shutdown_Timeout": "10", "Stats_Interval": "0", "Flush_Wait": "0"}), "h")
	if err != nil {
		t.Fatal(err)
	}
	want := delivery.Options{QueueMaxBytes: 1 << 20, SpoolDir: "/var/spool/welf", SpoolMaxBytes: 2 << 30, SpoolFsync: delivery.FsyncAlways,
		ShutdownTimeout: 10 * time.Second, StatsInterval: -1}
	if c.Delivery != want {
		t.Errorf("got %+v want %+v", c.Delivery, want)
	}
	_, err = Parse(props(map[string]string{"Destination": "tcp://siem", "Spool_Dir": "spool", "Spool_Fsync": "sometimes"}), "h")
	want2 := "Spool_Fsync: invalid value \"sometimes\": allowed: always, interval, off\nSpool_Dir: invalid value \"spool\": allowed: an absolute directory path"
	if err == nil || err.Error() != want2 {
		t.Errorf("got %v\nwant %s", err, want2)
	}
}

func TestMWGSettings(t *testing.T) {
	c, err := Parse(props(map[string]string{"Source": "mwg", "Path_Key": "path", "Offset_Key": "offset", "Marker_Mode": "region",
		"Idle_Timeout": "2m", "Max_Connections": "500", "Max_Header_Bytes": "16K", "Max_Pending_Bytes": "8M", "Correlation_Clock": "record"}), "h")
	if err != nil {
		t.Fatal(err)
	}
	want := MWG{PathKey: "path", OffsetKey: "offset", Join: mwgjoin.Config{
		Stream:      mwg.Options{MarkerMode: mwg.MarkerRegion, MaxHeaderBytes: 16 << 10, TimestampPrefix: true, Location: time.Local},
		IdleTimeout: 2 * time.Minute, MaxConnections: 500, MaxBytes: 8 << 20, Clock: correlate.ClockRecord,
	}}
	if c.MWG != want {
		t.Errorf("got %+v\nwant %+v", c.MWG, want)
	}
}

func TestCorrelationSettings(t *testing.T) {
	c, err := Parse(props(map[string]string{"Correlate": "on", "Correlation_Timeout": "10s", "Session_Timeout": "15m", "Max_Pending": "5000",
		"Max_Pending_Bytes": "16M", "Conntrace": "off", "State_File": "/var/lib/welf/state", "Correlation_Clock": "wall", "Correlation_Linger": "2s"}), "h")
	if err != nil {
		t.Fatal(err)
	}
	want := Correlation{Enabled: true, StateFile: "/var/lib/welf/state", Join: airlockjoin.Config{Timeout: 10 * time.Second, SessionTimeout: 15 * time.Minute,
		MaxPending: 5000, MaxPendingBytes: 16 << 20, Conntrace: airlockjoin.ConntraceOff, Clock: correlate.ClockWall, Linger: 2 * time.Second}}
	if c.Correlation != want {
		t.Errorf("got %+v\nwant %+v", c.Correlation, want)
	}
}

// TestSettingsReadOnce: every key has one row in the key table, so that a
// value is parsed and reported once, and none is a key Fluent Bit's core
// consumes (those never reach the plugin).
func TestSettingsReadOnce(t *testing.T) {
	seen := map[string]bool{strings.ToLower(KeyDestination): true}
	for _, s := range settings {
		k := strings.ToLower(s.key)
		if seen[k] {
			t.Errorf("%s has two rows", s.key)
		}
		seen[k] = true
		if k == "host" || k == "port" || k == "workers" || k == "match" || k == "retry_limit" ||
			strings.HasPrefix(k, "tls.") || k == "tls" || strings.HasPrefix(k, "net.") {
			t.Errorf("%s is a key of Fluent Bit's core", s.key)
		}
	}
}
