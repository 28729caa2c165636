//go:build ignore

// The constraint above keeps the go command from treating this file as part
// of the (test-only, cgo-free) Go package in this directory; the tests build
// it with gcc instead.

/*
 * flbhost - a stand-in for Fluent Bit 5.1.1 that drives Go output plugins
 * (go build -buildmode=c-shared) exactly like Fluent Bit's Go proxy does:
 * same structures, symbols, call order, threads, coroutine stacks, property
 * rules, chunk format and return-code handling. It exists because Fluent Bit
 * itself cannot be installed where the project is built and tested.
 *
 * Build:
 *   gcc -std=gnu11 -O2 -Wall -Wextra -Werror -rdynamic -o flbhost flbhost.c -ldl -lpthread
 * (-rdynamic exports the cmetrics stand-ins to plugins; without it they are
 * hidden, as in a host that lacks them)
 *
 * Usage:
 *   flbhost [options] -c <fluent-bit.conf> [-e <plugin.so>]...
 *
 *   -c, --config FILE       Fluent Bit classic configuration file (required)
 *   -e, --plugin FILE       load a Go output plugin, like `fluent-bit -e`
 *                           (repeatable; loaded before the configuration)
 *   -q, --quiet             do not print the final stats line
 *       --time RFC3339      event time of every record, e.g.
 *                           2024-05-01T12:00:00.5Z (default: the read time)
 *       --time-from-mtime   event time of each record: its file's
 *                           modification time (what `make replay` uses
 *                           where Fluent Bit gets it from a Lua filter)
 *       --chunk-bytes N     close a chunk before it would exceed N bytes
 *                           (default 262144)
 *       --chunk-records N   close a chunk once it holds N records
 *                           (default 0 = unlimited)
 *       --retry-wait-ms N   delay before a chunk is flushed again after
 *                           FLB_RETRY (default 50)
 *       --reload-every-chunks N
 *                           hot reload after every N chunks, like SIGHUP
 *                           with Hot_Reload On (see "Hot reload" below)
 *       --reloads K         at most K hot reloads (default 0 = no limit);
 *                           without --reload-every-chunks, K reloads of
 *                           the idle pipeline once the inputs are read
 *       --reload-config FILE
 *                           odd-numbered hot reloads load the [OUTPUT]
 *                           sections of FILE, even-numbered ones those of
 *                           the -c file again (an operator editing back and
 *                           forth); without it a reload keeps the outputs
 *       --metrics FILE      write what plugins registered and set in their
 *                           instances' metrics contexts to FILE at exit, in
 *                           Prometheus' text format
 *       --no-metrics        output_get_cmt_instance unset, like a Fluent Bit
 *                           built without metrics
 *       --no-log-api        log_print and output_log_check unset in the API
 *                           table (Fluent Bit before 2.0 had neither)
 *       --wait-signal       after the inputs are read and flushed, keep
 *                           running (like a Fluent Bit that keeps tailing)
 *                           until SIGTERM or SIGINT
 *       --stop-after-chunks N  stop as if SIGTERM came while the N-th flush
 *                           runs and the grace period ended before it
 *                           returned: its result is not handled
 *       --shuffle-seed N    workers take the ready chunks in a random order
 *                           (seeded by N > 0), among at least half of
 *                           MAX_PENDING_TASKS or once the input is read, none overtaken
 *                           more than about twice that often: chunks
 *                           finish out of order, as with Fluent Bit's
 *                           per-worker queues while a backlog is read
 *                           (default 0 = in order)
 *   -h, --help              print this usage
 *
 * Configuration (classic format): [SERVICE] plugins_file, parsers_file,
 * log_level, log_file, Grace and storage.path; [INPUT] Name tail with Path
 * (comma-separated globs), Exclude_Path, Tag (a '*' is replaced by the file
 * path, like in_tail), Key, Parser (json parsers only), Path_Key, Offset_Key,
 * Read_from_Head (always from the head, or from the DB's offset), DB and
 * storage.type;
 * [OUTPUT] Name, Match, Match_Regex, Alias, Log_Level, Workers, Retry_Limit and
 * the plugin's own properties. @INCLUDE, @SET and ${VAR} work as in Fluent Bit.
 * Other sections are ignored with a warning.
 *
 * Threads and memory, as in Fluent Bit: plugins are loaded, (pre-)registered
 * and unregistered on the main thread; FLBPluginInit, OutputPreRun,
 * OutputPreExit, ExitCtx/Exit and, without `workers`, every flush run on the
 * "flb-pipeline" engine thread; `workers N` gives an instance N flush threads.
 * Each flush runs on a fresh 64 KiB makecontext stack with fresh copies of the
 * chunk and the tag, overwritten with 0xc1 and freed when the call returns.
 *
 * Input files are read once from the head to the end; lines of all files
 * interleave round-robin (input order, then sorted path order), so that
 * correlation across files is exercised. Lines longer than 16 MiB are skipped;
 * a last line without LF is not read (in_tail waits for its end).
 *
 * Logging, as flb_log.c: lines "[YYYY/MM/DD hh:mm:ss.mmm] [level] msg" go to
 * Log_File if set, else stderr; Log_Level gates the host's own lines; a
 * plugin's log_print is not gated (plugins ask output_log_check, which
 * compares with the instance's log_level, the service's by default); a
 * log_print from a thread the host did not create goes to stderr.
 *
 * Output: Fluent Bit style log lines and, unless -q, a final
 *   [flbhost] chunks=<n> records=<n> ok=<n> retry=<n> error=<n> dropped=<n>
 *             dropped_records=<n> lost_records=<n> stored_chunks=<n>
 * (ok/retry/error/dropped are counted over all output instances; retry counts
 * FLB_RETRY results; dropped chunks are those past Retry_Limit, logged as
 * "cannot be retried", and dropped_records their records; lost_records were
 * in memory chunks unfinished at shutdown; stored_chunks were written to
 * storage.path for the next start).
 *
 * Exit status: 0 when every input was consumed and every chunk finished (even
 * if some were dropped, like Fluent Bit); 1 on a usage, configuration, plugin
 * loading or plugin initialisation error.
 *
 * Hot reload (Fluent Bit 5.1.1's flb_reload with Hot_Reload On, reference
 * §8): [SERVICE] Hot_Reload on makes FLBPluginOutputPreRun get 1. A reload
 * closes the open chunks and flushes everything pending (retries too, as
 * Fluent Bit >= 3.2.3 does); then per instance, on the old engine thread,
 * its workers are joined, FLBPluginOutputPreExit(1) and FLBPluginExitCtx;
 * on the main thread FLBPluginUnregister, FLBPluginPreRegister(1) and
 * FLBPluginRegister with a new definition; then a new engine thread calls
 * FLBPluginInit per instance with a new plugin structure and a new proxy
 * context (the old ones are poisoned and freed), starts the workers and
 * calls FLBPluginOutputPreRun(1). The .so stays loaded; the inputs go on
 * where they were (in_tail's offsets). The new instances are those of the
 * configuration read at start, or with --reload-config the [OUTPUT]
 * sections of the file that reload loads (inputs and [SERVICE] stay; ${VAR}
 * uses the -c file's @SET variables).
 *
 * Shutdown, as in Fluent Bit: on SIGTERM or SIGINT (or --stop-after-chunks)
 * the inputs are paused (no more lines are read; open chunks are closed),
 * pending chunks are flushed for up to [SERVICE] Grace seconds (default 5;
 * -1 waits for all),
 * then each instance gets OutputPreExit(0) and ExitCtx. A chunk not flushed
 * by then, or whose flush returned after the grace period (its result is
 * never handled), is unfinished: with the input's storage.type filesystem
 * and [SERVICE] storage.path it is written to storage.path/<input>/ and
 * flushed again after the next start, before any new line is read; with
 * memory buffering it is lost and logged. The tail DB (a text file of
 * "offset path" lines at DB, written at exit) makes the next start read each
 * file from where this one stopped; its directory must exist, or the start
 * fails as in Fluent Bit.
 *
 * Not mirrored: SIGHUP and the HTTP reload endpoint (reloads come from the
 * options above), filters, buffer limits (Mem_Buf_Limit,
 * storage.max_chunks_up; a worker instance holds at most 64 pending chunks
 * and the input waits), a crash (SIGKILL) with filesystem storage, the
 * scheduler's exponential backoff (retries wait --retry-wait-ms), and the
 * duplicate idle worker pool Fluent Bit 5.1.1 starts for Go outputs.
 */

#define _GNU_SOURCE

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <getopt.h>
#include <glob.h>
#include <inttypes.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <sys/stat.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* Values shared with Fluent Bit and fluent-bit-go. */
#define FLB_ERROR 0
#define FLB_OK 1
#define FLB_RETRY 2

#define FLB_PROXY_OUTPUT_PLUGIN 2
#define FLB_PROXY_GOLANG 11
#define FLB_OUTPUT_LOGS 1

#define FLB_LOG_OFF 0
#define FLB_LOG_ERROR 1
#define FLB_LOG_WARN 2
#define FLB_LOG_INFO 3
#define FLB_LOG_DEBUG 4
#define FLB_LOG_TRACE 5

#define RETRY_UNLIMITED (-1)

/* Fluent Bit's coro_stack_size default on x86-64 glibc. */
#define CORO_STACK_SIZE (64 * 1024)

/* Bounds a worker instance's backlog so a slow plugin cannot make the
 * harness buffer the whole input in memory. */
#define MAX_PENDING_TASKS 64

#define MAX_INCLUDE_DEPTH 8
#define MAX_JSON_DEPTH 256
#define MAX_LINE_BYTES (16u << 20)

/* Freed chunk and tag buffers are overwritten with a byte msgpack never uses,
 * so a plugin that kept a pointer past the flush reads garbage at once. */
#define POISON_BYTE 0xc1

/* ------------------------------------------------------------------------
 * Fluent Bit 5.1.1 ABI (include/fluent-bit/flb_plugin_proxy.h, flb_api.h,
 * src/proxy/go/go.h). The field order is the ABI.
 * ------------------------------------------------------------------------ */

struct flb_plugin_proxy_def {
    int type;
    int proxy;
    int flags;
    char *name;
    char *description;
    int event_type;
    void *config_map;
};

struct flb_plugin_proxy_context {
    void *remote_context;
    void *proxy;
};

struct flb_api {
    const char *(*output_get_property)(const char *key, void *o_ins);
    const char *(*input_get_property)(const char *key, void *i_ins);
    void *(*output_get_cmt_instance)(void *o_ins);
    void *(*input_get_cmt_instance)(void *i_ins);
    void (*log_print)(int level, const char *file, int line, const char *fmt, ...);
    int (*input_log_check)(void *i_ins, int level);
    int (*output_log_check)(void *o_ins, int level);
    const char *(*custom_get_property)(const char *key, void *c_ins);
    int (*custom_log_check)(void *c_ins, int level);
};

struct flbgo_output_plugin {
    char *name;
    void *api;
    void *o_ins;
    struct flb_plugin_proxy_context *context;
    void *cb_init;
    void *cb_flush;
    void *cb_flush_ctx;
    void *cb_exit;
    void *cb_exit_ctx;
};

/* ------------------------------------------------------------------------
 * Memory, strings and logging
 * ------------------------------------------------------------------------ */

static void write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            return;
        }
        p += w;
        n -= (size_t)w;
    }
}

static _Noreturn void out_of_memory(void)
{
    static const char msg[] = "[flbhost] out of memory\n";
    write_all(2, msg, sizeof msg - 1);
    _exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        out_of_memory();
    }
    return p;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        out_of_memory();
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        out_of_memory();
    }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) {
        out_of_memory();
    }
    va_end(ap);
    return s;
}

static bool is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static bool is_digit(int c)
{
    return c >= '0' && c <= '9';
}

/* trim strips leading and trailing whitespace in place. */
static char *trim(char *s)
{
    char *end;

    while (is_space((unsigned char)*s)) {
        s++;
    }
    end = s + strlen(s);
    while (end > s && is_space((unsigned char)end[-1])) {
        end--;
    }
    *end = '\0';
    return s;
}

static bool has_prefix_nocase(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static const char *level_label(int level)
{
    switch (level) {
    case FLB_LOG_ERROR:
        return "error";
    case FLB_LOG_WARN:
        return " warn";
    case FLB_LOG_INFO:
        return " info";
    case FLB_LOG_DEBUG:
        return "debug";
    case FLB_LOG_TRACE:
        return "trace";
    default:
        return "  ???";
    }
}

/* The process log, as flb_log.c keeps it: [SERVICE] Log_Level gates the
 * host's own lines (log_msg), not those a plugin prints through log_print
 * (which checks output_log_check first); [SERVICE] Log_File receives every
 * line printed on one of the host's threads. A line printed on any other
 * thread (flb_worker_get() is NULL there) goes to stderr, file or not. */
static int g_log_level = FLB_LOG_INFO;
static char *g_log_file;
static __thread bool t_host_thread;

/* LOG_MESSAGE_BYTES is the size of Fluent Bit's struct log_message text:
 * longer lines are cut there. */
#define LOG_MESSAGE_BYTES (4096 - sizeof(size_t))

/* log_vprint writes one Fluent Bit style line with a single write(2), so
 * lines from concurrent threads never interleave. */
static void log_vprint(int level, const char *fmt, va_list ap)
{
    char line[LOG_MESSAGE_BYTES];
    size_t room = sizeof line - 1; /* keeps a byte for the newline */
    size_t n;
    int m;
    int fd = 2;
    struct timespec now;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &now);
    localtime_r(&now.tv_sec, &tm);
    n = strftime(line, room, "[%Y/%m/%d %H:%M:%S", &tm);
    m = snprintf(line + n, room - n, ".%03ld] [%s] ", now.tv_nsec / 1000000, level_label(level));
    if (m > 0) {
        n += (size_t)m < room - n ? (size_t)m : room - n - 1;
    }
    m = vsnprintf(line + n, room - n, fmt, ap);
    if (m > 0) {
        n += (size_t)m < room - n ? (size_t)m : room - n - 1;
    }
    line[n++] = '\n';
    if (g_log_file && t_host_thread) {
        fd = open(g_log_file, O_CREAT | O_WRONLY | O_APPEND, 0666);
        if (fd < 0) {
            fprintf(stderr, "[log] error opening log file %s. Using stderr.\n", g_log_file);
            fd = 2;
        }
    }
    write_all(fd, line, n);
    if (fd != 2) {
        close(fd);
    }
}

static void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void log_msg(int level, const char *fmt, ...)
{
    va_list ap;

    if (level > g_log_level) {
        return;
    }
    va_start(ap, fmt);
    log_vprint(level, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------------------
 * Growable buffers and lists
 * ------------------------------------------------------------------------ */

struct buf {
    unsigned char *data;
    size_t len;
    size_t cap;
};

static void buf_reserve(struct buf *b, size_t extra)
{
    size_t need;

    if (extra > SIZE_MAX - b->len) {
        out_of_memory();
    }
    need = b->len + extra;
    if (need <= b->cap) {
        return;
    }
    if (b->cap == 0) {
        b->cap = 256;
    }
    while (b->cap < need) {
        b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
    }
    b->data = xrealloc(b->data, b->cap);
}

static void buf_append(struct buf *b, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    buf_reserve(b, n);
    memcpy(b->data + b->len, p, n);
    b->len += n;
}

static void buf_byte(struct buf *b, unsigned char c)
{
    buf_reserve(b, 1);
    b->data[b->len++] = c;
}

static void buf_be(struct buf *b, uint64_t v, int bytes)
{
    buf_reserve(b, (size_t)bytes);
    for (int i = bytes - 1; i >= 0; i--) {
        b->data[b->len++] = (unsigned char)(v >> (8 * i));
    }
}

/* buf_cstr NUL-terminates the buffer and hands its memory to the caller. */
static char *buf_cstr(struct buf *b)
{
    char *s;

    buf_byte(b, '\0');
    s = (char *)b->data;
    *b = (struct buf){0};
    return s;
}

struct ptrvec {
    void **items;
    size_t len;
    size_t cap;
};

static void ptrvec_push(struct ptrvec *v, void *item)
{
    if (v->len == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        v->items = xrealloc(v->items, v->cap * sizeof *v->items);
    }
    v->items[v->len++] = item;
}

struct kv {
    char *key;
    char *value; /* NULL means "no value" */
};

struct kvlist {
    struct kv *items;
    size_t len;
    size_t cap;
};

static void kvlist_add(struct kvlist *l, const char *key, const char *value)
{
    if (l->len == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->items = xrealloc(l->items, l->cap * sizeof *l->items);
    }
    l->items[l->len].key = xstrdup(key);
    l->items[l->len].value = value ? xstrdup(value) : NULL;
    l->len++;
}

/* kvlist_find returns the first entry named key, like flb_kv_get_key_value. */
static const struct kv *kvlist_find(const struct kvlist *l, const char *key, bool nocase)
{
    for (size_t i = 0; i < l->len; i++) {
        if (nocase ? strcasecmp(l->items[i].key, key) == 0 : strcmp(l->items[i].key, key) == 0) {
            return &l->items[i];
        }
    }
    return NULL;
}

static void kvlist_set(struct kvlist *l, const char *key, const char *value)
{
    struct kv *e = (struct kv *)kvlist_find(l, key, false);

    if (e) {
        free(e->value);
        e->value = xstrdup(value);
        return;
    }
    kvlist_add(l, key, value);
}

/* ------------------------------------------------------------------------
 * MessagePack writer (smallest encodings, as msgpack-c produces them)
 * ------------------------------------------------------------------------ */

static void mp_str(struct buf *b, const void *s, size_t n)
{
    if (n < 32) {
        buf_byte(b, (unsigned char)(0xa0 | n));
    } else if (n <= UINT8_MAX) {
        buf_byte(b, 0xd9);
        buf_be(b, n, 1);
    } else if (n <= UINT16_MAX) {
        buf_byte(b, 0xda);
        buf_be(b, n, 2);
    } else {
        buf_byte(b, 0xdb);
        buf_be(b, n, 4);
    }
    buf_append(b, s, n);
}

static void mp_map(struct buf *b, size_t n)
{
    if (n < 16) {
        buf_byte(b, (unsigned char)(0x80 | n));
    } else if (n <= UINT16_MAX) {
        buf_byte(b, 0xde);
        buf_be(b, n, 2);
    } else {
        buf_byte(b, 0xdf);
        buf_be(b, n, 4);
    }
}

static void mp_array(struct buf *b, size_t n)
{
    if (n < 16) {
        buf_byte(b, (unsigned char)(0x90 | n));
    } else if (n <= UINT16_MAX) {
        buf_byte(b, 0xdc);
        buf_be(b, n, 2);
    } else {
        buf_byte(b, 0xdd);
        buf_be(b, n, 4);
    }
}

static void mp_uint(struct buf *b, uint64_t v)
{
    if (v < 128) {
        buf_byte(b, (unsigned char)v);
    } else if (v <= UINT8_MAX) {
        buf_byte(b, 0xcc);
        buf_be(b, v, 1);
    } else if (v <= UINT16_MAX) {
        buf_byte(b, 0xcd);
        buf_be(b, v, 2);
    } else if (v <= UINT32_MAX) {
        buf_byte(b, 0xce);
        buf_be(b, v, 4);
    } else {
        buf_byte(b, 0xcf);
        buf_be(b, v, 8);
    }
}

static void mp_int(struct buf *b, int64_t v)
{
    if (v >= 0) {
        mp_uint(b, (uint64_t)v);
    } else if (v >= -32) {
        buf_byte(b, (unsigned char)(int8_t)v);
    } else if (v >= INT8_MIN) {
        buf_byte(b, 0xd0);
        buf_be(b, (uint64_t)v, 1);
    } else if (v >= INT16_MIN) {
        buf_byte(b, 0xd1);
        buf_be(b, (uint64_t)v, 2);
    } else if (v >= INT32_MIN) {
        buf_byte(b, 0xd2);
        buf_be(b, (uint64_t)v, 4);
    } else {
        buf_byte(b, 0xd3);
        buf_be(b, (uint64_t)v, 8);
    }
}

static void mp_float64(struct buf *b, double v)
{
    uint64_t bits;

    memcpy(&bits, &v, sizeof bits);
    buf_byte(b, 0xcb);
    buf_be(b, bits, 8);
}

/* ------------------------------------------------------------------------
 * JSON to MessagePack (the [PARSER] Format json path of in_tail)
 * ------------------------------------------------------------------------ */

struct json {
    const char *p;
    const char *end;
    int depth;
    struct buf scratch; /* decoded string bytes, reused */
};

static bool json_value(struct json *j, struct buf *out);

static void json_ws(struct json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) {
        j->p++;
    }
}

static bool json_literal(struct json *j, const char *lit)
{
    size_t n = strlen(lit);

    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0) {
        return false;
    }
    j->p += n;
    return true;
}

static int hex_value(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* hex4 reads the four hex digits of a \uXXXX escape starting at p. */
static bool hex4(const char *p, const char *end, unsigned *out)
{
    unsigned v = 0;

    if (end - p < 4) {
        return false;
    }
    for (int i = 0; i < 4; i++) {
        int d = hex_value((unsigned char)p[i]);
        if (d < 0) {
            return false;
        }
        v = v << 4 | (unsigned)d;
    }
    *out = v;
    return true;
}

static void utf8_append(struct buf *b, unsigned cp)
{
    if (cp < 0x80) {
        buf_byte(b, (unsigned char)cp);
    } else if (cp < 0x800) {
        buf_byte(b, (unsigned char)(0xc0 | cp >> 6));
        buf_byte(b, (unsigned char)(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
        buf_byte(b, (unsigned char)(0xe0 | cp >> 12));
        buf_byte(b, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
        buf_byte(b, (unsigned char)(0x80 | (cp & 0x3f)));
    } else {
        buf_byte(b, (unsigned char)(0xf0 | cp >> 18));
        buf_byte(b, (unsigned char)(0x80 | (cp >> 12 & 0x3f)));
        buf_byte(b, (unsigned char)(0x80 | (cp >> 6 & 0x3f)));
        buf_byte(b, (unsigned char)(0x80 | (cp & 0x3f)));
    }
}

/* json_unicode decodes the hex part of a \u escape (j->p is past "\u").
 * A lone surrogate becomes U+FFFD, as Go's encoding/json does. */
static bool json_unicode(struct json *j)
{
    unsigned cp, low;

    if (!hex4(j->p, j->end, &cp)) {
        return false;
    }
    j->p += 4;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (j->end - j->p >= 6 && j->p[0] == '\\' && j->p[1] == 'u' &&
            hex4(j->p + 2, j->end, &low) && low >= 0xdc00 && low <= 0xdfff) {
            j->p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
        } else {
            cp = 0xfffd;
        }
    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        cp = 0xfffd;
    }
    utf8_append(&j->scratch, cp);
    return true;
}

static bool json_string(struct json *j, struct buf *out)
{
    j->p++; /* opening quote */
    j->scratch.len = 0;
    for (;;) {
        const char *run = j->p;
        unsigned char c;

        while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20) {
            j->p++;
        }
        buf_append(&j->scratch, run, (size_t)(j->p - run));
        if (j->p >= j->end) {
            return false;
        }
        c = (unsigned char)*j->p++;
        if (c == '"') {
            break;
        }
        if (c != '\\' || j->p >= j->end) {
            return false; /* raw control character or truncated escape */
        }
        c = (unsigned char)*j->p++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            buf_byte(&j->scratch, c);
            break;
        case 'b':
            buf_byte(&j->scratch, '\b');
            break;
        case 'f':
            buf_byte(&j->scratch, '\f');
            break;
        case 'n':
            buf_byte(&j->scratch, '\n');
            break;
        case 'r':
            buf_byte(&j->scratch, '\r');
            break;
        case 't':
            buf_byte(&j->scratch, '\t');
            break;
        case 'u':
            if (!json_unicode(j)) {
                return false;
            }
            break;
        default:
            return false;
        }
    }
    mp_str(out, j->scratch.data, j->scratch.len);
    return true;
}

static const char *skip_digits(const char *p, const char *end)
{
    while (p < end && is_digit((unsigned char)*p)) {
        p++;
    }
    return p;
}

/* json_number validates the RFC 8259 number grammar; integers become
 * msgpack ints (uint64 above INT64_MAX), everything else float64. */
static bool json_number(struct json *j, struct buf *out)
{
    const char *p = j->p;
    const char *end = j->end;
    bool integer = true;
    char small[64];
    char *text;
    size_t len;

    if (p < end && *p == '-') {
        p++;
    }
    if (p >= end || !is_digit((unsigned char)*p)) {
        return false;
    }
    p = *p == '0' ? p + 1 : skip_digits(p, end);
    if (p < end && *p == '.') {
        integer = false;
        p++;
        if (p >= end || !is_digit((unsigned char)*p)) {
            return false;
        }
        p = skip_digits(p, end);
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        integer = false;
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p >= end || !is_digit((unsigned char)*p)) {
            return false;
        }
        p = skip_digits(p, end);
    }

    /* strto* need a terminated copy: the line may continue with digits of
     * nothing we validated. */
    len = (size_t)(p - j->p);
    text = len < sizeof small ? small : xmalloc(len + 1);
    memcpy(text, j->p, len);
    text[len] = '\0';
    j->p = p;

    if (integer) {
        errno = 0;
        long long v = strtoll(text, NULL, 10);
        if (errno != ERANGE) {
            mp_int(out, v);
            goto done;
        }
        if (text[0] != '-') {
            errno = 0;
            unsigned long long u = strtoull(text, NULL, 10);
            if (errno != ERANGE) {
                mp_uint(out, u);
                goto done;
            }
        }
    }
    mp_float64(out, strtod(text, NULL));
done:
    if (text != small) {
        free(text);
    }
    return true;
}

/* json_members parses an object's members (j->p at '{') into body. */
static bool json_members(struct json *j, struct buf *body, size_t *count)
{
    j->p++;
    json_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        return true;
    }
    for (;;) {
        json_ws(j);
        if (j->p >= j->end || *j->p != '"' || !json_string(j, body)) {
            return false;
        }
        json_ws(j);
        if (j->p >= j->end || *j->p != ':') {
            return false;
        }
        j->p++;
        if (!json_value(j, body)) {
            return false;
        }
        (*count)++;
        json_ws(j);
        if (j->p >= j->end) {
            return false;
        }
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == '}') {
            j->p++;
            return true;
        }
        return false;
    }
}

/* json_elements parses an array's elements (j->p at '[') into body. */
static bool json_elements(struct json *j, struct buf *body, size_t *count)
{
    j->p++;
    json_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        return true;
    }
    for (;;) {
        if (!json_value(j, body)) {
            return false;
        }
        (*count)++;
        json_ws(j);
        if (j->p >= j->end) {
            return false;
        }
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p == ']') {
            j->p++;
            return true;
        }
        return false;
    }
}

/* json_container encodes an object or array. The body is built first because
 * msgpack puts the element count in front. */
static bool json_container(struct json *j, struct buf *out, bool object)
{
    struct buf body = {0};
    size_t count = 0;
    bool ok;

    if (j->depth >= MAX_JSON_DEPTH) {
        return false;
    }
    j->depth++;
    ok = object ? json_members(j, &body, &count) : json_elements(j, &body, &count);
    j->depth--;
    if (ok) {
        if (object) {
            mp_map(out, count);
        } else {
            mp_array(out, count);
        }
        buf_append(out, body.data, body.len);
    }
    free(body.data);
    return ok;
}

static bool json_value(struct json *j, struct buf *out)
{
    json_ws(j);
    if (j->p >= j->end) {
        return false;
    }
    switch (*j->p) {
    case '{':
        return json_container(j, out, true);
    case '[':
        return json_container(j, out, false);
    case '"':
        return json_string(j, out);
    case 't':
        if (!json_literal(j, "true")) {
            return false;
        }
        buf_byte(out, 0xc3);
        return true;
    case 'f':
        if (!json_literal(j, "false")) {
            return false;
        }
        buf_byte(out, 0xc2);
        return true;
    case 'n':
        if (!json_literal(j, "null")) {
            return false;
        }
        buf_byte(out, 0xc0);
        return true;
    default:
        return json_number(j, out);
    }
}

/* json_record parses a whole line that must be one JSON object; the map body
 * goes to body and its member count to count (the caller writes the header,
 * since Path_Key/Offset_Key may add members). */
static bool json_record(struct json *j, const char *line, size_t len, struct buf *body, size_t *count)
{
    j->p = line;
    j->end = line + len;
    j->depth = 1;
    body->len = 0;
    *count = 0;
    json_ws(j);
    if (j->p >= j->end || *j->p != '{' || !json_members(j, body, count)) {
        return false;
    }
    json_ws(j);
    return j->p == j->end;
}

/* ------------------------------------------------------------------------
 * Classic configuration files
 * ------------------------------------------------------------------------ */

struct section {
    char *name;
    struct kvlist entries; /* raw values, expanded when used */
    char *file;
    int line;
};

struct config {
    char *dir;          /* directory of the main file: base of relative paths */
    struct ptrvec sections;
    struct kvlist vars; /* @SET */
};

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (!slash) {
        return xstrdup(".");
    }
    if (slash == path) {
        return xstrdup("/");
    }
    return xstrndup(path, (size_t)(slash - path));
}

static char *resolve_path(const char *dir, const char *path)
{
    if (path[0] == '/') {
        return xstrdup(path);
    }
    return xasprintf("%s/%s", dir, path);
}

/* expand replaces ${NAME} with the @SET value or the environment variable
 * (empty when neither exists), as flb_env_var_translate does. */
static char *expand(const struct kvlist *vars, const char *raw)
{
    struct buf b = {0};
    const char *p = raw;

    while (*p) {
        const char *close;

        if (p[0] == '$' && p[1] == '{' && (close = strchr(p + 2, '}')) != NULL) {
            char *name = xstrndup(p + 2, (size_t)(close - p - 2));
            const struct kv *var = kvlist_find(vars, name, false);
            const char *value = var ? var->value : getenv(name);

            if (value) {
                buf_append(&b, value, strlen(value));
            }
            free(name);
            p = close + 1;
            continue;
        }
        buf_byte(&b, (unsigned char)*p++);
    }
    return buf_cstr(&b);
}

static int config_read(struct config *cf, const char *path, int depth, struct section **current);

static int config_include(struct config *cf, const char *from, int lineno, const char *pattern, int depth,
                          struct section **current)
{
    char *full = resolve_path(cf->dir, pattern);
    glob_t g;
    int ret = 0;

    if (depth >= MAX_INCLUDE_DEPTH) {
        log_msg(FLB_LOG_ERROR, "[config] %s:%d: @INCLUDE nested too deeply", from, lineno);
        free(full);
        return -1;
    }
    if (glob(full, GLOB_TILDE, NULL, &g) != 0) {
        log_msg(FLB_LOG_ERROR, "[config] %s:%d: cannot include '%s': no such file", from, lineno, full);
        free(full);
        return -1;
    }
    for (size_t i = 0; i < g.gl_pathc && ret == 0; i++) {
        ret = config_read(cf, g.gl_pathv[i], depth + 1, current);
    }
    globfree(&g);
    free(full);
    return ret;
}

static int config_line(struct config *cf, const char *path, int lineno, char *s, int depth,
                       struct section **current)
{
    s = trim(s);
    if (*s == '\0' || *s == '#') {
        return 0;
    }
    if (*s == '[') {
        size_t len = strlen(s);
        struct section *sec;

        if (s[len - 1] != ']') {
            log_msg(FLB_LOG_ERROR, "[config] %s:%d: invalid section header '%s'", path, lineno, s);
            return -1;
        }
        s[len - 1] = '\0';
        sec = xcalloc(1, sizeof *sec);
        sec->name = xstrdup(trim(s + 1));
        sec->file = xstrdup(path);
        sec->line = lineno;
        ptrvec_push(&cf->sections, sec);
        *current = sec;
        return 0;
    }
    if (*s == '@') {
        if (has_prefix_nocase(s, "@INCLUDE") && is_space((unsigned char)s[8])) {
            return config_include(cf, path, lineno, trim(s + 8), depth, current);
        }
        if (has_prefix_nocase(s, "@SET") && is_space((unsigned char)s[4])) {
            char *assign = trim(s + 4);
            char *eq = strchr(assign, '=');

            if (!eq) {
                log_msg(FLB_LOG_ERROR, "[config] %s:%d: @SET needs KEY=VALUE", path, lineno);
                return -1;
            }
            *eq = '\0';
            kvlist_set(&cf->vars, trim(assign), trim(eq + 1));
            return 0;
        }
        log_msg(FLB_LOG_ERROR, "[config] %s:%d: unknown directive '%s'", path, lineno, s);
        return -1;
    }
    if (!*current) {
        log_msg(FLB_LOG_ERROR, "[config] %s:%d: entry outside of a section", path, lineno);
        return -1;
    }

    char *key = s;
    char *value = s;
    while (*value && !is_space((unsigned char)*value)) {
        value++;
    }
    if (*value) {
        *value++ = '\0';
    }
    value = trim(value);
    if (*value == '\0') {
        log_msg(FLB_LOG_ERROR, "[config] %s:%d: undefined value for key '%s'", path, lineno, key);
        return -1;
    }
    kvlist_add(&(*current)->entries, key, value);
    return 0;
}

static int config_read(struct config *cf, const char *path, int depth, struct section **current)
{
    FILE *fp = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;
    int ret = 0;

    if (!fp) {
        log_msg(FLB_LOG_ERROR, "[config] cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    while (ret == 0 && getline(&line, &cap, fp) >= 0) {
        ret = config_line(cf, path, ++lineno, line, depth, current);
    }
    free(line);
    fclose(fp);
    return ret;
}

static void kvlist_free(struct kvlist *l)
{
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].key);
        free(l->items[i].value);
    }
    free(l->items);
    *l = (struct kvlist){0};
}

static void config_free(struct config *cf)
{
    for (size_t i = 0; i < cf->sections.len; i++) {
        struct section *sec = cf->sections.items[i];

        free(sec->name);
        free(sec->file);
        kvlist_free(&sec->entries);
        free(sec);
    }
    free(cf->sections.items);
    kvlist_free(&cf->vars);
    free(cf->dir);
    *cf = (struct config){0};
}

static int config_load(struct config *cf, const char *path)
{
    struct section *current = NULL;

    cf->dir = dir_of(path);
    return config_read(cf, path, 0, &current);
}

/* section_get returns the expanded value of the first entry named key
 * (case-insensitive), or NULL when unset or empty. The caller frees it. */
static char *section_get(const struct section *sec, const struct kvlist *vars, const char *key)
{
    const struct kv *e = kvlist_find(&sec->entries, key, true);
    char *value;

    if (!e) {
        return NULL;
    }
    value = expand(vars, e->value);
    if (*value == '\0') {
        free(value);
        return NULL;
    }
    return value;
}

/* ------------------------------------------------------------------------
 * Host model
 * ------------------------------------------------------------------------ */

struct plugin {
    char *path;
    void *dso;
    struct flb_plugin_proxy_def *def;
    char *name; /* strdup of def->name, like Fluent Bit */
    struct flbgo_output_plugin *go;
    struct flb_api *api;
    int instances;

    int (*cb_init)(struct flbgo_output_plugin *);
    int (*cb_pre_run)(int);
    int (*cb_flush)(const void *, size_t, const char *);
    int (*cb_flush_ctx)(void *, const void *, size_t, char *);
    void (*cb_pre_exit)(int);
    int (*cb_exit)(void);
    int (*cb_exit_ctx)(void *);
    void (*cb_unregister)(struct flb_plugin_proxy_def *);
};

struct task;

struct queue {
    pthread_mutex_t mu;
    pthread_cond_t changed; /* CLOCK_MONOTONIC */
    struct task *ready_head;
    struct task *ready_tail;
    struct task *delayed; /* retries, sorted by due time */
    size_t pending;       /* ready + delayed + running */
    bool closing;
    /* --shuffle-seed: take a random ready task, once the queue is full or
     * the input is read (input_done); rng is an xorshift64 state. */
    bool shuffle;
    bool input_done;
    size_t ready;
    uint64_t rng;
};

struct host;

struct output {
    struct host *host;
    struct plugin *plugin;
    int id;
    char *name; /* alias or "<plugin>.<id>" */
    struct kvlist props;
    char *match;
    bool has_regex;
    regex_t match_regex;
    int workers;
    int retry_limit;
    int log_level;
    struct flb_plugin_proxy_context *context;
    struct cmt *cmt; /* the instance's metrics context */
    struct queue queue; /* used when workers > 0 */
    pthread_t *threads;
    int nthreads;
};

struct parser {
    char *name;
    char *format;
};

struct input;

struct stream {
    struct input *in;
    char *tag;
    struct buf data; /* the open chunk */
    size_t records;
    struct timespec created;
};

struct input {
    char *name; /* alias or "tail.<id>" */
    char *key;
    char *path_key;
    char *offset_key;
    bool json;
    bool skip_empty; /* Skip_Empty_Lines: in_tail's default is off */
    struct ptrvec streams;
    bool storage_fs; /* storage.type filesystem */
    char *db;        /* DB: the offsets file, or NULL */
    struct kvlist db_offsets;
};

struct source {
    struct input *in;
    struct stream *stream;
    char *path;
    FILE *fp;
    uint64_t offset;
    char *line;
    size_t cap;
    bool done;
    struct timespec mtime; /* for --time-from-mtime */
};

struct chunk {
    unsigned char *data;
    size_t size;
    size_t records;
    const char *tag;
    const struct input *in;
    unsigned id;
    char name[64];
    atomic_int refs;
    bool stored; /* written to storage.path at shutdown */
};

struct task {
    struct chunk *chunk;
    struct output *out;
    struct queue *queue;
    int retries;
    int overtaken; /* --shuffle-seed: tasks taken before this one meanwhile */
    struct timespec due;
    struct task *next;
};

struct stats {
    size_t chunks;
    size_t records;
    atomic_size_t ok;
    atomic_size_t retry;
    atomic_size_t error;
    atomic_size_t dropped;
    atomic_size_t dropped_records;
    size_t lost_records;
    size_t stored_chunks;
};

struct options {
    const char *config;
    struct ptrvec plugins;
    bool quiet;
    bool fixed_time;
    struct timespec time;
    bool mtime_time;
    size_t chunk_bytes;
    size_t chunk_records;
    long retry_wait_ms;
    size_t reload_every_chunks;
    size_t reloads;
    const char *reload_config;
    const char *metrics_file;
    bool no_metrics;
    bool no_log_api;
    bool wait_signal;
    size_t stop_after_chunks;
    uint64_t shuffle_seed;
};

struct host {
    struct options opt;
    struct config cf;
    int log_level;
    struct ptrvec plugins; /* registered, in load order */
    struct ptrvec parsers;
    struct ptrvec inputs;
    struct ptrvec sources;
    struct ptrvec outputs;
    struct queue engine_queue;
    struct stats stats;
    struct buf event;
    struct buf body;
    struct json json;
    unsigned next_chunk_id;
    int tail_instances;
    bool engine_failed;
    bool hot_reload;   /* [SERVICE] Hot_Reload, what OutputPreRun gets */
    bool reload_due;   /* the engine stops for a hot reload, not for good */
    size_t reloads_done;
    /* Shutdown: stopping is set once, after grace_deadline. */
    long grace_s;
    char *storage_path;
    atomic_bool stopping;
    struct timespec grace_deadline;
    pthread_mutex_t stop_mu;
    struct ptrvec unfinished; /* tasks, under stop_mu */
    atomic_size_t flush_calls;
};

/* ------------------------------------------------------------------------
 * The flb_api table handed to plugins
 * ------------------------------------------------------------------------ */

static const char *api_output_get_property(const char *key, void *o_ins)
{
    struct output *out = o_ins;
    const struct kv *e;

    if (!key || !out) {
        return NULL;
    }
    e = kvlist_find(&out->props, key, true);
    return e ? e->value : NULL;
}

static const char *api_input_get_property(const char *key, void *i_ins)
{
    (void)key;
    (void)i_ins;
    return NULL;
}

static void *api_output_get_cmt_instance(void *o_ins)
{
    struct output *out = o_ins;

    return out ? out->cmt : NULL;
}

/* ------------------------------------------------------------------------
 * A cmetrics stand-in: the functions the fluent-bit binary exports (lib/
 * cmetrics, signatures in the reference §8), exported from this executable
 * too (the Makefile links it with -rdynamic) so a plugin finds them with
 * dlsym(RTLD_DEFAULT, ...). They record what a plugin registers and sets;
 * --metrics FILE writes it at exit in Prometheus' text format, as
 * /api/v2/metrics/prometheus shows it. A counter set below its value is
 * refused, like cmetrics does, and logged as an error.
 * ------------------------------------------------------------------------ */

struct cmt {
    struct output *out;
};

struct cmt_series {
    char **vals;
    double value;
    struct cmt_series *next;
};

struct cmt_family {
    struct cmt *cmt;
    bool gauge;
    char *fqname;
    char *help;
    int nkeys;
    char **keys;
    struct cmt_series *series;
    struct cmt_series **series_tail;
    struct cmt_family *next;
};

static pthread_mutex_t cmt_mu = PTHREAD_MUTEX_INITIALIZER;
static struct cmt_family *cmt_families;
static struct cmt_family **cmt_families_tail = &cmt_families;

void *cmt_counter_create(struct cmt *cmt, char *ns, char *subsystem, char *name, char *help, int label_count,
                         char **label_keys);
void *cmt_gauge_create(struct cmt *cmt, char *ns, char *subsystem, char *name, char *help, int label_count,
                       char **label_keys);
int cmt_counter_inc(void *counter, uint64_t ts, int labels_count, char **label_vals);
int cmt_counter_add(void *counter, uint64_t ts, double val, int labels_count, char **label_vals);
int cmt_counter_set(void *counter, uint64_t ts, double val, int labels_count, char **label_vals);
int cmt_gauge_set(void *gauge, uint64_t ts, double val, int labels_count, char **label_vals);

static void *cmt_family_create(bool gauge, struct cmt *cmt, const char *ns, const char *subsystem, const char *name,
                               const char *help, int label_count, char **label_keys)
{
    struct cmt_family *f;
    struct buf fq = {0};

    if (!cmt || !name || !*name || !help || label_count < 0 || (label_count > 0 && !label_keys)) {
        return NULL;
    }
    if (ns && *ns) {
        buf_append(&fq, ns, strlen(ns));
        buf_byte(&fq, '_');
    }
    if (subsystem && *subsystem) {
        buf_append(&fq, subsystem, strlen(subsystem));
        buf_byte(&fq, '_');
    }
    buf_append(&fq, name, strlen(name));
    f = xcalloc(1, sizeof *f);
    f->cmt = cmt;
    f->gauge = gauge;
    f->fqname = buf_cstr(&fq);
    f->help = xstrdup(help);
    f->nkeys = label_count;
    f->keys = xcalloc((size_t)label_count + 1, sizeof *f->keys);
    for (int i = 0; i < label_count; i++) {
        f->keys[i] = xstrdup(label_keys[i] ? label_keys[i] : "");
    }
    f->series_tail = &f->series;
    pthread_mutex_lock(&cmt_mu);
    for (struct cmt_family *o = cmt_families; o; o = o->next) {
        if (o->cmt == cmt && strcmp(o->fqname, f->fqname) == 0) {
            log_msg(FLB_LOG_ERROR, "[cmetrics] %s registered twice in one context", f->fqname);
        }
    }
    *cmt_families_tail = f;
    cmt_families_tail = &f->next;
    pthread_mutex_unlock(&cmt_mu);
    return f;
}

void *cmt_counter_create(struct cmt *cmt, char *ns, char *subsystem, char *name, char *help, int label_count,
                         char **label_keys)
{
    return cmt_family_create(false, cmt, ns, subsystem, name, help, label_count, label_keys);
}

void *cmt_gauge_create(struct cmt *cmt, char *ns, char *subsystem, char *name, char *help, int label_count,
                       char **label_keys)
{
    return cmt_family_create(true, cmt, ns, subsystem, name, help, label_count, label_keys);
}

static void poison_free(void *p, size_t n);

/* cmt_destroy frees an instance's metrics context with every family
 * registered in it, as Fluent Bit does when it destroys the instance (at a
 * hot reload too): what a plugin set there is gone from the scrape, and a
 * later update through a kept handle would touch freed (poisoned) memory. */
static void cmt_destroy(struct cmt *cmt)
{
    struct cmt_family **at;

    if (!cmt) {
        return;
    }
    pthread_mutex_lock(&cmt_mu);
    at = &cmt_families;
    while (*at) {
        struct cmt_family *f = *at;

        if (f->cmt != cmt) {
            at = &f->next;
            continue;
        }
        *at = f->next;
        for (struct cmt_series *s = f->series, *next; s; s = next) {
            next = s->next;
            for (int i = 0; i < f->nkeys; i++) {
                free(s->vals[i]);
            }
            free(s->vals);
            poison_free(s, sizeof *s);
        }
        for (int i = 0; i < f->nkeys; i++) {
            free(f->keys[i]);
        }
        free(f->keys);
        free(f->fqname);
        free(f->help);
        poison_free(f, sizeof *f);
    }
    cmt_families_tail = at;
    pthread_mutex_unlock(&cmt_mu);
    poison_free(cmt, sizeof *cmt);
}

/* cmt_series_get returns the series of f with these label values, created
 * at 0 on first use; the caller holds cmt_mu. */
static struct cmt_series *cmt_series_get(struct cmt_family *f, int labels_count, char **label_vals)
{
    struct cmt_series *s;

    if (labels_count != f->nkeys || (labels_count > 0 && !label_vals)) {
        return NULL;
    }
    for (s = f->series; s; s = s->next) {
        int i = 0;

        while (i < labels_count && label_vals[i] && strcmp(s->vals[i], label_vals[i]) == 0) {
            i++;
        }
        if (i == labels_count) {
            return s;
        }
    }
    s = xcalloc(1, sizeof *s);
    s->vals = xcalloc((size_t)labels_count + 1, sizeof *s->vals);
    for (int i = 0; i < labels_count; i++) {
        s->vals[i] = xstrdup(label_vals[i] ? label_vals[i] : "");
    }
    *f->series_tail = s;
    f->series_tail = &s->next;
    return s;
}

/* cmt_update applies a value: op '=' sets, '+' adds. */
static int cmt_update(void *metric, bool gauge, char op, double val, int labels_count, char **label_vals)
{
    struct cmt_family *f = metric;
    struct cmt_series *s;
    double next;
    int ret = 0;

    if (!f || f->gauge != gauge) {
        return -1;
    }
    pthread_mutex_lock(&cmt_mu);
    s = cmt_series_get(f, labels_count, label_vals);
    if (!s) {
        ret = -1;
    } else {
        next = op == '+' ? s->value + val : val;
        if (!gauge && next < s->value) {
            log_msg(FLB_LOG_ERROR, "[cmetrics] counter %s set from %.17g down to %.17g: refused", f->fqname, s->value,
                    next);
            ret = -1;
        } else {
            s->value = next;
        }
    }
    pthread_mutex_unlock(&cmt_mu);
    return ret;
}

int cmt_counter_inc(void *counter, uint64_t ts, int labels_count, char **label_vals)
{
    (void)ts;
    return cmt_update(counter, false, '+', 1, labels_count, label_vals);
}

int cmt_counter_add(void *counter, uint64_t ts, double val, int labels_count, char **label_vals)
{
    (void)ts;
    return cmt_update(counter, false, '+', val, labels_count, label_vals);
}

int cmt_counter_set(void *counter, uint64_t ts, double val, int labels_count, char **label_vals)
{
    (void)ts;
    return cmt_update(counter, false, '=', val, labels_count, label_vals);
}

int cmt_gauge_set(void *gauge, uint64_t ts, double val, int labels_count, char **label_vals)
{
    (void)ts;
    return cmt_update(gauge, true, '=', val, labels_count, label_vals);
}

/* cmt_write_prometheus writes every family with at least one series, in
 * registration order. */
static int cmt_write_prometheus(const char *path)
{
    FILE *f = fopen(path, "w");

    if (!f) {
        log_msg(FLB_LOG_ERROR, "[cmetrics] cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    pthread_mutex_lock(&cmt_mu);
    for (struct cmt_family *fam = cmt_families; fam; fam = fam->next) {
        if (!fam->series) {
            continue;
        }
        fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->fqname, fam->help, fam->fqname,
                fam->gauge ? "gauge" : "counter");
        for (struct cmt_series *s = fam->series; s; s = s->next) {
            fputs(fam->fqname, f);
            for (int i = 0; i < fam->nkeys; i++) {
                fprintf(f, "%s%s=\"%s\"", i == 0 ? "{" : ",", fam->keys[i], s->vals[i]);
            }
            fprintf(f, "%s %.17g\n", fam->nkeys > 0 ? "}" : "", s->value);
        }
    }
    pthread_mutex_unlock(&cmt_mu);
    return fclose(f) == 0 ? 0 : -1;
}

static void *api_input_get_cmt_instance(void *i_ins)
{
    (void)i_ins;
    return NULL;
}

static void api_log_print(int level, const char *file, int line, const char *fmt, ...)
{
    va_list ap;

    (void)file;
    (void)line;
    if (!fmt) {
        return;
    }
    va_start(ap, fmt);
    log_vprint(level, fmt, ap);
    va_end(ap);
}

static int api_input_log_check(void *i_ins, int level)
{
    (void)i_ins;
    (void)level;
    return 0;
}

static int api_output_log_check(void *o_ins, int level)
{
    struct output *out = o_ins;

    return out != NULL && level <= out->log_level;
}

static const char *api_custom_get_property(const char *key, void *c_ins)
{
    (void)key;
    (void)c_ins;
    return NULL;
}

static int api_custom_log_check(void *c_ins, int level)
{
    (void)c_ins;
    (void)level;
    return 0;
}

/* ------------------------------------------------------------------------
 * Plugin loading (flb_plugin_proxy_create / flb_plugin_proxy_register)
 * ------------------------------------------------------------------------ */

static void *plugin_symbol(void *dso, const char *name)
{
    void *s;

    dlerror();
    s = dlsym(dso, name);
    if (dlerror() != NULL) {
        return NULL;
    }
    return s;
}

/* plugin_load returns -1 only when the .so cannot be opened (fatal in Fluent
 * Bit); a plugin that fails to register is reported and skipped. */
static int plugin_load(struct host *h, const char *path)
{
    void *dso = dlopen(path, RTLD_LAZY);
    int (*cb_pre_register)(int);
    int (*cb_register)(struct flb_plugin_proxy_def *);
    struct flb_plugin_proxy_def *def;
    struct plugin *p;

    if (!dso) {
        log_msg(FLB_LOG_ERROR, "[proxy] error opening plugin %s: %s", path, dlerror());
        return -1;
    }

    cb_pre_register = (int (*)(int))plugin_symbol(dso, "FLBPluginPreRegister");
    if (cb_pre_register && cb_pre_register(0) == -1) {
        log_msg(FLB_LOG_ERROR, "[proxy] plugin %s: FLBPluginPreRegister failed", path);
        return 0;
    }
    cb_register = (int (*)(struct flb_plugin_proxy_def *))plugin_symbol(dso, "FLBPluginRegister");
    if (!cb_register) {
        log_msg(FLB_LOG_ERROR, "[proxy] plugin %s: symbol FLBPluginRegister not found", path);
        return 0;
    }
    def = xcalloc(1, sizeof *def);
    if (cb_register(def) == -1) {
        log_msg(FLB_LOG_ERROR, "[proxy] plugin %s: FLBPluginRegister failed", path);
        free(def);
        return 0;
    }
    if (def->proxy != FLB_PROXY_GOLANG) {
        log_msg(FLB_LOG_ERROR, "[proxy] plugin %s: unrecognized proxy handler %i", path, def->proxy);
        return 0;
    }
    if (def->type != FLB_PROXY_OUTPUT_PLUGIN) {
        log_msg(FLB_LOG_ERROR, "[proxy] plugin %s: type %i is not an output (flbhost runs outputs only)", path,
                def->type);
        return 0;
    }
    if (!def->name) {
        log_msg(FLB_LOG_ERROR, "[proxy] plugin %s: FLBPluginRegister set no name", path);
        return 0;
    }

    p = xcalloc(1, sizeof *p);
    p->path = xstrdup(path);
    p->dso = dso;
    p->def = def;
    p->cb_init = (int (*)(struct flbgo_output_plugin *))plugin_symbol(dso, "FLBPluginInit");
    if (!p->cb_init) {
        log_msg(FLB_LOG_ERROR, "[go proxy]: could not load FLBPluginInit symbol");
        free(p->path);
        free(p);
        return 0;
    }
    p->cb_pre_run = (int (*)(int))plugin_symbol(dso, "FLBPluginOutputPreRun");
    p->cb_flush = (int (*)(const void *, size_t, const char *))plugin_symbol(dso, "FLBPluginFlush");
    p->cb_flush_ctx = (int (*)(void *, const void *, size_t, char *))plugin_symbol(dso, "FLBPluginFlushCtx");
    p->cb_pre_exit = (void (*)(int))plugin_symbol(dso, "FLBPluginOutputPreExit");
    p->cb_exit = (int (*)(void))plugin_symbol(dso, "FLBPluginExit");
    p->cb_exit_ctx = (int (*)(void *))plugin_symbol(dso, "FLBPluginExitCtx");
    p->cb_unregister = (void (*)(struct flb_plugin_proxy_def *))plugin_symbol(dso, "FLBPluginUnregister");
    p->name = xstrdup(def->name);

    p->api = xcalloc(1, sizeof *p->api);
    p->api->output_get_property = api_output_get_property;
    p->api->input_get_property = api_input_get_property;
    /* A Fluent Bit built without metrics leaves it unset. */
    p->api->output_get_cmt_instance = h->opt.no_metrics ? NULL : api_output_get_cmt_instance;
    p->api->input_get_cmt_instance = api_input_get_cmt_instance;
    /* --no-log-api: a table without the logging members (before 2.0). */
    p->api->log_print = h->opt.no_log_api ? NULL : api_log_print;
    p->api->input_log_check = api_input_log_check;
    p->api->output_log_check = h->opt.no_log_api ? NULL : api_output_log_check;
    p->api->custom_get_property = api_custom_get_property;
    p->api->custom_log_check = api_custom_log_check;

    p->go = xcalloc(1, sizeof *p->go);
    p->go->name = xstrdup(def->name);
    p->go->cb_init = (void *)p->cb_init;
    p->go->cb_flush = (void *)p->cb_flush;
    p->go->cb_flush_ctx = (void *)p->cb_flush_ctx;
    p->go->cb_exit = (void *)p->cb_exit;
    p->go->cb_exit_ctx = (void *)p->cb_exit_ctx;

    if (!p->cb_flush_ctx && !p->cb_flush) {
        log_msg(FLB_LOG_WARN, "[proxy] plugin %s exports neither FLBPluginFlushCtx nor FLBPluginFlush", path);
    }
    if (def->event_type != 0 && !(def->event_type & FLB_OUTPUT_LOGS)) {
        log_msg(FLB_LOG_WARN, "[proxy] plugin '%s' does not accept logs; it receives no chunks", p->name);
    }
    if (def->config_map) {
        log_msg(FLB_LOG_WARN, "[proxy] plugin '%s' passed a config_map; flbhost does not validate with it",
                p->name);
    }
    ptrvec_push(&h->plugins, p);
    return 0;
}

static void plugins_unregister(struct host *h)
{
    for (size_t i = 0; i < h->plugins.len; i++) {
        struct plugin *p = h->plugins.items[i];

        if (p->cb_unregister) {
            p->cb_unregister(p->def);
        }
    }
}

/* ------------------------------------------------------------------------
 * Configuration to instances
 * ------------------------------------------------------------------------ */

static int parse_log_level(const char *s)
{
    static const struct {
        const char *name;
        int level;
    } levels[] = {
        {"off", FLB_LOG_OFF},   {"error", FLB_LOG_ERROR}, {"warn", FLB_LOG_WARN},   {"warning", FLB_LOG_WARN},
        {"info", FLB_LOG_INFO}, {"debug", FLB_LOG_DEBUG}, {"trace", FLB_LOG_TRACE},
    };

    for (size_t i = 0; i < sizeof levels / sizeof levels[0]; i++) {
        if (strcasecmp(s, levels[i].name) == 0) {
            return levels[i].level;
        }
    }
    return -1;
}

static bool parse_size(const char *s, size_t *out)
{
    char *end;
    unsigned long long v;

    if (!is_digit((unsigned char)*s)) {
        return false;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > SIZE_MAX) {
        return false;
    }
    *out = (size_t)v;
    return true;
}

static int load_parsers(struct host *h, const char *file)
{
    struct config pf = {0};
    int ret = config_load(&pf, file);

    for (size_t i = 0; ret == 0 && i < pf.sections.len; i++) {
        struct section *sec = pf.sections.items[i];
        struct parser *parser;
        char *name;
        bool duplicate = false;

        if (strcasecmp(sec->name, "PARSER") != 0) {
            continue;
        }
        name = section_get(sec, &h->cf.vars, "Name");
        if (!name) {
            log_msg(FLB_LOG_ERROR, "[parser] %s:%d: section [PARSER] has no Name", sec->file, sec->line);
            ret = -1;
            break;
        }
        for (size_t k = 0; k < h->parsers.len; k++) {
            duplicate = duplicate || strcmp(((struct parser *)h->parsers.items[k])->name, name) == 0;
        }
        if (duplicate) {
            log_msg(FLB_LOG_WARN, "[parser] parser named '%s' already exists, skip.", name);
            free(name);
            continue;
        }
        parser = xcalloc(1, sizeof *parser);
        parser->name = name;
        parser->format = section_get(sec, &h->cf.vars, "Format");
        ptrvec_push(&h->parsers, parser);
    }
    config_free(&pf);
    return ret;
}

static int load_plugins_file(struct host *h, const char *file)
{
    struct config pf = {0};
    int ret = config_load(&pf, file);

    for (size_t i = 0; ret == 0 && i < pf.sections.len; i++) {
        struct section *sec = pf.sections.items[i];

        if (strcasecmp(sec->name, "PLUGINS") != 0) {
            continue;
        }
        for (size_t k = 0; ret == 0 && k < sec->entries.len; k++) {
            char *value, *path;

            if (strcasecmp(sec->entries.items[k].key, "path") != 0) {
                continue;
            }
            value = expand(&h->cf.vars, sec->entries.items[k].value);
            path = resolve_path(h->cf.dir, value);
            ret = plugin_load(h, path);
            free(path);
            free(value);
        }
    }
    config_free(&pf);
    return ret;
}

static int apply_service(struct host *h, const struct section *sec)
{
    for (size_t i = 0; i < sec->entries.len; i++) {
        const char *key = sec->entries.items[i].key;
        char *value = expand(&h->cf.vars, sec->entries.items[i].value);
        char *path;
        int ret = 0;

        if (strcasecmp(key, "plugins_file") == 0 || strcasecmp(key, "parsers_file") == 0) {
            path = resolve_path(h->cf.dir, value);
            ret = strcasecmp(key, "plugins_file") == 0 ? load_plugins_file(h, path) : load_parsers(h, path);
            free(path);
        } else if (strcasecmp(key, "hot_reload") == 0) {
            h->hot_reload = strcasecmp(value, "on") == 0 || strcasecmp(value, "true") == 0 ||
                            strcasecmp(value, "yes") == 0 || strcmp(value, "1") == 0;
        } else if (strcasecmp(key, "grace") == 0) {
            h->grace_s = strtol(value, NULL, 10);
        } else if (strcasecmp(key, "storage.path") == 0) {
            free(h->storage_path);
            h->storage_path = xstrdup(value);
        } else if (strcasecmp(key, "log_level") == 0) {
            h->log_level = parse_log_level(value);
            if (h->log_level < 0) {
                log_msg(FLB_LOG_ERROR, "[config] invalid log_level '%s'", value);
                ret = -1;
            }
            g_log_level = h->log_level;
        } else if (strcasecmp(key, "log_file") == 0 && *value) {
            free(g_log_file);
            g_log_file = xstrdup(value); /* like flb_log_set_file: relative to the working directory */
        }
        free(value);
        if (ret != 0) {
            return -1;
        }
    }
    return 0;
}

/* tail_tag composes an in_tail tag: the first '*' becomes the file path with
 * '/', '\' and ':' turned into dots, like in_tail's tag_compose. */
static char *tail_tag(const char *tag, const char *path)
{
    const char *star = strchr(tag, '*');
    char *raw, *out;
    size_t n = 0;

    if (!star) {
        return xstrdup(tag);
    }
    raw = xasprintf("%.*s%s%s", (int)(star - tag), tag, path, star + 1);
    out = xmalloc(strlen(raw) + 1);
    for (const char *p = raw; *p; p++) {
        char c = *p;

        if (c == '/' || c == '\\' || c == ':') {
            if (n == 0) {
                continue;
            }
            c = '.';
        }
        if (c == '*' || (c == '.' && n > 0 && out[n - 1] == '.')) {
            continue;
        }
        out[n++] = c;
    }
    while (n > 0 && out[n - 1] == '.') {
        n--;
    }
    out[n] = '\0';
    free(raw);
    return out;
}

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool excluded(const char *path, const char *exclude)
{
    bool hit = false;
    char *list, *save = NULL;

    if (!exclude) {
        return false;
    }
    list = xstrdup(exclude);
    for (char *pat = strtok_r(list, ",", &save); pat && !hit; pat = strtok_r(NULL, ",", &save)) {
        pat = trim(pat);
        hit = *pat && fnmatch(pat, path, 0) == 0;
    }
    free(list);
    return hit;
}

/* tail_files expands the comma-separated globs of Path into a sorted list of
 * regular files without duplicates. */
static void tail_files(const char *paths, const char *exclude, struct ptrvec *files)
{
    char *list = xstrdup(paths), *save = NULL;
    size_t kept = 0;

    for (char *pat = strtok_r(list, ",", &save); pat; pat = strtok_r(NULL, ",", &save)) {
        glob_t g;
        struct stat st;

        pat = trim(pat);
        if (!*pat || glob(pat, GLOB_TILDE, NULL, &g) != 0) {
            continue;
        }
        for (size_t i = 0; i < g.gl_pathc; i++) {
            if (stat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode) && !excluded(g.gl_pathv[i], exclude)) {
                ptrvec_push(files, xstrdup(g.gl_pathv[i]));
            }
        }
        globfree(&g);
    }
    free(list);
    if (files->len == 0) {
        return;
    }
    qsort(files->items, files->len, sizeof *files->items, compare_strings);
    for (size_t i = 0; i < files->len; i++) {
        if (kept > 0 && strcmp(files->items[kept - 1], files->items[i]) == 0) {
            free(files->items[i]);
            continue;
        }
        files->items[kept++] = files->items[i];
    }
    files->len = kept;
}

static struct stream *input_stream(struct input *in, const char *tag)
{
    struct stream *st;

    for (size_t i = 0; i < in->streams.len; i++) {
        st = in->streams.items[i];
        if (strcmp(st->tag, tag) == 0) {
            return st;
        }
    }
    st = xcalloc(1, sizeof *st);
    st->in = in;
    st->tag = xstrdup(tag);
    ptrvec_push(&in->streams, st);
    return st;
}

/* db_open opens (creates) the tail DB like flb_tail_db_open and reads the
 * offsets a previous run left: lines of "<offset> <path>". */
static int db_open(struct input *in)
{
    FILE *f = fopen(in->db, "a+");
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (!f) {
        log_msg(FLB_LOG_ERROR, "[sqldb] cannot open database %s", in->db);
        log_msg(FLB_LOG_ERROR, "[input:tail:%s] could not open/create database", in->name);
        log_msg(FLB_LOG_ERROR, "[input] failed initialize input %s", in->name);
        return -1;
    }
    rewind(f);
    while ((n = getline(&line, &cap, f)) > 0) {
        char *sp = strchr(line, ' ');

        if (line[n - 1] == '\n') {
            line[n - 1] = '\0';
        }
        if (sp) {
            *sp = '\0';
            kvlist_set(&in->db_offsets, sp + 1, line);
        }
    }
    free(line);
    fclose(f);
    return 0;
}

/* db_seek starts a file where the previous run stopped reading it. */
static void db_seek(struct source *src)
{
    const struct kv *kv = src->in->db ? kvlist_find(&src->in->db_offsets, src->path, false) : NULL;
    uint64_t off;

    if (!kv || !kv->value) {
        return;
    }
    off = strtoull(kv->value, NULL, 10);
    if (fseeko(src->fp, (off_t)off, SEEK_SET) == 0) {
        src->offset = off;
    }
}

/* db_save writes the offset of every file of every input with a DB. */
static void db_save(struct host *h)
{
    for (size_t i = 0; i < h->inputs.len; i++) {
        struct input *in = h->inputs.items[i];
        FILE *f;

        if (!in->db) {
            continue;
        }
        for (size_t k = 0; k < h->sources.len; k++) {
            struct source *src = h->sources.items[k];
            char off[32];

            if (src->in == in) {
                snprintf(off, sizeof off, "%" PRIu64, src->offset);
                kvlist_set(&in->db_offsets, src->path, off);
            }
        }
        f = fopen(in->db, "w");
        if (!f) {
            log_msg(FLB_LOG_ERROR, "[input:tail:%s] cannot write database %s: %s", in->name, in->db, strerror(errno));
            continue;
        }
        for (size_t k = 0; k < in->db_offsets.len; k++) {
            fprintf(f, "%s %s\n", in->db_offsets.items[k].value, in->db_offsets.items[k].key);
        }
        fclose(f);
    }
}

static int create_input(struct host *h, const struct section *sec)
{
    const struct kvlist *vars = &h->cf.vars;
    char *name = section_get(sec, vars, "Name");
    char *alias, *path, *exclude, *tag, *parser_name;
    struct input *in;
    struct ptrvec files = {0};
    int id;

    if (!name) {
        log_msg(FLB_LOG_ERROR, "[config] %s:%d: section [INPUT] has no Name", sec->file, sec->line);
        return -1;
    }
    if (strcasecmp(name, "tail") != 0) {
        log_msg(FLB_LOG_ERROR, "[config] %s:%d: input plugin '%s' is not supported by flbhost (only tail)",
                sec->file, sec->line, name);
        free(name);
        return -1;
    }
    free(name);

    id = h->tail_instances++;
    in = xcalloc(1, sizeof *in);
    alias = section_get(sec, vars, "Alias");
    in->name = alias ? alias : xasprintf("tail.%d", id);
    in->key = section_get(sec, vars, "Key");
    if (!in->key) {
        in->key = xstrdup("log");
    }
    in->path_key = section_get(sec, vars, "Path_Key");
    in->offset_key = section_get(sec, vars, "Offset_Key");
    {
        char *skip = section_get(sec, vars, "Skip_Empty_Lines");

        in->skip_empty = skip && (strcasecmp(skip, "on") == 0 || strcasecmp(skip, "true") == 0 ||
                                  strcasecmp(skip, "yes") == 0 || strcmp(skip, "1") == 0);
        free(skip);
    }

    {
        char *storage = section_get(sec, vars, "storage.type");

        in->storage_fs = storage && strcasecmp(storage, "filesystem") == 0;
        free(storage);
    }
    in->db = section_get(sec, vars, "DB");
    if (in->db && db_open(in) != 0) {
        return -1;
    }

    parser_name = section_get(sec, vars, "Parser");
    if (parser_name) {
        struct parser *parser = NULL;

        for (size_t i = 0; i < h->parsers.len && !parser; i++) {
            if (strcmp(((struct parser *)h->parsers.items[i])->name, parser_name) == 0) {
                parser = h->parsers.items[i];
            }
        }
        if (!parser) {
            log_msg(FLB_LOG_ERROR, "[input:tail:%s] parser '%s' is not registered", in->name, parser_name);
            free(parser_name);
            return -1;
        }
        if (!parser->format || strcasecmp(parser->format, "json") != 0) {
            log_msg(FLB_LOG_ERROR, "[input:tail:%s] parser '%s' has format '%s'; flbhost supports only json",
                    in->name, parser_name, parser->format ? parser->format : "");
            free(parser_name);
            return -1;
        }
        in->json = true;
        free(parser_name);
    }

    path = section_get(sec, vars, "Path");
    if (!path) {
        log_msg(FLB_LOG_ERROR, "[input:tail:%s] no input 'path' was given", in->name);
        return -1;
    }
    exclude = section_get(sec, vars, "Exclude_Path");
    tag = section_get(sec, vars, "Tag");
    if (!tag) {
        tag = xasprintf("tail.%d", id); /* Fluent Bit tags with the instance name */
    }
    tail_files(path, exclude, &files);
    if (files.len == 0) {
        log_msg(FLB_LOG_WARN, "[input:tail:%s] no file matches '%s'", in->name, path);
    }
    for (size_t i = 0; i < files.len; i++) {
        struct source *src;
        char *file_tag;
        FILE *fp = fopen(files.items[i], "r");

        if (!fp) {
            log_msg(FLB_LOG_ERROR, "[input:tail:%s] read error, check permissions: %s", in->name,
                    (char *)files.items[i]);
            free(files.items[i]);
            continue;
        }
        src = xcalloc(1, sizeof *src);
        src->in = in;
        src->path = files.items[i];
        src->fp = fp;
        {
            struct stat st;

            if (fstat(fileno(fp), &st) == 0) {
                src->mtime = st.st_mtim;
            }
        }
        db_seek(src);
        file_tag = tail_tag(tag, src->path);
        src->stream = input_stream(in, file_tag);
        free(file_tag);
        ptrvec_push(&h->sources, src);
    }
    free(files.items);
    free(tag);
    free(exclude);
    free(path);
    ptrvec_push(&h->inputs, in);
    return 0;
}

/* core_consumed reports keys Fluent Bit's core keeps for itself
 * (flb_output_set_property); plugins never see them. */
static bool core_consumed(const char *key)
{
    static const char *const exact[] = {
        "name",    "match",       "match_regex", "alias",   "log_level",
        "log_suppress_interval",  "host",        "port",    "ipv6",
        "retry_limit",            "workers",     "storage.total_limit_size",
        "tls",
    };
    static const char *const prefixes[] = {"tls.", "net.", "oauth2", "_debug.http."};

    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        if (strcasecmp(key, exact[i]) == 0) {
            return true;
        }
    }
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        if (has_prefix_nocase(key, prefixes[i])) {
            return true;
        }
    }
    return false;
}

static int parse_retry_limit(const char *value)
{
    int v;

    if (strcasecmp(value, "no_limits") == 0 || strcasecmp(value, "false") == 0 || strcasecmp(value, "off") == 0) {
        return RETRY_UNLIMITED;
    }
    if (strcasecmp(value, "no_retries") == 0) {
        return 0;
    }
    v = atoi(value);
    if (v <= 0) {
        log_msg(FLB_LOG_WARN, "[config] invalid retry_limit. set up to 1");
        return 1;
    }
    return v;
}

static int output_core_property(struct output *out, const char *key, const char *value)
{
    size_t workers;

    if (strcasecmp(key, "match") == 0) {
        free(out->match);
        out->match = xstrdup(value);
    } else if (strcasecmp(key, "match_regex") == 0) {
        if (out->has_regex) {
            regfree(&out->match_regex);
        }
        out->has_regex = regcomp(&out->match_regex, value, REG_EXTENDED | REG_NOSUB) == 0;
        if (!out->has_regex) {
            log_msg(FLB_LOG_ERROR, "[config] invalid match_regex '%s'", value);
            return -1;
        }
    } else if (strcasecmp(key, "alias") == 0) {
        free(out->name);
        out->name = xstrdup(value);
    } else if (strcasecmp(key, "log_level") == 0) {
        out->log_level = parse_log_level(value);
        if (out->log_level < 0) {
            log_msg(FLB_LOG_ERROR, "[config] invalid log_level '%s'", value);
            return -1;
        }
    } else if (strcasecmp(key, "retry_limit") == 0) {
        out->retry_limit = parse_retry_limit(value);
    } else if (strcasecmp(key, "workers") == 0) {
        if (!parse_size(value, &workers) || workers > 256) {
            log_msg(FLB_LOG_ERROR, "[config] invalid workers '%s'", value);
            return -1;
        }
        out->workers = (int)workers;
    }
    return 0;
}

static int create_output(struct host *h, const struct section *sec)
{
    char *name = section_get(sec, &h->cf.vars, "Name");
    struct plugin *plugin = NULL;
    struct output *out;

    if (!name) {
        log_msg(FLB_LOG_ERROR, "[config] %s:%d: section [OUTPUT] has no Name", sec->file, sec->line);
        return -1;
    }
    for (size_t i = 0; i < h->plugins.len && !plugin; i++) {
        if (strcasecmp(((struct plugin *)h->plugins.items[i])->name, name) == 0) {
            plugin = h->plugins.items[i];
        }
    }
    if (!plugin) {
        log_msg(FLB_LOG_ERROR, "[config] section '%s' tried to instance a plugin name that doesn't exist", name);
        free(name);
        return -1;
    }
    free(name);

    out = xcalloc(1, sizeof *out);
    out->host = h;
    out->plugin = plugin;
    out->id = plugin->instances++;
    out->name = xasprintf("%s.%d", plugin->name, out->id);
    out->retry_limit = 1;
    out->log_level = h->log_level;
    out->context = xcalloc(1, sizeof *out->context);
    out->context->proxy = plugin;
    out->cmt = xcalloc(1, sizeof *out->cmt);
    out->cmt->out = out;

    for (size_t i = 0; i < sec->entries.len; i++) {
        const char *key = sec->entries.items[i].key;
        char *value = expand(&h->cf.vars, sec->entries.items[i].value);
        int ret = 0;

        if (core_consumed(key)) {
            if (*value) {
                ret = output_core_property(out, key, value);
            }
        } else {
            kvlist_add(&out->props, key, *value ? value : NULL);
        }
        free(value);
        if (ret != 0) {
            return -1;
        }
    }
    if (!out->match && !out->has_regex) {
        log_msg(FLB_LOG_WARN, "[config] output '%s' has no Match or Match_Regex rule; it receives no records",
                out->name);
    }
    ptrvec_push(&h->outputs, out);
    return 0;
}

static int config_setup(struct host *h)
{
    if (config_load(&h->cf, h->opt.config) != 0) {
        return -1;
    }
    for (size_t i = 0; i < h->cf.sections.len; i++) {
        struct section *sec = h->cf.sections.items[i];

        if (strcasecmp(sec->name, "SERVICE") == 0 && apply_service(h, sec) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < h->cf.sections.len; i++) {
        struct section *sec = h->cf.sections.items[i];

        if (strcasecmp(sec->name, "SERVICE") == 0) {
            continue;
        }
        if (strcasecmp(sec->name, "INPUT") == 0) {
            if (create_input(h, sec) != 0) {
                return -1;
            }
        } else if (strcasecmp(sec->name, "OUTPUT") == 0) {
            if (create_output(h, sec) != 0) {
                return -1;
            }
        } else {
            log_msg(FLB_LOG_WARN, "[config] %s:%d: section [%s] is not supported by flbhost; ignored", sec->file,
                    sec->line, sec->name);
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Routing (flb_router_match)
 * ------------------------------------------------------------------------ */

static bool glob_match(const char *tag, const char *pattern)
{
    while (*pattern) {
        if (*pattern == '*') {
            while (*pattern == '*') {
                pattern++;
            }
            if (!*pattern) {
                return true;
            }
            for (; *tag; tag++) {
                if (*tag == *pattern && glob_match(tag, pattern)) {
                    return true;
                }
            }
            return false;
        }
        if (*tag != *pattern) {
            return false;
        }
        tag++;
        pattern++;
    }
    return *tag == '\0';
}

static bool output_routes(const struct output *out, const char *tag)
{
    int event_type = out->plugin->def->event_type;

    if (event_type != 0 && !(event_type & FLB_OUTPUT_LOGS)) {
        return false;
    }
    if (out->has_regex) {
        return regexec(&out->match_regex, tag, 0, NULL, 0) == 0;
    }
    return out->match && glob_match(tag, out->match);
}

/* ------------------------------------------------------------------------
 * Task queues
 * ------------------------------------------------------------------------ */

static struct timespec now_monotonic(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts;
}

static bool time_reached(struct timespec due, struct timespec now)
{
    return due.tv_sec < now.tv_sec || (due.tv_sec == now.tv_sec && due.tv_nsec <= now.tv_nsec);
}

static void queue_init(struct queue *q)
{
    pthread_condattr_t attr;

    memset(q, 0, sizeof *q);
    pthread_mutex_init(&q->mu, NULL);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&q->changed, &attr);
    pthread_condattr_destroy(&attr);
}

static void queue_push(struct queue *q, struct task *t, size_t limit)
{
    pthread_mutex_lock(&q->mu);
    while (limit > 0 && q->pending >= limit) {
        pthread_cond_wait(&q->changed, &q->mu);
    }
    t->next = NULL;
    if (q->ready_tail) {
        q->ready_tail->next = t;
    } else {
        q->ready_head = t;
    }
    q->ready_tail = t;
    q->ready++;
    q->pending++;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

/* queue_retry parks a task until its due time; it stays pending. */
static void queue_retry(struct queue *q, struct task *t)
{
    struct task **at;

    pthread_mutex_lock(&q->mu);
    at = &q->delayed;
    while (*at && time_reached((*at)->due, t->due)) {
        at = &(*at)->next;
    }
    t->next = *at;
    *at = t;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

static void queue_done(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->pending--;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

static void queue_close(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->closing = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

/* queue_unlink_ready removes the head of the ready list or, with
 * --shuffle-seed, a random ready task; a task overtaken MAX_PENDING_TASKS
 * times is taken as soon as it is the head, so that a chunk finishes at
 * most about twice that many chunks late, like a chunk in one of Fluent
 * Bit's per-worker queues. Called with q->mu held. */
static struct task *queue_unlink_ready(struct queue *q)
{
    struct task **at = &q->ready_head;
    struct task *prev = NULL;
    struct task *t;

    if (q->shuffle && q->ready_head->overtaken < MAX_PENDING_TASKS) {
        size_t skip;

        q->rng ^= q->rng << 13;
        q->rng ^= q->rng >> 7;
        q->rng ^= q->rng << 17;
        for (skip = (size_t)(q->rng % q->ready); skip > 0; skip--) {
            prev = *at;
            prev->overtaken++;
            at = &(*at)->next;
        }
    }
    t = *at;
    *at = t->next;
    if (q->ready_tail == t) {
        q->ready_tail = prev;
    }
    t->next = NULL;
    q->ready--;
    return t;
}

/* queue_input_done tells a shuffling queue that no more chunks come but
 * retries: it stops waiting for a full queue. */
static void queue_input_done(struct queue *q)
{
    pthread_mutex_lock(&q->mu);
    q->input_done = true;
    pthread_cond_broadcast(&q->changed);
    pthread_mutex_unlock(&q->mu);
}

enum take_mode {
    TAKE_NOWAIT,       /* only what is ready now */
    TAKE_UNTIL_EMPTY,  /* wait for due retries; stop when nothing is pending */
    TAKE_UNTIL_CLOSED, /* workers: stop when closed and nothing is pending */
};

static struct task *queue_take(struct queue *q, enum take_mode mode)
{
    struct task *t = NULL;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        struct timespec now = now_monotonic();

        while (q->delayed && time_reached(q->delayed->due, now)) {
            struct task *due = q->delayed;

            q->delayed = due->next;
            due->next = NULL;
            if (q->ready_tail) {
                q->ready_tail->next = due;
            } else {
                q->ready_head = due;
            }
            q->ready_tail = due;
            q->ready++;
        }
        if (q->ready_head && q->shuffle && !q->input_done && !q->closing && q->ready < MAX_PENDING_TASKS / 2) {
            /* wait for enough ready tasks to shuffle; the others run */
        } else if (q->ready_head) {
            t = queue_unlink_ready(q);
            break;
        }
        if (mode == TAKE_NOWAIT) {
            break;
        }
        if (q->pending == 0 && (mode == TAKE_UNTIL_EMPTY || q->closing)) {
            break;
        }
        if (q->delayed) {
            pthread_cond_timedwait(&q->changed, &q->mu, &q->delayed->due);
        } else {
            pthread_cond_wait(&q->changed, &q->mu);
        }
    }
    pthread_mutex_unlock(&q->mu);
    return t;
}

/* ------------------------------------------------------------------------
 * Flushing on a coroutine stack (flb_coro / libco)
 * ------------------------------------------------------------------------ */

struct flush_call {
    struct output *out;
    void *data;
    size_t size;
    char *tag;
    int ret;
    ucontext_t caller;
    ucontext_t coro;
};

/* makecontext can only pass int arguments, so the call travels through a
 * thread-local slot set just before the switch. */
static __thread struct flush_call *current_flush;

static void flush_coro_main(void)
{
    struct flush_call *fc = current_flush;
    struct plugin *p = fc->out->plugin;

    if (p->cb_flush_ctx) {
        fc->ret = p->cb_flush_ctx(fc->out->context->remote_context, fc->data, fc->size, fc->tag);
    } else if (p->cb_flush) {
        fc->ret = p->cb_flush(fc->data, fc->size, fc->tag);
    } else {
        fc->ret = FLB_ERROR;
    }
    /* returning switches to uc_link, the flushing thread */
}

static void poison_free(void *p, size_t n)
{
    memset(p, POISON_BYTE, n);
    free(p);
}

/* flush_chunk hands one chunk to the plugin like proxy_cb_flush: fresh
 * copies of the bytes and the NUL-terminated tag, a 64 KiB coroutine stack,
 * and everything released (poisoned) right after the call. */
static int flush_chunk(struct output *out, const struct chunk *c)
{
    struct flush_call fc = {0};
    void *stack = xmalloc(CORO_STACK_SIZE);
    size_t tag_size = strlen(c->tag) + 1;

    fc.out = out;
    fc.size = c->size;
    fc.data = xmalloc(c->size);
    memcpy(fc.data, c->data, c->size);
    fc.tag = xmalloc(tag_size);
    memcpy(fc.tag, c->tag, tag_size);
    fc.ret = FLB_ERROR;

    if (getcontext(&fc.coro) != 0) {
        log_msg(FLB_LOG_ERROR, "[flbhost] getcontext: %s", strerror(errno));
    } else {
        fc.coro.uc_stack.ss_sp = stack;
        fc.coro.uc_stack.ss_size = CORO_STACK_SIZE;
        fc.coro.uc_link = &fc.caller;
        makecontext(&fc.coro, flush_coro_main, 0);
        current_flush = &fc;
        if (swapcontext(&fc.caller, &fc.coro) != 0) {
            log_msg(FLB_LOG_ERROR, "[flbhost] swapcontext: %s", strerror(errno));
        }
        current_flush = NULL;
    }
    poison_free(fc.data, fc.size);
    poison_free(fc.tag, tag_size);
    free(stack);
    return fc.ret;
}

static void chunk_release(struct chunk *c)
{
    if (atomic_fetch_sub(&c->refs, 1) == 1) {
        free(c->data);
        free(c);
    }
}

/* Set by SIGTERM and SIGINT; the engine thread turns it into begin_stop. */
static volatile sig_atomic_t stop_signal;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

/* begin_stop pauses the inputs and starts the grace period, grace_s seconds
 * from now (0: it is over already). */
static void begin_stop(struct host *h, long grace_s, const char *why)
{
    pthread_mutex_lock(&h->stop_mu);
    if (!atomic_load(&h->stopping)) {
        struct timespec due = now_monotonic();

        /* Grace -1: wait until every task is done */
        due.tv_sec += grace_s < 0 ? (time_t)1 << 40 : grace_s;
        h->grace_deadline = due;
        atomic_store(&h->stopping, true);
        log_msg(FLB_LOG_INFO, "[engine] %s", why);
        log_msg(FLB_LOG_INFO, "[engine] service will shutdown in max %ld seconds", grace_s);
        for (size_t i = 0; i < h->inputs.len; i++) {
            log_msg(FLB_LOG_INFO, "[input] pausing %s", ((struct input *)h->inputs.items[i])->name);
        }
    }
    pthread_mutex_unlock(&h->stop_mu);
}

/* stop_requested turns a caught signal into begin_stop and reports whether
 * the inputs are paused. */
static bool stop_requested(struct host *h)
{
    if (stop_signal && !atomic_load(&h->stopping)) {
        begin_stop(h, h->grace_s, stop_signal == SIGINT ? "caught signal (SIGINT)" : "caught signal (SIGTERM)");
    }
    return atomic_load(&h->stopping);
}

static bool past_grace(struct host *h)
{
    struct timespec due;

    if (!stop_requested(h)) {
        return false;
    }
    pthread_mutex_lock(&h->stop_mu);
    due = h->grace_deadline;
    pthread_mutex_unlock(&h->stop_mu);
    return time_reached(due, now_monotonic());
}

/* keep_unfinished sets a task aside for store_unfinished: its chunk is not
 * done for this output. */
static void keep_unfinished(struct host *h, struct task *t)
{
    struct queue *q = t->queue;

    pthread_mutex_lock(&h->stop_mu);
    ptrvec_push(&h->unfinished, t);
    pthread_mutex_unlock(&h->stop_mu);
    queue_done(q);
}

static void run_task(struct host *h, struct task *t)
{
    struct output *out = t->out;
    struct chunk *c = t->chunk;
    struct queue *q = t->queue;
    int ret;

    if (past_grace(h)) {
        keep_unfinished(h, t);
        return;
    }
    if (h->opt.stop_after_chunks > 0 && atomic_fetch_add(&h->flush_calls, 1) + 1 == h->opt.stop_after_chunks) {
        begin_stop(h, 0, "stopping during this flush (--stop-after-chunks); its result will not be handled");
    }
    ret = flush_chunk(out, c);
    if (past_grace(h)) {
        log_msg(FLB_LOG_WARN, "[engine] flush of chunk '%s' returned after the grace period: not handled, the chunk is unfinished",
                c->name);
        keep_unfinished(h, t);
        return;
    }

    if (ret == FLB_RETRY) {
        atomic_fetch_add(&h->stats.retry, 1);
        if (out->retry_limit == RETRY_UNLIMITED || t->retries < out->retry_limit) {
            struct timespec due = now_monotonic();

            t->retries++;
            log_msg(FLB_LOG_WARN,
                    "[engine] failed to flush chunk '%s', retry in %g seconds: task_id=%u, input=%s > output=%s "
                    "(out_id=%d)",
                    c->name, (double)h->opt.retry_wait_ms / 1000.0, c->id, c->in->name, out->name, out->id);
            due.tv_sec += h->opt.retry_wait_ms / 1000;
            due.tv_nsec += (h->opt.retry_wait_ms % 1000) * 1000000L;
            if (due.tv_nsec >= 1000000000L) {
                due.tv_sec++;
                due.tv_nsec -= 1000000000L;
            }
            t->due = due;
            queue_retry(q, t);
            return;
        }
        log_msg(FLB_LOG_ERROR, "[engine] chunk '%s' cannot be retried: task_id=%u, input=%s > output=%s", c->name,
                c->id, c->in->name, out->name);
        atomic_fetch_add(&h->stats.dropped, 1);
        atomic_fetch_add(&h->stats.dropped_records, c->records);
    } else if (ret == FLB_OK) {
        atomic_fetch_add(&h->stats.ok, 1);
        if (t->retries > 0) {
            log_msg(FLB_LOG_INFO,
                    "[engine] flush chunk '%s' succeeded at retry %d: task_id=%u, input=%s > output=%s (out_id=%d)",
                    c->name, t->retries, c->id, c->in->name, out->name, out->id);
        }
    } else {
        /* FLB_ERROR, and any other value coerced to it by proxy_cb_flush */
        atomic_fetch_add(&h->stats.error, 1);
    }
    chunk_release(c);
    free(t);
    queue_done(q);
}

static void *worker_main(void *arg)
{
    struct output *out = arg;
    struct task *t;

    t_host_thread = true;
    while ((t = queue_take(&out->queue, TAKE_UNTIL_CLOSED)) != NULL) {
        run_task(out->host, t);
    }
    return NULL;
}

static void run_engine_ready(struct host *h)
{
    struct task *t;

    while ((t = queue_take(&h->engine_queue, TAKE_NOWAIT)) != NULL) {
        run_task(h, t);
    }
}

static void name_thread(pthread_t thread, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void name_thread(pthread_t thread, const char *fmt, ...)
{
    char name[16]; /* the kernel limit, NUL included */
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    pthread_setname_np(thread, name);
}

static int start_workers(struct output *out)
{
    queue_init(&out->queue);
    if (out->host->opt.shuffle_seed > 0) {
        out->queue.shuffle = true;
        out->queue.rng = out->host->opt.shuffle_seed * 0x9E3779B97F4A7C15ull + (uint64_t)out->id + 1;
    }
    out->threads = xcalloc((size_t)out->workers, sizeof *out->threads);
    for (int k = 0; k < out->workers; k++) {
        int err = pthread_create(&out->threads[k], NULL, worker_main, out);

        if (err != 0) {
            log_msg(FLB_LOG_ERROR, "[output:%s:%s] cannot start worker #%d: %s", out->plugin->name, out->name, k,
                    strerror(err));
            return -1;
        }
        out->nthreads++;
        name_thread(out->threads[k], "flb-out-%s.%d-w%d", out->plugin->name, out->id, k);
    }
    return 0;
}

static void stop_workers(struct output *out)
{
    if (!out->threads) {
        return;
    }
    queue_close(&out->queue);
    for (int k = 0; k < out->nthreads; k++) {
        pthread_join(out->threads[k], NULL);
    }
    free(out->threads);
    out->threads = NULL;
    out->nthreads = 0;
}

/* ------------------------------------------------------------------------
 * Inputs to chunks
 * ------------------------------------------------------------------------ */

static struct timespec event_time(const struct host *h)
{
    struct timespec ts;

    if (h->opt.fixed_time) {
        return h->opt.time;
    }
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts;
}

static void route_chunk(struct host *h, struct chunk *c)
{
    int routes = 0;

    for (size_t i = 0; i < h->outputs.len; i++) {
        routes += output_routes(h->outputs.items[i], c->tag);
    }
    if (routes == 0) {
        free(c->data);
        free(c);
        return;
    }
    atomic_init(&c->refs, routes);
    for (size_t i = 0; i < h->outputs.len; i++) {
        struct output *out = h->outputs.items[i];
        struct task *t;

        if (!output_routes(out, c->tag)) {
            continue;
        }
        t = xcalloc(1, sizeof *t);
        t->chunk = c;
        t->out = out;
        if (out->workers > 0) {
            t->queue = &out->queue;
            queue_push(t->queue, t, MAX_PENDING_TASKS);
        } else {
            t->queue = &h->engine_queue;
            queue_push(t->queue, t, 0);
        }
    }
    run_engine_ready(h);
}

static void stream_close(struct host *h, struct stream *st)
{
    struct chunk *c;

    if (st->records == 0) {
        return;
    }
    c = xcalloc(1, sizeof *c);
    c->data = st->data.data;
    c->size = st->data.len;
    c->records = st->records;
    c->tag = st->tag;
    c->in = st->in;
    c->id = h->next_chunk_id++;
    snprintf(c->name, sizeof c->name, "%u-%lld.%ld.flb", c->id, (long long)st->created.tv_sec,
             st->created.tv_nsec);
    st->data = (struct buf){0};
    st->records = 0;
    h->stats.chunks++;
    route_chunk(h, c);
    if (h->opt.reload_every_chunks > 0 && h->stats.chunks % h->opt.reload_every_chunks == 0 &&
        (h->opt.reloads == 0 || h->reloads_done < h->opt.reloads)) {
        h->reload_due = true;
    }
}

/* encode_event writes one Fluent Bit V2 event, [[EventTime, {}], {record}],
 * for a line, with in_tail's key order: parsed fields then Path_Key and
 * Offset_Key; for unparsed lines Path_Key, Offset_Key, then Key. */
static void encode_event(struct host *h, const struct source *s, const char *line, size_t len, uint64_t offset,
                         struct timespec ts)
{
    const struct input *in = s->in;
    struct buf *ev = &h->event;
    size_t extras = (in->path_key ? 1 : 0) + (in->offset_key ? 1 : 0);
    size_t members = 0;
    bool parsed = in->json && json_record(&h->json, line, len, &h->body, &members);

    ev->len = 0;
    buf_byte(ev, 0x92);
    buf_byte(ev, 0x92);
    buf_byte(ev, 0xd7);
    buf_byte(ev, 0x00);
    buf_be(ev, (uint64_t)ts.tv_sec, 4);
    buf_be(ev, (uint64_t)ts.tv_nsec, 4);
    buf_byte(ev, 0x80);

    mp_map(ev, (parsed ? members : 1) + extras);
    if (parsed) {
        buf_append(ev, h->body.data, h->body.len);
    }
    if (in->path_key) {
        mp_str(ev, in->path_key, strlen(in->path_key));
        mp_str(ev, s->path, strlen(s->path));
    }
    if (in->offset_key) {
        mp_str(ev, in->offset_key, strlen(in->offset_key));
        mp_uint(ev, offset);
    }
    if (!parsed) {
        mp_str(ev, in->key, strlen(in->key));
        mp_str(ev, line, len);
    }
}

static void append_event(struct host *h, struct source *s, const char *line, size_t len, uint64_t offset)
{
    struct stream *st = s->stream;
    struct timespec ts = h->opt.mtime_time ? s->mtime : event_time(h);

    encode_event(h, s, line, len, offset, ts);
    if (st->records > 0 && st->data.len + h->event.len > h->opt.chunk_bytes) {
        stream_close(h, st);
    }
    if (st->records == 0) {
        st->created = ts;
    }
    buf_append(&st->data, h->event.data, h->event.len);
    st->records++;
    h->stats.records++;
    if (st->data.len >= h->opt.chunk_bytes || (h->opt.chunk_records > 0 && st->records >= h->opt.chunk_records)) {
        stream_close(h, st);
    }
}

/* source_next emits the file's next line (empty lines too, unless
 * Skip_Empty_Lines is on, as in_tail); false at end of file. A last line
 * without LF is not emitted: in_tail waits for its end, which a file the
 * harness reads once never gets. */
static bool source_next(struct host *h, struct source *s)
{
    for (;;) {
        ssize_t n = getline(&s->line, &s->cap, s->fp);
        uint64_t offset = s->offset;
        size_t len;

        if (n < 0) {
            if (ferror(s->fp)) {
                log_msg(FLB_LOG_ERROR, "[input:tail:%s] read error on %s", s->in->name, s->path);
            }
            return false;
        }
        if (s->line[n - 1] != '\n') {
            if (h->log_level >= FLB_LOG_DEBUG) {
                log_msg(FLB_LOG_DEBUG, "[input:tail:%s] %zd bytes without LF at the end of %s are not read", s->in->name, n,
                        s->path);
            }
            return false;
        }
        s->offset += (uint64_t)n;
        len = (size_t)n - 1;
        if (len > 0 && s->line[len - 1] == '\r') {
            len--;
        }
        if (len == 0 && s->in->skip_empty) {
            continue;
        }
        if (len > MAX_LINE_BYTES) {
            log_msg(FLB_LOG_WARN, "[input:tail:%s] skipping a line of %zu bytes at offset %" PRIu64 " in %s",
                    s->in->name, len, offset, s->path);
            continue;
        }
        append_event(h, s, s->line, len, offset);
        return true;
    }
}

static void read_inputs(struct host *h)
{
    size_t active = 0;

    /* After a hot reload, the sources go on where they were. */
    for (size_t i = 0; i < h->sources.len; i++) {
        active += !((struct source *)h->sources.items[i])->done;
    }
    while (active > 0 && !h->reload_due && !stop_requested(h)) {
        for (size_t i = 0; i < h->sources.len; i++) {
            struct source *s = h->sources.items[i];

            if (s->done) {
                continue;
            }
            if (!source_next(h, s)) {
                s->done = true;
                fclose(s->fp);
                s->fp = NULL;
                free(s->line);
                s->line = NULL;
                active--;
            }
        }
        run_engine_ready(h); /* retries that came due */
    }
    for (size_t i = 0; i < h->inputs.len; i++) {
        struct input *in = h->inputs.items[i];

        for (size_t k = 0; k < in->streams.len; k++) {
            stream_close(h, in->streams.items[k]);
        }
    }
}

/* ------------------------------------------------------------------------
 * The engine thread (flb-pipeline)
 * ------------------------------------------------------------------------ */

/* init_outputs mirrors flb_output_init_all: FLBPluginInit per instance in
 * config order, each instance's workers started right after its Init. */
static int init_outputs(struct host *h)
{
    for (size_t i = 0; i < h->outputs.len; i++) {
        struct output *out = h->outputs.items[i];
        struct plugin *p = out->plugin;
        int ret;

        p->go->api = p->api;
        p->go->o_ins = out;
        p->go->context = out->context;
        ret = p->cb_init(p->go);
        if (ret <= 0) {
            log_msg(FLB_LOG_ERROR, "[go proxy]: plugin '%s' failed to initialize", p->go->name);
            log_msg(FLB_LOG_ERROR, "[output] failed to initialize '%s' plugin", p->name);
            return -1;
        }
        if (out->workers > 0 && start_workers(out) != 0) {
            return -1;
        }
    }
    for (size_t i = 0; i < h->outputs.len; i++) {
        struct output *out = h->outputs.items[i];

        if (out->plugin->cb_pre_run) {
            out->plugin->cb_pre_run(h->hot_reload);
        }
    }
    return 0;
}

/* exit_outputs mirrors flb_output_exit: per instance, join its workers, then
 * FLBPluginOutputPreExit and FLBPluginExitCtx (or FLBPluginExit). */
static void exit_outputs(struct host *h)
{
    for (size_t i = 0; i < h->outputs.len; i++) {
        struct output *out = h->outputs.items[i];
        struct plugin *p = out->plugin;

        stop_workers(out);
        if (p->cb_pre_exit) {
            p->cb_pre_exit(h->reload_due);
        }
        if (p->cb_exit_ctx) {
            p->cb_exit_ctx(out->context->remote_context);
        } else if (p->cb_exit) {
            p->cb_exit();
        }
    }
}

/* ------------------------------------------------------------------------
 * storage.type filesystem: unfinished chunks across a restart
 * ------------------------------------------------------------------------ */

#define STORED_CHUNK_MAGIC "FLBHOST-CHUNK 1\n"

static char *storage_dir(const struct host *h, const struct input *in)
{
    return xasprintf("%s/%s", h->storage_path, in->name);
}

/* store_chunk writes c to storage.path/<input>/<name>: the magic, the tag
 * and the record count on lines of their own, then the chunk's bytes. */
static bool store_chunk(struct host *h, struct chunk *c)
{
    char *dir = storage_dir(h, c->in);
    char *path = xasprintf("%s/%s", dir, c->name);
    FILE *f;
    bool ok = false;

    mkdir(h->storage_path, 0755);
    mkdir(dir, 0755);
    f = fopen(path, "w");
    if (f) {
        ok = fprintf(f, "%s%s\n%zu\n", STORED_CHUNK_MAGIC, c->tag, c->records) > 0 &&
             fwrite(c->data, 1, c->size, f) == c->size;
        ok = fclose(f) == 0 && ok;
    }
    if (!ok) {
        log_msg(FLB_LOG_ERROR, "[storage] cannot write chunk %s: %s", path, strerror(errno));
    }
    free(path);
    free(dir);
    return ok;
}

/* store_unfinished settles the tasks set aside at shutdown: with filesystem
 * storage their chunks stay for the next start, otherwise they are lost. */
static void store_unfinished(struct host *h)
{
    for (size_t i = 0; i < h->unfinished.len; i++) {
        struct task *t = h->unfinished.items[i];
        struct chunk *c = t->chunk;

        if (!c->stored) {
            c->stored = true;
            if (c->in->storage_fs && h->storage_path && store_chunk(h, c)) {
                h->stats.stored_chunks++;
            } else {
                log_msg(FLB_LOG_WARN, "[engine] chunk '%s' unfinished at shutdown, in memory only: %zu records lost",
                        c->name, c->records);
                h->stats.lost_records += c->records;
            }
        }
        chunk_release(c);
        free(t);
    }
    free(h->unfinished.items);
    h->unfinished = (struct ptrvec){0};
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* load_stored routes the chunks an earlier run left in storage.path, in the
 * order they were created, and removes their files: if they are unfinished
 * again at shutdown they are written again. */
static void load_stored(struct host *h)
{
    if (!h->storage_path) {
        return;
    }
    for (size_t i = 0; i < h->inputs.len; i++) {
        struct input *in = h->inputs.items[i];
        char *dir;
        DIR *d;
        struct dirent *e;
        struct ptrvec names = {0};

        if (!in->storage_fs) {
            continue;
        }
        dir = storage_dir(h, in);
        d = opendir(dir);
        while (d && (e = readdir(d)) != NULL) {
            if (e->d_name[0] != '.') {
                ptrvec_push(&names, xstrdup(e->d_name));
            }
        }
        if (d) {
            closedir(d);
        }
        qsort(names.items, names.len, sizeof names.items[0], compare_names);
        for (size_t k = 0; k < names.len; k++) {
            char *path = xasprintf("%s/%s", dir, (char *)names.items[k]);
            FILE *f = fopen(path, "r");
            char *hdr = NULL, *tag = NULL, *count = NULL;
            size_t cap1 = 0, cap2 = 0, cap3 = 0;
            struct buf data = {0};
            char block[65536];
            size_t n;

            if (f && getline(&hdr, &cap1, f) > 0 && strcmp(hdr, STORED_CHUNK_MAGIC) == 0 &&
                getline(&tag, &cap2, f) > 0 && getline(&count, &cap3, f) > 0) {
                struct stream *st;
                struct chunk *c;

                tag[strcspn(tag, "\n")] = '\0';
                while ((n = fread(block, 1, sizeof block, f)) > 0) {
                    buf_append(&data, block, n);
                }
                st = input_stream(in, tag);
                c = xcalloc(1, sizeof *c);
                c->data = data.data;
                c->size = data.len;
                c->records = strtoull(count, NULL, 10);
                c->tag = st->tag;
                c->in = in;
                c->id = h->next_chunk_id++;
                snprintf(c->name, sizeof c->name, "%s", (char *)names.items[k]);
                log_msg(FLB_LOG_INFO, "[storage] chunk '%s' (%zu records) left by the last run is flushed again", c->name,
                        c->records);
                h->stats.chunks++;
                unlink(path);
                route_chunk(h, c);
            } else {
                log_msg(FLB_LOG_ERROR, "[storage] cannot read chunk %s", path);
                free(data.data);
            }
            if (f) {
                fclose(f);
            }
            free(hdr);
            free(tag);
            free(count);
            free(path);
            free(names.items[k]);
        }
        free(names.items);
        free(dir);
    }
}

/* outputs_idle reports whether no task is pending anywhere. */
static bool outputs_idle(struct host *h)
{
    bool idle = true;

    pthread_mutex_lock(&h->engine_queue.mu);
    idle = h->engine_queue.pending == 0;
    pthread_mutex_unlock(&h->engine_queue.mu);
    for (size_t i = 0; i < h->outputs.len && idle; i++) {
        struct output *out = h->outputs.items[i];

        if (out->workers > 0) {
            pthread_mutex_lock(&out->queue.mu);
            idle = out->queue.pending == 0;
            pthread_mutex_unlock(&out->queue.mu);
        }
    }
    return idle;
}

/* wait_for_stop is --wait-signal: flush everything, then idle until a
 * signal, as a Fluent Bit that keeps tailing files that do not grow. */
static void wait_for_stop(struct host *h)
{
    struct task *t;

    while (!stop_requested(h)) {
        while ((t = queue_take(&h->engine_queue, TAKE_NOWAIT)) != NULL) {
            run_task(h, t);
        }
        if (outputs_idle(h)) {
            usleep(10000);
        } else {
            usleep(1000);
        }
    }
}

static void *engine_main(void *arg)
{
    struct host *h = arg;
    struct task *t;

    t_host_thread = true;
    if (init_outputs(h) != 0) {
        for (size_t i = 0; i < h->outputs.len; i++) {
            stop_workers(h->outputs.items[i]);
        }
        h->engine_failed = true;
        return NULL;
    }
    load_stored(h);
    read_inputs(h);
    for (size_t i = 0; i < h->outputs.len; i++) {
        struct output *out = h->outputs.items[i];

        if (out->threads) {
            queue_input_done(&out->queue);
        }
    }
    if (h->opt.wait_signal && !h->reload_due) {
        wait_for_stop(h);
    }
    while ((t = queue_take(&h->engine_queue, TAKE_UNTIL_EMPTY)) != NULL) {
        run_task(h, t);
    }
    if (h->opt.reload_every_chunks == 0 && h->reloads_done < h->opt.reloads) {
        h->reload_due = true; /* idle reloads */
    }
    exit_outputs(h);
    store_unfinished(h);
    db_save(h);
    return NULL;
}

static void output_free(struct output *out)
{
    kvlist_free(&out->props);
    free(out->match);
    if (out->has_regex) {
        regfree(&out->match_regex);
    }
    free(out->name);
    cmt_destroy(out->cmt);
    poison_free(out->context, sizeof *out->context);
    poison_free(out, sizeof *out);
}

/* reload_outputs replaces the output instances, whose workers have been
 * joined, by those of the [OUTPUT] sections of path. */
static int reload_outputs(struct host *h, const char *path)
{
    struct config cf = {0};
    int ret;

    for (size_t i = 0; i < h->outputs.len; i++) {
        output_free(h->outputs.items[i]);
    }
    h->outputs.len = 0;
    for (size_t i = 0; i < h->plugins.len; i++) {
        ((struct plugin *)h->plugins.items[i])->instances = 0;
    }
    ret = config_load(&cf, path);
    for (size_t i = 0; ret == 0 && i < cf.sections.len; i++) {
        struct section *sec = cf.sections.items[i];

        if (strcasecmp(sec->name, "OUTPUT") == 0) {
            ret = create_output(h, sec);
        }
    }
    config_free(&cf);
    return ret;
}

/* hot_reload runs on the main thread between the old engine thread, which
 * has flushed everything and exited the instances (OutputPreExit(1),
 * ExitCtx), and the new one: Unregister, then PreRegister(1) and Register
 * with a new definition, and a new plugin structure and proxy context per
 * instance, as Fluent Bit's new context has. The old ones are poisoned, so
 * a plugin that kept a pointer into them reads garbage at once. */
static int hot_reload(struct host *h)
{
    h->reloads_done++;
    log_msg(FLB_LOG_INFO, "[reload] hot reload #%zu: old context stopped, starting the new one", h->reloads_done);
    plugins_unregister(h);
    for (size_t i = 0; i < h->plugins.len; i++) {
        struct plugin *p = h->plugins.items[i];
        int (*cb_pre_register)(int) = (int (*)(int))plugin_symbol(p->dso, "FLBPluginPreRegister");
        int (*cb_register)(struct flb_plugin_proxy_def *) =
            (int (*)(struct flb_plugin_proxy_def *))plugin_symbol(p->dso, "FLBPluginRegister");
        struct flbgo_output_plugin *go;

        poison_free(p->def, sizeof *p->def);
        p->def = xcalloc(1, sizeof *p->def);
        if ((cb_pre_register && cb_pre_register(1) == -1) || cb_register(p->def) == -1 || !p->def->name) {
            log_msg(FLB_LOG_ERROR, "[reload] plugin %s failed to register again", p->path);
            return -1;
        }
        go = xcalloc(1, sizeof *go);
        *go = *p->go;
        go->name = xstrdup(p->def->name);
        free(p->go->name);
        poison_free(p->go, sizeof *p->go);
        p->go = go;
    }
    if (h->opt.reload_config) {
        h->reload_due = false;
        return reload_outputs(h, h->reloads_done % 2 ? h->opt.reload_config : h->opt.config);
    }
    for (size_t i = 0; i < h->outputs.len; i++) {
        struct output *out = h->outputs.items[i];

        poison_free(out->context, sizeof *out->context);
        out->context = xcalloc(1, sizeof *out->context);
        out->context->proxy = out->plugin;
        /* a new instance in Fluent Bit: its metrics context is new too */
        cmt_destroy(out->cmt);
        out->cmt = xcalloc(1, sizeof *out->cmt);
        out->cmt->out = out;
    }
    h->reload_due = false;
    return 0;
}

/* ------------------------------------------------------------------------
 * Command line
 * ------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f, "usage: flbhost [options] -c <fluent-bit.conf> [-e <plugin.so>]...\n"
               "  -c, --config FILE       Fluent Bit classic configuration file\n"
               "  -e, --plugin FILE       load a Go output plugin (repeatable)\n"
               "  -q, --quiet             do not print the final stats line\n"
               "      --time RFC3339      event time of every record (default: now)\n"
               "      --time-from-mtime   event time of each record: its file's modification time\n"
               "      --chunk-bytes N     chunk size limit in bytes (default 262144)\n"
               "      --chunk-records N   records per chunk (default 0 = unlimited)\n"
               "      --retry-wait-ms N   delay before a retry (default 50)\n"
               "      --reload-every-chunks N  hot reload after every N chunks\n"
               "      --reloads K         at most K hot reloads (0 = no limit); alone: K idle reloads\n"
               "      --reload-config FILE  odd reloads load FILE's outputs, even ones -c's\n"
               "      --metrics FILE      write the plugins' metrics there at exit\n"
               "      --no-metrics        no metrics context, like a build without metrics\n"
               "      --no-log-api        no log_print and output_log_check in the API table\n"
               "      --wait-signal       after the inputs, run until SIGTERM or SIGINT\n"
               "      --stop-after-chunks N  stop during the N-th flush, past the grace period\n"
               "      --shuffle-seed N    workers finish chunks in a random order (default 0 = in order)\n"
               "  -h, --help              print this usage\n");
}

static bool parse_fixed_digits(const char **s, int n, int *out)
{
    int v = 0;

    for (int i = 0; i < n; i++) {
        if (!is_digit((unsigned char)(*s)[i])) {
            return false;
        }
        v = v * 10 + ((*s)[i] - '0');
    }
    *s += n;
    *out = v;
    return true;
}

static bool expect_char(const char **s, const char *allowed)
{
    if (**s == '\0' || !strchr(allowed, **s)) {
        return false;
    }
    (*s)++;
    return true;
}

/* parse_rfc3339 accepts YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM). */
static bool parse_rfc3339(const char *s, struct timespec *out)
{
    int year, month, day, hour, minute, second, off_h = 0, off_m = 0;
    long nsec = 0;
    long offset = 0;
    struct tm tm = {0};
    time_t t;

    if (!parse_fixed_digits(&s, 4, &year) || !expect_char(&s, "-") || !parse_fixed_digits(&s, 2, &month) ||
        !expect_char(&s, "-") || !parse_fixed_digits(&s, 2, &day) || !expect_char(&s, "Tt ") ||
        !parse_fixed_digits(&s, 2, &hour) || !expect_char(&s, ":") || !parse_fixed_digits(&s, 2, &minute) ||
        !expect_char(&s, ":") || !parse_fixed_digits(&s, 2, &second)) {
        return false;
    }
    if (*s == '.') {
        int digits = 0;

        for (s++; is_digit((unsigned char)*s); s++, digits++) {
            if (digits < 9) {
                nsec = nsec * 10 + (*s - '0');
            }
        }
        if (digits == 0) {
            return false;
        }
        for (; digits < 9; digits++) {
            nsec *= 10;
        }
    }
    if (*s == 'Z' || *s == 'z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        int sign = *s == '-' ? -1 : 1;

        s++;
        if (!parse_fixed_digits(&s, 2, &off_h) || !expect_char(&s, ":") || !parse_fixed_digits(&s, 2, &off_m) ||
            off_h > 23 || off_m > 59) {
            return false;
        }
        offset = sign * (off_h * 3600L + off_m * 60L);
    } else {
        return false;
    }
    if (*s != '\0' || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return false;
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    t = timegm(&tm) - offset;
    if (t < 0 || (uint64_t)t > UINT32_MAX) {
        return false; /* EventTime seconds are an unsigned 32-bit field */
    }
    out->tv_sec = t;
    out->tv_nsec = nsec;
    return true;
}

enum {
    OPT_TIME = 256,
    OPT_CHUNK_BYTES,
    OPT_CHUNK_RECORDS,
    OPT_RETRY_WAIT,
    OPT_TIME_FROM_MTIME,
    OPT_RELOAD_EVERY,
    OPT_RELOADS,
    OPT_RELOAD_CONFIG,
    OPT_METRICS,
    OPT_NO_METRICS,
    OPT_NO_LOG_API,
    OPT_WAIT_SIGNAL,
    OPT_STOP_AFTER,
    OPT_SHUFFLE_SEED,
};

/* parse_args returns 0 to run, 1 on a usage error, 2 after --help. */
static int parse_args(struct options *opt, int argc, char **argv)
{
    static const struct option longopts[] = {
        {"config", required_argument, NULL, 'c'},
        {"plugin", required_argument, NULL, 'e'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"time", required_argument, NULL, OPT_TIME},
        {"chunk-bytes", required_argument, NULL, OPT_CHUNK_BYTES},
        {"chunk-records", required_argument, NULL, OPT_CHUNK_RECORDS},
        {"retry-wait-ms", required_argument, NULL, OPT_RETRY_WAIT},
        {"time-from-mtime", no_argument, NULL, OPT_TIME_FROM_MTIME},
        {"reload-every-chunks", required_argument, NULL, OPT_RELOAD_EVERY},
        {"reloads", required_argument, NULL, OPT_RELOADS},
        {"reload-config", required_argument, NULL, OPT_RELOAD_CONFIG},
        {"metrics", required_argument, NULL, OPT_METRICS},
        {"no-metrics", no_argument, NULL, OPT_NO_METRICS},
        {"no-log-api", no_argument, NULL, OPT_NO_LOG_API},
        {"wait-signal", no_argument, NULL, OPT_WAIT_SIGNAL},
        {"stop-after-chunks", required_argument, NULL, OPT_STOP_AFTER},
        {"shuffle-seed", required_argument, NULL, OPT_SHUFFLE_SEED},
        {NULL, 0, NULL, 0},
    };
    int c;
    size_t n;

    opt->chunk_bytes = 262144;
    opt->retry_wait_ms = 50;
    while ((c = getopt_long(argc, argv, "c:e:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            opt->config = optarg;
            break;
        case 'e':
            ptrvec_push(&opt->plugins, optarg);
            break;
        case 'q':
            opt->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 2;
        case OPT_TIME:
            if (!parse_rfc3339(optarg, &opt->time)) {
                fprintf(stderr, "flbhost: invalid --time '%s' (want RFC 3339, e.g. 2024-05-01T12:00:00Z)\n", optarg);
                return 1;
            }
            opt->fixed_time = true;
            break;
        case OPT_CHUNK_BYTES:
            if (!parse_size(optarg, &n) || n == 0) {
                fprintf(stderr, "flbhost: invalid --chunk-bytes '%s'\n", optarg);
                return 1;
            }
            opt->chunk_bytes = n;
            break;
        case OPT_CHUNK_RECORDS:
            if (!parse_size(optarg, &n)) {
                fprintf(stderr, "flbhost: invalid --chunk-records '%s'\n", optarg);
                return 1;
            }
            opt->chunk_records = n;
            break;
        case OPT_METRICS:
            opt->metrics_file = optarg;
            break;
        case OPT_NO_METRICS:
            opt->no_metrics = true;
            break;
        case OPT_NO_LOG_API:
            opt->no_log_api = true;
            break;
        case OPT_RETRY_WAIT:
            if (!parse_size(optarg, &n) || n > 3600000) {
                fprintf(stderr, "flbhost: invalid --retry-wait-ms '%s'\n", optarg);
                return 1;
            }
            opt->retry_wait_ms = (long)n;
            break;
        case OPT_TIME_FROM_MTIME:
            opt->mtime_time = true;
            break;
        case OPT_RELOAD_EVERY:
            if (!parse_size(optarg, &n) || n == 0) {
                fprintf(stderr, "flbhost: invalid --reload-every-chunks '%s'\n", optarg);
                return 1;
            }
            opt->reload_every_chunks = n;
            break;
        case OPT_RELOADS:
            if (!parse_size(optarg, &n)) {
                fprintf(stderr, "flbhost: invalid --reloads '%s'\n", optarg);
                return 1;
            }
            opt->reloads = n;
            break;
        case OPT_RELOAD_CONFIG:
            opt->reload_config = optarg;
            break;
        case OPT_WAIT_SIGNAL:
            opt->wait_signal = true;
            break;
        case OPT_STOP_AFTER:
            if (!parse_size(optarg, &n) || n == 0) {
                fprintf(stderr, "flbhost: invalid --stop-after-chunks '%s'\n", optarg);
                return 1;
            }
            opt->stop_after_chunks = n;
            break;
        case OPT_SHUFFLE_SEED:
            if (!parse_size(optarg, &n)) {
                fprintf(stderr, "flbhost: invalid --shuffle-seed '%s'\n", optarg);
                return 1;
            }
            opt->shuffle_seed = (uint64_t)n;
            break;
        default:
            usage(stderr);
            return 1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "flbhost: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 1;
    }
    if (!opt->config) {
        fprintf(stderr, "flbhost: -c <fluent-bit.conf> is required\n");
        usage(stderr);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct host h = {0};
    pthread_t engine;
    int ret;

    ret = parse_args(&h.opt, argc, argv);
    if (ret != 0) {
        return ret == 2 ? 0 : 1;
    }
    h.log_level = FLB_LOG_INFO;
    t_host_thread = true;
    h.grace_s = 5;
    pthread_mutex_init(&h.stop_mu, NULL);
    queue_init(&h.engine_queue);
    {
        struct sigaction sa = {0};

        sa.sa_handler = on_stop_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
    }

    /* Plugins load, pre-register, register and unregister on the main thread;
     * everything else runs on the engine thread, as in Fluent Bit. */
    for (size_t i = 0; i < h.opt.plugins.len; i++) {
        if (plugin_load(&h, h.opt.plugins.items[i]) != 0) {
            return 1;
        }
    }
    if (config_setup(&h) != 0) {
        plugins_unregister(&h);
        return 1;
    }

    if (h.opt.reload_every_chunks > 0 || h.opt.reloads > 0) {
        h.hot_reload = true; /* reloads need Hot_Reload On */
    }
    /* One engine thread per context: a hot reload starts a new one. */
    for (;;) {
        ret = pthread_create(&engine, NULL, engine_main, &h);
        if (ret != 0) {
            log_msg(FLB_LOG_ERROR, "[engine] cannot start the engine thread: %s", strerror(ret));
            plugins_unregister(&h);
            return 1;
        }
        name_thread(engine, "flb-pipeline");
        pthread_join(engine, NULL);
        if (h.engine_failed || !h.reload_due) {
            break;
        }
        if (hot_reload(&h) != 0) {
            return 1;
        }
    }

    plugins_unregister(&h);
    if (h.engine_failed) {
        return 1;
    }
    if (h.opt.metrics_file && cmt_write_prometheus(h.opt.metrics_file) != 0) {
        return 1;
    }
    if (!h.opt.quiet) {
        fprintf(stderr,
                "[flbhost] chunks=%zu records=%zu ok=%zu retry=%zu error=%zu dropped=%zu dropped_records=%zu "
                "lost_records=%zu stored_chunks=%zu\n",
                h.stats.chunks, h.stats.records, atomic_load(&h.stats.ok), atomic_load(&h.stats.retry),
                atomic_load(&h.stats.error), atomic_load(&h.stats.dropped), atomic_load(&h.stats.dropped_records),
                h.stats.lost_records, h.stats.stored_chunks);
    }
    return 0;
}
