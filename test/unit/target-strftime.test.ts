/** File names for rotated captures: strftime expansion, matching earlier files, time boundaries. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { nextBoundary } from '../../src/components/targets/pcap-file.js';
import { hasDirectives, patternRegex, splitExtension, strftime, unsupportedDirectives } from '../../src/components/targets/strftime.js';

const t = Date.UTC(2026, 1, 3, 4, 5, 6, 789); // 2026-02-03 04:05:06.789 UTC, day 34

test('strftime expands the supported directives in UTC', () => {
  assert.equal(strftime('/var/tap/web-%Y%m%d-%H%M%S.pcap', t), '/var/tap/web-20260203-040506.pcap');
  assert.equal(strftime('%y %j %s %F %T %%', t), `26 034 ${Math.floor(t / 1000)} 2026-02-03 04:05:06 %`);
  assert.deepEqual(unsupportedDirectives('%Y-%q-%%-%Z'), ['%q', '%Z']);
  assert.equal(hasDirectives('plain%%.pcap'), false);
  assert.equal(hasDirectives('a-%H.pcap'), true);
});

test('a pattern regex matches what the pattern and the collision suffix produce', () => {
  const re = patternRegex('web-%Y%m%d-%H%M%S.pcap');
  assert.ok(re.test('web-20260203-040506.pcap'));
  assert.ok(re.test('web-20260203-040506-3.pcap'));
  assert.ok(!re.test('web-2026023-040506.pcap'));
  assert.ok(!re.test('other-20260203-040506.pcap'));
  assert.deepEqual(splitExtension('/a/b.pcapng.gz'), { stem: '/a/b', ext: '.pcapng.gz' });
  assert.deepEqual(splitExtension('/a/ring'), { stem: '/a/ring', ext: '' });
});

test('time rotation falls on boundaries of the interval', () => {
  const hour = 3600000;
  assert.equal(nextBoundary(Date.UTC(2026, 0, 1, 10, 59, 59), hour, true), Date.UTC(2026, 0, 1, 11));
  assert.equal(nextBoundary(Date.UTC(2026, 0, 1, 11), hour, true), Date.UTC(2026, 0, 1, 12));
  assert.equal(nextBoundary(Date.UTC(2026, 0, 1, 11, 7), 15 * 60000, true), Date.UTC(2026, 0, 1, 11, 15));
  assert.equal(nextBoundary(Date.UTC(2026, 0, 1, 11, 7), 86400000, true), Date.UTC(2026, 0, 2));
});
