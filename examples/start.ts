// `npm run example`: Herald (with its development app on port 6001 unless the
// environment says otherwise) and the demo back end (port 3000), in one process.
import { randomBytes } from 'node:crypto';
import { loadSettings } from '../src/config/settings.js';
import { createHerald } from '../src/server.js';
import { createDemoBackend } from './backend/app.js';
import { backendPortFromEnv } from './backend/env.js';
import { historyRules } from './backend/events.js';

const loaded = loadSettings();
// The order board and the print agent resume after a reconnect: the demo app keeps their channels' recent
// events, unless its configuration says which channels keep history itself.
const configured = { ...loaded, apps: loaded.apps.map((app, i) => (i === 0 && app.history.length === 0 ? { ...app, history: [...historyRules] } : app)) };
// The debug console is handy next to the demo: on with a fresh token, as `herald start` does in development.
const settings = configured.consoleToken === null ? { ...configured, consoleToken: randomBytes(18).toString('base64url') } : configured;
const herald = createHerald(settings);
const heraldPort = await herald.listen();
const app = settings.apps[0]!;

const backend = createDemoBackend({
  herald: { appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', port: heraldPort },
  port: backendPortFromEnv(),
  host: process.env.EXAMPLE_HOST ?? '127.0.0.1',
});
const port = await backend.listen();
console.log(`
  Herald        ws://127.0.0.1:${heraldPort}  (app ${app.id} / ${app.key})
  Debug console http://127.0.0.1:${heraldPort}/console  token ${settings.consoleToken}
  Demo app      http://127.0.0.1:${port}/
`);

const stop = () => {
  void Promise.all([backend.close(), herald.close()]).then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
