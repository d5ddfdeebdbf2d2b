import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/**
 * The page's static files. They sit beside this module in `public/` — in
 * `src/` when run from source and in `dist/` after the build copies them
 * (scripts/copy-console-assets.mjs) — so `npm start` serves the same files
 * the tests load.
 */
const PUBLIC_DIR = fileURLToPath(new URL('./public/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  'index.html': 'text/html; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'console.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
};

export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

const cache = new Map<string, Promise<Asset>>();

/** One of the known page files, or undefined for any other name (so no path ever reaches the disk). */
export function loadAsset(name: string): Promise<Asset> | undefined {
  const contentType = CONTENT_TYPES[name];
  if (contentType === undefined) return undefined;
  let asset = cache.get(name);
  if (!asset) {
    asset = readFile(PUBLIC_DIR + name).then((body) => ({ body, contentType }));
    asset.catch(() => cache.delete(name));
    cache.set(name, asset);
  }
  return asset;
}
