/**
 * Zeek's connection history string (Conn.cc: CheckHistory / AddHistory / ScaledHistoryEntry).
 *
 * Letters are upper-case for the originator and lower-case for the responder. Letters kept
 * once per direction are guarded by a bit in `histSeen` (responder bits shifted by 16).
 * 'c', 'g', 't', 'w' are logarithmic: recorded at the 1st, 10th, 100th ... occurrence.
 */
import { HIST_MAX, type FlowStore } from './store.js';

export function addHistory(st: FlowStore, s: number, code: number): void {
  const n = st.histLen[s];
  if (n >= HIST_MAX) return;
  st.hist[s * HIST_MAX + n] = code;
  st.histLen[s] = n + 1;
}

/**
 * Records `code` (upper-case letter) once for this direction; returns true when it had
 * been seen before (Zeek's CheckHistory return value).
 */
export function checkHistory(st: FlowStore, s: number, isOrig: boolean, mask: number, code: number): boolean {
  if (!isOrig) {
    mask = mask << 16;
    code = code | 0x20;
  }
  if ((st.histSeen[s] & mask) === 0) {
    st.histSeen[s] |= mask;
    addHistory(st, s, code);
    return false;
  }
  return true;
}

/** AddHistory with the endpoint's case. */
export function addHistoryDir(st: FlowStore, s: number, isOrig: boolean, code: number): void {
  addHistory(st, s, isOrig ? code : code | 0x20);
}

/**
 * ScaledHistoryEntry on a (count, threshold) pair of typed arrays at index e.
 * Returns true when a letter was added.
 */
export function scaledHistory(
  st: FlowStore,
  s: number,
  isOrig: boolean,
  code: number,
  cnt: Uint32Array,
  thresh: Uint32Array,
  e: number,
): boolean {
  cnt[e] = cnt[e] + 1;
  if (cnt[e] === thresh[e]) {
    addHistoryDir(st, s, isOrig, code);
    const next = thresh[e] * 10;
    if (next > 0xffffffff) cnt[e] = 0;
    else thresh[e] = next;
    return true;
  }
  return false;
}

export function historyString(st: FlowStore, s: number): string {
  const n = st.histLen[s];
  if (n === 0) return '';
  const base = s * HIST_MAX;
  let out = '';
  for (let i = 0; i < n; i++) out += String.fromCharCode(st.hist[base + i]);
  return out;
}

export const C = {
  S: 0x53,
  H: 0x48,
  A: 0x41,
  D: 0x44,
  F: 0x46,
  R: 0x52,
  C: 0x43,
  G: 0x47,
  T: 0x54,
  W: 0x57,
  I: 0x49,
  Q: 0x51,
  CARET: 0x5e,
} as const;
