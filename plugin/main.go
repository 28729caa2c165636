// Command out_welf is the welfbridge Fluent Bit output plugin, built with
// -buildmode=c-shared into out_welf.so and loaded by Fluent Bit's Go proxy.
//
// This package is the only cgo code: the exported FLBPlugin* functions,
// kept thin (here and in reload.go), and the host's APIs (context.go,
// flbapi.go). Each exported function recovers panics, logs them in Fluent
// Bit's style and fails (FLB_ERROR; -1 for Register), because nothing the
// plugin does may end the host process. A recovered panic is the last line
// of defence only: once Fluent Bit has re-installed its signal handlers
// (after SIGHUP or SIGCONT) a nil dereference is fatal, so every pointer
// Fluent Bit hands over is checked.
package main

/*
#include <stdlib.h>
*/
import "C"

import (
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"

	"github.com/welfbridge/welfbridge/internal/config"
	"github.com/welfbridge/welfbridge/internal/destination"
	"github.com/welfbridge/welfbridge/internal/flblog"
	"github.com/welfbridge/welfbridge/internal/metrics"
	"github.com/welfbridge/welfbridge/internal/pipeline"
)

const (
	pluginName        = "welf"
	pluginDescription = "WELF for SIEMs from Airlock Gateway logs and MWG connection traces"
)

// exitMargin is how much longer than Shutdown_Timeout FLBPluginExitCtx
// waits at most: Fluent Bit does not bound it, and a hung exit hangs the
// host's shutdown until it is killed.
const exitMargin = 5 * time.Second

// instance is what FLBPluginSetContext stores for one [OUTPUT] section.
type instance struct {
	exitWait time.Duration
	log      *flblog.Logger
	pipeline *pipeline.Pipeline
	exitOnce sync.Once

	fingerprint string // of its configuration, for a hot reload's handoff
	// metrics is nil when the host has no metrics; stopMetrics publishes
	// the last values and releases them.
	metrics     *metrics.Publisher
	stopMetrics func(final bool)
}

// Global state lives here only: Fluent Bit gives a Go plugin no other place.
var (
	mu sync.Mutex
	// nextInstance numbers instances in Init order, as Fluent Bit does. A
	// hot reload calls FLBPluginRegister again before the new Inits, so the
	// numbering restarts there too.
	nextInstance int
	// pluginLog reports problems that happen outside any instance.
	pluginLog = flblog.New(os.Stderr, pluginName, pluginName, flblog.Info)
)

// recoverTo turns a panic into a logged error and FLB_ERROR.
func recoverTo(log *flblog.Logger, where string, ret *int) {
	if r := recover(); r != nil {
		log.Errorf("%s: internal error (recovered panic): %v\n%s", where, r, debug.Stack())
		*ret = output.FLB_ERROR
	}
}

// registerFailed is what FLBPluginRegister returns to fail: Fluent Bit
// takes any other value, FLB_ERROR (0) included, as success.
const registerFailed = -1

// recoverRegister is recoverTo for FLBPluginRegister.
func recoverRegister(ret *int) {
	if r := recover(); r != nil {
		pluginLog.Errorf("register: internal error (recovered panic): %v\n%s", r, debug.Stack())
		*ret = registerFailed
	}
}

//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) (ret int) {
	defer recoverRegister(&ret)
	if def == nil {
		pluginLog.Errorf("register: Fluent Bit passed no plugin definition")
		return registerFailed
	}
	mu.Lock()
	nextInstance = 0
	mu.Unlock()
	return output.FLBPluginRegister(def, pluginName, pluginDescription)
}

//export FLBPluginInit
func FLBPluginInit(plugin unsafe.Pointer) (ret int) {
	defer recoverTo(pluginLog, "init", &ret)
	defer func() {
		if ret != output.FLB_OK {
			releaseAfterFailedInit()
		}
	}()
	if plugin == nil {
		pluginLog.Errorf("init: Fluent Bit passed no plugin instance")
		return output.FLB_ERROR
	}
	host := hostOf(plugin)
	enterHost()
	mu.Lock()
	name := fmt.Sprintf("%s.%d", pluginName, nextInstance)
	nextInstance++
	mu.Unlock()
	log := host.logger(name)

	// Every property is read here and only here: the plugin pointer is
	// shared by all instances and re-pointed at each Init.
	hostname, _ := os.Hostname() // "" falls back to "localhost" in config
	props := make(map[string]string)
	cfg, err := config.Parse(func(key string) string {
		v := output.FLBPluginConfigKey(plugin, key)
		props[strings.ToLower(key)] = v
		return v
	}, hostname)
	if err != nil {
		log.Errorf("invalid configuration:\n%v", err)
		return output.FLB_ERROR
	}
	props["\x00hostname"] = hostname // the default FW; not a property name
	fingerprint := pipeline.Fingerprint(props)
	// After a hot reload, the instance with the same configuration goes on
	// with its predecessor's pipeline.
	p := handoff.Take(fingerprint, cfg)
	if p != nil {
		log.Infof("hot reload: took over the pending state and undelivered records of the previous instance")
	} else {
		dest, err := destination.Open(cfg, os.Stdout, log)
		if err != nil {
			log.Errorf("%v", err)
			return output.FLB_ERROR
		}
		if p, err = pipeline.New(cfg, dest, log); err != nil {
			dest.Sink.Close()
			log.Errorf("%v", err)
			return output.FLB_ERROR
		}
	}
	// Metrics live in the instance's cmetrics context, which Fluent Bit
	// frees after ExitCtx: a pipeline taken over is published anew here.
	pub, stopMetrics := host.publishMetrics(log, name, p.Snapshot)
	inst := &instance{fingerprint: fingerprint, log: log, pipeline: p, exitWait: cfg.Delivery.ShutdownTimeout + exitMargin,
		metrics: pub, stopMetrics: stopMetrics}
	if err := contexts.set(plugin, inst); err != nil {
		log.Errorf("init: %v", err)
		inst.close()
		return output.FLB_ERROR
	}
	log.Infof("destination=%s source=%s log_key=%s welf_id=%s time_zone=%s", cfg.Destination, cfg.Source, cfg.LogKey, cfg.WELFID, cfg.Location)
	return output.FLB_OK
}

// lookup returns the instance behind a context pointer, or nil.
func lookup(ctx unsafe.Pointer) *instance {
	if ctx == nil {
		return nil
	}
	return contexts.get(ctx)
}

// FLBPluginFlushCtx receives one chunk. Fluent Bit passes the size as size_t
// (fluent-bit-go declares int); size_t is what the caller really passes.
//
//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, size C.size_t, tag *C.char) (ret int) {
	inst := lookup(ctx)
	if inst == nil {
		pluginLog.Errorf("flush: unknown instance context")
		return output.FLB_ERROR
	}
	defer recoverTo(inst.log, "flush", &ret)
	enterHost()
	if data == nil || size == 0 {
		return output.FLB_OK
	}
	var tagStr string
	if tag != nil {
		tagStr = C.GoString(tag)
	}
	chunk := unsafe.Slice((*byte)(data), int(size)) // read in place; never kept past this call
	res, err := inst.pipeline.Flush(chunk, tagStr)
	inst.flushed(res, err, tagStr)
	if err != nil {
		return output.FLB_RETRY // ErrBusy, reported once per episode by the pipeline
	}
	return output.FLB_OK
}

//export FLBPluginExitCtx
func FLBPluginExitCtx(ctx unsafe.Pointer) (ret int) {
	if ctx == nil {
		return output.FLB_OK
	}
	inst := contexts.remove(ctx)
	if inst == nil {
		return output.FLB_OK
	}
	defer recoverTo(inst.log, "exit", &ret)
	enterHost()
	if parkForReload(inst) {
		return output.FLB_OK
	}
	inst.exitOnce.Do(func() { inst.close() })
	return output.FLB_OK
}

// close shuts the instance down, waiting at most exitWait.
func (inst *instance) close() {
	done := make(chan error, 1)
	go func() { done <- inst.pipeline.Close() }()
	select {
	case err := <-done:
		if err != nil {
			inst.log.Errorf("exit: %v", err)
		}
		inst.stopMetrics(true)
	case <-time.After(inst.exitWait):
		inst.log.Errorf("exit: destination did not close within %s; giving up on it", inst.exitWait)
		inst.stopMetrics(false)
	}
	inst.log.Infof("exit: %s", inst.pipeline.Counters())
}

// FLBPluginExit is only called by Fluent Bit when FLBPluginExitCtx is not
// exported; it is here for hosts that look for it, and has nothing to do.
//
//export FLBPluginExit
func FLBPluginExit() int {
	return output.FLB_OK
}

//export FLBPluginUnregister
func FLBPluginUnregister(def unsafe.Pointer) {
	defer func() {
		if r := recover(); r != nil {
			pluginLog.Errorf("unregister: internal error (recovered panic): %v", r)
		}
	}()
	liveAPI.Store(nil)
	if def == nil {
		return
	}
	output.FLBPluginUnregister(def)
}

func main() {}
