/**
 * `rate_limit`: a token bucket in packets (`pps`) or bits (`bps`) per second, with a burst
 * allowance (default one second's worth). Time is the packets' own timestamps, so a replayed
 * capture is limited as the live traffic would have been, and runs are reproducible.
 */
import type { PacketBatch } from '../../core/batch.js';
import { checkKeys, num, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { Action } from '../types.js';

export class RateLimitAction implements Action {
  readonly type = 'rate_limit';
  readonly modifiesBytes = false;
  readonly editsColumns = false;
  readonly counters: ComponentCounters;
  private tokens: number;
  private last = -1;

  /** `perSecond` tokens per second; a packet costs 1 (pps) or its wire bits (bps). */
  constructor(readonly name: string, private readonly perSecond: number, private readonly bits: boolean, private readonly burst: number) {
    this.counters = new ComponentCounters('action', name, this.type);
    this.tokens = burst;
  }

  apply(batch: PacketBatch, keep: Uint8Array): void {
    let n = 0, bytes = 0, dropped = 0, droppedBytes = 0;
    for (let i = 0; i < batch.count; i++) {
      if (!keep[i]) continue;
      n++;
      bytes += batch.caplen[i];
      const t = batch.tsSec[i] + batch.tsNsec[i] / 1e9;
      if (this.last >= 0 && t > this.last) this.tokens = Math.min(this.burst, this.tokens + (t - this.last) * this.perSecond);
      if (t > this.last) this.last = t;
      const cost = this.bits ? batch.wirelen[i] * 8 : 1;
      if (this.tokens >= cost - 1e-9) this.tokens -= cost; // tolerance: fractional refills accumulate rounding
      else {
        keep[i] = 0;
        dropped++;
        droppedBytes += batch.caplen[i];
      }
    }
    this.counters.in(n, bytes);
    this.counters.out(n - dropped, bytes - droppedBytes);
    this.counters.drop(DropReason.rate_limit, dropped, droppedBytes);
  }
}

export const rateLimit = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name', 'pps', 'bps', 'burst'], p);
    num(o, 'pps', path, p, { min: 1 });
    num(o, 'bps', path, p, { min: 1 });
    num(o, 'burst', path, p, { min: 1 });
    if ((o.pps === undefined) === (o.bps === undefined)) p.add(path, 'rate_limit needs exactly one of pps or bps');
  },
  create(name: string, o: Obj): Action {
    const bits = o.bps !== undefined;
    const rate = (bits ? o.bps : o.pps) as number;
    return new RateLimitAction(name, rate, bits, (o.burst as number | undefined) ?? rate);
  },
};
