/**
 * The parsed form of a pcap-filter expression. It keeps the shape of libpcap's grammar.y
 * (terms, ids with inherited qualifiers, arithmetic) so that code generation can follow
 * gencode.c in the same left-to-right order in which yacc would have reduced the rules:
 * `vlan`, `mpls`, `pppoes` and `geneve` change the offsets of everything generated after them.
 */

/** Qualifiers: `proto` is a pname keyword (ip, tcp, link, ...) or 'default'. */
export interface Qual {
  proto: string;
  /** default | src | dst | or (src or dst) | and (src and dst) | addr1..4 | ra | ta */
  dir: string;
  /** default | host | net | port | portrange | proto | protochain | gateway */
  addr: string;
}
export const QDEFAULT: Qual = Object.freeze({ proto: 'default', dir: 'default', addr: 'default' });
/** What yacc's `null` rule gives: an expression start has no qualifiers to inherit. */
export const QERR: Qual = Object.freeze({ proto: 'undef', dir: 'undef', addr: 'undef' });

export type IdValue =
  | { t: 'name'; s: string }
  | { t: 'num'; n: number }
  | { t: 'hid'; s: string }
  | { t: 'hidlen'; s: string; len: number }
  | { t: 'hidmask'; s: string; mask: string }
  | { t: 'hid6'; s: string; len: number }
  | { t: 'eid'; s: string }
  | { t: 'aid'; s: string };

export type Arth =
  | { k: 'num'; v: number; pos: number }
  | { k: 'len'; pos: number }
  | { k: 'load'; proto: string; index: Arth; size: number; pos: number }
  | { k: 'bin'; op: string; a: Arth; b: Arth; pos: number }
  | { k: 'neg'; a: Arth; pos: number };

export type Node =
  | { k: 'and' | 'or'; a: Node; b: Node; pos: number }
  | { k: 'not'; a: Node; pos: number }
  | { k: 'id'; q: Qual; id: IdValue; pos: number }
  | { k: 'pname'; proto: string; pos: number }
  /** op is the BPF jump: jgt, jge, jeq; reversed for <=, <, != (gen_relation's `reversed`). */
  | { k: 'rel'; op: 'jgt' | 'jge' | 'jeq'; reversed: boolean; a: Arth; b: Arth; pos: number }
  | { k: 'other'; what: string; proto?: string; num?: number; num2?: number; op?: string; arg?: string; pos: number };

const DIR_TEXT: Record<string, string> = { src: 'src', dst: 'dst', or: 'src or dst', and: 'src and dst' };

function idText(id: IdValue): string {
  switch (id.t) {
    case 'name': return /^[A-Za-z0-9]/.test(id.s) ? id.s : `\\${id.s}`;
    case 'num': return String(id.n);
    case 'hid': case 'eid': case 'aid': return id.s;
    case 'hidlen': return `${id.s}/${id.len}`;
    case 'hidmask': return `${id.s} mask ${id.mask}`;
    case 'hid6': return id.len === 128 ? id.s : `${id.s}/${id.len}`;
  }
}

function arthText(a: Arth): string {
  switch (a.k) {
    case 'num': return a.v > 9 ? `0x${a.v.toString(16)}` : String(a.v);
    case 'len': return 'len';
    case 'load': return `${a.proto === 'link' ? 'ether' : a.proto}[${arthText(a.index)}${a.size !== 1 ? `:${a.size}` : ''}]`;
    case 'bin': return `(${arthText(a.a)} ${a.op} ${arthText(a.b)})`;
    case 'neg': return `-${arthText(a.a)}`;
  }
}

/** Normalised text: every qualifier explicit, parentheses where grouping matters. */
export function normalize(n: Node): string {
  switch (n.k) {
    case 'and': case 'or': {
      const side = (c: Node) => ((c.k === 'and' || c.k === 'or') && c.k !== n.k ? `(${normalize(c)})` : normalize(c));
      // The parser builds left-deep chains: walk the spine in a loop (a 5,000-host or-chain).
      const rights: Node[] = [];
      let left: Node = n;
      while (left.k === n.k) { rights.push(left.b); left = left.a; }
      return [side(left), ...rights.reverse().map(side)].join(` ${n.k} `);
    }
    case 'not': {
      const inner = normalize(n.a);
      return n.a.k === 'and' || n.a.k === 'or' ? `not (${inner})` : `not ${inner}`;
    }
    case 'id': {
      const parts: string[] = [];
      if (n.q.proto !== 'default' && n.q.proto !== 'undef') parts.push(n.q.proto === 'link' ? 'ether' : n.q.proto);
      if (n.q.dir !== 'default' && n.q.dir !== 'undef') parts.push(DIR_TEXT[n.q.dir] ?? n.q.dir);
      if (n.q.addr !== 'default' && n.q.addr !== 'undef') parts.push(n.q.addr);
      parts.push(idText(n.id));
      return parts.join(' ');
    }
    case 'pname': return n.proto === 'link' ? 'ether' : n.proto;
    case 'rel': {
      const ops = n.reversed ? { jgt: '<=', jge: '<', jeq: '!=' } : { jgt: '>', jge: '>=', jeq: '=' };
      return `${arthText(n.a)} ${ops[n.op]} ${arthText(n.b)}`;
    }
    case 'other': {
      const pre = n.proto && n.proto !== 'default' ? `${n.proto === 'link' ? 'ether' : n.proto} ` : '';
      if (n.what === 'byte') return `byte ${n.num} ${n.op} ${n.num2}`;
      // 802.11 frame-control tests keep the names as written (their qualifier is ignored).
      if (n.what === 'wlan') return `wlan ${n.arg}`;
      const arg = n.num !== undefined ? ` ${n.num}` : n.arg !== undefined ? ` ${n.arg}` : '';
      return `${pre}${n.what}${arg}`;
    }
  }
}
