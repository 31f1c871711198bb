/**
 * Encodes a batch into pcap or pcapng records in one reused buffer, remembering where each
 * record ends. Every capture-writing target (file, stdout, pcap over IP, ERSPAN file) uses
 * it, because they all need the same two things beyond the format encoders in src/formats:
 *
 * - Record boundaries, so output can be cut between whole records only (a rotated file, a
 *   client queue that has room for some packets of a batch but not all of them).
 * - For pcapng, the Interface Description Blocks that a batch introduces come first, at the
 *   head of the chunk (`headLen` bytes), never between records: a consumer that takes any
 *   prefix of records (or none) can always take the head, so no packet ever refers to an
 *   interface its reader has not seen. Interface ids are global to the encoder; `fileHeader()`
 *   repeats every IDB so far, so a new file or a late client sees the same numbering.
 *
 * Two chunk buffers alternate: each encode() writes into the one the previous call did not,
 * so a target may still be writing the last chunk (asynchronously) while it encodes the next.
 *
 * Verbatim runs (pcap): a packet read from a little-endian pcap sits in the read buffer right
 * after its 16-byte record header. When those 16 bytes are exactly the header this encoder
 * would write, the record is copied as it is, and consecutive such records in one copy (one
 * memcpy per run instead of a header and a copy per packet). The check is the proof: bytes
 * that equal the encoding are the encoding, whatever buffer the batch came from.
 */
import type { PacketBatch } from '../../core/batch.js';
import { encodePcapHeader, encodePcapRecord, PCAP_RECORD_HEADER_LEN } from '../../formats/pcap.js';
import { encodeEnhancedPacket, encodeInterfaceBlock, encodeSectionHeader } from '../../formats/pcapng.js';
import type { BatchContext } from '../types.js';
import type { CaptureOptions } from './config.js';

export class StreamEncoder {
  readonly format: 'pcap' | 'pcapng';
  readonly snaplen: number;
  /** pcap: the link type of the stream, fixed by config or by the first packet. */
  linktype: number | undefined;
  /**
   * pcap: nanosecond timestamps, fixed by config or by the first packet's source (a
   * microsecond capture stays in microseconds, as `tcpdump -r X -w Y` keeps it).
   */
  nanos: boolean | undefined;

  /** The last encoded chunk is buf[0 .. pos). Stays intact through the next encode(). */
  buf: Uint8Array;
  private view: DataView;
  /** The other chunk buffer (see the header comment). */
  private spare: Uint8Array;
  pos = 0;
  /** Bytes of IDBs at the head of the chunk (pcapng; 0 for pcap). */
  headLen = 0;
  /** Records in the chunk. */
  count = 0;
  /** ends[k]: chunk offset after record k. */
  ends = new Uint32Array(1024);
  /** cum[k]: captured bytes (as counted on input) of records 0..k. */
  cum = new Float64Array(1024);
  /** Kept packets offered in the last encode() (before link type drops). */
  inPackets = 0;
  inBytes = 0;
  /** pcap: packets whose link type differs from the stream's (a pcap holds one). */
  linktypeDropped = 0;
  linktypeDroppedBytes = 0;

  private readonly idbs: Uint8Array[] = [];
  private readonly ifaceIds = new Map<number, number>();

  constructor(opts: CaptureOptions) {
    this.format = opts.format;
    this.snaplen = opts.snaplen;
    this.nanos = opts.nanos;
    this.linktype = opts.linktype;
    this.buf = new Uint8Array(1 << 20);
    this.view = new DataView(this.buf.buffer);
    this.spare = new Uint8Array(1 << 20);
  }

  /** Continues the stream of another encoder (reload): same link type and interface ids. */
  continueFrom(prev: StreamEncoder): void {
    this.linktype = prev.linktype;
    this.nanos = prev.nanos;
    this.idbs.length = 0;
    this.idbs.push(...prev.idbs);
    this.ifaceIds.clear();
    for (const [k, v] of prev.ifaceIds) this.ifaceIds.set(k, v);
  }

  /** The bytes a new file or client starts with, or null while a pcap's link type or precision is unknown. */
  fileHeader(): Uint8Array | null {
    if (this.format === 'pcap') return this.linktype === undefined || this.nanos === undefined ? null : encodePcapHeader(this.linktype, this.snaplen, this.nanos);
    return Buffer.concat([encodeSectionHeader(), ...this.idbs]);
  }

  /** The header of a stream that ends before its first packet: as tcpdump -w, Ethernet in microseconds. */
  idleHeader(): Uint8Array {
    this.linktype ??= 1;
    this.nanos ??= false;
    return this.fileHeader() as Uint8Array;
  }

  /** Captured bytes of records [from, to). */
  bytesOf(from: number, to: number): number {
    if (to <= from) return 0;
    return this.cum[to - 1] - (from > 0 ? this.cum[from - 1] : 0);
  }

  /** How many records, from chunk offset `from` on, fit in `room` bytes (whole records only). */
  fitting(from: number, room: number): number {
    let lo = 0;
    let hi = this.count;
    // Largest k with ends[k-1] - from <= room; ends only grow, so a binary search.
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.ends[mid - 1] - from <= room) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Chunk offset where record k starts. */
  startOf(k: number): number {
    return k === 0 ? this.headLen : this.ends[k - 1];
  }

  /**
   * `weights`, when given, are the bytes to count per packet instead of its captured length
   * (a target that wraps packets counts the bytes it was given, not the wrapped ones).
   */
  encode(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext, weights: Uint32Array | null = null): void {
    const last = this.buf;
    this.buf = this.spare;
    this.spare = last;
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
    this.headLen = 0;
    this.count = 0;
    this.inPackets = 0;
    this.inBytes = 0;
    this.linktypeDropped = 0;
    this.linktypeDroppedBytes = 0;
    if (this.ends.length < batch.count) {
      this.ends = new Uint32Array(batch.capacity);
      this.cum = new Float64Array(batch.capacity);
    }
    if (this.format === 'pcapng') this.describeInterfaces(batch, keep, ctx);
    const pcap = this.format === 'pcap';
    if (pcap && this.nanos === undefined) this.nanos = this.sourceNanos(batch, keep, ctx);
    const nanos = this.nanos === true;
    const src = batch.view;
    const micro = nanos ? 1 : 1000;
    /** Source bytes [runFrom, runTo) still to copy to the chunk, ending at this.pos. */
    let runFrom = 0;
    let runTo = 0;
    let cum = 0;
    for (let i = 0; i < batch.count; i++) {
      if (keep !== null && keep[i] === 0) continue;
      const caplen = batch.caplen[i];
      const counted = weights === null ? caplen : weights[i];
      this.inPackets++;
      this.inBytes += counted;
      let next: number;
      if (pcap) {
        if (this.linktype === undefined) this.linktype = batch.linktype[i];
        if (batch.linktype[i] !== this.linktype) {
          this.linktypeDropped++;
          this.linktypeDroppedBytes += counted;
          continue;
        }
        const off = batch.offset[i];
        const rec = off - PCAP_RECORD_HEADER_LEN;
        if (
          rec >= 0 &&
          caplen <= this.snaplen &&
          src.getUint32(rec + 8, true) === caplen &&
          src.getUint32(rec, true) === batch.tsSec[i] &&
          src.getUint32(rec + 4, true) === Math.floor(batch.tsNsec[i] / micro) &&
          src.getUint32(rec + 12, true) === Math.max(batch.wirelen[i], caplen)
        ) {
          next = this.pos + PCAP_RECORD_HEADER_LEN + caplen;
          if (next > this.buf.length) {
            this.copyRun(batch.data, runFrom, runTo);
            runFrom = runTo = rec;
            this.grow(PCAP_RECORD_HEADER_LEN + caplen);
          }
          if (rec !== runTo) {
            this.copyRun(batch.data, runFrom, runTo);
            runFrom = rec;
          }
          runTo = off + caplen;
        } else {
          this.copyRun(batch.data, runFrom, runTo);
          runFrom = runTo = 0;
          next = encodePcapRecord(this.buf, this.view, this.pos, batch, i, nanos, this.snaplen);
          if (next < 0) {
            this.grow(PCAP_RECORD_HEADER_LEN + caplen);
            next = encodePcapRecord(this.buf, this.view, this.pos, batch, i, nanos, this.snaplen);
          }
        }
      } else {
        const id = this.ifaceIds.get(batch.iface[i] * 65536 + batch.linktype[i]) as number;
        const comments = batch.comments?.get(i);
        next = encodeEnhancedPacket(this.buf, this.view, this.pos, batch, i, id, this.snaplen, comments);
        if (next < 0) {
          this.grow(64 + caplen + (comments ? comments.join('').length * 4 + comments.length * 8 : 0));
          next = encodeEnhancedPacket(this.buf, this.view, this.pos, batch, i, id, this.snaplen, comments);
        }
      }
      this.pos = next;
      cum += counted;
      this.ends[this.count] = next;
      this.cum[this.count] = cum;
      this.count++;
    }
    this.copyRun(batch.data, runFrom, runTo);
  }

  /** Whether the first kept packet's source records nanoseconds; undefined without packets. */
  private sourceNanos(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext): boolean | undefined {
    for (let i = 0; i < batch.count; i++) {
      if (keep !== null && keep[i] === 0) continue;
      return (ctx.interfaceInfo(batch.iface[i], batch.linktype[i]).tsResolution ?? 9) > 6;
    }
    return undefined;
  }

  /** Copies a verbatim run (source bytes [from, to)) to the chunk, ending at this.pos. */
  private copyRun(data: Uint8Array, from: number, to: number): void {
    if (to > from) this.buf.set(data.subarray(from, to), this.pos - (to - from));
  }

  /** pcapng: one IDB per new (interface, link type) pair of the batch, at the chunk head. */
  private describeInterfaces(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext): void {
    for (let i = 0; i < batch.count; i++) {
      if (keep !== null && keep[i] === 0) continue;
      const key = batch.iface[i] * 65536 + batch.linktype[i];
      if (this.ifaceIds.has(key)) continue;
      this.ifaceIds.set(key, this.idbs.length);
      const meta = ctx.interfaceInfo(batch.iface[i], batch.linktype[i]);
      const idb = encodeInterfaceBlock({ linktype: batch.linktype[i], snaplen: this.snaplen, name: meta.name, description: meta.description });
      this.idbs.push(idb);
      if (this.pos + idb.length > this.buf.length) this.grow(idb.length);
      this.buf.set(idb, this.pos);
      this.pos += idb.length;
    }
    this.headLen = this.pos;
  }

  private grow(atLeast: number): void {
    const bigger = new Uint8Array(Math.max(this.buf.length * 2, this.pos + atLeast + 1024));
    bigger.set(this.buf.subarray(0, this.pos));
    this.buf = bigger;
    this.view = new DataView(bigger.buffer);
    if (this.spare.length < bigger.length) this.spare = new Uint8Array(bigger.length);
  }
}
