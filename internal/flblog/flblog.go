// Package flblog writes log lines in Fluent Bit's own format, so the plugin's
// messages read like the host's: "[2024/03/05 09:12:44] [error] [output:welf:welf.0] …".
//
// Fluent Bit's logger is not reachable through fluent-bit-go, and the plugin
// must work from Fluent Bit 2.1 to 5.x, so lines go straight to stderr, which
// is where Fluent Bit writes its own log by default.
package flblog

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Level is a Fluent Bit log level.
type Level uint8

const (
	Error Level = iota + 1
	Warn
	Info
	Debug
)

// label is the level as Fluent Bit prints it: right-aligned in five columns.
func (l Level) label() string {
	switch l {
	case Error:
		return "error"
	case Warn:
		return " warn"
	case Info:
		return " info"
	}
	return "debug"
}

// Logger writes the lines of one plugin instance. It is safe for concurrent use.
type Logger struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string // "[output:welf:welf.0] "
	max    Level
	now    func() time.Time
}

// New returns a Logger for the instance named name ("welf.0") of plugin
// plugin ("welf") that writes lines up to level max to w.
func New(w io.Writer, plugin, name string, max Level) *Logger {
	return &Logger{mu: new(sync.Mutex), w: w, prefix: "[output:" + plugin + ":" + name + "] ", max: max, now: time.Now}
}

// WithClock returns a copy of l that reads the time from now (for tests).
func (l *Logger) WithClock(now func() time.Time) *Logger {
	c := *l
	c.now = now
	return &c
}

func (l *Logger) Errorf(format string, args ...any) { l.logf(Error, format, args...) }
func (l *Logger) Warnf(format string, args ...any)  { l.logf(Warn, format, args...) }
func (l *Logger) Infof(format string, args ...any)  { l.logf(Info, format, args...) }
func (l *Logger) Debugf(format string, args ...any) { l.logf(Debug, format, args...) }

func (l *Logger) logf(level Level, format string, args ...any) {
	if l == nil || level > l.max {
		return
	}
	line := fmt.Sprintf("[%s] [%s] %s%s\n", l.now().Format("2006/01/02 15:04:05"), level.label(), l.prefix, fmt.Sprintf(format, args...))
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, line) // nowhere to report a failed log write
}
