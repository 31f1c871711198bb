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
import { OriginTable, SourceInterfaces } from './origins.js';
import { PacketShapes } from './packet-shapes.js';

/** Origins a worker finds itself (strip) are numbered from here, clear of the main thread's. */
const WORKER_ORIGIN_IDS = 1 << 20;
import { Session } from './session.js';

/** Sessions and targets: the part of a pipeline a reload replaces. */
class Wiring {
  readonly targets: Map<string, Target>;
  readonly sessions: Session[];
  readonly needsFlowHash: boolean;
  readonly needsShapes: boolean;

  constructor(config: BrokerConfig, ctx: BatchContext, worker?: number) {
    this.targets = new Map(Object.entries(config.targets).map(([name, o]) => [name, TARGET_TYPES[o.type as string].create(name, resolvePaths(o, config.baseDir, worker))]));
    this.sessions = config.sessions.map((s) => new Session(s, this.targets, ctx));
    this.needsFlowHash = this.sessions.some((s) => s.needsFlowHash);
    this.needsShapes = this.sessions.some((s) => s.needsShapes);
  }
}

/**
 * Target paths in a config are relative to the config file. Each worker of a sharded
 * pipeline writes its own files: `ring.pcap` becomes `ring.w0.pcap`, `ring.w1.pcap`...
 */
function resolvePaths(o: Record<string, unknown>, baseDir: string, worker?: number): Record<string, unknown> {
  if (typeof o.path !== 'string' || o.path === '-') return o;
  let p = o.path.startsWith('/') ? o.path : `${baseDir}/${o.path}`;
  if (worker !== undefined) {
    const dot = p.lastIndexOf('.');
    p = dot > p.lastIndexOf('/') ? `${p.slice(0, dot)}.w${worker}${p.slice(dot)}` : `${p}.w${worker}`;
  }
  return { ...o, path: p };
}

export class Pipeline {
  config: BrokerConfig;
  readonly sources: Source[];
  private wiring: Wiring;
  readonly origins: OriginTable;
  private readonly ifaces: SourceInterfaces;
  private readonly worker: number | undefined;
  private readonly rec = new DecodeRecord();
  private flowHash = new Uint32Array(0);
  private shapes = new PacketShapes(0);
  private claimed = new Uint8Array(0);
  private busy: Promise<void> = Promise.resolve();
  readonly ctx: BatchContext;
  startedAt = 0;

  /**
   * `worker`: this pipeline is worker k of a sharded one (see sharded.ts): it has no sources
   * of its own, gets batches through `dispatch`, and writes its own files.
   */
  constructor(config: BrokerConfig, worker?: number) {
    this.config = config;
    this.worker = worker;
    this.origins = new OriginTable(worker === undefined ? 0 : WORKER_ORIGIN_IDS);
    this.ifaces = new SourceInterfaces(this.origins);
    this.ctx = {
      flowHash: null,
      shapes: null,
      origins: this.origins,
      nowMs: Date.now(),
      interfaceInfo: (iface: number) => {
        const m = this.origins.get(iface);
        return m ? { name: m.name, description: m.description, tsResolution: m.tsResolution } : {};
      },
    };
    this.sources = worker !== undefined ? [] : Object.entries(config.sources).map(([name, o]) => SOURCE_TYPES[o.type as string].create(name, o, config.baseDir));
    this.wiring = new Wiring(config, this.ctx, worker);
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

  private async process(batch: PacketBatch, source: Source, index: number): Promise<void> {
    this.ifaces.renumber(batch, source, index);
    let hash: Uint32Array | null = null;
    let shapes: PacketShapes | null = null;
    if (this.wiring.needsShapes) {
      // The decode the actions need gives the flow hash too.
      shapes = this.computeShapes(batch);
      hash = shapes.hash;
    } else if (this.wiring.needsFlowHash) {
      if (this.flowHash.length < batch.count) this.flowHash = new Uint32Array(batch.capacity);
      computeFlowHashes(batch, this.rec, this.flowHash);
      hash = this.flowHash;
    }
    await this.dispatch(batch, source.name, hash, shapes);
  }

  /** Decodes each packet of the batch once for every session (see packet-shapes.ts). */
  private computeShapes(batch: PacketBatch): PacketShapes {
    if (this.shapes.capacity < batch.count) this.shapes = new PacketShapes(batch.capacity);
    this.shapes.compute(batch, this.rec);
    return this.shapes;
  }

  /**
   * Passes a batch (interfaces already numbered) through the sessions that take its source.
   * `hash` may come from elsewhere (the main thread of a sharded pipeline); `shapes` are
   * computed here when the sessions need them and the caller has none.
   */
  async dispatch(batch: PacketBatch, sourceName: string, hash: Uint32Array | null, shapes: PacketShapes | null = null): Promise<void> {
    if (batch.count > 0 && batch.tsSec[0] >= 0) this.ctx.nowMs = batch.tsSec[0] * 1000 + batch.tsNsec[0] / 1e6;
    if (shapes === null && this.wiring.needsShapes) shapes = this.computeShapes(batch);
    this.ctx.shapes = shapes;
    let claimed: Uint8Array | null = null;
    if (this.config.match === 'first') {
      if (this.claimed.length < batch.count) this.claimed = new Uint8Array(batch.capacity);
      claimed = this.claimed;
      claimed.fill(0, 0, batch.count);
    }
    for (const s of this.wiring.sessions) if (s.wants(sourceName)) await s.process(batch, sourceName, hash, claimed, this.ctx);
  }

  get needsFlowHash(): boolean {
    return this.wiring.needsFlowHash;
  }

  /**
   * Replaces sessions and targets with those of `next` between two batches. Sources must be
   * unchanged (a changed source needs a restart); the caller validated `next` already.
   */
  async reload(next: BrokerConfig): Promise<void> {
    if (JSON.stringify(next.raw.sources) !== JSON.stringify(this.config.raw.sources)) {
      throw new Error('sources changed: a reload replaces filters, sessions, actions and targets; restart tapwire to change sources');
    }
    const wiring = new Wiring(next, this.ctx, this.worker);
    try {
      for (const t of wiring.targets.values()) await t.start();
    } catch (e) {
      await discardTargets(wiring.targets.values());
      throw e;
    }
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

  /** Drops a pipeline that never ran (a worker's standby of a dropped reload). */
  async discard(): Promise<void> {
    await discardTargets(this.targets);
  }
}

async function discardTargets(targets: Iterable<Target>): Promise<void> {
  for (const t of targets) await (t.discard ? t.discard() : t.close()).catch(() => {});
}
