/** Config validation (targets, session filters): every problem at once, each with its path; good configs pass. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TARGET_TYPES } from '../../src/components/targets/index.js';
import { parseEndpoint } from '../../src/components/targets/config.js';
import { Problems } from '../../src/pipeline/problems.js';
import { validateConfig } from '../../src/pipeline/config.js';

function problems(type: string, o: Record<string, unknown>): string[] {
  const p = new Problems();
  TARGET_TYPES[type].validate({ type, ...o }, `targets.${type}`, p);
  return p.list;
}

test('valid configs of every target type pass', () => {
  assert.deepEqual(problems('pcap_file', { path: '/var/tap/web-%Y%m%d-%H%M%S.pcap', format: 'pcapng', snaplen: 128, rotate_size: '100M', rotate_interval: '1h', max_files: 24, retain_bytes: '10G', retain_age: '7d', on_close: ['gzip', '-9'], utc: false }), []);
  assert.deepEqual(problems('stdout', { format: 'pcap', queue_bytes: '64M', on_full: 'drop' }), []);
  assert.deepEqual(problems('pcap_over_ip', { listen: '0.0.0.0:57012', client_queue_bytes: '16M' }), []);
  assert.deepEqual(problems('vxlan', { remote: 'tool.example:4789', vni: 100, mtu: 9000, source_ports: 32 }), []);
  assert.deepEqual(problems('geneve', { remote: '[2001:db8::1]:6081', vni: 5, options: [{ class: 0x0108, type: 1, data: '0011223344556677' }] }), []);
  assert.deepEqual(problems('gre', { path: '/tmp/erspan.pcap', remote: '10.0.0.2', local: '10.0.0.1', session_id: 12, vlan: 5 }), []);
  assert.deepEqual(problems('gre', { transport: 'udp', remote: 'collector:4754', session_id: 1, source_ports: 4 }), []);
  assert.deepEqual(problems('gre', { transport: 'ip', remote: '10.0.0.9', local: '10.0.0.1', interface: 'eth1', session_id: 12, vlan: 5, mtu: 9000 }), []);
  assert.deepEqual(problems('udp', { remote: '127.0.0.1:514', payload: 'frame' }), []);
});

test('every problem of a config is reported at once with its path', () => {
  assert.deepEqual(problems('pcap_file', { path: '/x/%Q.pcap', format: 'erf', rotate_size: 'huge', rotate_interval: '10', max_files: 0, on_close: 'gzip', rotatesize: 1 }), [
    'targets.pcap_file.rotatesize: unknown key (expected one of: type, name, path, format, snaplen, nanoseconds, linktype, rotate_size, rotate_interval, max_files, retain_bytes, retain_age, on_close, utc)',
    'targets.pcap_file.path: unsupported strftime directive(s) %Q (supported: %Y %m %d %H %M %S %y %j %s %F %T %%)',
    "targets.pcap_file.format: must be one of pcap, pcapng, got 'erf'",
    'targets.pcap_file.rotate_size: must be a size like 100M or 2G, got "huge"',
    'targets.pcap_file.max_files: must be at least 1, got 0',
    'targets.pcap_file.on_close: must be a list like [gzip, -9] (command and arguments; the file path is appended)',
  ]);
  assert.deepEqual(problems('vxlan', { remote: 'host:99999', vni: 1 << 24, mtu: 100 }), [
    'targets.vxlan.remote: port must be 1-65535, got 99999',
    'targets.vxlan.vni: must be at most 16777215, got 16777216',
    'targets.vxlan.mtu: must be at least 576, got 100',
  ]);
  assert.deepEqual(problems('geneve', { remote: 'h', vni: 1, options: [{ class: 1, type: 2, data: 'xyz' }, { type: 1, data: 'aa', extra: 1 }] }), [
    'targets.geneve.options[0].data: must be hex bytes like "0011aabb"',
    'targets.geneve.options[1].extra: unknown key (expected one of: class, type, data)',
    'targets.geneve.options[1].class: is required',
  ]);
  assert.deepEqual(problems('gre', { path: 'e.pcap', remote: 'tool.example' }), [
    "targets.gre.remote: must be an IPv4 address (ERSPAN is written over IPv4), got 'tool.example'",
    'targets.gre.session_id: is required',
  ]);
  assert.deepEqual(problems('gre', { transport: 'udp', remote: 'c:4754', session_id: 2000, path: 'x.pcap' }), [
    'targets.gre.path: unknown key (expected one of: type, name, remote, mtu, source_ports, queue_bytes, transport, session_id, vlan)',
    'targets.gre.session_id: must be at most 1023, got 2000',
  ]);
  assert.deepEqual(problems('gre', { transport: 'ip', remote: 'tool.example', local: '10.0.0.1/24', interface: 'a-very-long-interface', mtu: 100, path: 'x.pcap', vlan: -1 }), [
    'targets.gre.path: unknown key (expected one of: type, name, transport, session_id, vlan, remote, local, interface, mtu)',
    "targets.gre.remote: must be an IPv4 address (ERSPAN is written over IPv4), got 'tool.example'",
    "targets.gre.local: must be an IPv4 address (ERSPAN is written over IPv4), got '10.0.0.1/24'",
    'targets.gre.mtu: must be at least 576, got 100',
    "targets.gre.interface: must be an interface name of 1-15 bytes, got 'a-very-long-interface'",
    'targets.gre.session_id: is required',
    'targets.gre.vlan: must be at least 0, got -1',
  ]);
  assert.deepEqual(problems('gre', { transport: 'tcp', remote: '10.0.0.9', session_id: 1 }), ["targets.gre.transport: must be one of file, udp, ip, got 'tcp'", 'targets.gre.path: is required']);
  assert.deepEqual(problems('pcap_over_ip', { client_queue_bytes: 10 }), ['targets.pcap_over_ip.listen: is required', 'targets.pcap_over_ip.client_queue_bytes: must be at least 64k (one packet must fit), got 10']);
  assert.deepEqual(problems('udp', { remote: '1.2.3.4', payload: 'l7' }), ["targets.udp.remote: must be host:port, got '1.2.3.4'", "targets.udp.payload: must be one of l4, frame, got 'l7'"]);
});

test('endpoints: host:port, [v6]:port, bare v6 with a default port', () => {
  assert.deepEqual(parseEndpoint('10.0.0.1:4789'), { host: '10.0.0.1', port: 4789 });
  assert.deepEqual(parseEndpoint('[::1]:6081'), { host: '::1', port: 6081 });
  assert.deepEqual(parseEndpoint('2001:db8::5', 4789), { host: '2001:db8::5', port: 4789 });
  assert.deepEqual(parseEndpoint('tool', 6081), { host: 'tool', port: 6081 });
  assert.equal(typeof parseEndpoint(':80'), 'string');
});

test('a session filter is checked against every link type a source may deliver', () => {
  const config = (filter: string): unknown => ({
    sources: { mon: { type: 'pcap_file', path: 'wifi.pcap' } },
    sessions: [{ number: 10, sources: ['mon'], filter, targets: ['out'] }],
    targets: { out: { type: 'pcap_file', path: 'out.pcap' } },
  });
  // 802.11 only, and Ethernet only: both can be right for some source.
  assert.doesNotThrow(() => validateConfig(config('wlan type data'), 'tapwire.yaml'));
  assert.doesNotThrow(() => validateConfig(config('ether host 00:11:22:33:44:55'), 'tapwire.yaml'));
  // Wrong for every link type: the Ethernet error is reported.
  assert.throws(() => validateConfig(config('tcp port'), 'tapwire.yaml'), /sessions\[0\]\.filter: bad tcpdump expression 'tcp port'/);
});
