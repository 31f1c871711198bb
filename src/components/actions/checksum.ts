/** Internet checksum helpers (RFC 1071) for actions that rewrite headers. */

export function fold(sum: number): number {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** One's complement sum of data[start, end) as 16-bit big-endian words. */
export function sum16(data: Uint8Array, start: number, end: number, initial = 0): number {
  let s = initial;
  let k = start;
  for (; k + 1 < end; k += 2) s += (data[k] << 8) | data[k + 1];
  if (k < end) s += data[k] << 8;
  return fold(s);
}

/** Recomputes an IPv4 header checksum in place. */
export function fixIpv4HeaderChecksum(data: Uint8Array, view: DataView, ip: number, headerLen: number): void {
  view.setUint16(ip + 10, 0);
  view.setUint16(ip + 10, ~sum16(data, ip, ip + headerLen) & 0xffff);
}
