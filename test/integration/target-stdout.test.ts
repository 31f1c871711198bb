/**
 * stdout as a real pipe: a child process runs the target, its standard output goes straight
 * into `tcpdump -r -` / `tshark -r -`; a reader that goes away (EPIPE) ends the stream
 * quietly, marks the target down and counts the rest as target_down.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadCaptureSync } from '../../src/formats/index.js';
import { fixture, hasTool, repoRoot, tempDir } from '../helpers.js';

const mod = (p: string): string => JSON.stringify(path.join(repoRoot, 'dist', p));
const input = fixture('captures', 'telnet-unclosed-suboption.pcapng.gz');

/** A child that writes the capture `rounds` times to stdout, then prints its counters to stderr. */
function childScript(o: Record<string, unknown>, rounds: number): string {
  return `
    import { TARGET_TYPES } from ${mod('src/components/targets/index.js')};
    import { loadCaptureSync } from ${mod('src/formats/index.js')};
    import { OriginTable } from ${mod('src/pipeline/origins.js')};
    const { batch } = loadCaptureSync(${JSON.stringify(input)});
    const t = TARGET_TYPES.stdout.create('out', ${JSON.stringify(o)});
    await t.start();
    const ctx = { flowHash: null, interfaceInfo: (i) => ({ name: 'tap' + i }), origins: new OriginTable(), nowMs: Date.now() };
    const keep = new Uint8Array(batch.capacity);
    for (let r = 0; r < ${rounds}; r++) for (let i = 0; i < batch.count; i += 1000) {
      keep.fill(0); keep.fill(1, i, Math.min(i + 1000, batch.count));
      await t.write(batch, keep, ctx);
    }
    await t.close();
    const c = t.counters;
    process.stderr.write(JSON.stringify({ up: t.up, in: c.inPackets, out: c.outPackets, inBytes: c.inBytes, outBytes: c.outBytes, drops: Object.fromEntries(c.dropPackets), dropBytes: Object.fromEntries(c.dropBytes) }));`;
}

/** Runs `node child | reader` through sh, so the two are joined by a real pipe, as a user would. */
function runInto(reader: string[], o: Record<string, unknown>, rounds: number): Promise<{ child: { code: number | null; stderr: string }; reader: { code: number | null; out: string } }> {
  const dir = tempDir();
  const script = path.join(dir, 'child.mjs');
  fs.writeFileSync(script, childScript(o, rounds));
  const f = (n: string): string => path.join(dir, n);
  // Paths travel in the environment, so nothing needs shell quoting.
  const cmd = '{ "$NODE" "$SCRIPT" 2>"$ERR"; echo $? >"$CRC"; } | "$@"; echo $? >"$RRC"';
  const env = { ...process.env, NODE: process.execPath, SCRIPT: script, ERR: f('child.err'), CRC: f('child.rc'), RRC: f('reader.rc') };
  const sh = spawn('sh', ['-c', cmd, 'sh', ...reader], { stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  sh.stdout.on('data', (d) => (out += d));
  sh.stderr.resume();
  return new Promise((resolve) =>
    sh.once('close', () => {
      const read = (n: string): string => fs.readFileSync(f(n), 'utf8');
      const result = { child: { code: Number(read('child.rc')), stderr: read('child.err') }, reader: { code: Number(read('reader.rc')), out } };
      fs.rmSync(dir, { recursive: true });
      resolve(result);
    }),
  );
}

const count = loadCaptureSync(input).batch.count;

for (const format of ['pcap', 'pcapng'] as const) {
  test(`stdout ${format} piped into tcpdump -r - and tshark -r -: every packet`, { skip: !(hasTool('tcpdump') && hasTool('tshark')) && 'tcpdump/tshark missing' }, async () => {
    const a = await runInto(['tcpdump', '-n', '-r', '-', '--count'], { format }, 2);
    assert.equal(a.child.code, 0, a.child.stderr);
    assert.match(a.reader.out, new RegExp(`\\b${2 * count} packets`), a.reader.out);
    const stats = JSON.parse(a.child.stderr);
    assert.equal(stats.out, 2 * count);
    assert.equal(stats.in, stats.out);
    const b = await runInto(['tshark', '-n', '-r', '-', '-T', 'fields', '-e', 'frame.number', '-e', 'frame.interface_name'], { format }, 1);
    assert.equal(b.reader.code, 0, b.reader.out);
    const lines = b.reader.out.trim().split('\n');
    assert.equal(lines.length, count);
    if (format === 'pcapng') assert.equal(lines[0], '1\ttap0');
    console.log(`stdout ${format}: tcpdump counted ${2 * count}, tshark ${lines.length}`);
  });
}

test('stdout: the reader going away (EPIPE) ends the stream quietly; the rest is target_down', async () => {
  const a = await runInto(['head', '-c', '5000000'], {}, 5);
  assert.equal(a.child.code, 0, `the writer must exit normally: ${a.child.stderr}`);
  const s = JSON.parse(a.child.stderr);
  assert.equal(s.up, false);
  assert.ok(s.drops.target_down > 0);
  assert.ok(s.out > 0);
  assert.equal(s.in, s.out + Object.values(s.drops as Record<string, number>).reduce((x, y) => x + y, 0));
  assert.equal(s.inBytes, s.outBytes + Object.values(s.dropBytes as Record<string, number>).reduce((x, y) => x + y, 0));
  console.log(`stdout EPIPE: ${s.out} packets out before the reader left, ${s.drops.target_down} target_down`);
});
