package test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/welfbridge/welfbridge/internal/welf"
)

// TestAirlockSample runs the bundled sample — plain JSON lines, lines behind
// an "<ISO time> <host> " prefix and behind a syslog header — through the
// plugin into a file, and checks every byte.
func TestAirlockSample(t *testing.T) {
	out := filepath.Join(t.TempDir(), "airlock.welf")
	r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination file://"+out, "Time_Zone UTC", single))
	got := readOutput(t, out)
	golden(t, "airlock_sample.welf", got)
	assertStrictWELF(t, got, "\r\n")
	if want := "[ info] [output:welf:welf.0] exit: events=7 written=7 unparsed=0 malformed=0 truncated=0"; !contains(stderrLines(r.stderr), want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
}

// TestAirlockParsedMap feeds the same records as maps (Fluent Bit's json
// parser ran on bare JSON lines) and a Kibana export document, and expects
// the same WELF as from the raw lines.
func TestAirlockParsedMap(t *testing.T) {
	dir := t.TempDir()
	parsers := filepath.Join(dir, "parsers.conf")
	if err := os.WriteFile(parsers, []byte("[PARSER]\n    Name json\n    Format json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bare := filepath.Join(dir, "bare.log")
	if err := os.WriteFile(bare, []byte(strings.Join(bareJSONLines(t), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "parsed.welf")
	mustRun(t, "[SERVICE]\n    parsers_file "+parsers+"\n"+
		tailInput("airlock", bare, "Parser json")+
		welfOutput("*", "Destination file://"+out, "Time_Zone UTC", single))
	golden(t, "airlock_sample.welf", readOutput(t, out))

	kibana := filepath.Join(dir, "kibana.welf")
	mustRun(t, tailInput("k", fixture("airlock/kibana.json"))+
		welfOutput("*", "Destination file://"+kibana, "Time_Zone UTC", single, "Line_Ending lf"))
	golden(t, "airlock_kibana.welf", readOutput(t, kibana))
}

// bareJSONLines returns the sample's records as bare JSON objects.
func bareJSONLines(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(fixture("airlock/sample.log"))
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		lines = append(lines, l[strings.IndexByte(l, '{'):])
	}
	return lines
}

// TestSeveralInstances runs two instances with different settings side by
// side, each with its own destination, on the same input.
func TestSeveralInstances(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.welf"), filepath.Join(dir, "b.welf")
	r := mustRun(t, tailInput("airlock", fixture("airlock/sample.log"))+
		welfOutput("airlock", "Destination file://"+a, "Time_Zone UTC", single, "WELF_Id WebGW")+
		welfOutput("airlock", "Destination file://"+b, "Time_Zone Europe/Zurich", "FW proxy-dmz", "Line_Ending lf", "workers 2", single))
	golden(t, "instances_a.welf", readOutput(t, a))
	golden(t, "instances_b.welf", readOutput(t, b))
	for _, inst := range []string{"welf.0", "welf.1"} {
		want := "[ info] [output:welf:" + inst + "] exit: events=7 written=7 unparsed=0 malformed=0 truncated=0"
		if !contains(stderrLines(r.stderr), want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// TestWorkersFlushConcurrently sends many small chunks to an instance with
// three flush workers: every record arrives exactly once.
func TestWorkersFlushConcurrently(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "many.log")
	var lines []string
	for i := 0; i < 3000; i++ {
		lines = append(lines, fmt.Sprintf(`{"log_id":"WR-SG-SUMMARY","host":"gw01","req_id":"req%06d","http_method":"GET","entry_path":"/p/%d","http_status":"200","client_ip":"198.51.100.%d"}`, i, i, i%250))
	}
	if err := os.WriteFile(in, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.welf")
	mustRun(t, tailInput("a", in)+welfOutput("*", "Destination file://"+out, "Time_Zone UTC", single, "Line_Ending lf", "workers 3"),
		"--chunk-records", "7")
	got := strings.Split(strings.TrimSuffix(readOutput(t, out), "\n"), "\n")
	want := make([]string, len(lines))
	for i := range lines {
		want[i] = fmt.Sprintf(`id=firewall time="2024-03-05 08:00:00" fw=gw01 pri=6 src=198.51.100.%d op=GET arg=/p/%d result=200 log_id=WR-SG-SUMMARY req_id=req%06d`, i%250, i, i)
	}
	// Workers flush chunks concurrently, so only the set of records is fixed.
	sort.Strings(got)
	sort.Strings(want)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("got %d records, want %d; first difference:\n%s", len(got), len(want), firstDiff(got, want))
	}
}

func firstDiff(got, want []string) string {
	for i := range got {
		if i >= len(want) || got[i] != want[i] {
			w := "(none)"
			if i < len(want) {
				w = want[i]
			}
			return " got " + got[i] + "\nwant " + w
		}
	}
	return "missing " + want[len(got)]
}

// TestInvalidConfigurationFailsInit: a bad value fails FLBPluginInit with a
// message naming the key and what is allowed, and the host aborts startup.
func TestInvalidConfigurationFailsInit(t *testing.T) {
	tests := []struct{ prop, want string }{
		{"Source syslog", `Source: invalid value "syslog": allowed: auto, airlock, mwg`},
		{"Destination udp:/x", `Destination: invalid value "udp:/x": allowed: udp://host[:port] with a host name or address and a port from 1 to 65535 (default 514)`},
		{"Line_Ending cr", `Line_Ending: invalid value "cr": allowed: crlf, lf`},
		{"Destination file:///nonexistent-dir/out.welf", `[error] [output:welf:welf.0] file destination: open /nonexistent-dir/out.welf: no such file or directory`},
	}
	for _, tt := range tests {
		t.Run(tt.prop, func(t *testing.T) {
			r := runHarness(t, tailInput("a", fixture("airlock/sample.log"))+welfOutput("*", tt.prop))
			if r.exit != 1 {
				t.Fatalf("exit %d, want 1 (Init must fail)\nstderr:\n%s", r.exit, r.stderr)
			}
			lines := stderrLines(r.stderr)
			if !contains(lines, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.stderr)
			}
			if strings.Contains(r.stdout, "id=") {
				t.Errorf("records were written although Init failed:\n%s", r.stdout)
			}
		})
	}
}

// TestBadRecords mixes records that cannot be decoded with good ones: each
// bad one is counted and reported with its reason, forwarded as an
// "unparsed" WELF record (or dropped, if configured), and the rest of the
// chunk goes on.
func TestBadRecords(t *testing.T) {
	for _, mode := range []string{"emit", "drop"} {
		t.Run(mode, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "out.welf")
			r := mustRun(t, tailInput("airlock", fixture("airlock/bad.log"))+
				welfOutput("*", "Destination file://"+out, "Time_Zone UTC", single, "Line_Ending lf", "FW gw-test", "Unparsed_Records "+mode))
			golden(t, "bad_"+mode+".welf", readOutput(t, out))
			golden(t, "bad_"+mode+".log", strings.Join(pluginLines(r.stderr), "\n")+"\n")
		})
	}
}

// pluginLines returns the plugin's warning, error and exit lines, without timestamps.
func pluginLines(stderr string) []string {
	var out []string
	for _, l := range stderrLines(stderr) {
		if strings.HasPrefix(l, "[ warn] [output:welf") || strings.HasPrefix(l, "[error] [output:welf") || strings.Contains(l, "] exit: ") {
			out = append(out, l)
		}
	}
	return out
}

// TestHostileValues: values crafted to break WELF parsers change no other
// field, checked with the strict decoder and with Lire's parse regex.
func TestHostileValues(t *testing.T) {
	hostile := map[string]string{
		"http_user_agent": `x" src=6.6.6.6 user=admin`,
		"http_referrer":   "line1\r\nid=firewall pri=0\x00end",
		"message":         "bad \xff\xfe utf8 \\ and \" quotes pri=0",
		"entry_path":      "/" + strings.Repeat("A", 100_000),
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "hostile.log")
	line := `{"log_id":"WR-SG-BLOCK-110-01","host":"gw01","priority":"warning","client_ip":"198.51.100.23","req_id":"R1","http_method":"GET"`
	keys := make([]string, 0, len(hostile))
	for k := range hostile {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line += fmt.Sprintf(",%q:%s", k, jsonString(hostile[k]))
	}
	line += "}\n"
	if err := os.WriteFile(in, []byte(line), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.welf")
	mustRun(t, tailInput("a", in)+welfOutput("*", "Destination file://"+out, "Time_Zone UTC", single))
	got := readOutput(t, out)
	if strings.Count(got, "\r\n") != 1 || !strings.HasSuffix(got, "\r\n") {
		t.Fatalf("want exactly one CRLF-terminated record, got %q", got)
	}
	fields, err := welf.Decode([]byte(strings.TrimSuffix(got, "\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	want := []welf.Field{
		f("id", "firewall"), f("time", "2024-03-05 08:00:00"), f("fw", "gw01"), f("pri", "4"),
		f("src", "198.51.100.23"), f("op", "GET"), f("arg", hostile["entry_path"]),
		f("cat_action", "block"), f("msg", hostile["message"]), f("ref", hostile["http_referrer"]),
		f("agent", hostile["http_user_agent"]), f("log_id", "WR-SG-BLOCK-110-01"), f("req_id", "R1"),
	}
	if fmt.Sprint(fields) != fmt.Sprint(want) {
		t.Errorf("strict decoder:\n got %q\nwant %q", fields, want)
	}
	// Lire::WELF (welf.md §3.1) must see the same fields, none injected.
	lire := lireParse(strings.TrimSuffix(got, "\r\n"))
	for _, f := range want {
		if f.Key == "msg" || f.Key == "ref" || f.Key == "agent" {
			continue // Lire does not unescape; only the other fields must be intact
		}
		if lire[f.Key] != f.Value && !(f.Key == "time") {
			t.Errorf("Lire sees %s=%q, want %q", f.Key, lire[f.Key], f.Value)
		}
	}
	if len(lire) != len(want) {
		t.Errorf("Lire sees %d fields, want %d: %q", len(lire), len(want), lire)
	}
}

// f is a WELF field, for tables of expected fields.
func f(key, value string) welf.Field { return welf.Field{Key: key, Value: value} }

// jsonString encodes s as a JSON string, keeping invalid UTF-8 bytes as
// \u00XX escapes would change them; Airlock writes raw bytes, so do we.
func jsonString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20:
			fmt.Fprintf(&b, `\u%04x`, c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// lireRE is Lire::WELF's field regex (welf.md §3.1).
var lireRE = regexp.MustCompile(`\b(\w+)=(?:"(.*?)"|([^" ]+))`)

func lireParse(record string) map[string]string {
	out := map[string]string{}
	for _, m := range lireRE.FindAllStringSubmatch(strings.TrimSuffix(record, "\r"), -1) {
		if m[2] != "" {
			out[m[1]] = m[2]
		} else {
			out[m[1]] = m[3]
		}
	}
	return out
}

// assertStrictWELF checks that every record in out decodes with the strict
// decoder and ends with eol.
func assertStrictWELF(t *testing.T, out, eol string) {
	t.Helper()
	if !strings.HasSuffix(out, eol) {
		t.Fatalf("output does not end with %q", eol)
	}
	for i, rec := range strings.Split(strings.TrimSuffix(out, eol), eol) {
		if _, err := welf.Decode([]byte(rec)); err != nil {
			t.Errorf("record %d: %v\n%s", i, err, rec)
		}
	}
}

func contains(lines []string, want string) bool {
	for _, l := range lines {
		if l == want {
			return true
		}
	}
	return false
}
