/**
 * The messages between a sharded pipeline's main thread and its workers. A batch message
 * names pool slots (see batch-pool.ts), not packets: every worker gets the same message for a
 * batch and keeps the packets of its own shard, so the main thread does no per-worker work.
 */
import { PacketBatch } from '../core/batch.js';
import type { CountersSnapshot } from '../components/counters.js';
import { fmix32 } from '../core/hash.js';
import type { InterfaceMeta } from './origins.js';

export interface ShardBatch {
  type: 'batch';
  source: string;
  count: number;
  /** Pool slots of the batch's bytes and of its columns (with the flow-hash column). */
  data: number;
  cols: number;
  /** Buffers of those slots that this worker has not received yet. */
  buffers: [number, SharedArrayBuffer][] | null;
  /** Packet comments by index in the whole batch (rare). */
  comments: [number, string[]][] | null;
  /** Pipeline interfaces first seen since the previous batch: the worker defines them. */
  interfaces: [number, InterfaceMeta][] | null;
}

/** Reload in two steps: every worker builds and starts the new config, then all switch or all drop it. */
export type ReloadStep = { type: 'prepare'; raw: unknown; file: string } | { type: 'commit' } | { type: 'abort' };

export type ToWorker = ShardBatch | ReloadStep | { type: 'end' };

export type FromWorker =
  | { type: 'ready' | 'counters' | 'closed'; counters: CountersSnapshot[] }
  /** The answer to a reload step; a commit sends the final counters of the components it replaced. */
  | { type: 'reply'; error: string | null; counters: CountersSnapshot[]; retired: CountersSnapshot[] }
  | { type: 'error'; message: string };

/**
 * The shard of a packet: both directions of a flow have one hash, so they meet in one worker.
 * The hash is mixed again first: `balance` and `sample` use `hash % n` themselves, and the
 * same residue would give, e.g., every flow a 1-in-2 sample keeps to worker 0.
 */
export function shardOf(hash: number, workers: number): number {
  return fmix32(hash) % workers;
}

/** Bytes kept in front of each packet when a shard is copied out: a pcap record header. */
const HEADER_ROOM = 16;

/**
 * A worker's copy of its shard of a pool batch, in its own memory. Why copy: V8 copies out
 * of a SharedArrayBuffer byte by byte (relaxed atomics) when source and destination are not
 * equally aligned, and a shard's packets are interleaved with the other workers' ones, so
 * every target copying each packet from the pool cost more than this one copy of runs of
 * packets. Each packet keeps up to HEADER_ROOM bytes in front of it (its pcap record header),
 * so a pcap target can still write runs of whole records verbatim; once copied, the pool's
 * buffers go back at once.
 */
export class ShardCopy {
  readonly batch: PacketBatch;
  readonly hash: Uint32Array;
  private bytes = new Uint8Array(0);

  constructor(capacity: number) {
    this.batch = new PacketBatch(capacity);
    this.hash = new Uint32Array(capacity);
  }

  /** Copies the packets of worker k's shard of `src` (with `comments` by index in `src`). */
  take(src: PacketBatch, hash: Uint32Array, k: number, workers: number, comments: [number, string[]][] | null): void {
    let need = 0;
    for (let i = 0; i < src.count; i++) if (shardOf(hash[i], workers) === k) need += src.caplen[i] + HEADER_ROOM;
    if (this.bytes.length < need) this.bytes = new Uint8Array(Math.max(need, 2 * this.bytes.length));
    const out = this.batch;
    const bytes = this.bytes;
    out.reset(bytes);
    let n = 0;
    let pos = 0; // end of the copied bytes
    let runFrom = 0; // source bytes [runFrom, runTo) not copied yet, to go at pos - (runTo - runFrom)
    let runTo = 0;
    for (let i = 0; i < src.count; i++) {
      const h = hash[i];
      if (shardOf(h, workers) !== k) continue;
      const off = src.offset[i];
      const len = src.caplen[i];
      // The header room ends where the previous packet of the source ends.
      const prevEnd = i > 0 ? src.offset[i - 1] + src.caplen[i - 1] : 0;
      const from = off - Math.min(HEADER_ROOM, Math.max(0, off - prevEnd));
      if (from !== runTo) {
        if (runTo > runFrom) bytes.set(src.data.subarray(runFrom, runTo), pos - (runTo - runFrom));
        runFrom = from;
      }
      runTo = off + len;
      pos += off + len - from;
      out.offset[n] = pos - len;
      out.caplen[n] = len;
      out.copyMeta(src, i, n);
      this.hash[n] = h;
      n++;
    }
    if (runTo > runFrom) bytes.set(src.data.subarray(runFrom, runTo), pos - (runTo - runFrom));
    out.count = n;
    if (comments !== null) this.comment(hash, k, workers, comments);
  }

  /** Comments name packets by their index in the whole batch: each one's index in the shard. */
  private comment(hash: Uint32Array, k: number, workers: number, comments: [number, string[]][]): void {
    let i = 0;
    let m = 0;
    for (const [at, list] of comments) {
      for (; i < at; i++) if (shardOf(hash[i], workers) === k) m++;
      if (shardOf(hash[at], workers) === k) for (const text of list) this.batch.addComment(m, text);
    }
  }
}

/** Copies packets [from, from + count) of `src` into `out`, a pool batch over a big enough buffer. */
export function copyInto(src: PacketBatch, from: number, count: number, out: PacketBatch): void {
  let pos = 0;
  for (let n = 0; n < count; n++) {
    const i = from + n;
    const off = src.offset[i];
    const len = src.caplen[i];
    out.data.set(src.data.subarray(off, off + len), pos);
    out.offset[n] = pos;
    out.caplen[n] = len;
    out.copyMeta(src, i, n);
    const cm = src.comments?.get(i);
    if (cm) for (const text of cm) out.addComment(n, text);
    pos += len;
  }
  out.count = count;
}
