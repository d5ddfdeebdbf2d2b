// The demo back end on its own, next to a Herald you started yourself:
//   HERALD_PORT=6001 npx tsx examples/backend/main.ts
import { createDemoBackend } from './app.js';
import { backendPortFromEnv, heraldFromEnv } from './env.js';

const herald = heraldFromEnv();
const backend = createDemoBackend({ herald, port: backendPortFromEnv(), host: process.env.EXAMPLE_HOST ?? '127.0.0.1' });
const port = await backend.listen();
console.log(`[demo] http://127.0.0.1:${port}/ (events go to Herald at ${herald.host}:${herald.port}, app ${herald.appId})`);
const stop = () => void backend.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
