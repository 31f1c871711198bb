import { fmix32 } from '../core/hash.js';

/**
 * Flow keys: the canonical (direction-free) form of a packet's 5-tuple plus context, built
 * into one reused scratch buffer, so looking a packet up allocates nothing.
 *
 * Layout (48 bytes, 12 x uint32, compared word by word):
 *   0  version (4|6)   1 proto   2 one-way flag   3 reserved
 *   4  port of side A (2, big endian)   6 port of side B
 *   8  VLAN context (outer id << 12 | inner id), 0 when not keyed on VLAN
 *   12 tunnel context (VNI / mirror session + kind << 24), 0 when none
 *   16 address of side A (16 bytes; IPv4 in the first 4)
 *   32 address of side B
 * Side A is the lower (address, port) pair, as in Zeek's ConnKey, unless the flow is
 * one-way (ICMP messages without a reply type), which keeps packet order.
 */
export const KEY_BYTES = 48;
export const KEY_WORDS = KEY_BYTES / 4;

/** The word-wise IPv4 key builder writes bytes as little-endian words. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

export class KeyScratch {
  readonly bytes = new Uint8Array(KEY_BYTES);
  readonly words = new Uint32Array(this.bytes.buffer);
  /** True when the packet's source is side A of the canonical key. */
  srcIsA = true;
  hash = 0;
  /** Words 5-7 and 9-11 may be non-zero (the last key was IPv6). */
  private wide = true;

  /**
   * IPv4 form of build(): the same key bytes and hash, written as whole words (the common
   * case on the per-packet path). Words 5-7 and 9-11 stay zero, as build() leaves them.
   */
  buildV4(data: Uint8Array, srcOff: number, dstOff: number, proto: number, sport: number, dport: number, oneWay: boolean, vlanCtx: number, tunnelCtx: number): void {
    if (!LITTLE_ENDIAN) {
      this.build(data, 4, srcOff, dstOff, proto, sport, dport, oneWay, vlanCtx, tunnelCtx);
      return;
    }
    const w = this.words;
    if (this.wide) {
      w[5] = w[6] = w[7] = w[9] = w[10] = w[11] = 0;
      this.wide = false;
    }
    // Addresses as big-endian numbers compare like Zeek's bytewise addr_port_canon_lt.
    const src = ((data[srcOff] << 24) | (data[srcOff + 1] << 16) | (data[srcOff + 2] << 8) | data[srcOff + 3]) >>> 0;
    const dst = ((data[dstOff] << 24) | (data[dstOff + 1] << 16) | (data[dstOff + 2] << 8) | data[dstOff + 3]) >>> 0;
    const srcIsA = oneWay || src < dst || (src === dst && sport <= dport);
    this.srcIsA = srcIsA;
    const pa = srcIsA ? sport : dport;
    const pb = srcIsA ? dport : sport;
    const a = srcIsA ? src : dst;
    const b = srcIsA ? dst : src;
    const w0 = 4 | (proto << 8) | (oneWay ? 0x10000 : 0);
    const w1 = (pa >>> 8) | ((pa & 0xff) << 8) | ((pb >>> 8) << 16) | ((pb & 0xff) << 24);
    // Byte-swapped: the key holds the address bytes in network order.
    const w4 = (a >>> 24) | ((a >>> 8) & 0xff00) | ((a & 0xff00) << 8) | ((a & 0xff) << 24);
    const w8 = (b >>> 24) | ((b >>> 8) & 0xff00) | ((b & 0xff00) << 8) | ((b & 0xff) << 24);
    w[0] = w0;
    w[1] = w1;
    w[2] = vlanCtx;
    w[3] = tunnelCtx;
    w[4] = w4;
    w[8] = w8;
    let h = 0x9747b28c;
    h = round(h, w0);
    h = round(h, w1);
    h = round(h, vlanCtx);
    h = round(h, tunnelCtx);
    h = round(h, w4);
    h = round(h, w8);
    this.hash = fmix32(h);
  }

  /** Copies the key of slot s from the store's key column (for a flow found without it). */
  load(keys: Uint32Array, hash: number, s: number): void {
    const w = this.words;
    const base = s * KEY_WORDS;
    for (let i = 0; i < KEY_WORDS; i++) w[i] = keys[base + i];
    this.hash = hash;
    this.wide = true;
  }

  /**
   * Fills the key from addresses at `srcOff`/`dstOff` in `data` (length 4 or 16).
   * Returns nothing; `srcIsA` and `hash` are set.
   */
  build(
    data: Uint8Array,
    version: number,
    srcOff: number,
    dstOff: number,
    proto: number,
    sport: number,
    dport: number,
    oneWay: boolean,
    vlanCtx: number,
    tunnelCtx: number,
  ): void {
    if (version === 4 && LITTLE_ENDIAN) {
      this.buildV4(data, srcOff, dstOff, proto, sport, dport, oneWay, vlanCtx, tunnelCtx);
      return;
    }
    const b = this.bytes;
    const w = this.words;
    const alen = version === 4 ? 4 : 16;
    // Which side is lower: compare addresses bytewise, then ports (Zeek's addr_port_canon_lt).
    let cmp = 0;
    for (let i = 0; i < alen; i++) {
      const d = data[srcOff + i] - data[dstOff + i];
      if (d !== 0) {
        cmp = d;
        break;
      }
    }
    if (cmp === 0) cmp = sport - dport;
    const srcIsA = oneWay || cmp <= 0;
    this.srcIsA = srcIsA;
    this.wide = true;
    for (let i = 3; i < KEY_WORDS; i++) w[i] = 0;
    b[0] = version;
    b[1] = proto;
    b[2] = oneWay ? 1 : 0;
    b[3] = 0;
    const pa = srcIsA ? sport : dport;
    const pb = srcIsA ? dport : sport;
    b[4] = pa >>> 8;
    b[5] = pa & 0xff;
    b[6] = pb >>> 8;
    b[7] = pb & 0xff;
    w[2] = vlanCtx >>> 0;
    w[3] = tunnelCtx >>> 0;
    const aOff = srcIsA ? srcOff : dstOff;
    const bOff = srcIsA ? dstOff : srcOff;
    for (let i = 0; i < alen; i++) {
      b[16 + i] = data[aOff + i];
      b[32 + i] = data[bOff + i];
    }
    // IPv4 keys have zeros in words 5-7 and 9-11: hashing the six others is enough.
    this.hash = version === 4 ? hashV4(w) : hashWords(w);
  }
}

function round(h: number, k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}


/** hashWords for an IPv4 key: words 0-4 and 8 only. */
export function hashV4(w: Uint32Array): number {
  let h = 0x9747b28c;
  h = round(h, w[0]);
  h = round(h, w[1]);
  h = round(h, w[2]);
  h = round(h, w[3]);
  h = round(h, w[4]);
  h = round(h, w[8]);
  return fmix32(h);
}

/** A 32-bit mix of the 12 key words (murmur3-style finalisation per word). */
export function hashWords(w: Uint32Array): number {
  let h = 0x9747b28c;
  for (let i = 0; i < KEY_WORDS; i++) {
    let k = w[i];
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, 0x1b873593);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  return fmix32(h);
}
