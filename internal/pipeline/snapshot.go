package pipeline

import (
	"github.com/welfbridge/welfbridge/internal/delivery"
	"github.com/welfbridge/welfbridge/internal/metrics"
)

// Snapshot returns every counter of the instance for its metrics: the
// pipeline's, the joiners', the delivery engine's and the receivers'. It
// takes each joiner's lock briefly, so it belongs at the end of a chunk or
// on a tick, not in a per-record path. Its Receivers part is valid until
// the next call, so calls must not overlap: the metrics Publisher
// serialises them.
func (p *Pipeline) Snapshot() metrics.Snapshot {
	c := p.Counters()
	s := metrics.Snapshot{Records: metrics.Records{
		Events: c.Events, Written: c.Written, Unparsed: c.Unparsed, Malformed: c.Malformed, Truncated: c.Truncated,
	}}
	if l := p.airlockJoin; l != nil {
		l.lock()
		s.HasAirlock = true
		s.Airlock.Counters = l.j.Counters()
		s.Airlock.PendingRequests, s.Airlock.PendingSessions, _ = l.j.Pending()
		l.unlock()
	}
	if l := p.mwgJoin; l != nil {
		l.lock()
		s.HasMWG = true
		s.MWG = l.j.Counters()
		l.unlock()
	}
	if e, ok := p.sink.(interface{ Counters() delivery.Counters }); ok {
		s.HasDelivery = true
		s.Delivery = e.Counters()
	}
	if p.receiverStats != nil {
		p.receiverStats(&p.receivers)
		s.HasReceivers = true
		s.Receivers = p.receivers
	}
	return s
}
