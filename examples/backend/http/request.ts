// Reading requests and writing answers: bodies (JSON or the form encoding
// pusher-js uses for /broadcasting/auth), cookies and the caller's identity.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { User, Users } from '../domain/users.js';
import { badRequest, HttpError, unauthenticated } from './http-error.js';

export const SESSION_COOKIE = 'demo_session';
const MAX_BODY_BYTES = 64 * 1024;

export type Body = Record<string, unknown>;

export async function readBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'body too large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('expected a JSON object');
    return parsed as Body;
  } catch (err) {
    throw err instanceof HttpError ? err : badRequest('invalid JSON');
  }
}

export function stringField(body: Body, name: string): string {
  const value = body[name];
  if (typeof value !== 'string' || value.trim() === '') throw badRequest(`${name} is required`);
  return value.trim();
}

export function numberField(body: Body, name: string): number {
  const value = typeof body[name] === 'string' ? Number(body[name]) : body[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) throw badRequest(`${name} must be a number`);
  return value;
}

export function idParam(params: Record<string, string | undefined>, name = 'id'): number {
  const id = Number(params[name]);
  if (!Number.isInteger(id)) throw badRequest(`${name} must be a number`);
  return id;
}

export function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

/** The caller by Bearer token, else by session cookie. */
export function currentUser(req: IncomingMessage, users: Users): User | undefined {
  const authorization = req.headers.authorization ?? '';
  if (authorization.startsWith('Bearer ')) return users.fromToken(authorization.slice('Bearer '.length).trim());
  const session = cookie(req, SESSION_COOKIE);
  return session === undefined ? undefined : users.fromSession(session);
}

export function requireUser(req: IncomingMessage, users: Users): User {
  const user = currentUser(req, users);
  if (!user) throw unauthenticated();
  return user;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}
