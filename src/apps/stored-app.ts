// How an app is laid out in a database table: the credentials and `enabled`
// as columns an operator can query, the other switches and limits as one JSON
// column, so that a new limit needs no schema migration (rows written before
// it get its default).
import { z } from 'zod';
import type { App } from './app.js';
import { InvalidAppError } from './app-repository.js';
import { appOptionsShape } from './app-schema.js';

/** Longest id and key: what every store can index (MySQL's utf8mb4 index limit). */
export const STORED_ID_MAX_LENGTH = 191;

const storedAppSchema = z.object({
  id: z.string().min(1).max(STORED_ID_MAX_LENGTH),
  key: z.string().min(1).max(STORED_ID_MAX_LENGTH),
  secret: z.string().min(1).max(255),
  ...appOptionsShape,
});

export interface AppRow {
  readonly id: string;
  readonly app_key: string;
  readonly secret: string;
  readonly enabled: boolean;
  /** JSON of every other option. */
  readonly options: string;
}

/** Validates an app for storing; throws with every problem named. */
export function validateStoredApp(app: unknown): App {
  const result = storedAppSchema.safeParse(app);
  if (!result.success) throw new InvalidAppError(describeIssues(result.error));
  return result.data;
}

export function appToRow(app: App): AppRow {
  const { id, key, secret, enabled, ...options } = app;
  return { id, app_key: key, secret, enabled, options: JSON.stringify(options) };
}

/** A row as read back; the drivers' types for booleans differ (true, 1, '1'). */
export function rowToApp(row: Record<string, unknown>): App {
  let options: unknown;
  try {
    options = JSON.parse(String(row.options ?? '{}'));
  } catch {
    throw new Error('its options column is not valid JSON');
  }
  if (typeof options !== 'object' || options === null || Array.isArray(options)) throw new Error('its options column is not a JSON object');
  const enabled = row.enabled === true || row.enabled === 1 || row.enabled === '1' || row.enabled === 't';
  return validateStoredApp({ ...options, id: row.id, key: row.app_key, secret: row.secret, enabled });
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') + ': ' : ''}${i.message}`).join('; ');
}
