// Command probe is a Fluent Bit Go output plugin (name "probe") that exists
// only to test the flbhost harness: it writes one line per callback it
// receives, so a test can check what the host called, in which order, on
// which thread and with which bytes.
//
// Build it with go build -buildmode=c-shared. With -tags noctx it exports
// FLBPluginFlush and FLBPluginExit instead of FLBPluginFlushCtx and
// FLBPluginExitCtx, to exercise the host's fallbacks.
//
// Where lines go:
//   - $PROBE_LOG (if set) receives every callback's line, including those
//     without an instance: preregister, register, prerun, preexit,
//     unregister. It is the one place that shows the global order.
//   - The instance property Probe_Out names a per-instance file that
//     receives that instance's init, flush and exit lines, plus one
//     "  record <time> <record>" line per record and, with Dump on, one
//     "  hex <chunk bytes>" line per flush.
//
// Instance properties:
//
//	Id           label used in the instance's lines
//	Probe_Out    per-instance output file
//	Probe_Keys   comma-separated property names whose values the init line
//	             reports (quoted, or <nil> when the host returns NULL)
//	Retry_First  on: answer FLB_RETRY the first time a chunk is seen
//	             (chunks are told apart by CRC-32 and size)
//	Flush_Return always return this integer from flush
//	Fail_Init    on: return FLB_ERROR from FLBPluginInit
//	Barrier      N: the first N flushes wait (up to 10 s) until N flushes are
//	             in progress at once and report barrier=ok or barrier=timeout
//	Dump         on: log the chunk as hex
//	Log_Message  printed at info level through the host's log_print during
//	             init; the init line then reports level_check=<n>, the most
//	             verbose level output_log_check accepts
//
// Every line carries thread=<Linux thread id>.
package main

import (
	"C"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"
)

// barrierTimeout bounds how long a Barrier flush waits for its peers, so a
// host that never runs flushes concurrently produces barrier=timeout instead
// of hanging.
const barrierTimeout = 10 * time.Second

// probeState is process-wide because the plugin ABI is: FLBPluginInit gets
// the same plugin pointer for every instance, and the no-context callbacks
// carry no instance at all.
type probeState struct {
	mu          sync.Mutex
	firstPlugin unsafe.Pointer
	last        *instance
	exits       int
}

var state probeState

// writeMu keeps each callback's block of lines contiguous in the files.
var writeMu sync.Mutex

type instance struct {
	id          string
	out         string
	retryFirst  bool
	dump        bool
	hasReturn   bool
	flushReturn int
	barrier     int

	mu      sync.Mutex
	seen    map[uint64]bool
	flushes int
	arrived int
	met     chan struct{}
}

func main() {}

func tid() int {
	return syscall.Gettid()
}

func appendFile(path, text string) {
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe: %v\n", err)
		return
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		fmt.Fprintf(os.Stderr, "probe: %v\n", err)
	}
}

// logLine writes line to $PROBE_LOG and, with detail lines, to the
// instance's own file.
func logLine(in *instance, line string, detail ...string) {
	writeMu.Lock()
	defer writeMu.Unlock()
	appendFile(os.Getenv("PROBE_LOG"), line+"\n")
	if in != nil && in.out != "" {
		var b strings.Builder
		b.WriteString(line + "\n")
		for _, d := range detail {
			b.WriteString(d + "\n")
		}
		appendFile(in.out, b.String())
	}
}

//export FLBPluginPreRegister
func FLBPluginPreRegister(hotReload C.int) int {
	logLine(nil, fmt.Sprintf("preregister hot=%d thread=%d", int(hotReload), tid()))
	return 0
}

//export FLBPluginRegister
func FLBPluginRegister(def unsafe.Pointer) int {
	logLine(nil, fmt.Sprintf("register thread=%d", tid()))
	return output.FLBPluginRegister(def, "probe", "flbhost test probe")
}

//export FLBPluginInit
func FLBPluginInit(plugin unsafe.Pointer) int {
	in := &instance{
		id:         propertyOrEmpty(plugin, "Id"),
		out:        propertyOrEmpty(plugin, "Probe_Out"),
		retryFirst: propertyOrEmpty(plugin, "Retry_First") == "on",
		dump:       propertyOrEmpty(plugin, "Dump") == "on",
		seen:       make(map[uint64]bool),
		met:        make(chan struct{}),
	}
	if v, ok := property(plugin, "Flush_Return"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			logLine(in, fmt.Sprintf("init id=%s bad Flush_Return %q ret=0", in.id, v))
			return output.FLB_ERROR
		}
		in.hasReturn, in.flushReturn = true, n
	}
	if v, ok := property(plugin, "Barrier"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			logLine(in, fmt.Sprintf("init id=%s bad Barrier %q ret=0", in.id, v))
			return output.FLB_ERROR
		}
		in.barrier = n
	}

	state.mu.Lock()
	if state.firstPlugin == nil {
		state.firstPlugin = plugin
	}
	same := "first"
	if state.firstPlugin != plugin {
		same = "other"
	}
	state.mu.Unlock()

	var props strings.Builder
	if keys, ok := property(plugin, "Probe_Keys"); ok {
		for _, k := range strings.Split(keys, ",") {
			v, ok := property(plugin, k)
			if ok {
				fmt.Fprintf(&props, " %s=%q", k, v)
			} else {
				fmt.Fprintf(&props, " %s=<nil>", k)
			}
		}
	}

	if msg, ok := property(plugin, "Log_Message"); ok {
		level := logInfo(plugin, fmt.Sprintf("[output:probe:%s] %s", in.id, msg))
		fmt.Fprintf(&props, " level_check=%d", level)
	}

	ret := output.FLB_OK
	if propertyOrEmpty(plugin, "Fail_Init") == "on" {
		ret = output.FLB_ERROR
	}
	logLine(in, fmt.Sprintf("init id=%s thread=%d plugin=%s%s ret=%d", in.id, tid(), same, props.String(), ret))
	if ret != output.FLB_OK {
		return ret
	}
	output.FLBPluginSetContext(plugin, in)
	state.mu.Lock()
	state.last = in
	state.mu.Unlock()
	return ret
}

//export FLBPluginOutputPreRun
func FLBPluginOutputPreRun(hotReload C.int) int {
	logLine(nil, fmt.Sprintf("prerun hot=%d thread=%d", int(hotReload), tid()))
	return 0
}

//export FLBPluginOutputPreExit
func FLBPluginOutputPreExit(hotReload C.int) {
	logLine(nil, fmt.Sprintf("preexit hot=%d thread=%d", int(hotReload), tid()))
}

//export FLBPluginUnregister
func FLBPluginUnregister(def unsafe.Pointer) {
	logLine(nil, fmt.Sprintf("unregister thread=%d", tid()))
	output.FLBPluginUnregister(def)
}

// flush records one chunk; verb names the exported function that called it.
func (in *instance) flush(verb string, data unsafe.Pointer, length int, tag string) int {
	if data == nil || length < 0 {
		logLine(in, fmt.Sprintf("%s id=%s tag=%s invalid chunk", verb, in.id, tag))
		return output.FLB_ERROR
	}
	raw := unsafe.Slice((*byte)(data), length)
	crc := crc32.ChecksumIEEE(raw)

	var detail []string
	dec := output.NewDecoder(data, length)
	for {
		ret, ts, rec := output.GetRecord(dec)
		if ret != 0 {
			break
		}
		detail = append(detail, fmt.Sprintf("  record %s %s", renderTime(ts), render(rec)))
	}
	records := len(detail)
	if in.dump {
		detail = append(detail, "  hex "+hex.EncodeToString(raw))
	}

	in.mu.Lock()
	in.flushes++
	ret := output.FLB_OK
	switch key := uint64(crc)<<32 | uint64(uint32(length)); {
	case in.hasReturn:
		ret = in.flushReturn
	case in.retryFirst && !in.seen[key]:
		in.seen[key] = true
		ret = output.FLB_RETRY
	}
	in.mu.Unlock()

	line := fmt.Sprintf("%s id=%s tag=%s records=%d bytes=%d crc=%08x thread=%d ret=%d%s",
		verb, in.id, tag, records, length, crc, tid(), ret, in.awaitBarrier())
	logLine(in, line, detail...)
	return ret
}

// awaitBarrier holds the first in.barrier flushes until all of them are in
// progress, which proves the host runs them concurrently.
func (in *instance) awaitBarrier() string {
	in.mu.Lock()
	if in.arrived >= in.barrier {
		in.mu.Unlock()
		return ""
	}
	in.arrived++
	if in.arrived == in.barrier {
		close(in.met)
	}
	in.mu.Unlock()

	timer := time.NewTimer(barrierTimeout)
	defer timer.Stop()
	select {
	case <-in.met:
		return " barrier=ok"
	case <-timer.C:
		return " barrier=timeout"
	}
}

func (in *instance) exit(verb string) {
	in.mu.Lock()
	flushes := in.flushes
	in.mu.Unlock()
	logLine(in, fmt.Sprintf("%s id=%s thread=%d flushes=%d", verb, in.id, tid(), flushes))
}

func renderTime(ts interface{}) string {
	switch t := ts.(type) {
	case output.FLBTime:
		return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond())
	case uint64:
		return strconv.FormatUint(t, 10)
	default:
		return fmt.Sprintf("%T(%v)", ts, ts)
	}
}

// render prints a decoded value with its type visible: strings quoted,
// floats always with a '.' or exponent, map keys sorted.
func render(v interface{}) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return strconv.FormatBool(x)
	case string:
		return strconv.Quote(x)
	case []byte:
		return strconv.Quote(string(x))
	case int64:
		return strconv.FormatInt(x, 10)
	case uint64:
		return strconv.FormatUint(x, 10)
	case float64:
		s := strconv.FormatFloat(x, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eIN") {
			s += ".0"
		}
		return s
	case []interface{}:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = render(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case map[interface{}]interface{}:
		parts := make([]string, 0, len(x))
		for k, e := range x {
			parts = append(parts, render(k)+":"+render(e))
		}
		sort.Strings(parts)
		return "{" + strings.Join(parts, ",") + "}"
	default:
		return fmt.Sprintf("%T(%v)", x, x)
	}
}
