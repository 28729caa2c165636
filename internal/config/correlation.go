package config

import (
	"path/filepath"
	"time"

	"github.com/welfbridge/welfbridge/internal/airlockjoin"
)

// Keys of the Airlock correlation settings.
const (
	KeyCorrelate          = "Correlate"
	KeyCorrelationTimeout = "Correlation_Timeout"
	KeySessionTimeout     = "Session_Timeout"
	KeyMaxPending         = "Max_Pending"
	KeyConntrace          = "Conntrace"
	KeyStateFile          = "State_File"
	KeyCorrelationLinger  = "Correlation_Linger"
)

// Correlation holds how Airlock records of one request (req_id) and one
// session (sess_id) are joined.
type Correlation struct {
	Enabled         bool
	Timeout         time.Duration
	SessionTimeout  time.Duration
	MaxPending      int
	MaxPendingBytes int64
	Conntrace       airlockjoin.ConntraceMode
	StateFile       string // "" = pending state is emitted as partial records at exit
	WallClock       bool
	Linger          time.Duration // how long a completed request waits for late block records
}

func (p *parser) correlation() Correlation {
	c := Correlation{
		Enabled:         p.onOff(KeyCorrelate, true),
		Timeout:         p.duration(KeyCorrelationTimeout, airlockjoin.DefaultTimeout),
		SessionTimeout:  p.duration(KeySessionTimeout, airlockjoin.DefaultSessionTimeout),
		MaxPending:      p.count(KeyMaxPending, airlockjoin.DefaultMaxPending),
		MaxPendingBytes: int64(p.size(KeyMaxPendingBytes, defaultMaxPendingBytes)),
		StateFile:       p.value(KeyStateFile),
		WallClock:       !p.clock(true),
		Linger:          p.duration(KeyCorrelationLinger, 0),
	}
	if v := p.value(KeyConntrace); v != "" {
		m, err := airlockjoin.ParseConntrace(v)
		if err != nil {
			p.fail(KeyConntrace, v, "allowed: auto, on, off")
		}
		c.Conntrace = m
	}
	for key, d := range map[string]time.Duration{KeyCorrelationTimeout: c.Timeout, KeySessionTimeout: c.SessionTimeout} {
		if d == 0 {
			p.fail(key, "0", "allowed: a positive duration")
		}
	}
	if c.StateFile != "" && !filepath.IsAbs(c.StateFile) {
		p.fail(KeyStateFile, c.StateFile, "allowed: an absolute file path")
	}
	return c
}
