/**
 * Shared by the target tests: a BatchContext, slices of a fixture batch, and the reference
 * tools (tcpdump, tshark) as readers of what the targets wrote. Not a test file itself.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { PacketBatch } from '../../src/core/batch.js';
import type { ComponentCounters } from '../../src/components/counters.js';
import type { BatchContext } from '../../src/components/types.js';
import { computeFlowHashes } from '../../src/pipeline/flow-hash.js';
import { DecodeRecord } from '../../src/decode/record.js';
import { OriginTable } from '../../src/pipeline/origins.js';

export function ctxFor(opts: { nowMs?: number; flowHash?: Uint32Array | null; names?: BatchContext['interfaceInfo'] } = {}): BatchContext {
  return {
    flowHash: opts.flowHash ?? null,
    shapes: null,
    interfaceInfo: opts.names ?? ((i) => ({ name: `if${i}` })),
    origins: new OriginTable(),
    nowMs: opts.nowMs ?? Date.now(),
  };
}

/** The symmetric flow hash column of a batch, as the pipeline computes it. */
export function flowHashes(batch: PacketBatch): Uint32Array {
  const out = new Uint32Array(batch.capacity);
  computeFlowHashes(batch, new DecodeRecord(), out);
  return out;
}

/** A keep mask selecting packets [from, to). */
export function range(batch: PacketBatch, from: number, to: number): Uint8Array {
  const keep = new Uint8Array(batch.capacity);
  keep.fill(1, from, Math.min(to, batch.count));
  return keep;
}

/** Packet time of packet i in ms, as the pipeline sets ctx.nowMs on replay. */
export function timeMs(batch: PacketBatch, i: number): number {
  return batch.tsSec[i] * 1000 + batch.tsNsec[i] / 1e6;
}

export function tcpdumpRead(file: string): { count: number; stderr: string; status: number | null } {
  const r = spawnSync('tcpdump', ['-n', '-r', file, '--count'], { encoding: 'utf8' });
  return { count: Number(/(\d+) packets?/.exec(r.stdout)?.[1] ?? -1), stderr: r.stderr, status: r.status };
}

export function tshark(file: string, fields: string[], extra: string[] = []): string[][] {
  const r = spawnSync('tshark', ['-n', '-r', file, ...extra, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8', maxBuffer: 1 << 28 });
  assert.equal(r.status, 0, `tshark failed on ${file}: ${r.stderr}`);
  const text = r.stdout.trimEnd();
  return text === '' ? [] : text.split('\n').map((l) => l.split('\t'));
}

export function totalDropped(c: ComponentCounters): { packets: number; bytes: number } {
  let packets = 0;
  let bytes = 0;
  for (const v of c.dropPackets.values()) packets += v;
  for (const v of c.dropBytes.values()) bytes += v;
  return { packets, bytes };
}

/** The invariant every target keeps: in = out + dropped, in packets and in bytes. */
export function assertCountersAddUp(c: ComponentCounters): void {
  const d = totalDropped(c);
  assert.equal(c.inPackets, c.outPackets + d.packets, `${c.name}: packets in ${c.inPackets} != out ${c.outPackets} + dropped ${d.packets} (${JSON.stringify([...c.dropPackets])})`);
  assert.equal(c.inBytes, c.outBytes + d.bytes, `${c.name}: bytes in ${c.inBytes} != out ${c.outBytes} + dropped ${d.bytes}`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
