// The live view in a real browser: headless Chromium (driven by playwright-core) opens the page of
// a running demo (`run --view` as a real process) and checks that the actor tree, a chart and the
// dispatcher's connection table show live values that change, that the demo's crashes reach the
// feed, that the search narrows the tree; it saves a screenshot in the test output folder. A
// second test opens the page of a system of 10,000 actors: the tree keeps a few dozen rows in the
// DOM, scrolls to the last actor and finds one by search.
// Without a Chromium the test is skipped and says so.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ActorSystem } from '../../runtime/index.ts';
import { proofFor, startViewServer, systemSource } from '../../runtime/view/index.ts';
import { Quiet } from './fixtures.ts';
import { demoTopology, findChromium, outputDir, runCli, stop, viewUrl, waitFor, type Proc } from './helpers.ts';

const chromiumPath = findChromium();
if (!chromiumPath) process.stderr.write('specs/view/browser.test.ts: SKIPPED, no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)\n');

let dir: string;
let demo: Proc | null = null;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'view-browser-'));
});
after(async () => {
  if (demo) await stop(demo);
  rmSync(dir, { recursive: true, force: true });
});

test('the live view of the running demo, in headless Chromium', { skip: chromiumPath ? false : 'no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)', timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  demo = runCli(['run', await demoTopology(dir, 90), '--view', '127.0.0.1:0', '--threads', '2']);
  const url = await viewUrl(demo);
  const browser = await chromium.launch({ executablePath: chromiumPath!, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(url);
    await page.waitForSelector('#status.live', { timeout: 30_000 });

    // The tree: the flaky stage is there, on its worker thread, and its restart count moves.
    const flaky = '.tree .row[data-path="/demo/flaky"]';
    await page.waitForSelector(flaky, { timeout: 30_000 });
    const restarts = async (): Promise<number> => Number((await page.textContent(`${flaky} .c-restarts`))!.replace(/,/g, ''));
    assert.equal(await page.textContent(`${flaky} .c-thread`), 't1');
    const r0 = await restarts();
    await waitFor(async () => (await restarts()) > r0, 'the tree to show more restarts of /demo/flaky');
    await waitFor(async () => Number((await page.textContent('.tree .row[data-path="/demo/sink"] .c-rate'))!.replace(/,/g, '')) > 0, 'a message rate on /demo/sink');

    // A chart: messages/s per thread gains points and its values change.
    const chart = async (): Promise<{ points: number; last: string }> => ({
      points: Number((await page.getAttribute('#chart-threads', 'data-points')) ?? 0),
      last: (await page.getAttribute('#chart-threads', 'data-last')) ?? '',
    });
    const c0 = await waitFor(async () => ((await chart()).points >= 2 ? chart() : null), 'the thread chart to have two points');
    await waitFor(async () => {
      const c = await chart();
      return c.points > c0.points && c.last !== c0.last;
    }, 'the thread chart to move');
    assert.ok(await page.$('#chart-threads canvas'), 'uPlot drew a canvas');

    // The dispatcher's connection table: the client's row and its operation count change.
    const table = '[data-panel="dispatchers"] table[data-title="table"] tbody';
    await page.waitForSelector(table, { timeout: 30_000 });
    const t0 = await page.textContent(table);
    await waitFor(async () => (await page.textContent(table)) !== t0, 'the dispatcher table to change');
    assert.match((await page.textContent('[data-panel="dispatchers"]'))!, /accepted/);

    // The demo's crashes reach the feed, with their reason.
    await waitFor(async () => (await page.textContent('#feed'))!.includes('/demo/flaky'), 'a crash of /demo/flaky in the feed');
    assert.match((await page.textContent('#feed li.k-crash'))!, /flaky.*job/i);
    // The feed's filter: without crashes and restarts ticked, no crash line is shown.
    await page.uncheck('#feed-filters input[data-kind="crash"]');
    assert.equal(await page.$('#feed li.k-crash'), null);
    await page.check('#feed-filters input[data-kind="crash"]');

    // Selecting an actor charts its mailbox.
    await page.click(`${flaky} .name`);
    await waitFor(async () => Number((await page.getAttribute('#chart-actor', 'data-points')) ?? 0) >= 2, 'the selected actor chart');

    await page.screenshot({ path: join(outputDir(), 'live-view.png'), fullPage: true });

    // Selecting an actor with an inspect() hook shows its details, refreshed.
    await page.click('.tree .row[data-path="/demo/sink"] .name');
    await page.waitForSelector('#details:not([hidden])', { timeout: 10_000 });
    const d0 = await page.textContent('#details');
    assert.match(d0!, /"received": \d+/);
    await waitFor(async () => (await page.textContent('#details')) !== d0, 'the details of /demo/sink to change');

    // The search narrows the tree to the matches and their ancestors.
    await page.fill('#search', 'flaky');
    await waitFor(async () => {
      const paths = await page.$$eval('.tree .row:not([hidden])', (els) => els.map((e) => e.getAttribute('data-path')));
      return paths.length === 3 && paths.join(' ') === '/ /demo /demo/flaky';
    }, 'the search to show / /demo /demo/flaky');
    assert.deepEqual(errors, []);
  } finally {
    await browser.close();
  }
});

test('10,000 actors: the tree stays virtualised, scrolls to the end and searches', { skip: chromiumPath ? false : 'no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)', timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const sys = await ActorSystem.start({ threads: 1, logLevel: 'silent', name: 'view-10k' });
  for (let i = 0; i < 10_000; i++) sys.spawn(Quiet, { name: `a${String(i).padStart(5, '0')}`, props: undefined, thread: i % 2 === 0 ? 'main' : 0 });
  const view = await startViewServer({ host: '127.0.0.1', port: 0, source: systemSource(sys) });
  const browser = await chromium.launch({ executablePath: chromiumPath!, headless: true });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.goto(view.url);
    await waitFor(async () => (await page.textContent('#actor-count')) === '(10,001)', 'the 10,000 actors and the root in the tree', 60_000);
    const domRows = await page.$$eval('.tree .row', (els) => els.length);
    assert.ok(domRows < 150, `only the rows in view are in the DOM (found ${domRows})`);
    await page.$eval('#tree', (el) => el.scrollTo(0, el.scrollHeight));
    await page.waitForSelector('.tree .row[data-path="/a09999"]:not([hidden])', { timeout: 5000 });
    const t0 = Date.now();
    await page.fill('#search', 'a04321');
    await waitFor(async () => (await page.$$eval('.tree .row:not([hidden])', (els) => els.map((e) => e.getAttribute('data-path')))).join(' ') === '/ /a04321', 'the search to find /a04321', 5000, 20);
    assert.ok(Date.now() - t0 < 3000, `search answered in ${Date.now() - t0} ms`);
  } finally {
    await browser.close();
    await view.close();
    await sys.stop();
  }
});

test('with a secret: the page answers the challenge (WebCrypto), a wrong secret is asked again, and the vendored HMAC for plain-http pages agrees', { skip: chromiumPath ? false : 'no Chromium found (apt-get install chromium, or set CHROMIUM_PATH)', timeout: 120_000 }, async () => {
  const { chromium } = await import('playwright-core');
  const sys = await ActorSystem.start({ threads: 0, logLevel: 'silent', name: 'view-secret' });
  sys.spawn(Quiet, { name: 'only', props: undefined });
  const secret = 'the node secret';
  const view = await startViewServer({ host: '127.0.0.1', port: 0, source: systemSource(sys), secret });
  const browser = await chromium.launch({ executablePath: chromiumPath!, headless: true });
  try {
    const page = await browser.newPage();
    await page.goto(`${view.url}#secret=${encodeURIComponent('not it')}`);
    await page.waitForSelector('#auth:not([hidden])', { timeout: 30_000 });
    assert.equal(await page.textContent('#auth-error'), 'wrong secret');
    await page.fill('#secret', secret);
    await page.click('#auth button');
    await page.waitForSelector('#status.live', { timeout: 30_000 });
    await page.waitForSelector('.tree .row[data-path="/only"]', { timeout: 30_000 });
    // Pages served over plain http on a public address have no WebCrypto: the noble modules
    // served from node_modules must compute the same proof.
    const nonce = 'a1b2c3';
    const hex = await page.evaluate(async ([s, n]) => {
      const load = (u: string): Promise<any> => import(u);
      const [{ hmac }, { sha256 }] = await Promise.all([load('/vendor/noble/hmac.js'), load('/vendor/noble/sha2.js')]);
      const enc = new TextEncoder();
      return Array.from(hmac(sha256, enc.encode(s), enc.encode(n)) as Uint8Array, (b) => b.toString(16).padStart(2, '0')).join('');
    }, [secret, nonce]);
    assert.equal(hex, proofFor(secret, nonce));
  } finally {
    await browser.close();
    await view.close();
    await sys.stop();
  }
});
