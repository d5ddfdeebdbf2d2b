// Who can log in to the demo, with which roles, and how a request proves it:
// a session cookie (pages) or a Bearer token (the vendor app, the print agent).
// A stand-in for your app's real authentication: there are no passwords here.
import { randomBytes } from 'node:crypto';

export type Role = 'customer' | 'vendor' | 'admin' | 'printer';

export interface User {
  readonly id: string;
  readonly username: string;
  readonly name: string;
  readonly roles: readonly Role[];
  /** Set for vendor staff: the one vendor whose inbox they may read. */
  readonly vendorId?: string;
}

export const DEMO_USERS: readonly User[] = [
  { id: '1', username: 'alice', name: 'Alice', roles: ['customer'] },
  { id: '2', username: 'bob', name: 'Bob', roles: ['customer'] },
  { id: '3', username: 'carol', name: 'Carol', roles: ['customer'] },
  { id: '4', username: 'ada', name: 'Ada (admin)', roles: ['admin'] },
  { id: '5', username: 'grace', name: 'Grace (admin)', roles: ['admin'] },
  { id: '6', username: 'luigi', name: "Luigi (Luigi's Pizza)", roles: ['vendor'], vendorId: '1' },
  { id: '7', username: 'yuki', name: 'Yuki (Sakura Sushi)', roles: ['vendor'], vendorId: '2' },
  { id: '8', username: 'printer', name: 'Front desk printer', roles: ['printer'] },
];

export const hasRole = (user: User, role: Role): boolean => user.roles.includes(role);

/** A public view of a user, safe to send to other users (presence member info). */
export const publicUser = (user: User) => ({ id: user.id, name: user.name, roles: user.roles });

export class Users {
  private readonly byId = new Map<string, User>();
  private readonly sessions = new Map<string, string>();
  private readonly tokens = new Map<string, string>();

  constructor(users: readonly User[] = DEMO_USERS) {
    for (const user of users) this.byId.set(user.id, user);
  }

  all(): User[] {
    return [...this.byId.values()];
  }

  get(id: string): User | undefined {
    return this.byId.get(id);
  }

  byUsername(username: string): User | undefined {
    return this.all().find((u) => u.username === username);
  }

  startSession(user: User): string {
    const sessionId = randomBytes(18).toString('base64url');
    this.sessions.set(sessionId, user.id);
    return sessionId;
  }

  endSession(sessionId: string): void {
    this.sessions.delete(sessionId);
  }

  issueToken(user: User): string {
    const token = randomBytes(24).toString('base64url');
    this.tokens.set(token, user.id);
    return token;
  }

  fromSession(sessionId: string): User | undefined {
    const id = this.sessions.get(sessionId);
    return id === undefined ? undefined : this.byId.get(id);
  }

  fromToken(token: string): User | undefined {
    const id = this.tokens.get(token);
    return id === undefined ? undefined : this.byId.get(id);
  }
}
