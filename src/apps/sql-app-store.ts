// The SQL every app store shares; each database supplies a connection and
// the few phrases that differ (placeholders, column types, duplicate-key
// errors).
import type { AppId, AppKey } from '../protocol/types.js';
import type { App } from './app.js';
import { AppConflictError, type AppChanges, type AppRepository, type InvalidAppListener } from './app-repository.js';
import { appToRow, rowToApp, validateStoredApp } from './stored-app.js';

export type SqlRow = Record<string, unknown>;

/** One database, as the stores need it. */
export interface SqlConnection {
  query(sql: string, params: readonly unknown[]): Promise<SqlRow[]>;
  execute(sql: string, params: readonly unknown[]): Promise<void>;
  close(): Promise<void>;
}

export interface SqlDialect {
  /** The placeholder of the n-th parameter (1-based). */
  param(n: number): string;
  /** Statements that create the table (and nothing else) when it is missing. */
  createTable(table: string): string[];
  /** A boolean as the driver binds it. */
  bool(value: boolean): unknown;
  isDuplicateKey(err: unknown): boolean;
  /** Two nodes creating the table at once may see this; the table then exists. */
  isConcurrentCreate(err: unknown): boolean;
}

const COLUMNS = 'id, app_key, secret, enabled, options';

export abstract class SqlAppStore implements AppRepository {
  private readonly onInvalid: InvalidAppListener;

  protected constructor(
    private readonly db: SqlConnection,
    private readonly dialect: SqlDialect,
    /** A plain identifier (checked by the settings), so it can be interpolated. */
    private readonly table: string,
    readonly location: string,
    onInvalid?: InvalidAppListener,
  ) {
    this.onInvalid = onInvalid ?? (() => {});
  }

  async init(): Promise<void> {
    for (const statement of this.dialect.createTable(this.table)) {
      try {
        await this.db.execute(statement, []);
      } catch (err) {
        if (!this.dialect.isConcurrentCreate(err)) throw err;
      }
    }
  }

  async list(): Promise<App[]> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${this.table} ORDER BY id`, []);
    return rows.flatMap((row) => this.parse(row));
  }

  async findById(id: AppId): Promise<App | undefined> {
    return this.findOne('id', id);
  }

  async findByKey(key: AppKey): Promise<App | undefined> {
    return this.findOne('app_key', key);
  }

  async create(input: App): Promise<App> {
    const app = validateStoredApp(input);
    const row = appToRow(app);
    const now = new Date().toISOString();
    const p = (n: number) => this.dialect.param(n);
    try {
      await this.db.execute(
        `INSERT INTO ${this.table} (${COLUMNS}, created_at, updated_at) VALUES (${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}, ${p(7)})`,
        [row.id, row.app_key, row.secret, this.dialect.bool(row.enabled), row.options, now, now],
      );
    } catch (err) {
      if (this.dialect.isDuplicateKey(err)) throw await this.conflict(app);
      throw err;
    }
    return app;
  }

  async update(id: AppId, changes: AppChanges): Promise<App | undefined> {
    const current = await this.findById(id);
    if (!current) return undefined;
    const app = validateStoredApp({ ...current, ...changes, id });
    const row = appToRow(app);
    const p = (n: number) => this.dialect.param(n);
    try {
      await this.db.execute(
        `UPDATE ${this.table} SET app_key = ${p(1)}, secret = ${p(2)}, enabled = ${p(3)}, options = ${p(4)}, updated_at = ${p(5)} WHERE id = ${p(6)}`,
        [row.app_key, row.secret, this.dialect.bool(row.enabled), row.options, new Date().toISOString(), id],
      );
    } catch (err) {
      if (this.dialect.isDuplicateKey(err)) throw new AppConflictError(`another app already has the key '${app.key}'`);
      throw err;
    }
    return app;
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  private async findOne(column: 'id' | 'app_key', value: string): Promise<App | undefined> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM ${this.table} WHERE ${column} = ${this.dialect.param(1)}`, [value]);
    return rows[0] ? this.parse(rows[0])[0] : undefined;
  }

  private parse(row: SqlRow): App[] {
    try {
      return [rowToApp(row)];
    } catch (err) {
      this.onInvalid(String(row.id), (err as Error).message);
      return [];
    }
  }

  private async conflict(app: App): Promise<AppConflictError> {
    if (await this.findById(app.id)) return new AppConflictError(`an app with the id '${app.id}' already exists`);
    return new AppConflictError(`another app already has the key '${app.key}'`);
  }
}
