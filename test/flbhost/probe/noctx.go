//go:build noctx

package main

import (
	"C"
	"fmt"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"
)

// Without a context the callbacks act on the most recently initialised
// instance, as single-instance plugins written this way do.
func lastInstance() *instance {
	state.mu.Lock()
	defer state.mu.Unlock()
	return state.last
}

//export FLBPluginFlush
func FLBPluginFlush(data unsafe.Pointer, length C.int, tag *C.char) int {
	in := lastInstance()
	if in == nil {
		logLine(nil, fmt.Sprintf("flush-noctx without instance thread=%d", tid()))
		return output.FLB_ERROR
	}
	return in.flush("flush-noctx", data, int(length), C.GoString(tag))
}

//export FLBPluginExit
func FLBPluginExit() int {
	state.mu.Lock()
	state.exits++
	call := state.exits
	state.mu.Unlock()
	logLine(nil, fmt.Sprintf("exit-noctx call=%d thread=%d", call, tid()))
	return output.FLB_OK
}
