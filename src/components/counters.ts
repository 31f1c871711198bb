/**
 * Every component counts packets and bytes in, out and dropped, each drop with its reason
 * (Vector's component spec). Counters are bumped once per batch, never per packet.
 * Invariant checked by tests: in = out + dropped (for components that neither duplicate nor
 * create packets).
 */
export const DropReason = {
  filter: 'filter',
  dedupe: 'dedupe',
  sample: 'sample',
  rate_limit: 'rate_limit',
  queue_full: 'queue_full',
  target_down: 'target_down',
  truncated: 'truncated',
  linktype: 'linktype',
  error: 'error',
} as const;
export type DropReasonName = (typeof DropReason)[keyof typeof DropReason];

export class ComponentCounters {
  inPackets = 0;
  inBytes = 0;
  outPackets = 0;
  outBytes = 0;
  readonly dropPackets = new Map<string, number>();
  readonly dropBytes = new Map<string, number>();
  /** Operational errors (write failures, socket errors), by kind; not packet drops. */
  readonly errors = new Map<string, number>();

  constructor(readonly kind: 'source' | 'session' | 'action' | 'target', readonly name: string, readonly type: string) {}

  in(packets: number, bytes: number): void {
    this.inPackets += packets;
    this.inBytes += bytes;
  }

  out(packets: number, bytes: number): void {
    this.outPackets += packets;
    this.outBytes += bytes;
  }

  drop(reason: string, packets: number, bytes: number): void {
    if (packets === 0) return;
    this.dropPackets.set(reason, (this.dropPackets.get(reason) ?? 0) + packets);
    this.dropBytes.set(reason, (this.dropBytes.get(reason) ?? 0) + bytes);
  }

  error(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  get droppedPackets(): number {
    let n = 0;
    for (const v of this.dropPackets.values()) n += v;
    return n;
  }
}

/** A plain copy of a component's counters, to send between threads and add up. */
export interface CountersSnapshot {
  kind: ComponentCounters['kind'];
  name: string;
  type: string;
  inPackets: number;
  inBytes: number;
  outPackets: number;
  outBytes: number;
  dropPackets: [string, number][];
  dropBytes: [string, number][];
  errors: [string, number][];
}

export function snapshotCounters(c: ComponentCounters): CountersSnapshot {
  return {
    kind: c.kind,
    name: c.name,
    type: c.type,
    inPackets: c.inPackets,
    inBytes: c.inBytes,
    outPackets: c.outPackets,
    outBytes: c.outBytes,
    dropPackets: [...c.dropPackets],
    dropBytes: [...c.dropBytes],
    errors: [...c.errors],
  };
}

/** Adds up the same components of several workers (matched by kind and name). */
export function sumCounters(snapshots: CountersSnapshot[][]): ComponentCounters[] {
  const out = new Map<string, ComponentCounters>();
  for (const list of snapshots) {
    for (const s of list) {
      const key = `${s.kind}:${s.name}`;
      let c = out.get(key);
      if (!c) out.set(key, (c = new ComponentCounters(s.kind, s.name, s.type)));
      c.in(s.inPackets, s.inBytes);
      c.out(s.outPackets, s.outBytes);
      for (const [r, v] of s.dropPackets) c.dropPackets.set(r, (c.dropPackets.get(r) ?? 0) + v);
      for (const [r, v] of s.dropBytes) c.dropBytes.set(r, (c.dropBytes.get(r) ?? 0) + v);
      for (const [r, v] of s.errors) c.errors.set(r, (c.errors.get(r) ?? 0) + v);
    }
  }
  return [...out.values()];
}
