// Logging in (a session cookie for pages, a Bearer token for apps), the
// client settings pages connect with, and /broadcasting/auth.
import { channelAccess } from '../channels.js';
import type { DemoContext } from '../context.js';
import { publicUser } from '../domain/users.js';
import { forbidden, notFound } from '../http/http-error.js';
import { cookie, readBody, requireUser, SESSION_COOKIE, sendJson, stringField } from '../http/request.js';
import type { Routes } from '../http/routes.js';

export function registerAuthRoutes(r: Routes, ctx: DemoContext): void {
  r.get('/api/users', () => ctx.users.all().map((user) => ({ ...publicUser(user), username: user.username })));

  r.post('/api/login', async ({ req, res }) => {
    const user = ctx.users.byUsername(stringField(await readBody(req), 'username'));
    if (!user) throw notFound('user');
    const session = ctx.users.startSession(user);
    sendJson(res, 200, { user: publicUser(user) }, { 'set-cookie': `${SESSION_COOKIE}=${session}; Path=/; HttpOnly; SameSite=Lax` });
  });

  r.post('/api/logout', ({ req, res }) => {
    const session = cookie(req, SESSION_COOKIE);
    if (session !== undefined) ctx.users.endSession(session);
    sendJson(res, 200, { ok: true }, { 'set-cookie': `${SESSION_COOKIE}=; Path=/; Max-Age=0` });
  });

  // Apps that are not pages (a vendor tablet, the print agent) send a Bearer token instead of a cookie.
  r.post('/api/tokens', async ({ req }) => {
    const user = ctx.users.byUsername(stringField(await readBody(req), 'username'));
    if (!user) throw notFound('user');
    return { token: ctx.users.issueToken(user), user: publicUser(user) };
  });

  r.get('/api/me', ({ req }) => {
    const user = requireUser(req, ctx.users);
    return { ...publicUser(user), vendorId: user.vendorId ?? null };
  });

  r.get('/api/config', () => ({ key: ctx.broadcaster.herald.key, wsHost: ctx.publicHerald.host, wsPort: ctx.publicHerald.port }));

  // pusher-js posts socket_id and channel_name (form-encoded); the answer is signed by the SDK.
  r.post('/broadcasting/auth', async ({ req }) => {
    const body = await readBody(req);
    const socketId = stringField(body, 'socket_id');
    const channelName = stringField(body, 'channel_name');
    const user = requireUser(req, ctx.users);
    const access = channelAccess(ctx.channelRules, user, channelName);
    if (!access.allowed) throw forbidden(`${user.username} may not subscribe to ${channelName}`);
    return ctx.broadcaster.pusher.authorizeChannel(socketId, channelName, access.presence);
  });
}
