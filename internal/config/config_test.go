package config

import (
	"strings"
	"testing"
	"time"
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

func TestParseDefaults(t *testing.T) {
	c, err := Parse(props(nil), "gw-host")
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		Destination: Destination{Scheme: "stdout"}, Source: SourceAuto, LogKey: "log", WELFID: "firewall",
		Location: time.Local, CRLF: false, Unparsed: UnparsedEmit, Hostname: "gw-host",
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
		Destination: Destination{Scheme: "file", Path: "/var/log/welf/out.log"}, Source: SourceAirlock,
		LogKey: "message", WELFID: "WebGW", FW: "10.0.0.1", Location: time.UTC, CRLF: false, MaxSize: 8192,
		Unparsed: UnparsedDrop, Hostname: "h",
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
		{"Destination", "ftp://x", `Destination: invalid value "ftp://x": allowed: stdout, file:///absolute/path`},
		{"Destination", "file://relative/path", `Destination: invalid value "file://relative/path": allowed: stdout, file:///absolute/path (an absolute file path, e.g. file:///var/log/welf/airlock.log)`},
		{"Destination", "file:///var/log/", `Destination: invalid value "file:///var/log/": allowed: stdout, file:///absolute/path (an absolute file path, e.g. file:///var/log/welf/airlock.log)`},
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
