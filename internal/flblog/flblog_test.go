package flblog

import (
	"bytes"
	"testing"
	"time"
)

func TestLogFormat(t *testing.T) {
	var buf bytes.Buffer
	at := time.Date(2024, 3, 5, 9, 12, 44, 0, time.Local)
	l := New(&buf, "welf", "welf.1", Info).WithClock(func() time.Time { return at })
	l.Errorf("flush: %s", "boom")
	l.Warnf("w")
	l.Infof("i=%d", 3)
	l.Debugf("not shown at Info")
	want := "[2024/03/05 09:12:44] [error] [output:welf:welf.1] flush: boom\n" +
		"[2024/03/05 09:12:44] [ warn] [output:welf:welf.1] w\n" +
		"[2024/03/05 09:12:44] [ info] [output:welf:welf.1] i=3\n"
	if got := buf.String(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

func TestNilLoggerIsSilent(t *testing.T) {
	var l *Logger
	l.Errorf("no panic") // a nil logger must be safe: nil dereferences are fatal inside Fluent Bit
}

// hostLines is a Host that keeps what it is given.
type hostLines []string

func (h *hostLines) Print(level Level, line string) {
	*h = append(*h, level.label()+" "+line)
}

func TestHostLevels(t *testing.T) {
	for _, tc := range []struct {
		max  Level
		want []string
	}{
		{Off, nil},
		{Error, []string{"error [output:welf:out1] e=1"}},
		{Warn, []string{"error [output:welf:out1] e=1", " warn [output:welf:out1] w"}},
		{Info, []string{"error [output:welf:out1] e=1", " warn [output:welf:out1] w", " info [output:welf:out1] i 100%"}},
		{Trace, []string{"error [output:welf:out1] e=1", " warn [output:welf:out1] w", " info [output:welf:out1] i 100%", "debug [output:welf:out1] d"}},
	} {
		var h hostLines
		l := NewHost(&h, "welf", "out1", tc.max)
		l.Errorf("e=%d", 1)
		l.Warnf("w")
		l.Infof("i %s", "100%")
		l.Debugf("d")
		if len(h) != len(tc.want) {
			t.Errorf("max %d: got %q, want %q", tc.max, h, tc.want)
			continue
		}
		for i := range h {
			if h[i] != tc.want[i] {
				t.Errorf("max %d: line %d: got %q, want %q", tc.max, i, h[i], tc.want[i])
			}
		}
		if got := l.Enabled(Debug); got != (tc.max >= Debug) {
			t.Errorf("max %d: Enabled(Debug) = %v", tc.max, got)
		}
	}
}
