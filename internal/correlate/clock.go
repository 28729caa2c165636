package correlate

import (
	"fmt"
	"strings"
	"time"
)

// Clock supplies the time a Table runs on. The zero Clock runs on record
// time: now is the latest event time observed and never goes backwards. A
// Clock from NewWallClock runs on wall time.
type Clock struct {
	wall   bool
	latest time.Time
}

// NewWallClock returns a Clock whose now is time.Now, whatever the event
// times say.
func NewWallClock() *Clock { return &Clock{wall: true} }

// Observe notes an event's time and returns the current now.
func (c *Clock) Observe(event time.Time) time.Time {
	if c.wall {
		return time.Now()
	}
	if event.After(c.latest) {
		c.latest = event
	}
	return c.latest
}

// Now returns the current now without observing an event: in record time,
// the latest event time observed (the zero time if none was).
func (c *Clock) Now() time.Time {
	if c.wall {
		return time.Now()
	}
	return c.latest
}

// ClockMode says which time correlation timeouts run on (the
// Correlation_Clock setting). Its zero value leaves the choice to each
// joiner: record time for Airlock logs, wall time for MWG traces.
type ClockMode uint8

const (
	ClockDefault ClockMode = iota // the joiner's own default
	ClockRecord                   // the records' own times (replays, tests)
	ClockWall                     // time.Now
)

// ParseClockMode parses "record" or "wall", in any case.
func ParseClockMode(s string) (ClockMode, error) {
	switch strings.ToLower(s) {
	case "record":
		return ClockRecord, nil
	case "wall":
		return ClockWall, nil
	}
	return ClockDefault, fmt.Errorf("unknown clock %q", s)
}
