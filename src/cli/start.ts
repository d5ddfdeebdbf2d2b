import { DEVELOPMENT_APP, type Settings } from '../config/settings.js';
import { createHerald } from '../server.js';

/** `herald start`: serve until SIGINT/SIGTERM, then close connections cleanly. */
export async function runStart(settings: Settings): Promise<number> {
  const herald = createHerald(settings);
  if (settings.usingDevelopmentApp) {
    herald.log.warn(
      { appId: DEVELOPMENT_APP.id, key: DEVELOPMENT_APP.key, appSecret: DEVELOPMENT_APP.secret },
      'no app configured: serving the development app (app-id / app-key / app-secret); set HERALD_APP_ID, HERALD_APP_KEY and HERALD_APP_SECRET for real use',
    );
  }
  const port = await herald.listen();
  herald.log.info({ apps: settings.apps.map((a) => ({ id: a.id, key: a.key })), port }, 'ready');
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      herald.log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await herald.close();
  return 0;
}
