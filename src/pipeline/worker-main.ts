/**
 * Entry point of a worker thread of a sharded pipeline: builds the same sessions and
 * targets as the config (writing its own files), then processes its shard of every batch the
 * main thread sends, in order, copying its packets out of the shared pool (see ShardCopy).
 *
 * A reload comes in two steps (see sharded.ts): `prepare` builds and starts a whole new
 * pipeline beside the running one, `commit` switches to it between two batches and closes
 * the old one, `abort` drops it. So a config that one worker cannot start is dropped by all.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { snapshotCounters, type CountersSnapshot } from '../components/counters.js';
import { PoolView, type PoolLayout } from './batch-pool.js';
import { validateConfig } from './config.js';
import type { InterfaceMeta } from './origins.js';
import { Pipeline } from './pipeline.js';
import { ShardCopy, type FromWorker, type ReloadStep, type ShardBatch, type ToWorker } from './shard-message.js';

const { raw, file, index, workers, pool } = workerData as { raw: unknown; file: string; index: number; workers: number; pool: PoolLayout };
const port = parentPort!;
/** Counters go to the main thread (for /metrics) at most this often while batches flow. */
const REPORT_MS = 250;

const post = (m: FromWorker) => port.postMessage(m);
const snapshot = (p: Pipeline) => p.counters().map(snapshotCounters);

async function main(): Promise<void> {
  let pipeline = new Pipeline(validateConfig(raw, file), index);
  await pipeline.start();
  let standby: Pipeline | null = null;
  /** Every interface the main thread defined: a reloaded pipeline needs them all. */
  const interfaces: [number, InterfaceMeta][] = [];
  const view = new PoolView(pool);
  const shard = new ShardCopy(pool.capacity);
  let reported = performance.now();

  const onBatch = async (m: ShardBatch) => {
    if (m.buffers) for (const [slot, buf] of m.buffers) view.install(slot, buf);
    if (m.interfaces) for (const d of m.interfaces) {
      interfaces.push(d);
      pipeline.origins.define(d[0], d[1]);
      standby?.origins.define(d[0], d[1]); // announced once: a prepared reload needs it too
    }
    const src = view.batch(m.data, m.cols, m.count);
    shard.take(src.batch, src.hash, index, workers, m.comments);
    view.release(m.data, m.cols);
    if (shard.batch.count > 0) await pipeline.dispatch(shard.batch, m.source, shard.hash);
    if (performance.now() - reported >= REPORT_MS) {
      reported = performance.now();
      post({ type: 'counters', counters: snapshot(pipeline) });
    }
  };

  const onReload = async (m: ReloadStep) => {
    let error: string | null = null;
    let retired: CountersSnapshot[] = [];
    if (m.type === 'prepare') {
      let next: Pipeline | null = null;
      try {
        next = new Pipeline(validateConfig(m.raw, m.file), index);
        for (const [id, meta] of interfaces) next.origins.define(id, meta);
        next.ctx.nowMs = pipeline.ctx.nowMs;
        await next.start();
        standby = next;
      } catch (e) {
        error = (e as Error).message;
        await next?.discard();
      }
    } else if (m.type === 'commit' && standby !== null) {
      const old = pipeline;
      pipeline = standby;
      standby = null;
      const components = old.counters();
      await old.close();
      retired = components.map(snapshotCounters);
    } else if (standby !== null) {
      await standby.discard();
      standby = null;
    }
    post({ type: 'reply', error, counters: snapshot(pipeline), retired });
  };

  // Messages are handled strictly one after another: a flow's packets keep their order.
  let chain = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    chain = chain.then(async () => {
      if (m.type === 'batch') return onBatch(m);
      if (m.type !== 'end') return onReload(m);
      await standby?.discard();
      await pipeline.close();
      post({ type: 'closed', counters: snapshot(pipeline) });
      port.close();
    }).catch((e: Error) => post({ type: 'error', message: e.stack ?? e.message }));
  });
  post({ type: 'ready', counters: snapshot(pipeline) });
}

main().catch((e: Error) => post({ type: 'error', message: e.stack ?? e.message }));
