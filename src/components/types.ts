/**
 * The four kinds of component (see docs/ARCHITECTURE.md): sources produce batches,
 * actions edit or drop packets of a session's batch, targets consume batches, analyzers read
 * batches and emit records. Types are snake_case names in the config (`pcap_file`, `dedupe`).
 */
import type { PacketBatch } from '../core/batch.js';
import type { ComponentCounters } from './counters.js';
import type { OriginTable } from '../pipeline/origins.js';
import type { PacketShapes } from '../pipeline/packet-shapes.js';

/** What a target or action may need to know about the packets beyond their bytes. */
export interface BatchContext {
  /** Symmetric flow hash of each packet (both directions equal), or null when not computed. */
  flowHash: Uint32Array | null;
  /** Decoded header positions of each packet (packet-shapes.ts), or null: decode yourself. */
  shapes: PacketShapes | null;
  /**
   * Describes interface `iface` of the batch: name and origin identity for pcapng IDBs, and
   * the timestamp resolution its source records (6 = µs, 9 = ns), for pcap output.
   */
  interfaceInfo(iface: number, linktype: number): { name?: string; description?: string; tsResolution?: number };
  /** The pipeline's interface table (source interfaces and origins found by `strip`). */
  origins: OriginTable;
  /** Wall-clock "now", epoch ms, for file rotation and names: the packet time of the batch (replays keep their recorded time). */
  nowMs: number;
}

export interface Target {
  readonly name: string;
  readonly type: string;
  readonly counters: ComponentCounters;
  /** False while the target cannot take packets (e.g. no client, socket closed): `balance` skips it. */
  readonly up: boolean;
  /** Opens files and sockets; errors here are configuration/operational errors. */
  start(): Promise<void>;
  /**
   * Takes the packets of `batch` whose `keep[i]` is non-zero (all when keep is null).
   * Must not hold on to the batch's bytes after resolving (copy what it queues).
   */
  write(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext): Promise<void>;
  /** Flushes and closes; after it, files are complete and sockets closed. */
  close(): Promise<void>;
  /**
   * Closes a target of a reload that was dropped: it never became active, so it leaves
   * nothing behind (no idle file, no on_close run) and gives back what it took over from the
   * running target. Without it, close() is used.
   */
  discard?(): Promise<void>;
}

/** A session action: edits packets in place or clears `keep[i]` to drop them (counting why). */
export interface Action {
  readonly name: string;
  readonly type: string;
  readonly counters: ComponentCounters;
  /** True when it rewrites packet bytes (the session then works on its own copy of them). */
  readonly modifiesBytes: boolean;
  /** True when it changes a packet's columns (offset, length, link type, interface). */
  readonly editsColumns: boolean;
  /** True when it reads ctx.shapes: the pipeline then decodes each packet once for all. */
  readonly readsShapes?: boolean;
  apply(batch: PacketBatch, keep: Uint8Array, ctx: BatchContext): void;
}
