package correlate

import "time"

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
