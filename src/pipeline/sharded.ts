/**
 * A pipeline spread over worker threads (`workers: N` in the config). The main thread runs
 * the sources, computes the symmetric flow hash of every packet and sends each worker the
 * packets whose hash falls to it, so both directions of a flow meet in one worker and keep
 * their order. Each worker runs every session with its own targets: file targets write one
 * file per worker (`ring.w0.pcap`, `ring.w1.pcap`, like per-thread outputs of other sensors).
 * At most a few batches per worker are in flight, so memory stays bounded and a slow worker
 * slows the sources instead of queueing without end.
 */
import { Worker } from 'node:worker_threads';
import type { PacketBatch } from '../core/batch.js';
import { ComponentCounters, sumCounters, type CountersSnapshot } from '../components/counters.js';
import { SOURCE_TYPES } from '../components/sources/index.js';
import type { Source } from '../components/sources/types.js';
import { DecodeRecord } from '../decode/record.js';
import type { BrokerConfig } from './config.js';
import { computeFlowHashes } from './flow-hash.js';
import { OriginTable, SourceInterfaces, type InterfaceMeta } from './origins.js';
import { shardBatch } from './shard-message.js';

const MAX_IN_FLIGHT = 4;

type FromWorker = { type: 'ready' } | { type: 'done'; counters: CountersSnapshot[] } | { type: 'closed'; counters: CountersSnapshot[] } | { type: 'error'; message: string };

class WorkerHandle {
  readonly worker: Worker;
  inFlight = 0;
  counters: CountersSnapshot[] = [];
  private waiters: (() => void)[] = [];
  failure: Error | null = null;
  readonly ready: Promise<void>;
  readonly closed: Promise<void>;

  constructor(config: BrokerConfig, index: number) {
    this.worker = new Worker(new URL('./worker-main.js', import.meta.url), { workerData: { raw: config.raw, file: config.file, index } });
    let ready!: () => void, closed!: () => void, fail!: (e: Error) => void;
    this.ready = new Promise((res, rej) => ((ready = res), (fail = rej)));
    this.closed = new Promise((res) => (closed = res));
    this.worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') ready();
      else if (m.type === 'done' || m.type === 'closed') {
        this.counters = m.counters;
        if (m.type === 'done') this.inFlight--;
        else closed();
        this.wake();
      } else {
        this.failure = new Error(`worker ${index}: ${m.message}`);
        fail(this.failure);
        this.wake();
      }
    });
    this.worker.on('error', (e) => {
      this.failure = e;
      fail(e);
      closed();
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once fewer than `max` batches are in flight. */
  async room(max: number): Promise<void> {
    while (this.inFlight >= max && this.failure === null) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
  }
}

export class ShardedPipeline {
  readonly sources: Source[];
  private readonly workers: WorkerHandle[];
  private readonly origins = new OriginTable();
  private readonly ifaces = new SourceInterfaces(this.origins);
  private readonly rec = new DecodeRecord();
  private hash = new Uint32Array(0);
  private shard = new Uint8Array(0);
  private busy: Promise<void> = Promise.resolve();

  constructor(readonly config: BrokerConfig) {
    this.sources = Object.entries(config.sources).map(([name, o]) => SOURCE_TYPES[o.type as string].create(name, o, config.baseDir));
    for (const s of this.sources) if (s.sharedBuffers !== undefined) s.sharedBuffers = true;
    this.workers = Array.from({ length: config.workers }, (_, k) => new WorkerHandle(config, k));
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
    const added: [number, InterfaceMeta][] = this.ifaces.added.splice(0).map((id) => [id, this.origins.get(id)!]);
    if (this.hash.length < batch.count) {
      this.hash = new Uint32Array(batch.capacity);
      this.shard = new Uint8Array(batch.capacity);
    }
    computeFlowHashes(batch, this.rec, this.hash);
    const n = this.workers.length;
    const counts = new Array<number>(n).fill(0);
    const bytes = new Array<number>(n).fill(0);
    for (let i = 0; i < batch.count; i++) {
      const k = this.hash[i] % n;
      this.shard[i] = k;
      counts[k]++;
      bytes[k] += batch.caplen[i];
    }
    for (let k = 0; k < n; k++) {
      // New interfaces go to every worker, with or without packets this time.
      if (counts[k] === 0 && added.length === 0) continue;
      const w = this.workers[k];
      await w.room(MAX_IN_FLIGHT);
      const { message, transfer } = shardBatch(batch, this.hash, this.shard, k, counts[k], bytes[k], source.name, added);
      w.inFlight++;
      w.worker.postMessage(message, transfer);
    }
  }

  /** Sources' counters (main thread) and every worker's components, added up. */
  counters(): ComponentCounters[] {
    return [...this.sources.map((s) => s.counters), ...sumCounters(this.workers.map((w) => w.counters))];
  }

  async reload(): Promise<void> {
    throw new Error('reload is not available with workers > 1 yet: restart tapwire to change the config');
  }

  stop(): void {
    for (const s of this.sources) s.stop();
  }

  async close(): Promise<void> {
    await this.busy;
    for (const w of this.workers) {
      await w.room(1);
      w.worker.postMessage({ type: 'end' });
    }
    await Promise.all(this.workers.map((w) => w.closed));
    const failed = this.workers.find((w) => w.failure);
    if (failed) throw failed.failure;
  }
}
