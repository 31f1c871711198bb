/**
 * Protocol hierarchy statistics in the manner of `tshark -qz io,phs`: frames and bytes per
 * protocol path, printed as an indented tree, followed by anomaly counts per reason.
 *
 * `add` is on the per-packet path, so it allocates nothing: the path is written as name
 * codes into a scratch array (protocol-path.ts) and walked through a trie kept in typed
 * arrays (child table indexed by node * NAME_COUNT + code). The tables grow by doubling,
 * which happens a handful of times per run at most.
 */
import type { PacketBatch } from '../core/batch.js';
import { AnomalyCounters } from './anomalies.js';
import { DecodeRecord } from './record.js';
import { MAX_PATH, PROTO_NAMES, fillProtocolPath } from './protocol-path.js';

const NAME_COUNT = PROTO_NAMES.length;

export class ProtocolStats {
  private capacity = 256;
  /** children[node * NAME_COUNT + code] = child node id, 0 = none (node 0 is the root). */
  private children = new Int32Array(this.capacity * NAME_COUNT);
  private frames = new Float64Array(this.capacity);
  private bytes = new Float64Array(this.capacity);
  private nameOf = new Uint16Array(this.capacity);
  private nodes = 1;
  private readonly path = new Uint16Array(MAX_PATH);
  readonly anomalies = new AnomalyCounters();

  add(batch: PacketBatch, i: number, rec: DecodeRecord): void {
    const n = fillProtocolPath(batch, i, rec, this.path);
    let node = 0;
    for (let k = 0; k < n; k++) {
      const code = this.path[k];
      let child = this.children[node * NAME_COUNT + code];
      if (child === 0) child = this.newNode(node, code);
      node = child;
    }
    // Only the node where the path ends is counted; totals of the inner nodes are summed
    // when printing (one counter update per packet instead of one per protocol).
    this.frames[node]++;
    this.bytes[node] += batch.wirelen[i];
    if (rec.anomaly !== 0) this.anomalies.add(rec.anomaly);
  }

  /** Frames and bytes of every node including its subtree (computed for printing). */
  private totals(): { frames: Float64Array; bytes: Float64Array } {
    const frames = this.frames.slice(0, this.nodes);
    const bytes = this.bytes.slice(0, this.nodes);
    // Children always have larger ids than their parent: fold from the last node up.
    const parent = new Int32Array(this.nodes);
    for (let p = 0; p < this.nodes; p++) {
      for (let code = 0; code < NAME_COUNT; code++) {
        const c = this.children[p * NAME_COUNT + code];
        if (c !== 0) parent[c] = p;
      }
    }
    for (let c = this.nodes - 1; c > 0; c--) {
      frames[parent[c]] += frames[c];
      bytes[parent[c]] += bytes[c];
    }
    return { frames, bytes };
  }

  private newNode(parent: number, code: number): number {
    if (this.nodes === this.capacity) this.grow();
    const id = this.nodes++;
    this.nameOf[id] = code;
    this.children[parent * NAME_COUNT + code] = id;
    return id;
  }

  private grow(): void {
    const cap = this.capacity * 2;
    const c = new Int32Array(cap * NAME_COUNT);
    c.set(this.children);
    this.children = c;
    const f = new Float64Array(cap);
    f.set(this.frames);
    this.frames = f;
    const b = new Float64Array(cap);
    b.set(this.bytes);
    this.bytes = b;
    const nm = new Uint16Array(cap);
    nm.set(this.nameOf);
    this.nameOf = nm;
    this.capacity = cap;
  }

  /** Frames counted under a protocol path such as `eth:ethertype:ip` (tests, summaries). */
  framesAt(path: string): number {
    const { frames } = this.totals();
    let node = 0;
    if (path !== '') {
      for (const name of path.split(':')) {
        const code = PROTO_NAMES.indexOf(name as (typeof PROTO_NAMES)[number]);
        if (code < 0) return 0;
        node = this.children[node * NAME_COUNT + code];
        if (node === 0) return 0;
      }
    }
    return frames[node];
  }

  format(): string {
    const { frames, bytes } = this.totals();
    const bar = '='.repeat(67);
    const lines: string[] = [bar, 'Protocol Hierarchy Statistics', 'Filter: ', ''];
    const walk = (node: number, depth: number): void => {
      // Children in first-seen order (node ids grow with time), like tshark's tree.
      const kids: number[] = [];
      for (let code = 0; code < NAME_COUNT; code++) {
        const c = this.children[node * NAME_COUNT + code];
        if (c !== 0) kids.push(c);
      }
      kids.sort((a, b) => a - b);
      for (const c of kids) {
        const label = ' '.repeat(depth * 2) + PROTO_NAMES[this.nameOf[c]];
        lines.push(`${label.padEnd(40)} frames:${frames[c]} bytes:${bytes[c]}`);
        walk(c, depth + 1);
      }
    };
    lines.push(`${'frame'.padEnd(40)} frames:${frames[0]} bytes:${bytes[0]}`);
    walk(0, 1);
    lines.push(bar);
    const entries = this.anomalies.entries();
    lines.push(`Anomalies: ${this.anomalies.total()} packets stopped decoding early`);
    for (const e of entries) lines.push(`  ${e.name.padEnd(38)} ${e.count}`);
    lines.push(bar);
    return lines.join('\n') + '\n';
  }
}
