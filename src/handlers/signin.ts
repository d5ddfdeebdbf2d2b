import type { Connection } from '../connection/connection.js';
import { serverToUserChannel, userIdProblem } from '../protocol/channel-names.js';
import { SocketError } from '../protocol/errors.js';
import { dataAsObject, watchlistFrame } from '../protocol/frames.js';
import { ProtocolLimits } from '../protocol/limits.js';
import { authTokenProblem, userAuthMessage } from '../protocol/signatures.js';
import type { HandlerContext } from './context.js';

/**
 * `pusher:signin`: checks the app's signature over user_data, binds the
 * connection to the user (for `sendToUser`, terminate and watchlists) and
 * answers `pusher:signin_success`. A failed sign-in closes the connection
 * with 4009, as Pusher does.
 */
export async function handleSignin(ctx: HandlerContext, conn: Connection, rawData: unknown): Promise<void> {
  if (!conn.app.userAuthentication) {
    throw new SocketError('signinFailed', 'Sign-in refused: user authentication is disabled for this app');
  }
  const data = dataAsObject(rawData);
  const userData = data?.user_data;
  if (!data || typeof userData !== 'string') {
    throw new SocketError('signinFailed', 'Sign-in refused: pusher:signin needs data.user_data, a JSON string');
  }
  const problem = authTokenProblem(data.auth, conn.app, userAuthMessage(conn.socketId, userData));
  if (problem) throw new SocketError('signinFailed', `Sign-in refused: ${problem}`);
  const user = dataAsObject(userData);
  const id = user?.id;
  const idProblem = userIdProblem(id);
  if (!user || idProblem) throw new SocketError('signinFailed', `Sign-in refused: user_data must be JSON with a string id (${idProblem ?? 'not an object'})`);
  const watchlist = user.watchlist ?? [];
  if (!Array.isArray(watchlist) || watchlist.length > ProtocolLimits.watchlistMaxSize || watchlist.some((w) => userIdProblem(w))) {
    throw new SocketError('signinFailed', `Sign-in refused: watchlist must be an array of at most ${ProtocolLimits.watchlistMaxSize} user ids`);
  }

  if (conn.user) await signOut(ctx, conn);
  const signedIn = { id: id as string, watchlist: watchlist as string[], info: user.user_info };
  conn.signedIn(signedIn);
  ctx.localUsers.add(conn, signedIn.id);
  const appId = conn.app.id;
  // Signed in once this node hears the user's control messages (terminate)
  // and its watchlist's news from every node.
  await Promise.all([ctx.channels.watch(conn, signedIn.watchlist), ctx.adapter.listeningToUser(appId, signedIn.id)]);
  conn.sendEvent('pusher:signin_success', { user_data: userData });

  if (await ctx.adapter.users.signedIn(appId, signedIn.id, conn.socketId)) {
    ctx.channels.announce.userPresence(appId, signedIn.id, true);
  }
  const online = await ctx.adapter.users.online(appId, signedIn.watchlist);
  if (online.length > 0) conn.send(watchlistFrame('online', online));
}

/** Unbinds the connection from its user; tells watchers when it was the user's last socket. */
export async function signOut(ctx: HandlerContext, conn: Connection): Promise<void> {
  const user = conn.user;
  if (!user) return;
  conn.signedOut();
  ctx.localUsers.remove(conn, user.id);
  ctx.channels.unwatch(conn, user.watchlist);
  await ctx.channels.unsubscribe(conn, serverToUserChannel(user.id));
  if (await ctx.adapter.users.signedOut(conn.app.id, user.id, conn.socketId)) {
    ctx.channels.announce.userPresence(conn.app.id, user.id, false);
  }
}
