import { InvalidRequestError, type ErrorDetail } from '../shared/errors.js';

/**
 * Runs a form's independent checks and throws once with every field's problem: the first check's
 * message (readable on its own) and all their details.
 */
export class FormCheck {
  private message: string | null = null;
  private readonly details: ErrorDetail[] = [];

  /** The check's result, or undefined when it failed (recorded for {@link done}). */
  check<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!(err instanceof InvalidRequestError)) throw err;
      this.add(err.message, err.details ?? []);
      return undefined;
    }
  }

  add(message: string, details: ErrorDetail[]): void {
    this.message ??= message;
    this.details.push(...details);
  }

  done(): void {
    if (this.message === null) return;
    const more = this.details.length > 1 ? ` (${this.details.length} fields to correct: see details)` : '';
    throw new InvalidRequestError(`${this.message}${more}`, this.details);
  }
}
