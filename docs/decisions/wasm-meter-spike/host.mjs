// Runs the spike meter (meter.wasm, built from assembly/meter.ts) over a little-endian
// microsecond pcap: node host.mjs FILE [verify]. See ../flow-metering-speed.md.
import fs from 'node:fs';
const t0 = process.cpuUsage();
const mod = new WebAssembly.Module(fs.readFileSync(new URL('./meter.wasm', import.meta.url)));
const m = new WebAssembly.Instance(mod, { env: { abort() { throw new Error('abort'); } } }).exports;
m.init();
if (process.argv[3] === 'verify') m.setVerify(true);
const fd = fs.openSync(process.argv[2], 'r');
fs.readSync(fd, Buffer.alloc(24), 0, 24, null);
const size = m.BUF_BYTES.value;
let have = 0;
for (;;) {
  const buf = new Uint8Array(m.memory.buffer, m.buf.value, size);
  const n = fs.readSync(fd, buf, have, size - have, null);
  have += n;
  const used = m.run(have);
  buf.copyWithin(0, used, have);
  have -= used;
  if (n === 0) break;
}
const u = process.cpuUsage(t0);
console.log(`packets ${m.packets.value}, flows ${m.flows.value}, not IP ${m.other.value}, bad checksums ${m.badSums.value}, in-process CPU ${((u.user + u.system) / 1e6).toFixed(3)} s`);
