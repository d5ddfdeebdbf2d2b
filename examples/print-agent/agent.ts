// The print agent's command line:
//   npm run example:print-agent -- --backend http://127.0.0.1:3000 --out ./printed
// Options: --backend URL (the demo back end), --user NAME (a printer user,
// "printer" by default) or --token TOKEN, --out DIR (where jobs are printed),
// --state FILE (the last event serial, kept between runs to resume from).
import { parseArgs } from 'node:util';
import { PrintAgent, requestToken } from './print-agent.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: process.env.EXAMPLE_BACKEND_URL ?? 'http://127.0.0.1:3000' },
    user: { type: 'string', default: 'printer' },
    token: { type: 'string' },
    out: { type: 'string', default: 'printed' },
    state: { type: 'string', default: 'print-agent-state.json' },
  },
});
const backendUrl = values.backend.replace(/\/$/, '');
const token = values.token ?? (await requestToken(backendUrl, values.user));
const agent = new PrintAgent({ backendUrl, token, outDir: values.out, stateFile: values.state });
await agent.start();
console.log(`print agent started: jobs from ${backendUrl} are printed to ${values.out}/`);

const stop = () => {
  void agent.stop().then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
