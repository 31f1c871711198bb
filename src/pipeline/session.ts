/**
 * A session: sources -> filter -> actions (in order) -> targets. It selects the packets of a
 * source batch that its filter accepts, works on its own copy of them (SessionBatch), lets
 * each action edit or drop, then hands what is left to its targets (or, with `balance`, to
 * one target of the group per flow). A session that takes a whole batch and whose actions
 * only drop packets (dedupe, sample, rate_limit, balance) works on the source batch itself:
 * nothing of it changes, so the copy would be wasted.
 */
import type { PacketBatch } from '../core/batch.js';
import { ComponentCounters, DropReason } from '../components/counters.js';
import { ACTION_TYPES } from '../components/actions/index.js';
import { BalanceAction } from '../components/actions/balance.js';
import type { Action, BatchContext, Target } from '../components/types.js';
import { FilterByLinktype } from '../filter/by-linktype.js';
import type { SessionSpec } from './config.js';
import { SessionBatch } from './session-batch.js';

export class Session {
  readonly number: number;
  readonly name: string;
  /** Sources whose every packet the session sees. */
  private readonly wholeSources: ReadonlySet<string>;
  /** `source:origin` entries: only packets of those origins (e.g. one VNI of a mirror). */
  private readonly originNames: ReadonlySet<string>;
  private readonly originSources: ReadonlySet<string>;
  /** Per pipeline interface id: 0 unknown, 1 taken, 2 not taken (names resolved once). */
  private ifaceVerdict = new Uint8Array(64);
  readonly counters: ComponentCounters;
  readonly actions: Action[];
  readonly targets: Target[];
  readonly balance: BalanceAction | null;
  readonly needsFlowHash: boolean;
  /** Whether an action reads decoded header positions (ctx.shapes). */
  readonly needsShapes: boolean;
  private readonly filter: FilterByLinktype | null;
  private sel = new Uint8Array(0);
  private keep = new Uint8Array(0);
  private readonly work: SessionBatch;
  /** Whether an action edits bytes or columns: else a whole source batch needs no copy. */
  private readonly copies: boolean;
  private readonly ctxView: BatchContext;

  constructor(spec: SessionSpec, targets: Map<string, Target>, ctx: BatchContext) {
    this.number = spec.number;
    this.name = spec.name;
    this.wholeSources = new Set(spec.sources.filter((n) => !n.includes(':')));
    this.originNames = new Set(spec.sources.filter((n) => n.includes(':')));
    this.originSources = new Set([...this.originNames].map((n) => n.slice(0, n.indexOf(':'))));
    this.counters = new ComponentCounters('session', spec.name, 'session');
    this.filter = spec.filter ? new FilterByLinktype(spec.filter.expression) : null;
    this.targets = spec.targets.map((t) => targets.get(t)!);
    this.actions = [];
    let balance: BalanceAction | null = null;
    let needsHash = this.targets.some((t) => t.type === 'vxlan' || t.type === 'geneve');
    spec.actions.forEach((a, j) => {
      const type = a.type as string;
      const name = (a.name as string | undefined) ?? `${spec.name}.${type}${j}`;
      if (type === 'balance') {
        balance = new BalanceAction(name, this.targets);
        this.actions.push(balance);
        needsHash = true;
      } else {
        const t = ACTION_TYPES[type];
        this.actions.push(t.create(name, a));
        if (t.needsFlowHash?.(a)) needsHash = true;
      }
    });
    this.balance = balance;
    this.needsFlowHash = needsHash;
    this.needsShapes = this.actions.some((a) => a.readsShapes === true);
    this.work = new SessionBatch(8192, this.actions.some((a) => a.modifiesBytes));
    this.copies = this.actions.some((a) => a.modifiesBytes || a.editsColumns);
    // The session's own context: same pipeline services, its own flow-hash column.
    this.ctxView = Object.create(ctx) as BatchContext;
  }

  /** True when the session takes packets from this source (all of them or some origins). */
  wants(source: string): boolean {
    return this.wholeSources.has(source) || this.originSources.has(source);
  }

  /** Whether a packet of pipeline interface `iface` belongs to a named origin of the session. */
  private takesIface(iface: number, ctx: BatchContext): boolean {
    if (iface >= this.ifaceVerdict.length) {
      const bigger = new Uint8Array(Math.max(iface + 1, this.ifaceVerdict.length * 2));
      bigger.set(this.ifaceVerdict);
      this.ifaceVerdict = bigger;
    }
    let v = this.ifaceVerdict[iface];
    if (v === 0) {
      v = this.originNames.has(ctx.interfaceInfo(iface, 0).name ?? '') ? 1 : 2;
      this.ifaceVerdict[iface] = v;
    }
    return v === 1;
  }

  /**
   * Processes the packets of `src` this session may see (`claimed[i]` set means an earlier
   * session took the packet in first-match mode); marks the packets it takes in `claimed`.
   */
  async process(src: PacketBatch, source: string, flowHash: Uint32Array | null, claimed: Uint8Array | null, ctx: BatchContext): Promise<void> {
    const byOrigin = !this.wholeSources.has(source);
    if (this.sel.length < src.count) {
      this.sel = new Uint8Array(src.capacity);
      this.keep = new Uint8Array(src.capacity);
    }
    const sel = this.sel;
    let inPackets = 0, inBytes = 0, selected = 0, selBytes = 0;
    if (!byOrigin && claimed === null && this.filter === null) {
      // Every packet of the source, unfiltered: nothing to decide packet by packet.
      for (let i = 0; i < src.count; i++) inBytes += src.caplen[i];
      sel.fill(1, 0, src.count);
      inPackets = selected = src.count;
      selBytes = inBytes;
    } else for (let i = 0; i < src.count; i++) {
      if ((claimed !== null && claimed[i]) || (byOrigin && !this.takesIface(src.iface[i], ctx))) {
        sel[i] = 0;
        continue;
      }
      inPackets++;
      inBytes += src.caplen[i];
      const f = this.filter;
      const pass = f === null || f.get(src.linktype[i]).match(src.data, src.view, src.offset[i], src.caplen[i], src.wirelen[i]);
      sel[i] = pass ? 1 : 0;
      if (pass) {
        selected++;
        selBytes += src.caplen[i];
        if (claimed !== null) claimed[i] = 1;
      }
    }
    this.counters.in(inPackets, inBytes);
    this.counters.drop(DropReason.filter, inPackets - selected, inBytes - selBytes);
    if (selected === 0) return;
    const c = this.ctxView;
    c.nowMs = ctx.nowMs;
    let batch = src;
    let n = src.count;
    c.flowHash = flowHash;
    c.shapes = ctx.shapes;
    if (selected < src.count || this.copies) {
      n = this.work.select(src, sel, flowHash, ctx.shapes);
      batch = this.work.batch;
      c.flowHash = flowHash !== null ? this.work.flowHash : null;
      c.shapes = ctx.shapes !== null ? this.work.shapes : null;
    }
    const keep = this.keep;
    keep.fill(1, 0, n);
    for (const a of this.actions) {
      a.apply(batch, keep, c);
      if (a.editsColumns) c.shapes = null; // positions moved: later actions decode themselves
    }
    let outPackets = 0, outBytes = 0;
    for (let i = 0; i < n; i++) if (keep[i]) {
      outPackets++;
      outBytes += batch.caplen[i];
    }
    // Each action counts its drops by reason; the session reports them together.
    this.counters.out(outPackets, outBytes);
    this.counters.drop('actions', selected - outPackets, selBytes - outBytes);
    if (outPackets === 0) return;
    if (this.balance !== null) {
      const choice = this.balance.choice;
      for (let t = 0; t < this.targets.length; t++) {
        const mask = sel; // reuse: the source selection is no longer needed
        let any = false;
        for (let i = 0; i < n; i++) {
          mask[i] = keep[i] && choice[i] === t ? 1 : 0;
          if (mask[i]) any = true;
        }
        if (any) await this.targets[t].write(batch, mask, c);
      }
    } else {
      for (const t of this.targets) await t.write(batch, keep, c);
    }
  }
}
