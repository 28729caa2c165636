package main

import "C"

import (
	"runtime"
	"time"

	"github.com/welfbridge/welfbridge/internal/pipeline"
)

// reloadWait bounds how long the pipeline of an instance Fluent Bit exited
// for a hot reload waits for its successor. Fluent Bit initialises the new
// instances right after the old ones exited and then calls OutputPreRun,
// which ends the wait (in well under a second); the bound only matters
// when no welf instance comes back (a new configuration without one), and
// is short because whatever waits is lost if Fluent Bit stops meanwhile.
const reloadWait = 10 * time.Second

var (
	// handoff carries pipelines from the instances of the old context to
	// those of the new one.
	handoff = pipeline.NewHandoff(reloadWait, reloadTimedOut)
	// exitForReload is what the last FLBPluginOutputPreExit said: Fluent
	// Bit >= 2.2 calls it before each instance's ExitCtx, on the same
	// thread; older versions never do, so it stays false. mu guards it and
	// reloading.
	exitForReload bool
	// reloading is set from the first instance exited for a hot reload
	// until the new context's first OutputPreRun.
	reloading bool
)

// FLBPluginOutputPreExit tells the instance about to exit whether it exits
// for a hot reload (1) or for good (0). Fluent Bit >= 2.2 calls it.
//
//export FLBPluginOutputPreExit
func FLBPluginOutputPreExit(hotReload C.int) {
	defer func() {
		if r := recover(); r != nil {
			pluginLog.Errorf("pre-exit: internal error (recovered panic): %v", r)
		}
	}()
	mu.Lock()
	exitForReload = hotReload != 0
	mu.Unlock()
}

// FLBPluginOutputPreRun is called per instance once all instances are
// initialised. After a hot reload the first call closes what no new
// instance took over: it has no successor.
//
//export FLBPluginOutputPreRun
func FLBPluginOutputPreRun(hotReload C.int) (ret int) {
	defer recoverTo(pluginLog, "pre-run", &ret)
	mu.Lock()
	was := reloading
	reloading = false
	mu.Unlock()
	if was {
		reloadDone(handoff.Release())
	}
	return 0
}

// parkForReload is ExitCtx's part in a hot reload: it reports whether the
// instance exits for a hot reload and, if so, parks its pipeline for the
// new instance with the same configuration.
func parkForReload(inst *instance) bool {
	mu.Lock()
	// Not reset here: whether Fluent Bit calls OutputPreExit right before
	// each ExitCtx or for all instances first, the value holds until the
	// next OutputPreExit.
	forReload := exitForReload
	if forReload {
		reloading = true
	}
	mu.Unlock()
	if !forReload {
		return false
	}
	// The metrics live in this instance's cmetrics context, which Fluent
	// Bit frees after ExitCtx; the successor publishes the pipeline anew.
	inst.stopMetrics(true)
	handoff.Park(inst.fingerprint, inst.pipeline, func() { inst.exitOnce.Do(inst.close) })
	inst.log.Infof("hot reload: pending state and undelivered records are kept for the next instance with this configuration")
	return true
}

// reloadTimedOut ends a hot reload no welf instance came back from.
func reloadTimedOut(closed int) {
	mu.Lock()
	reloading = false
	mu.Unlock()
	reloadDone(closed)
}

// reloadDone reports a finished hot reload with the Go heap in use after
// a collection and the goroutines, which show that the old instances are
// gone: a reload leaves nothing behind, so the figures stay flat from
// reload to reload.
func reloadDone(closed int) {
	// Twice: the first collection moves sync.Pool caches to their victim
	// caches, the second frees them, so the figure is the live state.
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	pluginLog.Infof("hot reload done: %d instances running, %d without successor closed; Go heap in use %d bytes, %d goroutines",
		contexts.len(), closed, m.HeapAlloc, runtime.NumGoroutine())
}

// releaseAfterFailedInit closes what a hot reload parked when a new
// instance fails to start: Fluent Bit then aborts the reload and exits,
// and the old pipelines must deliver and save their state as at a
// shutdown rather than vanish with the process.
func releaseAfterFailedInit() {
	if n := handoff.Release(); n > 0 {
		pluginLog.Errorf("hot reload: an instance failed to start; %d instances of the old configuration closed as at a shutdown", n)
	}
}
