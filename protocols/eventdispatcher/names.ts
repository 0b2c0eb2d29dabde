// Name rules (eventdispatcher.md §1.2). Base name: ASCII [A-Za-z_][A-Za-z0-9_]*.

import { Buffer } from 'node:buffer';
import { InvalidMessageError } from './errors.ts';

/** True iff `name` is a non-empty base name. */
export function isBaseName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95) continue;
    if (c >= 48 && c <= 57 && i > 0) continue;
    return false;
  }
  return true;
}

/** True iff `name` is a valid command: [A-Z_][A-Z0-9_]*. */
export function isCommandName(name: string): boolean {
  const n = name.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c === 95) continue;
    if (c >= 48 && c <= 57 && i > 0) continue;
    return false;
  }
  return true;
}

/** Special destination names (§1.10). */
export const SPECIAL_NAMES: readonly string[] = ['.', '*', '?'];

export function isDestinationName(name: string): boolean {
  return name === '' || name === '.' || name === '*' || name === '?' || isBaseName(name);
}

export function isSentFromName(name: string): boolean {
  return name === '' || isBaseName(name);
}

function printable(name: string): string {
  let out = '';
  for (const ch of name) {
    const c = ch.codePointAt(0) as number;
    if (c < 0x20) out += '^' + String.fromCharCode(c + 0x40);
    else if (c >= 0x7f) {
      for (const b of Buffer.from(ch, 'utf8')) out += '\\x' + b.toString(16).toUpperCase().padStart(2, '0');
    } else out += ch;
  }
  return out;
}

/**
 * Upstream verify_message_name(): throws InvalidMessageError with the three upstream texts.
 * `canBeLowercase` false = a command.
 */
export function verifyName(name: string, canBeEmpty: boolean, canBeLowercase: boolean): void {
  if (name.length === 0) {
    if (canBeEmpty) return;
    throw new InvalidMessageError('a message name cannot be empty.');
  }
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (canBeLowercase && c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95;
    if (!ok) {
      throw new InvalidMessageError(
        `a ${canBeLowercase ? 'parameter' : 'command'} name must be composed of ASCII ${canBeLowercase ? "'a'..'z', " : ''}` +
          `'A'..'Z', '0'..'9', or '_' only (also a command must be uppercase only), "${printable(name)}" is not valid.`,
      );
    }
  }
  const first = name.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    throw new InvalidMessageError(`parameter name cannot start with a digit, "${name}" is not valid.`);
  }
}

export function verifyCommand(name: string): void {
  verifyName(name, false, false);
}

export function verifyDestination(name: string): void {
  if (name === '.' || name === '*' || name === '?') return;
  verifyName(name, true, true);
}

export function verifySentFrom(name: string): void {
  verifyName(name, true, true);
}

export function verifyParameterName(name: string): void {
  verifyName(name, false, true);
}
