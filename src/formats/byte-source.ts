/**
 * Where capture bytes come from: a file read in place (no intermediate copies), or any
 * stream (stdin, a gunzip stream) copied chunk by chunk. Both fill a caller's buffer.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';
import { Readable } from 'node:stream';
import { TapwireError, ExitCode } from '../core/errors.js';

export interface ByteSource {
  /** Fills buf[off, off+len) as far as it can; resolves 0 at the end of input. */
  read(buf: Uint8Array, off: number, len: number): Promise<number>;
  close(): Promise<void>;
}

class FileSource implements ByteSource {
  constructor(private readonly fh: fs.promises.FileHandle) {}
  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    const { bytesRead } = await this.fh.read(buf, off, len, null);
    return bytesRead;
  }
  close(): Promise<void> {
    return this.fh.close();
  }
}

class StreamSource implements ByteSource {
  private readonly it: AsyncIterator<Buffer>;
  private pending: Buffer | null;
  private pendingPos = 0;
  constructor(private readonly stream: Readable, prefix: Buffer | null) {
    this.it = stream[Symbol.asyncIterator]();
    this.pending = prefix && prefix.length ? prefix : null;
  }
  async read(buf: Uint8Array, off: number, len: number): Promise<number> {
    let n = 0;
    while (n < len) {
      if (this.pending === null) {
        if (n > 0) return n; // hand over what we have rather than wait
        const r = await this.it.next();
        if (r.done) return n;
        this.pending = r.value;
        this.pendingPos = 0;
      }
      const p = this.pending;
      const take = Math.min(len - n, p.length - this.pendingPos);
      buf.set(p.subarray(this.pendingPos, this.pendingPos + take), off + n);
      n += take;
      this.pendingPos += take;
      if (this.pendingPos >= p.length) this.pending = null;
    }
    return n;
  }
  async close(): Promise<void> {
    this.stream.destroy();
  }
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

async function firstChunk(stream: Readable): Promise<Buffer | null> {
  for await (const chunk of stream) return chunk as Buffer;
  return null;
}

/** Opens a capture's bytes: a path, or '-' for standard input; gzip is undone transparently. */
export async function openByteSource(path: string): Promise<ByteSource> {
  if (path === '-') {
    const stdin = process.stdin;
    const it = stdin[Symbol.asyncIterator]();
    const first = await it.next();
    const head: Buffer | null = first.done ? null : (first.value as Buffer);
    const rest = Readable.from((async function* () {
      if (head) yield head;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield r.value as Buffer;
      }
    })());
    if (head && isGzip(head)) return new StreamSource(rest.pipe(zlib.createGunzip()), null);
    return new StreamSource(rest, null);
  }
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(path, 'r');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new TapwireError('E_IO', `${path}: cannot open (${err.code ?? err.message})`, ExitCode.badInput);
  }
  const magic = new Uint8Array(2);
  const { bytesRead } = await fh.read(magic, 0, 2, 0);
  if (bytesRead === 2 && isGzip(magic)) {
    await fh.close();
    const gz = fs.createReadStream(path).pipe(zlib.createGunzip());
    void firstChunk; // kept simple: the gunzip stream is consumed by StreamSource
    return new StreamSource(gz, null);
  }
  return new FileSource(fh);
}
