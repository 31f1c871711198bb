/**
 * The record a flow becomes when it ends: created once per flow (never per packet), with
 * Zeek's conn.log field names, plus what IPFIX / NetFlow need.
 */
import type { EndReasonCode } from './constants.js';

export interface FlowRecord {
  ts: number;
  uid: string;
  origH: string;
  origP: number;
  respH: string;
  respP: number;
  /** 'tcp' | 'udp' | 'icmp' | 'unknown_transport' (Zeek's transport_proto names). */
  proto: string;
  ipProto: number;
  ipVersion: 4 | 6;
  /** Last packet time minus first, seconds. */
  duration: number;
  /** Payload bytes (TCP from sequence numbers), null when Zeek leaves them unset. */
  origBytes: number | null;
  respBytes: number | null;
  connState: string;
  missedBytes: number;
  history: string;
  origPkts: number;
  origIpBytes: number;
  respPkts: number;
  respIpBytes: number;
  tunnelParents: string[];
  communityId: string;
  /** Outer / inner 802.1Q id (0 = none). */
  vlan: number;
  innerVlan: number;
  /** Tunnel context (VNI or mirror session), 0 = none. */
  tunnelId: number;
  /** OR of TCP flags per direction. */
  origTcpFlags: number;
  respTcpFlags: number;
  /** First / last packet time of each direction (seconds; 0 when the side sent nothing). */
  origFirst: number;
  origLast: number;
  respFirst: number;
  respLast: number;
  endReason: EndReasonCode;
  /** Raw addresses (4 or 16 bytes) for binary exporters. */
  origAddr: Uint8Array;
  respAddr: Uint8Array;
}

/** Zeek's textual transport_proto for an IP protocol number. */
export function transportName(ipProto: number): string {
  switch (ipProto) {
    case 6:
      return 'tcp';
    case 17:
      return 'udp';
    case 1:
    case 58:
      return 'icmp';
    default:
      return 'unknown_transport';
  }
}

/** Textual IPv4 / IPv6 address (RFC 5952 compressed form, as Zeek prints). */
export function addrString(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  const w: number[] = [];
  for (let i = 0; i < 16; i += 2) w.push((b[i] << 8) | b[i + 1]);
  // IPv4-mapped / compatible forms are printed the way inet_ntop does.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
    const v4 = `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
    return bestLen === 6 ? `::${v4}` : `::ffff:${v4}`;
  }
  const parts: string[] = [];
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      parts.push(i === 0 ? ':' : '');
      i += bestLen - 1;
      if (i === 7) parts.push('');
      continue;
    }
    parts.push(w[i].toString(16));
  }
  return parts.join(':');
}

const B62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function mix(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}

const UID_CODES: number[] = new Array(18).fill(67); // 'C' + 17 digits
const B62_CODES = Array.from(B62, (c) => c.charCodeAt(0));

/** A Zeek-style uid ("C" + 17 base62 digits) derived from the flow's serial number and a seed. */
export function makeUid(serial: number, seed: number): string {
  const lo = serial >>> 0;
  const hi = Math.floor(serial / 4294967296) >>> 0;
  const h0 = mix(lo ^ seed);
  const h1 = mix(h0 ^ hi ^ 0x9e3779b9);
  const h2 = mix(h1 ^ lo ^ 0x85ebca6b);
  let k = 1;
  for (let p = 0; p < 3; p++) {
    let x = p === 0 ? h0 : p === 1 ? h1 : h2;
    const digits = p === 2 ? 5 : 6;
    for (let d = 0; d < digits; d++) {
      UID_CODES[k++] = B62_CODES[x % 62];
      x = Math.floor(x / 62);
    }
  }
  // One call makes a flat string (appending 17 times made a rope to flatten later).
  return String.fromCharCode.apply(null, UID_CODES);
}
