/**
 * Differential test against tshark: for every `*.tshark.tsv` oracle (bundled copies in
 * test/fixtures/decode/, plus any further ones in ../shared/corpus when present), decode
 * every packet and compare every in-scope cell with what `compileFieldList` prints.
 *
 * Scope: every column except dns.*, http.*, tls.* (tshark fills those after TCP/IP
 * reassembly; they wait for the protocol-metadata issue).
 *
 * frame.protocols normalisation: tapwire names the layers it decodes exactly as tshark
 * does and ends with `data` when undecoded bytes remain. tshark instead names the
 * application (or other undecoded) protocol there: `dns`, `tls`, `quic`, `dhcp`, `stp`,
 * `eigrp`... So when our path ends in `:data`, the cell agrees if tshark's path starts with
 * our path minus `data` and continues with one of the protocols in UNDECODED_PROTOCOLS.
 * Everything else must be equal, or be listed in KNOWN_DIFFERENCES with its reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadCaptureSync } from '../../src/formats/index.js';
import { decodePacket } from '../../src/decode/decode.js';
import { DecodeRecord } from '../../src/decode/record.js';
import { compileFieldList } from '../../src/decode/fields.js';
import { fixture, repoRoot } from '../helpers.js';

const fixtureDir = fixture('decode');
/** Zeek's traces, bundled for the flow tests; some decode oracles are for captures kept there. */
const zeekTraceDir = fixture('flow', 'zeek', 'Traces');
const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus');

const OUT_OF_SCOPE_PREFIXES = ['dns.', 'http.', 'tls.'];

/** Protocols tshark names where tapwire stops with `data` (application and other undecoded protocols). */
const UNDECODED_PROTOCOLS = new Set([
  'data', 'dns', 'mdns', 'tls', 'quic', 'dhcp', 'http', 'ssh', 'telnet', 'json', 'db-lsp-disc', 'png', 'image-gif',
  'data-text-lines', 'stp', 'cdp', 'dtp', 'loop', 'eigrp', 'pim', 'rsvp', 'ntp', 'snmp', 'syslog', 'nbns', 'ssdp',
  'esp', // encrypted: tapwire stops at ESP by design
  'lcp', 'mdns', 'dhcpv6', 'sip', 'ospf', 'bgp', 'igmp', 'vrrp', 'eapol',
  'bofl', // Wellfleet BOFL keepalives (EtherType 0x8102)
]);

interface KnownDifference {
  /** Capture base name; absent = any capture. */
  file?: string;
  /** tshark frame.number; absent = every frame. */
  frame?: number;
  field: string;
  /** Further condition on the two values; absent = any values. */
  when?: (ours: string, theirs: string) => boolean;
  reason: string;
}

/** Differences we accept, each with why. The test fails on any difference not listed here. */
const KNOWN_DIFFERENCES: KnownDifference[] = [
  {
    file: 'tcp_rst_data-trunc.pcap',
    frame: 1,
    field: 'frame.protocols',
    reason: 'tshark does not hand the payload of a TCP RST to a subdissector (RFC 9293 "reset cause" text), so it lists no `data`; tapwire reports the 57 captured payload bytes as data.',
  },
  {
    file: 'ipv6-fragmented-dns.pcap',
    field: 'frame.protocols',
    reason: 'tshark reassembles IPv6 fragments: it shows the first fragment as `ipv6.fraghdr:data` (waiting for the rest) and the reassembled UDP/DNS on the last one; tapwire decodes each fragment on its own (UDP header in the first fragment, data in the others).',
  },
  { file: 'ipv6-fragmented-dns.pcap', field: 'udp.srcport', reason: 'IPv6 reassembly in tshark (see frame.protocols): the UDP header is in the first fragment, tshark shows it on the last.' },
  { file: 'ipv6-fragmented-dns.pcap', field: 'udp.dstport', reason: 'IPv6 reassembly in tshark (see frame.protocols).' },
  { file: 'ipv6-fragmented-dns.pcap', field: 'udp.length', reason: 'IPv6 reassembly in tshark (see frame.protocols).' },
  ...['frame.protocols', 'udp.srcport', 'udp.dstport', 'udp.length'].map((field) => ({
    file: 'ipv6_ext_headers.pcap',
    frame: 1,
    field,
    reason: 'A crafted packet chaining 57 IPv6 extension headers: tapwire records at most MAX_LAYERS (64) layers per packet and stops with too_many_layers before the UDP header; tshark walks them all.',
  })),
  ...['udp.length', 'tcp.len', 'ipv6.dst'].map((field) => ({
    file: 'cisco-fabric-path.pcap',
    field,
    when: (_ours: string, theirs: string) => theirs === '',
    reason: "tshark's FabricPath dissector always takes the frame's last 4 bytes as an FCS, so it sees the inner datagram 4 bytes short (short TCP segment, no UDP length, a cut IPv6 header). These frames carry no FCS: 70 bytes = 16 FabricPath + 14 Ethernet + 20 IP + 20 TCP; Zeek, like tapwire, reads the whole frame.",
  })),
  {
    file: 'cisco-fabric-path.pcap',
    field: 'frame.protocols',
    when: (ours, theirs) => ours === theirs + ':data' && theirs.endsWith(':ipv6'),
    reason: 'IPv6 with payload length 0 (next header 99) in a 60-byte frame: tapwire reads length 0 as "to the end of the frame" (TSO / BIG TCP captures) and shows the 6 bytes after the header as data; tshark counts them as Ethernet padding.',
  },
  ...['frame.protocols', 'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'tcp.seq_raw', 'tcp.len'].map((field) => ({
    file: 'vntag_vlan_sandwich_clean.pcap',
    frame: 1,
    field,
    reason: 'The snap length cuts the TCP options (data offset 40, 22 bytes captured): tapwire stops at the damage with tcp_truncated_header, as it does for every truncated header; tshark shows the fixed part of the header.',
  })),
  {
    field: 'frame.protocols',
    when: (ours, theirs) => ours.endsWith(':tcp:data') && theirs === ours.slice(0, -':data'.length),
    reason: 'TCP reassembly in tshark: a segment that carries part of a longer PDU (HTTP body, TLS record) is listed as plain `tcp` until the PDU completes; tapwire decodes packets one by one and reports the segment payload as data.',
  },
];

function isOutOfScope(field: string): boolean {
  return OUT_OF_SCOPE_PREFIXES.some((p) => field.startsWith(p));
}

function protocolsAgree(ours: string, theirs: string): boolean {
  if (ours === theirs) return true;
  if (!ours.endsWith('data')) return false;
  const prefix = ours === 'data' ? '' : ours.slice(0, -'data'.length);
  if (!theirs.startsWith(prefix)) return false;
  const next = theirs.slice(prefix.length).split(':')[0];
  return UNDECODED_PROTOCOLS.has(next);
}

interface Oracle {
  name: string;
  capture: string;
  tsv: string;
  /** corpus = the shared corpus's oracles (bundled copies or in place); local = generated here (PROVENANCE.md). */
  kind: 'corpus' | 'local';
}

function findOracles(): Oracle[] {
  const out: Oracle[] = [];
  const seen = new Set<string>();
  for (const f of fs.readdirSync(fixtureDir).sort()) {
    if (!f.endsWith('.tshark.tsv')) continue;
    const local = f.endsWith('.local.tshark.tsv');
    const cap = f.slice(0, -(local ? '.local.tshark.tsv' : '.tshark.tsv').length);
    const here = path.join(fixtureDir, cap);
    const capture = fs.existsSync(here) ? here : path.join(zeekTraceDir, cap);
    out.push({ name: cap, capture, tsv: path.join(fixtureDir, f), kind: local ? 'local' : 'corpus' });
    seen.add(cap);
  }
  if (fs.existsSync(corpusDir)) {
    const walk = (dir: string): void => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.tshark.tsv')) {
          const cap = e.name.slice(0, -'.tshark.tsv'.length);
          const capPath = p.slice(0, -'.tshark.tsv'.length);
          if (!seen.has(cap) && fs.existsSync(capPath)) {
            seen.add(cap);
            out.push({ name: cap, capture: capPath, tsv: p, kind: 'corpus' });
          }
        }
      }
    };
    walk(corpusDir);
  }
  return out;
}

function compare(oracles: Oracle[], label: string): void {
  let agree = 0;
  let differ = 0;
  let outOfScope = 0;
  let known = 0;
  const unexpected: string[] = [];
  const knownSeen: string[] = [];
  assert.ok(oracles.length > 0, 'no oracles found');
  for (const o of oracles) {
    const lines = fs.readFileSync(o.tsv, 'utf8').split('\n').filter((l) => l.length > 0);
    const header = lines[0].split('\t');
    const cols = header.map((h, idx) => ({ h, idx })).filter((c) => !isOutOfScope(c.h));
    const loaded = loadCaptureSync(o.capture);
    const printer = compileFieldList(cols.map((c) => c.h), { format: loaded.format });
    const byNumber = new Map<number, number>();
    for (let i = 0; i < loaded.batch.count; i++) byNumber.set(loaded.batch.number[i], i);
    const rec = new DecodeRecord();
    for (const line of lines.slice(1)) {
      const cells = line.split('\t');
      const frame = Number(cells[0]);
      const i = byNumber.get(frame);
      if (i === undefined) {
        // tshark shows pcapng custom blocks (CB/DCB) as frames of their own; they are not packets.
        outOfScope += header.length;
        continue;
      }
      outOfScope += header.length - cols.length;
      decodePacket(loaded.batch, i, rec);
      const ours = printer.format(loaded.batch, i, rec).split('\t');
      cols.forEach((c, j) => {
        const theirs = cells[c.idx] ?? '';
        const mine = ours[j];
        const ok = c.h === 'frame.protocols' ? protocolsAgree(mine, theirs) : mine === theirs;
        if (ok) {
          agree++;
          return;
        }
        differ++;
        const k = KNOWN_DIFFERENCES.find(
          (d) => d.field === c.h && (d.file === undefined || d.file === o.name) && (d.frame === undefined || d.frame === frame) && (d.when === undefined || d.when(mine, theirs)),
        );
        const msg = `${o.name} frame ${frame} ${c.h}: tapwire '${mine}' tshark '${theirs}'`;
        if (k) {
          known++;
          knownSeen.push(`${msg} (known: ${k.reason})`);
        } else unexpected.push(msg);
      });
    }
  }
  console.log(`${label}: ${agree} agree, ${differ} differ (${known} known, ${unexpected.length} unexpected) (${outOfScope} cells out of scope) over ${oracles.length} captures`);
  for (const m of knownSeen) console.log(`  known difference: ${m}`);
  for (const m of unexpected) console.log(`  DIFFERENCE: ${m}`);
  assert.equal(unexpected.length, 0, `${unexpected.length} unexpected differences with tshark:\n${unexpected.slice(0, 50).join('\n')}`);
}

const ORACLES = findOracles();

test('tapwire -T fields agrees with tshark on every in-scope cell of the corpus oracles', () => {
  compare(
    ORACLES.filter((o) => o.kind === 'corpus'),
    'tshark fields',
  );
});

test('... and of the local oracles (more link layers and tunnels, generated with the same tshark)', () => {
  compare(
    ORACLES.filter((o) => o.kind === 'local'),
    'tshark fields (local oracles)',
  );
});
