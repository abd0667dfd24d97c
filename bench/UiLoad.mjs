// The web console's load in headless Chromium: node UiLoad.mjs BASE_URL RUNS. Each run is a fresh browser
// context (an empty cache): it opens /ui/, waits until the VM list is on screen, and sums what the
// network carried (Resource Timing's transferSize: headers and compressed bodies). Then the same page
// again in that context (a warm cache). Last, the gzipped size of the code a VM page loads on demand.
import http from 'node:http';
import { createRequire } from 'node:module';
const require = createRequire(new URL('../ui/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const [base, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 10);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };

/** Opens the page, waits for the list, and returns [milliseconds to the list, bytes carried, files]. */
async function load(page, url) {
  const start = Date.now();
  await page.goto(url);
  await page.getByRole('heading', { name: 'VMs', exact: true }).waitFor();
  await page.locator('table, .empty').first().waitFor();
  const ms = Date.now() - start;
  // The same moment by the page's own clock, from the start of its navigation: what the browser spent, not the test driver.
  const inPage = await page.evaluate(() => performance.now());
  const bytes = await page.evaluate(() => [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]
    .filter((e) => !e.name.includes('/events') && !e.name.endsWith('/vms') && !e.name.includes('/ui/session'))
    .reduce((sum, e) => sum + e.transferSize, 0));
  const files = await page.evaluate(() => performance.getEntriesByType('resource').filter((e) => e.name.includes('/ui/')).length + 1);
  return [ms, bytes, files, inPage];
}

/** The gzipped size of the files the VM page loads on demand (the console's and the screen's code), named by the main script. */
async function lazyBytes(kind) {
  const index = await (await fetch(`${base}/ui/`)).text();
  const main = index.match(/\/ui\/assets\/index-[A-Za-z0-9_-]+\.js/)[0];
  const script = await (await fetch(base + main)).text();
  const names = [...new Set(script.match(new RegExp(`${kind}-[A-Za-z0-9_-]+\\.(js|css)`, 'g')) || [])];
  let total = 0;
  for (const name of names) {
    const r = await new Promise((resolve, reject) => http.get(`${base}/ui/assets/${name}`, { headers: { 'Accept-Encoding': 'gzip' } }, (res) => {
      let n = 0;
      res.on('data', (c) => { n += c.length; });
      res.on('end', () => resolve(n));
    }).on('error', reject));
    total += r;
  }
  return [total, names.length];
}

const cold = [], coldBytes = [], warm = [], warmBytes = [], coldInPage = [];
let files = 0;
try {
  for (let i = 0; i < runs + 1; i++) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const [ms, bytes, n, inPage] = await load(page, `${base}/ui/`);
    const [wms, wbytes] = await load(page, `${base}/ui/?again`);
    if (i > 0) { cold.push(ms); coldBytes.push(bytes); warm.push(wms); warmBytes.push(wbytes); coldInPage.push(inPage); files = n; } // run 0 warms the JVM
    await context.close();
  }
} finally {
  await browser.close();
}
const kib = (b) => (b / 1024).toFixed(1);
console.log(`runs: ${runs} (after one warm-up), median`);
console.log(`first load bytes: ${kib(median(coldBytes))} KiB in ${files} files (the page, its script and style; gzip)`);
console.log(`first load to list: median ${median(cold)} ms, min ${Math.min(...cold)} ms, max ${Math.max(...cold)} ms`);
console.log(`first load by the page's clock (navigation start to the list): median ${median(coldInPage).toFixed(0)} ms`);
console.log(`warm cache: ${kib(median(warmBytes))} KiB, ${median(warm)} ms to the list`);
const [consoleBytes, consoleFiles] = await lazyBytes('console');
const [screenBytes, screenFiles] = await lazyBytes('screen');
console.log(`a VM page adds the console's code: ${kib(consoleBytes)} KiB in ${consoleFiles} files; a VM with a screen adds noVNC: ${kib(screenBytes)} KiB in ${screenFiles}`);
