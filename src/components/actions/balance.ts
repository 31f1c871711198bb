/**
 * `balance`: spreads a session's packets over a group of targets by the symmetric flow hash,
 * so both directions of a conversation reach the same tool. Targets that are down (no
 * client, closed socket) are skipped, and their flows move to the others; with none up the
 * packets are dropped with reason target_down. Must be the session's last action: it decides
 * where packets go rather than editing them.
 */
import type { PacketBatch } from '../../core/batch.js';
import { checkKeys, type Obj, type Problems } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { Action, BatchContext, Target } from '../types.js';

export class BalanceAction implements Action {
  readonly type = 'balance';
  readonly modifiesBytes = false;
  readonly editsColumns = false;
  readonly counters: ComponentCounters;
  /** Per packet: index into `group` of the chosen target, or 255 for none. */
  choice = new Uint8Array(0);
  private readonly upIndex: number[] = [];

  constructor(readonly name: string, readonly group: Target[]) {
    this.counters = new ComponentCounters('action', name, this.type);
  }

  apply(batch: PacketBatch, keep: Uint8Array, ctx: BatchContext): void {
    if (this.choice.length < batch.count) this.choice = new Uint8Array(batch.capacity);
    const up = this.upIndex;
    up.length = 0;
    for (let t = 0; t < this.group.length; t++) if (this.group[t].up) up.push(t);
    const hash = ctx.flowHash;
    let n = 0, bytes = 0, dropped = 0, droppedBytes = 0;
    for (let i = 0; i < batch.count; i++) {
      if (!keep[i]) continue;
      n++;
      bytes += batch.caplen[i];
      if (up.length === 0) {
        keep[i] = 0;
        dropped++;
        droppedBytes += batch.caplen[i];
        continue;
      }
      this.choice[i] = up[(hash ? hash[i] : 0) % up.length];
    }
    this.counters.in(n, bytes);
    this.counters.out(n - dropped, bytes - droppedBytes);
    this.counters.drop(DropReason.target_down, dropped, droppedBytes);
  }
}

export const balance = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name'], p);
  },
  needsFlowHash: () => true,
};
