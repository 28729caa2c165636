package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"sync"
	"time"

	"github.com/welfbridge/welfbridge/internal/config"
)

// Handoff carries pipelines across a Fluent Bit hot reload. Fluent Bit
// exits every instance (OutputPreExit(1), ExitCtx) and then initialises the
// new configuration's instances in the same process. Closing a pipeline
// there would write every pending request and session as a partial record
// and split requests in flight; instead the old instance parks its
// pipeline — correlation state, backlog, destination with its queue, spool
// and connection, tickers — and the new instance with the same
// configuration takes it over as it is. What no instance takes over is
// closed, as at a shutdown, by Release.
type Handoff struct {
	wait time.Duration

	mu     sync.Mutex
	parked map[string][]parked // by Fingerprint, in exit order
	timer  *time.Timer
	parks  uint64 // counts Park calls, so a timer a later Park replaced does nothing
	closed int    // pipelines Take closed since the last Release
	// onRelease runs after a Release that was due to the timer.
	onRelease func(closed int)
}

type parked struct {
	p     *Pipeline
	close func() // closes p as the exiting instance would have
}

// NewHandoff returns a Handoff that closes what is still parked wait after
// the last Park, in case no new instance comes (the new configuration has
// none, or its start failed); onRelease, if not nil, is told how many it
// closed then.
func NewHandoff(wait time.Duration, onRelease func(closed int)) *Handoff {
	return &Handoff{wait: wait, onRelease: onRelease}
}

// Fingerprint identifies an instance's configuration: every property the
// plugin read, with its value. Two instances with the same fingerprint
// process and deliver alike, so one may take over the other's pipeline.
func Fingerprint(props map[string]string) string {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	for _, k := range keys {
		// Lengths first, so that no key or value can shift a boundary.
		h.Write([]byte{byte(len(k) >> 8), byte(len(k)), byte(len(props[k]) >> 24), byte(len(props[k]) >> 16), byte(len(props[k]) >> 8), byte(len(props[k]))})
		h.Write([]byte(k))
		h.Write([]byte(props[k]))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Park keeps p for the next Take with the same key; close is what closes
// it if nothing takes it.
func (h *Handoff) Park(key string, p *Pipeline, close func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.parked == nil {
		h.parked = make(map[string][]parked)
	}
	h.parked[key] = append(h.parked[key], parked{p: p, close: close})
	if h.timer != nil {
		h.timer.Stop()
	}
	h.parks++
	parks := h.parks
	h.timer = time.AfterFunc(h.wait, func() { h.expire(parks) })
}

// Take returns the pipeline parked first under key, or nil. On a miss,
// parked pipelines that would share a file with cfg's new pipeline — the
// State_File, the Spool_Dir or the output file — are closed first, so that
// the old one has saved its state and let go of its files before the new
// one opens them.
func (h *Handoff) Take(key string, cfg *config.Config) *Pipeline {
	h.mu.Lock()
	if q := h.parked[key]; len(q) > 0 {
		p := q[0].p
		h.parked[key] = q[1:]
		if len(h.parked[key]) == 0 {
			delete(h.parked, key)
		}
		h.stopIfEmpty()
		h.mu.Unlock()
		return p
	}
	var conflicting []parked
	for k, q := range h.parked {
		kept := q[:0]
		for _, e := range q {
			if sharesFiles(e.p.cfg, cfg) {
				conflicting = append(conflicting, e)
			} else {
				kept = append(kept, e)
			}
		}
		if len(kept) == 0 {
			delete(h.parked, k)
		} else {
			h.parked[k] = kept
		}
	}
	h.closed += len(conflicting)
	h.stopIfEmpty()
	h.mu.Unlock()
	for _, e := range conflicting {
		e.close()
	}
	return nil
}

// Release closes every pipeline still parked and returns how many
// pipelines had no successor: those, and those Take closed since the last
// Release. Fluent Bit calls OutputPreRun once all new instances are
// initialised: what is still parked then has no successor.
func (h *Handoff) Release() int {
	h.mu.Lock()
	var all []parked
	for _, q := range h.parked {
		all = append(all, q...)
	}
	h.parked = nil
	closed := h.closed + len(all)
	h.closed = 0
	h.stopIfEmpty()
	h.mu.Unlock()
	for _, e := range all {
		e.close()
	}
	return closed
}

// expire releases what is parked, unless a later Park restarted the wait.
func (h *Handoff) expire(parks uint64) {
	h.mu.Lock()
	current := h.parks == parks && h.timer != nil
	h.mu.Unlock()
	if !current {
		return
	}
	n := h.Release()
	if h.onRelease != nil {
		h.onRelease(n)
	}
}

// stopIfEmpty stops the timer once nothing is parked; h.mu is held.
func (h *Handoff) stopIfEmpty() {
	if len(h.parked) == 0 && h.timer != nil {
		h.timer.Stop()
		h.timer = nil
	}
}

// sharesFiles reports whether pipelines for a and b would use a file in
// common.
func sharesFiles(a, b *config.Config) bool {
	same := func(x, y string) bool { return x != "" && x == y }
	return same(a.Correlation.StateFile, b.Correlation.StateFile) ||
		same(a.Delivery.SpoolDir, b.Delivery.SpoolDir) ||
		a.Destination.Scheme == "file" && b.Destination.Scheme == "file" && same(a.Destination.Path, b.Destination.Path)
}
