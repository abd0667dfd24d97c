// Drives the web console in Debian's headless Chromium (playwright-core, no browser download), for
// UiEndToEndTest: node drive.mjs BASE_URL SCREENSHOT_DIR CLIENT SECRET GROUP BUILD_KIND/BUILD_ID IMAGE_URL
// It prints "STEP name" lines; at "STEP need-vm" it reads the id of a VM the test created through
// the API from standard input. Any failure ends it with status 1 and the reason on standard error.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const [base, shots, client, secret, group, build, imageUrl] = process.argv.slice(2);
const lines = createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const step = (name) => console.log(`STEP ${name}`);
const readLine = async () => (await lines.next()).value.trim();

const profile = mkdtempSync(join(tmpdir(), 'hangar-ui-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
const problems = [];
try {
  const page = context.pages()[0] || await context.newPage();
  page.on('dialog', (d) => d.accept());
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  const shot = async (name) => { await page.screenshot({ path: join(shots, name), fullPage: true }); step(`shot ${name}`); };
  const mirror = page.locator('pre.console-text');

  // OAuth is on, and so reads are signed too: the console asks for a login before it shows anything.
  await page.goto(`${base}/ui/`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  if (await page.locator('tbody tr').count() !== 0) throw new Error('a list was shown before a login');
  step('login-required');

  await page.getByLabel('Client key').fill(client);
  await page.getByLabel('Secret').fill('wrong-secret');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('alert').filter({ hasText: 'login-failed' }).waitFor();
  await page.getByLabel('Secret').fill(secret);
  await shot('ui-login.png');
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByText(`Logged in as ${client}`).waitFor();
  await page.getByRole('heading', { name: 'VMs', exact: true }).waitFor(); // back on the page that asked
  step('logged-in');
  await page.evaluate(() => { window.hangarNotReloaded = true; });
  step('need-vm');
  const vm = await readLine();

  // The VM the test made through the API shows up, and turns powered-on, with no reload.
  const row = page.locator('tbody tr', { has: page.locator(`a[href="#/vms/${vm}"]`) });
  await row.waitFor({ timeout: 60_000 });
  await row.getByText('powered-on').waitFor({ timeout: 240_000 });
  await row.getByText(/^\d+\.\d+\.\d+\.\d+$/).waitFor({ timeout: 120_000 });
  if (!await page.evaluate(() => window.hangarNotReloaded === true)) throw new Error('the page reloaded');
  step('vm-listed');
  await shot('ui-vms.png');


  // Create from the page's form: a wrong checksum, so no guest boots; the VM shows up failed, and its
  // row's Delete removes it.
  await page.goto(`${base}/ui/#/vms`);
  await page.getByLabel('Image URL').fill(imageUrl);
  await page.getByLabel('Checksum', { exact: true }).fill('00'.repeat(32));
  await page.getByLabel('Name').fill('ui-form');
  await page.getByRole('button', { name: 'Create' }).click();
  await page.getByRole('status').filter({ hasText: 'Creating ui-form' }).waitFor();
  const formRow = page.locator('tbody tr', { has: page.getByRole('link', { name: 'ui-form', exact: true }) });
  await formRow.getByText('error').waitFor({ timeout: 120_000 });
  step('form-created');
  await formRow.getByRole('button', { name: 'Delete ui-form' }).click();
  await formRow.waitFor({ state: 'detached', timeout: 120_000 });
  step('form-deleted');

  for (const [hash, heading, name] of [['#/hosts', 'Hosts', 'ui-hosts.png'], ['#/networks', 'Networks', 'ui-networks.png'],
    ['#/groups', 'Groups', 'ui-groups.png'], [`#/groups/${group}`, `Group ${group}`, 'ui-group.png'],
    ['#/builds', 'Builds', 'ui-builds.png'], [`#/builds/${build}`, null, 'ui-build.png']]) {
    await page.goto(`${base}/ui/${hash}`);
    if (heading) await page.getByRole('heading', { name: heading, exact: true }).waitFor();
    await page.locator('main table, main dl, main p.empty').first().waitFor();
    if (name === 'ui-group.png') await page.locator('main table tbody tr').first().waitFor();
    await shot(name);
  }
  await page.getByText('COMPLETE').first().waitFor();

  // Its page: the serial console's text in the DOM, the guest's boot lines and then what we type.
  await page.goto(`${base}/ui/#/vms/${vm}`);
  await mirror.filter({ hasText: 'HANGAR-GUEST-READY' }).waitFor({ timeout: 120_000 });
  step('console-boot-lines');
  await shot('ui-vm.png');
  await page.getByText('Connected: typing goes to the VM.').waitFor({ timeout: 30_000 });
  await page.locator('.terminal .xterm').click();
  await page.keyboard.type('echo UI-TYPED-$((6*7))\n', { delay: 20 });
  await mirror.filter({ hasText: 'UI-TYPED-42' }).waitFor({ timeout: 60_000 });
  step('console-typed');
  await page.locator('.screen-status', { hasText: 'Connected.' }).waitFor({ timeout: 30_000 });
  await page.locator('.vnc canvas').waitFor();
  step('screen-connected');
  await page.evaluate(() => document.querySelector('pre.console-text').scrollIntoView());
  await shot('ui-vm.png');
  console.log(`CONSOLE-TEXT-BEGIN\n${await mirror.textContent()}\nCONSOLE-TEXT-END`);


  // Delete from its page; the list then loses it, again without a reload.
  await page.goto(`${base}/ui/#/vms/${vm}`);
  await page.getByRole('button', { name: 'Delete this VM' }).click();
  await page.getByText(/^Deleting /).waitFor();
  await page.goto(`${base}/ui/#/vms`);
  await page.evaluate(() => { window.hangarNotReloaded = true; });
  await page.locator(`a[href="#/vms/${vm}"]`).waitFor({ state: 'detached', timeout: 180_000 });
  if (!await page.evaluate(() => window.hangarNotReloaded === true)) throw new Error('the page reloaded');
  step('vm-deleted');
  for (const p of problems) console.log(`BROWSER ${p}`);
  step('done');
} catch (e) {
  for (const p of problems) console.error(`BROWSER ${p}`);
  console.error(`FAILED: ${e.stack || e}`);
  process.exitCode = 1;
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
  process.exit(process.exitCode ?? 0);
}
