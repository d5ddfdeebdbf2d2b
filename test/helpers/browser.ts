// The headless Chromium every browser test drives through playwright-core.
//
// It comes with `npm install`: @sparticuz/chromium ships a Chromium build (and
// the few libraries it needs) inside its npm package, compressed. Unpacking
// it takes a second or two, so it is done once per version into
// node_modules/.cache/ and reused by every later run and every test process.
// CHROMIUM_PATH points the tests at another Chromium instead (for example
// Debian's /usr/bin/chromium).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const require = createRequire(import.meta.url);

/** Flags for a headless run on a machine with no network beyond loopback. */
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: await chromiumPath(), args: ARGS, timeout: 30_000 });
}

let unpacked: Promise<string> | undefined;

export function chromiumPath(): Promise<string> {
  const chosen = process.env.CHROMIUM_PATH;
  if (chosen) return Promise.resolve(chosen);
  unpacked ??= unpackBundledChromium();
  return unpacked;
}

async function unpackBundledChromium(): Promise<string> {
  const packageRoot = packageRootOf(require.resolve('@sparticuz/chromium'));
  const { version } = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string };
  const cache = join(packageRoot, '..', '..', '.cache', `herald-chromium-${version}`);
  const executable = join(cache, 'chromium');
  if (existsSync(executable)) return executable;

  // The package unpacks into os.tmpdir(); point that at a folder of our own
  // for the call, then move the folder into place in one rename so two test
  // processes unpacking at once never see half a browser.
  const staging = `${cache}.${process.pid}.tmp`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const tmpdir = process.env.TMPDIR;
  process.env.TMPDIR = staging;
  try {
    const { default: bundled } = (await import('@sparticuz/chromium')) as { default: { executablePath(): Promise<string> } };
    await bundled.executablePath();
  } finally {
    if (tmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = tmpdir;
  }
  try {
    renameSync(staging, cache);
  } catch (err) {
    // Another process got there first: its copy is complete, ours goes.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(executable)) throw err;
  }
  return executable;
}

/** The package's folder (its exports do not include package.json itself). */
function packageRootOf(entry: string): string {
  let dir = dirname(entry);
  while (!existsSync(join(dir, 'package.json')) || !dir.endsWith(join('@sparticuz', 'chromium'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the @sparticuz/chromium package above ${entry}`);
    dir = parent;
  }
  return dir;
}
