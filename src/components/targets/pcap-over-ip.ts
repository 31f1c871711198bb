/**
 * `pcap_over_ip`: a TCP server that streams pcap (or pcapng) to every connected client, as
 * `nc host port | wireshark -k -i -` or Arkime / NetworkMiner "PCAP-over-IP" expect. Each
 * client first gets the file header (plus, for pcapng, every interface described so far),
 * then the packets from the moment it connected.
 *
 * Slow clients: each socket's own write buffer is its queue, bounded by
 * `client_queue_bytes`. A batch is encoded once; each client takes the longest prefix of its
 * whole records that fits in its room and the rest is dropped for that client alone (its
 * own counters, reason queue_full). write() never waits for a socket, so one client that
 * stops reading costs neither the other clients nor the pipeline anything.
 *
 * Counters: the target's `out` counts packets that reached at least one client, its
 * queue_full drops those that reached none, target_down those that came while no client was
 * connected. `clientCounters()` has each client's in / out / queue_full.
 *
 * Reload: the pipeline starts the new targets before it closes the old ones, so a new
 * pcap_over_ip on the same address would find the port taken. Instead it takes over the
 * listening socket and, when the stream format is unchanged, the connected clients, which
 * then go on reading one uninterrupted stream (a format change closes them; they reconnect).
 */
import net from 'node:net';
import type { PacketBatch } from '../../core/batch.js';
import { ExitCode, TapwireError } from '../../core/errors.js';
import { checkKeys, Problems, size, type Obj } from '../../pipeline/problems.js';
import { ComponentCounters, DropReason } from '../counters.js';
import type { BatchContext, Target } from '../types.js';
import { CAPTURE_KEYS, captureOptions, endpoint, sizeValue, validateCapture, type CaptureOptions, type Endpoint } from './config.js';
import { StreamEncoder } from './stream-encoder.js';
import { dropAll } from './drop-all.js';

export interface PcapOverIpOptions extends CaptureOptions {
  listen: Endpoint;
  clientQueueBytes: number;
}

interface Client {
  socket: net.Socket;
  counters: ComponentCounters;
  headerSent: boolean;
  /** The target serving the client now (changes when a reload hands clients over). */
  owner: PcapOverIpTarget;
}

/** Listening targets of this process by address, for the hand-over on reload. */
const LISTENERS = new Map<string, PcapOverIpTarget>();

export class PcapOverIpTarget implements Target {
  readonly type = 'pcap_over_ip';
  readonly counters: ComponentCounters;
  private readonly enc: StreamEncoder;
  private readonly clients = new Set<Client>();
  private server: net.Server | null = null;
  /** Counters of clients that have gone, kept so totals stay explainable. */
  private readonly pastClients: ComponentCounters[] = [];
  /** The running target whose listener and clients start() took over (a reload). */
  private tookOverFrom: PcapOverIpTarget | null = null;

  constructor(readonly name: string, private readonly o: PcapOverIpOptions) {
    this.counters = new ComponentCounters('target', name, this.type);
    this.enc = new StreamEncoder(o);
  }

  get up(): boolean {
    return this.clients.size > 0;
  }

  /** The bound address (useful with port 0). */
  address(): net.AddressInfo {
    return this.server?.address() as net.AddressInfo;
  }

  clientCounters(): ComponentCounters[] {
    return [...this.pastClients, ...[...this.clients].map((c) => c.counters)];
  }

  private get key(): string {
    return `${this.o.listen.host}|${this.o.listen.port}`;
  }

  async start(): Promise<void> {
    const prev = this.o.listen.port !== 0 ? LISTENERS.get(this.key) : undefined;
    if (prev && prev.server) return this.takeOver(prev);
    const server = net.createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(new TapwireError('E_OUTPUT', `target ${this.name}: cannot listen on ${this.o.listen.host}:${this.o.listen.port} (${e.code ?? e.message})`, ExitCode.output)),
      );
      server.listen(this.o.listen.port, this.o.listen.host, () => resolve());
    });
    server.on('error', () => this.counters.error('server'));
    this.serve(server);
  }

  private serve(server: net.Server): void {
    server.removeAllListeners('connection');
    server.on('connection', (socket: net.Socket) => this.accept(socket));
    this.server = server;
    if (this.o.listen.port !== 0) LISTENERS.set(this.key, this);
  }

  private takeOver(prev: PcapOverIpTarget): void {
    const server = prev.server as net.Server;
    prev.server = null;
    this.serve(server);
    this.tookOverFrom = prev;
    const sameStream = prev.o.format === this.o.format && prev.o.snaplen === this.o.snaplen && prev.o.nanos === this.o.nanos && (this.o.linktype === undefined || this.o.linktype === prev.enc.linktype);
    if (sameStream) this.enc.continueFrom(prev.enc);
    for (const client of prev.clients) {
      prev.clients.delete(client);
      if (!sameStream) {
        client.socket.end();
        continue;
      }
      client.owner = this;
      this.clients.add(client);
    }
  }

  private accept(socket: net.Socket): void {
    const client: Client = {
      socket,
      counters: new ComponentCounters('target', `${this.name}[${socket.remoteAddress}:${socket.remotePort}]`, this.type),
      headerSent: false,
      owner: this,
    };
    socket.setNoDelay(true);
    socket.resume(); // clients have nothing to say; do not let their bytes pile up
    socket.on('error', () => {
      client.owner.counters.error('client');
      socket.destroy();
    });
    socket.on('close', () => {
      const owner = client.owner;
      if (owner.clients.delete(client)) owner.pastClients.push(client.counters);
    });
    this.clients.add(client);
    const header = this.enc.fileHeader();
    if (header !== null) {
      socket.write(header);
      client.headerSent = true;
    }
  }

  async write(batch: PacketBatch, keep: Uint8Array | null, ctx: BatchContext): Promise<void> {
    const c = this.counters;
    if (this.clients.size === 0) return dropAll(c, batch, keep, DropReason.target_down);
    const enc = this.enc;
    enc.encode(batch, keep, ctx);
    c.in(enc.inPackets, enc.inBytes);
    c.drop(DropReason.linktype, enc.linktypeDropped, enc.linktypeDroppedBytes);
    if (enc.count === 0 && enc.headLen === 0) return;
    // One copy per batch, shared by every client's socket (the encoder reuses its buffer).
    const chunk = enc.buf.slice(0, enc.pos);
    const limit = this.o.clientQueueBytes;
    let best = 0;
    for (const client of this.clients) {
      const s = client.socket;
      if (s.destroyed || !s.writable) continue;
      let from = 0;
      if (!client.headerSent) {
        const header = enc.fileHeader();
        if (header === null) continue;
        s.write(header);
        client.headerSent = true;
        from = enc.headLen; // the header already describes this batch's interfaces
      }
      const take = enc.fitting(from, limit - s.writableLength);
      const end = take === enc.count ? enc.pos : enc.startOf(take);
      if (end > from) s.write(chunk.subarray(from, end));
      const cc = client.counters;
      cc.in(enc.count, enc.bytesOf(0, enc.count));
      cc.out(take, enc.bytesOf(0, take));
      cc.drop(DropReason.queue_full, enc.count - take, enc.bytesOf(take, enc.count));
      if (take > best) best = take;
    }
    c.out(best, enc.bytesOf(0, best));
    c.drop(DropReason.queue_full, enc.count - best, enc.bytesOf(best, enc.count));
  }

  /** A dropped reload: the listener and the clients go back to the running target. */
  async discard(): Promise<void> {
    const prev = this.tookOverFrom;
    if (prev === null || this.server === null) return this.close();
    prev.serve(this.server);
    this.server = null;
    for (const client of this.clients) {
      client.owner = prev;
      prev.clients.add(client);
    }
    this.clients.clear();
  }

  async close(): Promise<void> {
    if (LISTENERS.get(this.key) === this) LISTENERS.delete(this.key);
    const server = this.server;
    this.server = null;
    const closed = server ? new Promise<void>((r) => server.close(() => r())) : Promise.resolve();
    await Promise.all(
      [...this.clients].map(
        (client) =>
          new Promise<void>((resolve) => {
            const s = client.socket;
            if (s.destroyed) return resolve();
            // A reading client gets everything queued; one that stopped reading is cut off.
            const timer = setTimeout(() => s.destroy(), 1000);
            s.once('close', () => {
              clearTimeout(timer);
              resolve();
            });
            s.end();
          }),
      ),
    );
    await closed;
  }
}

export const pcapOverIp = {
  validate(o: Obj, path: string, p: Problems): void {
    checkKeys(o, path, ['type', 'name', 'listen', ...CAPTURE_KEYS, 'client_queue_bytes'], p);
    endpoint(o, 'listen', path, p, { required: true, allowPortZero: true });
    validateCapture(o, path, p);
    const q = size(o, 'client_queue_bytes', path, p);
    if (q !== undefined && q < 65536) p.add(`${path}.client_queue_bytes`, `must be at least 64k (one packet must fit), got ${q}`);
  },
  create(name: string, o: Obj): Target {
    return new PcapOverIpTarget(name, {
      ...captureOptions(o),
      listen: endpoint(o, 'listen', '', new Problems(), { allowPortZero: true }) as Endpoint,
      clientQueueBytes: sizeValue(o.client_queue_bytes) ?? 8 * 1024 * 1024,
    });
  },
};
