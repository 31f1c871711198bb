/* The raw IP sender (raw_ip.c) and what it shares with the receive sinks of tapwire_pcap.c. */
#ifndef TAPWIRE_RAW_IP_H
#define TAPWIRE_RAW_IP_H

#include <node_api.h>
#include <linux/filter.h>
#include <sys/socket.h>

/* A socket filter that drops everything: the socket never queues a received byte. */
static inline void attach_drop_all(int fd) {
  struct sock_filter drop = BPF_STMT(BPF_RET | BPF_K, 0);
  struct sock_fprog prog = {1, &drop};
  setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog);
}

/* Adds rawOpen, rawSend and rawClose to the addon's exports. */
void raw_ip_register(napi_env env, napi_value exports);

#endif
