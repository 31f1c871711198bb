/**
 * What the flows fast path (FlowAnalyzer.addPlain) must know of the decoder's layer stack
 * without running it: after which IP protocols, UDP ports and GRE types the decoder may find
 * another IP header, and the IPv4 / GRE / IPv4 chains of GRE carriers (plain GRE or
 * transparent Ethernet bridging), which it meters without the decoder too.
 *
 * Each rule mirrors src/decode/decode.ts; where a packet is anything less ordinary, the fast
 * path declines and the decoder decides (declining is always safe).
 */
import { UdpPort } from '../protocols/udp.js';
import { EtherType } from '../protocols/ethernet.js';
import { GreFlag, greFixedLength } from '../protocols/gre.js';

/**
 * IP protocols after which the decoder's layer stack may hold another IP header: IP-in-IP,
 * IPv6-in-IP, MPLS-in-IP, AH and the IPv6 extension headers (GRE: see greMayCarryIp). After
 * any other protocol (TCP, UDP off the tunnel ports, ICMP whose quoted datagram follows the
 * ICMP layer, SCTP, ESP, ...) there is no inner IP layer the analyzer would continue into.
 */
export function mayNestIp(proto: number): boolean {
  return proto === 4 || proto === 41 || proto === 137 || proto === 51 || proto === 0 || proto === 43 || proto === 44 || proto === 60;
}

/** UDP ports the decoder enters as tunnels by default (src/protocols/udp.ts UdpPort). */
export function isTunnelPort(p: number): boolean {
  return p === UdpPort.VXLAN || p === UdpPort.GENEVE || p === UdpPort.TZSP || p === UdpPort.MPLS;
}

/**
 * GRE protocol types after which the decoder may find an IP header: every EtherType it
 * dispatches on (ETHERTYPE state). Any other type (a keepalive's 0, vendor types) ends its
 * stack with data.
 */
const GRE_FOLLOWED = new Uint8Array(65536);
for (const t of Object.values(EtherType)) GRE_FOLLOWED[t] = 1;

export function greMayCarryIp(type: number): boolean {
  return GRE_FOLLOWED[type] === 1;
}

/** Carriers followed at most (the decoder enters up to 8 tunnels). */
export const MAX_CARRIERS = 4;

/**
 * Walks a chain of GRE carriers from the IPv4 header at `ip` (accepted by the caller, its
 * protocol GRE): each GRE header (version 0, no source route) carries IPv4, directly or in an
 * Ethernet frame (TEB), until an IPv4 header that carries no further tunnel. Fills `out` with
 * the carriers' header offsets and then the innermost one's, and returns the number of
 * carriers; or returns -1 when the decoder could see anything else (fragments, truncation,
 * other types, an inner protocol it may tunnel through), which the caller leaves to it.
 * `end` is the end of the captured bytes; like the decoder, each datagram is also bounded by
 * its IP total length.
 */
export function greCarriers(data: Uint8Array, ip: number, end: number, out: Int32Array): number {
  let lim = end;
  let n = 0;
  for (;;) {
    if (n === MAX_CARRIERS) return -1;
    // A fragmented carrier is reassembled, or its payload is data: the decoder's business.
    if (((data[ip + 6] << 8) | data[ip + 7]) & 0x3fff) return -1;
    const total = (data[ip + 2] << 8) | data[ip + 3];
    if (total !== 0 && ip + total < lim) lim = ip + total;
    out[n++] = ip;
    const gre = ip + ((data[ip] & 0x0f) << 2);
    if (gre + 4 > lim) return -1;
    const flags = (data[gre] << 8) | data[gre + 1];
    if (flags & (GreFlag.ROUTING | 7)) return -1;
    const type = (data[gre + 2] << 8) | data[gre + 3];
    let inner = gre + greFixedLength(flags);
    if (type === EtherType.TEB) {
      if (inner + 14 > lim || ((data[inner + 12] << 8) | data[inner + 13]) !== EtherType.IPV4) return -1;
      inner += 14;
    } else if (type !== EtherType.IPV4) return -1;
    // The decoder's acceptance of the inner IPv4 header.
    if (inner + 20 > lim || data[inner] >>> 4 !== 4) return -1;
    const hl = (data[inner] & 0x0f) << 2;
    if (hl < 20 || hl > lim - inner) return -1;
    const innerTotal = (data[inner + 2] << 8) | data[inner + 3];
    if (innerTotal !== 0 && innerTotal < hl) return -1;
    const proto = data[inner + 9];
    const l4 = inner + hl;
    ip = inner;
    if (proto === 47) {
      // Another carrier, unless its GRE type is one the decoder does not follow.
      if (l4 + 4 <= end && greMayCarryIp((data[l4 + 2] << 8) | data[l4 + 3])) continue;
    } else if (mayNestIp(proto)) return -1;
    if (proto === 17 && l4 + 4 <= end) {
      if (isTunnelPort((data[l4] << 8) | data[l4 + 1]) || isTunnelPort((data[l4 + 2] << 8) | data[l4 + 3])) return -1;
    }
    out[n] = inner;
    return n;
  }
}
