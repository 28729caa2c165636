package airlockjoin

import (
	"time"
)

// lateWindow is how many flushes a lateness is remembered: long enough to
// span the chunks workers reorder while a backlog is read, short enough
// that one late retried chunk does not hold everything for long.
const lateWindow = 256

// assumeWorkers is how many flushes from the start are treated as the
// workers' (see Joiner.Begin): the first chunks of a backlog read by
// workers arrive out of order before two threads could be seen, and one
// thread may take many of them in a row.
const assumeWorkers = lateWindow

// idleRelease is how long, on this machine's clock, no flush may have
// begun or ended before Tick emits what is complete without waiting for
// the release clock: on record time the clock stands still while no
// records come, and what is complete must not wait for the next record.
const idleRelease = time.Second

// observeLateness notes how far behind the correlation clock, as the
// flushes ended so far left it, a record with event time evTime arrives.
// Records out of order within one chunk are joined anyway (Tick waits for
// the end of the chunk) and do not count. On wall time lateness says
// nothing about order, and is not observed.
func (j *Joiner) observeLateness(evTime time.Time) {
	if j.cfg.WallTime() || evTime.IsZero() || j.tickClock.IsZero() {
		return
	}
	late := j.tickClock.Sub(evTime)
	if late <= j.lateNow {
		return
	}
	// A record out of all proportion (a clock gone wrong) must not hold
	// everything for longer than Correlation_Timeout.
	late = min(late, j.cfg.Timeout)
	j.lateNow = late
	j.lag = max(j.lag, late)
}

// rotateLateness ends the lateness of the current flush: lag becomes the
// largest of the last lateWindow flushes.
func (j *Joiner) rotateLateness() {
	j.tickClock = j.clock.Now()
	j.lateness[j.lateAt] = j.lateNow
	j.lateAt = (j.lateAt + 1) % lateWindow
	j.lateNow = 0
	j.lag = 0
	for _, l := range j.lateness {
		j.lag = max(j.lag, l)
	}
	if j.begun > 0 && j.begun < j.concurrentUntil && !j.cfg.WallTime() {
		// Workers finish chunks in any order, also before any lateness
		// shows: assume records as late as a request may be idle.
		j.lag = max(j.lag, j.cfg.Timeout)
	}
}

// release returns the release clock: the correlation clock less the time
// records may arrive late, Linger or the lateness observed, whichever is
// more. Timeouts run on it, and what is complete is emitted once it has
// passed the time of completion.
func (j *Joiner) release() time.Time {
	now := j.clock.Now()
	if now.IsZero() {
		return now
	}
	return now.Add(-max(j.cfg.Linger, j.lag))
}

// idle reports whether no flush has begun or ended for idleRelease and
// none is in progress. Only a Joiner driven by Begin and End is ever idle.
func (j *Joiner) idle() bool {
	return !j.cfg.WallTime() && len(j.active) == 0 && !j.activity.IsZero() && time.Since(j.activity) >= idleRelease
}
