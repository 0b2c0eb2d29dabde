// Number handling of the JSON form (eventdispatcher.md §1.8, J2 and J6).

/** JSON number grammar, optionally with one leading '+' followed by a digit (J2). */
const OUTPUT_NUMBER = /^(?:-|\+(?=\d))?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const JSON_NUMBER = /^(-)?(0|[1-9]\d*)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/;

const TWO_63 = 1n << 63n;

/**
 * J2: the text goes out as a raw JSON number iff it matches the JSON number grammar (one leading
 * '+' allowed before a digit) and is finite. Returns the JSON text (without '+') or null.
 */
export function asJsonNumber(value: string): string | null {
  if (value.length === 0 || !OUTPUT_NUMBER.test(value)) return null;
  if (!Number.isFinite(Number(value))) return null;
  return value.charCodeAt(0) === 0x2b ? value.slice(1) : value;
}

/**
 * J6 [KEEP]: the parameter text of a JSON number. Integrality and the bound are judged on the exact
 * decimal value of the text: integral with |n| < 2^63 gives the exact integer (`2.0` -> `2`,
 * `1e3` -> `1000`, `-0` -> `0`); anything else is the double printed with 6 decimals like printf
 * `%f` (`3.5` -> `3.500000`; `inf` when the double overflows).
 * `text` must match the JSON number grammar (the JSON reader guarantees it).
 */
export function jsonNumberToParameter(text: string): string {
  const m = JSON_NUMBER.exec(text);
  if (m === null) throw new RangeError(`not a JSON number: ${text}`);
  const negative = m[1] === '-';
  const frac = m[3] ?? '';
  const exp = m[4] === undefined ? 0 : Number(m[4]);
  let digits = (m[2] + frac).replace(/^0+/, '');
  let scale = exp - frac.length;
  if (digits === '') return '0';
  // strip trailing zeros into the scale
  const trimmed = digits.replace(/0+$/, '');
  scale += digits.length - trimmed.length;
  digits = trimmed;
  if (Number.isFinite(scale) && scale >= 0 && digits.length + scale <= 19) {
    const n = BigInt(digits) * 10n ** BigInt(scale);
    if (n < TWO_63) return (negative ? '-' : '') + n.toString();
  }
  return formatFixed6(Number(text));
}

/** printf("%f", x): exact binary value rounded half-to-even at 6 decimals. */
export function formatFixed6(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x < 0 ? '-inf' : 'inf';
  const negative = x < 0 || Object.is(x, -0);
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(x));
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mantissa = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (biased === 0) {
    e2 = -1074;
  } else {
    mantissa |= 1n << 52n;
    e2 = biased - 1075;
  }
  // value * 10^6 = mantissa * 10^6 * 2^e2
  let scaled: bigint;
  if (e2 >= 0) {
    scaled = (mantissa << BigInt(e2)) * 1_000_000n;
  } else {
    const num = mantissa * 1_000_000n;
    const den = 1n << BigInt(-e2);
    scaled = num / den;
    const rem = num % den;
    const twice = rem * 2n;
    if (twice > den || (twice === den && (scaled & 1n) === 1n)) scaled += 1n;
  }
  const s = scaled.toString().padStart(7, '0');
  return (negative ? '-' : '') + s.slice(0, -6) + '.' + s.slice(-6);
}
