// The page's files, served as they are (no build step): our ES modules from runtime/view/page/ and
// the libraries' own ES modules from node_modules (uPlot for charts, @noble/hashes for the
// secret's challenge response where WebCrypto is unavailable). A fixed list: nothing else on disk
// can be reached through the server.

import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pageDir = fileURLToPath(new URL('./page/', import.meta.url));
const require = createRequire(import.meta.url);

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

const PAGE_FILES = ['index.html', 'style.css', 'app.js', 'connection.js', 'tree.js', 'charts.js', 'feed.js', 'panels.js', 'format.js'];
const NOBLE_FILES = ['hmac.js', 'sha2.js', '_md.js', '_u64.js', 'utils.js'];

function routes(): Map<string, string> {
  const r = new Map<string, string>();
  for (const f of PAGE_FILES) r.set(`/${f}`, join(pageDir, f));
  r.set('/', join(pageDir, 'index.html'));
  const uplot = join(dirname(require.resolve('uplot/package.json')), 'dist');
  r.set('/vendor/uPlot.esm.js', join(uplot, 'uPlot.esm.js'));
  r.set('/vendor/uPlot.min.css', join(uplot, 'uPlot.min.css'));
  const noble = dirname(require.resolve('@noble/hashes/hmac.js'));
  for (const f of NOBLE_FILES) r.set(`/vendor/noble/${f}`, join(noble, f));
  return r;
}

export interface StaticFile {
  body: Buffer;
  type: string;
}

export class StaticFiles {
  private table: Map<string, string> | null = null;
  private cache = new Map<string, StaticFile>();

  has(urlPath: string): boolean {
    this.table ??= routes();
    return this.table.has(urlPath);
  }

  async get(urlPath: string): Promise<StaticFile | null> {
    this.table ??= routes();
    const file = this.table.get(urlPath);
    if (!file) return null;
    let hit = this.cache.get(urlPath);
    if (!hit) {
      const ext = file.slice(file.lastIndexOf('.'));
      hit = { body: await readFile(file), type: TYPES[ext] ?? 'application/octet-stream' };
      this.cache.set(urlPath, hit);
    }
    return hit;
  }
}
