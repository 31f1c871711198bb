/**
 * Decoder micro-benchmark: decodes every packet of a capture (all layers, through tunnels)
 * and reports packets per second, next to the rate of reading the same file without
 * decoding, measured in the same run (the ratio is the decoder's cost over the reader's).
 * Wired into `npm run bench` by bench/run.ts, which also times tcpdump on the same file.
 */
import { openCapture } from '../src/formats/index.js';
import { decodePacket } from '../src/decode/decode.js';
import { DecodeRecord } from '../src/decode/record.js';
import { AnomalyCounters } from '../src/decode/anomalies.js';

async function pass(pcap: string, decode: boolean): Promise<{ packets: number; seconds: number; layers: number; anomalies: number }> {
  const rec = new DecodeRecord();
  const counters = new AnomalyCounters();
  let packets = 0;
  let layers = 0;
  const t0 = process.hrtime.bigint();
  const reader = await openCapture(pcap);
  for await (const batch of reader.batches()) {
    if (decode) {
      for (let i = 0; i < batch.count; i++) {
        decodePacket(batch, i, rec);
        layers += rec.layerCount;
        counters.add(rec.anomaly);
      }
    }
    packets += batch.count;
  }
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { packets, seconds, layers, anomalies: counters.total() };
}

export async function run(ctx: { pcap: string; log: (line: string) => void }): Promise<void> {
  // Warm the page cache and the JIT once, then measure.
  await pass(ctx.pcap, true);
  const read = await pass(ctx.pcap, false);
  const dec = await pass(ctx.pcap, true);
  const readPps = read.packets / read.seconds;
  const decPps = dec.packets / dec.seconds;
  ctx.log(`decode: ${dec.packets} packets in ${dec.seconds.toFixed(2)} s = ${(decPps / 1e6).toFixed(2)} Mpps (read + decode every layer, ${(dec.layers / dec.packets).toFixed(1)} layers/packet, ${dec.anomalies} anomalies)`);
  ctx.log(`read only: ${(readPps / 1e6).toFixed(2)} Mpps; decoding costs ${((1 / decPps - 1 / readPps) * 1e9).toFixed(0)} ns/packet (decode+read runs at ${((decPps / readPps) * 100).toFixed(0)}% of the read-only rate)`);
}

// Standalone: node dist/bench/decode.js FILE
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop() ?? '') && process.argv[2]) {
  await run({ pcap: process.argv[2], log: (l) => console.log(l) });
}
