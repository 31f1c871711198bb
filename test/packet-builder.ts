/**
 * Builds real frames (with correct checksums) for tests:
 * Ethernet [802.1Q tags] IPv4 TCP/UDP payload.
 */
function sum16(b: Uint8Array, start: number, end: number, s = 0): number {
  for (let k = start; k < end; k += 2) s += (b[k] << 8) | (k + 1 < end ? b[k + 1] : 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return s;
}

export function ipv4(a: string): number[] {
  return a.split('.').map(Number);
}

export interface FrameSpec {
  src: string;
  dst: string;
  proto?: 'tcp' | 'udp';
  sport?: number;
  dport?: number;
  ttl?: number;
  payload?: number[] | string;
  vlans?: number[];
  tcpFlags?: number;
  seq?: number;
}

export function frame(spec: FrameSpec): Uint8Array {
  const payload = typeof spec.payload === 'string' ? [...Buffer.from(spec.payload)] : spec.payload ?? [];
  const tcp = (spec.proto ?? 'udp') === 'tcp';
  const l4len = (tcp ? 20 : 8) + payload.length;
  const vlans = spec.vlans ?? [];
  const l2 = 14 + 4 * vlans.length;
  const b = new Uint8Array(l2 + 20 + l4len);
  const v = new DataView(b.buffer);
  b.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1], 0);
  let p = 12;
  for (const id of vlans) {
    v.setUint16(p, 0x8100);
    v.setUint16(p + 2, id);
    p += 4;
  }
  v.setUint16(p, 0x0800);
  const ip = l2;
  b[ip] = 0x45;
  v.setUint16(ip + 2, 20 + l4len);
  v.setUint16(ip + 4, 0x1234);
  b[ip + 8] = spec.ttl ?? 64;
  b[ip + 9] = tcp ? 6 : 17;
  b.set(ipv4(spec.src), ip + 12);
  b.set(ipv4(spec.dst), ip + 16);
  v.setUint16(ip + 10, ~sum16(b, ip, ip + 20) & 0xffff);
  const l4 = ip + 20;
  v.setUint16(l4, spec.sport ?? 1234);
  v.setUint16(l4 + 2, spec.dport ?? 80);
  if (tcp) {
    v.setUint32(l4 + 4, spec.seq ?? 1000);
    b[l4 + 12] = 5 << 4;
    b[l4 + 13] = spec.tcpFlags ?? 0x18;
    v.setUint16(l4 + 14, 65535);
  } else {
    v.setUint16(l4 + 4, l4len);
  }
  b.set(payload, l4 + (tcp ? 20 : 8));
  const pseudo = sum16(b, ip + 12, ip + 20) + (tcp ? 6 : 17) + l4len;
  const c = ~sum16(b, l4, l4 + l4len, pseudo) & 0xffff;
  v.setUint16(l4 + (tcp ? 16 : 6), c === 0 && !tcp ? 0xffff : c);
  return b;
}

/** True when the IPv4 header checksum and the TCP/UDP checksum of a frame are right. */
export function checksumsOk(b: Uint8Array, ip = 14): boolean {
  if (sum16(b, ip, ip + (b[ip] & 0x0f) * 4) !== 0xffff) return false;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const total = v.getUint16(ip + 2);
  const l4 = ip + (b[ip] & 0x0f) * 4;
  const proto = b[ip + 9];
  const pseudo = sum16(b, ip + 12, ip + 20) + proto + (total - (l4 - ip));
  return sum16(b, l4, ip + total, pseudo) === 0xffff;
}
