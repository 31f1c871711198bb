/**
 * The pcap-filter front end: scanner.l's longest-match tokens, grammar.y's precedence and
 * qualifier inheritance, and rejections that point at the problem.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize } from '../../src/filter/ast.js';
import { compileFilter, FilterSyntaxError } from '../../src/filter/index.js';
import { tokenize } from '../../src/filter/lexer.js';
import { parseFilter } from '../../src/filter/parser.js';

const kinds = (s: string) => tokenize(s).slice(0, -1).map((t) => `${t.kind}:${t.kind === 'NUM' ? t.value : t.text}`);
const norm = (s: string) => normalize(parseFilter(s)!);

test('lexer: flex longest match, first rule on ties', () => {
  assert.deepEqual(kinds('tcp-syn tcpx tcp'), ['NUM:2', 'ID:tcpx', 'KW:tcp']);
  assert.deepEqual(kinds('portrange 25-smtp'), ['KW:portrange', 'ID:25-smtp']);
  assert.deepEqual(kinds('1.2.3.4/24'), ['HID:1.2.3.4', 'OP:/', 'NUM:24']);
  assert.deepEqual(kinds('0x1fff 010 80'), ['NUM:8191', 'NUM:8', 'NUM:80']);
  assert.deepEqual(kinds('aa:bb:cc:dd:ee:ff abcd.ef00.0003 abcdef000003'), ['EID:aa:bb:cc:dd:ee:ff', 'EID:abcd.ef00.0003', 'EID:abcdef000003']);
  assert.deepEqual(kinds('fe80::1 ::ffff:1.2.3.4'), ['HID6:fe80::1', 'HID6:::ffff:1.2.3.4']);
  assert.deepEqual(kinds('a && b || !c == >= != << >>'), ['ID:a', 'OP:&&', 'ID:b', 'OP:||', 'OP:!', 'ID:c', 'OP:=', 'OP:>=', 'OP:!=', 'OP:<<', 'OP:>>']);
  assert.deepEqual(kinds('ether src ppp slip'), ['KW:link', 'KW:src', 'KW:link', 'KW:link']);
  assert.deepEqual(kinds('\\tcp icmp-echo icmp6-echoreply'), ['ID:tcp', 'NUM:8', 'NUM:129']);
});

test('lexer: number errors as libpcap reports them', () => {
  assert.throws(() => tokenize('ip[089]'), /number 089 contains non-octal digit/);
  assert.throws(() => tokenize('len > 4294967296'), /overflows 32 bits/);
});

test('parser: and/or have equal precedence and associate left', () => {
  assert.equal(norm('tcp or udp and icmp'), '(tcp or udp) and icmp');
  assert.equal(norm('tcp and udp or icmp'), '(tcp and udp) or icmp');
  assert.equal(norm('not tcp and udp'), 'not tcp and udp');
  assert.equal(norm('not (tcp and udp)'), 'not (tcp and udp)');
});

test('parser: implicit qualifiers are inherited by the ids that follow', () => {
  assert.equal(norm('host 10.0.0.1 or 10.0.0.2'), 'host 10.0.0.1 or host 10.0.0.2');
  assert.equal(norm('tcp dst port 80 or 443 and not 8080'), '(tcp dst port 80 or tcp dst port 443) and not tcp dst port 8080');
  assert.equal(norm('port (80 or 443)'), 'port 80 or port 443');
  assert.equal(norm('src or dst net 10.0.0.0/8'), 'src or dst net 10.0.0.0/8');
  assert.equal(norm('ether host aa:bb:cc:dd:ee:ff or ff:ff:ff:ff:ff:ff'), 'ether host aa:bb:cc:dd:ee:ff or ether host ff:ff:ff:ff:ff:ff');
});

test('parser: arithmetic precedence, including yacc shifting % and ^', () => {
  assert.equal(norm('ip[0] + 2 * 3 = 8'), '(ip[0] + (2 * 3)) = 8');
  // '%' has no precedence in grammar.y, so yacc shifts: 0 % (3 + 1), as libpcap compiles it.
  assert.equal(norm('ip6[0] % 3 + 1 = 0'), '(ip6[0] % (3 + 1)) = 0');
  assert.equal(norm('tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420'), 'tcp[((tcp[0xc] & 0xf0) >> 2):4] = 0x47455420');
  assert.equal(norm('len - 10 > 0'), '(len - 0xa) > 0');
});

function rejects(expr: string, message: RegExp, position?: number, linktype = 1): void {
  try {
    compileFilter(expr, linktype);
  } catch (e) {
    assert.ok(e instanceof FilterSyntaxError, `${expr}: ${String(e)}`);
    assert.match(e.message, message, expr);
    if (position !== undefined) assert.equal(e.position, position, `${expr}: position`);
    return;
  }
  assert.fail(`${expr} was accepted`);
}

test('rejections carry libpcap\'s message and the position of the problem', () => {
  rejects('ip and 1.2.3.4', /syntax error/, 7);
  rejects('tcp port', /syntax error at end of expression/, 8);
  rejects('tcp port 70000', /illegal port number 70000 > 65535/, 9);
  rejects('ip proto \\nosuch', /unknown ip proto 'nosuch'/);
  rejects('net 10.0.0.1/8', /non-network bits set in "10.0.0.1\/8"/);
  rejects('host 10.0.0.0/8', /Mask syntax for networks only/);
  rejects('ip[0] / 0 = 1', /division by zero/);
  rejects('tcp[0:3] = 1', /data size must be 1, 2, or 4/);
  rejects('ah[0] = 1', /unsupported index operation/);
  rejects('vlan', /no VLAN support for Linux cooked v1/, 0, 113);
  rejects('vlan 5000', /VLAN tag 5000 greater than maximum 4095/);
  rejects('udp port http', /port 'http' is tcp/);
  rejects('ip6 broadcast', /only link-layer\/IP broadcast filters supported/);
  rejects('ip and ip6', /expression rejects all packets/);
  rejects('inbound', /not supported on Ethernet/);
  rejects('host foo.example', /unknown host 'foo.example'/);
});

test('empty expression accepts everything', () => {
  const f = compileFilter('', 1);
  assert.equal(f.match(new Uint8Array(0), new DataView(new ArrayBuffer(0)), 0, 0, 0), true);
});
