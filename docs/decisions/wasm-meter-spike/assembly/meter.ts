// Spike (AssemblyScript, not part of tapwire's build): the least a flow meter must do per
// packet, compiled ahead of time to WebAssembly, to measure what such a core could reach.
// pcap records (little-endian, microsecond) from `buf`; Ethernet, 802.1Q, IPv4/IPv6, TCP/UDP
// ports; bidirectional canonical key; open-addressing table (no deletion, no expiry); per-side
// packets, IP bytes and TCP flags; first/last time; with setVerify(true), the IPv4 header
// checksum of every IPv4 packet and the TCP, UDP, ICMP and ICMPv6 checksums of every whole,
// unfragmented datagram (IPv6 extension headers are not walked). No ports for later
// fragments. No Zeek state machine, no output.
// See ../flow-metering-speed.md.
const CAP: i32 = 1 << 21;
const MASK: i32 = CAP - 1;
// key words per slot: a0..a3 (addr A), b0..b3 (addr B), ports, proto|used
const KW: i32 = 10;
export let buf: usize = 0;
export const BUF_BYTES: i32 = 8 << 20;
let keys: usize = 0;
let stats: usize = 0;
export let flows: i32 = 0;
export let packets: i32 = 0;
export let other: i32 = 0;
export let badSums: i32 = 0;
/** Verify checksums as Zeek does by default (see the header comment for what is covered). */
export let verify: bool = false;
export function setVerify(v: bool): void { verify = v; }

/** Ones'-complement sum of [p, p+n), 8 bytes at a time, as a 64-bit accumulator. */
function sum(p: usize, n: i32, init: u64): u64 {
  let s = init;
  let i: i32 = 0;
  for (; i + 8 <= n; i += 8) {
    const w = load<u64>(p + <usize>i);
    s += (w & 0xffffffff) + (w >> 32);
  }
  for (; i + 2 <= n; i += 2) s += <u64>load<u16>(p + <usize>i);
  if (i < n) s += <u64>load<u8>(p + <usize>i);
  return s;
}
function fold(s: u64): u32 {
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffffffff) + (s >> 32);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  s = (s & 0xffff) + (s >> 16);
  return <u32>s;
}

export function init(): void {
  keys = heap.alloc(<usize>CAP * KW * 4);
  memory.fill(keys, 0, <usize>CAP * KW * 4);
  stats = heap.alloc(<usize>CAP * 48);
  memory.fill(stats, 0, <usize>CAP * 48);
  buf = heap.alloc(<usize>BUF_BYTES);
}

@inline function bswap16(x: u32): u32 { return ((x & 0xff) << 8) | ((x >> 8) & 0xff); }

// scratch key
let k0: u32 = 0, k1: u32 = 0, k2: u32 = 0, k3: u32 = 0, k4: u32 = 0, k5: u32 = 0, k6: u32 = 0, k7: u32 = 0, k8: u32 = 0, k9: u32 = 0;

function lookup(h: u32): i32 {
  let s = <i32>(h & <u32>MASK);
  for (;;) {
    const p = keys + (<usize>s * KW * 4);
    const tag = load<u32>(p, 36);
    if (tag == 0) {
      store<u32>(p, k0, 0); store<u32>(p, k1, 4); store<u32>(p, k2, 8); store<u32>(p, k3, 12);
      store<u32>(p, k4, 16); store<u32>(p, k5, 20); store<u32>(p, k6, 24); store<u32>(p, k7, 28);
      store<u32>(p, k8, 32); store<u32>(p, k9, 36);
      flows++;
      return s;
    }
    if (tag == k9 && load<u32>(p, 32) == k8 && load<u32>(p, 0) == k0 && load<u32>(p, 16) == k4 &&
        load<u32>(p, 4) == k1 && load<u32>(p, 8) == k2 && load<u32>(p, 12) == k3 &&
        load<u32>(p, 20) == k5 && load<u32>(p, 24) == k6 && load<u32>(p, 28) == k7) return s;
    s = (s + 1) & MASK;
  }
  return -1;
}

/** Meters the complete records in [buf, buf+len); returns the bytes consumed. */
export function run(len: i32): i32 {
  let pos: i32 = 0;
  const base: usize = buf;
  while (pos + 16 <= len) {
    const rec = base + <usize>pos;
    const caplen = <i32>load<u32>(rec, 8);
    if (pos + 16 + caplen > len) break;
    const ts = <f64>load<u32>(rec, 0) + <f64>load<u32>(rec, 4) * 1e-6;
    const d = rec + 16;
    pos += 16 + caplen;
    packets++;
    let l3: i32 = 14;
    let et = bswap16(<u32>load<u16>(d, 12));
    while ((et == 0x8100 || et == 0x88a8) && l3 + 4 <= caplen) { et = bswap16(<u32>load<u16>(d + <usize>l3, 2)); l3 += 4; }
    let proto: u32 = 0, l4: i32 = 0, ipLen: u32 = 0, srcFirst = true, fragment = false, laterFragment = false;
    const ip = d + <usize>l3;
    const v4 = et == 0x0800 && l3 + 20 <= caplen;
    if (v4) {
      proto = load<u8>(ip, 9);
      ipLen = bswap16(<u32>load<u16>(ip, 2));
      l4 = l3 + ((load<u8>(ip) & 15) << 2);
      const frag = bswap16(<u32>load<u16>(ip, 6));
      laterFragment = (frag & 0x1fff) != 0;
      fragment = laterFragment || (frag & 0x2000) != 0;
      const a = load<u32>(ip, 12), b = load<u32>(ip, 16);
      srcFirst = bswap<u32>(a) <= bswap<u32>(b);
      k0 = srcFirst ? a : b; k4 = srcFirst ? b : a;
      k1 = k2 = k3 = k5 = k6 = k7 = 0;
    } else if (et == 0x86dd && l3 + 40 <= caplen) {
      proto = load<u8>(ip, 6);
      ipLen = bswap16(<u32>load<u16>(ip, 4)) + 40;
      l4 = l3 + 40;
      fragment = proto == 44;
      const a0 = load<u64>(ip, 8), a1 = load<u64>(ip, 16), b0 = load<u64>(ip, 24), b1 = load<u64>(ip, 32);
      srcFirst = bswap<u64>(a0) < bswap<u64>(b0) || (a0 == b0 && bswap<u64>(a1) <= bswap<u64>(b1));
      const x0 = srcFirst ? a0 : b0, x1 = srcFirst ? a1 : b1, y0 = srcFirst ? b0 : a0, y1 = srcFirst ? b1 : a1;
      k0 = <u32>x0; k1 = <u32>(x0 >> 32); k2 = <u32>x1; k3 = <u32>(x1 >> 32);
      k4 = <u32>y0; k5 = <u32>(y0 >> 32); k6 = <u32>y1; k7 = <u32>(y1 >> 32);
    } else { other++; continue; }
    // As tapwire: a bad IPv4 header drops the packet; a bad transport checksum keeps the flow
    // but does not count the packet.
    let counted = true;
    if (verify) {
      if (v4 && (l4 > caplen || fold(sum(ip, l4 - l3, 0)) != 0xffff)) { badSums++; continue; }
      const l4len = <i32>ipLen - (l4 - l3);
      if (!fragment && l3 + <i32>ipLen <= caplen && l4len >= 8) {
        const seg = d + <usize>l4;
        let check = proto == 6 || proto == 17 || proto == 58 || (v4 && proto == 1);
        if (v4 && proto == 17 && load<u16>(seg, 6) == 0) check = false; // no UDP checksum
        if (check) {
          // Pseudo header (none for ICMP): addresses, protocol, length, summed as the bytes lie.
          let ps: u64 = 0;
          if (v4 && proto != 1) ps = <u64>load<u32>(ip, 12) + <u64>load<u32>(ip, 16);
          else if (!v4) ps = sum(ip + 8, 32, 0);
          if (!(v4 && proto == 1)) ps += <u64>bswap<u16>(<u16>proto) + <u64>bswap<u16>(<u16>l4len);
          if (fold(sum(seg, l4len, ps)) != 0xffff) { badSums++; counted = false; }
        }
      }
    }
    let sp: u32 = 0, dp: u32 = 0, flags: u32 = 0;
    if ((proto == 6 || proto == 17) && !laterFragment && l4 + 4 <= caplen) {
      sp = bswap16(<u32>load<u16>(d + <usize>l4, 0));
      dp = bswap16(<u32>load<u16>(d + <usize>l4, 2));
      if (proto == 6 && l4 + 14 <= caplen) flags = load<u8>(d + <usize>l4, 13);
    }
    k8 = srcFirst ? (sp << 16) | dp : (dp << 16) | sp;
    k9 = proto | 0x100;
    let h: u32 = k0 * 0x9e3779b1;
    h = (h ^ k4) * 0x85ebca6b; h = (h ^ k1 ^ k5) * 0xc2b2ae35; h = (h ^ k2 ^ k6 ^ k3 ^ k7) * 0x27d4eb2f;
    h = (h ^ k8) * 0x165667b1; h ^= h >> 15; h = (h ^ k9) * 0x9e3779b1; h ^= h >> 13;
    const s = lookup(h);
    if (!counted) continue;
    const st = stats + (<usize>s * 48);
    const side: usize = srcFirst ? 0 : 8;
    if (load<f64>(st, 32) == 0) store<f64>(st, ts, 32);
    store<f64>(st, ts, 40);
    store<u32>(st + side, load<u32>(st + side) + 1);
    store<u32>(st + side, load<u32>(st + side, 4) + ipLen, 4);
    store<u32>(st + (side >> 1), load<u32>(st + (side >> 1), 16) | flags, 16);
  }
  return pos;
}
