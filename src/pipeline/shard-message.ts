/**
 * The batches a sharded pipeline sends to its workers: the packets of one worker's shard,
 * copied into fresh arrays that are transferred (not copied again) with postMessage.
 */
import { PacketBatch, type BatchColumns } from '../core/batch.js';
import type { InterfaceMeta } from './origins.js';

export interface ShardBatch {
  type: 'batch';
  source: string;
  count: number;
  data: Uint8Array;
  columns: BatchColumns;
  hash: Uint32Array;
  comments: [number, string[]][] | null;
  /** Pipeline interfaces first seen since the previous message: the worker defines them. */
  interfaces: [number, InterfaceMeta][];
}

export type ToWorker = ShardBatch | { type: 'end' };

/**
 * Builds the message for worker k from the packets of `src` whose shard[i] === k. Bytes in a
 * SharedArrayBuffer are shared, not copied: the worker reads them where the reader put them
 * (the reader never reuses such a buffer). Other batches have their packets copied.
 */
export function shardBatch(src: PacketBatch, hash: Uint32Array, shard: Uint8Array, k: number, count: number, bytes: number, source: string, interfaces: [number, InterfaceMeta][]): { message: ShardBatch; transfer: ArrayBuffer[] } {
  const inPlace = src.data.buffer instanceof SharedArrayBuffer;
  const data = inPlace ? src.data : new Uint8Array(bytes);
  const c: BatchColumns = {
    offset: new Uint32Array(count),
    caplen: new Uint32Array(count),
    wirelen: new Uint32Array(count),
    tsSec: new Float64Array(count),
    tsNsec: new Uint32Array(count),
    linktype: new Uint16Array(count),
    iface: new Uint32Array(count),
    flags: new Uint32Array(count),
    number: new Float64Array(count),
  };
  const h = new Uint32Array(count);
  let comments: [number, string[]][] | null = null;
  let n = 0;
  let pos = 0;
  for (let i = 0; i < src.count; i++) {
    if (shard[i] !== k) continue;
    const off = src.offset[i];
    const len = src.caplen[i];
    if (inPlace) c.offset[n] = off;
    else {
      data.set(src.data.subarray(off, off + len), pos);
      c.offset[n] = pos;
    }
    c.caplen[n] = len;
    c.wirelen[n] = src.wirelen[i];
    c.tsSec[n] = src.tsSec[i];
    c.tsNsec[n] = src.tsNsec[i];
    c.linktype[n] = src.linktype[i];
    c.iface[n] = src.iface[i];
    c.flags[n] = src.flags[i];
    c.number[n] = src.number[i];
    h[n] = hash[i];
    const cm = src.comments?.get(i);
    if (cm) (comments ??= []).push([n, cm]);
    pos += len;
    n++;
  }
  const transfer = [...(inPlace ? [] : [data.buffer]), h.buffer, ...Object.values(c).map((a: Uint8Array) => a.buffer)] as ArrayBuffer[];
  return { message: { type: 'batch', source, count, data, columns: c, hash: h, comments, interfaces }, transfer };
}

/** The worker side: a batch around the transferred arrays. */
export function batchOf(m: ShardBatch): PacketBatch {
  const b = new PacketBatch(Math.max(m.count, 1), m.data, m.columns);
  b.count = m.count;
  if (m.comments) for (const [i, list] of m.comments) for (const text of list) b.addComment(i, text);
  return b;
}
