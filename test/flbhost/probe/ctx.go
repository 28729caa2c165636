//go:build !noctx

package main

import (
	"C"
	"fmt"
	"unsafe"

	"github.com/fluent/fluent-bit-go/output"
)

//export FLBPluginFlushCtx
func FLBPluginFlushCtx(ctx, data unsafe.Pointer, length C.int, tag *C.char) int {
	in, ok := output.FLBPluginGetContext(ctx).(*instance)
	if !ok {
		logLine(nil, fmt.Sprintf("flush unknown context thread=%d", tid()))
		return output.FLB_ERROR
	}
	return in.flush("flush", data, int(length), C.GoString(tag))
}

//export FLBPluginExitCtx
func FLBPluginExitCtx(ctx unsafe.Pointer) int {
	in, ok := output.FLBPluginGetContext(ctx).(*instance)
	if !ok {
		logLine(nil, fmt.Sprintf("exit unknown context thread=%d", tid()))
		return output.FLB_ERROR
	}
	in.exit("exit")
	return output.FLB_OK
}
