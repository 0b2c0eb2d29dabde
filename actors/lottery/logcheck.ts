// A port of the official TP0 log parser rules (lottery.md §4) and its ordering rules. Used by the
// test suite to lint every line we emit, by `lottery run` on the combined stream, and by
// `lottery check-log`.

export interface ParsedLine {
  n: number;
  source: string;
  action: string;
  result: string;
  details: Record<string, string>;
}

export interface ExitLine {
  n: number;
  source: string;
  code: number;
}

export interface CheckReport {
  ok: boolean;
  problems: string[];
  lines: ParsedLine[];
  exits: ExitLine[];
  sorteo: number;
  cantidadTotal: number;
  winnersBySource: Record<string, number>;
}

export interface CheckOptions {
  /** Expected total of `cantidad` at `sorteo` (all bets of all agencies). */
  expectedBets?: number;
  /** Sources of agencies (client1...), whose exits must be 0 and after the draw. */
  clients?: string[];
  /** Expect exactly one `sorteo` (default: when clients are given and not empty). */
  expectDraw?: boolean;
  /** Expected winners per client source. */
  expectedWinners?: Record<string, number>;
  /** The stream has no `<source> | ` prefixes (one process's own stdout). */
  unprefixed?: string;
}

const EXIT = / exited with code (-?[0-9]+)\s*$/;
const RESULTS = new Set(['success', 'fail', 'in_progress']);
const FORBIDDEN = new Set(['source', 'action', 'result']);
const INT = /^-?[0-9]+$/;

/** Parses one line per the official rules; returns null for lines the parser ignores, or a problem string. */
export function parseLine(raw: string, n: number, unprefixed?: string): ParsedLine | ExitLine | string | null {
  const line = unprefixed !== undefined ? `${unprefixed} | ${raw}` : raw;
  if (line.includes(' exited with code ')) {
    const m = EXIT.exec(line);
    if (!m) return `line ${n}: malformed exit line: ${JSON.stringify(raw)}`;
    const src = line.slice(0, m.index).trim();
    return { n, source: src, code: Number(m[1]) };
  }
  if (!line.includes('action:')) return null;
  const parts = line.split('|');
  if (parts.length < 3) return `line ${n}: needs at least "source | action: … | result: …": ${JSON.stringify(raw)}`;
  const after = (seg: string): string => seg.slice(seg.lastIndexOf(':') + 1).trim();
  const source = parts[0].trim();
  if (!parts[1].includes(':')) return `line ${n}: action segment without ":": ${JSON.stringify(raw)}`;
  if (!parts[2].includes(':')) return `line ${n}: result segment without ":": ${JSON.stringify(raw)}`;
  if (!/\baction\s*:/.test(parts[1])) return `line ${n}: second segment is not the action: ${JSON.stringify(raw)}`;
  if (!/\bresult\s*:/.test(parts[2])) return `line ${n}: third segment is not the result: ${JSON.stringify(raw)}`;
  const action = after(parts[1]);
  const result = after(parts[2]);
  if (!RESULTS.has(result)) return `line ${n}: result ${JSON.stringify(result)} is not success, fail or in_progress`;
  const details: Record<string, string> = {};
  for (let i = 3; i < parts.length; i++) {
    const seg = parts[i];
    const c = seg.lastIndexOf(':');
    if (c < 0) return `line ${n}: detail ${JSON.stringify(seg.trim())} has no ":"`;
    const k = seg.slice(0, c).trim();
    const v = seg.slice(c + 1).trim();
    if (FORBIDDEN.has(k)) return `line ${n}: detail name ${JSON.stringify(k)} is forbidden`;
    details[k] = v;
  }
  for (const k of ['cantidad', 'cant_ganadores']) {
    if (k in details && !INT.test(details[k])) return `line ${n}: ${k} ${JSON.stringify(details[k])} is not a plain integer`;
  }
  return { n, source, action, result, details };
}

export function checkLog(text: string, o: CheckOptions = {}): CheckReport {
  return new LogCheck(o.unprefixed).push(text).report(o);
}

/**
 * checkLog fed as the stream comes (`lottery run` pushes each block it writes): every whole line
 * is parsed as it arrives, so the check at the end of a run only applies the rules.
 */
export class LogCheck {
  private readonly problems: string[] = [];
  private readonly lines: ParsedLine[] = [];
  private readonly exits: ExitLine[] = [];
  private tail = '';
  private n = 0;
  private readonly unprefixed: string | undefined;

  constructor(unprefixed?: string) {
    this.unprefixed = unprefixed;
  }

  push(text: string): this {
    const all = this.tail + text;
    let from = 0;
    for (let nl = all.indexOf('\n'); nl >= 0; nl = all.indexOf('\n', from)) {
      this.parse(all.slice(from, nl));
      from = nl + 1;
    }
    this.tail = all.slice(from);
    return this;
  }

  private parse(raw: string): void {
    const r = parseLine(raw.replace(/\r$/, ''), ++this.n, this.unprefixed);
    if (r === null) return;
    if (typeof r === 'string') this.problems.push(r);
    else if ('code' in r) this.exits.push(r);
    else this.lines.push(r);
  }

  /** The report over everything pushed (a last line without its newline counts too). */
  report(o: CheckOptions = {}): CheckReport {
    this.parse(this.tail);
    this.tail = '';
    return rules([...this.problems], this.lines, this.exits, o);
  }
}

function rules(problems: string[], lines: ParsedLine[], exits: ExitLine[], o: CheckOptions): CheckReport {
  let sorteoAt = -1;
  let sorteo = 0;
  let cantidad = 0;
  let cantidadAtSorteo = -1;
  const winnersBySource: Record<string, number> = {};
  for (const l of lines) {
    if (l.result === 'fail') problems.push(`line ${l.n}: ${l.source} logged a fail: action ${l.action}`);
    if (l.action === 'apuesta_recibida' && l.result === 'success') {
      if (sorteoAt >= 0) problems.push(`line ${l.n}: apuesta_recibida after sorteo`);
      cantidad += Number(l.details.cantidad ?? 'NaN');
      if (!('cantidad' in l.details)) problems.push(`line ${l.n}: apuesta_recibida without cantidad`);
    }
    if (l.action === 'apuesta_almacenada' && l.result === 'success' && sorteoAt >= 0) problems.push(`line ${l.n}: apuesta_almacenada after sorteo`);
    if (l.action === 'sorteo' && l.result === 'success') {
      sorteo++;
      if (sorteoAt < 0) {
        sorteoAt = l.n;
        cantidadAtSorteo = cantidad;
      }
    }
    if (l.action === 'consulta_ganadores' && l.result === 'success') {
      if (sorteoAt < 0 || l.n < sorteoAt) problems.push(`line ${l.n}: consulta_ganadores before sorteo`);
      if (!('cant_ganadores' in l.details)) problems.push(`line ${l.n}: consulta_ganadores without cant_ganadores`);
      winnersBySource[l.source] = Number(l.details.cant_ganadores);
    }
  }
  const expectDraw = o.expectDraw ?? (o.clients !== undefined && o.clients.length > 0);
  if (expectDraw && sorteo !== 1) problems.push(`expected exactly one sorteo, found ${sorteo}`);
  if (!expectDraw && o.expectDraw === false && sorteo !== 0) problems.push(`expected no sorteo, found ${sorteo}`);
  if (o.expectedBets !== undefined && sorteoAt >= 0 && cantidadAtSorteo !== o.expectedBets) {
    problems.push(`sum of cantidad at sorteo is ${cantidadAtSorteo}, expected ${o.expectedBets}`);
  }
  for (const c of o.clients ?? []) {
    const e = exits.find((x) => x.source === c);
    if (!e) problems.push(`no exit line for ${c}`);
    else {
      if (e.code !== 0) problems.push(`${c} exited with code ${e.code}`);
      if (expectDraw && (sorteoAt < 0 || e.n < sorteoAt)) problems.push(`${c} exited before the draw`);
    }
  }
  for (const [src, w] of Object.entries(o.expectedWinners ?? {})) {
    if (winnersBySource[src] !== w) problems.push(`${src}: cant_ganadores ${winnersBySource[src] ?? 'missing'}, expected ${w}`);
  }
  return { ok: problems.length === 0, problems, lines, exits, sorteo, cantidadTotal: cantidad, winnersBySource };
}
