/**
 * The predicate form every filter compiles to (tcpdump expressions and cloud rule sets alike):
 * a boolean tree over unsigned 32-bit values read from the packet, close to what libpcap's
 * gencode.c builds as BPF blocks before optimisation. jit.ts turns it into JavaScript.
 *
 * Semantics copied from BPF: every value is an unsigned 32-bit integer; a load past the
 * captured length, or a division by zero, makes the WHOLE filter reject the packet.
 */
export type Val =
  | { k: 'k'; v: number }
  /** Original (wire) length of the packet: BPF's `ld #pktlen`. */
  | { k: 'len' }
  /** Big-endian load of 1, 2 or 4 bytes at `at` (an offset from the start of the packet). */
  | { k: 'ld'; size: number; at: Val }
  | { k: 'bin'; op: string; a: Val; b: Val }
  | { k: 'neg'; a: Val }
  /** A scratch register set by a `set` node earlier in evaluation order (geneve offsets). */
  | { k: 'reg'; r: number };

export type Bool =
  | { k: 'true' }
  | { k: 'false' }
  | { k: 'and' | 'or'; a: Bool; b: Bool }
  | { k: 'not'; a: Bool }
  /** jeq/jgt/jge: a OP b unsigned; jset: (a & b) != 0. */
  | { k: 'cmp'; op: 'jeq' | 'jgt' | 'jge' | 'jset'; a: Val; b: Val; opaque?: boolean }
  /** Assigns a register and evaluates to true (attached code, like BPF statements on a block). */
  | { k: 'set'; r: number; v: Val }
  | { k: 'if'; c: Bool; a: Bool; b: Bool }
  /** IPv4/IPv6 header chain walk of `protochain` (a bounded loop, done by a helper). */
  | { k: 'protochain'; v6: boolean; nl: Val; proto: number };

export const TRUE: Bool = { k: 'true' };
export const FALSE: Bool = { k: 'false' };
export const K = (v: number): Val => ({ k: 'k', v: v >>> 0 });

export function and(a: Bool, b: Bool): Bool {
  // Folding keeps "expression rejects all packets" detectable, like libpcap's optimiser.
  if (a.k === 'false') return FALSE;
  if (a.k === 'true') return b;
  if (b.k === 'true') return a;
  if (b.k === 'false' && isPure(a)) return FALSE;
  return { k: 'and', a, b };
}
export function or(a: Bool, b: Bool): Bool {
  if (a.k === 'true') return TRUE;
  if (a.k === 'false') return b;
  if (b.k === 'false') return a;
  return { k: 'or', a, b };
}
export function not(a: Bool): Bool {
  if (a.k === 'true') return FALSE;
  if (a.k === 'false') return TRUE;
  if (a.k === 'not') return a.a;
  return { k: 'not', a };
}
/** True when evaluating b has no side effect on later code (no register assignment). */
function isPure(b: Bool): boolean {
  switch (b.k) {
    case 'set': return false;
    case 'and': case 'or': return isPure(b.a) && isPure(b.b);
    case 'not': return isPure(b.a);
    case 'if': return isPure(b.c) && isPure(b.a) && isPure(b.b);
    default: return true;
  }
}

export function add(a: Val, n: number): Val {
  if (n === 0) return a;
  if (a.k === 'k') return K(a.v + n);
  if (a.k === 'bin' && a.op === '+' && a.b.k === 'k') return { k: 'bin', op: '+', a: a.a, b: K(a.b.v + n) };
  return { k: 'bin', op: '+', a, b: K(n) };
}
export const ld = (size: number, at: Val): Val => ({ k: 'ld', size, at });
export const cmp = (op: 'jeq' | 'jgt' | 'jge' | 'jset', a: Val, b: Val): Bool => ({ k: 'cmp', op, a, b });
export const eq = (a: Val, v: number): Bool => cmp('jeq', a, K(v));
/** gen_mcmp: (load & mask) == v; a full mask is a plain compare. */
export function meq(a: Val, v: number, mask: number): Bool {
  if (mask >>> 0 === 0xffffffff) return eq(a, v);
  return eq({ k: 'bin', op: '&', a, b: K(mask) }, v);
}

/**
 * Rebuilds long `and`/`or` chains as balanced trees: same tests, same left-to-right order
 * (both operators are associative, short-circuit included), but nesting grows with log n, so
 * a 5,000-host or-chain neither overflows a recursive pass nor the JavaScript parser.
 */
export function balance(root: Bool): Bool {
  const flatten = (b: Bool, k: 'and' | 'or'): Bool[] => {
    const out: Bool[] = [];
    const stack: Bool[] = [b];
    while (stack.length) {
      const x = stack.pop()!;
      if (x.k === k) { stack.push(x.b, x.a); } else out.push(x);
    }
    return out;
  };
  const build = (items: Bool[], k: 'and' | 'or', lo: number, hi: number): Bool => {
    if (hi - lo === 1) return items[lo]!;
    const mid = (lo + hi) >>> 1;
    return { k, a: build(items, k, lo, mid), b: build(items, k, mid, hi) };
  };
  const walk = (b: Bool): Bool => {
    switch (b.k) {
      case 'and': case 'or': {
        const items = flatten(b, b.k).map(walk);
        return build(items, b.k, 0, items.length);
      }
      case 'not': return { k: 'not', a: walk(b.a) };
      case 'if': return { k: 'if', c: walk(b.c), a: walk(b.a), b: walk(b.b) };
      default: return b;
    }
  };
  return walk(root);
}
