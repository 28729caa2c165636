package correlate

import (
	"testing"
	"time"
)

func TestRecordClock(t *testing.T) {
	var c Clock
	if got := c.Now(); !got.IsZero() {
		t.Fatalf("Now() of a new clock = %v, want the zero time", got)
	}
	tests := []struct {
		event time.Time
		want  time.Time
	}{
		{at(10), at(10)},
		{at(5), at(10)}, // late record: now stays
		{at(20), at(20)},
		{time.Time{}, at(20)}, // record without a time
		{at(20), at(20)},
		{at(21), at(21)},
	}
	for i, tt := range tests {
		if got := c.Observe(tt.event); !got.Equal(tt.want) {
			t.Errorf("step %d: Observe(%v) = %v, want %v", i, tt.event, got, tt.want)
		}
		if got := c.Now(); !got.Equal(tt.want) {
			t.Errorf("step %d: Now() = %v, want %v", i, got, tt.want)
		}
	}
}

func TestWallClockIgnoresEventTimes(t *testing.T) {
	c := NewWallClock()
	for _, event := range []time.Time{at(0), time.Now().Add(time.Hour), {}} {
		before := time.Now()
		got := c.Observe(event)
		now := c.Now()
		after := time.Now()
		if got.Before(before) || got.After(after) {
			t.Errorf("Observe(%v) = %v, want the wall time between %v and %v", event, got, before, after)
		}
		if now.Before(got) || now.After(after) {
			t.Errorf("Now() = %v, want the wall time between %v and %v", now, got, after)
		}
	}
}
