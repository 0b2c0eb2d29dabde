// The original config.json layout (dispatcher.md §2.1): its auto-generated defaults, how it is
// recognised, and the default file the original wrote, byte for byte.

import { join } from 'node:path';

const COMPAT_INFO_DEFAULTS = { NumThreads: 20, MaxConnections: 1500, StopTimeout: 30, LogLevel: 3 };

/** The nine §2.1 keys' auto-generated defaults of the original (file-relative ones need cfgdir). */
export function originalDefaults(cfgdir: string, key: string) {
  return {
    IP: '127.0.0.1',
    Port: 9000,
    ...COMPAT_INFO_DEFAULTS,
    TuxCliProg: join(cfgdir, 'TuxCliProg'),
    TuxCliSetup: join(cfgdir, 'TuxCliSetup'),
    IpcFile: join(cfgdir, `ipcfile_${key}`),
  };
}

export function legacyKey(i: number): string {
  return i < 10 ? `dispatch0${i}` : `dispatch${i}`;
}

/**
 * Whether a parsed document looks like the original layout even without `2_NumDispatchers`
 * (`dispatchNN` or `1_Note`/`1_Version` keys): it is then reported as such (exit 2), not ignored.
 */
export function looksLegacy(raw: unknown): raw is Record<string, unknown> {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return false;
  return Object.keys(raw).some((k) => k === '2_NumDispatchers' || k === '1_Note' || k === '1_Version' || /^dispatch\d{2,}$/.test(k));
}

/** Whether a parsed document is the native `{"Version":2,"Dispatchers":[...]}` document. */
export function isNativeDocument(raw: unknown): raw is Record<string, unknown> {
  return raw !== null && typeof raw === 'object' && !Array.isArray(raw) && 'Dispatchers' in raw && 'Version' in raw;
}

/** The original's auto-generated default file (jsoncpp styled: TAB indent, ` : `, sorted keys). */
export function defaultConfigText(cfgdir: string): string {
  const d = originalDefaults(cfgdir, 'dispatch01');
  const entry = { IP: d.IP, IpcFile: d.IpcFile, LogLevel: d.LogLevel, MaxConnections: d.MaxConnections, NumThreads: d.NumThreads, Port: d.Port, StopTimeout: d.StopTimeout, TuxCliProg: d.TuxCliProg, TuxCliSetup: d.TuxCliSetup };
  return styled({ '1_Note': 'Dispatcher configuration', '1_Version': 1, '2_NumDispatchers': 1, dispatch01: entry }, '') + '\n';
}

function styled(v: unknown, indent: string): string {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    const keys = Object.keys(v).sort();
    const inner = indent + '\t';
    return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)} : ${styled((v as Record<string, unknown>)[k], inner)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(v);
}
