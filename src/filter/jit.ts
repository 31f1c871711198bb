/**
 * Turns the predicate tree into one JavaScript function over the raw bytes, compiled once with
 * `new Function` (our equivalent of the kernel's BPF JIT). The generated code allocates nothing:
 * loads are inlined, temporaries are locals, and an out-of-range load only sets a flag (`bad`)
 * that makes the function return false, which is exactly BPF's "abort and reject" since
 * nothing evaluated afterwards can make a rejected packet accepted again.
 */
import { type Bool, type Val, balance } from './ir.js';

export type MatchFn = (data: Uint8Array, view: DataView, off: number, caplen: number, wirelen: number) => boolean;

/** Loads at a constant offset used at least this often are read once, at function entry. */
const HOIST_MIN_USES = 2;
const HOIST_MAX = 64;

class Emitter {
  temps = 0;
  maxReg = -1;
  /** "size:offset" -> local name, for hoisted constant-offset loads. */
  readonly hoisted = new Map<string, string>();

  /** End of the furthest hoisted load: packets at least this long need no checks on them. */
  readonly hoistEnd: number = 0;

  /** What an out-of-range load does: BPF's reject, or (lenient) read as 0 and go on. */
  private readonly oob: string;

  /** `safe`: the code runs only when caplen >= hoistEnd, so hoisted loads need no check. */
  constructor(counts: Map<string, number>, private readonly safe: boolean, lenient = false) {
    this.oob = lenient ? '0' : '(bad = 1, 0)';
    let end = 0;
    for (const [key, n] of counts) {
      if (n >= HOIST_MIN_USES && this.hoisted.size < HOIST_MAX) {
        this.hoisted.set(key, `L${this.hoisted.size}`);
        const [size, o] = key.split(':').map(Number) as [number, number];
        end = Math.max(end, o + size);
      }
    }
    this.hoistEnd = end;
  }

  /** The hoisted loads: -1 marks "past caplen", which a use turns into BPF's reject. */
  prelude(): string {
    const lines: string[] = [];
    for (const [key, name] of this.hoisted) {
      const [size, o] = key.split(':').map(Number) as [number, number];
      lines.push(this.safe ? `const ${name} = ${readAt(size, String(o))};` : `const ${name} = ${o + size} <= caplen ? ${readAt(size, String(o))} : -1;`);
    }
    return lines.join('\n');
  }

  private temp(): string { return `t${this.temps++}`; }

  val(v: Val): string {
    switch (v.k) {
      case 'k': return v.v > 255 ? `0x${v.v.toString(16)}` : String(v.v);
      case 'len': return 'wirelen';
      case 'reg': this.maxReg = Math.max(this.maxReg, v.r); return `r${v.r}`;
      case 'ld': return this.load(v.size, v.at);
      case 'neg': return `((-${this.val(v.a)}) >>> 0)`;
      case 'bin': {
        const a = this.val(v.a), b = this.val(v.b);
        switch (v.op) {
          case '+': return `((${a} + ${b}) >>> 0)`;
          case '-': return `((${a} - ${b}) >>> 0)`;
          case '*': return `(Math.imul(${a}, ${b}) >>> 0)`;
          case '/': case '%': {
            const t = this.temp();
            return `((${t} = ${b}) === 0 ? (bad = 1, 0) : ((${a} ${v.op} ${t}) >>> 0))`;
          }
          case '&': return `((${a} & ${b}) >>> 0)`;
          case '|': return `((${a} | ${b}) >>> 0)`;
          case '^': return `((${a} ^ ${b}) >>> 0)`;
          case '<<': return `((${a} << ${b}) >>> 0)`;
          case '>>': return `(${a} >>> ${b})`;
        }
        throw new Error(`unknown operator ${v.op}`);
      }
    }
  }

  private load(size: number, at: Val): string {
    const read = (o: string): string => readAt(size, o);
    if (at.k === 'k') {
      const o = at.v;
      const h = this.hoisted.get(`${size}:${o}`);
      if (h !== undefined) return this.safe ? h : `(${h} >= 0 ? ${h} : ${this.oob})`;
      return `(${o + size} <= caplen ? ${read(String(o))} : ${this.oob})`;
    }
    const t = this.temp();
    return `((${t} = ${this.val(at)}) + ${size} <= caplen ? ${read(t)} : ${this.oob})`;
  }

  /** True when evaluating b can neither fail (out-of-range, division) nor assign anything. */
  private pure(b: Bool): boolean {
    const val = (v: Val): boolean => {
      switch (v.k) {
        case 'k': case 'len': return true;
        case 'ld': return v.at.k === 'k' && this.hoisted.has(`${v.size}:${v.at.v}`);
        case 'bin': return v.op !== '/' && v.op !== '%' && val(v.a) && val(v.b);
        case 'neg': return val(v.a);
        default: return false;
      }
    };
    switch (b.k) {
      case 'true': case 'false': return true;
      case 'and': case 'or': return this.pure(b.a) && this.pure(b.b);
      case 'not': return this.pure(b.a);
      case 'cmp': return val(b.a) && val(b.b);
      default: return false;
    }
  }

  bool(b: Bool): string {
    switch (b.k) {
      case 'true': return 'true';
      case 'false': return 'false';
      case 'and': return `(${this.bool(b.a)} && ${this.bool(b.b)})`;
      case 'or':
        // In the fast copy a pure `or` chain may be regrouped freely (no test can fail or
        // assign): `ip and src X or ip and dst X or arp and ...` tests the type once per group.
        if (this.safe && this.pure(b)) return `(${flat(factorOr(b), 'or').map((t) => this.bool(t)).join(' || ')})`;
        return `(${this.bool(b.a)} || ${this.bool(b.b)})`;
      case 'not': return `!${this.bool(b.a)}`;
      case 'if': return `(${this.bool(b.c)} ? ${this.bool(b.a)} : ${this.bool(b.b)})`;
      case 'set': this.maxReg = Math.max(this.maxReg, b.r); return `((r${b.r} = ${this.val(b.v)}), true)`;
      case 'cmp': {
        const a = this.val(b.a), c = this.val(b.b);
        switch (b.op) {
          case 'jeq': return `(${a} === ${c})`;
          case 'jgt': return `(${a} > ${c})`;
          case 'jge': return `(${a} >= ${c})`;
          case 'jset': return `((${a} & ${c}) !== 0)`;
        }
      }
      // falls through (unreachable: every cmp op returns)
      case 'protochain': {
        if (b.k !== 'protochain') throw new Error('unreachable');
        const t = this.temp();
        return `((${t} = protochain(data, off, caplen, ${this.val(b.nl)}, ${b.v6}, ${b.proto})) < 0 ? (bad = 1, false) : ${t} === 1)`;
      }
    }
  }
}

/**
 * The header walk of gencode.c's gen_protochain, as the BPF it emits behaves (including its
 * quirk that an AH header sets the offset to (len + 2) * 4 without adding the previous one).
 * Returns 1 (found), 0 (not found) or -1 (a read past caplen: BPF rejects the packet).
 */
function protochain(data: Uint8Array, off: number, caplen: number, nl: number, v6: boolean, proto: number): number {
  const u8 = (o: number): number => (o + 1 <= caplen ? data[off + o]! : -1);
  let p = u8(nl + (v6 ? 6 : 9));
  let x: number;
  if (v6) x = 40;
  else { const h = u8(nl); if (h < 0) return -1; x = (h & 0xf) * 4; }
  for (let guard = 0; guard < 4096; guard++) {
    if (p < 0) return -1;
    if (p === proto) return 1;
    if (p === 59) return 0;
    if (v6 && (p === 0 || p === 60 || p === 43 || p === 44)) {
      const np = u8(nl + x), len = u8(nl + x + 1);
      if (np < 0 || len < 0) return -1;
      x = (x + (len + 1) * 8) >>> 0;
      p = np;
      continue;
    }
    if (p === 51) {
      const np = u8(nl + x), len = u8(nl + x + 1);
      if (np < 0 || len < 0) return -1;
      x = ((len + 2) * 4) >>> 0;
      p = np;
      continue;
    }
    return 0;
  }
  return -1;
}

/** The operands of a chain of one operator, left to right (iterative: chains can be long). */
const flat = (b: Bool, k: 'and' | 'or'): Bool[] => {
  const out: Bool[] = [];
  const stack: Bool[] = [b];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.k === k) stack.push(x.b, x.a); else out.push(x);
  }
  return out;
};
/** The operands joined again, as a balanced tree (same order). */
const chain = (items: Bool[], k: 'and' | 'or'): Bool => balance(items.reduce((a, b) => ({ k, a, b })));

/**
 * Regroups a pure `or` chain by the first test of each term, keeping the order in which
 * groups first appear: (A and x) or (A and y) or (B and z) -> (A and (x or y)) or (B and z).
 * Only used where no test can fail or assign, so the result is the same boolean function.
 */
function factorOr(b: Bool): Bool {
  const groups = new Map<string, { head: Bool; rests: Bool[][] }>();
  for (const term of flat(b, 'or')) {
    const parts = flat(term, 'and');
    const key = JSON.stringify(parts[0]);
    let g = groups.get(key);
    if (!g) { g = { head: parts[0]!, rests: [] }; groups.set(key, g); }
    g.rests.push(parts.slice(1));
  }
  if (groups.size === flat(b, 'or').length) return b; // nothing shared
  const out: Bool[] = [];
  for (const { head, rests } of groups.values()) {
    // head or (head and x) is head: a term that is the head alone absorbs the group.
    if (rests.some((r) => r.length === 0)) { out.push(head); continue; }
    const alts = rests.map((r) => chain(r, 'and'));
    out.push({ k: 'and', a: head, b: alts.length === 1 ? alts[0]! : factorOr(chain(alts, 'or')) });
  }
  return chain(out, 'or');
}

function readAt(size: number, o: string): string {
  return size === 1 ? `data[off + ${o}]`
    : size === 2 ? `((data[off + ${o}] << 8) | data[off + ${o} + 1])`
      : `view.getUint32(off + ${o})`;
}

/** Counts loads at constant offsets (the same field tested again and again: ethertype...). */
function countConstLoads(b: Bool, counts: Map<string, number>): void {
  const val = (v: Val): void => {
    switch (v.k) {
      case 'ld':
        if (v.at.k === 'k') counts.set(`${v.size}:${v.at.v}`, (counts.get(`${v.size}:${v.at.v}`) ?? 0) + 1);
        else val(v.at);
        break;
      case 'bin': val(v.a); val(v.b); break;
      case 'neg': val(v.a); break;
      default: break;
    }
  };
  switch (b.k) {
    case 'and': case 'or': countConstLoads(b.a, counts); countConstLoads(b.b, counts); break;
    case 'not': countConstLoads(b.a, counts); break;
    case 'if': countConstLoads(b.c, counts); countConstLoads(b.a, counts); countConstLoads(b.b, counts); break;
    case 'cmp': val(b.a); val(b.b); break;
    case 'set': val(b.v); break;
    case 'protochain': val(b.nl); break;
    default: break;
  }
}

/**
 * The body of the generated function, for `--explain` and tests. Constant-offset loads used
 * more than once are read once up front (BPF semantics kept: a hoisted load past caplen only
 * rejects the packet where the expression actually uses it).
 */
export function emitSource(tree: Bool, lenient = false): string {
  const pred = balance(tree);
  const counts = new Map<string, number>();
  countConstLoads(pred, counts);
  const body = (e: Emitter): string => {
    const expr = e.bool(pred);
    const decls = ['bad = 0'];
    for (let i = 0; i < e.temps; i++) decls.push(`t${i} = 0`);
    // Registers (r0, r1, ...) are NOT reset here: see compileSource.
    const pre = e.prelude();
    return `${pre ? `${pre}\n` : ''}let ${decls.join(', ')};\nconst r = ${expr};\nreturn r && bad === 0;`;
  };
  const slow = new Emitter(counts, false, lenient);
  if (slow.hoisted.size === 0) return body(slow);
  // Two copies: packets long enough for every hoisted load (nearly all) skip their checks.
  const fast = new Emitter(counts, true, lenient);
  const indent = (t: string) => t.replace(/^/gm, '  ');
  return `if (caplen >= ${fast.hoistEnd}) {\n${indent(body(fast))}\n}\n{\n${indent(body(slow))}\n}`;
}

export function compileSource(body: string): MatchFn {
  // Registers live outside the function and keep their values from one packet to the next.
  // That is what libpcap does in practice: bpf_filter's scratch memory M[] is never cleared,
  // and after a `geneve` test that failed, a later test reads the offsets the last matching
  // packet left there (checked against tcpdump by the differential test).
  const regs = [...new Set(body.match(/\br\d+\b/g) ?? [])];
  const decl = regs.length ? `let ${regs.map((r) => `${r} = 0`).join(', ')};\n` : '';
  // The helper is passed in rather than inlined so the generated text stays readable.
  const factory = new Function('protochain', `'use strict';\n${decl}return function filter(data, view, off, caplen, wirelen) {\n${body}\n};`);
  return factory(protochain) as MatchFn;
}
