/**
 * `tapwire run CONFIG`: runs a broker config until its sources end (files) or a signal.
 * SIGHUP reloads the config (validated first; the old one keeps running on failure).
 * SIGINT/SIGTERM stop the sources; outputs are flushed and closed; a summary table of every
 * component's counters is printed on stderr.
 */
import fs from 'node:fs';
import os from 'node:os';
import { parseCommandLine } from '../args.js';
import { ExitCode, UsageError } from '../../core/errors.js';
import { loadConfig } from '../../pipeline/config.js';
import { Pipeline } from '../../pipeline/pipeline.js';
import { ShardedPipeline } from '../../pipeline/sharded.js';
import { serveMetrics } from '../../telemetry/prometheus.js';
import { RUN_HELP, VALIDATE_HELP } from '../help.js';
import { formatSummary } from '../summary.js';

function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const m = Math.floor(seconds / 60);
  return `${m}:${String(Math.floor(seconds % 60)).padStart(2, '0')}`;
}

/** Progress on a terminal for file sources: percent, packet rate and time left. */
function startProgress(pipeline: Pipeline | ShardedPipeline, enabled: boolean): () => void {
  if (!enabled || !process.stderr.isTTY) return () => {};
  const t0 = Date.now();
  const timer = setInterval(() => {
    let done = 0, total = 0, packets = 0;
    for (const s of pipeline.sources) {
      done += s.bytesRead;
      total += s.totalBytes;
      packets += s.counters.outPackets;
    }
    if (total === 0) return;
    const elapsed = (Date.now() - t0) / 1000;
    const frac = Math.min(1, done / total);
    const bar = '#'.repeat(Math.round(frac * 30)).padEnd(30, '-');
    process.stderr.write(`\r[${bar}] ${(frac * 100).toFixed(1)}% ${(packets / elapsed / 1000).toFixed(0)} kpps ETA ${formatEta(elapsed / frac - elapsed)}`);
  }, 250);
  timer.unref();
  return () => {
    clearInterval(timer);
    process.stderr.write('\r\x1b[K');
  };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('run', argv, { help: { type: 'boolean', short: 'h' }, quiet: { type: 'boolean', short: 'q' }, metrics: { type: 'string' } });
  if (values.help) {
    process.stdout.write(RUN_HELP);
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new UsageError("tapwire run needs one CONFIG file. Try 'tapwire run --help'.");
  const file = positionals[0];
  const config = loadConfig(file);
  const cores = os.availableParallelism();
  if (config.workers > 1 && config.workers >= cores && !values.quiet) {
    // Measured on 2 cores: one thread already keeps the second core busy with file writes,
    // and every worker adds its own decoding and copy costs, so 2 workers ran 1.5x slower.
    process.stderr.write(`tapwire: note: workers: ${config.workers} on ${cores} cores; the main thread and file writes need cores too, so workers pay off with more cores than workers (see docs/ARCHITECTURE.md, Sharding)\n`);
  }
  const pipeline = config.workers > 1 ? new ShardedPipeline(config) : new Pipeline(config);
  await pipeline.start();
  if (config.user !== null) {
    // Capture handles are open: the rest of the run needs no privileges.
    const { dropPrivileges } = await import('../../live/privileges.js');
    dropPrivileges(config.user);
  }
  const listen = values.metrics ? /^(.*):(\d+)$/.exec(values.metrics) : null;
  if (values.metrics && !listen) throw new UsageError('--metrics needs HOST:PORT');
  const metricsAt = listen ? { host: listen[1], port: Number(listen[2]) } : config.metrics;
  const server = metricsAt ? await serveMetrics(metricsAt.host, metricsAt.port, () => pipeline.counters()) : null;
  if (server) process.stderr.write(`tapwire: metrics at http://${metricsAt!.host}:${metricsAt!.port}/metrics\n`);

  const onHup = () => {
    try {
      const next = loadConfig(file);
      pipeline.reload(next).then(
        () => process.stderr.write(`tapwire: reloaded ${file}\n`),
        (e: Error) => process.stderr.write(`tapwire: reload refused, the running config stays: ${e.message}\n`),
      );
    } catch (e) {
      process.stderr.write(`tapwire: reload refused, the running config stays: ${(e as Error).message}\n`);
    }
  };
  const onStop = () => pipeline.stop();
  process.on('SIGHUP', onHup);
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  const stopProgress = startProgress(pipeline, !values.quiet);
  try {
    await pipeline.run();
  } finally {
    stopProgress();
    await pipeline.close();
    process.off('SIGHUP', onHup);
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
    server?.close();
  }
  if (!values.quiet) process.stderr.write(formatSummary(pipeline.counters()));
  return ExitCode.ok;
}

export async function validateCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandLine('validate', argv, { help: { type: 'boolean', short: 'h' } });
  if (values.help) {
    process.stdout.write(VALIDATE_HELP);
    return ExitCode.ok;
  }
  if (positionals.length !== 1) throw new UsageError("tapwire validate needs one CONFIG file. Try 'tapwire validate --help'.");
  if (!fs.existsSync(positionals[0])) throw new UsageError(`${positionals[0]}: no such file`);
  const config = loadConfig(positionals[0]);
  process.stdout.write(`${positionals[0]}: ok (${Object.keys(config.sources).length} sources, ${config.sessions.length} sessions, ${Object.keys(config.targets).length} targets)\n`);
  return ExitCode.ok;
}
