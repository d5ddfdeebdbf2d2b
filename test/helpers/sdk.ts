// The `pusher` SDK, as an app's back end runs it, pointed at a Herald on this
// machine, and what its requests ended with.
import Pusher from 'pusher';

export interface Credentials {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
}

/** A `pusher` SDK client for `app` on the Herald at `port`, over plain HTTP. */
export function sdkClient(port: number, app: Credentials, overrides: Partial<Pusher.Options> = {}): Pusher {
  return new Pusher({ appId: app.id, key: app.key, secret: app.secret, host: '127.0.0.1', port: String(port), useTLS: false, ...overrides });
}

export interface Outcome {
  readonly status: number;
  readonly body: string;
}

/**
 * The status and body an SDK request ended with. The SDK rejects every
 * answer but a 2xx, with a RequestError that carries them; a failure with no
 * status (no answer at all) is not an outcome and is thrown.
 */
export async function outcome(request: Promise<{ status: number; text(): Promise<string> }>): Promise<Outcome> {
  try {
    const res = await request;
    return { status: res.status, body: await res.text() };
  } catch (err) {
    const e = err as Pusher.RequestError;
    if (typeof e.status !== 'number') throw err;
    return { status: e.status, body: e.body ?? '' };
  }
}

/** The status an SDK request was answered with, as `outcome`. */
export const statusOf = async (request: Promise<{ status: number; text(): Promise<string> }>): Promise<number> => (await outcome(request)).status;
