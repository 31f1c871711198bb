/**
 * `tapwire filter`: --explain prints the normalised expression and the generated code, a bad
 * expression exits 1 with a caret under the problem, and --explain-packet names the rule that
 * decided each packet of a capture.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { FIXTURES } from './filter-tcpdump.js';

const cli = path.resolve(process.cwd(), 'dist', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, 'filter', ...args], { encoding: 'utf8' });

test('filter --explain: normalised form and generated code', () => {
  const r = run('--explain', 'tcp port 80 or 443');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /normalised: tcp port 80 or tcp port 443/);
  assert.match(r.stdout, /generated code:\n/);
  assert.match(r.stdout, /return r && bad === 0;/);
  const sll = run('--explain', '--linktype', '113', 'inbound');
  assert.equal(sll.status, 0, sll.stderr);
});

test('filter --explain: a rejected expression points at the problem', () => {
  const r = run('--explain', 'vlan and', 'tcp port 80');
  assert.equal(r.status, 0, r.stderr); // positionals are joined: "vlan and tcp port 80"
  // tcpdump refuses this one too: tcp needs type 0x0800/0x86dd where vlan needs 0x8100.
  const none = run('--explain', 'tcp port 80 and vlan');
  assert.equal(none.status, 1);
  assert.match(none.stderr, /expression rejects all packets/);
  const bad = run('--explain', 'host 10.0.0.1 and port 99999');
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /host 10\.0\.0\.1 and port 99999\n {23}\^ illegal port number 99999 > 65535/);
});

test('filter --rules --explain-packet names the deciding rule per packet', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapwire-rules-'));
  const file = path.join(dir, 'rules.json');
  fs.writeFileSync(file, JSON.stringify({
    monitored: ['10.0.0.0/8', '192.168.0.0/16'],
    rules: [
      { ruleNumber: 10, direction: 'egress', action: 'accept', protocol: 6, sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0', destinationPortRange: { from: 80, to: 80 } },
      { ruleNumber: 20, direction: 'ingress', action: 'reject', sourceCidr: '0.0.0.0/0', destinationCidr: '0.0.0.0/0' },
    ],
  }));
  try {
    const r = run('--rules', file, '--explain-packet', '-r', path.join(FIXTURES, 'zeek', 'Traces', 'http', 'pipelined-requests.pcap'), '-c', '4');
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 4);
    assert.match(lines[0]!, /^1\taccept\tegress rule 10 \(accept\)$/);
    assert.match(lines[1]!, /^2\treject\tingress rule 20 \(reject\)$/);
    const bad = spawnSync(process.execPath, [cli, 'filter', '--rules', file + '.missing', '--explain'], { encoding: 'utf8' });
    assert.equal(bad.status, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
