import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'libsql';
import type { AppId } from '../protocol/types.js';
import type { QueuedJob, RecordedBatch, RecordedEvent, WebhookJob, WebhookQueue } from './queue.js';

interface JobRow {
  id: number;
  app_id: string;
  url: string;
  body: string;
  event_names: string;
  attempts: number;
  created_at: number;
}

interface EventRow {
  id: number;
  app_id: string;
  event: string;
  recorded_at: number;
}

/**
 * The embedded queue: a SQLite file in the data directory. WAL with
 * synchronous=NORMAL survives a killed process (each commit is written to
 * the WAL file before it returns, so the OS has it; only a power loss can
 * take the last commits). Every recorded event is its own commit, made
 * before `record` returns (about 10 µs); a batch becomes its requests in
 * one transaction. One process owns the file, so there is no one to race
 * with. SQLite's automatic checkpoint (two fsyncs) falls on about one write
 * in a thousand: checkpointing from a worker thread instead was tried, but a
 * PASSIVE checkpoint cannot restart a WAL written to all the time, and the
 * WAL grew without end.
 */
export class SqliteWebhookQueue implements WebhookQueue {
  private readonly db: Database.Database;
  private readonly statements;

  constructor(path: string) {
    mkdirSync(dirname(path), { recursive: true });
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`CREATE TABLE IF NOT EXISTS webhook_jobs (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      app_id TEXT NOT NULL,
      url TEXT NOT NULL,
      body TEXT NOT NULL,
      event_names TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0,
      created_at INTEGER NOT NULL,
      due_at INTEGER NOT NULL,
      leased INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS webhook_jobs_due ON webhook_jobs (due_at);
    -- No AUTOINCREMENT: it would write sqlite_sequence at every event. Ids
    -- only need to grow while rows exist, which a plain rowid does.
    CREATE TABLE IF NOT EXISTS webhook_events (
      id INTEGER PRIMARY KEY,
      app_id TEXT NOT NULL,
      event TEXT NOT NULL,
      recorded_at INTEGER NOT NULL
    )`);
    // The file belongs to this process now: a lease left by one that died is over.
    this.db.prepare('UPDATE webhook_jobs SET leased = 0, due_at = ? WHERE leased = 1').run(Date.now());
    this.statements = {
      record: this.db.prepare('INSERT INTO webhook_events (app_id, event, recorded_at) VALUES (?, ?, ?)'),
      oldest: this.db.prepare<[number]>('SELECT id, app_id, event, recorded_at FROM webhook_events ORDER BY id LIMIT ?'),
      firstEvent: this.db.prepare<[]>('SELECT MIN(id) AS id FROM webhook_events'),
      forget: this.db.prepare('DELETE FROM webhook_events WHERE id <= ?'),
      insert: this.db.prepare('INSERT INTO webhook_jobs (app_id, url, body, event_names, created_at, due_at) VALUES (?, ?, ?, ?, ?, ?)'),
      due: this.db.prepare<[number, number]>(
        'SELECT id, app_id, url, body, event_names, attempts, created_at FROM webhook_jobs WHERE due_at <= ? ORDER BY due_at, id LIMIT ?',
      ),
      lease: this.db.prepare('UPDATE webhook_jobs SET leased = 1, due_at = ? WHERE id = ?'),
      remove: this.db.prepare('DELETE FROM webhook_jobs WHERE id = ?'),
      retry: this.db.prepare('UPDATE webhook_jobs SET leased = 0, attempts = attempts + 1, due_at = ? WHERE id = ?'),
      count: this.db.prepare<[]>('SELECT COUNT(*) AS n FROM webhook_jobs'),
    };
  }

  record(appId: AppId, event: RecordedEvent): void {
    this.statements.record.run(appId, JSON.stringify(event), Date.now());
  }

  async recorded(max: number, minAgeMs: number): Promise<RecordedBatch | null> {
    const rows = this.statements.oldest.all(max) as EventRow[];
    const first = rows[0];
    const last = rows[rows.length - 1];
    if (!first || !last || Date.now() - first.recorded_at < minAgeMs) return null;
    return {
      events: rows.map((row) => ({ appId: row.app_id, event: JSON.parse(row.event) as RecordedEvent })),
      first: String(first.id),
      last: String(last.id),
    };
  }

  async enqueueBatch(batch: RecordedBatch, jobs: readonly WebhookJob[]): Promise<boolean> {
    const now = Date.now();
    return this.db.transaction(() => {
      const head = this.statements.firstEvent.get() as { id: number | null } | undefined;
      if (head?.id !== Number(batch.first)) return false;
      for (const job of jobs) this.statements.insert.run(job.appId, job.url, job.body, JSON.stringify(job.eventNames), now, now);
      this.statements.forget.run(Number(batch.last));
      return true;
    })();
  }

  async claim(max: number, leaseMs: number): Promise<QueuedJob[]> {
    const now = Date.now();
    return this.db.transaction(() => {
      const rows = this.statements.due.all(now, max) as JobRow[];
      for (const row of rows) this.statements.lease.run(now + leaseMs, row.id);
      return rows.map(toJob);
    })();
  }

  async complete(id: string): Promise<void> {
    this.statements.remove.run(Number(id));
  }

  async retryLater(id: string, delayMs: number): Promise<void> {
    this.statements.retry.run(Date.now() + delayMs, Number(id));
  }

  async depth(): Promise<number> {
    return (this.statements.count.get() as { n: number } | undefined)?.n ?? 0;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

function toJob(row: JobRow): QueuedJob {
  return {
    id: String(row.id),
    appId: row.app_id,
    url: row.url,
    body: row.body,
    eventNames: JSON.parse(row.event_names) as string[],
    attempts: row.attempts,
    createdAt: row.created_at,
  };
}
