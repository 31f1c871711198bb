/**
 * Ethernet II / IEEE 802.3 (IEEE 802.3 clause 3).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                    Destination MAC address                    |
 *  +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                               |                               |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
 *  |                      Source MAC address                       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |     EtherType or Length       |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * A type/length value below 0x600 is an 802.3 length and an LLC header follows.
 */
export const ETHERNET_HEADER_LENGTH = 14;
/** Smallest value that is an EtherType rather than an 802.3 length. */
export const ETHERTYPE_MIN = 0x600;

/** EtherTypes tapwire decodes (IEEE registry; GRE reuses the same numbers). */
export const EtherType = {
  IPV4: 0x0800,
  ARP: 0x0806,
  TEB: 0x6558, // transparent Ethernet bridging (Ethernet over GRE / GENEVE)
  RARP: 0x8035,
  VLAN: 0x8100,
  IPV6: 0x86dd,
  PPP: 0x880b,
  MPLS: 0x8847,
  MPLS_MULTICAST: 0x8848,
  PPPOE_DISCOVERY: 0x8863,
  PPPOE_SESSION: 0x8864,
  QINQ: 0x88a8,
  ERSPAN_II: 0x88be, // also ERSPAN type I (no GRE sequence number)
  CISCO_METADATA: 0x8909,
  FABRICPATH: 0x8903, // Cisco FabricPath MAC-in-MAC (fabricpath.ts)
  VNTAG: 0x8926, // Cisco VN-Tag (vntag.ts)
  PBB: 0x88e7, // IEEE 802.1ah backbone service instance tag (pbb.ts)
  QINQ_9100: 0x9100,
  ERSPAN_III: 0x22eb,
} as const;

/** Writes an Ethernet II header (tests, encapsulating sinks). Returns the next offset. */
export function encodeEthernet(out: Uint8Array, off: number, dst: ArrayLike<number>, src: ArrayLike<number>, type: number): number {
  for (let k = 0; k < 6; k++) out[off + k] = dst[k];
  for (let k = 0; k < 6; k++) out[off + 6 + k] = src[k];
  out[off + 12] = type >>> 8;
  out[off + 13] = type & 0xff;
  return off + ETHERNET_HEADER_LENGTH;
}
