// Package flblog writes the plugin's log lines the way Fluent Bit writes its
// own: "[2024/03/05 09:12:44] [error] [output:welf:welf.0] …".
//
// Inside Fluent Bit (2.0 and later) a Logger hands its lines to the host's
// logger (flb_api's log_print, see [Host]), so [SERVICE] Log_File,
// Log_Level and an output's log_level apply to them. Where the host has no
// such API, lines go to an io.Writer (stderr) in the same format.
package flblog

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Level is a Fluent Bit log level. Its values are Fluent Bit's (flb_log.h).
type Level uint8

const (
	Off Level = iota
	Error
	Warn
	Info
	Debug
	Trace
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
	case Debug:
		return "debug"
	}
	return "trace"
}

// Host is Fluent Bit's logger as the plugin reaches it.
type Host interface {
	// Print writes one line at level; line starts with the instance's
	// "[output:welf:welf.0] " prefix, and the host adds time and level.
	Print(level Level, line string)
}

// Logger writes the lines of one plugin instance. It is safe for concurrent use.
type Logger struct {
	mu     *sync.Mutex
	w      io.Writer // nil when host is set
	host   Host
	prefix string // "[output:welf:welf.0] "
	max    Level
	now    func() time.Time
}

// New returns a Logger for the instance named name ("welf.0") of plugin
// plugin ("welf") that writes lines up to level max to w.
func New(w io.Writer, plugin, name string, max Level) *Logger {
	return &Logger{mu: new(sync.Mutex), w: w, prefix: prefix(plugin, name), max: max, now: time.Now}
}

// NewHost returns a Logger for the instance named name of plugin plugin that
// hands lines up to level max (the instance's log_level, as the host
// reports it) to h.
func NewHost(h Host, plugin, name string, max Level) *Logger {
	return &Logger{mu: new(sync.Mutex), host: h, prefix: prefix(plugin, name), max: max, now: time.Now}
}

func prefix(plugin, name string) string { return "[output:" + plugin + ":" + name + "] " }

// WithClock returns a copy of l that reads the time from now (for tests).
func (l *Logger) WithClock(now func() time.Time) *Logger {
	c := *l
	c.now = now
	return &c
}

// Enabled reports whether lines at level are written, so that a caller can
// skip building the arguments of a line nobody reads.
func (l *Logger) Enabled(level Level) bool { return l != nil && level != Off && level <= l.max }

func (l *Logger) Errorf(format string, args ...any) { l.logf(Error, format, args...) }
func (l *Logger) Warnf(format string, args ...any)  { l.logf(Warn, format, args...) }
func (l *Logger) Infof(format string, args ...any)  { l.logf(Info, format, args...) }
func (l *Logger) Debugf(format string, args ...any) { l.logf(Debug, format, args...) }

func (l *Logger) logf(level Level, format string, args ...any) {
	if !l.Enabled(level) {
		return
	}
	if l.host != nil {
		l.host.Print(level, l.prefix+fmt.Sprintf(format, args...))
		return
	}
	line := fmt.Sprintf("[%s] [%s] %s%s\n", l.now().Format("2006/01/02 15:04:05"), level.label(), l.prefix, fmt.Sprintf(format, args...))
	l.mu.Lock()
	defer l.mu.Unlock()
	io.WriteString(l.w, line) // nowhere to report a failed log write
}
