/*
 * tapwire_pcap: the thin native layer over libpcap (N-API, C).
 *
 * Only what JavaScript cannot do itself lives here: opening a capture handle, copying a
 * batch of packets into a caller-provided buffer and typed-array columns in ONE call
 * (pcap_dispatch with a callback that appends; never one JS callback per packet),
 * statistics, injection, the interface list, and readiness waiting on the event loop.
 * Everything else (decoding, filtering in JS, writing, decapsulation) is TypeScript.
 * Sending over raw IP (GRE to a tool) is in raw_ip.c, registered with the same module.
 *
 * Event-loop integration: the handle is non-blocking and its selectable fd is watched with
 * a uv_poll (plus a uv_timer so a quiet interface still returns within the timeout). JS
 * waits for readiness once per batch, then calls dispatch() synchronously. The alternative,
 * dispatchThread() (blocking on a libuv pool thread), exists so the two can be measured in
 * the same run; src/live/README.md has the figures and why poll is the default.
 */
#include <node_api.h>
#include <uv.h>
#include <pcap/pcap.h>
#include "raw_ip.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define CHECK(call)                                                              \
  do {                                                                           \
    if ((call) != napi_ok) {                                                     \
      napi_throw_error(env, "E_NATIVE", "tapwire_pcap: N-API call failed: " #call); \
      return NULL;                                                               \
    }                                                                            \
  } while (0)

typedef struct capture {
  pcap_t *pcap;
  napi_env env;
  int fd;
  int closed;
  int waiting;
  int open_uv; /* uv handles not yet closed */
  uv_poll_t poll;
  uv_timer_t timer;
  napi_ref wait_cb;
  napi_async_context async;
  /* A packet that did not fit the previous batch (copied; delivered first next time). */
  unsigned char *pend;
  struct pcap_pkthdr pend_hdr;
  int has_pend;
  /* Thread mode (measured against the poll mode, see src/live/README.md): a dispatch runs
   * on the libuv pool, blocking; close() waits for it to come back. */
  int busy, close_pending, blocking;
} capture;

/* Where dispatch() appends: the batch's buffer and columns. */
typedef struct sink {
  unsigned char *buf;
  size_t len, pos;
  uint32_t *offset, *caplen, *wirelen, *tsnsec;
  double *tssec;
  uint32_t idx, cap, added;
  int nano;
  /* 0: bytes only; 1/2: each packet preceded by a pcap record header (usec/nsec), so a
   * batch is also a ready-to-write run of pcap records (tcpdump -w without a JS pass). */
  int hdr_mode;
  capture *c;
} sink;

static void do_close(capture *c);

#define HDR_LEN(s) ((s)->hdr_mode ? 16u : 0u)

static napi_value throw_pcap(napi_env env, const char *code, const char *what, const char *detail) {
  char msg[2 * PCAP_ERRBUF_SIZE + 512];
  snprintf(msg, sizeof msg, "%s: %s", what, detail);
  napi_throw_error(env, code, msg);
  return NULL;
}

static int fits(sink *s, uint32_t caplen) { return s->idx < s->cap && s->pos + HDR_LEN(s) + caplen <= s->len; }

static void put(sink *s, const struct pcap_pkthdr *h, const unsigned char *bytes) {
  uint32_t i = s->idx++;
  uint32_t frac_ns = s->nano ? (uint32_t)h->ts.tv_usec : (uint32_t)h->ts.tv_usec * 1000u;
  if (s->hdr_mode) {
    uint32_t rec[4] = {(uint32_t)h->ts.tv_sec, s->hdr_mode == 2 ? frac_ns : frac_ns / 1000u, h->caplen, h->len};
    memcpy(s->buf + s->pos, rec, sizeof rec); /* host byte order, like the file header JS writes */
    s->pos += sizeof rec;
  }
  memcpy(s->buf + s->pos, bytes, h->caplen);
  s->offset[i] = (uint32_t)s->pos;
  s->caplen[i] = h->caplen;
  s->wirelen[i] = h->len;
  s->tssec[i] = (double)h->ts.tv_sec;
  s->tsnsec[i] = frac_ns;
  s->pos += h->caplen;
  s->added++;
}

static void on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes) {
  sink *s = (sink *)user;
  if (fits(s, h->caplen)) {
    put(s, h, bytes);
    return;
  }
  /* The batch is full: keep this one packet for the next call and stop the loop. */
  capture *c = s->c;
  c->pend_hdr = *h;
  memcpy(c->pend, bytes, h->caplen);
  c->has_pend = 1;
  pcap_breakloop(c->pcap);
}

static capture *get_capture(napi_env env, napi_value v) {
  capture *c = NULL;
  if (napi_get_value_external(env, v, (void **)&c) != napi_ok || c == NULL) {
    napi_throw_type_error(env, "E_NATIVE", "not a capture handle");
    return NULL;
  }
  if (c->closed) {
    napi_throw_error(env, "E_CLOSED", "capture handle is closed");
    return NULL;
  }
  return c;
}

static void *typed_data(napi_env env, napi_value v, size_t *len) {
  napi_typedarray_type t;
  size_t n;
  void *data;
  napi_value ab;
  size_t off;
  if (napi_get_typedarray_info(env, v, &t, &n, &data, &ab, &off) != napi_ok) return NULL;
  if (len) *len = n;
  return data;
}

static int get_prop_int(napi_env env, napi_value o, const char *k, int def) {
  napi_value v;
  bool has = false;
  napi_valuetype t;
  int32_t r = def;
  if (napi_has_named_property(env, o, k, &has) != napi_ok || !has) return def;
  napi_get_named_property(env, o, k, &v);
  napi_typeof(env, v, &t);
  if (t == napi_number) napi_get_value_int32(env, v, &r);
  else if (t == napi_boolean) {
    bool b;
    napi_get_value_bool(env, v, &b);
    r = b;
  }
  return r;
}

static char *get_prop_str(napi_env env, napi_value o, const char *k) {
  napi_value v;
  bool has = false;
  napi_valuetype t;
  size_t n;
  if (napi_has_named_property(env, o, k, &has) != napi_ok || !has) return NULL;
  napi_get_named_property(env, o, k, &v);
  napi_typeof(env, v, &t);
  if (t != napi_string) return NULL;
  napi_get_value_string_utf8(env, v, NULL, 0, &n);
  char *s = malloc(n + 1);
  napi_get_value_string_utf8(env, v, s, n + 1, &n);
  return s;
}

static napi_value set_filter(napi_env env, pcap_t *p, const char *expr) {
  struct bpf_program prog;
  if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) return throw_pcap(env, "E_FILTER", "bad filter expression", pcap_geterr(p));
  int rc = pcap_setfilter(p, &prog);
  pcap_freecode(&prog);
  if (rc != 0) return throw_pcap(env, "E_FILTER", "cannot set the kernel filter", pcap_geterr(p));
  return (napi_value)1;
}

static void free_capture(capture *c) {
  free(c->pend);
  free(c);
}

static void finish_close(capture *c) {
  if (--c->open_uv > 0) return;
  napi_env env = c->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  if (c->waiting && c->wait_cb) {
    /* Wake a pending wait() so its promise settles: 2 = closed. */
    napi_value cb, global, arg;
    napi_get_reference_value(env, c->wait_cb, &cb);
    napi_get_global(env, &global);
    napi_create_int32(env, 2, &arg);
    napi_make_callback(env, c->async, global, cb, 1, &arg, NULL);
  }
  if (c->wait_cb) napi_delete_reference(env, c->wait_cb);
  napi_async_destroy(env, c->async);
  napi_close_handle_scope(env, scope);
  free_capture(c);
}

static void on_uv_closed(uv_handle_t *h) { finish_close((capture *)h->data); }

static void wake(capture *c, int status) {
  if (!c->waiting) return;
  c->waiting = 0;
  uv_poll_stop(&c->poll);
  uv_timer_stop(&c->timer);
  napi_env env = c->env;
  napi_handle_scope scope;
  napi_open_handle_scope(env, &scope);
  napi_value cb, global, arg;
  napi_get_reference_value(env, c->wait_cb, &cb);
  napi_get_global(env, &global);
  napi_create_int32(env, status, &arg);
  napi_make_callback(env, c->async, global, cb, 1, &arg, NULL);
  napi_close_handle_scope(env, scope);
}

static void on_readable(uv_poll_t *p, int status, int events) {
  (void)events;
  wake((capture *)p->data, status < 0 ? -1 : 1);
}

static void on_timeout(uv_timer_t *t) { wake((capture *)t->data, 0); }

/* open(device, {snaplen, promisc, bufferSize, immediate, timeoutMs, nano, filter, direction}) */
static napi_value Open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char dev[256], err[PCAP_ERRBUF_SIZE];
  size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (napi_get_value_string_utf8(env, argv[0], dev, sizeof dev, &n) != napi_ok) return throw_pcap(env, "E_USAGE", "open", "interface name must be a string");
  int snaplen = get_prop_int(env, argv[1], "snaplen", 262144);
  int promisc = get_prop_int(env, argv[1], "promisc", 1);
  int bufsize = get_prop_int(env, argv[1], "bufferSize", 0);
  int immediate = get_prop_int(env, argv[1], "immediate", 0);
  int timeout = get_prop_int(env, argv[1], "timeoutMs", 100);
  int nano = get_prop_int(env, argv[1], "nano", 1);
  int direction = get_prop_int(env, argv[1], "direction", 0);
  char *filter = get_prop_str(env, argv[1], "filter");

  err[0] = 0;
  pcap_t *p = pcap_create(dev, err);
  if (!p) {
    free(filter);
    return throw_pcap(env, "E_CAPTURE", dev, err);
  }
  pcap_set_snaplen(p, snaplen);
  pcap_set_promisc(p, promisc);
  pcap_set_timeout(p, timeout);
  pcap_set_immediate_mode(p, immediate);
  if (bufsize > 0) pcap_set_buffer_size(p, bufsize);
  if (nano && pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO) != 0) nano = 0;
  int rc = pcap_activate(p);
  if (rc < 0) {
    char msg[PCAP_ERRBUF_SIZE + 64];
    snprintf(msg, sizeof msg, "%s (%s)", pcap_statustostr(rc), pcap_geterr(p));
    pcap_close(p);
    free(filter);
    return throw_pcap(env, rc == PCAP_ERROR_PERM_DENIED ? "E_PERM" : "E_CAPTURE", dev, msg);
  }
  if (direction == 1) pcap_setdirection(p, PCAP_D_IN);
  else if (direction == 2) pcap_setdirection(p, PCAP_D_OUT);
  if (filter && filter[0] && set_filter(env, p, filter) == NULL) {
    pcap_close(p);
    free(filter);
    return NULL;
  }
  free(filter);
  if (pcap_setnonblock(p, 1, err) != 0) {
    pcap_close(p);
    return throw_pcap(env, "E_CAPTURE", dev, err);
  }
  int fd = pcap_get_selectable_fd(p);
  if (fd < 0) {
    pcap_close(p);
    return throw_pcap(env, "E_CAPTURE", dev, "no selectable file descriptor");
  }

  capture *c = calloc(1, sizeof *c);
  c->pcap = p;
  c->env = env;
  c->fd = fd;
  c->pend = malloc((size_t)pcap_snapshot(p) + 1);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  uv_poll_init(loop, &c->poll, fd);
  uv_timer_init(loop, &c->timer);
  c->poll.data = c;
  c->timer.data = c;
  c->open_uv = 2;
  napi_value name;
  napi_create_string_utf8(env, "tapwire:pcap", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &c->async);

  napi_value out, ext, v;
  CHECK(napi_create_object(env, &out));
  CHECK(napi_create_external(env, c, NULL, NULL, &ext));
  napi_set_named_property(env, out, "handle", ext);
  napi_create_int32(env, pcap_datalink(p), &v);
  napi_set_named_property(env, out, "linktype", v);
  napi_create_int32(env, pcap_snapshot(p), &v);
  napi_set_named_property(env, out, "snaplen", v);
  napi_get_boolean(env, nano, &v);
  napi_set_named_property(env, out, "nano", v);
  napi_create_int32(env, rc, &v); /* > 0: a warning from pcap_activate */
  napi_set_named_property(env, out, "warning", v);
  return out;
}

/* Reads dispatch()'s arguments a[1..9] (buffer, position, columns, start, hdrMode). */
static int parse_sink(napi_env env, napi_value *a, size_t argc, capture *c, sink *s) {
  size_t ncap = 0;
  uint32_t pos = 0, start = 0;
  int32_t hdr_mode = 0;
  memset(s, 0, sizeof *s);
  s->buf = typed_data(env, a[1], &s->len);
  napi_get_value_uint32(env, a[2], &pos);
  s->offset = typed_data(env, a[3], &ncap);
  s->caplen = typed_data(env, a[4], NULL);
  s->wirelen = typed_data(env, a[5], NULL);
  s->tssec = typed_data(env, a[6], NULL);
  s->tsnsec = typed_data(env, a[7], NULL);
  napi_get_value_uint32(env, a[8], &start);
  if (argc >= 10) napi_get_value_int32(env, a[9], &hdr_mode);
  if (!s->buf || !s->offset || !s->caplen || !s->wirelen || !s->tssec || !s->tsnsec) {
    throw_pcap(env, "E_NATIVE", "dispatch", "bad buffer or column arguments");
    return 0;
  }
  s->pos = pos;
  s->idx = start;
  s->cap = (uint32_t)ncap;
  s->c = c;
  s->nano = pcap_get_tstamp_precision(c->pcap) == PCAP_TSTAMP_PRECISION_NANO;
  s->hdr_mode = hdr_mode;
  return 1;
}

/* Delivers the packet kept from the previous call; false when it still does not fit. */
static int put_pending(sink *s) {
  capture *c = s->c;
  if (!c->has_pend) return 1;
  if (!fits(s, c->pend_hdr.caplen)) return 0;
  put(s, &c->pend_hdr, c->pend);
  c->has_pend = 0;
  return 1;
}

/* dispatch(handle, buf, pos, offset, caplen, wirelen, tsSec, tsNsec, start, hdrMode) -> count.
 * Appends packets at buf[pos..] and columns[start..] until the buffer or columns are full
 * or the kernel has nothing more buffered. */
static napi_value Dispatch(napi_env env, napi_callback_info info) {
  size_t argc = 10;
  napi_value a[10], r;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  capture *c = get_capture(env, a[0]);
  if (!c) return NULL;
  sink s;
  if (!parse_sink(env, a, argc, c, &s)) return NULL;
  if (put_pending(&s)) {
    /* -1: everything buffered; in TPACKET_V3 mode that is the blocks the kernel retired. */
    while (!c->has_pend && s.idx < s.cap) {
      uint32_t before = s.added;
      int rc = pcap_dispatch(c->pcap, -1, on_packet, (u_char *)&s);
      if (rc == PCAP_ERROR) return throw_pcap(env, "E_CAPTURE", "capture failed", pcap_geterr(c->pcap));
      if (rc == PCAP_ERROR_BREAK || s.added == before) break;
    }
  }
  napi_create_uint32(env, s.added, &r);
  return r;
}

/* Thread mode: the same dispatch, blocking on a libuv pool thread (up to the timeout). */
typedef struct job {
  napi_async_work work;
  napi_ref cb;
  sink s;
  int rc;
  char err[PCAP_ERRBUF_SIZE];
} job;

static void job_execute(napi_env env, void *data) {
  job *j = data;
  capture *c = j->s.c;
  if (!put_pending(&j->s)) return;
  int rc = pcap_dispatch(c->pcap, -1, on_packet, (u_char *)&j->s);
  if (rc == PCAP_ERROR) {
    j->rc = -1;
    snprintf(j->err, sizeof j->err, "%s", pcap_geterr(c->pcap));
  }
}

static void job_complete(napi_env env, napi_status status, void *data) {
  job *j = data;
  capture *c = j->s.c;
  c->busy = 0;
  napi_value cb, global, argv[2];
  napi_get_reference_value(env, j->cb, &cb);
  napi_get_global(env, &global);
  if (j->rc < 0) napi_create_string_utf8(env, j->err, NAPI_AUTO_LENGTH, &argv[0]);
  else napi_get_null(env, &argv[0]);
  napi_create_uint32(env, j->s.added, &argv[1]);
  napi_delete_reference(env, j->cb);
  napi_delete_async_work(env, j->work);
  free(j);
  if (c->close_pending) do_close(c);
  napi_call_function(env, global, cb, 2, argv, NULL);
}

/* dispatchThread(handle, buf, pos, offset, caplen, wirelen, tsSec, tsNsec, start, hdrMode, cb):
 * cb(error | null, count). The caller keeps the buffer and columns alive until cb. */
static napi_value DispatchThread(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value a[11], name;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  capture *c = get_capture(env, a[0]);
  if (!c) return NULL;
  if (c->busy) return throw_pcap(env, "E_NATIVE", "dispatchThread", "a dispatch is already running");
  job *j = calloc(1, sizeof *j);
  if (!parse_sink(env, a, 10, c, &j->s)) {
    free(j);
    return NULL;
  }
  if (!c->blocking) {
    char err[PCAP_ERRBUF_SIZE];
    pcap_setnonblock(c->pcap, 0, err);
    c->blocking = 1;
  }
  napi_create_reference(env, a[10], 1, &j->cb);
  napi_create_string_utf8(env, "tapwire:pcap-dispatch", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, job_execute, job_complete, j, &j->work);
  c->busy = 1;
  napi_queue_async_work(env, j->work);
  return NULL;
}

/* wait(handle, timeoutMs, cb): cb(status) once, when readable (1), on timeout (0),
 * on a poll error (-1) or when the handle is closed (2). */
static napi_value Wait(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  capture *c = get_capture(env, a[0]);
  if (!c) return NULL;
  uint32_t ms;
  napi_get_value_uint32(env, a[1], &ms);
  if (c->waiting) return throw_pcap(env, "E_NATIVE", "wait", "already waiting");
  if (c->wait_cb) napi_delete_reference(env, c->wait_cb);
  CHECK(napi_create_reference(env, a[2], 1, &c->wait_cb));
  c->waiting = 1;
  uv_poll_start(&c->poll, UV_READABLE, on_readable);
  uv_timer_start(&c->timer, on_timeout, ms, 0);
  return NULL;
}

/* breakLoop(handle): makes a blocking dispatch (thread mode) return now. */
static napi_value BreakLoop(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  capture *c = get_capture(env, a[0]);
  if (c && c->busy) pcap_breakloop(c->pcap);
  return NULL;
}

static napi_value Stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1], out, v;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  capture *c = get_capture(env, a[0]);
  if (!c) return NULL;
  struct pcap_stat st;
  if (pcap_stats(c->pcap, &st) != 0) return throw_pcap(env, "E_CAPTURE", "statistics", pcap_geterr(c->pcap));
  CHECK(napi_create_array_with_length(env, 3, &out));
  napi_create_double(env, st.ps_recv, &v);
  napi_set_element(env, out, 0, v);
  napi_create_double(env, st.ps_drop, &v);
  napi_set_element(env, out, 1, v);
  napi_create_double(env, st.ps_ifdrop, &v);
  napi_set_element(env, out, 2, v);
  return out;
}

/* inject(handle, buf, offset, length, start, count) -> packets sent; failures are skipped
 * (a software SPAN port goes on) and the last error is kept for lastError(). */
static char last_inject_error[PCAP_ERRBUF_SIZE];
static napi_value Inject(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value a[6], r;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  capture *c = get_capture(env, a[0]);
  if (!c) return NULL;
  size_t blen = 0, ncols = 0;
  unsigned char *buf = typed_data(env, a[1], &blen);
  uint32_t *off = typed_data(env, a[2], &ncols);
  uint32_t *len = typed_data(env, a[3], NULL);
  uint32_t start, count, sent = 0;
  napi_get_value_uint32(env, a[4], &start);
  napi_get_value_uint32(env, a[5], &count);
  if (!buf || !off || !len || (size_t)start + count > ncols) return throw_pcap(env, "E_NATIVE", "inject", "bad arguments");
  for (uint32_t i = start; i < start + count; i++) {
    if ((size_t)off[i] + len[i] > blen) continue;
    if (pcap_inject(c->pcap, buf + off[i], len[i]) >= 0) sent++;
    else snprintf(last_inject_error, sizeof last_inject_error, "%s", pcap_geterr(c->pcap));
  }
  napi_create_uint32(env, sent, &r);
  return r;
}

static napi_value LastError(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_string_utf8(env, last_inject_error, NAPI_AUTO_LENGTH, &r);
  return r;
}

static napi_value Close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  capture *c = NULL;
  napi_get_value_external(env, a[0], (void **)&c);
  if (!c || c->closed) return NULL;
  c->closed = 1;
  if (c->busy) {
    /* A pool thread is inside pcap_dispatch: wake it; the job's completion closes. */
    c->close_pending = 1;
    pcap_breakloop(c->pcap);
    return NULL;
  }
  do_close(c);
  return NULL;
}

static void do_close(capture *c) {
  uv_poll_stop(&c->poll);
  uv_timer_stop(&c->timer);
  pcap_close(c->pcap);
  c->pcap = NULL;
  uv_close((uv_handle_t *)&c->poll, on_uv_closed);
  uv_close((uv_handle_t *)&c->timer, on_uv_closed);
}

static void put_addr(napi_env env, napi_value list, uint32_t *k, struct sockaddr *sa) {
  char text[INET6_ADDRSTRLEN];
  if (!sa) return;
  if (sa->sa_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, text, sizeof text);
  else if (sa->sa_family == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, text, sizeof text);
  else return;
  napi_value v;
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &v);
  napi_set_element(env, list, (*k)++, v);
}

static napi_value FindAllDevs(napi_env env, napi_callback_info info) {
  (void)info;
  pcap_if_t *all = NULL;
  char err[PCAP_ERRBUF_SIZE];
  if (pcap_findalldevs(&all, err) != 0) return throw_pcap(env, "E_CAPTURE", "cannot list interfaces", err);
  napi_value out, o, v, addrs;
  uint32_t i = 0;
  napi_create_array(env, &out);
  for (pcap_if_t *d = all; d; d = d->next) {
    uint32_t k = 0;
    napi_create_object(env, &o);
    napi_create_string_utf8(env, d->name, NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, o, "name", v);
    napi_create_string_utf8(env, d->description ? d->description : "", NAPI_AUTO_LENGTH, &v);
    napi_set_named_property(env, o, "description", v);
    napi_create_uint32(env, d->flags, &v);
    napi_set_named_property(env, o, "flags", v);
    napi_create_array(env, &addrs);
    for (pcap_addr_t *a = d->addresses; a; a = a->next) put_addr(env, addrs, &k, a->addr);
    napi_set_named_property(env, o, "addresses", addrs);
    napi_set_element(env, out, i++, o);
  }
  pcap_freealldevs(all);
  return out;
}

/* checkFilter(linktype, snaplen, expr) -> null or libpcap's error text (no privileges needed). */
static napi_value CheckFilter(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value a[3], r;
  int32_t linktype, snaplen;
  char expr[4096];
  size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  napi_get_value_int32(env, a[0], &linktype);
  napi_get_value_int32(env, a[1], &snaplen);
  napi_get_value_string_utf8(env, a[2], expr, sizeof expr, &n);
  pcap_t *p = pcap_open_dead(linktype, snaplen);
  struct bpf_program prog;
  if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) napi_create_string_utf8(env, pcap_geterr(p), NAPI_AUTO_LENGTH, &r);
  else {
    pcap_freecode(&prog);
    napi_get_null(env, &r);
  }
  pcap_close(p);
  return r;
}

/* openSink(family 4|6, kind 0 udp | 1 raw, address, portOrProtocol) -> fd.
 * A socket bound so the kernel does not answer mirror traffic with ICMP unreachable, with
 * a drop-everything socket filter so it never queues a byte: libpcap reads the packets. */
static napi_value OpenSink(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4], r;
  int32_t family, kind, port;
  char addr[INET6_ADDRSTRLEN + 1];
  size_t n;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  napi_get_value_int32(env, a[0], &family);
  napi_get_value_int32(env, a[1], &kind);
  napi_get_value_string_utf8(env, a[2], addr, sizeof addr, &n);
  napi_get_value_int32(env, a[3], &port);
  int af = family == 6 ? AF_INET6 : AF_INET;
  int fd = kind == 1 ? socket(af, SOCK_RAW, port) : socket(af, SOCK_DGRAM, 0);
  if (fd < 0) return throw_pcap(env, "E_IO", "cannot create the receive socket", strerror(errno));
  attach_drop_all(fd);
  int rc = 0;
  if (kind != 1) {
    if (af == AF_INET) {
      struct sockaddr_in sa = {0};
      sa.sin_family = AF_INET;
      sa.sin_port = htons((uint16_t)port);
      if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) rc = -1, errno = EINVAL;
      else rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    } else {
      struct sockaddr_in6 sa = {0};
      sa.sin6_family = AF_INET6;
      sa.sin6_port = htons((uint16_t)port);
      if (inet_pton(AF_INET6, addr, &sa.sin6_addr) != 1) rc = -1, errno = EINVAL;
      else rc = bind(fd, (struct sockaddr *)&sa, sizeof sa);
    }
  }
  if (rc != 0) {
    int e = errno;
    close(fd);
    return throw_pcap(env, "E_IO", "cannot bind the receive socket", strerror(e));
  }
  napi_create_int32(env, fd, &r);
  return r;
}

static napi_value CloseFd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  int32_t fd;
  CHECK(napi_get_cb_info(env, info, &argc, a, NULL, NULL));
  napi_get_value_int32(env, a[0], &fd);
  if (fd >= 0) close(fd);
  return NULL;
}

static napi_value LibVersion(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value r;
  napi_create_string_utf8(env, pcap_lib_version(), NAPI_AUTO_LENGTH, &r);
  return r;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
      {"open", NULL, Open, NULL, NULL, NULL, napi_default, NULL},
      {"dispatch", NULL, Dispatch, NULL, NULL, NULL, napi_default, NULL},
      {"dispatchThread", NULL, DispatchThread, NULL, NULL, NULL, napi_default, NULL},
      {"wait", NULL, Wait, NULL, NULL, NULL, napi_default, NULL},
      {"breakLoop", NULL, BreakLoop, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, Stats, NULL, NULL, NULL, napi_default, NULL},
      {"inject", NULL, Inject, NULL, NULL, NULL, napi_default, NULL},
      {"lastError", NULL, LastError, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, Close, NULL, NULL, NULL, napi_default, NULL},
      {"findAllDevs", NULL, FindAllDevs, NULL, NULL, NULL, napi_default, NULL},
      {"checkFilter", NULL, CheckFilter, NULL, NULL, NULL, napi_default, NULL},
      {"openSink", NULL, OpenSink, NULL, NULL, NULL, napi_default, NULL},
      {"closeFd", NULL, CloseFd, NULL, NULL, NULL, napi_default, NULL},
      {"libVersion", NULL, LibVersion, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
  raw_ip_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
