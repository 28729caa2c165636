package main

/*
#include <stdlib.h>

// Fluent Bit 5.1.1's flb_api and a prefix of flbgo_output_plugin, mirrored
// so the probe can tell a NULL property (which fluent-bit-go turns into "")
// from a real value and can reach the logging callbacks fluent-bit-go lacks.
struct probe_api {
	char *(*output_get_property)(char *key, void *o_ins);
	char *(*input_get_property)(char *key, void *i_ins);
	void *(*output_get_cmt_instance)(void *o_ins);
	void *(*input_get_cmt_instance)(void *i_ins);
	void (*log_print)(int level, const char *file, int line, const char *fmt, ...);
	int (*input_log_check)(void *i_ins, int level);
	int (*output_log_check)(void *o_ins, int level);
	char *(*custom_get_property)(char *key, void *c_ins);
	int (*custom_log_check)(void *c_ins, int level);
};

struct probe_plugin {
	void *name;
	struct probe_api *api;
	void *o_ins;
	void *context;
};

static char *probe_get_property(void *plugin, char *key)
{
	struct probe_plugin *p = plugin;

	if (p == NULL || p->api == NULL || p->api->output_get_property == NULL) {
		return NULL;
	}
	return p->api->output_get_property(key, p->o_ins);
}

// probe_log prints msg through the host's log_print; "%s" keeps msg from
// being read as a format.
static void probe_log(void *plugin, int level, char *msg)
{
	struct probe_plugin *p = plugin;

	if (p != NULL && p->api != NULL && p->api->log_print != NULL) {
		p->api->log_print(level, "probe", 0, "%s", msg);
	}
}

// probe_log_level returns the most verbose level output_log_check accepts
// for this instance (0 when it accepts none).
static int probe_log_level(void *plugin)
{
	struct probe_plugin *p = plugin;

	if (p == NULL || p->api == NULL || p->api->output_log_check == NULL) {
		return -1;
	}
	for (int level = 5; level > 0; level--) {
		if (p->api->output_log_check(p->o_ins, level)) {
			return level;
		}
	}
	return 0;
}
*/
import "C"

import "unsafe"

// property returns the instance property key and whether the host returned
// a non-NULL value for it.
func property(plugin unsafe.Pointer, key string) (string, bool) {
	ckey := C.CString(key)
	defer C.free(unsafe.Pointer(ckey))
	v := C.probe_get_property(plugin, ckey)
	if v == nil {
		return "", false
	}
	return C.GoString(v), true
}

// logInfo prints msg at info level (3) through the host's log_print and
// returns the most verbose level the host would let this instance log.
func logInfo(plugin unsafe.Pointer, msg string) int {
	cmsg := C.CString(msg)
	defer C.free(unsafe.Pointer(cmsg))
	C.probe_log(plugin, 3, cmsg)
	return int(C.probe_log_level(plugin))
}

func propertyOrEmpty(plugin unsafe.Pointer, key string) string {
	v, _ := property(plugin, key)
	return v
}
