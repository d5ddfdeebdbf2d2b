import type { Settings } from '../config/settings.js';
import { md5Hex, hmacSha256Hex } from '../protocol/signatures.js';

export interface TriggerArgs {
  channel?: string[];
  event?: string;
  data?: string;
  url?: string;
}

/**
 * `herald trigger`: sends one event, signed with the first configured app's
 * secret, to a running server's HTTP API, and prints the answer.
 */
export async function runTrigger(settings: Settings, args: TriggerArgs): Promise<number> {
  if (!args.channel?.length || !args.event) {
    console.error('herald trigger: --channel and --event are required');
    return 1;
  }
  const app = settings.apps[0];
  if (!app) throw new Error('no app configured');
  // Sent on the wire as given, like the SDKs send a string: JSON text arrives
  // as an object in pusher-js, anything else as a plain string.
  const data = args.data ?? '{}';
  const base = args.url ?? `http://${settings.host === '0.0.0.0' ? '127.0.0.1' : settings.host}:${settings.port}`;
  const path = `/apps/${app.id}/events`;
  const body = JSON.stringify({ name: args.event, channels: args.channel, data });
  const params: Record<string, string> = {
    auth_key: app.key,
    auth_timestamp: String(Math.floor(Date.now() / 1000)),
    auth_version: '1.0',
    body_md5: md5Hex(body),
  };
  const query = Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const signature = hmacSha256Hex(app.secret, `POST\n${path}\n${query}`);
  const res = await fetch(`${base}${path}?${query}&auth_signature=${signature}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await res.text();
  console.log(`${res.status} ${text}`);
  return res.ok ? 0 : 1;
}
