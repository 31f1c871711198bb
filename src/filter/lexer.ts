/**
 * Tokeniser for the pcap-filter language, a transcription of libpcap's scanner.l.
 *
 * flex picks the LONGEST match at each position and, among equally long matches, the rule
 * written first. We reproduce that exactly by trying every rule class in scanner.l order
 * and keeping the first longest one: it is why `tcp-syn` is a number, `tcpx` a name, `80`
 * a number, `1.2.3.4` a host id and `25-smtp` one name (a port range spelled as a name).
 */
import { isIPv6 } from 'node:net';
import { FilterSyntaxError } from './errors.js';
import { NAMED_NUMBERS } from './names.js';

export type TokenKind =
  | 'KW' // keyword: `text` holds the canonical keyword (e.g. LINK for ether/ppp/...)
  | 'NUM'
  | 'ID'
  | 'HID' // dotted IPv4 host id: 1.2, 1.2.3, 1.2.3.4
  | 'HID6'
  | 'EID' // MAC address
  | 'AID' // $xx ARCnet address
  | 'OP' // punctuation / operator: text is the operator ('&&' -> AND keyword instead)
  | 'EOF';

export interface Token {
  kind: TokenKind;
  /** For KW: the canonical keyword; for OP: the operator; for ID/HID/...: the text. */
  text: string;
  /** The text as written. */
  raw: string;
  value: number;
  pos: number;
}

/** Keyword spellings -> canonical keyword (scanner.l groups synonyms into one token). */
const KEYWORDS: Record<string, string> = {};
function kw(canon: string, ...spellings: string[]): void {
  for (const s of spellings.length ? spellings : [canon]) KEYWORDS[s] = canon;
}
kw('dst'); kw('src');
kw('link', 'link', 'ether', 'ppp', 'slip', 'fddi', 'tr', 'wlan');
for (const k of ['arp', 'rarp', 'ip', 'sctp', 'tcp', 'udp', 'icmp', 'igmp', 'igrp', 'pim', 'vrrp', 'carp', 'radio',
  'ip6', 'icmp6', 'ah', 'esp', 'atalk', 'aarp', 'decnet', 'lat', 'sca', 'moprc', 'mopdl', 'iso', 'isis', 'l1', 'l2',
  'iih', 'lsp', 'snp', 'csnp', 'psnp', 'clnp', 'stp', 'ipx', 'netbeui', 'host', 'net', 'port', 'portrange', 'proto',
  'protochain', 'gateway', 'type', 'subtype', 'ra', 'ta', 'less', 'greater', 'broadcast', 'multicast', 'inbound',
  'outbound', 'ifindex', 'vlan', 'mpls', 'pppoed', 'pppoes', 'geneve', 'vxlan', 'lane', 'llc', 'metac', 'bcc', 'oam', 'oamf4',
  'oamf4ec', 'oamf4sc', 'sc', 'ilmic', 'vpi', 'vci', 'connectmsg', 'metaconnect', 'reason', 'action', 'fisu', 'lssu',
  'msu', 'hfisu', 'hlssu', 'hmsu', 'sio', 'opc', 'dpc', 'sls', 'hsio', 'hopc', 'hdpc', 'hsls']) kw(k);
kw('esis', 'esis', 'es-is'); kw('isis', 'isis', 'is-is'); kw('mask'); kw('dir', 'direction', 'dir');
kw('addr1', 'address1', 'addr1'); kw('addr2', 'address2', 'addr2'); kw('addr3', 'address3', 'addr3');
kw('addr4', 'address4', 'addr4'); kw('byte'); kw('and'); kw('or'); kw('not'); kw('len', 'len', 'length');
kw('ifname', 'on', 'ifname'); kw('rset', 'rset', 'ruleset'); kw('rnr', 'rnr', 'rulenum'); kw('srnr', 'srnr', 'subrulenum');
kw('lssu', 'lssu', 'lsu');
const KW_LIST = Object.keys(KEYWORDS);

const N = '(?:0[xX][0-9A-Fa-f]+|[0-9]+)';
const B = '[0-9A-Fa-f][0-9A-Fa-f]?';
const B2 = '[0-9A-Fa-f]{4}';
const RE = {
  op2: /(>=|<=|!=|==|<<|>>|&&|\|\|)/y,
  op1: /[+\-*/%:[\]!<>()&|^=]/y,
  aid: new RegExp(`\\$${B}`, 'y'),
  num: new RegExp(N, 'y'),
  hid: new RegExp(`${N}\\.${N}(?:\\.${N}(?:\\.${N})?)?`, 'y'),
  v6: /[0-9A-Fa-f:.]+/y,
  bogusEther: new RegExp(`${B}:+(?:${B}:+)+`, 'y'),
  id: /[A-Za-z0-9](?:[-_.A-Za-z0-9]*[.A-Za-z0-9])?/y,
  escId: /\\[^ !()\n\t]+/y,
  space: /[ \r\n\t]+/y,
};

/** Length of the longest match of a sticky regex at pos (greedy regexes mimic flex for these rules). */
function matchLen(re: RegExp, s: string, pos: number): number {
  re.lastIndex = pos;
  const m = re.exec(s);
  return m ? m[0].length : 0;
}

/** All possible match lengths of the alternation (flex takes the longest over alternatives). */
function longestAlt(alts: RegExp[], s: string, pos: number): number {
  let best = 0;
  for (const re of alts) best = Math.max(best, matchLen(re, s, pos));
  return best;
}
const MAC_ALTS = [
  new RegExp(`${B}:${B}:${B}:${B}:${B}:${B}`, 'y'), new RegExp(`${B}-${B}-${B}-${B}-${B}-${B}`, 'y'),
  new RegExp(`${B}\\.${B}\\.${B}\\.${B}\\.${B}\\.${B}`, 'y'), new RegExp(`${B2}\\.${B2}\\.${B2}`, 'y'), new RegExp(`(?:${B2}){3}`, 'y'),
];
const HID_ALTS = [
  new RegExp(`${N}\\.${N}\\.${N}\\.${N}`, 'y'), new RegExp(`${N}\\.${N}\\.${N}`, 'y'), new RegExp(`${N}\\.${N}`, 'y'),
];

/** Longest prefix of s[pos..] that is a valid IPv6 literal (scanner.l's V6 patterns). */
function v6Len(s: string, pos: number): number {
  const max = matchLen(RE.v6, s, pos);
  for (let len = max; len >= 2; len--) {
    const t = s.slice(pos, pos + len);
    if (t.includes(':') && isIPv6(t)) return len;
  }
  return 0;
}

/** Parses a libpcap number (decimal, 0x hex, 0 octal) with its overflow / digit errors. */
export function parseNumber(text: string, pos: number): number {
  let n = 0;
  if (/^0[xX]/.test(text)) {
    for (const c of text.slice(2)) {
      if (n > 0xfffffff) throw new FilterSyntaxError(`number ${text} overflows 32 bits`, pos);
      n = n * 16 + parseInt(c, 16);
    }
  } else if (text.length > 1 && text[0] === '0') {
    for (const c of text.slice(1)) {
      if (c > '7') throw new FilterSyntaxError(`number ${text} contains non-octal digit`, pos);
      if (n > 0o3777777777) throw new FilterSyntaxError(`number ${text} overflows 32 bits`, pos);
      n = n * 8 + (c.charCodeAt(0) - 48);
    }
  } else {
    for (const c of text) {
      n = n * 10 + (c.charCodeAt(0) - 48);
      if (n > 0xffffffff) throw new FilterSyntaxError(`number ${text} overflows 32 bits`, pos);
    }
  }
  return n >>> 0;
}

export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let pos = 0;
  while (pos < src.length) {
    const sp = matchLen(RE.space, src, pos);
    if (sp) { pos += sp; continue; }
    // Candidate lengths in scanner.l rule order; the first longest wins.
    let kwLen = 0, kwText = '';
    for (const k of KW_LIST) {
      if (k.length > kwLen && src.startsWith(k, pos)) { kwLen = k.length; kwText = k; }
    }
    let namedLen = 0, namedText = '';
    for (const k of Object.keys(NAMED_NUMBERS)) {
      if (k.length > namedLen && src.startsWith(k, pos)) { namedLen = k.length; namedText = k; }
    }
    const cands: [string, number][] = [
      ['KW', kwLen],
      ['OP1', matchLen(RE.op1, src, pos)],
      ['OP2', matchLen(RE.op2, src, pos)],
      ['AID', matchLen(RE.aid, src, pos)],
      ['EID', longestAlt(MAC_ALTS, src, pos)],
      ['NUM', matchLen(RE.num, src, pos)],
      ['HID', longestAlt(HID_ALTS, src, pos)],
      ['HID6', v6Len(src, pos)],
      ['BOGUS', matchLen(RE.bogusEther, src, pos)],
      ['NAMED', namedLen],
      ['ID', matchLen(RE.id, src, pos)],
      ['ESCID', matchLen(RE.escId, src, pos)],
    ];
    let best = 0, which = '';
    for (const [k, l] of cands) if (l > best) { best = l; which = k; }
    if (best === 0) throw new FilterSyntaxError(`syntax error: unexpected character '${src[pos]}'`, pos);
    const raw = src.slice(pos, pos + best);
    const tok: Token = { kind: 'ID', text: raw, raw, value: 0, pos };
    switch (which) {
      case 'KW': {
        const canon = KEYWORDS[kwText]!;
        if (canon === 'and' || canon === 'or' || canon === 'not') { tok.kind = 'OP'; tok.text = canon === 'not' ? '!' : canon === 'and' ? '&&' : '||'; }
        else { tok.kind = 'KW'; tok.text = canon; }
        break;
      }
      case 'OP1': case 'OP2':
        tok.kind = 'OP'; tok.text = raw === '==' ? '=' : raw; break;
      case 'AID': tok.kind = 'AID'; break;
      case 'EID': tok.kind = 'EID'; break;
      case 'NUM': tok.kind = 'NUM'; tok.value = parseNumber(raw, pos); break;
      case 'HID': tok.kind = 'HID'; break;
      case 'HID6': tok.kind = 'HID6'; break;
      case 'BOGUS': throw new FilterSyntaxError(`bogus ethernet address ${raw}`, pos);
      case 'NAMED': tok.kind = 'NUM'; tok.value = NAMED_NUMBERS[namedText]!; break;
      case 'ID': tok.kind = 'ID'; break;
      case 'ESCID': tok.kind = 'ID'; tok.text = raw.slice(1); break;
    }
    out.push(tok);
    pos += best;
  }
  out.push({ kind: 'EOF', text: '', raw: '', value: 0, pos: src.length });
  return out;
}
