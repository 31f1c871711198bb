/**
 * What tapwire writes, the real tools read: tcpdump (libpcap) and tshark (wiretap) must see
 * the same packets, lengths, timestamps, interfaces, comments and direction flags.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BatchBuilder } from '../../src/core/batch.js';
import { CaptureWriter, loadCaptureSync, type CaptureFormat } from '../../src/formats/index.js';
import { fixture, hasTool, tempDir } from '../helpers.js';

const haveTcpdump = hasTool('tcpdump');
const haveTshark = hasTool('tshark');

function tshark(file: string, fields: string[]): string[][] {
  const r = spawnSync('tshark', ['-n', '-r', file, '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,', ...fields.flatMap((f) => ['-e', f])], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tshark failed on ${file}: ${r.stderr}`);
  return r.stdout.trimEnd().split('\n').map((l) => l.split('\t'));
}

function tcpdumpCount(file: string): number {
  const r = spawnSync('tcpdump', ['-r', file, '--count'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tcpdump failed on ${file}: ${r.stderr}`);
  return Number(/(\d+) packets?/.exec(r.stdout)?.[1] ?? -1);
}

async function rewrite(input: string, output: string, format: CaptureFormat, opts: { snaplen?: number; nanos?: boolean } = {}): Promise<number> {
  const { batch, interfaces } = loadCaptureSync(input);
  const w = new CaptureWriter(output, { format, ...opts });
  w.interfaceInfo = (i) => ({ name: interfaces[i]?.name || `if${i}`, description: interfaces[i]?.description });
  await w.writeBatch(batch);
  await w.close();
  return batch.count;
}

const inputs = ['erspanII.pcap', 'vxlan.pcap', 'tcp-handshake-nano.pcap', 'twovlan.pcap', 'geneve.pcap'];
const fields = ['frame.number', 'frame.time_epoch', 'frame.len', 'frame.cap_len', 'frame.protocols', 'ip.src', 'ip.dst'];

for (const format of ['pcap', 'pcapng'] as const) {
  test(`${format} written by tapwire is read identically by tcpdump and tshark`, { skip: !(haveTcpdump && haveTshark) && 'tcpdump/tshark missing' }, async () => {
    const dir = tempDir();
    let cells = 0;
    for (const name of inputs) {
      const input = fixture('captures', name);
      const out = path.join(dir, `${name}.${format}`);
      const n = await rewrite(input, out, format);
      assert.equal(tcpdumpCount(out), n, `${name}: tcpdump count`);
      const want = tshark(input, fields);
      const got = tshark(out, fields);
      assert.deepEqual(got, want, `${name}: tshark fields`);
      cells += want.length * fields.length;
    }
    console.log(`writers (${format}): ${cells} tshark cells agree across ${inputs.length} captures`);
    fs.rmSync(dir, { recursive: true });
  });
}

test('microsecond pcap output truncates nanoseconds as tcpdump does; -s cuts packets but keeps the wire length', { skip: !haveTshark && 'tshark missing' }, async () => {
  const dir = tempDir();
  const input = fixture('captures', 'tcp-handshake-nano.pcap');
  const out = path.join(dir, 'cut.pcap');
  await rewrite(input, out, 'pcap', { snaplen: 40, nanos: false });
  const orig = tshark(input, ['frame.time_epoch', 'frame.len']);
  const got = tshark(out, ['frame.time_epoch', 'frame.len', 'frame.cap_len']);
  assert.equal(got.length, orig.length);
  for (let i = 0; i < got.length; i++) {
    assert.equal(got[i][0], orig[i][0].slice(0, -3) + '000');
    assert.equal(got[i][1], orig[i][1]);
    assert.equal(got[i][2], '40');
  }
  fs.rmSync(dir, { recursive: true });
});

test('pcapng keeps origin: interfaces with names and descriptions, mixed link types, comments, direction flags', { skip: !haveTshark && 'tshark missing' }, async () => {
  const dir = tempDir();
  const out = path.join(dir, 'origin.pcapng');
  const eth = loadCaptureSync(fixture('captures', 'vxlan.pcap')).batch;
  const sll = loadCaptureSync(fixture('captures', 'tcp-handshake-nano.pcap')).batch;
  const b = new BatchBuilder(16);
  b.add(eth.copyPacket(0), { linktype: 1, iface: 0, tsSec: 1700000000, tsNsec: 123456789, flags: 1 });
  b.add(sll.copyPacket(0), { linktype: 113, iface: 1, tsSec: 1700000001, tsNsec: 5, flags: 2 });
  b.add(eth.copyPacket(1), { linktype: 1, iface: 2, tsSec: 1700000002, tsNsec: 999999999 });
  b.batch.addComment(0, 'mirrored by session 7');
  b.batch.addComment(2, 'first');
  b.batch.addComment(2, 'second');
  const w = new CaptureWriter(out);
  assert.equal(w.format, 'pcapng');
  const names = ['eth0', 'lo', 'vxlan0'];
  w.interfaceInfo = (i) => ({ name: names[i], description: i === 2 ? 'vxlan vni=100 src=192.168.203.1' : '' });
  await w.writeBatch(b.batch);
  await w.close();
  const rows = tshark(out, ['frame.time_epoch', 'frame.interface_name', 'frame.interface_description', 'frame.comment', 'frame.packet_flags_direction', 'frame.protocols']);
  assert.deepEqual(rows[0].slice(0, 5), ['1700000000.123456789', 'eth0', '', 'mirrored by session 7', '0x00000001']);
  assert.deepEqual(rows[1].slice(0, 5), ['1700000001.000000005', 'lo', '', '', '0x00000002']);
  assert.deepEqual(rows[2].slice(0, 5), ['1700000002.999999999', 'vxlan0', 'vxlan vni=100 src=192.168.203.1', 'first,second', '']);
  assert.match(rows[1][5], /^sll:/);
  // And tapwire reads back what it wrote.
  const back = loadCaptureSync(out);
  assert.equal(back.batch.count, 3);
  assert.deepEqual(back.batch.comments?.get(2), ['first', 'second']);
  assert.equal(back.batch.flags[1], 2);
  assert.equal(back.interfaces[2].description, 'vxlan vni=100 src=192.168.203.1');
  assert.equal(back.batch.tsNsec[1], 5);
  fs.rmSync(dir, { recursive: true });
});
