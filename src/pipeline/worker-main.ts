/**
 * Entry point of a worker thread of a sharded pipeline: builds the same sessions and
 * targets as the config (writing its own files), then processes the shards the main thread
 * sends, in order, and reports its counters.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { snapshotCounters } from '../components/counters.js';
import { validateConfig } from './config.js';
import { Pipeline } from './pipeline.js';
import { batchOf, type ToWorker } from './shard-message.js';

const { raw, file, index } = workerData as { raw: unknown; file: string; index: number };
const port = parentPort!;

async function main(): Promise<void> {
  const pipeline = new Pipeline(validateConfig(raw, file), index);
  await pipeline.start();
  const counters = () => pipeline.counters().map(snapshotCounters);
  // Messages are handled strictly one after another: a flow's packets keep their order.
  let chain = Promise.resolve();
  port.on('message', (m: ToWorker) => {
    chain = chain.then(async () => {
      if (m.type === 'end') {
        await pipeline.close();
        port.postMessage({ type: 'closed', counters: counters() });
        port.close();
        return;
      }
      for (const [id, meta] of m.interfaces) pipeline.origins.define(id, meta);
      await pipeline.dispatch(batchOf(m), m.source, m.hash);
      port.postMessage({ type: 'done', counters: counters() });
    }).catch((e: Error) => port.postMessage({ type: 'error', message: e.stack ?? e.message }));
  });
  port.postMessage({ type: 'ready' });
}

main().catch((e: Error) => port.postMessage({ type: 'error', message: e.stack ?? e.message }));
