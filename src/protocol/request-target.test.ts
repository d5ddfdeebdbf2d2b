import assert from 'node:assert/strict';
import { test } from 'node:test';
import { splitTarget } from './request-target.js';

test('a target without a query has an empty one', () => {
  const { pathname, query } = splitTarget('/app/key');
  assert.equal(pathname, '/app/key');
  assert.equal([...query].length, 0);
});

test('the query is split off and decoded; the path stays as the client wrote it', () => {
  const { pathname, query } = splitTarget('/apps/1/channels/private-a%2Cb?info=user_count&filter_by_prefix=presence-&x=a%20b&y=1?2');
  assert.equal(pathname, '/apps/1/channels/private-a%2Cb');
  assert.equal(query.get('info'), 'user_count');
  assert.equal(query.get('filter_by_prefix'), 'presence-');
  assert.equal(query.get('x'), 'a b');
  assert.equal(query.get('y'), '1?2');
});
