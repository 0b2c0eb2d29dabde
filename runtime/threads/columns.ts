// Columnar encoding of a run of same-shape messages crossing threads.
//
// A run of tells to one actor is usually many messages of one shape ({type:'n', n: 1}, ...).
// JSON.stringify + JSON.parse of such a run costs ~200 ns per message; as columns (the keys once,
// one Float64Array per numeric field, a single value for a field that never changes) it costs a
// fraction of that: a generated reader per shape copies the fields out with plain property loads,
// and a generated factory rebuilds the objects with one object literal each.
//
// Only flat plain objects whose values are strings, numbers, booleans or null qualify, with exactly
// the same keys in the same order; anything else returns null and the run goes as it would have
// (structured clone, or JSON for JSON-wire targets). The result is what that would have given:
// - 'clone': exact (NaN, -0 and undefined values survive, as with structured clone);
// - 'json': as JSON: -0 arrives as 0, and runs with non-finite numbers or undefined values (which
//   JSON turns into null or drops) are not encoded as columns at all.

/** A run as columns: `cols[j]` is a Float64Array, an array of values, or `{ v }` for a constant. */
export interface Columns {
  readonly columns: 1;
  readonly keys: readonly string[];
  readonly n: number;
  readonly cols: readonly (Float64Array | unknown[] | { v: unknown })[];
}

/** Runs shorter than this go as JSON (the columns' fixed cost would not pay off). */
const MIN_RUN = 16;
const MAX_KEYS = 16;
const SHAPES_MAX = 256;

type Reader = (msgs: readonly unknown[], nums: Float64Array[], vals: unknown[][]) => boolean;
type Factory = (n: number, ...cols: unknown[]) => unknown[];

export type ColumnsMode = 'clone' | 'json';

interface Shape {
  keys: string[];
  /** Per key: numeric (Float64Array) or not, fixed by the run's first message. */
  numeric: boolean[];
  read: Reader;
}

const shapes = new Map<string, Shape>();
const factories = new Map<string, Factory>();
const OP = Object.prototype;

function plainFlat(m: unknown): m is Record<string, unknown> {
  return m !== null && typeof m === 'object' && Object.getPrototypeOf(m) === OP;
}

function shapeOf(first: Record<string, unknown>, mode: ColumnsMode): Shape | null {
  const keys = Object.keys(first);
  if (keys.length === 0 || keys.length > MAX_KEYS || keys.includes('__proto__')) return null;
  const numeric = keys.map((k) => typeof first[k] === 'number');
  const sig = mode + keys.map((k, j) => `${numeric[j] ? '#' : '$'}${k}`).join('\u0000');
  let s = shapes.get(sig);
  if (s === undefined) {
    if (shapes.size >= SHAPES_MAX) shapes.clear();
    s = { keys, numeric, read: compileReader(keys, numeric, mode === 'json') };
    shapes.set(sig, s);
  }
  return s;
}

/** Generates a reader with monomorphic property loads for one shape (keys are JSON-quoted). */
function compileReader(keys: string[], numeric: boolean[], json: boolean): Reader {
  const K = keys.map((k) => JSON.stringify(k));
  const lines: string[] = [];
  lines.push('const n = msgs.length;');
  keys.forEach((_, j) => lines.push(numeric[j] ? `const n${j} = nums[${j}];` : `const a${j} = vals[${j}];`));
  lines.push('for (let i = 0; i < n; i++) {');
  lines.push('  const m = msgs[i];');
  lines.push('  if (m === null || typeof m !== "object" || Object.getPrototypeOf(m) !== OP) return false;');
  lines.push('  let c = 0;');
  lines.push('  for (const k in m) { if (c === KEYS.length || k !== KEYS[c]) return false; c++; }');
  lines.push('  if (c !== KEYS.length) return false;');
  keys.forEach((_, j) => {
    lines.push(`  const v${j} = m[${K[j]}];`);
    if (numeric[j] && json) {
      lines.push(`  if (typeof v${j} !== "number" || v${j} - v${j} !== 0) return false;`); // finite only
      lines.push(`  n${j}[i] = v${j} + 0;`); // -0 -> 0, as JSON
    } else if (numeric[j]) {
      lines.push(`  if (typeof v${j} !== "number") return false;`);
      lines.push(`  n${j}[i] = v${j};`);
    } else {
      const undef = json ? '' : ` && v${j} !== undefined`;
      lines.push(`  if (v${j} !== null${undef} && typeof v${j} !== "string" && typeof v${j} !== "boolean") return false;`);
      lines.push(`  a${j}[i] = v${j};`);
    }
  });
  lines.push('}');
  lines.push('return true;');
  return new Function('OP', 'KEYS', `return function read(msgs, nums, vals) {\n${lines.join('\n')}\n};`)(OP, keys) as Reader;
}

/** Encodes a run as columns, or returns null when it does not qualify (then send it as before). */
export function encodeColumns(msgs: readonly unknown[], mode: ColumnsMode): Columns | null {
  const n = msgs.length;
  if (n < MIN_RUN) return null;
  const first = msgs[0];
  if (!plainFlat(first)) return null;
  const shape = shapeOf(first, mode);
  if (shape === null) return null;
  const nums: Float64Array[] = [];
  const vals: unknown[][] = [];
  for (let j = 0; j < shape.keys.length; j++) {
    if (shape.numeric[j]) nums[j] = new Float64Array(n);
    else vals[j] = new Array(n);
  }
  if (!shape.read(msgs, nums, vals)) return null;
  const cols: (Float64Array | unknown[] | { v: unknown })[] = [];
  for (let j = 0; j < shape.keys.length; j++) {
    if (shape.numeric[j]) {
      cols.push(nums[j]);
      continue;
    }
    const a = vals[j];
    const v = a[0];
    let same = true;
    for (let i = 1; i < n && same; i++) same = a[i] === v;
    cols.push(same ? { v } : a);
  }
  return { columns: 1, keys: shape.keys, n, cols };
}

export function isColumns(x: unknown): x is Columns {
  return x !== null && typeof x === 'object' && (x as Columns).columns === 1;
}

/** Rebuilds the run's messages (one object literal each, through a factory generated per shape). */
export function decodeColumns(c: Columns): unknown[] {
  const constant = c.cols.map((col) => !(col instanceof Float64Array) && !Array.isArray(col));
  const sig = c.keys.map((k, j) => `${constant[j] ? '=' : '['}${k}`).join('\u0000');
  let f = factories.get(sig);
  if (f === undefined) {
    if (c.keys.length > MAX_KEYS || c.keys.includes('__proto__')) throw new Error('corrupt columns: bad keys');
    if (factories.size >= SHAPES_MAX) factories.clear();
    const fields = c.keys.map((k, j) => `${JSON.stringify(k)}: ${constant[j] ? `c${j}` : `c${j}[i]`}`).join(', ');
    const params = c.keys.map((_, j) => `c${j}`).join(', ');
    f = new Function(`return function make(n, ${params}) {\n const out = new Array(n);\n for (let i = 0; i < n; i++) out[i] = { ${fields} };\n return out;\n};`)() as Factory;
    factories.set(sig, f);
  }
  const args = c.cols.map((col, j) => (constant[j] ? (col as { v: unknown }).v : col));
  return f(c.n, ...args);
}
