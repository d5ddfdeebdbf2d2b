// Sends the app's events to Herald with the official `pusher` SDK. A failed
// send is logged and reported, never thrown: the app's own work (an order
// placed, a payment recorded) has already happened, and pages that lost
// Herald catch up from the REST endpoints.
import Pusher from 'pusher';

export interface HeraldConnection {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
  readonly host: string;
  readonly port: number;
}

export type BroadcastLog = (message: string) => void;

export class Broadcaster {
  readonly pusher: Pusher;

  constructor(
    readonly herald: HeraldConnection,
    private readonly log: BroadcastLog,
  ) {
    this.pusher = new Pusher({
      appId: herald.appId,
      key: herald.key,
      secret: herald.secret,
      host: herald.host,
      port: String(herald.port),
      useTLS: false,
      // Keep a page's request short when Herald is down.
      timeout: 2000,
    });
  }

  /** Triggers one event on one or several channels; resolves false when Herald could not be reached. */
  async send(channels: string | string[], event: string, data: unknown): Promise<boolean> {
    try {
      await this.pusher.trigger(channels, event, data);
      return true;
    } catch (err) {
      this.log(`could not send ${event} to ${String(channels)}: ${(err as Error).message}`);
      return false;
    }
  }
}
