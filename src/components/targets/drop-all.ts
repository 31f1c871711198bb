/**
 * A target that cannot take a batch at all (not started, no client) still counts it: every
 * kept packet is received and dropped with the reason, so in = out + dropped holds.
 */
import type { PacketBatch } from '../../core/batch.js';
import type { ComponentCounters } from '../counters.js';

export function dropAll(c: ComponentCounters, batch: PacketBatch, keep: Uint8Array | null, reason: string): void {
  let n = 0;
  let bytes = 0;
  for (let i = 0; i < batch.count; i++) {
    if (keep !== null && keep[i] === 0) continue;
    n++;
    bytes += batch.caplen[i];
  }
  c.in(n, bytes);
  c.drop(reason, n, bytes);
}
