/**
 * Address and number formatting for output boundaries (fields, text, json). Never called
 * from decodePacket: strings are made only where a record leaves the process.
 */
const HEX = '0123456789abcdef';

export function formatMac(data: Uint8Array, off: number): string {
  let s = '';
  for (let k = 0; k < 6; k++) {
    const b = data[off + k];
    if (k) s += ':';
    s += HEX[b >>> 4] + HEX[b & 15];
  }
  return s;
}

export function formatIpv4(data: Uint8Array, off: number): string {
  return `${data[off]}.${data[off + 1]}.${data[off + 2]}.${data[off + 3]}`;
}

/** RFC 5952 text form (longest run of two or more zero groups becomes ::, lower case). */
export function formatIpv6(data: Uint8Array, off: number): string {
  const g: number[] = [];
  for (let k = 0; k < 8; k++) g.push((data[off + 2 * k] << 8) | data[off + 2 * k + 1]);
  // IPv4-mapped addresses keep the dotted quad, as inet_ntop prints them.
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) return `::ffff:${formatIpv4(data, off + 12)}`;
  let bestStart = -1;
  let bestLen = 0;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let j = k;
    while (j < 8 && g[j] === 0) j++;
    if (j - k > bestLen && j - k >= 2) {
      bestStart = k;
      bestLen = j - k;
    }
    k = j;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** `0x` + lower-case hex, zero-padded to `width` digits (tshark's BASE_HEX rendering). */
export function hex(n: number, width: number): string {
  return '0x' + (n >>> 0).toString(16).padStart(width, '0');
}

/** Seconds.nanoseconds with 9 decimals, from the batch's split timestamp. */
export function formatEpoch(sec: number, nsec: number): string {
  return `${sec}.${String(nsec).padStart(9, '0')}`;
}
