/**
 * `tapwire flows` end to end: conn.log in TSV and JSON, a filter expression, -C, --logs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseZeekTsv } from '../../src/formats/zeek-log.js';
import { cliPath, fixture } from '../helpers.js';

const wiki = fixture('flow', 'zeek', 'Traces', 'wikipedia.pcap');

function tapwire(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath, 'flows', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('flows writes conn.log (Zeek TSV) to stdout', () => {
  const r = tapwire(['-r', wiki]);
  assert.equal(r.status, 0, r.stderr);
  const log = parseZeekTsv(r.stdout);
  assert.equal(log.rows.length, 34);
  assert.ok(log.fields.includes('conn_state'));
  assert.match(r.stdout, /^#separator \\x09\n/);
  assert.match(r.stdout, /\n#close\t\d{4}-/);
});

test('flows --format json --community-id, with a filter expression', () => {
  const r = tapwire(['-r', wiki, '--format', 'json', '--community-id', 'udp port 53']);
  assert.equal(r.status, 0, r.stderr);
  const rows = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(rows.length > 0);
  for (const row of rows) {
    assert.equal(row.proto, 'udp');
    assert.equal(row['id.resp_p'], 53);
    assert.match(String(row.community_id), /^1:/);
  }
});

test('flows --logs DIR writes DIR/conn.log; bad arguments are usage errors', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tapwire-flows-'));
  try {
    const r = tapwire(['-r', wiki, '--logs', dir, '-C', '--stats']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(parseZeekTsv(fs.readFileSync(path.join(dir, 'conn.log'), 'utf8')).rows.length, 34);
    assert.match(r.stderr, /flowsEmitted: 34/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(tapwire([]).status, 1);
  assert.equal(tapwire(['-r', wiki, '--format', 'xml']).status, 1);
  assert.equal(tapwire(['-r', wiki, '--ipfix', 'nohost']).status, 1);
});
