/** The end-of-run table: every component's counters, so a user sees where packets went. */
import type { ComponentCounters } from '../components/counters.js';

export function formatSummary(counters: ComponentCounters[]): string {
  const rows: string[][] = [['kind', 'name', 'type', 'in pkts', 'in bytes', 'out pkts', 'out bytes', 'dropped (reason: pkts)']];
  for (const c of counters) {
    const drops = [...c.dropPackets].filter(([, v]) => v > 0).map(([r, v]) => `${r}: ${v}`);
    for (const [kind, v] of c.errors) drops.push(`error ${kind}: ${v}`);
    rows.push([c.kind, c.name, c.type, String(c.inPackets), String(c.inBytes), String(c.outPackets), String(c.outBytes), drops.join(', ') || '-']);
  }
  const widths = rows[0].map((_, k) => Math.max(...rows.map((r) => r[k].length)));
  return rows.map((r) => r.map((cell, k) => (k >= 3 && k <= 6 ? cell.padStart(widths[k]) : cell.padEnd(widths[k]))).join('  ').trimEnd()).join('\n') + '\n';
}
