// Another Pusher-protocol server measured in the same run (`--peer soketi`):
// Soketi 1.6.1 with its native uWebSockets.js transport, installed by
// ../shared/peers/soketi/setup.sh (the shared folder sits beside the repo,
// here and in CI). It runs as a child process like Herald, so its CPU and
// memory are read from /proc the same way.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import type { AppCredentials } from './http-api.js';
import { freePort, REPO_ROOT, superviseChild, type ServerUnderTest } from './server.js';

export const PEERS = ['soketi'] as const;
export type PeerName = (typeof PEERS)[number];

/** The peer's folder in the shared checkout beside the repo. */
export const SOKETI_PEER_DIR = resolve(REPO_ROOT, '../shared/peers/soketi');

/** Where setup.sh installs Soketi (the same rule as setup.sh and start.sh). */
function soketiHome(): string {
  if (process.env.SOKETI_HOME) return process.env.SOKETI_HOME;
  return join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'herald-peers', 'soketi-1.6.1');
}

/** The command that sets the peer up, as a person at the repo root would type it. */
export function soketiSetupCommand(): string {
  return `bash ${relative(REPO_ROOT, join(SOKETI_PEER_DIR, 'setup.sh'))}`;
}

/**
 * Null when Soketi can be started; otherwise what is missing and the
 * command that fixes it. Checked before any scenario runs, so a run never
 * stops half way for want of the peer.
 */
export function soketiMissing(): { readonly what: 'folder' | 'install'; readonly message: string } | null {
  if (!existsSync(join(SOKETI_PEER_DIR, 'start.sh'))) {
    return { what: 'folder', message: `the Soketi peer is not in ${SOKETI_PEER_DIR}: --peer soketi needs the shared folder beside the repo (../shared/peers/soketi)` };
  }
  if (!existsSync(join(soketiHome(), 'node_modules', '@soketi', 'soketi'))) {
    return { what: 'install', message: `Soketi is not set up on this machine (nothing in ${soketiHome()}): run\n\n    ${soketiSetupCommand()}\n\nonce (it installs Soketi 1.6.1 and its uWebSockets.js binary), then run the bench again` };
  }
  return null;
}

/**
 * Starts Soketi in the foreground on a free loopback port, with the bench's
 * app (so both servers are driven with the same credentials), and waits
 * until it answers.
 */
export async function startSoketi(app: AppCredentials): Promise<ServerUnderTest> {
  const port = await freePort();
  // Its cluster discovery port gets a free one too: the default (PORT+5001) could be taken.
  const clusterPort = await freePort();
  const script = `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec bash "$0" "$@"`;
  const child = spawn('sh', ['-c', script, join(SOKETI_PEER_DIR, 'start.sh'), String(port)], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      SOKETI_DEFAULT_APP_ID: app.id,
      SOKETI_DEFAULT_APP_KEY: app.key,
      SOKETI_DEFAULT_APP_SECRET: app.secret,
      CLUSTER_PORT: String(clusterPort),
      // The peer's start.sh turns user authentication on, and Soketi then closes every connection not signed
      // in within 30 s (4009), as Pusher does for apps that require it. No scenario signs in, and Herald's
      // bench app does not require it: off, so that a held connection is held by both.
      SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'false',
      // Soketi's default limits are already unlimited except these two, which the presence scenario
      // stays under (20 members per channel) and the channels scenario meets exactly (10 per batch).
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return superviseChild(child, { host: '127.0.0.1', port, app }, { name: 'soketi', readyPath: '/', timeoutMs: 30_000 });
}
