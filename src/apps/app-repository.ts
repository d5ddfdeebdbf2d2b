import type { AppId } from '../protocol/types.js';
import type { App } from './app.js';
import type { AppStore } from './app-store.js';

/** What `herald apps update` may change: anything but the id (the key and secret included). */
export type AppChanges = Partial<Omit<App, 'id'>>;

/**
 * A store apps can be written to (SQLite, PostgreSQL, MySQL): what
 * `herald apps` manages. Running nodes read it through a CachedAppStore.
 */
export interface AppRepository extends AppStore {
  /** Where the apps are, for messages; never includes a password. */
  readonly location: string;
  /** Creates the table when it is missing. */
  init(): Promise<void>;
  /** Adds an app; an AppConflictError when its id or key is taken. */
  create(app: App): Promise<App>;
  /** Applies `changes` to an app; undefined when there is no such app. */
  update(id: AppId, changes: AppChanges): Promise<App | undefined>;
  close(): Promise<void>;
}

/** Another app already has this id or key. */
export class AppConflictError extends Error {}

/** An app that breaks the rules of the app schema (a limit below 1, an id too long for the store). */
export class InvalidAppError extends Error {}

/** A stored app that does not pass validation (edited by hand, say): skipped with a message, never served half-valid. */
export type InvalidAppListener = (id: string, problem: string) => void;
