import { createHmac } from 'node:crypto';

/** `X-Pusher-Signature`: HMAC-SHA256 of the exact body bytes with the app secret, hex. */
export function webhookSignature(body: string, secret: string): string {
  return createHmac('sha256', secret).update(body).digest('hex');
}
