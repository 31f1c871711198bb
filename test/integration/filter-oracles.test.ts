/**
 * The filter compiler against libpcap's own answers, kept as files (no tcpdump needed):
 * FILTERS.tsv (tcpdump 4.99.3 counts), libpcap's filter_apply.tsv (per-packet verdicts),
 * filter_reject.tsv (must be rejected) and filter_accept.jsonl (must compile).
 * Link types the compiler does not read (MTP2, ARCnet, DSA, PPI...) are counted as out
 * of scope, never as passes.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadCaptureSync } from '../../src/formats/index.js';
import { compileFilter, FilterSyntaxError, SUPPORTED_LINKTYPES } from '../../src/filter/index.js';
import { FIXTURES } from './filter-tcpdump.js';

const DLT_NAMES: Record<string, number> = {
  EN10MB: 1, LINUX_SLL: 113, LINUX_SLL2: 276, NULL: 0, LOOP: 108, RAW: 101, IPV4: 228, IPV6: 229, PPP: 9,
  PPP_SERIAL: 50, PPP_ETHER: 51, C_HDLC: 104, IEEE802_11: 105, IEEE802_11_RADIO: 127,
};

function tsv(file: string): string[][] {
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0).slice(1).map((l) => l.split('\t'));
}

function countKept(file: string, expr: string): number | string {
  const cap = loadCaptureSync(file);
  const lt = cap.interfaces[0]?.linktype ?? 1;
  try {
    const f = compileFilter(expr, lt);
    return f.matchBatch(cap.batch, new Uint8Array(cap.batch.count));
  } catch (e) {
    if (e instanceof FilterSyntaxError) return `ERROR: ${e.message}`;
    throw e;
  }
}

test('FILTERS.tsv: every count equals tcpdump 4.99.3 / libpcap 1.10.3', () => {
  const rows = tsv(path.join(FIXTURES, 'FILTERS.tsv'));
  const bad: string[] = [];
  let agree = 0;
  for (const [pcap, expr, expected] of rows) {
    const got = countKept(path.join(FIXTURES, pcap!), expr!);
    const ok = expected!.startsWith('ERROR') ? typeof got === 'string' : got === Number(expected);
    if (ok) agree++;
    else bad.push(`${pcap}\t${expr}\texpected ${expected} got ${got}`);
  }
  console.log(`FILTERS.tsv: ${agree}/${rows.length} agree`);
  assert.deepEqual(bad, []);
});

test('libpcap filter_apply.tsv: per-packet verdicts', () => {
  const rows = tsv(path.join(FIXTURES, 'libpcap', 'filter_apply.tsv'));
  const bad: string[] = [];
  let agree = 0, outOfScope = 0, bonusAgree = 0, bonusTotal = 0;
  for (const [name, savefile, expr, netmask, results, debian] of rows) {
    const cap = loadCaptureSync(path.join(FIXTURES, 'libpcap', savefile!));
    const lt = cap.interfaces[0]?.linktype ?? 1;
    if (!SUPPORTED_LINKTYPES.includes(lt)) { outOfScope++; continue; }
    const expected = results!.split(',').map((v) => (Number(v) > 0 ? 1 : 0));
    let got: number[] | string;
    try {
      const f = compileFilter(expr!, lt, netmask ? { netmask: ipv4(netmask) } : {});
      const v = new Uint8Array(cap.batch.count);
      f.matchBatch(cap.batch, v);
      got = Array.from(v);
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw e;
      got = e.message;
    }
    const ok = Array.isArray(got) && got.join(',') === expected.join(',');
    if (debian === 'yes') {
      if (ok) agree++;
      else bad.push(`${name}\t${expr}\texpected ${expected.join(',')} got ${Array.isArray(got) ? got.join(',') : got}`);
    } else {
      bonusTotal++;
      if (ok) bonusAgree++;
    }
  }
  console.log(`filter_apply.tsv: ${agree} agree on rows Debian's libpcap reproduces, ${bad.length} differ; ` +
    `${outOfScope} rows on unsupported link types; bonus (newer libpcap) ${bonusAgree}/${bonusTotal}`);
  assert.deepEqual(bad, []);
});

/** The harness behind these files passes PCAP_NETMASK_UNKNOWN when a row gives no netmask. */
const UNKNOWN_NETMASK = 0xffffffff;

function ipv4(s: string): number {
  return s.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
}

test('libpcap filter_reject.tsv: every expression for a supported link type is rejected', () => {
  const rows = tsv(path.join(FIXTURES, 'libpcap', 'filter_reject.tsv'));
  const accepted: string[] = [];
  let rejected = 0, outOfScope = 0;
  for (const [label, dlt, expr, netmask] of rows) {
    const lt = DLT_NAMES[dlt!];
    if (lt === undefined) { outOfScope++; continue; }
    try {
      compileFilter(expr!, lt, { netmask: netmask ? ipv4(netmask) : UNKNOWN_NETMASK });
      accepted.push(`${label}\t${dlt}\t${expr}`);
    } catch (e) {
      if (!(e instanceof FilterSyntaxError)) throw new Error(`${label} ${expr}: ${String(e)}`);
      rejected++;
    }
  }
  console.log(`filter_reject.tsv: ${rejected} rejected, ${accepted.length} wrongly accepted, ${outOfScope} rows on unsupported link types`);
  assert.deepEqual(accepted, []);
});

/** The message of FilterSyntaxErrors for features left out on a supported link type. */
const UNSUPPORTED_HERE = / on 802\.11.* is not supported by the filter compiler$/;

test('libpcap filter_accept.jsonl: every expression for a supported link type compiles', () => {
  const lines = fs.readFileSync(path.join(FIXTURES, 'libpcap', 'filter_accept.jsonl'), 'utf8').split('\n').filter(Boolean);
  const failed: string[] = [];
  let ok = 0, outOfScope = 0, leftOut = 0;
  for (const line of lines) {
    const r = JSON.parse(line) as { label: string; DLT: string; expr: string; netmask: string | null; optimize: number; linuxext: string };
    const lt = DLT_NAMES[r.DLT];
    // `_enumerate_bpf_image` is a harness directive, not an expression; `linuxext` rows use
    // Linux kernel BPF extensions that exist only on a live socket.
    if (lt === undefined || r.expr === '_enumerate_bpf_image' || r.linuxext) { outOfScope++; continue; }
    try {
      compileFilter(r.expr, lt, { netmask: r.netmask ? ipv4(r.netmask) : UNKNOWN_NETMASK, optimize: r.optimize !== 0 });
      ok++;
    } catch (e) {
      // What the compiler leaves out on a link type it otherwise reads (802.11 MAC addresses,
      // broadcast/multicast, vxlan behind radiotap) is refused with this message: out of scope.
      if (UNSUPPORTED_HERE.test((e as Error).message)) { leftOut++; continue; }
      failed.push(`${r.label}\t${r.DLT}\t${r.expr}\t${(e as Error).message}`);
    }
  }
  console.log(`filter_accept.jsonl: ${ok} accepted, ${failed.length} rejected, ${outOfScope} out of scope, ${leftOut} left out on 802.11 (README "Not supported")`);
  assert.deepEqual(failed, []);
});
