// Sends a test order.updated event for an order id straight to Herald, as
// `php artisan test:pusher-order 42` would: the order board shows it at once,
// whether or not the back end knows the order.
//   npm run example:test-order -- 42
import Pusher from 'pusher';
import { heraldFromEnv } from '../backend/env.js';
import { channels, eventNames } from '../backend/events.js';

const id = Number(process.argv[2] ?? 1);
if (!Number.isInteger(id) || id <= 0) {
  console.error('usage: test-pusher-order [order id]');
  process.exit(2);
}
const herald = heraldFromEnv();
const pusher = new Pusher({ appId: herald.appId, key: herald.key, secret: herald.secret, host: herald.host, port: String(herald.port), useTLS: false });
const now = new Date().toISOString();
const order = { id, vendorId: '0', vendorName: 'Test vendor', item: 'Test order', total: 0, status: 'test', createdAt: now, updatedAt: now };
try {
  await pusher.trigger(channels.orderBoard, eventNames.orderUpdated, order);
  console.log(`sent ${eventNames.orderUpdated} for order ${id} to ${channels.orderBoard} on ${herald.host}:${herald.port}`);
} catch (err) {
  console.error(`could not reach Herald at ${herald.host}:${herald.port}: ${(err as Error).message}`);
  process.exit(1);
}
