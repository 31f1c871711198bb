/**
 * A socket bound to a mirror's port (or a raw socket for GRE) that receives nothing:
 * while libpcap reads the traffic, the kernel must still see a listener, or it answers
 * every mirrored datagram with ICMP port (protocol) unreachable back to the mirror source.
 * The addon attaches a drop-everything socket filter, so the socket never queues a byte.
 */
import net from 'node:net';
import { loadAddon, nativeError } from './addon.js';

export interface Sink {
  close(): void;
}

/** kind 'udp': bind host:port; kind 'raw': a raw socket for IP protocol `port` (47 = GRE). */
export function openSink(kind: 'udp' | 'raw', host: string, port: number): Sink {
  const addon = loadAddon();
  const family = net.isIPv6(host) ? 6 : 4;
  let fd: number;
  try {
    fd = addon.openSink(family, kind === 'raw' ? 1 : 0, host, port);
  } catch (e) {
    throw nativeError(e, kind === 'raw' ? `raw socket for IP protocol ${port}` : `binding UDP ${host}:${port}`);
  }
  return {
    close() {
      if (fd >= 0) addon.closeFd(fd);
      fd = -1;
    },
  };
}
