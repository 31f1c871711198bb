/**
 * A TCP health-check port for a mirror target behind an AWS Network Load Balancer: the NLB
 * marks the target healthy when a TCP handshake succeeds, so the server accepts and closes.
 * It is only open while the source runs, so a stopped receiver turns unhealthy.
 */
import net from 'node:net';
import { ExitCode, TapwireError } from '../../core/errors.js';
import { parseEndpoint } from '../targets/config.js';
import type { Obj, Problems } from '../../pipeline/problems.js';

export class HealthCheckServer {
  private server: net.Server | null = null;
  checks = 0;

  constructor(readonly host: string, readonly port: number) {}

  async start(): Promise<void> {
    const server = net.createServer((socket) => {
      this.checks++;
      socket.on('error', () => {});
      socket.end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new TapwireError('E_IO', `health check ${this.host}:${this.port}: cannot listen (${e.code ?? e.message})`, ExitCode.usage)));
      server.listen(this.port, this.host, () => resolve());
    });
    this.server = server;
  }

  address(): net.AddressInfo | null {
    return (this.server?.address() as net.AddressInfo | null) ?? null;
  }

  close(): void {
    this.server?.close();
    this.server = null;
  }
}

/** `health_check: 8080` or `health_check: "0.0.0.0:8080"`. */
export function validateHealthCheck(o: Obj, path: string, p: Problems): void {
  const v = o.health_check;
  if (v === undefined) return;
  const text = typeof v === 'number' ? `0.0.0.0:${v}` : typeof v === 'string' ? v : null;
  const r = text === null ? 'must be a TCP port or HOST:PORT' : parseEndpoint(/^\d+$/.test(text) ? `0.0.0.0:${text}` : text, undefined, 0);
  if (typeof r === 'string') p.add(`${path}.health_check`, r);
}

export function healthCheckFrom(o: Obj): HealthCheckServer | null {
  const v = o.health_check;
  if (v === undefined) return null;
  const text = typeof v === 'number' || /^\d+$/.test(String(v)) ? `0.0.0.0:${v}` : String(v);
  const e = parseEndpoint(text, undefined, 0);
  if (typeof e === 'string') return null;
  return new HealthCheckServer(e.host, e.port);
}
