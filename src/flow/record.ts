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

/** The decimal text of each byte value (no number formatting per address). */
const DECIMAL = Array.from({ length: 256 }, (_, i) => String(i));

/** Textual IPv4 / IPv6 address (RFC 5952 compressed form, as Zeek prints). */
export function addrString(b: Uint8Array): string {
  if (b.length === 4) return DECIMAL[b[0]] + '.' + DECIMAL[b[1]] + '.' + DECIMAL[b[2]] + '.' + DECIMAL[b[3]];
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

const B62_CODES = new Uint8Array(Array.from(B62, (c) => c.charCodeAt(0)));
/** The uid's character codes: 'C' then 17 base62 digits. */
const UID_CODES = new Uint8Array(18);
UID_CODES[0] = 67;

/**
 * Writes the `n` low base62 digits of the uint32 `x` at UID_CODES[at ..], least significant
 * first. Only the first division needs doubles (x may exceed 2^31); the quotients after it
 * fit small-integer arithmetic, several times cheaper than `%` and Math.floor on doubles.
 */
function base62(x: number, at: number, n: number): void {
  let q = Math.floor(x / 62);
  UID_CODES[at] = B62_CODES[x - q * 62];
  let y = q | 0;
  for (let d = 1; d < n; d++) {
    q = (y / 62) | 0;
    UID_CODES[at + d] = B62_CODES[y - q * 62];
    y = q;
  }
}

/** A Zeek-style uid ("C" + 17 base62 digits) derived from the flow's serial number and a seed. */
export function makeUid(serial: number, seed: number): string {
  const lo = serial >>> 0;
  const hi = Math.floor(serial / 4294967296) >>> 0;
  const h0 = mix(lo ^ seed);
  const h1 = mix(h0 ^ hi ^ 0x9e3779b9);
  const h2 = mix(h1 ^ lo ^ 0x85ebca6b);
  base62(h0, 1, 6);
  base62(h1, 7, 6);
  base62(h2, 13, 5);
  const u = UID_CODES;
  // One call with every code makes a flat string (appending made a rope; apply was slower).
  return String.fromCharCode(u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15], u[16], u[17]);
}
