package main

/*
#include <stdlib.h>

// The head of Fluent Bit's struct flbgo_output_plugin (src/proxy/go/go.h)
// and struct flb_plugin_proxy_context, as far as the plugin uses them.
struct welf_proxy_context {
    void *remote_context;
};

struct welf_output_plugin {
    void *name;
    void *api;
    void *o_ins;
    struct welf_proxy_context *context;
};
*/
import "C"

import (
	"errors"
	"sync"
	"unsafe"
)

// contexts maps the remote_context pointers the plugin hands Fluent Bit to
// their instances. It replaces fluent-bit-go's FLBPluginSetContext, whose
// map is never cleared: every hot reload would keep the old instances,
// and all they reference, alive for good. Here ExitCtx removes the entry
// and frees the C key.
var contexts = registry{m: make(map[uintptr]*instance)}

// registry holds the live instances by the address of a C byte, a key
// Fluent Bit can keep without holding a Go pointer (cgo pointer rules).
type registry struct {
	mu sync.RWMutex
	m  map[uintptr]*instance
}

// set registers inst and points the plugin's proxy context at its key.
func (r *registry) set(plugin unsafe.Pointer, inst *instance) error {
	p := (*C.struct_welf_output_plugin)(plugin)
	if p.context == nil {
		return errors.New("no proxy context from Fluent Bit")
	}
	key := C.malloc(1)
	if key == nil {
		return errors.New("out of memory for the instance context")
	}
	r.mu.Lock()
	r.m[uintptr(key)] = inst
	r.mu.Unlock()
	p.context.remote_context = key
	return nil
}

// get returns the instance behind a context pointer, or nil.
func (r *registry) get(ctx unsafe.Pointer) *instance {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.m[uintptr(ctx)]
}

// remove unregisters the instance behind ctx, frees the key and returns
// the instance, or nil if ctx is unknown.
func (r *registry) remove(ctx unsafe.Pointer) *instance {
	r.mu.Lock()
	inst, ok := r.m[uintptr(ctx)]
	delete(r.m, uintptr(ctx))
	r.mu.Unlock()
	if ok {
		C.free(ctx)
	}
	return inst
}

// len is how many instances are registered.
func (r *registry) len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.m)
}
