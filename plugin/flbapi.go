package main

// The host side of logging and metrics: Fluent Bit's flb_api table (log_print,
// output_log_check, output_get_cmt_instance; present since Fluent Bit 2.0)
// and the cmetrics functions the fluent-bit binary exports, resolved at run
// time so the plugin also loads where they are missing.

/*
#cgo LDFLAGS: -ldl
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

// The prefixes of Fluent Bit's structures the plugin reads (flb_api.h,
// src/proxy/go/go.h); members are only ever appended there.
struct welf_flb_api {
	void *output_get_property;
	void *input_get_property;
	void *(*output_get_cmt_instance)(void *o_ins);
	void *input_get_cmt_instance;
	void (*log_print)(int level, const char *file, int line, const char *fmt, ...);
	void *input_log_check;
	int (*output_log_check)(void *o_ins, int level);
};

struct welf_go_plugin {
	char *name;
	struct welf_flb_api *api;
	void *o_ins;
	void *context;
};

static struct welf_flb_api *welf_api(void *plugin) { return ((struct welf_go_plugin *)plugin)->api; }
static void *welf_o_ins(void *plugin) { return ((struct welf_go_plugin *)plugin)->o_ins; }
static int welf_has_log(struct welf_flb_api *api) { return api->log_print != NULL; }

// welf_log_level returns the highest level output_log_check lets through
// for the instance (0 = off), or -1 when there is no output_log_check.
static int welf_log_level(struct welf_flb_api *api, void *o_ins)
{
	if (!api->output_log_check) {
		return -1;
	}
	for (int level = 5; level > 0; level--) {
		if (api->output_log_check(o_ins, level)) {
			return level;
		}
	}
	return 0;
}

// The message is an argument, never the format: it holds user data.
static void welf_log_print(struct welf_flb_api *api, int level, const char *msg)
{
	api->log_print(level, NULL, 0, "%s", msg);
}

// Fluent Bit writes a line from log_print to Log_File only on its own
// threads (flb_worker_get()); from any other thread it goes to stderr. The
// exported FLBPlugin* functions mark the threads they are called on.
static __thread int welf_host_thread;
static void welf_mark_host_thread(void) { welf_host_thread = 1; }
static int welf_on_host_thread(void) { return welf_host_thread; }

typedef void *(*welf_cmt_create_fn)(void *cmt, char *ns, char *subsystem, char *name, char *help,
                                    int label_count, char **label_keys);
typedef int (*welf_cmt_set_fn)(void *metric, uint64_t ts, double val, int labels_count, char **label_vals);

static welf_cmt_create_fn welf_counter_create, welf_gauge_create;
static welf_cmt_set_fn welf_counter_set, welf_gauge_set;

// welf_cmt_resolve looks the cmetrics functions up in the host process and
// returns the name of the first one missing, or NULL.
static const char *welf_cmt_resolve(void)
{
	welf_counter_create = (welf_cmt_create_fn)dlsym(RTLD_DEFAULT, "cmt_counter_create");
	if (!welf_counter_create) return "cmt_counter_create";
	welf_counter_set = (welf_cmt_set_fn)dlsym(RTLD_DEFAULT, "cmt_counter_set");
	if (!welf_counter_set) return "cmt_counter_set";
	welf_gauge_create = (welf_cmt_create_fn)dlsym(RTLD_DEFAULT, "cmt_gauge_create");
	if (!welf_gauge_create) return "cmt_gauge_create";
	welf_gauge_set = (welf_cmt_set_fn)dlsym(RTLD_DEFAULT, "cmt_gauge_set");
	if (!welf_gauge_set) return "cmt_gauge_set";
	return NULL;
}

static void *welf_cmt_instance(struct welf_flb_api *api, void *o_ins)
{
	return api->output_get_cmt_instance ? api->output_get_cmt_instance(o_ins) : NULL;
}

static void *welf_cmt_create(int gauge, void *cmt, char *ns, char *subsystem, char *name, char *help,
                             int label_count, char **label_keys)
{
	return (gauge ? welf_gauge_create : welf_counter_create)(cmt, ns, subsystem, name, help, label_count, label_keys);
}

static int welf_cmt_set(int gauge, void *metric, double val, int labels_count, char **label_vals)
{
	struct timespec now;
	uint64_t ts;

	clock_gettime(CLOCK_REALTIME, &now);
	ts = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	return (gauge ? welf_gauge_set : welf_counter_set)(metric, ts, val, labels_count, label_vals);
}
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/welfbridge/welfbridge/internal/flblog"
	"github.com/welfbridge/welfbridge/internal/metrics"
	"github.com/welfbridge/welfbridge/internal/pipeline"
)

// metricsInterval is how often an instance's metrics are refreshed between
// chunks, so that delivery progress after the last chunk shows.
const metricsInterval = time.Second

// host is what FLBPluginInit finds of Fluent Bit for one instance. The
// plugin structure is shared by all instances and re-pointed at each Init,
// so both pointers are read there, once.
type host struct {
	api *C.struct_welf_flb_api // nil: no API table
	ins unsafe.Pointer
}

func hostOf(plugin unsafe.Pointer) host {
	api := C.welf_api(plugin)
	if api == nil {
		return host{}
	}
	liveAPI.Store(api)
	return host{api: api, ins: C.welf_o_ins(plugin)}
}

// liveAPI is the API table of the latest Init, which deferred lines are
// printed with; FLBPluginUnregister clears it, as a hot reload frees the
// table before the next Init brings a new one.
var liveAPI atomic.Pointer[C.struct_welf_flb_api]

// enterHost marks the calling thread as one of Fluent Bit's and hands over
// the lines logged meanwhile on the plugin's own threads. Every exported
// function that logs calls it first.
func enterHost() {
	C.welf_mark_host_thread()
	if deferred.pending.Load() {
		deferred.drain()
	}
}

// logger returns the instance's Logger: through Fluent Bit's log_print
// where the host has it, else on stderr.
func (h host) logger(name string) *flblog.Logger {
	if h.api == nil || C.welf_has_log(h.api) == 0 {
		return flblog.New(os.Stderr, pluginName, name, flblog.Info)
	}
	max := flblog.Info // a host without output_log_check: Fluent Bit's default
	if level := C.welf_log_level(h.api, h.ins); level >= 0 {
		max = flblog.Level(level)
	}
	return flblog.NewHost(hostLog{}, pluginName, name, max)
}

// hostLog prints through log_print of the live API table. It keeps no
// table of its own: a pipeline taken over at a hot reload keeps its
// Logger, and the table of the Init that made it is freed by then.
type hostLog struct{}

func (hostLog) Print(level flblog.Level, line string) {
	api := liveAPI.Load()
	if api == nil || C.welf_on_host_thread() == 0 {
		deferred.add(level, line)
		return
	}
	if deferred.pending.Load() {
		deferred.drain()
	}
	printLine(api, level, line)
}

func printLine(api *C.struct_welf_flb_api, level flblog.Level, line string) {
	msg := C.CString(line)
	C.welf_log_print(api, C.int(level), msg)
	C.free(unsafe.Pointer(msg))
}

// maxDeferred bounds the lines kept for the next call from Fluent Bit.
const maxDeferred = 1024

// deferredLines holds lines logged on the plugin's own goroutines (delivery,
// correlation ticks, closing) until a thread of Fluent Bit's calls in: at
// the next chunk or at exit. Printed right away they would miss Log_File.
type deferredLines struct {
	mu      sync.Mutex
	pending atomic.Bool
	lines   []deferredLine
	lost    int
}

type deferredLine struct {
	level flblog.Level
	line  string
}

var deferred deferredLines

func (d *deferredLines) add(level flblog.Level, line string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.lines) >= maxDeferred {
		d.lost++
		return
	}
	d.lines = append(d.lines, deferredLine{level, line})
	d.pending.Store(true)
}

// drain prints the deferred lines; only on a thread of Fluent Bit's, and
// only while an API table is live.
func (d *deferredLines) drain() {
	api := liveAPI.Load()
	if api == nil {
		return
	}
	d.mu.Lock()
	lines, lost := d.lines, d.lost
	d.lines, d.lost = nil, 0
	d.pending.Store(false)
	d.mu.Unlock()
	for _, l := range lines {
		printLine(api, l.level, l.line)
	}
	if lost > 0 {
		printLine(api, flblog.Warn, fmt.Sprintf("[output:%s] %d log lines of background work were lost (more than %d waited for Fluent Bit)", pluginName, lost, maxDeferred))
	}
}

// metricsOff is set once the plugin has said that metrics are off.
var metricsOff sync.Once

// publishMetrics registers the instance's metrics in its cmetrics context
// and keeps them up to date every metricsInterval until stop is called.
// stop(true) publishes the last values and releases the series; stop(false)
// (the pipeline did not close in time, and may hold the joiners' locks)
// only ends the updates, without waiting. Without cmetrics it says so once
// per process and returns nil.
func (h host) publishMetrics(log *flblog.Logger, name string, snapshot func() metrics.Snapshot) (pub *metrics.Publisher, stop func(final bool)) {
	reg, why := h.registry()
	if reg == nil {
		metricsOff.Do(func() { log.Infof("metrics are off: %s; the counters are in the exit line only", why) })
		return nil, func(bool) {}
	}
	pub, err := metrics.NewPublisher(reg, name, snapshot)
	if err != nil {
		log.Warnf("metrics are off for this instance: %v", err)
		return nil, func(bool) { reg.free() }
	}
	done, quit := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(metricsInterval)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				pub.Update()
			}
		}
	}()
	var once sync.Once
	return pub, func(final bool) {
		once.Do(func() {
			close(quit)
			if !final {
				pub.Stop()
				return // the series stay allocated: an update may still be running
			}
			<-done
			pub.Update()
			pub.Stop()
			reg.free()
		})
	}
}

// registry returns the instance's cmetrics registry, or nil and why not.
func (h host) registry() (*cmtRegistry, string) {
	if h.api == nil {
		return nil, "Fluent Bit passed no API table"
	}
	if missing := C.welf_cmt_resolve(); missing != nil {
		return nil, "Fluent Bit exports no " + C.GoString(missing)
	}
	cmt := C.welf_cmt_instance(h.api, h.ins)
	if cmt == nil {
		return nil, "the output instance has no metrics context (Fluent Bit built without metrics)"
	}
	return &cmtRegistry{cmt: cmt}, ""
}

// cmtRegistry implements metrics.Registry on a cmetrics context. The label
// values of each series stay allocated in C until free.
type cmtRegistry struct {
	cmt    unsafe.Pointer
	allocs []unsafe.Pointer
}

func (r *cmtRegistry) cstrings(s []string) **C.char {
	arr := (**C.char)(C.calloc(C.size_t(len(s)+1), C.size_t(unsafe.Sizeof((*C.char)(nil)))))
	r.allocs = append(r.allocs, unsafe.Pointer(arr))
	elems := unsafe.Slice(arr, len(s))
	for i, v := range s {
		elems[i] = C.CString(v)
		r.allocs = append(r.allocs, unsafe.Pointer(elems[i]))
	}
	return arr
}

func (r *cmtRegistry) free() {
	for _, p := range r.allocs {
		C.free(p)
	}
	r.allocs = nil
}

func (r *cmtRegistry) Register(d *metrics.Desc) (metrics.Family, error) {
	keys := append([]string{"name"}, d.Labels...)
	strs := []string{metrics.Namespace, metrics.Subsystem, d.Name, d.Help}
	cs := make([]*C.char, len(strs))
	for i, s := range strs {
		cs[i] = C.CString(s)
	}
	ckeys := r.cstrings(keys) // cmetrics copies names and keys, but a host might not: kept
	gauge := C.int(0)
	if d.Kind == metrics.Gauge {
		gauge = 1
	}
	m := C.welf_cmt_create(gauge, r.cmt, cs[0], cs[1], cs[2], cs[3], C.int(len(keys)), ckeys)
	for _, c := range cs {
		C.free(unsafe.Pointer(c))
	}
	if m == nil {
		return nil, fmt.Errorf("cmetrics refused to create it")
	}
	return &cmtFamily{r: r, m: m, gauge: gauge, labels: len(keys)}, nil
}

type cmtFamily struct {
	r      *cmtRegistry
	m      unsafe.Pointer
	gauge  C.int
	labels int
}

func (f *cmtFamily) With(values []string) (metrics.Setter, error) {
	if len(values) != f.labels {
		return nil, fmt.Errorf("%d label values for %d labels", len(values), f.labels)
	}
	return &cmtSeries{f: f, vals: f.r.cstrings(values)}, nil
}

type cmtSeries struct {
	f    *cmtFamily
	vals **C.char
}

func (s *cmtSeries) Set(v float64) {
	C.welf_cmt_set(s.f.gauge, s.f.m, C.double(v), C.int(s.f.labels), s.vals)
}

// flushed reports a chunk at debug level and refreshes the metrics.
func (inst *instance) flushed(res pipeline.Result, err error, tag string) {
	if inst.log.Enabled(flblog.Debug) {
		if err != nil {
			inst.log.Debugf("chunk (tag %q) handed back for retry: %v", tag, err)
		} else {
			inst.log.Debugf("chunk (tag %q): events=%d written=%d unparsed=%d malformed=%d", tag, res.Events, res.Written, res.Unparsed, res.Malformed)
		}
	}
	inst.metrics.Update()
}
