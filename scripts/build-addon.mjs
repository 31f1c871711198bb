#!/usr/bin/env node
/**
 * Builds the libpcap addon (native/ -> build/Release/tapwire_pcap.node) with node-gyp.
 *
 * Run by `npm install` (and by `npm run build` when the addon is missing). It NEVER fails:
 * without libpcap's headers, or when the compiler fails, it prints one line and exits 0, so
 * offline features keep working and live capture reports what to install when used.
 *
 *   node scripts/build-addon.mjs            build unless the addon exists and is newer than its sources
 *   node scripts/build-addon.mjs --force    rebuild
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const addon = path.join(repo, 'build', 'Release', 'tapwire_pcap.node');
const force = process.argv.includes('--force');

/** The built addon is current when it is newer than every file it is built from. */
function upToDate() {
  if (!fs.existsSync(addon)) return false;
  const built = fs.statSync(addon).mtimeMs;
  const sources = [path.join(repo, 'binding.gyp'), ...fs.readdirSync(path.join(repo, 'native')).map((f) => path.join(repo, 'native', f))];
  return sources.every((f) => fs.statSync(f).mtimeMs <= built);
}

if (!force && upToDate()) process.exit(0);
if (!fs.existsSync('/usr/include/pcap/pcap.h')) {
  console.log('tapwire: live capture disabled (no libpcap headers); to enable it: apt-get install libpcap-dev, then node scripts/build-addon.mjs (or npm rebuild tapwire)');
  process.exit(0);
}

/** node-gyp ships inside npm: prefer the one npm announces, then npm's own copy, then PATH. */
function nodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && fs.existsSync(c)) return [process.execPath, c];
  return ['node-gyp'];
}

/** Headers of the running Node when installed beside it (no download needed). */
function nodeDirArgs() {
  const dir = path.resolve(path.dirname(process.execPath), '..');
  return fs.existsSync(path.join(dir, 'include', 'node', 'common.gypi')) ? [`--nodedir=${dir}`] : [];
}

const [cmd, ...pre] = nodeGyp();
const r = spawnSync(cmd, [...pre, 'rebuild', ...nodeDirArgs()], { cwd: repo, encoding: 'utf8' });
if (r.status === 0 && fs.existsSync(addon)) {
  console.log(`tapwire: built the libpcap addon (${path.relative(repo, addon)})`);
} else {
  const why = r.error ? r.error.message : (r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ');
  console.log(`tapwire: live capture disabled: the libpcap addon did not build (${why}); offline features work`);
}
process.exit(0);
