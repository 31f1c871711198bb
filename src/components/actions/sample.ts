/**
 * `sample`: keeps one packet in `rate`. `by: packet` keeps every rate-th packet
 * (deterministic, so runs are reproducible); `by: flow` keeps whole flows, chosen by the
 * symmetric flow hash, so both directions and every packet of a kept flow survive.
 */
import type { PacketBatch } from '../../core/batch.js';
import { checkKeys, num, str, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { Action, BatchContext } from '../types.js';

export class SampleAction implements Action {
  readonly type = 'sample';
  readonly modifiesBytes = false;
  readonly editsColumns = false;
  readonly counters: ComponentCounters;
  private seen = 0;

  constructor(readonly name: string, private readonly rate: number, private readonly byFlow: boolean) {
    this.counters = new ComponentCounters('action', name, this.type);
  }

  apply(batch: PacketBatch, keep: Uint8Array, ctx: BatchContext): void {
    let n = 0, bytes = 0, dropped = 0, droppedBytes = 0;
    const hash = ctx.flowHash;
    for (let i = 0; i < batch.count; i++) {
      if (!keep[i]) continue;
      n++;
      bytes += batch.caplen[i];
      const pass = this.byFlow && hash !== null ? hash[i] % this.rate === 0 : this.seen++ % this.rate === 0;
      if (!pass) {
        keep[i] = 0;
        dropped++;
        droppedBytes += batch.caplen[i];
      }
    }
    this.counters.in(n, bytes);
    this.counters.out(n - dropped, bytes - droppedBytes);
    this.counters.drop(DropReason.sample, dropped, droppedBytes);
  }
}

export const sample = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name', 'rate', 'by'], p);
    num(o, 'rate', path, p, { required: true, integer: true, min: 1 });
    str(o, 'by', path, p, { choices: ['packet', 'flow'] });
  },
  needsFlowHash: (o: Obj) => o.by === 'flow',
  create(name: string, o: Obj): Action {
    return new SampleAction(name, o.rate as number, o.by === 'flow');
  },
};
