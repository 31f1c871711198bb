/**
 * Shared test helpers: where the repository, its fixtures and the optional team corpus are,
 * and a way to run the built CLI as a user would.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PacketBatch } from '../src/core/batch.js';
import { loadCaptureSync } from '../src/formats/index.js';

/** The repository root (tests run from dist/test/..., compiled by tsc). */
export const repoRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
})();

export function fixture(...parts: string[]): string {
  return path.join(repoRoot, 'test', 'fixtures', ...parts);
}

/** The team corpus beside the repository, when present: tests may then check more. */
export function corpusDir(): string | null {
  const dir = path.resolve(repoRoot, '..', 'shared', 'corpus');
  return fs.existsSync(path.join(dir, 'MANIFEST.tsv')) ? dir : null;
}

export const cliPath = path.join(repoRoot, 'dist', 'src', 'cli', 'main.js');

export function runCli(args: string[], opts: { input?: Uint8Array | string; encoding?: 'buffer' } = {}): SpawnSyncReturns<Buffer> {
  return spawnSync(process.execPath, [cliPath, ...args], { input: opts.input, maxBuffer: 1 << 30, cwd: repoRoot });
}

/** True when an external tool (tcpdump, tshark, nfcapd...) is on the PATH. */
export function hasTool(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
}

/** A fresh temporary directory, removed by the caller with fs.rmSync(dir, {recursive:true}). */
export function tempDir(prefix = 'tapwire-test-'): string {
  return fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', prefix));
}

/** Every file under dir whose name matches re, sorted. */
export function walkFiles(dir: string, re: RegExp, acc: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walkFiles(p, re, acc);
    else if (re.test(e.name)) acc.push(p);
  }
  return acc;
}

/** Every capture under test/fixtures, loaded (files that are not captures, e.g. fuzzed headers, are passed over). */
export function* fixtureCaptures(): Generator<{ file: string; batch: PacketBatch }> {
  for (const file of walkFiles(fixture(), /\.(pcap|pcapng)$/)) {
    let batch: PacketBatch;
    try {
      batch = loadCaptureSync(file).batch;
    } catch {
      continue;
    }
    yield { file, batch };
  }
}

/** mulberry32: a small, fast, deterministic random source in [0, 1), so fuzz runs repeat. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
