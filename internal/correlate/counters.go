package correlate

import "fmt"

// Counters count input records by outcome. They count records, not outputs:
// a joined output made of a conntrace and a summary counts 2 in Joined. The
// domain layer increments them; once every pending entry has been completed
// or evicted, each record received is in exactly one outcome, which Check
// verifies.
type Counters struct {
	In        uint64 // records received
	Joined    uint64 // records emitted as part of a complete joined output
	Partial   uint64 // records emitted as part of an evicted, incomplete output
	Duplicate uint64 // records dropped because their output was already emitted (see Recent)
	Orphan    uint64 // records emitted on their own because they carry no usable key

	// Partial broken down by eviction reason.
	PartialTimeout, PartialPressure, PartialShutdown uint64
}

// AddPartial counts records emitted in one output evicted with reason why.
func (c *Counters) AddPartial(why Reason, records uint64) {
	c.Partial += records
	switch why {
	case ReasonTimeout:
		c.PartialTimeout += records
	case ReasonPressure:
		c.PartialPressure += records
	case ReasonShutdown:
		c.PartialShutdown += records
	}
}

// Check returns an error unless every record received is counted in exactly
// one outcome and the partial breakdown adds up. It holds only when nothing
// is pending, e.g. after Table.Drain.
func (c Counters) Check() error {
	if out := c.Joined + c.Partial + c.Duplicate + c.Orphan; out != c.In {
		return fmt.Errorf("correlate: counters do not add up: in=%d but joined+partial+duplicate+orphan=%d (%s)", c.In, out, c)
	}
	if by := c.PartialTimeout + c.PartialPressure + c.PartialShutdown; by != c.Partial {
		return fmt.Errorf("correlate: counters do not add up: partial=%d but partial_timeout+partial_pressure+partial_shutdown=%d (%s)", c.Partial, by, c)
	}
	return nil
}

// String formats the counters for a log line, as key=value pairs.
func (c Counters) String() string {
	return fmt.Sprintf("in=%d joined=%d partial=%d duplicate=%d orphan=%d partial_timeout=%d partial_pressure=%d partial_shutdown=%d",
		c.In, c.Joined, c.Partial, c.Duplicate, c.Orphan, c.PartialTimeout, c.PartialPressure, c.PartialShutdown)
}
