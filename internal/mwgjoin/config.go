package mwgjoin

import (
	"cmp"
	"time"

	"github.com/welfbridge/welfbridge/internal/correlate"
	"github.com/welfbridge/welfbridge/internal/mwg"
)

// Defaults of the Config fields left zero.
const (
	DefaultIdleTimeout    = 60 * time.Second
	DefaultMaxConnections = 10_000
	DefaultMaxBytes       = 64 << 20
)

// Config configures a Joiner. A zero field takes its default.
type Config struct {
	// Stream configures the decoding of each trace file. The zero value
	// means mwg.DefaultOptions(). Its MaxHeaderBytes (after defaults) also
	// caps the transactions one connection holds while they wait for their
	// other side.
	Stream mwg.Options
	// IdleTimeout (Idle_Timeout, default 60s): a connection whose files
	// all received no line for this long is flushed: its incomplete and
	// unpaired transactions are emitted, its state freed.
	IdleTimeout time.Duration
	// MaxConnections (Max_Connections, default 10000): connection ids open
	// at once; beyond it the least recently active is flushed.
	MaxConnections int
	// MaxBytes (default 64 MiB): what all open connections retain
	// together, decoder state and waiting transactions; beyond it the least
	// recently active are flushed.
	MaxBytes int64
	// Clock (Correlation_Clock) says which time the idle timeout runs on:
	// wall time unless ClockRecord (the event times passed to Add, for
	// replays and tests). Trace lines rarely carry a time of their own and
	// tail stamps records when it reads them, so wall time is the default.
	Clock correlate.ClockMode
}

// DefaultConfig returns the settings a Joiner runs with when none is given.
func DefaultConfig() Config {
	return Config{Stream: mwg.DefaultOptions(), IdleTimeout: DefaultIdleTimeout, MaxConnections: DefaultMaxConnections, MaxBytes: DefaultMaxBytes}
}

// WallTime reports whether the idle timeout runs on wall time rather than
// on the event times passed to Add.
func (c Config) WallTime() bool { return c.Clock != correlate.ClockRecord }

func (c Config) withDefaults() (Config, error) {
	// cmp.Or gives the first negative setting's error.
	if err := cmp.Or(
		correlate.NonNegative("idle timeout", c.IdleTimeout),
		correlate.NonNegative("max connections", c.MaxConnections),
		correlate.NonNegative("max bytes", c.MaxBytes),
		correlate.NonNegative("max header bytes", c.Stream.MaxHeaderBytes),
	); err != nil {
		return c, err
	}
	if c.Stream == (mwg.Options{}) {
		c.Stream = mwg.DefaultOptions()
	}
	c.Stream.MaxHeaderBytes = cmp.Or(c.Stream.MaxHeaderBytes, mwg.DefaultMaxHeaderBytes)
	// The Stream raises smaller caps to this minimum; the joiner's
	// per-connection cap follows the same figure.
	c.Stream.MaxHeaderBytes = max(c.Stream.MaxHeaderBytes, mwg.MinMaxHeaderBytes)
	c.IdleTimeout = cmp.Or(c.IdleTimeout, DefaultIdleTimeout)
	c.MaxConnections = cmp.Or(c.MaxConnections, DefaultMaxConnections)
	c.MaxBytes = cmp.Or(c.MaxBytes, DefaultMaxBytes)
	return c, nil
}

func (c Config) table() correlate.Config {
	return correlate.Config{Timeout: c.IdleTimeout, MaxEntries: c.MaxConnections, MaxBytes: c.MaxBytes}
}
