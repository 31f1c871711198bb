/**
 * Differential test against Zeek's own conn.log baselines (corpus zeek/, copied into
 * test/fixtures/flow/zeek). Every TESTS.tsv row with a conn.log baseline is run through the
 * flow analyzer with the options its TEST-EXEC / redefs ask for; rows are matched on the
 * 5-tuple and compared field by field. Prints agreement per field and every test that differs.
 *
 * When ../shared/corpus exists next to the repository, the full corpus is used instead of
 * the fixture copy.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadCaptureSync } from '../../src/formats/index.js';
import { decodePacket } from '../../src/decode/decode.js';
import { FlowAnalyzer } from '../../src/flow/analyzer.js';
import { LIKELY_SERVER_UDP, LIKELY_SERVER_TCP } from '../../src/flow/constants.js';
import type { FlowRecord } from '../../src/flow/record.js';
import { connLogHeader, connLogLine, parseZeekTsv } from '../../src/formats/zeek-log.js';
import { compareConnRows, COMPARED_FIELDS } from '../../src/flow/zeek-compare.js';
import { fixture, repoRoot } from '../helpers.js';

const corpus = path.resolve(repoRoot, '..', 'shared', 'corpus', 'zeek');
const fixtures = fixture('flow', 'zeek');
const root = fs.existsSync(path.join(corpus, 'TESTS.tsv')) && !process.env.TAPWIRE_FIXTURES_ONLY ? corpus : fixtures;

interface ZeekTest {
  name: string;
  trace: string;
  baseline: string;
  exec: string;
  loads: string;
  redefs: string;
}

function loadTests(): ZeekTest[] {
  const text = fs.readFileSync(path.join(root, 'TESTS.tsv'), 'utf8');
  const out: ZeekTest[] = [];
  for (const line of text.split('\n').slice(1)) {
    if (!line) continue;
    const [name, trace, logs, exec, loads, redefs] = line.split('\t');
    const log = logs.split(';').find((l) => l === 'conn.log' || l === 'conn.log.cut');
    if (!log) continue;
    const baseline = path.join(root, 'Baseline', name, log);
    if (!fs.existsSync(baseline) || !fs.existsSync(path.join(root, trace))) continue;
    out.push({ name, trace, baseline, exec, loads: loads ?? '', redefs: redefs ?? '' });
  }
  return out;
}

/** Why we cannot reproduce a test, or null when we can. */
function unsupported(t: ZeekTest): string | null {
  if (t.name === 'scripts.policy.frameworks.conn_key.vlan_fivetuple') return 'btest with several parts whose redefs TESTS.tsv merges; this baseline is from the default key';
  if (t.name === 'core.skip_analyzer') return 'SKIP packet analyzer configured by the test';
  if (t.name === 'scripts.base.protocols.ntp.misordered-ntp') return 'NTP analyzer flips roles from message modes';
  if (t.name.endsWith('netcontrol.packetfilter') || t.name === 'core.pcap.dynamic-filter') return 'packet filter installed by the test script at run time';
  if (/zeek[^;]*\s-f\s/.test(t.exec) && !/-f\s+"[^"]+"|-f\s+'[^']+'/.test(t.exec)) return 'capture filter syntax';
  return null;
}

type CompileFilter = (expr: string, linktype: number) => { match(d: Uint8Array, v: DataView, o: number, c: number, w: number): boolean };

/** The filter compiler, when src/filter is built (loaded lazily so this file builds without it). */
async function loadFilter(): Promise<CompileFilter | null> {
  const spec = '../../src/filter/index.js';
  try {
    return ((await import(spec)) as { compileFilter: CompileFilter }).compileFilter;
  } catch {
    return null;
  }
}

/**
 * Ports each base protocol script adds to likely_server_ports. In bare mode (-b) only the
 * @load-ed scripts contribute, which changes who Zeek takes for the originator.
 */
const SCRIPT_PORTS: Record<string, { tcp?: number[]; udp?: number[] }> = {
  http: { tcp: [80, 81, 631, 1080, 3128, 8000, 8080, 8888] },
  ssl: { tcp: [443, 563, 585, 614, 636, 989, 990, 992, 993, 995, 5223] },
  ftp: { tcp: [21, 2811] },
  ssh: { tcp: [22] },
  smtp: { tcp: [25, 587] },
  dns: { tcp: [53], udp: [53, 137, 5353, 5355] },
  pop3: { tcp: [110] },
  imap: { tcp: [143] },
  irc: { tcp: [6666, 6667, 6668, 6669] },
  dhcp: { udp: [67] },
  ntp: { udp: [123] },
  socks: { tcp: [1080] },
  syslog: { udp: [514] },
  quic: { udp: [443] },
  rdp: { tcp: [3389] },
  xmpp: { tcp: [5222, 5269] },
  tunnels: { udp: [5072, 3544, 2152, 2123, 4789, 6081] },
};

function runOne(t: ZeekTest, compileFilter: CompileFilter | null): { rows: string; records: FlowRecord[] } {
  const bare = /zeek(\s[^;]*)?\s-[a-zA-Z]*b/.test(t.exec);
  const udp = new Set<number>(bare ? [] : LIKELY_SERVER_UDP);
  const tcp = new Set<number>(bare ? [] : LIKELY_SERVER_TCP);
  if (bare) {
    for (const [name, ports] of Object.entries(SCRIPT_PORTS)) {
      if (!new RegExp(`base/(protocols|frameworks)/${name}\\b`).test(t.loads)) continue;
      for (const p of ports.tcp ?? []) tcp.add(p);
      for (const p of ports.udp ?? []) udp.add(p);
    }
  }
  for (const m of t.redefs.matchAll(/likely_server_ports\s*\+=\s*\{([^}]*)\}/g)) {
    for (const p of m[1].matchAll(/(\d+)\/(udp|tcp)/g)) (p[2] === 'udp' ? udp : tcp).add(Number(p[1]));
  }
  const records: FlowRecord[] = [];
  const a = new FlowAnalyzer((r) => records.push(r), {
    decode: decodePacket,
    ignoreChecksums: /zeek(\s[^;]*)?\s-[a-zA-Z]*C/.test(t.exec),
    keyVlan: /CONNKEY_VLAN_FIVETUPLE/.test(t.redefs) || /conn_key\/vlan_fivetuple/.test(t.loads),
    likelyServerTcp: tcp,
    likelyServerUdp: udp,
  });
  const { batch } = loadCaptureSync(path.join(root, t.trace));
  const fm = /zeek[^;]*\s-f\s+(?:"([^"]+)"|'([^']+)')/.exec(t.exec);
  if (fm) {
    if (!compileFilter) throw new Error('filter compiler not available');
    const expr = fm[1] ?? fm[2];
    const f = compileFilter(expr, batch.linktype[0]);
    for (let i = 0; i < batch.count; i++) {
      if (!f.match(batch.data, batch.view, batch.offset[i], batch.caplen[i], batch.wirelen[i])) continue;
      a.addPacketDecoding(batch, i);
    }
  } else a.addBatch(batch);
  a.flush();
  let rows = connLogHeader({ communityId: true, vlan: true });
  for (const r of records) rows += connLogLine(r, { communityId: true, vlan: true });
  return { rows, records };
}

/** Baselines written with a field-name map or another scope separator: back to Zeek's names. */
function normalizeNames(log: { fields: string[]; rows: Record<string, string>[] }): void {
  const MAP: Record<string, string> = { src: 'id.orig_h', src_port: 'id.orig_p', dst: 'id.resp_h', dst_port: 'id.resp_p' };
  const canon = (f: string) => MAP[f] ?? f.replace(/^id[^a-z]?(orig|resp)_/, 'id.$1_');
  if (log.fields.every((f) => canon(f) === f)) return;
  log.fields = log.fields.map(canon);
  for (const r of log.rows) for (const k of Object.keys(r)) if (canon(k) !== k) r[canon(k)] = r[k];
}

test('conn.log agrees with Zeek baselines', async () => {
  const compileFilter = await loadFilter();
  const tests = loadTests();
  const totals: Record<string, { same: number; total: number }> = {};
  for (const f of COMPARED_FIELDS) totals[f] = { same: 0, total: 0 };
  let expected = 0;
  let matched = 0;
  const differing: string[] = [];
  const skipped: string[] = [];
  for (const t of tests) {
    const why = unsupported(t);
    if (why) {
      skipped.push(`${t.name}: ${why}`);
      continue;
    }
    let ours;
    try {
      ours = runOne(t, compileFilter);
    } catch (e) {
      differing.push(`${t.name}: error ${(e as Error).message}`);
      continue;
    }
    let text = fs.readFileSync(t.baseline, 'utf8');
    // zeek-cut -m writes the field names as a plain first line; plain zeek-cut none at all.
    const cut = /zeek-cut\s+(-m\s+)?([\w.\s]+?)\s*</.exec(t.exec);
    if (!text.includes('#fields\t')) {
      if (cut && !cut[1]) text = `#fields\t${cut[2].trim().split(/\s+/).join('\t')}\n` + text;
      else text = text.replace(/^(?:#.*\n)*/, (m) => m + '#fields\t');
    }
    const base = parseZeekTsv(text);
    normalizeNames(base);
    const mine = parseZeekTsv(ours.rows);
    const r = compareConnRows(base.rows, base.fields, mine.rows);
    expected += r.expected;
    matched += r.matched;
    let bad = r.unmatchedExpected.length > 0;
    for (const [f, v] of Object.entries(r.fields)) {
      totals[f].same += v.same;
      totals[f].total += v.total;
      if (v.same !== v.total) bad = true;
    }
    if (bad) {
      const lines = [`${t.name} (${t.trace}): matched ${r.matched}/${r.expected} rows, we made ${r.produced}`];
      for (const d of r.diffs.slice(0, 6)) lines.push('    ' + d);
      for (const u of r.unmatchedExpected.slice(0, 3)) lines.push('    missing: ' + u);
      differing.push(lines.join('\n'));
    }
  }
  const report = [`zeek conn.log: ${tests.length} tests (${skipped.length} skipped), rows matched on 5-tuple ${matched}/${expected}`];
  report.push('  field           rows that agree');
  const pct = (v: { same: number; total: number }) => `${v.same}/${v.total} ${v.total ? ((100 * v.same) / v.total).toFixed(1) : '-'}%`;
  for (const f of COMPARED_FIELDS) report.push(`  ${f.padEnd(15)} ${pct(totals[f])}`);
  report.push(`tests that differ: ${differing.length}`);
  for (const d of differing) report.push('  ' + d);
  for (const s of skipped) report.push('  skipped ' + s);
  console.log(report.join('\n'));
  assert.equal(matched, expected, 'every baseline row has a row of ours with its 5-tuple');
  for (const f of COMPARED_FIELDS) assert.equal(totals[f].same, totals[f].total, `${f} agrees on every row`);
});
