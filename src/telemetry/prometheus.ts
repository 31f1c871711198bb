/**
 * Prometheus text exposition of component counters, and a tiny HTTP server for /metrics.
 * Metric names follow Prometheus conventions: a `tapwire_` prefix, `_total` counters, base
 * units (bytes), and labels for the component's kind, name and type and the drop reason.
 */
import http from 'node:http';
import type { ComponentCounters } from '../components/counters.js';

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderMetrics(counters: ComponentCounters[]): string {
  const lines: string[] = [];
  const family = (name: string, help: string, rows: [string, number][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
    for (const [labels, v] of rows) lines.push(`${name}{${labels}} ${v}`);
  };
  const label = (c: ComponentCounters) => `kind="${c.kind}",component="${esc(c.name)}",type="${c.type}"`;
  family('tapwire_component_received_packets_total', 'Packets a component received.', counters.map((c) => [label(c), c.inPackets]));
  family('tapwire_component_received_bytes_total', 'Captured bytes a component received.', counters.map((c) => [label(c), c.inBytes]));
  family('tapwire_component_sent_packets_total', 'Packets a component passed on or wrote.', counters.map((c) => [label(c), c.outPackets]));
  family('tapwire_component_sent_bytes_total', 'Captured bytes a component passed on or wrote.', counters.map((c) => [label(c), c.outBytes]));
  const drops: [string, number][] = [];
  const dropBytes: [string, number][] = [];
  const errors: [string, number][] = [];
  for (const c of counters) {
    for (const [reason, v] of c.dropPackets) drops.push([`${label(c)},reason="${esc(reason)}"`, v]);
    for (const [reason, v] of c.dropBytes) dropBytes.push([`${label(c)},reason="${esc(reason)}"`, v]);
    for (const [kind, v] of c.errors) errors.push([`${label(c)},error="${esc(kind)}"`, v]);
  }
  family('tapwire_component_dropped_packets_total', 'Packets a component dropped, by reason.', drops);
  family('tapwire_component_dropped_bytes_total', 'Captured bytes a component dropped, by reason.', dropBytes);
  family('tapwire_component_errors_total', 'Operational errors (write failures, socket errors), by kind.', errors);
  return lines.join('\n') + '\n';
}

export function serveMetrics(host: string, port: number, counters: () => ComponentCounters[]): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    if (req.url === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(renderMetrics(counters()));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('tapwire: see /metrics\n');
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
