/**
 * Operational errors carry a stable code, and the CLI maps each code to a documented exit
 * status. Malformed *packets* are never errors: they are anomalies (see decode/anomalies.ts).
 */
export const ExitCode = {
  ok: 0,
  /** Bad command line or configuration. */
  usage: 1,
  /** The input capture is damaged or not a capture; every packet before the damage was delivered. */
  badInput: 2,
  /** An output could not be written (disk full, closed pipe, permission). */
  output: 3,
  /** Anything unexpected: a bug. */
  internal: 70,
} as const;

export type ErrorCode =
  | 'E_USAGE'
  | 'E_NOT_CAPTURE'
  | 'E_TRUNCATED'
  | 'E_BAD_RECORD'
  | 'E_UNSUPPORTED'
  | 'E_IO'
  | 'E_OUTPUT'
  | 'E_FILTER';

export class TapwireError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, exitCode: number) {
    super(message);
    this.code = code;
    this.exitCode = exitCode;
    this.name = 'TapwireError';
  }
}

/** A capture that is damaged or not a capture at all: names the file and the byte offset. */
export class CaptureError extends TapwireError {
  readonly file: string;
  readonly byteOffset: number;
  constructor(code: 'E_NOT_CAPTURE' | 'E_TRUNCATED' | 'E_BAD_RECORD' | 'E_UNSUPPORTED', file: string, byteOffset: number, detail: string) {
    super(code, `${file}: ${detail} at byte offset ${byteOffset}`, ExitCode.badInput);
    this.file = file;
    this.byteOffset = byteOffset;
    this.name = 'CaptureError';
  }
}

export class UsageError extends TapwireError {
  constructor(message: string) {
    super('E_USAGE', message, ExitCode.usage);
    this.name = 'UsageError';
  }
}
