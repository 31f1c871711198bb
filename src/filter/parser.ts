/**
 * Recursive-descent parser for libpcap's grammar.y. yacc is LALR(1); where the grammar is
 * ambiguous for a top-down reader (`(`...`)` may open an expression, an arithmetic operand or
 * a list of ids such as `port (80 or 443)`) we try the alternatives in turn and keep the one
 * that parses, reporting the error that got furthest when none does.
 *
 * Qualifier inheritance follows yacc's `$<blk>0`: an id written after `and`/`or` takes the
 * qualifiers of the term before it (`host a or b`, `tcp port 80 or 443`).
 */
import { type Arth, type IdValue, type Node, type Qual, QERR } from './ast.js';
import { FilterSyntaxError } from './errors.js';
import { type Token, tokenize } from './lexer.js';

/** The grammar's pname tokens (protocol qualifiers). */
const PNAMES = new Set(['link', 'ip', 'arp', 'rarp', 'sctp', 'tcp', 'udp', 'icmp', 'igmp', 'igrp', 'pim', 'vrrp', 'carp',
  'atalk', 'aarp', 'decnet', 'lat', 'sca', 'mopdl', 'moprc', 'ip6', 'icmp6', 'ah', 'esp', 'iso', 'esis', 'isis', 'l1',
  'l2', 'iih', 'lsp', 'snp', 'psnp', 'csnp', 'clnp', 'stp', 'ipx', 'netbeui', 'radio']);
const DQUALS = new Set(['src', 'dst', 'addr1', 'addr2', 'addr3', 'addr4', 'ra', 'ta']);
const AQUALS = new Set(['host', 'net', 'port', 'portrange']);
const RELOPS: Record<string, { op: 'jgt' | 'jge' | 'jeq'; reversed: boolean }> = {
  '>': { op: 'jgt', reversed: false }, '>=': { op: 'jge', reversed: false }, '=': { op: 'jeq', reversed: false },
  '<=': { op: 'jgt', reversed: true }, '<': { op: 'jge', reversed: true }, '!=': { op: 'jeq', reversed: true },
};
/** Arithmetic precedence from grammar.y's %left lines. '%' and '^' have none there, so yacc
 * always shifts them: they bind their left neighbour tightest and take the rest as right side. */
const ARTH_PREC: Record<string, number> = { '|': 1, '&': 2, '<<': 3, '>>': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 0, '^': 0 };

interface Parsed { node: Node; q: Qual }

// ---- 802.11 names: grammar.y's ieee80211_* tables (libpcap 1.10) -------------------------
const FC0_TYPE_MASK = 0x0c, FC0_SUBTYPE_MASK = 0xf0, FC1_DIR_MASK = 0x03;
const WLAN_TYPES: Record<string, number> = { data: 0x08, mgt: 0x00, management: 0x00, ctl: 0x04, control: 0x04 };
const WLAN_MGT: Record<string, number> = {
  assocreq: 0x00, 'assoc-req': 0x00, assocresp: 0x10, 'assoc-resp': 0x10, reassocreq: 0x20, 'reassoc-req': 0x20,
  reassocresp: 0x30, 'reassoc-resp': 0x30, probereq: 0x40, 'probe-req': 0x40, proberesp: 0x50, 'probe-resp': 0x50,
  beacon: 0x80, atim: 0x90, disassoc: 0xa0, disassociation: 0xa0, auth: 0xb0, authentication: 0xb0,
  deauth: 0xc0, deauthentication: 0xc0,
};
const WLAN_CTL: Record<string, number> = {
  // `bar`/`ba` come from newer libpcap (1.10 rejects them), accepted like `vxlan`.
  bar: 0x80, ba: 0x90, 'ps-poll': 0xa0, rts: 0xb0, cts: 0xc0, ack: 0xd0, 'cf-end': 0xe0, 'cf-end-ack': 0xf0,
};
const WLAN_DATA: Record<string, number> = {
  data: 0x00, 'data-cf-ack': 0x10, 'data-cf-poll': 0x20, 'data-cf-ack-poll': 0x30, null: 0x40, 'cf-ack': 0x50,
  'cf-poll': 0x60, 'cf-ack-poll': 0x70, 'qos-data': 0x80, 'qos-data-cf-ack': 0x90, 'qos-data-cf-poll': 0xa0,
  'qos-data-cf-ack-poll': 0xb0, qos: 0xc0, 'qos-cf-poll': 0xe0, 'qos-cf-ack-poll': 0xf0,
};
/** ieee80211_type_subtypes: searched in this order by `subtype NAME`. */
const WLAN_SUBTYPES: [number, Record<string, number>][] = [[0x00, WLAN_MGT], [0x04, WLAN_CTL], [0x08, WLAN_DATA]];
const WLAN_DIRS: Record<string, number> = { nods: 0, tods: 1, fromds: 2, dstods: 3 };
/** str2tok: case-insensitive (pcap_strcasecmp). */
const str2tok = (s: string, table: Record<string, number>): number | undefined =>
  Object.hasOwn(table, s.toLowerCase()) ? table[s.toLowerCase()] : undefined;
const hex2 = (v: number): string => (v >>> 0).toString(16).padStart(2, '0');

class Parser {
  private p = 0;
  private furthest: FilterSyntaxError | null = null;
  constructor(private readonly toks: Token[]) {}

  private get t(): Token { return this.toks[this.p]!; }
  private atEnd(): boolean { return this.toks[this.p]!.kind === 'EOF'; }
  private peek(n = 1): Token { return this.toks[Math.min(this.p + n, this.toks.length - 1)]!; }
  private isOp(text: string, t: Token = this.t): boolean { return t.kind === 'OP' && t.text === text; }
  private isKw(text: string, t: Token = this.t): boolean { return t.kind === 'KW' && t.text === text; }
  private isPname(t: Token = this.t): boolean { return t.kind === 'KW' && PNAMES.has(t.text); }

  fail(t: Token = this.t, msg = 'syntax error'): never {
    const e = new FilterSyntaxError(t.kind === 'EOF' ? `${msg} at end of expression` : `${msg} at '${t.raw}'`, t.pos);
    if (!this.furthest || e.position >= this.furthest.position) this.furthest = e;
    throw e;
  }
  private expectOp(text: string): Token {
    if (!this.isOp(text)) this.fail();
    return this.toks[this.p++]!;
  }
  /** Runs alternatives from the same position; the first that parses wins. */
  private alt<T>(...fns: (() => T)[]): T {
    const start = this.p;
    let last: unknown = null;
    for (const fn of fns) {
      try { return fn(); } catch (e) {
        if (!(e instanceof FilterSyntaxError) || e.message.startsWith('number ')) throw e;
        last = e; this.p = start;
      }
    }
    throw this.furthest ?? last;
  }

  program(): Node | null {
    if (this.t.kind === 'EOF') return null;
    const { node } = this.expr(QERR);
    if (!this.atEnd()) this.fail();
    return node;
  }

  /** expr: term | expr and term | expr and id | expr or term | expr or id (left-assoc, equal precedence). */
  private expr(inh: Qual): Parsed {
    let left = this.term(inh);
    while (this.isOp('&&') || this.isOp('||')) {
      const opTok = this.toks[this.p++]!;
      const q = left.q;
      const right = this.alt(() => this.term(q), () => this.id(q));
      left = { node: { k: opTok.text === '&&' ? 'and' : 'or', a: left.node, b: right.node, pos: opTok.pos }, q: right.q };
    }
    return left;
  }

  /** term: rterm | not term */
  private term(inh: Qual): Parsed {
    if (this.isOp('!')) {
      const pos = this.t.pos; this.p++;
      const inner = this.term(inh);
      return { node: { k: 'not', a: inner.node, pos }, q: inner.q };
    }
    return this.rterm(inh);
  }

  /** id: nid | pnum | paren pid ')' | not id — always with the inherited qualifiers. */
  private id(q: Qual): Parsed {
    const t = this.t;
    if (this.isOp('!')) {
      this.p++;
      const inner = this.id(q);
      return { node: { k: 'not', a: inner.node, pos: t.pos }, q };
    }
    if (this.isOp('(')) {
      return this.alt(() => {
        this.p++;
        const v = this.pnum();
        this.expectOp(')');
        return { node: { k: 'id', q, id: { t: 'num', n: v }, pos: t.pos }, q } as Parsed;
      }, () => {
        this.p++;
        const inner = this.pid(q);
        this.expectOp(')');
        return inner;
      });
    }
    if (t.kind === 'NUM') { this.p++; return { node: { k: 'id', q, id: { t: 'num', n: t.value }, pos: t.pos }, q }; }
    return { node: this.nid(q), q };
  }

  /** pid: nid | qid and id | qid or id ; qid: pnum | pid */
  private pid(q: Qual): Parsed {
    let left: Node;
    const t = this.t;
    if (t.kind === 'NUM' || this.isOp('(')) {
      if (t.kind === 'NUM') { this.p++; left = { k: 'id', q, id: { t: 'num', n: t.value }, pos: t.pos }; }
      else left = this.alt(() => { this.p++; const v = this.pnum(); this.expectOp(')'); return { k: 'id', q, id: { t: 'num', n: v }, pos: t.pos } as Node; });
      if (!this.isOp('&&') && !this.isOp('||')) this.fail();
    } else left = this.nid(q);
    while (this.isOp('&&') || this.isOp('||')) {
      const opTok = this.toks[this.p++]!;
      const right = this.id(q);
      left = { k: opTok.text === '&&' ? 'and' : 'or', a: left, b: right.node, pos: opTok.pos };
    }
    return { node: left, q };
  }

  private nid(q: Qual): Node {
    const t = this.t;
    let id: IdValue;
    switch (t.kind) {
      case 'ID': this.p++; id = { t: 'name', s: t.text }; break;
      case 'HID': {
        this.p++;
        if (this.isOp('/')) {
          this.p++;
          if (this.t.kind !== 'NUM') this.fail();
          id = { t: 'hidlen', s: t.text, len: this.toks[this.p++]!.value };
        } else if (this.isKw('mask')) {
          this.p++;
          if (this.t.kind !== 'HID') this.fail();
          id = { t: 'hidmask', s: t.text, mask: this.toks[this.p++]!.text };
        } else {
          const bad: Record<string, string> = { port: 'port', portrange: 'portrange', proto: 'proto', protochain: 'protochain' };
          if (bad[q.addr]) throw new FilterSyntaxError(`'${q.addr}' modifier applied to ip host`, t.pos);
          id = { t: 'hid', s: t.text };
        }
        break;
      }
      case 'HID6': {
        this.p++;
        let len = 128;
        if (this.isOp('/')) {
          this.p++;
          if (this.t.kind !== 'NUM') this.fail();
          len = this.toks[this.p++]!.value;
        }
        id = { t: 'hid6', s: t.text, len };
        break;
      }
      case 'EID': this.p++; id = { t: 'eid', s: t.text }; break;
      case 'AID': this.p++; id = { t: 'aid', s: t.text }; break;
      default: this.fail();
    }
    return { k: 'id', q, id, pos: t.pos };
  }

  private pnum(): number {
    if (this.t.kind === 'NUM') return this.toks[this.p++]!.value;
    if (this.isOp('(')) { this.p++; const v = this.pnum(); this.expectOp(')'); return v; }
    this.fail();
  }

  private optPnum(): number | undefined {
    if (this.t.kind === 'NUM' || (this.isOp('(') && this.isPnumParen())) return this.pnum();
    return undefined;
  }
  /** `( ( 5 ) )`: a parenthesised number, not an expression. */
  private isPnumParen(): boolean {
    let i = this.p;
    while (this.toks[i]!.kind === 'OP' && this.toks[i]!.text === '(') i++;
    return this.toks[i]!.kind === 'NUM' && this.toks[i + 1]!.kind === 'OP' && this.toks[i + 1]!.text === ')';
  }

  private rterm(inh: Qual): Parsed {
    const t = this.t;
    const qerr = QERR;
    // Parenthesised: an arithmetic relation `(a + b) = c` or a sub-expression.
    if (this.isOp('(')) {
      return this.alt(() => ({ node: this.relation(), q: qerr }), () => {
        this.p++;
        const inner = this.expr(inh);
        this.expectOp(')');
        return { node: inner.node, q: inh };
      });
    }
    if (t.kind === 'NUM' || this.isOp('-') || this.isKw('len')) return { node: this.relation(), q: qerr };
    if (t.kind === 'KW') {
      const simple = this.other(t);
      if (simple) return { node: simple, q: qerr };
      if (this.isPname(t) && this.isOp('[', this.peek())) return { node: this.relation(), q: qerr };
      // head: pqual dqual aqual | pqual dqual | pqual aqual | pqual PROTO | pqual PROTOCHAIN | pqual GATEWAY
      let proto = 'default';
      if (this.isPname(t)) {
        proto = t.text;
        this.p++;
        const other = this.otherAfterPqual(proto, t.pos);
        if (other) return { node: other, q: qerr };
        const n = this.t;
        if (!(n.kind === 'KW' && (DQUALS.has(n.text) || AQUALS.has(n.text) || n.text === 'proto' || n.text === 'protochain' || n.text === 'gateway'))) {
          return { node: { k: 'pname', proto, pos: t.pos }, q: qerr };
        }
      }
      const q: Qual = { proto, dir: 'default', addr: 'default' };
      let any = false;
      if (this.t.kind === 'KW' && DQUALS.has(this.t.text)) {
        any = true;
        const d = this.toks[this.p++]!.text;
        q.dir = d;
        if ((d === 'src' || d === 'dst') && (this.isOp('||') || this.isOp('&&'))) {
          const other = this.peek();
          if (other.kind === 'KW' && (other.text === 'src' || other.text === 'dst') && other.text !== d) {
            q.dir = this.isOp('||') ? 'or' : 'and';
            this.p += 2;
          }
        }
      }
      if (this.t.kind === 'KW' && AQUALS.has(this.t.text)) { any = true; q.addr = this.toks[this.p++]!.text; }
      else if (q.dir === 'default' && this.t.kind === 'KW' && (this.t.text === 'proto' || this.t.text === 'protochain' || this.t.text === 'gateway')) {
        any = true; q.addr = this.toks[this.p++]!.text;
      }
      if (!any) this.fail();
      const inner = this.id(q);
      return { node: inner.node, q };
    }
    this.fail();
  }

  /** `other` productions that start with their own keyword. */
  private other(t: Token): Node | null {
    const pos = t.pos;
    const kwNum = (what: string): Node => {
      this.p++;
      if (this.t.kind !== 'NUM') this.fail();
      return { k: 'other', what, num: this.toks[this.p++]!.value, pos };
    };
    switch (t.text) {
      case 'less': case 'greater': case 'ifindex': return kwNum(t.text);
      case 'byte': {
        this.p++;
        if (this.t.kind !== 'NUM') this.fail();
        const num = this.toks[this.p++]!.value;
        const op = this.t;
        if (!(op.kind === 'OP' && ['&', '|', '<', '>', '='].includes(op.text))) this.fail();
        this.p++;
        if (this.t.kind !== 'NUM') this.fail();
        return { k: 'other', what: 'byte', num, op: op.text, num2: this.toks[this.p++]!.value, pos };
      }
      case 'inbound': case 'outbound': case 'pppoed': this.p++; return { k: 'other', what: t.text, pos };
      case 'vlan': case 'mpls': case 'pppoes': case 'geneve': case 'vxlan': {
        this.p++;
        const num = this.optPnum();
        return num === undefined ? { k: 'other', what: t.text, pos } : { k: 'other', what: t.text, num, pos };
      }
      case 'broadcast': case 'multicast': this.p++; return { k: 'other', what: t.text, proto: 'default', pos };
      case 'llc': {
        this.p++;
        if (this.t.kind === 'ID') return { k: 'other', what: 'llc', arg: this.toks[this.p++]!.text, pos };
        if (this.isKw('rnr')) { this.p++; return { k: 'other', what: 'llc', arg: 'rnr', pos }; }
        return { k: 'other', what: 'llc', pos };
      }
      case 'type': case 'subtype': case 'dir':
        return this.otherAfterPqual('default', pos);
      case 'ifname': case 'rset': case 'rnr': case 'srnr': case 'reason': case 'action':
      case 'lane': case 'metac': case 'bcc': case 'oamf4ec': case 'oamf4sc': case 'sc': case 'ilmic': case 'oam': case 'oamf4':
      case 'connectmsg': case 'metaconnect': case 'vpi': case 'vci':
      case 'fisu': case 'lssu': case 'msu': case 'hfisu': case 'hlssu': case 'hmsu':
      case 'sio': case 'opc': case 'dpc': case 'sls': case 'hsio': case 'hopc': case 'hdpc': case 'hsls':
        // Parsed far enough to say why: these need link types tapwire does not decode.
        throw new FilterSyntaxError(`'${t.raw}' is not supported for this link type`, pos);
      default: return null;
    }
  }

  /** After a pname: `ip broadcast`, `ether multicast`, 802.11 `type`/`subtype`/`dir`. */
  private otherAfterPqual(proto: string, pos: number): Node | null {
    if (this.isKw('broadcast') || this.isKw('multicast')) {
      const what = this.toks[this.p++]!.text;
      return { k: 'other', what, proto, pos };
    }
    if (this.isKw('type') || this.isKw('subtype') || this.isKw('dir')) return this.p80211(pos);
    return null;
  }

  /**
   * grammar.y's p80211: `type T [subtype S]`, `subtype S`, `dir D`. Values are frame-control
   * bits as on the wire (`type 8` is data, `subtype 0x80` QoS); names come from its tables.
   * The node carries the value and the mask of gen_p80211_type (mask 3: gen_p80211_fcdir).
   */
  private p80211(pos: number): Node {
    const kw = this.toks[this.p++]!.text;
    const node = (num: number, mask: number, arg: string): Node => ({ k: 'other', what: 'wlan', num, num2: mask, arg, pos });
    if (kw === 'dir') {
      const t = this.t;
      if (t.kind === 'NUM') {
        this.p++;
        // Stricter than 1.10 (as newer libpcap): a direction above 3 can never match.
        if (t.value > FC1_DIR_MASK) throw new FilterSyntaxError(`invalid 802.11 direction value ${t.value}`, t.pos);
        return node(t.value, FC1_DIR_MASK, `dir ${t.value}`);
      }
      if (t.kind !== 'ID') this.fail();
      this.p++;
      const d = WLAN_DIRS[t.text.toLowerCase()];
      if (d === undefined) throw new FilterSyntaxError('unknown 802.11 direction', t.pos);
      return node(d, FC1_DIR_MASK, `dir ${t.text}`);
    }
    if (kw === 'subtype') {
      // type_subtype: a name only, looked up in the management, control, data tables in turn.
      const t = this.t;
      if (t.kind !== 'ID') this.fail();
      this.p++;
      for (const [type, table] of WLAN_SUBTYPES) {
        const v = str2tok(t.text, table);
        if (v !== undefined) return node(v | type, FC0_TYPE_MASK | FC0_SUBTYPE_MASK, `subtype ${t.text}`);
      }
      throw new FilterSyntaxError('unknown 802.11 type name', t.pos);
    }
    const t = this.t;
    let type: number;
    if (t.kind === 'NUM') {
      if ((t.value & ~FC0_TYPE_MASK) !== 0) throw new FilterSyntaxError(`invalid 802.11 type value 0x${hex2(t.value)}`, t.pos);
      type = t.value;
    } else if (t.kind === 'ID') {
      const v = str2tok(t.text, WLAN_TYPES);
      if (v === undefined) throw new FilterSyntaxError(`unknown 802.11 type name "${t.text}"`, t.pos);
      type = v;
    } else this.fail();
    this.p++;
    if (!this.isKw('subtype')) return node(type, FC0_TYPE_MASK, `type ${t.raw}`);
    this.p++;
    const st = this.t;
    let sub: number;
    if (st.kind === 'NUM') {
      if ((st.value & ~FC0_SUBTYPE_MASK) !== 0) throw new FilterSyntaxError(`invalid 802.11 subtype value 0x${hex2(st.value)}`, st.pos);
      sub = st.value;
    } else if (st.kind === 'ID') {
      // The subtype name is looked up in the table of the type just given ($<i>-1).
      const table = WLAN_SUBTYPES.find(([ty]) => ty === type);
      if (!table) throw new FilterSyntaxError('unknown 802.11 type', st.pos);
      const v = str2tok(st.text, table[1]);
      if (v === undefined) throw new FilterSyntaxError(`unknown 802.11 subtype name "${st.text}"`, st.pos);
      sub = v;
    } else this.fail();
    this.p++;
    return node(type | sub, FC0_TYPE_MASK | FC0_SUBTYPE_MASK, `type ${t.raw} subtype ${st.raw}`);
  }

  /** arth relop arth | arth irelop arth */
  private relation(): Node {
    const a = this.arth(0);
    const op = this.t;
    const rel = op.kind === 'OP' ? RELOPS[op.text] : undefined;
    if (!rel) this.fail();
    this.p++;
    const b = this.arth(0);
    return { k: 'rel', op: rel.op, reversed: rel.reversed, a, b, pos: op.pos };
  }

  private arth(minPrec: number): Arth {
    let left = this.arthUnary();
    for (;;) {
      const t = this.t;
      if (t.kind !== 'OP' || !(t.text in ARTH_PREC)) break;
      const prec = ARTH_PREC[t.text]!;
      const greedy = prec === 0;
      if (!greedy && prec < minPrec) break;
      this.p++;
      const right = greedy ? this.arth(0) : this.arth(prec + 1);
      left = { k: 'bin', op: t.text, a: left, b: right, pos: t.pos };
    }
    return left;
  }

  private arthUnary(): Arth {
    const t = this.t;
    if (this.isOp('-')) {
      this.p++;
      // UMINUS binds tighter than every binary operator.
      return { k: 'neg', a: this.arthUnary(), pos: t.pos };
    }
    if (t.kind === 'NUM') { this.p++; return { k: 'num', v: t.value, pos: t.pos }; }
    if (this.isKw('len')) { this.p++; return { k: 'len', pos: t.pos }; }
    if (this.isOp('(')) {
      this.p++;
      const inner = this.arth(0);
      this.expectOp(')');
      return inner;
    }
    if (this.isPname(t) && this.isOp('[', this.peek())) {
      this.p += 2;
      const index = this.arth(0);
      let size = 1;
      if (this.isOp(':')) {
        this.p++;
        if (this.t.kind !== 'NUM') this.fail();
        size = this.toks[this.p++]!.value;
      }
      this.expectOp(']');
      return { k: 'load', proto: t.text, index, size, pos: t.pos };
    }
    this.fail();
  }
}

/** Parses an expression; null for the empty expression (which accepts every packet). */
export function parseFilter(src: string): Node | null {
  return new Parser(tokenize(src)).program();
}
