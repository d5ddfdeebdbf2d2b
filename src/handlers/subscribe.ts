import type { Connection } from '../connection/connection.js';
import { channelKind, channelNameProblem, SERVER_TO_USER_PREFIX, userIdProblem } from '../protocol/channel-names.js';
import { SocketError, SubscriptionError, SubscriptionErrors } from '../protocol/errors.js';
import { dataAsObject } from '../protocol/frames.js';
import { ProtocolLimits } from '../protocol/limits.js';
import { authTokenProblem, channelAuthMessage } from '../protocol/signatures.js';
import type { PresenceMember } from '../protocol/types.js';
import type { HandlerContext } from './context.js';
import { resumePending } from './recovery.js';

/** `pusher:subscribe`: validate the name, check the app's signature, then join. */
export async function handleSubscribe(ctx: HandlerContext, conn: Connection, rawData: unknown): Promise<void> {
  const data = dataAsObject(rawData);
  const channel = data?.channel;
  if (!data || typeof channel !== 'string') {
    throw new SocketError('invalidFrame', "pusher:subscribe needs data.channel, the name of the channel to subscribe to");
  }
  try {
    const member = authorize(conn, channel, data);
    await ctx.channels.subscribe(conn, channel, member);
    await resumePending(ctx, conn, channel);
  } catch (err) {
    if (!(err instanceof SubscriptionError)) throw err;
    const { type, status } = SubscriptionErrors[err.kind];
    conn.sendEvent('pusher:subscription_error', { type, error: err.message, status }, channel);
    ctx.activity.emit('error_sent', { appId: conn.app.id, socketId: conn.socketId, code: status, message: err.message, channel });
  }
}

/** Checks the subscription may go ahead; returns the presence member it joins as, if any. */
function authorize(conn: Connection, channel: string, data: Record<string, unknown>): PresenceMember | null {
  const nameProblem = channelNameProblem(channel);
  if (nameProblem) throw new SubscriptionError('invalidChannel', `cannot subscribe: ${nameProblem}`);
  const kind = channelKind(channel);

  if (kind.serverToUser) {
    const userId = channel.slice(SERVER_TO_USER_PREFIX.length);
    if (!conn.user || conn.user.id !== userId) {
      throw new SubscriptionError('forbidden', `only a connection signed in as user '${userId}' may subscribe to ${channel}`);
    }
    return null;
  }
  if (!kind.authorized) return null;

  const channelData = kind.presence ? data.channel_data : undefined;
  // A signed-in client may join a presence channel without channel_data: it joins as its user.
  const asSignedInUser = kind.presence && channelData === undefined && conn.user !== null;
  if (kind.presence && !asSignedInUser && typeof channelData !== 'string') {
    throw new SubscriptionError('presenceDataInvalid', `subscribing to ${channel} needs channel_data, a JSON string with user_id`);
  }
  const problem = authTokenProblem(data.auth, conn.app, channelAuthMessage(conn.socketId, channel, channelData as string | undefined));
  if (problem) throw new SubscriptionError('authFailed', `subscription to ${channel} refused: ${problem}`);
  if (!kind.presence) return null;
  if (asSignedInUser && conn.user) return { user_id: conn.user.id, user_info: conn.user.info };
  return parseMember(channel, channelData as string);
}

function parseMember(channel: string, channelData: string): PresenceMember {
  const parsed = dataAsObject(channelData);
  const rawId = parsed?.user_id;
  const userId = typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : rawId;
  const idProblem = userIdProblem(userId);
  if (!parsed || idProblem) {
    throw new SubscriptionError('presenceDataInvalid', `channel_data for ${channel} must be JSON with a user_id: ${idProblem ?? 'not a JSON object'}`);
  }
  const info = parsed.user_info;
  if (info !== undefined && Buffer.byteLength(JSON.stringify(info)) > ProtocolLimits.presenceUserInfoBytes) {
    throw new SubscriptionError('presenceDataInvalid', `user_info for ${channel} is larger than ${ProtocolLimits.presenceUserInfoBytes} bytes`);
  }
  return { user_id: userId as string, user_info: info };
}
