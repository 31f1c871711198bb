/*
 * raw_ip: sends IP packets of one protocol to one remote through a raw socket
 * (socket(AF_INET, SOCK_RAW, protocol)). The kernel builds the IPv4 header (addresses,
 * TTL, id, checksum); the caller gives the payloads. Node cannot open such a socket; the
 * `gre` target's `transport: ip` sends GRE + ERSPAN + mirrored frame (protocol 47) with it.
 *
 *   rawOpen(protocol, remote, local | null, device | null) -> handle
 *   rawSend(handle, buf, offset, length, count, status)    -> packets sent
 *   rawClose(handle)
 *
 * - Not connected: a connected raw socket turns the ICMP unreachable that a host without a
 *   GRE endpoint answers into errors on later sends, and a mirror's tool (a sniffer on its
 *   interface) has no endpoint and needs none.
 * - DF set (IP_PMTUDISC_DO): a packet over the path MTU fails with EMSGSIZE instead of
 *   leaving in fragments, which mirror receivers drop first.
 * - Never blocks (MSG_DONTWAIT): a full send buffer is EAGAIN for that packet.
 * - A drop-everything socket filter: a raw socket also receives every GRE packet for the
 *   host, and this one must never queue them.
 */
#define _GNU_SOURCE
#include "raw_ip.h"
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Messages per sendmmsg call (the kernel takes at most UIO_MAXIOV = 1024). */
#define CHUNK 64

typedef struct raw_sender {
  int fd;
  struct sockaddr_in dst;
} raw_sender;

static napi_value throw_errno(napi_env env, const char *what, const char *arg, int err) {
  char msg[256];
  snprintf(msg, sizeof msg, "%s%s: %s", what, arg, strerror(err));
  napi_throw_error(env, err == EPERM || err == EACCES ? "E_PERM" : "E_IO", msg);
  return NULL;
}

/* Copies a JS string into out; 0 when v is not a string (null: the option is not set). */
static int get_string(napi_env env, napi_value v, char *out, size_t cap) {
  napi_valuetype t;
  size_t n;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return 0;
  return napi_get_value_string_utf8(env, v, out, cap, &n) == napi_ok;
}

static int parse_ipv4(const char *text, struct sockaddr_in *sa) {
  memset(sa, 0, sizeof *sa);
  sa->sin_family = AF_INET;
  return inet_pton(AF_INET, text, &sa->sin_addr) == 1;
}

static void finalize(napi_env env, void *data, void *hint) {
  raw_sender *s = data;
  if (s->fd >= 0) close(s->fd);
  free(s);
}

static raw_sender *get_sender(napi_env env, napi_value v) {
  raw_sender *s = NULL;
  if (napi_get_value_external(env, v, (void **)&s) != napi_ok || s == NULL || s->fd < 0) {
    napi_throw_error(env, "E_NATIVE", "not an open raw IP sender");
    return NULL;
  }
  return s;
}

static napi_value RawOpen(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value a[4], ext;
  int32_t protocol = 0;
  char remote[64], local[64], dev[64];
  struct sockaddr_in dst, src;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc < 4 || napi_get_value_int32(env, a[0], &protocol) != napi_ok) {
    napi_throw_error(env, "E_NATIVE", "rawOpen: bad arguments");
    return NULL;
  }
  if (!get_string(env, a[1], remote, sizeof remote) || !parse_ipv4(remote, &dst)) return throw_errno(env, "remote is not an IPv4 address", "", EINVAL);
  int has_local = get_string(env, a[2], local, sizeof local);
  if (has_local && !parse_ipv4(local, &src)) return throw_errno(env, "local is not an IPv4 address", "", EINVAL);
  int has_dev = get_string(env, a[3], dev, sizeof dev);
  if (has_dev && strlen(dev) >= IF_NAMESIZE) return throw_errno(env, "interface name too long: ", dev, EINVAL);

  int fd = socket(AF_INET, SOCK_RAW, protocol);
  if (fd < 0) return throw_errno(env, "cannot open a raw IP socket", "", errno);
  attach_drop_all(fd);
  int pmtu = IP_PMTUDISC_DO, sndbuf = 4 << 20;
  setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf); /* capped by net.core.wmem_max */
  const char *what = NULL, *arg = "";
  if (has_dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, strlen(dev) + 1) != 0) what = "cannot send through interface ", arg = dev;
  else if (has_local && bind(fd, (struct sockaddr *)&src, sizeof src) != 0) what = "cannot send from local address ", arg = local;
  if (what) {
    int e = errno;
    close(fd);
    return throw_errno(env, what, arg, e);
  }
  raw_sender *s = malloc(sizeof *s);
  s->fd = fd;
  s->dst = dst;
  if (napi_create_external(env, s, finalize, NULL, &ext) != napi_ok) {
    finalize(env, s, NULL);
    napi_throw_error(env, "E_NATIVE", "rawOpen: cannot create the handle");
    return NULL;
  }
  return ext;
}

/* rawSend(handle, buf, offset, length, count, status): sends buf[offset[i], +length[i]) for
 * i < count; status[i] = 0 when sent, else the errno. Returns how many were sent. */
static napi_value RawSend(napi_env env, napi_callback_info info) {
  size_t argc = 6, blen = 0, noff = 0, nlen = 0, nstatus = 0;
  napi_value a[6], r;
  uint32_t count = 0;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc < 6) return NULL;
  raw_sender *s = get_sender(env, a[0]);
  if (!s) return NULL;
  unsigned char *buf = NULL;
  uint32_t *off = NULL, *len = NULL;
  int32_t *status = NULL;
  napi_typedarray_type t;
  napi_value ab;
  size_t bo;
  napi_get_typedarray_info(env, a[1], &t, &blen, (void **)&buf, &ab, &bo);
  napi_get_typedarray_info(env, a[2], &t, &noff, (void **)&off, &ab, &bo);
  napi_get_typedarray_info(env, a[3], &t, &nlen, (void **)&len, &ab, &bo);
  napi_get_typedarray_info(env, a[5], &t, &nstatus, (void **)&status, &ab, &bo);
  napi_get_value_uint32(env, a[4], &count);
  int ok = buf && off && len && status && count <= noff && count <= nlen && count <= nstatus;
  for (uint32_t i = 0; ok && i < count; i++) ok = (size_t)off[i] + len[i] <= blen;
  if (!ok) {
    napi_throw_error(env, "E_NATIVE", "rawSend: bad arguments");
    return NULL;
  }
  struct mmsghdr msgs[CHUNK];
  struct iovec iov[CHUNK];
  uint32_t i = 0, sent = 0;
  while (i < count) {
    uint32_t n = count - i < CHUNK ? count - i : CHUNK;
    memset(msgs, 0, n * sizeof msgs[0]);
    for (uint32_t k = 0; k < n; k++) {
      iov[k].iov_base = buf + off[i + k];
      iov[k].iov_len = len[i + k];
      msgs[k].msg_hdr.msg_name = &s->dst;
      msgs[k].msg_hdr.msg_namelen = sizeof s->dst;
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    int done = sendmmsg(s->fd, msgs, n, MSG_DONTWAIT);
    if (done > 0) {
      for (int k = 0; k < done; k++) status[i + k] = 0;
      sent += (uint32_t)done;
      i += (uint32_t)done;
    } else if (errno != EINTR) {
      /* sendmmsg reports an error only when the first message fails: so a message that
       * failed after others were sent is retried first in the next call, which then
       * reports (or, if the cause is gone, sends) it. */
      status[i++] = errno;
    }
  }
  napi_create_uint32(env, sent, &r);
  return r;
}

static napi_value RawClose(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value a[1];
  raw_sender *s = NULL;
  if (napi_get_cb_info(env, info, &argc, a, NULL, NULL) != napi_ok || argc < 1) return NULL;
  if (napi_get_value_external(env, a[0], (void **)&s) == napi_ok && s && s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  return NULL;
}

void raw_ip_register(napi_env env, napi_value exports) {
  napi_property_descriptor d[] = {
      {"rawOpen", NULL, RawOpen, NULL, NULL, NULL, napi_default, NULL},
      {"rawSend", NULL, RawSend, NULL, NULL, NULL, napi_default, NULL},
      {"rawClose", NULL, RawClose, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof d / sizeof d[0], d);
}
