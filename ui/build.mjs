// Maven's front-end step (exec-maven-plugin runs it with node): `npm ci` and `npm run build`, each
// only when its inputs changed since it last ran, so a unit-test run does not reinstall and rebundle
// an unchanged UI. `--force` runs both anyway.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ui = dirname(fileURLToPath(import.meta.url));
const target = join(ui, '..', 'target');
const force = process.argv.includes('--force');

function digest(paths) {
  const hash = createHash('sha256');
  const files = [];
  const walk = (p) => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) for (const e of readdirSync(p).sort()) walk(join(p, e));
    else files.push(p);
  };
  paths.forEach((p) => walk(join(ui, p)));
  for (const f of files) hash.update(f.slice(ui.length)).update('\0').update(readFileSync(f)).update('\0');
  return hash.digest('hex');
}

function stale(stamp, value, output) {
  const file = join(target, stamp);
  return force || !existsSync(output) || !existsSync(file) || readFileSync(file, 'utf8') !== value;
}

function remember(stamp, value) {
  mkdirSync(target, { recursive: true });
  writeFileSync(join(target, stamp), value);
}

// Vite 7 needs Node 20.19+ (or 22.12+), and Debian 12's own nodejs (18) is older and has no npm: say
// so plainly, with the way out, rather than fail deep inside npm or Vite.
function refuse(why) {
  console.error(`hangar ui: ${why}. Install Node 20.19 or newer with npm (nodesource's nodejs, say), or build `
    + 'without the web console: mvn -Dui.skip=true (the jar then answers /ui with 404 ui-not-built).');
  process.exit(1);
}
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19) || (major === 22 && minor < 12)) {
  refuse(`the web console's build (Vite 7) needs Node 20.19+ or 22.12+, and this is Node ${process.versions.node}`);
}

function npm(...args) {
  try {
    execFileSync('npm', args, { cwd: ui, stdio: 'inherit' });
  } catch (e) {
    if (e.code === 'ENOENT') refuse('there is no npm on the PATH (Debian 12\'s nodejs comes without it)');
    throw e;
  }
}

const lock = digest(['package.json', 'package-lock.json']);
if (stale('ui-install.stamp', lock, join(ui, 'node_modules', '.package-lock.json'))) {
  npm('ci', '--prefer-offline', '--no-audit', '--no-fund');
  remember('ui-install.stamp', lock);
}
const sources = digest(['package-lock.json', 'index.html', 'vite.config.js', 'src']);
if (stale('ui-build.stamp', sources, join(target, 'classes', 'ui', 'index.html'))) {
  npm('run', 'build');
  remember('ui-build.stamp', sources);
} else {
  console.log('hangar ui: the bundle in target/classes/ui is up to date');
}
