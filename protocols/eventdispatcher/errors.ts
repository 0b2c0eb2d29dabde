// The event dispatcher's typed errors (eventdispatcher.md, "Errors"). All are ProtocolErrors, so
// callers may catch either the precise class or the base one.

import { ProtocolError } from '../errors.ts';

/** Thrown internally by the scanners (string and JSON forms); converted to a result at the edge. */
export class Reject {
  readonly detail: string;
  readonly at: number;
  constructor(detail: string, at: number) {
    this.detail = detail;
    this.at = at;
  }
}

/** A message that cannot be parsed, built or serialized; a bad name. */
export class InvalidMessageError extends ProtocolError {
  override name = 'InvalidMessageError';
  constructor(detail: string, offset?: number) {
    super('invalid-message', detail, offset);
  }
}

/** A bad value given to an API (a pause duration, an integer out of range...). */
export class InvalidParameterError extends ProtocolError {
  override name = 'InvalidParameterError';
  constructor(detail: string) {
    super('invalid-parameter', detail);
  }
}

/** A bad argument to a construction API (dispatcher match, priority, timer delay). */
export class ParameterError extends ProtocolError {
  override name = 'ParameterError';
  constructor(detail: string) {
    super('parameter', detail);
  }
}

/** A usage error that indicates a bug in the caller. */
export class ImplementationError extends ProtocolError {
  override name = 'ImplementationError';
  constructor(detail: string) {
    super('implementation', detail);
  }
}
