package correlate

import "testing"

func TestCountersCheck(t *testing.T) {
	tests := []struct {
		name string
		c    Counters
		want string // the error, or "" for none
	}{
		{"zero", Counters{}, ""},
		{
			"balanced",
			Counters{In: 10, Joined: 5, Partial: 3, Duplicate: 1, Orphan: 1, PartialTimeout: 1, PartialPressure: 1, PartialShutdown: 1},
			"",
		},
		{
			"a record unaccounted for",
			Counters{In: 10, Joined: 5, Partial: 2, Duplicate: 1, Orphan: 1, PartialTimeout: 2},
			"correlate: counters do not add up: in=10 but joined+partial+duplicate+orphan=9 (in=10 joined=5 partial=2 duplicate=1 orphan=1 partial_timeout=2 partial_pressure=0 partial_shutdown=0)",
		},
		{
			"a record counted twice",
			Counters{In: 1, Joined: 1, Duplicate: 1},
			"correlate: counters do not add up: in=1 but joined+partial+duplicate+orphan=2 (in=1 joined=1 partial=0 duplicate=1 orphan=0 partial_timeout=0 partial_pressure=0 partial_shutdown=0)",
		},
		{
			"partial breakdown off",
			Counters{In: 4, Partial: 4, PartialTimeout: 1, PartialShutdown: 2},
			"correlate: counters do not add up: partial=4 but partial_timeout+partial_pressure+partial_shutdown=3 (in=4 joined=0 partial=4 duplicate=0 orphan=0 partial_timeout=1 partial_pressure=0 partial_shutdown=2)",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.c.Check()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Check() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCountersAddPartial(t *testing.T) {
	var c Counters
	c.In = 9
	c.AddPartial(ReasonTimeout, 2)
	c.AddPartial(ReasonPressure, 3)
	c.AddPartial(ReasonShutdown, 4)
	want := "in=9 joined=0 partial=9 duplicate=0 orphan=0 partial_timeout=2 partial_pressure=3 partial_shutdown=4"
	if got := c.String(); got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if err := c.Check(); err != nil {
		t.Errorf("Check() = %v, want nil", err)
	}
	// An unknown reason still counts as partial, so Check catches the bug.
	c.In++
	c.AddPartial(0, 1)
	want = "correlate: counters do not add up: partial=10 but partial_timeout+partial_pressure+partial_shutdown=9 (in=10 joined=0 partial=10 duplicate=0 orphan=0 partial_timeout=2 partial_pressure=3 partial_shutdown=4)"
	if err := c.Check(); err == nil || err.Error() != want {
		t.Errorf("Check() after AddPartial(0, 1) = %v, want %q", err, want)
	}
}
