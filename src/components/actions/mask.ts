/**
 * `mask`: makes a capture shareable. `payload: true` overwrites everything after the
 * layer-4 header (of the innermost packet); `offset` + `length` overwrite a byte range of the
 * frame; `pseudonymize.key` (64 hex digits) replaces every IP address, outer and inner, with
 * its Crypto-PAn pseudonym (prefix-preserving, keyed: same key, same mapping).
 * IP header checksums and TCP/UDP checksums are recomputed so tools do not flag the result.
 */
import type { PacketBatch } from '../../core/batch.js';
import { decodePacket } from '../../decode/decode.js';
import { DecodeRecord, Layer, LayerFlag } from '../../decode/record.js';
import { bool, checkKeys, isObj, num, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters } from '../counters.js';
import type { Action } from '../types.js';
import { fixIpv4HeaderChecksum, fold, sum16 } from './checksum.js';
import { CryptoPan } from './crypto-pan.js';

export interface MaskOptions {
  payload: boolean;
  offset?: number;
  length?: number;
  fill: number;
  key?: Uint8Array;
}

export class MaskAction implements Action {
  readonly type = 'mask';
  readonly modifiesBytes = true;
  readonly editsColumns = false;
  readonly counters: ComponentCounters;
  private readonly rec = new DecodeRecord();
  private readonly pan: CryptoPan | null;

  constructor(readonly name: string, private readonly opts: MaskOptions) {
    this.counters = new ComponentCounters('action', name, this.type);
    this.pan = opts.key ? new CryptoPan(opts.key) : null;
  }

  apply(batch: PacketBatch, keep: Uint8Array): void {
    let n = 0, bytes = 0;
    const { data, view } = batch;
    const rec = this.rec;
    for (let i = 0; i < batch.count; i++) {
      if (!keep[i]) continue;
      n++;
      bytes += batch.caplen[i];
      const start = batch.offset[i];
      const end = start + batch.caplen[i];
      decodePacket(batch, i, rec);
      if (this.opts.payload && rec.l4 >= 0 && rec.payloadLength > 0) {
        data.fill(this.opts.fill, rec.payloadStart, rec.payloadStart + rec.payloadLength);
      }
      if (this.opts.offset !== undefined) {
        const a = Math.min(end, start + this.opts.offset);
        const b = Math.min(end, a + (this.opts.length ?? end - a));
        data.fill(this.opts.fill, a, b);
      }
      if (this.pan !== null) this.pseudonymize(data, view, rec);
      // Checksums last, after every byte change.
      for (let k = 0; k < rec.layerCount; k++) {
        if (rec.layerFlags[k] & LayerFlag.QUOTED) continue;
        const t = rec.layerType[k];
        if (t === Layer.IPV4) {
          const hl = (data[rec.layerStart[k]] & 0x0f) * 4;
          if (rec.layerStart[k] + hl <= end) fixIpv4HeaderChecksum(data, view, rec.layerStart[k], hl);
        }
        if ((t === Layer.TCP || t === Layer.UDP) && (this.opts.payload || this.opts.offset !== undefined || this.pan !== null)) this.fixTransportChecksum(data, view, rec, k, end);
      }
    }
    this.counters.in(n, bytes);
    this.counters.out(n, bytes);
  }

  private pseudonymize(data: Uint8Array, view: DataView, rec: DecodeRecord): void {
    const pan = this.pan!;
    for (let k = 0; k < rec.layerCount; k++) {
      const t = rec.layerType[k];
      const ip = rec.layerStart[k];
      if (t === Layer.IPV4 && ip + 20 <= rec.end) {
        for (const at of [ip + 12, ip + 16]) view.setUint32(at, pan.ipv4(view.getUint32(at)));
      } else if (t === Layer.IPV6 && ip + 40 <= rec.end) {
        pan.ipv6(data, ip + 8);
        pan.ipv6(data, ip + 24);
      }
    }
  }

  /** Recomputes a TCP/UDP checksum when the whole segment was captured (else leaves it). */
  private fixTransportChecksum(data: Uint8Array, view: DataView, rec: DecodeRecord, k: number, end: number): void {
    let ipk = k - 1;
    while (ipk >= 0 && rec.layerType[ipk] !== Layer.IPV4 && rec.layerType[ipk] !== Layer.IPV6) ipk--;
    if (ipk < 0 || rec.layerFlags[ipk] & (LayerFlag.FRAGMENT | LayerFlag.FIRST_FRAGMENT)) return;
    const ip = rec.layerStart[ipk];
    const l4 = rec.layerStart[k];
    const segEnd = rec.layerInfo[ipk]; // end of the IP datagram, clipped to the capture
    const v4 = rec.layerType[ipk] === Layer.IPV4;
    const declaredEnd = v4 ? ip + view.getUint16(ip + 2) : ip + 40 + view.getUint16(ip + 4);
    if (declaredEnd > end || segEnd < declaredEnd) return; // not all captured: leave it
    const tcp = rec.layerType[k] === Layer.TCP;
    const at = l4 + (tcp ? 16 : 6);
    if (at + 2 > end) return;
    if (!tcp && view.getUint16(at) === 0 && v4) return; // UDP over IPv4 without checksum
    const len = declaredEnd - l4;
    let s = v4 ? sum16(data, ip + 12, ip + 20) : sum16(data, ip + 8, ip + 40);
    s += (tcp ? 6 : 17) + len;
    view.setUint16(at, 0);
    s = sum16(data, l4, declaredEnd, fold(s));
    let c = ~s & 0xffff;
    if (!tcp && c === 0) c = 0xffff;
    view.setUint16(at, c);
  }
}

function parseKey(v: unknown): Uint8Array | null {
  return typeof v === 'string' && /^[0-9a-fA-F]{64}$/.test(v) ? Uint8Array.from(Buffer.from(v, 'hex')) : null;
}

export const mask = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name', 'payload', 'offset', 'length', 'fill', 'pseudonymize'], p);
    bool(o, 'payload', path, p);
    num(o, 'offset', path, p, { integer: true, min: 0 });
    num(o, 'length', path, p, { integer: true, min: 1 });
    num(o, 'fill', path, p, { integer: true, min: 0, max: 255 });
    if (o.length !== undefined && o.offset === undefined) p.add(`${path}.length`, 'needs offset');
    if (o.pseudonymize !== undefined) {
      if (!isObj(o.pseudonymize)) p.add(`${path}.pseudonymize`, 'must be a map with a key');
      else {
        checkKeys(o.pseudonymize, `${path}.pseudonymize`, ['key'], p);
        if (parseKey(o.pseudonymize.key) === null) p.add(`${path}.pseudonymize.key`, 'must be 64 hex digits (32 bytes: AES key and pad), e.g. from `openssl rand -hex 32`');
      }
    }
    if (!o.payload && o.offset === undefined && o.pseudonymize === undefined) p.add(path, 'mask needs payload: true, offset/length, or pseudonymize');
  },
  create(name: string, o: Obj): Action {
    return new MaskAction(name, {
      payload: o.payload === true,
      offset: o.offset as number | undefined,
      length: o.length as number | undefined,
      fill: (o.fill as number | undefined) ?? 0,
      key: isObj(o.pseudonymize) ? parseKey(o.pseudonymize.key) ?? undefined : undefined,
    });
  },
};
