/**
 * Collects output lines per batch and writes them with one stdout call, honouring
 * backpressure. A closed pipe (`tapwire read ... | head`) ends output quietly.
 */
export class StdoutLines {
  private parts: string[] = [];
  private closed = false;

  constructor() {
    process.stdout.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') this.closed = true;
      else throw e;
    });
  }

  push(line: string): void {
    this.parts.push(line);
  }

  /** Writes what was collected; resolves false once the reader has gone away. */
  async flush(): Promise<boolean> {
    if (this.closed) return false;
    if (this.parts.length === 0) return true;
    const text = this.parts.join('\n') + '\n';
    this.parts = [];
    if (!process.stdout.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          process.stdout.off('drain', done);
          process.stdout.off('close', done);
          resolve();
        };
        process.stdout.once('drain', done);
        process.stdout.once('close', done);
      });
    }
    return !this.closed;
  }
}
