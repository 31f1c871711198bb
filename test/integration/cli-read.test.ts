/**
 * `tapwire read` as a user runs it: stdin, gzip, -c, -w, exit codes and messages on
 * damaged input, and -w output equal byte for byte to tcpdump -w with the same filter.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { fixture, hasTool, runCli, tempDir } from '../helpers.js';

test('read -r - reads standard input, plain or gzip-compressed, and -c stops early', () => {
  const bytes = fs.readFileSync(fixture('captures', 'geneve.pcap'));
  const plain = runCli(['read', '-r', '-', '-c', '5'], { input: bytes });
  assert.equal(plain.status, 0, plain.stderr.toString());
  assert.equal(plain.stdout.toString().trim().split('\n').length, 5);
  const gz = runCli(['read', '-r', '-', '-T', 'fields', '-e', 'frame.number'], { input: zlib.gzipSync(bytes) });
  assert.equal(gz.status, 0, gz.stderr.toString());
  const numbers = gz.stdout.toString().trim().split('\n');
  assert.equal(numbers.length, 39);
  assert.equal(numbers[38], '39');
});

test('a truncated capture: packets before the damage are printed, the message names the offset, exit status 2', () => {
  const bytes = fs.readFileSync(fixture('captures', 'vxlan.pcap'));
  const cut = bytes.subarray(0, bytes.length - 10);
  const dir = tempDir();
  const file = path.join(dir, 'cut.pcap');
  fs.writeFileSync(file, cut);
  const r = runCli(['read', '-r', file, '-T', 'fields', '-e', 'frame.number']);
  assert.equal(r.status, 2);
  assert.equal(r.stdout.toString().trim().split('\n').length, 9);
  assert.match(r.stderr.toString(), /cut\.pcap: truncated record: .* at byte offset \d+ \(9 packets read before it\)/);
  fs.rmSync(dir, { recursive: true });
});

test('not a capture, a missing file and a bad option each get a clear message and their exit status', () => {
  const notCapture = runCli(['read', '-r', fixture('PROVENANCE.md')]);
  assert.equal(notCapture.status, 2);
  assert.match(notCapture.stderr.toString(), /PROVENANCE\.md: not a pcap or pcapng capture/);
  const missing = runCli(['read', '-r', '/nonexistent/x.pcap']);
  assert.equal(missing.status, 2);
  assert.match(missing.stderr.toString(), /cannot open \(ENOENT\)/);
  const bad = runCli(['read', '-r', fixture('captures', 'vxlan.pcap'), '-T', 'xml']);
  assert.equal(bad.status, 1);
  assert.match(bad.stderr.toString(), /-T must be text, json or fields/);
  const noField = runCli(['read', '-r', fixture('captures', 'vxlan.pcap'), '-T', 'fields', '-e', 'no.such.field']);
  assert.equal(noField.status, 1);
});

test('--help teaches by example', () => {
  const r = runCli(['read', '--help']);
  assert.equal(r.status, 0);
  assert.match(r.stdout.toString(), /Examples:/);
  assert.match(runCli(['--help']).stdout.toString(), /tapwire read -r trace.pcap --stats/);
});

test('--stats prints a protocol hierarchy', () => {
  const r = runCli(['read', '-r', fixture('captures', 'erspanII.pcap'), '--stats']);
  assert.equal(r.status, 0, r.stderr.toString());
  const out = r.stdout.toString();
  for (const proto of ['eth', 'ip', 'gre', 'erspan', 'icmp']) assert.match(out, new RegExp(proto));
});

test('read -w with a filter writes the same bytes as tcpdump -w with that filter', { skip: !hasTool('tcpdump') && 'tcpdump missing' }, () => {
  const dir = tempDir();
  const cases: [string, string][] = [
    ['twovlan.pcap', 'vlan and tcp'],
    ['vxlan.pcap', 'udp port 4789'],
    ['geneve.pcap', 'ip and not icmp'],
    ['tcp-handshake-nano.pcap', 'tcp[tcpflags] & tcp-syn != 0'],
  ];
  for (const [name, expr] of cases) {
    const input = fixture('captures', name);
    const ours = path.join(dir, 'ours.pcap');
    const theirs = path.join(dir, 'theirs.pcap');
    const r = runCli(['read', '-r', input, '-w', ours, expr]);
    assert.equal(r.status, 0, r.stderr.toString());
    // tapwire keeps the input's timestamp precision; tcpdump needs --nano to do the same.
    const precision = name.includes('nano') ? ['--nano'] : [];
    const t = spawnSync('tcpdump', [...precision, '-r', input, '-w', theirs, expr]);
    assert.equal(t.status, 0, t.stderr.toString());
    assert.deepEqual(fs.readFileSync(ours), fs.readFileSync(theirs), `${name} '${expr}'`);
  }
  fs.rmSync(dir, { recursive: true });
});
