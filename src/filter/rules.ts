/**
 * Cloud-style rule sets with AWS VPC Traffic Mirroring filter semantics, compiled to the same
 * predicate form (and the same generated JavaScript) as pcap-filter expressions.
 *
 * Semantics (AWS "traffic mirror filter rules", without AWS's 10-rule limit):
 * - Rules belong to a direction: `ingress` (traffic INTO the monitored network) or `egress`
 *   (traffic OUT of it). Direction is decided by a configured monitored network (CIDR list):
 *   a packet whose source is monitored is egress traffic, one whose destination is monitored is
 *   ingress traffic. A packet with both ends monitored is evaluated in both directions and kept
 *   if either accepts it; a packet with neither end monitored is not mirrored traffic: rejected.
 * - Within a direction, rules are tried by ascending rule number; the first rule that matches
 *   decides (accept or reject). When none matches, the packet is rejected (implicit reject).
 * - A rule matches on: optional IP protocol number, source and destination CIDR (IPv4 or IPv6;
 *   a rule matches only packets of its CIDRs' family) and, for TCP and UDP only, source and
 *   destination port ranges. A rule with a port range never matches a non-TCP/UDP packet, nor
 *   a non-first IPv4 fragment (which has no ports).
 * - The IP header is found like the pcap filter finds it for the capture's link type, except
 *   that on Ethernet up to two VLAN tags (802.1Q, 802.1ad, 0x9100) are skipped first. Tunnels
 *   are not entered (a mirror session sees the outer packet), and IPv6 extension headers are not
 *   walked: the protocol is IPv6's Next Header field, as in libpcap's port tests.
 */
import type { PacketBatch } from '../core/batch.js';
import { isIP } from 'node:net';
import { TapwireError, ExitCode } from '../core/errors.js';
import { type Bool, type Val, FALSE, K, TRUE, add, and, cmp, eq, ld, meq, not, or } from './ir.js';
import { compileSource, emitSource, type MatchFn } from './jit.js';
import { type LinkState, at, initLink, linktype, off } from './linklayer.js';
import { EtherType, IpProto } from './names.js';

export interface PortRange { from: number; to: number }

export interface MirrorRule {
  ruleNumber: number;
  direction: 'ingress' | 'egress';
  action: 'accept' | 'reject';
  /** IP protocol number; undefined = all protocols. */
  protocol?: number;
  sourceCidr: string;
  destinationCidr: string;
  sourcePortRange?: PortRange;
  destinationPortRange?: PortRange;
  description?: string;
}

export interface RuleSet {
  /** CIDRs of the monitored network (both families allowed). */
  monitored: string[];
  rules: MirrorRule[];
}

export interface Decision {
  verdict: 'accept' | 'reject';
  /** Which direction decided, or null when no end of the packet is monitored / not IP. */
  direction: 'ingress' | 'egress' | null;
  /** The rule that decided, or null for the implicit reject. */
  rule: MirrorRule | null;
  reason: string;
}

export interface CompiledRuleSet {
  readonly source: string;
  readonly match: MatchFn;
  matchBatch(batch: PacketBatch, verdicts: Uint8Array): number;
  /** Names the rule (and direction) that decided one packet. */
  explain(data: Uint8Array, caplen?: number, wirelen?: number): Decision;
}

export class RuleSetError extends TapwireError {
  readonly problems: string[];
  constructor(problems: string[]) {
    super('E_USAGE', `invalid rule set:\n  ${problems.join('\n  ')}`, ExitCode.usage);
    this.problems = problems;
    this.name = 'RuleSetError';
  }
}

interface Cidr { v6: boolean; words: number[]; masks: number[] }

function parseCidr(text: string): Cidr | null {
  const [addr, lenText] = text.split('/');
  const fam = isIP(addr ?? '');
  if (fam === 0) return null;
  const v6 = fam === 6;
  const max = v6 ? 128 : 32;
  const len = lenText === undefined ? max : Number(lenText);
  if (!Number.isInteger(len) || len < 0 || len > max) return null;
  const words: number[] = [];
  if (v6) {
    const [head, tail] = addr!.includes('::') ? addr!.split('::') : [addr!, null];
    const h = head ? head.split(':') : [];
    const t = tail ? tail.split(':') : [];
    const groups = tail === null ? h : [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
    if (groups.some((g) => g.includes('.'))) return null;
    for (let i = 0; i < 4; i++) words.push(((parseInt(groups[2 * i]!, 16) << 16) | parseInt(groups[2 * i + 1]!, 16)) >>> 0);
  } else words.push(addr!.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0));
  const masks = words.map((_, i) => {
    const bits = Math.max(0, Math.min(32, len - 32 * i));
    return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  });
  return { v6, words: words.map((w, i) => (w & masks[i]!) >>> 0), masks };
}

/** Reads a rule set from JSON: our field names or AWS's (RuleNumber, TrafficDirection, ...). */
export function parseRuleSet(json: unknown): RuleSet {
  const problems: string[] = [];
  const o = (json ?? {}) as Record<string, unknown>;
  const monitored = (o.monitored ?? o.Monitored ?? []) as unknown;
  if (!Array.isArray(monitored) || monitored.length === 0) problems.push('monitored: give at least one CIDR of the monitored network');
  const rules: MirrorRule[] = [];
  const lists: [unknown, 'ingress' | 'egress' | null, string][] = [
    [o.rules, null, 'rules'], [o.ingress ?? o.IngressFilterRules, 'ingress', o.ingress ? 'ingress' : 'IngressFilterRules'],
    [o.egress ?? o.EgressFilterRules, 'egress', o.egress ? 'egress' : 'EgressFilterRules'],
  ];
  for (const [list, dir, name] of lists) {
    if (list === undefined) continue;
    if (!Array.isArray(list)) { problems.push(`${name}: must be an array of rules`); continue; }
    list.forEach((raw, i) => {
      const r = raw as Record<string, unknown>;
      const p = `${name}[${i}]`;
      const get = (...keys: string[]) => keys.map((k) => r[k]).find((v) => v !== undefined);
      const range = (v: unknown, what: string): PortRange | undefined => {
        if (v === undefined) return undefined;
        const x = v as Record<string, unknown>;
        const from = Number(x.from ?? x.FromPort), to = Number(x.to ?? x.ToPort);
        if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to > 65535 || from > to) {
          problems.push(`${p}.${what}: need integers 0 <= from <= to <= 65535`);
          return undefined;
        }
        return { from, to };
      };
      const rule: MirrorRule = {
        ruleNumber: Number(get('ruleNumber', 'RuleNumber')),
        direction: (dir ?? get('direction', 'TrafficDirection')) as MirrorRule['direction'],
        action: get('action', 'RuleAction') as MirrorRule['action'],
        sourceCidr: String(get('sourceCidr', 'SourceCidrBlock') ?? ''),
        destinationCidr: String(get('destinationCidr', 'DestinationCidrBlock') ?? ''),
      };
      const proto = get('protocol', 'Protocol');
      if (proto !== undefined && proto !== -1 && proto !== '-1') rule.protocol = Number(proto);
      const sp = range(get('sourcePortRange', 'SourcePortRange'), 'sourcePortRange');
      const dp = range(get('destinationPortRange', 'DestinationPortRange'), 'destinationPortRange');
      if (sp) rule.sourcePortRange = sp;
      if (dp) rule.destinationPortRange = dp;
      const desc = get('description', 'Description');
      if (desc !== undefined) rule.description = String(desc);
      if (!Number.isInteger(rule.ruleNumber) || rule.ruleNumber < 1) problems.push(`${p}.ruleNumber: need a positive integer`);
      if (rule.direction !== 'ingress' && rule.direction !== 'egress') problems.push(`${p}.direction: 'ingress' or 'egress'`);
      if (rule.action !== 'accept' && rule.action !== 'reject') problems.push(`${p}.action: 'accept' or 'reject'`);
      if (rule.protocol !== undefined && !(Number.isInteger(rule.protocol) && rule.protocol >= 0 && rule.protocol <= 255)) problems.push(`${p}.protocol: an IP protocol number 0-255`);
      const s = parseCidr(rule.sourceCidr), d = parseCidr(rule.destinationCidr);
      if (!s) problems.push(`${p}.sourceCidr: '${rule.sourceCidr}' is not a CIDR`);
      if (!d) problems.push(`${p}.destinationCidr: '${rule.destinationCidr}' is not a CIDR`);
      if (s && d && s.v6 !== d.v6) problems.push(`${p}: source and destination CIDRs must be of the same address family`);
      if ((sp || dp) && rule.protocol !== undefined && rule.protocol !== IpProto.TCP && rule.protocol !== IpProto.UDP) {
        problems.push(`${p}: port ranges need protocol 6 (TCP) or 17 (UDP)`);
      }
      rules.push(rule);
    });
  }
  const numbers = new Map<string, number>();
  for (const r of rules) {
    const key = `${r.direction}:${r.ruleNumber}`;
    numbers.set(key, (numbers.get(key) ?? 0) + 1);
  }
  for (const [key, n] of numbers) if (n > 1) problems.push(`rule number ${key.split(':')[1]} is used ${n} times in direction ${key.split(':')[0]}`);
  if (Array.isArray(monitored)) monitored.forEach((c, i) => { if (!parseCidr(String(c))) problems.push(`monitored[${i}]: '${String(c)}' is not a CIDR`); });
  if (problems.length) throw new RuleSetError(problems);
  return { monitored: (monitored as unknown[]).map(String), rules };
}

/** Builds predicates over one link type. */
class RuleGen {
  private readonly s: LinkState;
  private regs = 0;
  readonly prelude: Bool;

  constructor(linktypeNum: number) {
    this.s = initLink(linktypeNum, true);
    // Skip up to two VLAN tags on Ethernet: the network layer offset lives in a register.
    if (this.s.kind === 'ether') {
      const r = this.regs++;
      const type = (o: Val) => ld(2, o);
      const isTag = (o: Val) => or(or(eq(type(o), EtherType.VLAN_8021Q), eq(type(o), EtherType.QINQ_88A8)), eq(type(o), EtherType.QINQ_9100));
      const reg: Val = { k: 'reg', r };
      this.prelude = and({ k: 'set', r, v: K(14) }, {
        k: 'if', c: isTag(K(12)),
        a: and({ k: 'set', r, v: K(18) }, { k: 'if', c: isTag(K(16)), a: { k: 'set', r, v: K(22) }, b: TRUE }),
        b: TRUE,
      });
      this.s.linktype = off(0, add(reg, -2));
      this.s.linkpl = off(0, reg);
    } else this.prelude = TRUE;
  }

  isV4(): Bool { return linktype(this.s, EtherType.IP); }
  isV6(): Bool { return linktype(this.s, EtherType.IPV6); }
  private nl(n: number, size: number): Val { return ld(size, at(this.s.linkpl, n)); }

  inCidr(c: Cidr, which: 'src' | 'dst'): Bool {
    if (!c.v6) return and(this.isV4(), meq(this.nl(which === 'src' ? 12 : 16, 4), c.words[0]!, c.masks[0]!));
    const base = which === 'src' ? 8 : 24;
    let b: Bool = this.isV6();
    for (let i = 0; i < 4; i++) if (c.masks[i] !== 0) b = and(b, meq(this.nl(base + 4 * i, 4), c.words[i]!, c.masks[i]!));
    return b;
  }

  inAny(cidrs: Cidr[], which: 'src' | 'dst'): Bool {
    let b: Bool = FALSE;
    for (const c of cidrs) b = or(b, this.inCidr(c, which));
    return b;
  }

  rule(r: MirrorRule): Bool {
    const s = parseCidr(r.sourceCidr)!, d = parseCidr(r.destinationCidr)!;
    let b = and(this.inCidr(s, 'src'), this.inCidr(d, 'dst'));
    const protoAt = s.v6 ? 6 : 9;
    if (r.protocol !== undefined) b = and(b, eq(this.nl(protoAt, 1), r.protocol));
    if (r.sourcePortRange || r.destinationPortRange) {
      const p = this.nl(protoAt, 1);
      b = and(b, or(eq(p, IpProto.TCP), eq(p, IpProto.UDP)));
      const port = (o: number): Val => {
        if (s.v6) return this.nl(40 + o, 2);
        const nlv = at(this.s.linkpl, 0);
        const hl: Val = { k: 'bin', op: '<<', a: { k: 'bin', op: '&', a: ld(1, nlv), b: K(0xf) }, b: K(2) };
        return ld(2, { k: 'bin', op: '+', a: hl, b: add(nlv, o) });
      };
      if (!s.v6) b = and(b, meq(this.nl(6, 2), 0, 0x1fff));
      const inRange = (v: Val, pr: PortRange): Bool => and(cmp('jge', v, K(pr.from)), not(cmp('jgt', v, K(pr.to))));
      if (r.sourcePortRange) b = and(b, inRange(port(0), r.sourcePortRange));
      if (r.destinationPortRange) b = and(b, inRange(port(2), r.destinationPortRange));
    }
    return b;
  }
}

const byNumber = (a: MirrorRule, b: MirrorRule) => a.ruleNumber - b.ruleNumber;

/**
 * A rule set into one predicate. The rule chain is an if/else ladder evaluated in rule
 * number order, so the generated code stops at the first rule that matches, like AWS does.
 */
export function compileRuleSet(set: RuleSet, linktypeNum: number): CompiledRuleSet {
  const gen = new RuleGen(linktypeNum);
  const monitored = set.monitored.map((c) => parseCidr(c)!);
  const chain = (dir: 'ingress' | 'egress'): Bool => {
    let b: Bool = FALSE; // implicit reject
    for (const r of set.rules.filter((x) => x.direction === dir).sort(byNumber).reverse()) {
      b = { k: 'if', c: gen.rule(r), a: r.action === 'accept' ? TRUE : FALSE, b };
    }
    return b;
  };
  const egress = and(gen.inAny(monitored, 'src'), chain('egress'));
  const ingress = and(gen.inAny(monitored, 'dst'), chain('ingress'));
  const pred = and(gen.prelude, or(egress, ingress));
  const source = emitSource(pred);
  const match = compileSource(source);

  // For explain: one function per rule and per direction test (slow path, one packet at a time).
  const fn = (b: Bool) => compileSource(emitSource(and(gen.prelude, b)));
  const srcMon = fn(gen.inAny(monitored, 'src'));
  const dstMon = fn(gen.inAny(monitored, 'dst'));
  const isIpFn = fn(or(gen.isV4(), gen.isV6()));
  const ruleFns = set.rules.map((r) => ({ r, f: fn(gen.rule(r)) }));
  const decideIn = (dir: 'ingress' | 'egress', data: Uint8Array, view: DataView, caplen: number, wirelen: number): Decision => {
    for (const { r, f } of ruleFns.filter((x) => x.r.direction === dir).sort((a, b) => byNumber(a.r, b.r))) {
      if (f(data, view, 0, caplen, wirelen)) {
        return { verdict: r.action, direction: dir, rule: r, reason: `${dir} rule ${r.ruleNumber} (${r.action})${r.description ? `: ${r.description}` : ''}` };
      }
    }
    return { verdict: 'reject', direction: dir, rule: null, reason: `no ${dir} rule matched: implicit reject` };
  };

  return {
    source, match,
    matchBatch(batch: PacketBatch, verdicts: Uint8Array): number {
      const { data, view, offset, caplen, wirelen } = batch;
      let kept = 0;
      for (let i = 0; i < batch.count; i++) {
        const v = match(data, view, offset[i]!, caplen[i]!, wirelen[i]!) ? 1 : 0;
        verdicts[i] = v;
        kept += v;
      }
      return kept;
    },
    explain(data: Uint8Array, caplen = data.length, wirelen = caplen): Decision {
      const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
      if (!isIpFn(data, view, 0, caplen, wirelen)) return { verdict: 'reject', direction: null, rule: null, reason: 'not an IPv4 or IPv6 packet' };
      const out = srcMon(data, view, 0, caplen, wirelen), inb = dstMon(data, view, 0, caplen, wirelen);
      if (!out && !inb) return { verdict: 'reject', direction: null, rule: null, reason: 'neither address is in the monitored network' };
      const e = out ? decideIn('egress', data, view, caplen, wirelen) : null;
      if (e && e.verdict === 'accept') return e;
      const i = inb ? decideIn('ingress', data, view, caplen, wirelen) : null;
      if (i && i.verdict === 'accept') return i;
      return e ?? i!;
    },
  };
}
