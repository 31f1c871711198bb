/**
 * Turns the predicate tree into one JavaScript function over the raw bytes, compiled once with
 * `new Function` (our equivalent of the kernel's BPF JIT). The generated code allocates nothing:
 * loads are inlined, temporaries are locals, and an out-of-range load only sets a flag (`bad`)
 * that makes the function return false, which is exactly BPF's "abort and reject" since
 * nothing evaluated afterwards can make a rejected packet accepted again.
 */
import type { Bool, Val } from './ir.js';

export type MatchFn = (data: Uint8Array, view: DataView, off: number, caplen: number, wirelen: number) => boolean;

class Emitter {
  temps = 0;
  maxReg = -1;

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
    const read = (o: string): string =>
      size === 1 ? `data[off + ${o}]`
        : size === 2 ? `((data[off + ${o}] << 8) | data[off + ${o} + 1])`
          : `view.getUint32(off + ${o})`;
    if (at.k === 'k') {
      const o = at.v;
      return `(${o + size} <= caplen ? ${read(String(o))} : (bad = 1, 0))`;
    }
    const t = this.temp();
    return `((${t} = ${this.val(at)}) + ${size} <= caplen ? ${read(t)} : (bad = 1, 0))`;
  }

  bool(b: Bool): string {
    switch (b.k) {
      case 'true': return 'true';
      case 'false': return 'false';
      case 'and': return `(${this.bool(b.a)} && ${this.bool(b.b)})`;
      case 'or': return `(${this.bool(b.a)} || ${this.bool(b.b)})`;
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

/** The body of the generated function, for `--explain` and tests. */
export function emitSource(pred: Bool): string {
  const e = new Emitter();
  const expr = e.bool(pred);
  const decls = ['bad = 0'];
  for (let i = 0; i < e.temps; i++) decls.push(`t${i} = 0`);
  for (let i = 0; i <= e.maxReg; i++) decls.push(`r${i} = 0`);
  return `let ${decls.join(', ')};\nconst r = ${expr};\nreturn r && bad === 0;`;
}

export function compileSource(body: string): MatchFn {
  // The helper is passed in rather than inlined so the generated text stays readable.
  const factory = new Function('protochain', `'use strict';\nreturn function filter(data, view, off, caplen, wirelen) {\n${body}\n};`);
  return factory(protochain) as MatchFn;
}
