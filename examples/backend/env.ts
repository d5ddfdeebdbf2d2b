// Where the back end finds Herald, from the same environment Herald reads
// (HERALD_APP_* or PUSHER_APP_*), defaulting to Herald's development app.
import type { HeraldConnection } from './broadcaster.js';

export function heraldFromEnv(env: NodeJS.ProcessEnv = process.env): HeraldConnection {
  return {
    appId: env.HERALD_APP_ID ?? env.PUSHER_APP_ID ?? 'app-id',
    key: env.HERALD_APP_KEY ?? env.PUSHER_APP_KEY ?? 'app-key',
    secret: env.HERALD_APP_SECRET ?? env.PUSHER_APP_SECRET ?? 'app-secret',
    // Herald's HERALD_HOST is where it listens (0.0.0.0); the back end needs an address to reach it.
    host: env.EXAMPLE_HERALD_HOST ?? '127.0.0.1',
    port: Number(env.HERALD_PORT ?? env.PUSHER_PORT ?? 6001),
  };
}

export const backendPortFromEnv = (env: NodeJS.ProcessEnv = process.env): number => Number(env.EXAMPLE_PORT ?? 3000);
