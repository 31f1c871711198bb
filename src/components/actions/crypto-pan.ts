/**
 * Crypto-PAn: keyed, prefix-preserving IP address pseudonymisation (Xu, Fan, Ammar, Moon,
 * "Prefix-preserving IP address anonymization", 2002). Two addresses sharing a k-bit prefix
 * map to pseudonyms sharing a k-bit prefix, so subnets stay recognisable while hosts do not.
 * The key is 32 bytes: an AES-128 key and the seed of the padding block.
 *
 * One AES operation per address bit is costly, so results are cached per address.
 */
import crypto from 'node:crypto';

export class CryptoPan {
  private readonly cipher: crypto.Cipher;
  private readonly pad: Uint8Array;
  private readonly cache4 = new Map<number, number>();
  private readonly cache6 = new Map<string, Uint8Array>();
  private readonly block = new Uint8Array(16);

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new Error('Crypto-PAn needs a 32-byte key');
    this.cipher = crypto.createCipheriv('aes-128-ecb', key.subarray(0, 16), null);
    this.cipher.setAutoPadding(false);
    this.pad = this.aes(key.subarray(16, 32));
  }

  private aes(block: Uint8Array): Uint8Array {
    return this.cipher.update(block);
  }

  /** Pseudonymises an address of `bits` bits held in `addr` (big-endian bytes), in place. */
  private anonymize(addr: Uint8Array, bits: number): void {
    const otp = new Uint8Array(bits / 8);
    for (let pos = 0; pos < bits; pos++) {
      // Input block: the first `pos` bits of the address, then the padding's bits.
      const b = this.block;
      b.set(this.pad);
      const fullBytes = pos >> 3;
      for (let k = 0; k < fullBytes; k++) b[k] = addr[k];
      const rem = pos & 7;
      if (rem) {
        const mask = (0xff << (8 - rem)) & 0xff;
        b[fullBytes] = (addr[fullBytes] & mask) | (this.pad[fullBytes] & ~mask & 0xff);
      }
      const out = this.aes(b);
      if (out[0] & 0x80) otp[pos >> 3] |= 0x80 >> (pos & 7);
    }
    for (let k = 0; k < otp.length; k++) addr[k] ^= otp[k];
  }

  /** IPv4 address as an unsigned 32-bit number. */
  ipv4(addr: number): number {
    const hit = this.cache4.get(addr);
    if (hit !== undefined) return hit;
    const a = Uint8Array.of(addr >>> 24, (addr >>> 16) & 0xff, (addr >>> 8) & 0xff, addr & 0xff);
    this.anonymize(a, 32);
    const r = ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
    this.cache4.set(addr, r);
    return r;
  }

  /** Rewrites the 16-byte IPv6 address at data[off..off+16) in place. */
  ipv6(data: Uint8Array, off: number): void {
    const key = Buffer.from(data.buffer, data.byteOffset + off, 16).toString('hex');
    let r = this.cache6.get(key);
    if (r === undefined) {
      r = data.slice(off, off + 16);
      this.anonymize(r, 128);
      this.cache6.set(key, r);
    }
    data.set(r, off);
  }
}
