package pipeline

import (
	"sync/atomic"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/flblog"
)

// admission asks the destination, before a chunk is looked at, whether it
// has room for it; the destination's check may wait for room up to
// Flush_Wait. A chunk refused here goes back to Fluent Bit (FLB_RETRY),
// which is safe only because nothing of it was processed yet. The change
// from taking chunks to refusing them, and back, is logged once each.
type admission struct {
	check func() bool // the destination's check; nil = always room
	busy  atomic.Bool // the last check said no
	cfg   *config.Config
	log   *flblog.Logger
}

// admit reports whether the destination has room for a chunk.
func (a *admission) admit() bool {
	if a.check == nil {
		return true
	}
	if !a.check() {
		if !a.busy.Swap(true) {
			a.log.Warnf("destination %s is not keeping up: no room within %s (%s), chunks go back to Fluent Bit with FLB_RETRY; "+
				"Fluent Bit drops a chunk after Retry_Limit retries (default 1, \"chunk ... cannot be retried\"): "+
				"set Retry_Limit no_limits on this output, or raise %s, %s or %s",
				a.cfg.Destination, config.KeyFlushWait, a.cfg.Delivery.AdmitWait, config.KeyFlushWait, config.KeySpoolMaxBytes, config.KeyQueueMaxBytes)
		}
		return false
	}
	if a.busy.Swap(false) {
		a.log.Infof("destination %s takes chunks again", a.cfg.Destination)
	}
	return true
}
