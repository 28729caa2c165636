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
