/**
 * `slice`: keeps the first `bytes` bytes of each packet, or (with `payload_bytes`) every
 * header up to and including layer 4 plus that many payload bytes. The original length
 * stays in the record (wirelen), as with tcpdump -s.
 */
import type { PacketBatch } from '../../core/batch.js';
import { ShapeDecoder, type PacketShapes } from '../../pipeline/packet-shapes.js';
import { checkKeys, num, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters } from '../counters.js';
import type { Action, BatchContext } from '../types.js';

export class SliceAction implements Action {
  readonly type = 'slice';
  readonly modifiesBytes = false;
  readonly editsColumns = true;
  readonly readsShapes = true;
  readonly counters: ComponentCounters;
  private readonly decoder = new ShapeDecoder();

  constructor(readonly name: string, private readonly bytes: number | undefined, private readonly payloadBytes: number | undefined) {
    this.counters = new ComponentCounters('action', name, this.type);
  }

  apply(batch: PacketBatch, keep: Uint8Array, ctx: BatchContext): void {
    let shapes: PacketShapes | null = null;
    if (this.payloadBytes !== undefined) shapes = ctx.shapes ?? this.decoder.decode(batch);
    let n = 0;
    let inBytes = 0;
    let outBytes = 0;
    for (let i = 0; i < batch.count; i++) {
      if (!keep[i]) continue;
      n++;
      inBytes += batch.caplen[i];
      let limit = this.bytes ?? batch.caplen[i];
      if (shapes !== null) limit = Math.min(limit, shapes.headersEnd[i] + (this.payloadBytes as number));
      if (batch.caplen[i] > limit) batch.caplen[i] = limit;
      outBytes += batch.caplen[i];
    }
    this.counters.in(n, inBytes);
    this.counters.out(n, outBytes);
  }

}

export const slice = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name', 'bytes', 'payload_bytes'], p);
    num(o, 'bytes', path, p, { integer: true, min: 1 });
    num(o, 'payload_bytes', path, p, { integer: true, min: 0 });
    if (o.bytes === undefined && o.payload_bytes === undefined) p.add(path, 'slice needs bytes (keep the first N bytes) or payload_bytes (headers plus N payload bytes)');
  },
  create(name: string, o: Obj): Action {
    return new SliceAction(name, o.bytes as number | undefined, o.payload_bytes as number | undefined);
  },
};
