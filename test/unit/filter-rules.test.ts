/**
 * Cloud-style rule sets (AWS VPC Traffic Mirroring semantics): validation, first match by
 * rule number, implicit reject, direction from the monitored network, TCP/UDP-only ports,
 * and the compiled predicate checked against a plain reference reading of the same rules on
 * every packet of the filter fixtures.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { compileRuleSet, parseRuleSet, RuleSetError, type MirrorRule, type RuleSet } from '../../src/filter/index.js';
import { loadCaptureSync } from '../../src/formats/index.js';

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, '').match(/../g)!.map((b) => parseInt(b, 16)));
const ETH = 'ffffffffffff 020000000001';
const ip4 = (proto: number, src: string, dst: string, frag = '0000') =>
  `4500 0028 0001 ${frag} 40 ${proto.toString(16).padStart(2, '0')} 0000 ${src.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join('')} ${dst.split('.').map((x) => Number(x).toString(16).padStart(2, '0')).join('')}`;
const ports = (s: number, d: number) => `${s.toString(16).padStart(4, '0')} ${d.toString(16).padStart(4, '0')} 00000000 00000000 5002 ffff 0000 0000`;

const SET = parseRuleSet({
  monitored: ['10.0.0.0/8'],
  rules: [
    { ruleNumber: 200, direction: 'egress', action: 'accept', sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0' },
    { ruleNumber: 100, direction: 'egress', action: 'reject', protocol: 17, sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0', destinationPortRange: { from: 53, to: 53 } },
    { RuleNumber: 10, TrafficDirection: 'ingress', RuleAction: 'accept', Protocol: 6, SourceCidrBlock: '0.0.0.0/0', DestinationCidrBlock: '10.1.0.0/16', DestinationPortRange: { FromPort: 443, ToPort: 443 }, Description: 'https in' },
  ],
});

function decide(pkt: Uint8Array) {
  const rs = compileRuleSet(SET, 1);
  const d = rs.explain(pkt);
  assert.equal(rs.match(pkt, new DataView(pkt.buffer), 0, pkt.length, pkt.length), d.verdict === 'accept', 'match and explain agree');
  return d;
}

test('first match by ascending rule number, then the implicit reject', () => {
  // egress DNS: rule 100 (reject) comes before rule 200 (accept) although listed after it
  let d = decide(hex(`${ETH} 0800 ${ip4(17, '10.0.0.1', '8.8.8.8')} ${ports(5353, 53)}`));
  assert.equal(d.verdict, 'reject');
  assert.equal(d.rule?.ruleNumber, 100);
  // egress TCP: rule 200
  d = decide(hex(`${ETH} 0800 ${ip4(6, '10.0.0.1', '8.8.8.8')} ${ports(40000, 80)}`));
  assert.equal(d.verdict, 'accept');
  assert.equal(d.rule?.ruleNumber, 200);
  // ingress https to 10.1/16: rule 10, named in the reason
  d = decide(hex(`${ETH} 0800 ${ip4(6, '1.2.3.4', '10.1.2.3')} ${ports(40000, 443)}`));
  assert.equal(d.verdict, 'accept');
  assert.match(d.reason, /ingress rule 10 \(accept\): https in/);
  // ingress http: no ingress rule matches -> implicit reject
  d = decide(hex(`${ETH} 0800 ${ip4(6, '1.2.3.4', '10.1.2.3')} ${ports(40000, 80)}`));
  assert.equal(d.verdict, 'reject');
  assert.equal(d.rule, null);
  assert.match(d.reason, /implicit reject/);
  // neither end monitored
  d = decide(hex(`${ETH} 0800 ${ip4(6, '1.2.3.4', '5.6.7.8')} ${ports(1, 2)}`));
  assert.equal(d.direction, null);
});

test('ports match only TCP/UDP first fragments; VLAN tags are skipped', () => {
  // a non-first fragment of an ingress TCP packet has no ports: rule 10 cannot match
  let d = decide(hex(`${ETH} 0800 ${ip4(6, '1.2.3.4', '10.1.2.3', '0010')} ${ports(40000, 443)}`));
  assert.equal(d.verdict, 'reject');
  // 802.1Q and QinQ in front of the same https packet
  d = decide(hex(`${ETH} 8100 0064 0800 ${ip4(6, '1.2.3.4', '10.1.2.3')} ${ports(40000, 443)}`));
  assert.equal(d.rule?.ruleNumber, 10);
  d = decide(hex(`${ETH} 88a8 0001 8100 0064 0800 ${ip4(6, '1.2.3.4', '10.1.2.3')} ${ports(40000, 443)}`));
  assert.equal(d.rule?.ruleNumber, 10);
});

test('validation reports every problem at once, with its path', () => {
  try {
    parseRuleSet({
      monitored: ['10.0.0.0/33'],
      rules: [
        { ruleNumber: 0, direction: 'sideways', action: 'maybe', sourceCidr: '10.0.0.0/8', destinationCidr: '::/0' },
        { ruleNumber: 5, direction: 'ingress', action: 'accept', protocol: 1, sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0', sourcePortRange: { from: 1, to: 2 } },
        { ruleNumber: 5, direction: 'ingress', action: 'accept', sourceCidr: 'x', destinationCidr: '0.0.0.0/0' },
      ],
    });
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof RuleSetError);
    const text = e.problems.join('\n');
    for (const want of ['rules[0].ruleNumber', 'rules[0].direction', 'rules[0].action', 'rules[0]: source and destination CIDRs must be of the same address family',
      'rules[1]: port ranges need protocol 6 (TCP) or 17 (UDP)', 'rules[2].sourceCidr', 'rule number 5 is used 2 times', 'monitored[0]']) {
      assert.ok(text.includes(want), `missing: ${want}\n${text}`);
    }
  }
});

/** A plain reading of the rules (no code generation), used as the reference. */
function reference(set: RuleSet, d: Uint8Array): boolean {
  if (d.length < 14) return false;
  let o = 12;
  let type = (d[o]! << 8) | d[o + 1]!;
  for (let tags = 0; tags < 2 && (type === 0x8100 || type === 0x88a8 || type === 0x9100); tags++) {
    o += 4;
    if (o + 2 > d.length) return false;
    type = (d[o]! << 8) | d[o + 1]!;
  }
  const nl = o + 2;
  let src: bigint, dst: bigint, proto: number, v6: boolean, sport = -1, dport = -1;
  const big = (a: number, n: number) => { let v = 0n; for (let i = 0; i < n; i++) v = (v << 8n) | BigInt(d[a + i]!); return v; };
  if (type === 0x0800 && nl + 20 <= d.length) {
    v6 = false; src = big(nl + 12, 4); dst = big(nl + 16, 4); proto = d[nl + 9]!;
    const hl = (d[nl]! & 15) * 4;
    const frag = ((d[nl + 6]! << 8) | d[nl + 7]!) & 0x1fff;
    if ((proto === 6 || proto === 17) && frag === 0 && nl + hl + 4 <= d.length) { sport = (d[nl + hl]! << 8) | d[nl + hl + 1]!; dport = (d[nl + hl + 2]! << 8) | d[nl + hl + 3]!; }
  } else if (type === 0x86dd && nl + 40 <= d.length) {
    v6 = true; src = big(nl + 8, 16); dst = big(nl + 24, 16); proto = d[nl + 6]!;
    if ((proto === 6 || proto === 17) && nl + 44 <= d.length) { sport = (d[nl + 40]! << 8) | d[nl + 41]!; dport = (d[nl + 42]! << 8) | d[nl + 43]!; }
  } else return false;
  const inCidr = (a: bigint, c: string): boolean => {
    const [addr, len] = c.split('/');
    const isV6 = addr!.includes(':');
    if (isV6 !== v6) return false;
    const bits = isV6 ? 128 : 32;
    let base: bigint;
    if (isV6) {
      const [h, t] = addr!.includes('::') ? addr!.split('::') : [addr!, null];
      const hs = h ? h.split(':') : [], ts = t ? t.split(':') : [];
      const g = t === null ? hs : [...hs, ...new Array(8 - hs.length - ts.length).fill('0'), ...ts];
      base = g.reduce((acc, x) => (acc << 16n) | BigInt(parseInt(x, 16)), 0n);
    } else base = addr!.split('.').reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
    const l = BigInt(len ?? bits);
    const shift = BigInt(bits) - l;
    return (a >> shift) === (base >> shift);
  };
  const matches = (r: MirrorRule) => inCidr(src, r.sourceCidr) && inCidr(dst, r.destinationCidr)
    && (r.protocol === undefined || r.protocol === proto)
    && (!(r.sourcePortRange || r.destinationPortRange) || (sport >= 0
      && (!r.sourcePortRange || (sport >= r.sourcePortRange.from && sport <= r.sourcePortRange.to))
      && (!r.destinationPortRange || (dport >= r.destinationPortRange.from && dport <= r.destinationPortRange.to))));
  const chain = (dir: string) => {
    for (const r of set.rules.filter((x) => x.direction === dir).sort((a, b) => a.ruleNumber - b.ruleNumber)) if (matches(r)) return r.action === 'accept';
    return false;
  };
  const out = set.monitored.some((c) => inCidr(src, c)), inb = set.monitored.some((c) => inCidr(dst, c));
  return (out && chain('egress')) || (inb && chain('ingress'));
}

test('compiled rule sets agree with a plain reading of the rules on every fixture packet', () => {
  const dir = path.resolve(process.cwd(), 'test', 'fixtures', 'filter');
  const files: string[] = [];
  const walk = (d: string) => { for (const e of fs.readdirSync(d, { withFileTypes: true })) { const p = path.join(d, e.name); if (e.isDirectory()) walk(p); else if (/\.(pcap|pcapng)$/.test(e.name)) files.push(p); } };
  walk(dir);
  const sets: RuleSet[] = [
    SET,
    parseRuleSet({ monitored: ['192.168.0.0/16', '172.16.0.0/12', '2001:470::/32'], rules: [
      { ruleNumber: 1, direction: 'ingress', action: 'reject', protocol: 17, sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0', sourcePortRange: { from: 53, to: 53 } },
      { ruleNumber: 2, direction: 'ingress', action: 'accept', sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0' },
      { ruleNumber: 3, direction: 'ingress', action: 'accept', sourceCidr: '::/0', destinationCidr: '::/0', protocol: 58 },
      { ruleNumber: 7, direction: 'egress', action: 'accept', protocol: 6, sourceCidr: '192.168.0.0/24', destinationCidr: '0.0.0.0/0', destinationPortRange: { from: 1, to: 1023 } },
      { ruleNumber: 9, direction: 'egress', action: 'accept', protocol: 17, sourceCidr: '2001:470::/32', destinationCidr: '::/0' },
    ] }),
  ];
  let checked = 0;
  for (const f of files) {
    const cap = loadCaptureSync(f);
    if (cap.interfaces[0]?.linktype !== 1) continue;
    for (const set of sets) {
      const rs = compileRuleSet(set, 1);
      for (let i = 0; i < cap.batch.count; i++) {
        const p = cap.batch.packet(i);
        const got = rs.match(cap.batch.data, cap.batch.view, cap.batch.offset[i]!, cap.batch.caplen[i]!, cap.batch.wirelen[i]!);
        assert.equal(got, reference(set, p), `${f} packet ${i + 1}`);
        assert.equal(rs.explain(p).verdict === 'accept', got, `${f} packet ${i + 1}: explain`);
        checked++;
      }
    }
  }
  assert.ok(checked > 1000, `only ${checked} packets checked`);
});
