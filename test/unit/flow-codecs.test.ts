/**
 * Pure codecs: conn.log TSV / JSON lines, IPFIX messages (templates, biflow reverse
 * elements under PEN 29305, sizes, sequence numbers) and NetFlow v9 packets.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connLogHeader, connLogJson, connLogLine, parseZeekTsv } from '../../src/formats/zeek-log.js';
import { IpfixEncoder, REVERSE_PEN, TEMPLATE_V4 } from '../../src/formats/ipfix.js';
import { Netflow9Encoder } from '../../src/formats/netflow9.js';
import { EndReason } from '../../src/flow/constants.js';
import { addrString, type FlowRecord } from '../../src/flow/record.js';

function rec(over: Partial<FlowRecord> = {}): FlowRecord {
  return {
    ts: 1300475168.85,
    uid: 'CTEST0000000000001',
    origH: '141.142.220.118',
    origP: 35634,
    respH: '208.80.152.2',
    respP: 80,
    proto: 'tcp',
    ipProto: 6,
    ipVersion: 4,
    duration: 0.061329,
    origBytes: 463,
    respBytes: 350,
    connState: 'OTH',
    missedBytes: 0,
    history: 'DdA',
    origPkts: 2,
    origIpBytes: 567,
    respPkts: 1,
    respIpBytes: 402,
    tunnelParents: [],
    communityId: '1:abc=',
    vlan: 0,
    innerVlan: 0,
    tunnelId: 0,
    origTcpFlags: 0x18,
    respTcpFlags: 0x18,
    origFirst: 1300475168.85,
    origLast: 1300475168.911329,
    respFirst: 1300475168.9,
    respLast: 1300475168.9,
    endReason: EndReason.idleTimeout,
    origAddr: new Uint8Array([141, 142, 220, 118]),
    respAddr: new Uint8Array([208, 80, 152, 2]),
    ...over,
  };
}

test('conn.log TSV: Zeek header and unset fields', () => {
  const h = connLogHeader({}, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
  assert.match(h, /^#separator \\x09\n#set_separator\t,\n#empty_field\t\(empty\)\n#unset_field\t-\n#path\tconn\n#open\t2026-01-02-03-04-05\n/);
  const parsed = parseZeekTsv(h + connLogLine(rec()) + connLogLine(rec({ duration: 0, origBytes: null, respBytes: null, history: '' })));
  assert.equal(parsed.rows.length, 2);
  assert.equal(parsed.rows[0]['id.orig_h'], '141.142.220.118');
  assert.equal(parsed.rows[0].duration, '0.061329');
  assert.equal(parsed.rows[0].history, 'DdA');
  assert.equal(parsed.rows[0].tunnel_parents, '-');
  assert.equal(parsed.rows[1].duration, '-');
  assert.equal(parsed.rows[1].orig_bytes, '-');
  assert.equal(parsed.rows[1].history, '-');
});

test('conn.log JSON: Zeek field names, unset fields left out', () => {
  const j = JSON.parse(connLogJson(rec({ tunnelParents: ['Cabc'] }), { communityId: true }));
  assert.equal(j['id.resp_p'], 80);
  assert.equal(j.conn_state, 'OTH');
  assert.deepEqual(j.tunnel_parents, ['Cabc']);
  assert.equal(j.community_id, '1:abc=');
  const k = JSON.parse(connLogJson(rec({ duration: 0, history: '' })));
  assert.equal('duration' in k, false);
  assert.equal('orig_bytes' in k, false);
  assert.equal('history' in k, false);
});

test('IPFIX: template set, biflow reverse elements, record values', () => {
  const enc = new IpfixEncoder({ observationDomainId: 7 });
  const msgs = enc.encode([rec(), rec({ origP: 1 })], 1300475170, true);
  assert.equal(msgs.length, 1);
  const m = Buffer.from(msgs[0]);
  assert.equal(m.readUInt16BE(0), 10);
  assert.equal(m.readUInt16BE(2), m.length);
  assert.equal(m.readUInt32BE(4), 1300475170);
  assert.equal(m.readUInt32BE(8), 0);
  assert.equal(m.readUInt32BE(12), 7);
  // template set first
  assert.equal(m.readUInt16BE(16), 2);
  const tlen = m.readUInt16BE(18);
  assert.equal(m.readUInt16BE(20), TEMPLATE_V4);
  const nfields = m.readUInt16BE(22);
  let p = 24;
  let reverse = 0;
  for (let f = 0; f < nfields; f++) {
    const id = m.readUInt16BE(p);
    p += 4;
    if (id & 0x8000) {
      assert.equal(m.readUInt32BE(p), REVERSE_PEN);
      reverse++;
      p += 4;
    }
  }
  assert.equal(reverse, 3);
  // data set after the template set
  const ds = 16 + tlen;
  assert.equal(m.readUInt16BE(ds), TEMPLATE_V4);
  const r = ds + 4;
  assert.equal(addrString(new Uint8Array(m.subarray(r, r + 4))), '141.142.220.118');
  assert.equal(m.readUInt16BE(r + 8), 35634);
  assert.equal(m.readUInt16BE(r + 10), 80);
  assert.equal(m[r + 12], 6);
  assert.equal(Number(m.readBigUInt64BE(r + 13)), 567);
  assert.equal(Number(m.readBigUInt64BE(r + 21)), 2);
  assert.equal(Number(m.readBigUInt64BE(r + 29)), 1300475168850);
  assert.equal(m[r + 53], EndReason.idleTimeout);
  assert.equal(Number(m.readBigUInt64BE(r + 54)), 402);
  assert.equal(Number(m.readBigUInt64BE(r + 62)), 1);
  // the sequence number counts data records
  const next = enc.encode([rec()], 1300475171, false);
  assert.equal(Buffer.from(next[0]).readUInt32BE(8), 2);
});

test('IPFIX: messages stay under the size limit', () => {
  const enc = new IpfixEncoder({ maxMessageSize: 512 });
  const many = Array.from({ length: 100 }, (_, i) => rec({ origP: i }));
  const msgs = enc.encode(many, 1, true);
  assert.ok(msgs.length > 1);
  for (const m of msgs) assert.ok(m.length <= 512);
  assert.equal(enc.sequence, 100);
});

test('NetFlow v9: one record per direction, counts in the header', () => {
  const enc = new Netflow9Encoder();
  const [p] = enc.encode([rec(), rec({ respPkts: 0, respIpBytes: 0 })], 1300475170, 1300475100, true);
  const b = Buffer.from(p);
  assert.equal(b.readUInt16BE(0), 9);
  assert.equal(b.readUInt16BE(2), 2 + 3, 'two templates and three data records');
  assert.equal(b.readUInt32BE(8), 1300475170);
  assert.equal(enc.sequence, 1);
});

test('IPv6 addresses print as Zeek prints them', () => {
  const v6 = (s: string) => new Uint8Array(s.split(':').flatMap((w) => [parseInt(w, 16) >> 8, parseInt(w, 16) & 0xff]));
  assert.equal(addrString(v6('fe80:0:0:0:c801:eff:fe88:8')), 'fe80::c801:eff:fe88:8');
  assert.equal(addrString(v6('ff02:0:0:0:0:0:0:fb')), 'ff02::fb');
  assert.equal(addrString(v6('2001:db8:0:1:0:0:0:1')), '2001:db8:0:1::1');
  assert.equal(addrString(v6('0:0:0:0:0:0:0:1')), '::1');
});
