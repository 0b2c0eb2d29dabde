// The data sets: the official one (../shared/datasets/tp0/dataset.zip from the repo root,
// unpacked at run time into the git-ignored .data/), any folder of agency-N.csv files, or a
// generated set of the same shape when the official one is absent (lottery.md §9).

import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatAgencyCsvRow, LOTTERY_WINNER_NUMBER, type Bet } from '../../protocols/lottery/index.ts';
import { readZip } from './zip.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const OFFICIAL_ZIP = resolve(REPO_ROOT, '../shared/datasets/tp0/dataset.zip');
/** Expected winners per agency for the official data set (§9). */
export const OFFICIAL_WINNERS: Record<number, number> = { 1: 2, 2: 3, 3: 3, 4: 2, 5: 0 };
export const OFFICIAL_ROWS = 78_697;

const AGENCY_FILE = /^agency-([0-9]+)\.csv$/;

/** Unpacks the `agency-N.csv` members of a zip into `outDir` (skipped when already there, same sizes). */
export function unpackDataset(zip: string, outDir: string): string[] {
  mkdirSync(outDir, { recursive: true });
  const written: string[] = [];
  for (const e of readZip(zip)) {
    const name = basename(e.name);
    if (!AGENCY_FILE.test(name) || e.name.endsWith('/')) continue;
    const dest = join(outDir, name);
    written.push(dest);
    if (existsSync(dest) && statSync(dest).size === e.size) continue;
    const tmp = `${dest}.${process.pid}.tmp`;
    writeFileSync(tmp, e.read());
    renameSync(tmp, dest);
  }
  return written;
}

/** agency ids with a file in `dir`, sorted. */
export function agencyFiles(dir: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const f of readdirSync(dir)) {
    const m = AGENCY_FILE.exec(f);
    if (m) out.set(Number(m[1]), join(dir, f));
  }
  return new Map([...out].sort((a, b) => a[0] - b[0]));
}

export interface DatasetChoice {
  dir: string;
  official: boolean;
  /** Set when the data was generated (official set absent): expected winners per agency. */
  generated?: Record<number, number>;
}

/**
 * The folder to read agency files from: `given` (a folder, or a zip unpacked next to it), else the
 * official data set unpacked into `<repo>/.data/tp0`, else a generated set (saying so on stderr).
 */
export function resolveDataset(given: string | undefined, agencies = 5, say: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): DatasetChoice {
  if (given) {
    const p = resolve(given);
    if (p.endsWith('.zip')) {
      // Unpacked into the git-ignored .data/ of the repo (the zip's own folder may be read-only).
      const out = join(REPO_ROOT, '.data', p === OFFICIAL_ZIP ? 'tp0' : basename(p, '.zip'));
      unpackDataset(p, out);
      return { dir: out, official: p === OFFICIAL_ZIP };
    }
    if (!existsSync(p) || !statSync(p).isDirectory()) throw new Error(`--data ${given}: not a folder of agency-N.csv files or a .zip`);
    return { dir: p, official: false };
  }
  if (existsSync(OFFICIAL_ZIP)) {
    const out = join(REPO_ROOT, '.data', 'tp0');
    unpackDataset(OFFICIAL_ZIP, out);
    return { dir: out, official: true };
  }
  const out = join(REPO_ROOT, '.data', 'generated');
  const g = generateData({ agencies, rows: 2000, seed: 7574, out });
  say(`official data set not found at ${OFFICIAL_ZIP}: using a generated one in ${out}`);
  return { dir: out, official: false, generated: g.winners };
}

// ---- generated data ------------------------------------------------------------------------------

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST = ['Ana', 'María', 'José', 'Juan', 'Lucía', 'Martín', 'Sofía', 'Agustín', 'Valentina', 'Joaquín', 'Camila', 'Tomás', 'Inés', 'Ramón', 'Begoña', 'Ñuflo', 'Zoë', 'Matías Ezequiel'];
const LAST = ['Álvarez', 'Agüero', 'Fernández', 'Gómez', 'Pérez', 'Núñez', 'Sosa', 'Ibáñez', 'Rodríguez', 'Díaz', 'Castaño', 'Romero', 'Ortiz', 'Peña'];

export interface GenerateOptions {
  agencies: number;
  rows: number;
  seed: number;
  out: string;
  /** Winning bets per agency (default: seeded, 0..4). */
  winnersPerAgency?: (agency: number) => number;
}

/** Writes agency-1.csv … agency-N.csv (CRLF, accents, duplicate DNIs) and returns the expected winners. */
export function generateData(o: GenerateOptions): { winners: Record<number, number>; rows: Record<number, number> } {
  mkdirSync(o.out, { recursive: true });
  const rnd = mulberry32(o.seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const shared: string[] = Array.from({ length: 20 }, () => String(10_000_000 + Math.floor(rnd() * 89_999_999)));
  const winners: Record<number, number> = {};
  const rows: Record<number, number> = {};
  for (let agency = 1; agency <= o.agencies; agency++) {
    const n = o.rows;
    const w = Math.min(n, o.winnersPerAgency ? o.winnersPerAgency(agency) : Math.floor(rnd() * 5));
    const winAt = new Set<number>();
    while (winAt.size < w) winAt.add(Math.floor(rnd() * n));
    let text = '';
    for (let i = 0; i < n; i++) {
      let number = Math.floor(rnd() * 10_000);
      if (winAt.has(i)) number = LOTTERY_WINNER_NUMBER;
      else if (number === LOTTERY_WINNER_NUMBER) number = 7573;
      const dup = rnd() < 0.05;
      const doc = dup ? pick(shared) : String(10_000_000 + Math.floor(rnd() * 89_999_999));
      const y = 1980 + Math.floor(rnd() * 25);
      const m = 1 + Math.floor(rnd() * 12);
      const d = 1 + Math.floor(rnd() * 28);
      const bet: Bet = {
        agency,
        firstName: pick(FIRST),
        lastName: pick(LAST),
        document: doc,
        birthdate: `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`,
        number,
      };
      text += formatAgencyCsvRow(bet);
    }
    writeFileSync(join(o.out, `agency-${agency}.csv`), text);
    winners[agency] = w;
    rows[agency] = n;
  }
  return { winners, rows };
}
