// Pick a framer by name (as topology files and dispatcher configs spell it).

import { ProtocolError } from '../errors.ts';
import { jsonStream } from './json-stream.ts';
import { length16 } from './length16.ts';
import { length32 } from './length32.ts';
import { lines } from './lines.ts';
import type { Framer, FramingName } from './types.ts';

export interface FramerOptions {
  /** Largest payload in bytes. Required by every framer. */
  maxFrameSize: number;
  /** length32 / length16: accept zero-length frames (default false). */
  allowEmpty?: boolean;
  /** lines: strip one CR before LF (default true). */
  stripCR?: boolean;
  /** lines: skip empty lines (default true). */
  skipEmpty?: boolean;
}

export const FRAMING_NAMES: readonly FramingName[] = ['length32', 'length16', 'lines', 'json-stream'];

/** Names accepted by createFramer: the canonical ones plus 'ndjson' (= lines) and 'legacy' (= json-stream). */
export type FramingAlias = FramingName | 'ndjson' | 'legacy';

export function createFramer(name: FramingAlias, options: FramerOptions): Framer {
  switch (name) {
    case 'length32':
      return length32({ maxFrameSize: options.maxFrameSize, allowEmpty: options.allowEmpty });
    case 'length16':
      return length16({ maxFrameSize: options.maxFrameSize, allowEmpty: options.allowEmpty });
    case 'lines':
    case 'ndjson':
      return lines({ maxFrameSize: options.maxFrameSize, stripCR: options.stripCR, skipEmpty: options.skipEmpty });
    case 'json-stream':
    case 'legacy':
      return jsonStream({ maxFrameSize: options.maxFrameSize });
    default:
      throw new ProtocolError('invalid-field', `unknown framing "${String(name satisfies never)}"`);
  }
}
