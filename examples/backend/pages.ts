// The pages: HTML and CSS from examples/web, and each page's script bundled
// with esbuild (laravel-echo and pusher-js from node_modules) when the back
// end starts. Bundles live in memory only, so nothing built is committed.
import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerResponse } from 'node:http';
import { build } from 'esbuild';

export const WEB_DIR = fileURLToPath(new URL('../web/', import.meta.url));

/** One script per page; each is an entry point of the bundle. */
export const PAGE_SCRIPTS = ['login', 'orders', 'shop', 'vendor', 'admin', 'invoices', 'trade'] as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.png': 'image/png',
};

export type Bundles = ReadonlyMap<string, Uint8Array>;

export async function bundlePages(): Promise<Bundles> {
  const result = await build({
    entryPoints: PAGE_SCRIPTS.map((name) => join(WEB_DIR, `${name}.ts`)),
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    splitting: true,
    outdir: '/assets',
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((file) => [file.path.replace(/^.*\/assets\//, ''), file.contents]));
}

/** Serves /assets/*.js from the bundles and everything else from examples/web; false when there is no such file. */
export async function servePage(path: string, bundles: Bundles, res: ServerResponse): Promise<boolean> {
  if (path.startsWith('/assets/')) {
    const bundle = bundles.get(path.slice('/assets/'.length));
    if (!bundle) return false;
    res.writeHead(200, { 'content-type': CONTENT_TYPES['.js']!, 'cache-control': 'no-cache' });
    res.end(bundle);
    return true;
  }
  const name = path === '/' ? 'index.html' : path.slice(1);
  // Only plain file names in examples/web: no folders, no way out of it.
  if (!/^[\w-]+\.(html|css|png)$/.test(name)) return false;
  try {
    const content = await readFile(join(WEB_DIR, name));
    res.writeHead(200, { 'content-type': CONTENT_TYPES[extname(name)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
    res.end(content);
    return true;
  } catch {
    return false;
  }
}
