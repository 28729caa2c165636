package flbhost_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLogFileAndLevel: like flb_log.c, [SERVICE] Log_File receives every
// line printed on the host's threads, the host's own lines and a plugin's
// log_print lines alike (nothing on stderr); Log_Level gates the host's own
// lines but not log_print, which plugins gate with output_log_check (the
// instance's log_level, the service's by default).
func TestLogFileAndLevel(t *testing.T) {
	for _, tt := range []struct {
		service, instance string
		want              string // log file, timestamps removed
	}{
		{"", "", "[ warn] [config] output 'probe.0' has no Match or Match_Regex rule; it receives no records\n[ info] [output:probe:] hello\n"},
		{"error", "", "[ info] [output:probe:] hello\n"},
		{"warn", "error", "[ warn] [config] output 'probe.0' has no Match or Match_Regex rule; it receives no records\n[ info] [output:probe:] hello\n"},
	} {
		t.Run(tt.service+"/"+tt.instance, func(t *testing.T) {
			dir := t.TempDir()
			logFile := filepath.Join(dir, "fluent-bit.log")
			conf := "[SERVICE]\n    Log_File " + logFile + "\n"
			if tt.service != "" {
				conf += "    Log_Level " + tt.service + "\n"
			}
			conf += "[OUTPUT]\n    Name probe\n    Probe_Out " + filepath.Join(dir, "probe.out") + "\n    Log_Message hello\n"
			if tt.instance != "" {
				conf += "    Log_Level " + tt.instance + "\n"
			}
			r := runHost(t, dir, conf, "-e", mustBuild(t).probe, "-q")
			if r.code != 0 || r.stderr != "" {
				t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
			}
			got := readFileOrEmpty(t, logFile)
			if n := len(logTimestamp.FindAllString(got, -1)); n != strings.Count(got, "\n") {
				t.Errorf("%d of %d lines have Fluent Bit's timestamp:\n%s", n, strings.Count(got, "\n"), got)
			}
			assertEqual(t, "log file", logTimestamp.ReplaceAllString(got, ""), tt.want)
			level := map[string]string{"": "3", "error": "1", "warn": "2"}[tt.instance]
			if tt.instance == "" {
				level = map[string]string{"": "3", "error": "1", "warn": "2"}[tt.service]
			}
			if !strings.Contains(readFileOrEmpty(t, filepath.Join(dir, "probe.out")), " level_check="+level+" ") {
				t.Errorf("output_log_check does not stop at level %s:\n%s", level, readFileOrEmpty(t, filepath.Join(dir, "probe.out")))
			}
		})
	}
}
