// Regenerates docs/live-view.png: the README's demo (on free ports) with its live view open in
// headless Chromium, /demo/flaky selected. Run: node specs/view/docs-screenshot.ts [waitMs]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { demoTopology, findChromium, root, runCli, stop, viewUrl } from './helpers.ts';

const executablePath = findChromium();
if (!executablePath) throw new Error('no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)');
const dir = mkdtempSync(join(tmpdir(), 'view-docs-'));
const demo = runCli(['run', await demoTopology(dir, 60, 'demo'), '--view', '127.0.0.1:0']);
const browser = await chromium.launch({ executablePath });
try {
  const page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await page.goto(await viewUrl(demo));
  await page.waitForSelector('#status.live');
  await page.click('.tree .row[data-path="/demo/flaky"] .name', { timeout: 30_000 });
  await new Promise((r) => setTimeout(r, Number(process.argv[2] ?? 8000)));
  await page.screenshot({ path: join(root, 'docs/live-view.png'), fullPage: true });
} finally {
  await browser.close();
  await stop(demo);
  rmSync(dir, { recursive: true, force: true });
}
