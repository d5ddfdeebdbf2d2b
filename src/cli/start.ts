import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_APP, type Settings } from '../config/settings.js';
import { createHerald } from '../server.js';
import { isWorkerPrimary, runWorkers } from './workers.js';

/** `herald start`: serve until SIGINT/SIGTERM, then close connections cleanly. */
export async function runStart(configured: Settings): Promise<number> {
  if (isWorkerPrimary(configured)) return runWorkers(configured);
  // In development (the development app, no token set) the console is on with a fresh token, printed below.
  const developmentConsole = configured.usingDevelopmentApp && configured.consoleToken === null;
  const settings = developmentConsole ? { ...configured, consoleToken: randomBytes(18).toString('base64url') } : configured;
  const herald = createHerald(settings);
  if (settings.usingDevelopmentApp) {
    herald.log.warn(
      { appId: DEVELOPMENT_APP.id, key: DEVELOPMENT_APP.key, appSecret: DEVELOPMENT_APP.secret },
      'no app configured: serving the development app (app-id / app-key / app-secret); set HERALD_APP_ID, HERALD_APP_KEY and HERALD_APP_SECRET for real use',
    );
  }
  const port = await herald.listen();
  herald.log.info({ apps: settings.apps.map((a) => ({ id: a.id, key: a.key })), port }, 'ready');
  if (developmentConsole) {
    herald.log.warn(
      { console: `http://localhost:${port}/console`, consoleToken: settings.consoleToken },
      'debug console on with a development token (new at every start); set HERALD_CONSOLE_TOKEN to choose one',
    );
  } else if (settings.consoleToken === null) {
    herald.log.info('debug console off: set HERALD_CONSOLE_TOKEN to turn it on at /console');
  } else {
    herald.log.info({ console: `http://localhost:${port}/console` }, 'debug console on');
  }
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
