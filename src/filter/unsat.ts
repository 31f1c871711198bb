/**
 * "expression rejects all packets": tcpdump refuses a filter that libpcap's optimiser reduces
 * to `ret #0`. This is the part of that optimiser that decides it (fold_edge in optimize.c):
 * along one path through the tests, a later test of the SAME value (same load, same mask)
 * against a constant is decided by an earlier one:
 *   - jeq k after jeq k' was true  -> true iff k == k'
 *   - jeq k after jeq k was false  -> false
 *   - the same op with the same k  -> the same outcome.
 * No other inference (libpcap does none), so we never reject what libpcap accepts because
 * we are cleverer than it. The search is bounded; past the bound the filter is kept.
 */
import { type Bool, type Val, FALSE, TRUE, and, not, or } from './ir.js';

interface Fact { key: string; op: string; k: number; out: boolean }

function valKey(v: Val): string | null {
  switch (v.k) {
    case 'k': return `#${v.v}`;
    case 'len': return 'len';
    case 'reg': return null; // registers differ per path; libpcap would not fold them either
    case 'ld': { const a = valKey(v.at); return a === null ? null : `[${a}]${v.size}`; }
    case 'bin': { const a = valKey(v.a), b = valKey(v.b); return a === null || b === null ? null : `(${a}${v.op}${b})`; }
    case 'neg': { const a = valKey(v.a); return a === null ? null : `-${a}`; }
  }
}

/** True when some path can accept; false when every path is decided to reject. */
export function canAccept(root: Bool, budget = 50_000): boolean {
  // gen_protochain turns the optimiser off (its loop jumps backwards), and geneve's register
  // code keeps it from folding across the tunnel: libpcap never rejects those filters.
  if (mentions(root, (b) => b.k === 'protochain' || b.k === 'set')) return true;
  let steps = 0;
  let exhausted = false;
  const decide = (facts: Fact[], key: string, op: string, k: number): boolean | null => {
    for (let i = facts.length - 1; i >= 0; i--) {
      const f = facts[i]!;
      if (f.key !== key) continue;
      if (f.op === op && f.k === k) return f.out;
      if (op === 'jeq' && f.op === 'jeq' && f.out && f.k !== k) return false;
    }
    return null;
  };
  // Can `b` evaluate to `want` under `facts`, and then the continuation succeed?
  const sat = (b: Bool, want: boolean, facts: Fact[], next: (f: Fact[]) => boolean): boolean => {
    if (++steps > budget) { exhausted = true; return true; }
    switch (b.k) {
      case 'true': return want ? next(facts) : false;
      case 'false': return want ? false : next(facts);
      case 'set': case 'protochain': return want ? next(facts) : b.k === 'protochain' && next(facts);
      case 'not': return sat(b.a, !want, facts, next);
      case 'and':
        if (want) return sat(b.a, true, facts, (f) => sat(b.b, true, f, next));
        return sat(b.a, false, facts, next) || sat(b.a, true, facts, (f) => sat(b.b, false, f, next));
      case 'or':
        if (want) return sat(b.a, true, facts, next) || sat(b.a, false, facts, (f) => sat(b.b, true, f, next));
        return sat(b.a, false, facts, (f) => sat(b.b, false, f, next));
      case 'if':
        return sat(b.c, true, facts, (f) => sat(b.a, want, f, next)) || sat(b.c, false, facts, (f) => sat(b.b, want, f, next));
      case 'cmp': {
        // A user relation only folds against an identical relation (same register code).
        const vk = valKey(b.a);
        const key = vk === null ? null : b.opaque ? `rel:${vk}` : vk;
        if (key === null || b.b.k !== 'k') return next(facts);
        const known = decide(facts, key, b.op, b.b.v);
        if (known !== null) return known === want ? next(facts) : false;
        return next([...facts, { key, op: b.op, k: b.b.v, out: want }]);
      }
    }
  };
  try {
    return sat(root, true, [], () => true) || exhausted;
  } catch (e) {
    // Very long chains nest the continuations deeper than the stack: keep the filter.
    if (e instanceof RangeError) return true;
    throw e;
  }
}

/** True when the predicate assigns registers (geneve / vxlan offsets). */
export function usesRegisters(b: Bool): boolean {
  return mentions(b, (x) => x.k === 'set');
}

function mentions(b: Bool, pred: (b: Bool) => boolean): boolean {
  if (pred(b)) return true;
  switch (b.k) {
    case 'and': case 'or': return mentions(b.a, pred) || mentions(b.b, pred);
    case 'not': return mentions(b.a, pred);
    case 'if': return mentions(b.c, pred) || mentions(b.a, pred) || mentions(b.b, pred);
    default: return false;
  }
}

/**
 * The same folding applied to the tree: a test decided by the tests already passed on the
 * way to it becomes a constant, and `and`/`or` fold around it. This is what libpcap's
 * optimiser does to a filter before it runs; besides giving the same "rejects all packets"
 * answers, it drops loads whose result cannot matter, which changes the verdict of BPF on a
 * packet too short for such a load (the optimised filter never reads it).
 */
export function simplify(root: Bool): Bool {
  const keyOf = (b: Bool): string | null => {
    if (b.k !== 'cmp' || b.b.k !== 'k') return null;
    const vk = valKey(b.a);
    return vk === null ? null : b.opaque ? `rel:${vk}` : vk;
  };
  const decided = (facts: Fact[], b: Bool): boolean | null => {
    const key = keyOf(b);
    if (key === null || b.k !== 'cmp' || b.b.k !== 'k') return null;
    for (let i = facts.length - 1; i >= 0; i--) {
      const f = facts[i]!;
      if (f.key !== key) continue;
      if (f.op === b.op && f.k === b.b.v) return f.out;
      if (b.op === 'jeq' && f.op === 'jeq' && f.out && f.k !== b.b.v) return false;
    }
    return null;
  };
  /** Facts known when b evaluated to `out` (only for tests and chains of tests). */
  const factsOf = (b: Bool, out: boolean, acc: Fact[]): Fact[] => {
    const key = keyOf(b);
    if (key !== null && b.k === 'cmp' && b.b.k === 'k') return [...acc, { key, op: b.op, k: b.b.v, out }];
    if (b.k === 'not') return factsOf(b.a, !out, acc);
    if ((b.k === 'and' && out) || (b.k === 'or' && !out)) return factsOf(b.b, out, factsOf(b.a, out, acc));
    return acc;
  };
  const walk = (b: Bool, facts: Fact[]): Bool => {
    switch (b.k) {
      case 'cmp': {
        const d = decided(facts, b);
        return d === null ? b : d ? TRUE : FALSE;
      }
      case 'not': return not(walk(b.a, facts));
      case 'and': { const a = walk(b.a, facts); return and(a, walk(b.b, factsOf(a, true, facts))); }
      case 'or': { const a = walk(b.a, facts); return or(a, walk(b.b, factsOf(a, false, facts))); }
      case 'if': {
        const c = walk(b.c, facts);
        return { k: 'if', c, a: walk(b.a, factsOf(c, true, facts)), b: walk(b.b, factsOf(c, false, facts)) };
      }
      default: return b;
    }
  };
  try {
    return walk(root, []);
  } catch (e) {
    if (e instanceof RangeError) return root; // too deep to fold: run it as written
    throw e;
  }
}
