/**
 * Every capture of the corpus (../shared/corpus, when present) and every bundled fixture is
 * decoded to its end: no exception, no hang, and every recorded layer lies inside the
 * packet's captured bytes. The fuzzed `*oobr*` / `*overflow*` tcpdump captures are in there
 * on purpose. Each packet is also rendered by every output helper (fields, text, json,
 * stats), since those read the bytes the decoder pointed them at.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseCaptureBytes } from '../../src/formats/index.js';
import { TapwireError } from '../../src/core/errors.js';
import { decodePacket } from '../../src/decode/decode.js';
import { DecodeRecord } from '../../src/decode/record.js';
import { FIELD_NAMES, compileFieldList } from '../../src/decode/fields.js';
import { formatTextLine } from '../../src/decode/text.js';
import { formatJson } from '../../src/decode/json.js';
import { ProtocolStats } from '../../src/decode/stats.js';
import { originIdentity } from '../../src/decode/tunnels.js';
import { fixture, repoRoot } from '../helpers.js';

const corpusDir = path.resolve(repoRoot, '..', 'shared', 'corpus');
const fixtureRoot = fixture();

function captures(dir: string, out: string[]): void {
  if (!fs.existsSync(dir)) return;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) captures(p, out);
    else if (/\.(pcap|pcapng|cap)(\.gz)?$/.test(e.name) || /\.pcap/.test(e.name)) {
      if (!e.name.endsWith('.tsv') && !e.name.endsWith('.txt') && !e.name.endsWith('.out')) out.push(p);
    }
  }
}

test('every corpus capture decodes to its end without exception', { timeout: 300_000 }, () => {
  const files: string[] = [];
  captures(fixtureRoot, files);
  captures(corpusDir, files);
  assert.ok(files.length > 0);
  const rec = new DecodeRecord();
  const printer = compileFieldList([...FIELD_NAMES], { format: 'pcapng' });
  const stats = new ProtocolStats();
  let packets = 0;
  let readable = 0;
  let damaged = 0;
  let notCapture = 0;
  let anomalies = 0;
  for (const f of files) {
    let loaded;
    try {
      loaded = parseCaptureBytes(fs.readFileSync(f), f);
    } catch (e) {
      // Not a capture (or an unsupported one): that is the reader's business, not the decoder's.
      if (e instanceof TapwireError) {
        notCapture++;
        continue;
      }
      throw e;
    }
    readable++;
    if (loaded.error) damaged++;
    const b = loaded.batch;
    for (let i = 0; i < b.count; i++) {
      const start = b.offset[i];
      const end = start + b.caplen[i];
      try {
        decodePacket(b, i, rec);
        for (let k = 0; k < rec.layerCount; k++) {
          if (rec.layerStart[k] < start || rec.layerEnd[k] > end || rec.layerStart[k] > rec.layerEnd[k]) {
            assert.fail(`${f} packet ${i + 1}: layer ${k} [${rec.layerStart[k]}, ${rec.layerEnd[k]}) outside [${start}, ${end})`);
          }
        }
        if (rec.anomaly) anomalies++;
        printer.format(b, i, rec);
        formatTextLine(b, i, rec);
        formatJson(b, i, rec);
        originIdentity(b, rec);
        stats.add(b, i, rec);
      } catch (e) {
        throw new Error(`${f} packet ${i + 1}: ${(e as Error).stack}`);
      }
      packets++;
    }
  }
  stats.format();
  console.log(
    `corpus decode: ${packets} packets from ${readable} captures (${damaged} damaged files read up to the damage, ${notCapture} not captures), ${anomalies} packets with an anomaly, no exception`,
  );
});
