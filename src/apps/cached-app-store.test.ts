import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { App } from './app.js';
import { CachedAppStore, type AppChange } from './cached-app-store.js';
import { testApp } from '../../test/helpers/apps.js';


/** A store whose apps the test sets, counting how often it is read; it fails while `down` is set. */
class FakeSource {
  apps: App[] = [];
  reads = 0;
  down = false;
  async list(): Promise<App[]> {
    this.reads++;
    if (this.down) throw new Error('database unreachable');
    return this.apps;
  }
}

// A TTL no test waits for: refreshes are triggered by hand or by a miss.
const LONG_TTL = 60_000;

describe('CachedAppStore', () => {
  test('answers known apps from memory, without reading the store', async () => {
    const source = new FakeSource();
    source.apps = [testApp('a')];
    const cache = new CachedAppStore(source, { ttlMs: LONG_TTL });
    await cache.start();
    for (let i = 0; i < 5; i++) assert.equal((await cache.findByKey('a-key'))?.id, 'a');
    assert.equal((await cache.findById('a'))?.key, 'a-key');
    assert.equal(source.reads, 1);
    cache.stop();
  });

  test('an unknown key reads the store again at once, but at most once per interval', async () => {
    const source = new FakeSource();
    const cache = new CachedAppStore(source, { ttlMs: LONG_TTL, missRefreshIntervalMs: 0 });
    await cache.start();
    source.apps = [testApp('new')];
    assert.equal((await cache.findByKey('new-key'))?.id, 'new');

    const throttled = new CachedAppStore(source, { ttlMs: LONG_TTL, missRefreshIntervalMs: LONG_TTL });
    await throttled.start();
    const reads = source.reads;
    for (let i = 0; i < 10; i++) assert.equal(await throttled.findByKey(`made-up-${i}`), undefined);
    assert.equal(source.reads, reads, 'made-up keys do not each cost a query');
    cache.stop();
    throttled.stop();
  });

  test('reports changed, disabled and removed apps at a refresh, and not unchanged ones', async () => {
    const source = new FakeSource();
    source.apps = [testApp('same'), testApp('limits'), testApp('off'), testApp('gone')];
    const cache = new CachedAppStore(source, { ttlMs: LONG_TTL });
    await cache.start();
    const changes: AppChange[] = [];
    cache.onChange((c) => changes.push(c));
    source.apps = [testApp('same'), testApp('limits', { maxConnections: 5 }), testApp('off', { enabled: false })];
    await cache.refresh();
    assert.deepEqual(
      changes.map((c) => [c.previous.id, c.current?.maxConnections, c.current?.enabled]),
      [
        ['limits', 5, true],
        ['off', null, false],
        ['gone', undefined, undefined],
      ],
    );
    cache.stop();
  });

  test('a failing store leaves the last apps in service and is reported once per outage', async () => {
    const source = new FakeSource();
    source.apps = [testApp('a')];
    const errors: unknown[] = [];
    let recovered = 0;
    const cache = new CachedAppStore(source, { ttlMs: LONG_TTL, onRefreshError: (e) => errors.push(e), onRefreshRecovered: () => recovered++ });
    await cache.start();
    source.down = true;
    await cache.refresh();
    await cache.refresh();
    assert.equal((await cache.findByKey('a-key'))?.id, 'a');
    assert.equal(errors.length, 1);
    source.down = false;
    source.apps = [testApp('a'), testApp('b')];
    await cache.refresh();
    assert.equal(recovered, 1);
    assert.equal((await cache.findByKey('b-key'))?.id, 'b');
    cache.stop();
  });

  test('refreshes by itself every TTL', async () => {
    const source = new FakeSource();
    const cache = new CachedAppStore(source, { ttlMs: 20, missRefreshIntervalMs: LONG_TTL });
    await cache.start();
    source.apps = [testApp('later')];
    const deadline = Date.now() + 3000;
    while (!(await cache.list()).length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual((await cache.list()).map((a) => a.id), ['later']);
    cache.stop();
  });

  test('start fails when the store cannot be read', async () => {
    const source = new FakeSource();
    source.down = true;
    await assert.rejects(new CachedAppStore(source, { ttlMs: LONG_TTL }).start(), /database unreachable/);
  });
});
