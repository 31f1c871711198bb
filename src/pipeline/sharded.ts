/**
 * A pipeline spread over worker threads (`workers: N` in the config). The main thread runs
 * the sources and computes the symmetric flow hash of every packet; every worker processes
 * the packets whose hash falls to it, so both directions of a flow meet in one worker and keep
 * their order. Each worker runs every session with its own targets: file targets write one
 * file per worker (`ring.w0.pcap`, `ring.w1.pcap`, like per-thread outputs of other sensors).
 *
 * The main thread copies no packets: file sources read into a pool of shared buffers
 * (batch-pool.ts), the main thread sends every worker the same small message per batch, and
 * each worker copies its shard out (shard-message.ts) and releases the buffers. The pool's
 * size bounds memory and the batches in flight, so a slow worker slows the sources instead
 * of queueing without end. Other sources' batches are copied into the pool first.
 */
import { Worker } from 'node:worker_threads';
import type { PacketBatch } from '../core/batch.js';
import { sumCounters, type ComponentCounters, type CountersSnapshot } from '../components/counters.js';
import { SOURCE_TYPES } from '../components/sources/index.js';
import type { Source } from '../components/sources/types.js';
import { DecodeRecord } from '../decode/record.js';
import { BatchPool, type PoolLayout } from './batch-pool.js';
import type { BrokerConfig } from './config.js';
import { computeFlowHashes } from './flow-hash.js';
import { OriginTable, SourceInterfaces, type InterfaceMeta } from './origins.js';
import { copyInto, type FromWorker, type ReloadStep, type ShardBatch } from './shard-message.js';

/** Packets per pool batch: the capture reader's default batch. */
const BATCH = 8192;
/** Copies of other sources' batches take buffers of at least this size, so that one slot fits most. */
const MIN_COPY_BUFFER = 1 << 20;

type Reply = Extract<FromWorker, { type: 'reply' }>;

class WorkerHandle {
  readonly worker: Worker;
  counters: CountersSnapshot[] = [];
  failure: Error | null = null;
  readonly ready: Promise<void>;
  readonly closed: Promise<void>;
  /** Reload steps waiting for their reply: a worker answers them in order. */
  private readonly replies: { resolve: (r: Reply) => void; reject: (e: Error) => void }[] = [];
  private fail: (e: Error) => void;

  constructor(config: BrokerConfig, index: number, pool: PoolLayout, onFailure: (e: Error) => void) {
    this.worker = new Worker(new URL('./worker-main.js', import.meta.url), { workerData: { raw: config.raw, file: config.file, index, workers: config.workers, pool } });
    let ready!: () => void, notReady!: (e: Error) => void, closed!: () => void;
    let ended = false;
    this.ready = new Promise((res, rej) => ((ready = res), (notReady = rej)));
    this.closed = new Promise((res) => (closed = res));
    this.fail = (e: Error) => {
      if (this.failure) return;
      this.failure = e;
      notReady(e);
      for (const r of this.replies.splice(0)) r.reject(e);
      onFailure(e);
      closed();
    };
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'error') return this.fail(new Error(`worker ${index}: ${m.message}`));
      this.counters = m.counters;
      if (m.type === 'ready') ready();
      else if (m.type === 'reply') this.replies.shift()?.resolve(m);
      else if (m.type === 'closed') {
        ended = true;
        closed();
      }
    });
    this.worker.on('error', (e) => this.fail(e));
    this.worker.on('exit', (code) => ended || this.fail(new Error(`worker ${index} exited (status ${code}) before the end of the run`)));
  }

  /** Sends a reload step; resolves with the worker's reply. */
  request(m: ReloadStep): Promise<Reply> {
    if (this.failure) return Promise.reject(this.failure);
    this.worker.postMessage(m);
    return new Promise((resolve, reject) => this.replies.push({ resolve, reject }));
  }
}

export class ShardedPipeline {
  readonly sources: Source[];
  private config: BrokerConfig;
  private readonly pool: BatchPool;
  private readonly workers: WorkerHandle[];
  private readonly origins = new OriginTable();
  private readonly ifaces = new SourceInterfaces(this.origins);
  private readonly rec = new DecodeRecord();
  /** Batches go out one at a time, in this chain; a reload's switch takes a place in it. */
  private busy: Promise<void> = Promise.resolve();
  private reloading: Promise<unknown> = Promise.resolve();
  private ended = false;

  constructor(config: BrokerConfig) {
    this.config = config;
    this.sources = Object.entries(config.sources).map(([name, o]) => SOURCE_TYPES[o.type as string].create(name, o, config.baseDir));
    const n = config.workers;
    // Per source: the buffer being parsed and the one being filled; per worker, one batch
    // queued (a worker copies its shard out and releases the buffers before processing it).
    const slots = 2 * this.sources.length + n;
    this.pool = new BatchPool(slots, slots, BATCH, n);
    for (const s of this.sources) if (s.sharedBuffers !== undefined) s.sharedBuffers = this.pool;
    this.workers = Array.from({ length: n }, (_, k) => new WorkerHandle(config, k, this.pool.layout, (e) => this.pool.fail(e)));
  }

  async start(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready));
  }

  async run(): Promise<void> {
    await Promise.all(this.sources.map((s, k) => this.runSource(s, k)));
  }

  private async runSource(source: Source, index: number): Promise<void> {
    for await (const batch of source.batches()) {
      const done = this.busy.then(() => this.distribute(batch, source, index));
      this.busy = done.catch(() => {});
      await done;
    }
  }

  private async distribute(batch: PacketBatch, source: Source, index: number): Promise<void> {
    this.ifaces.renumber(batch, source, index);
    const added: [number, InterfaceMeta][] | null = this.ifaces.added.length > 0 ? this.ifaces.added.splice(0).map((id) => [id, this.origins.get(id)!]) : null;
    if (this.pool.owns(batch)) return this.send(batch, source.name, added);
    // Batches of other sources (receivers, interfaces) are copied into the pool.
    for (let from = 0; from < batch.count; from += BATCH) {
      const count = Math.min(BATCH, batch.count - from);
      let bytes = 0;
      for (let i = from; i < from + count; i++) bytes += batch.caplen[i];
      const copy = await this.pool.batch(BATCH, await this.pool.buffer(Math.max(bytes, MIN_COPY_BUFFER)));
      copyInto(batch, from, count, copy);
      this.send(copy, source.name, from === 0 ? added : null);
      this.pool.release(copy.data);
      this.pool.release(copy);
    }
  }

  /** Hashes a pool batch and sends it to every worker, each of which keeps its shard. */
  private send(batch: PacketBatch, source: string, interfaces: [number, InterfaceMeta][] | null): void {
    computeFlowHashes(batch, this.rec, this.pool.hashOf(batch));
    const comments = batch.comments ? [...batch.comments].sort((a, b) => a[0] - b[0]) : null;
    const { data, cols } = this.pool.share(batch, this.workers.length);
    for (let k = 0; k < this.workers.length; k++) {
      let buffers: ShardBatch['buffers'] = null;
      for (const slot of [data, cols]) {
        const buf = this.pool.newTo(k, slot);
        if (buf) (buffers ??= []).push([slot, buf]);
      }
      const m: ShardBatch = { type: 'batch', source, count: batch.count, data, cols, buffers, comments, interfaces };
      this.workers[k].worker.postMessage(m);
    }
  }

  /** Sources' counters (main thread) and every worker's components, added up. */
  counters(): ComponentCounters[] {
    return [...this.sources.map((s) => s.counters), ...sumCounters(this.workers.map((w) => w.counters))];
  }

  /**
   * Replaces sessions and targets in every worker, between the same two batches, or in none:
   * each worker first builds and starts the new config beside the running one; only when all
   * have done so do they switch, else all drop it and the error is reported. Sources and the
   * number of workers must be unchanged (a restart changes them); the caller validated `next`.
   * Resolves with the final counters of the replaced components, added up over the workers
   * (counters() shows the running ones only, as a single-thread pipeline does).
   */
  reload(next: BrokerConfig): Promise<ComponentCounters[]> {
    const step = this.reloading.then(() => this.reloadNow(next));
    this.reloading = step.catch(() => {});
    return step;
  }

  private async reloadNow(next: BrokerConfig): Promise<ComponentCounters[]> {
    if (this.ended) throw new Error('the run is ending');
    if (next.workers !== this.config.workers) throw new Error(`workers changed from ${this.config.workers} to ${next.workers}: restart tapwire to change the number of worker threads`);
    if (JSON.stringify(next.raw.sources) !== JSON.stringify(this.config.raw.sources)) {
      throw new Error('sources changed: a reload replaces filters, sessions, actions and targets; restart tapwire to change sources');
    }
    const prepared = await Promise.all(this.workers.map((w) => w.request({ type: 'prepare', raw: next.raw, file: next.file })));
    const errors = [...new Set(prepared.map((r) => r.error).filter((e) => e !== null))];
    // The decision reaches every worker between the same two batches: no batch goes out meanwhile.
    const decided = this.busy.then(() => this.workers.map((w) => w.request({ type: errors.length > 0 ? 'abort' : 'commit' })));
    this.busy = decided.then(() => {}, () => {});
    const replies = await Promise.all(await decided);
    if (errors.length > 0) throw new Error(errors.join('; '));
    this.config = next;
    return sumCounters(replies.map((r) => r.retired));
  }

  stop(): void {
    for (const s of this.sources) s.stop();
  }

  async close(): Promise<void> {
    this.ended = true;
    await this.busy;
    await this.reloading;
    for (const w of this.workers) if (!w.failure) w.worker.postMessage({ type: 'end' });
    await Promise.all(this.workers.map((w) => w.closed));
    const failed = this.workers.find((w) => w.failure);
    if (failed) throw failed.failure;
  }
}
