// Who may subscribe to which private and presence channel: the back end's
// answer to /broadcasting/auth (what routes/channels.php is in a Laravel app).
// Herald only checks the signature; the decision is made here.
import { hasRole, publicUser, type User } from './domain/users.js';
import type { Invoices } from './domain/invoices.js';

export interface ChannelRule {
  /** Matches the full channel name (with its private-/presence- prefix); named groups are the parameters. */
  readonly pattern: RegExp;
  readonly allows: (user: User, params: Record<string, string>) => boolean;
}

export interface ChannelAccess {
  readonly allowed: boolean;
  /** For presence channels: who the member is, as the other members see it. */
  readonly presence?: { user_id: string; user_info: Record<string, unknown> };
}

export function channelRules(invoices: Invoices): ChannelRule[] {
  const isAdmin = (user: User) => hasRole(user, 'admin');
  const isSelf = (user: User, p: Record<string, string>) => user.id === p.userId;
  return [
    { pattern: /^private-vendor-orders\.(?<vendorId>\d+)$/, allows: (user, p) => user.vendorId === p.vendorId },
    { pattern: /^private-customer-orders\.(?<userId>\d+)$/, allows: isSelf },
    { pattern: /^private-admin-(?:orders|payments|inventory|system)$/, allows: isAdmin },
    { pattern: /^presence-admin-presence$/, allows: isAdmin },
    // Every logged-in user is counted on the admin monitor's "online now".
    { pattern: /^presence-online$/, allows: () => true },
    { pattern: /^private-invoice\.(?<invoiceId>\d+)$/, allows: (user, p) => invoices.get(Number(p.invoiceId))?.userId === user.id },
    { pattern: /^private-user\.(?<userId>\d+)\.invoices$/, allows: isSelf },
    { pattern: /^private-user\.(?<userId>\d+)$/, allows: isSelf },
    { pattern: /^private-print-jobs$/, allows: (user) => hasRole(user, 'printer') },
  ];
}

/** Unknown channels are refused: only what a rule allows is allowed. */
export function channelAccess(rules: readonly ChannelRule[], user: User, channelName: string): ChannelAccess {
  for (const rule of rules) {
    const match = rule.pattern.exec(channelName);
    if (!match) continue;
    if (!rule.allows(user, { ...match.groups })) return { allowed: false };
    if (!channelName.startsWith('presence-')) return { allowed: true };
    return { allowed: true, presence: { user_id: user.id, user_info: publicUser(user) } };
  }
  return { allowed: false };
}
