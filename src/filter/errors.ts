import { TapwireError, ExitCode } from '../core/errors.js';

/**
 * An expression libpcap would reject. `position` is the 0-based character offset of the
 * token where the problem was found (libpcap itself gives no position; we add it so the CLI
 * can point at it).
 */
export class FilterSyntaxError extends TapwireError {
  readonly position: number;
  constructor(message: string, position: number) {
    super('E_FILTER', message, ExitCode.usage);
    this.position = position;
    this.name = 'FilterSyntaxError';
  }

  /** The expression with a caret under the problem, for terminals. */
  pointAt(expr: string): string {
    return `${expr}\n${' '.repeat(Math.max(0, Math.min(this.position, expr.length)))}^ ${this.message}`;
  }
}
