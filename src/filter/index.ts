/**
 * Public API of the filter compiler: pcap-filter expressions (with libpcap 1.10's verdicts)
 * and cloud-style rule sets, both compiled once to a JavaScript function over raw bytes.
 */
import type { PacketBatch } from '../core/batch.js';
import { normalize } from './ast.js';
import { FilterSyntaxError } from './errors.js';
import { CodeGen } from './gencode.js';
import { type Bool, TRUE, balance } from './ir.js';
import { compileSource, emitSource, type MatchFn } from './jit.js';
import { initLink, LINKS, onVarUse } from './linklayer.js';
import { parseFilter } from './parser.js';
import { canAccept, simplify, usesRegisters } from './unsat.js';

export { FilterSyntaxError } from './errors.js';
export type { MatchFn } from './jit.js';

export interface CompileOptions {
  /** IPv4 netmask for `ip broadcast` (tcpdump passes 0 when reading files). */
  netmask?: number;
  /** LINKTYPE_NULL stores the address family in the writer's byte order; default little-endian. */
  nullLittleEndian?: boolean;
  /** tcpdump optimises, and rejects a filter that optimises to "reject everything"; default true. */
  optimize?: boolean;
  /**
   * For tests: an out-of-range load reads as 0 instead of rejecting the packet. This is what a
   * filter means where libpcap's optimiser deleted a load that cannot change the result.
   */
  lenientLoads?: boolean;
}

export interface CompiledFilter {
  readonly expression: string;
  readonly linktype: number;
  /** Normalised expression text (every qualifier explicit). */
  readonly normalized: string;
  /** Body of the generated JavaScript function. */
  readonly source: string;
  readonly match: MatchFn;
  /** Writes 1/0 per packet into verdicts; returns how many were kept. */
  matchBatch(batch: PacketBatch, verdicts: Uint8Array): number;
}

/** Link types the compiler knows how to read (LINKTYPE_* values). */
export const SUPPORTED_LINKTYPES: readonly number[] = Object.keys(LINKS).map(Number);

/** Builds the predicate tree (exported for rule sets and tests). */
export function compilePredicate(expr: string, linktype: number, opts: CompileOptions = {}): { pred: Bool; normalized: string } {
  const ast = parseFilter(expr);
  const state = initLink(linktype, opts.nullLittleEndian ?? true);
  if (!ast) return { pred: TRUE, normalized: '' };
  const gen = new CodeGen(state, opts.netmask ?? 0);
  let pred: Bool;
  try {
    // finish() resolves leaves of the balanced tree (see CodeGen.finish).
    pred = balance(gen.finish(balance(gen.gen(ast))));
  } finally {
    onVarUse(null);
  }
  const optimize = opts.optimize !== false && !gen.noOptimize;
  // libpcap never reaches "rejects all packets" through geneve's register code (see unsat.ts).
  const mayReject = optimize && !usesRegisters(pred);
  if (optimize) pred = simplify(pred);
  if (mayReject && (pred.k === 'false' || !canAccept(pred))) throw new FilterSyntaxError('expression rejects all packets', 0);
  return { pred, normalized: normalize(ast) };
}

export function compileFilter(expr: string, linktype: number, opts: CompileOptions = {}): CompiledFilter {
  let compiled: { pred: Bool; normalized: string };
  try {
    compiled = compilePredicate(expr, linktype, opts);
  } catch (e) {
    // Errors found during code generation carry -1 when no token was at hand.
    if (e instanceof FilterSyntaxError && e.position < 0) throw new FilterSyntaxError(e.message, 0);
    throw e;
  }
  const source = emitSource(compiled.pred, opts.lenientLoads === true);
  const match = compileSource(source);
  return makeCompiled(expr, linktype, compiled.normalized, source, match);
}

export function makeCompiled(expression: string, linktype: number, normalized: string, source: string, match: MatchFn): CompiledFilter {
  return {
    expression, linktype, normalized, source, match,
    matchBatch(batch: PacketBatch, verdicts: Uint8Array): number {
      const { data, view, offset, caplen, wirelen } = batch;
      const n = batch.count;
      let kept = 0;
      for (let i = 0; i < n; i++) {
        const v = match(data, view, offset[i]!, caplen[i]!, wirelen[i]!) ? 1 : 0;
        verdicts[i] = v;
        kept += v;
      }
      return kept;
    },
  };
}

export { compileRuleSet, parseRuleSet, RuleSetError, type CompiledRuleSet, type Decision, type MirrorRule, type PortRange, type RuleSet } from './rules.js';
