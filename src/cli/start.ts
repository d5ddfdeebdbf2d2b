import { randomBytes } from 'node:crypto';
import { DEVELOPMENT_APP, type Settings } from '../config/settings.js';
import { createLogger, type Logger } from '../logging/logger.js';
import { createHerald } from '../server.js';
import { isWorkerPrimary, runWorkers } from './workers.js';

/** `herald start`: serve until SIGINT/SIGTERM, then close connections cleanly. */
export async function runStart(configured: Settings): Promise<number> {
  // In development (the development app, no token set) the console is on with a fresh token, printed once.
  // Worker processes inherit it through the environment, so a login is good on every one of them.
  const developmentToken =
    configured.usingDevelopmentApp && configured.consoleToken === null ? randomBytes(18).toString('base64url') : null;
  const developmentConsole = developmentToken !== null;
  if (developmentToken !== null) process.env.HERALD_CONSOLE_TOKEN = developmentToken;
  const settings = developmentToken !== null ? { ...configured, consoleToken: developmentToken } : configured;
  if (isWorkerPrimary(settings)) {
    if (developmentToken !== null) announceDevelopmentConsole(createLogger(settings.logLevel), settings.port, developmentToken);
    return runWorkers(settings);
  }
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
    announceDevelopmentConsole(herald.log, port, settings.consoleToken);
  } else if (settings.consoleToken === null) {
    herald.log.info('debug console off: set HERALD_CONSOLE_TOKEN to turn it on at /console');
  } else {
    herald.log.info({ console: `http://localhost:${port}/console` }, 'debug console on');
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      herald.log.info({ signal, timeoutMs: settings.shutdownTimeoutMs }, 'shutting down');
      // Bounded even if something hangs; a second signal ends it at once.
      setTimeout(() => {
        herald.log.error('shutdown took too long: exiting');
        process.exit(1);
      }, settings.shutdownTimeoutMs + 5000).unref();
      process.once(signal, () => process.exit(1));
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await herald.close();
  herald.log.info('stopped');
  return 0;
}

function announceDevelopmentConsole(log: Logger, port: number, token: string | null): void {
  log.warn(
    { console: `http://localhost:${port}/console`, consoleToken: token },
    'debug console on with a development token (new at every start); set HERALD_CONSOLE_TOKEN to choose one',
  );
}
