/**
 * A filter expression applied to batches whose packets may have different link types (a
 * pcapng file, several sources): compiled once per link type, on first use.
 */
import type { PacketBatch } from '../core/batch.js';
import { ExitCode, TapwireError } from '../core/errors.js';
import { compileFilter, type CompiledFilter } from './index.js';

export class FilterByLinktype {
  private readonly cache = new Map<number, CompiledFilter>();
  constructor(private readonly expr: string) {}

  get(linktype: number): CompiledFilter {
    const cached = this.cache.get(linktype);
    if (cached !== undefined) return cached;
    let compiled: CompiledFilter;
    try {
      compiled = compileFilter(this.expr, linktype);
    } catch (e) {
      throw new TapwireError('E_FILTER', `bad filter expression: ${(e as Error).message}`, ExitCode.usage);
    }
    this.cache.set(linktype, compiled);
    return compiled;
  }

  /** Fills keep[i] with the verdict of every packet; returns how many pass. */
  select(batch: PacketBatch, keep: Uint8Array): number {
    const lt = batch.linktype;
    let uniform = true;
    for (let i = 1; i < batch.count && uniform; i++) uniform = lt[i] === lt[0];
    if (uniform) return batch.count ? this.get(lt[0]).matchBatch(batch, keep) : 0;
    let n = 0;
    for (let i = 0; i < batch.count; i++) {
      const pass = this.get(lt[i]).match(batch.data, batch.view, batch.offset[i], batch.caplen[i], batch.wirelen[i]);
      keep[i] = pass ? 1 : 0;
      if (pass) n++;
    }
    return n;
  }
}
