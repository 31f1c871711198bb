/**
 * Compares our conn.log rows with a Zeek conn.log (baseline) the way the project's
 * differential tests count agreement: rows matched on the 5-tuple (with multiplicity),
 * then field by field. tunnel_parents are compared through what the parent uids name
 * (the parent's 5-tuple when the parent is in the same log, else "tunnel"), because uids
 * differ between implementations.
 */
import type { ZeekRow } from '../formats/zeek-log.js';

export const COMPARED_FIELDS = [
  'proto',
  'duration',
  'orig_bytes',
  'resp_bytes',
  'conn_state',
  'history',
  'orig_pkts',
  'resp_pkts',
  'orig_ip_bytes',
  'resp_ip_bytes',
  'missed_bytes',
  'tunnel_parents',
  'community_id',
] as const;

export interface FieldTally {
  same: number;
  total: number;
}

export interface CompareResult {
  /** Baseline rows, ours, matched pairs. */
  expected: number;
  produced: number;
  matched: number;
  fields: Record<string, FieldTally>;
  /** Human-readable differences (first few). */
  diffs: string[];
  unmatchedExpected: string[];
  unmatchedProduced: string[];
}

function tupleKey(r: ZeekRow, withProto = true): string {
  return `${r['id.orig_h']} ${r['id.orig_p']} ${r['id.resp_h']} ${r['id.resp_p']}${withProto ? ' ' + (r.proto ?? '') : ''}`;
}

function parentNames(r: ZeekRow, byUid: Map<string, ZeekRow>): string {
  const v = r.tunnel_parents;
  if (v === undefined || v === '-' || v === '(empty)') return '-';
  return v
    .split(',')
    .map((u) => {
      const p = byUid.get(u);
      return p ? tupleKey(p) : 'tunnel';
    })
    .sort()
    .join(',');
}

function fieldValue(f: string, r: ZeekRow, byUid: Map<string, ZeekRow>): string {
  if (f === 'tunnel_parents') return parentNames(r, byUid);
  return r[f] ?? '-';
}

/** Compares `ours` to `expected`; only fields present in the baseline are compared. */
export function compareConnRows(expected: ZeekRow[], baselineFields: string[], ours: ZeekRow[]): CompareResult {
  const expUid = new Map(expected.map((r) => [r.uid, r]));
  const ourUid = new Map(ours.map((r) => [r.uid, r]));
  const hasTuple = baselineFields.includes('id.orig_h');
  const withProto = baselineFields.includes('proto');
  const fields = COMPARED_FIELDS.filter((f) => baselineFields.includes(f));
  const res: CompareResult = { expected: expected.length, produced: ours.length, matched: 0, fields: {}, diffs: [], unmatchedExpected: [], unmatchedProduced: [] };
  for (const f of fields) res.fields[f] = { same: 0, total: 0 };
  // Without the tuple columns (a zeek-cut baseline) rows are matched in order.
  const pool = new Map<string, ZeekRow[]>();
  for (const r of ours) {
    const k = hasTuple ? tupleKey(r, withProto) : '*';
    const list = pool.get(k);
    if (list) list.push(r);
    else pool.set(k, [r]);
  }
  for (const e of expected) {
    const k = hasTuple ? tupleKey(e, withProto) : '*';
    const cands = pool.get(k);
    if (!cands || cands.length === 0) {
      res.unmatchedExpected.push(k);
      continue;
    }
    // Several connections on one tuple (reuse): take the candidate agreeing on most fields.
    let best = 0;
    let bestScore = -1;
    for (let c = 0; c < cands.length; c++) {
      let score = 0;
      for (const f of fields) if (fieldValue(f, cands[c], ourUid) === fieldValue(f, e, expUid)) score++;
      if (score > bestScore) {
        bestScore = score;
        best = c;
      }
    }
    const o = cands.splice(best, 1)[0];
    res.matched++;
    for (const f of fields) {
      const a = fieldValue(f, e, expUid);
      const b = fieldValue(f, o, ourUid);
      res.fields[f].total++;
      if (a === b) res.fields[f].same++;
      else if (res.diffs.length < 40) res.diffs.push(`${k}: ${f} zeek=${a} ours=${b}`);
    }
  }
  for (const [k, list] of pool) for (let i = 0; i < list.length; i++) res.unmatchedProduced.push(k);
  return res;
}
