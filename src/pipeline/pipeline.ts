/**
 * A running broker: sources feed batches, each batch passes every session (in number order),
 * sessions write to targets. Batches are processed one at a time, so a reload can swap the
 * sessions and targets between two batches without losing a packet in flight.
 */
import type { PacketBatch } from '../core/batch.js';
import { SOURCE_TYPES } from '../components/sources/index.js';
import type { Source } from '../components/sources/types.js';
import { TARGET_TYPES } from '../components/targets/index.js';
import type { BatchContext, Target } from '../components/types.js';
import type { ComponentCounters } from '../components/counters.js';
import { DecodeRecord } from '../decode/record.js';
import type { BrokerConfig } from './config.js';
import { computeFlowHashes } from './flow-hash.js';
import { OriginTable } from './origins.js';
import { Session } from './session.js';

/** Sessions and targets: the part of a pipeline a reload replaces. */
class Wiring {
  readonly targets: Map<string, Target>;
  readonly sessions: Session[];
  readonly needsFlowHash: boolean;

  constructor(config: BrokerConfig, ctx: BatchContext) {
    this.targets = new Map(Object.entries(config.targets).map(([name, o]) => [name, TARGET_TYPES[o.type as string].create(name, resolvePaths(o, config.baseDir))]));
    this.sessions = config.sessions.map((s) => new Session(s, this.targets, ctx));
    this.needsFlowHash = this.sessions.some((s) => s.needsFlowHash);
  }
}

/** Target paths in a config are relative to the config file. */
function resolvePaths(o: Record<string, unknown>, baseDir: string): Record<string, unknown> {
  if (typeof o.path !== 'string' || o.path === '-' || o.path.startsWith('/')) return o;
  return { ...o, path: `${baseDir}/${o.path}` };
}

export class Pipeline {
  config: BrokerConfig;
  readonly sources: Source[];
  private wiring: Wiring;
  private readonly origins = new OriginTable();
  /** Source index + local interface -> pipeline interface id. */
  private readonly ifaceIds = new Map<number, number>();
  private readonly rec = new DecodeRecord();
  private flowHash = new Uint32Array(0);
  private claimed = new Uint8Array(0);
  private busy: Promise<void> = Promise.resolve();
  readonly ctx: BatchContext;
  startedAt = 0;

  constructor(config: BrokerConfig) {
    this.config = config;
    this.ctx = {
      flowHash: null,
      origins: this.origins,
      nowMs: Date.now(),
      interfaceInfo: (iface: number) => {
        const m = this.origins.get(iface);
        return m ? { name: m.name, description: m.description } : {};
      },
    };
    this.sources = Object.entries(config.sources).map(([name, o]) => SOURCE_TYPES[o.type as string].create(name, o, config.baseDir));
    this.wiring = new Wiring(config, this.ctx);
  }

  get sessions(): Session[] {
    return this.wiring.sessions;
  }

  get targets(): Target[] {
    return [...this.wiring.targets.values()];
  }

  /** Every component's counters, sources first, in a stable order. */
  counters(): ComponentCounters[] {
    const list: ComponentCounters[] = this.sources.map((s) => s.counters);
    for (const s of this.sessions) {
      list.push(s.counters);
      for (const a of s.actions) list.push(a.counters);
    }
    for (const t of this.targets) list.push(t.counters);
    return list;
  }

  async start(): Promise<void> {
    for (const t of this.targets) await t.start();
    this.startedAt = Date.now();
  }

  /** Runs every source to its end (files) or until stop(). */
  async run(): Promise<void> {
    await Promise.all(this.sources.map((s, k) => this.runSource(s, k)));
  }

  private async runSource(source: Source, index: number): Promise<void> {
    for await (const batch of source.batches()) {
      // One batch at a time through the sessions: sources interleave between batches only.
      const done = this.busy.then(() => this.process(batch, source, index));
      this.busy = done.catch(() => {});
      await done;
    }
  }

  private pipelineIface(source: Source, index: number, iface: number, linktype: number): number {
    const key = index * 65536 + iface;
    let id = this.ifaceIds.get(key);
    if (id === undefined) {
      const info = source.interfaces[iface];
      const name = info?.name ? `${source.name}:${info.name}` : source.name;
      id = this.origins.add(-1 - key, { name, description: info?.description ?? '', linktype });
      this.ifaceIds.set(key, id);
    }
    return id;
  }

  private async process(batch: PacketBatch, source: Source, index: number): Promise<void> {
    for (let i = 0; i < batch.count; i++) batch.iface[i] = this.pipelineIface(source, index, batch.iface[i], batch.linktype[i]);
    if (batch.count > 0 && batch.tsSec[0] >= 0) this.ctx.nowMs = batch.tsSec[0] * 1000 + batch.tsNsec[0] / 1e6;
    const w = this.wiring;
    let hash: Uint32Array | null = null;
    if (w.needsFlowHash) {
      if (this.flowHash.length < batch.count) this.flowHash = new Uint32Array(batch.capacity);
      computeFlowHashes(batch, this.rec, this.flowHash);
      hash = this.flowHash;
    }
    let claimed: Uint8Array | null = null;
    if (this.config.match === 'first') {
      if (this.claimed.length < batch.count) this.claimed = new Uint8Array(batch.capacity);
      claimed = this.claimed;
      claimed.fill(0, 0, batch.count);
    }
    for (const s of w.sessions) if (s.wants(source.name)) await s.process(batch, source.name, hash, claimed, this.ctx);
  }

  /**
   * Replaces sessions and targets with those of `next` between two batches. Sources must be
   * unchanged (a changed source needs a restart); the caller validated `next` already.
   */
  async reload(next: BrokerConfig): Promise<void> {
    if (JSON.stringify(next.raw.sources) !== JSON.stringify(this.config.raw.sources)) {
      throw new Error('sources changed: a reload replaces filters, sessions, actions and targets; restart tapwire to change sources');
    }
    const wiring = new Wiring(next, this.ctx);
    for (const t of wiring.targets.values()) await t.start();
    const swap = this.busy.then(async () => {
      const old = this.wiring;
      this.wiring = wiring;
      this.config = next;
      for (const t of old.targets.values()) await t.close();
    });
    this.busy = swap.catch(() => {});
    await swap;
  }

  stop(): void {
    for (const s of this.sources) s.stop();
  }

  async close(): Promise<void> {
    await this.busy;
    for (const t of this.targets) await t.close();
  }
}
