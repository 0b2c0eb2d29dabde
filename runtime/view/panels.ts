// Subsystem panels built from the actors' `inspect()` hooks, for the web page and `top` alike.
// No registration: an actor that returns details from `inspect()` appears in the panel of its
// subsystem (the first segment of its path). Within a panel, a kind with one actor shows its
// details (scalars as fields, objects of scalars as groups, lists of records as tables); a kind
// with several actors (connections, agencies) becomes one table with a row per actor.

import type { CellInfo } from '../actor/cell.ts';

export type Scalar = string | number | boolean | null;

export interface PanelTable {
  title: string;
  columns: string[];
  rows: Scalar[][];
  /** Rows left out by the cap. */
  more: number;
}

export interface PanelSection {
  title: string;
  kind: string;
  fields: [string, Scalar][];
  groups: { title: string; fields: [string, Scalar][] }[];
  tables: PanelTable[];
}

export interface Panel {
  id: string;
  title: string;
  sections: PanelSection[];
}

export interface PanelCaps {
  rowsPerTable: number;
  textLength: number;
  columnsPerTable: number;
}

export const DEFAULT_PANEL_CAPS: PanelCaps = { rowsPerTable: 200, textLength: 160, columnsPerTable: 24 };

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
const isScalar = (v: unknown): boolean => v === null || ['string', 'number', 'boolean'].includes(typeof v);
/** A value shown in one cell: a scalar, or a short list of scalars (joined). */
const isCell = (v: unknown): boolean => isScalar(v) || (Array.isArray(v) && v.length <= 64 && v.every(isScalar));

function scalar(v: unknown, caps: PanelCaps): Scalar {
  if (v === undefined) return null;
  // Plain JSON: -0 would reach the page as 0 anyway (and NaN or Infinity not at all).
  if (typeof v === 'number') return Number.isFinite(v) ? v + 0 : String(v);
  if (typeof v === 'boolean' || v === null) return v;
  let s: string;
  if (typeof v === 'string') s = v;
  else if (Array.isArray(v) && v.every(isScalar)) s = v.map(String).join(', ');
  else {
    try {
      s = JSON.stringify(v) ?? String(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > caps.textLength ? `${s.slice(0, caps.textLength - 1)}…` : s;
}

/** Columns are the union of the rows' keys (nested scalars as `a.b`), first seen first. */
function table(title: string, records: Rec[], caps: PanelCaps, lead?: (r: Rec, i: number) => Scalar, leadName = ''): PanelTable {
  const flat = records.slice(0, caps.rowsPerTable).map(flatten);
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const r of flat)
    for (const k of Object.keys(r))
      if (!seen.has(k) && columns.length < caps.columnsPerTable) {
        seen.add(k);
        columns.push(k);
      }
  const rows = flat.map((r, i) => {
    const row = columns.map((c) => scalar(r[c], caps));
    return lead ? [lead(records[i], i), ...row] : row;
  });
  return { title, columns: lead ? [leadName, ...columns] : columns, rows, more: Math.max(0, records.length - caps.rowsPerTable) };
}

/** One level of nesting becomes dotted keys; deeper values stay whole (shown as text). */
function flatten(r: Rec): Rec {
  const out: Rec = {};
  for (const [k, v] of Object.entries(r)) {
    if (isRecord(v) && Object.values(v).every(isCell)) for (const [k2, v2] of Object.entries(v)) out[`${k}.${k2}`] = v2;
    else out[k] = v;
  }
  return out;
}

function single(a: CellInfo, caps: PanelCaps): PanelSection {
  const section: PanelSection = { title: a.path, kind: a.kind, fields: [], groups: [], tables: [] };
  const info = a.info;
  if (!isRecord(info)) {
    section.fields.push(['value', scalar(info, caps)]);
    return section;
  }
  for (const [k, v] of Object.entries(info)) {
    if (Array.isArray(v) && v.length > 0 && v.every(isRecord)) section.tables.push(table(k, v, caps));
    else if (Array.isArray(v) && v.length === 0) section.fields.push([k, 'none']);
    else if (isRecord(v) && Object.values(v).every(isCell)) section.groups.push({ title: k, fields: Object.entries(v).map(([k2, v2]) => [k2, scalar(v2, caps)]) });
    else section.fields.push([k, scalar(v, caps)]);
  }
  return section;
}

function several(kind: string, actors: CellInfo[], caps: PanelCaps): PanelSection {
  const records = actors.map((a) => (isRecord(a.info) ? a.info : { value: a.info }));
  const t = table(kind, records, caps, (_r, i) => actors[i].path, 'actor');
  return { title: `${kind} (${actors.length})`, kind, fields: [], groups: [], tables: [t] };
}

export function subsystemOf(path: string): string {
  const i = path.indexOf('/', 1);
  return i < 0 ? path.slice(1) : path.slice(1, i);
}

export function buildPanels(actors: readonly CellInfo[], caps: PanelCaps = DEFAULT_PANEL_CAPS): Panel[] {
  const bySubsystem = new Map<string, Map<string, CellInfo[]>>();
  for (const a of actors) {
    if (a.path === '/' || a.info === undefined || a.info === null) continue;
    const sub = subsystemOf(a.path);
    let kinds = bySubsystem.get(sub);
    if (!kinds) bySubsystem.set(sub, (kinds = new Map()));
    const list = kinds.get(a.kind);
    if (list) list.push(a);
    else kinds.set(a.kind, [a]);
  }
  const panels: Panel[] = [];
  for (const [sub, kinds] of [...bySubsystem].sort((x, y) => (x[0] < y[0] ? -1 : 1))) {
    // Sections in tree order (by the path of a kind's first actor).
    const ordered = [...kinds.values()].sort((x, y) => (x[0].path < y[0].path ? -1 : 1));
    const sections = ordered.map((list) => (list.length === 1 ? single(list[0], caps) : several(list[0].kind, list, caps)));
    panels.push({ id: sub, title: sub, sections });
  }
  return panels;
}
