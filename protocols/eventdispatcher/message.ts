// The event dispatcher message (eventdispatcher.md §1): validating setters, typed parameters,
// string and JSON forms with memoized output (J5 fixed: every mutation invalidates the cache).

import { InvalidMessageError } from './errors.ts';
import { toJsonMessage } from './json.ts';
import { verifyCommand, verifyDestination, verifyParameterName, verifySentFrom } from './names.ts';
import {
  formatAddress,
  formatInteger,
  formatTimespec,
  parseAddress,
  parseInteger,
  parseTimespec,
  type IpAddress,
  type Timespec,
} from './params.ts';
import { parseMessage } from './parse.ts';
import { sortedParameters, toStringMessage } from './serialize.ts';
import { MESSAGE_VERSION, type MessageFields, type ParseOptions } from './types.ts';

export type MessageFormat = 'string' | 'json';

/** Fields for Message.fromFields: any subset, parameters as a Map or a plain object. */
export type MessageInit = Partial<Omit<MessageFields, 'parameters'>> & {
  parameters?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
};

export class Message {
  #sentFromServer = '';
  #sentFromService = '';
  #server = '';
  #service = '';
  #command = '';
  #parameters = new Map<string, string>();
  #cachedString: string | null = null;
  #cachedJson: string | null = null;

  /** The connection that delivered the message (not serialized). */
  origin: unknown = undefined;
  /** Set by the dispatcher once a match ran (§2.2). Not serialized. */
  processed = false;
  /** Why the last fromMessage() failed (the caller logs it at ERROR level). */
  lastError: InvalidMessageError | null = null;
  /** Keys ignored by the last JSON fromMessage() (the caller logs them at NOTICE level). */
  lastNotices: string[] = [];

  /** Parse or throw InvalidMessageError. */
  static parse(text: string, options?: ParseOptions): Message {
    const r = parseMessage(text, options);
    if (!r.ok) throw r.error;
    const m = new Message();
    m.#assign(r.fields);
    m.lastNotices = r.notices;
    return m;
  }

  /**
   * A message from plain fields. With `validate` (default true) every name goes through the setter
   * rules; without it the fields are taken as they are (as the compat parser does).
   */
  static fromFields(f: MessageInit, validate = true): Message {
    const m = new Message();
    if (validate) {
      m.setSentFromServer(f.sentFromServer ?? '');
      m.setSentFromService(f.sentFromService ?? '');
      m.setServer(f.server ?? '');
      m.setService(f.service ?? '');
      if ((f.command ?? '') !== '') m.setCommand(f.command as string);
    } else {
      m.#sentFromServer = f.sentFromServer ?? '';
      m.#sentFromService = f.sentFromService ?? '';
      m.#server = f.server ?? '';
      m.#service = f.service ?? '';
      m.#command = f.command ?? '';
    }
    const params = f.parameters;
    if (params !== undefined) {
      const entries = params instanceof Map ? params.entries() : Object.entries(params);
      for (const [k, v] of entries) {
        if (validate) m.addParameter(k, v);
        else m.#parameters.set(k, v);
      }
    }
    return m;
  }

  /**
   * Parse `text` into this message. On failure returns false, leaves the message unchanged and sets
   * `lastError`; on success replaces every field.
   */
  fromMessage(text: string, options?: ParseOptions): boolean {
    const r = parseMessage(text, options);
    if (!r.ok) {
      this.lastError = r.error;
      return false;
    }
    this.lastError = null;
    this.lastNotices = r.notices;
    this.#assign(r.fields);
    return true;
  }

  #assign(f: MessageFields): void {
    this.#sentFromServer = f.sentFromServer;
    this.#sentFromService = f.sentFromService;
    this.#server = f.server;
    this.#service = f.service;
    this.#command = f.command;
    this.#parameters = f.parameters;
    this.#changed();
  }

  #changed(): void {
    this.#cachedString = null;
    this.#cachedJson = null;
  }

  /** String form without newline; throws InvalidMessageError without a command. Memoized. */
  toMessage(format: MessageFormat = 'string'): string {
    if (format === 'json') return this.toJson();
    this.#cachedString ??= toStringMessage(this.toFields(false));
    return this.#cachedString;
  }

  /** JSON form (J1, J2 fixed). Memoized. */
  toJson(): string {
    this.#cachedJson ??= toJsonMessage(this.toFields(false));
    return this.#cachedJson;
  }

  toString(): string {
    return this.#command === '' ? '<no command>' : this.toMessage();
  }

  /** The fields; the parameters map is a copy unless `copy` is false (internal use). */
  toFields(copy = true): MessageFields {
    return {
      sentFromServer: this.#sentFromServer,
      sentFromService: this.#sentFromService,
      server: this.#server,
      service: this.#service,
      command: this.#command,
      parameters: copy ? new Map(this.#parameters) : this.#parameters,
    };
  }

  clone(): Message {
    const m = new Message();
    m.#assign(this.toFields(true));
    m.origin = this.origin;
    return m;
  }

  get sentFromServer(): string {
    return this.#sentFromServer;
  }
  get sentFromService(): string {
    return this.#sentFromService;
  }
  get server(): string {
    return this.#server;
  }
  get service(): string {
    return this.#service;
  }
  get command(): string {
    return this.#command;
  }

  /** "" or a base name. */
  setSentFromServer(name: string): void {
    verifySentFrom(name);
    this.#sentFromServer = name;
    this.#changed();
  }
  /** "" or a base name. */
  setSentFromService(name: string): void {
    verifySentFrom(name);
    this.#sentFromService = name;
    this.#changed();
  }
  /** "", ".", "*", "?" or a base name. */
  setServer(name: string): void {
    verifyDestination(name);
    this.#server = name;
    this.#changed();
  }
  /** "", ".", "*", "?" or a base name. */
  setService(name: string): void {
    verifyDestination(name);
    this.#service = name;
    this.#changed();
  }
  /** Non-empty, uppercase only: [A-Z_][A-Z0-9_]*. */
  setCommand(name: string): void {
    verifyCommand(name);
    this.#command = name;
    this.#changed();
  }

  /**
   * §1.10 [FIX]: server <- orig.sentFromServer, service <- orig.sentFromService, copied without
   * validation (names the compat parser accepted, like `my-host`, must not crash a handler).
   */
  replyTo(orig: Message): void {
    this.#server = orig.#sentFromServer;
    this.#service = orig.#sentFromService;
    this.#changed();
  }

  /** Add (or overwrite) a parameter. Numbers must be safe integers; bigints must fit in int64. */
  addParameter(name: string, value: string | number | bigint): void {
    verifyParameterName(name);
    this.#parameters.set(name, typeof value === 'string' ? value : formatInteger(value));
    this.#changed();
  }

  addTimespecParameter(name: string, value: Timespec): void {
    this.addParameter(name, formatTimespec(value));
  }

  addAddressParameter(name: string, value: IpAddress, withMask = false): void {
    this.addParameter(name, formatAddress(value, withMask));
  }

  /** A Unix socket address, stored in its string form (the path). */
  addUnixAddressParameter(name: string, path: string): void {
    this.addParameter(name, path);
  }

  removeParameter(name: string): boolean {
    verifyParameterName(name);
    const had = this.#parameters.delete(name);
    if (had) this.#changed();
    return had;
  }

  hasParameter(name: string): boolean {
    verifyParameterName(name);
    return this.#parameters.has(name);
  }

  getParameter(name: string): string {
    verifyParameterName(name);
    const v = this.#parameters.get(name);
    if (v === undefined) {
      throw new InvalidMessageError(
        `parameter "${name}" of command "${this.#command}" not defined, try has_parameter() before calling the get_parameter() function.`,
      );
    }
    return v;
  }

  /** `[+-]?[0-9]+` within int64, as a bigint. Throws when missing or not an integer. */
  getIntegerParameter(name: string): bigint {
    const text = this.getParameter(name);
    const n = parseInteger(text);
    if (n === null) {
      throw new InvalidMessageError(
        `command "${this.#command}" expected an integer for parameter "${name}" but "${text}" could not be converted.`,
      );
    }
    return n;
  }

  /** getIntegerParameter as a number; throws outside the safe-integer range. */
  getIntegerNumberParameter(name: string): number {
    const n = this.getIntegerParameter(name);
    if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new InvalidMessageError(`parameter "${name}" of command "${this.#command}" is ${n}, outside the safe integer range.`);
    }
    return Number(n);
  }

  getTimespecParameter(name: string): Timespec {
    const text = this.getParameter(name);
    const t = parseTimespec(text);
    if (t === null) {
      throw new InvalidMessageError(`command "${this.#command}" expected a timespec for parameter "${name}" but "${text}" is not one.`);
    }
    return t;
  }

  getAddressParameter(name: string, defaultPort = 0): IpAddress {
    const text = this.getParameter(name);
    const a = parseAddress(text, defaultPort);
    if (a === null) {
      throw new InvalidMessageError(`command "${this.#command}" expected an address for parameter "${name}" but "${text}" is not one.`);
    }
    return a;
  }

  /** All parameters in ascending name order. */
  getAllParameters(): [string, string][] {
    return sortedParameters(this.#parameters);
  }

  get parameterCount(): number {
    return this.#parameters.size;
  }

  /** Adds `version=1`. */
  addVersionParameter(): void {
    this.addParameter('version', MESSAGE_VERSION);
  }

  /** True iff `version` is the integer 1; throws if it is missing or not an integer. */
  checkVersionParameter(): boolean {
    return this.getIntegerParameter('version') === BigInt(MESSAGE_VERSION);
  }
}
