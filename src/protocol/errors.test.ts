import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quoted, SocketErrors } from './errors.js';

test('every error that closes the connection has a close code of its own', () => {
  for (const [name, spec] of Object.entries(SocketErrors)) {
    if (spec.behaviour === 'close') assert.notEqual(spec.code, null, name);
  }
});

test('quoted input is kept whole when short, cut with an ellipsis when long, never inside a character', () => {
  assert.equal(quoted('shop-key'), 'shop-key');
  assert.equal(quoted('x'.repeat(60)), 'x'.repeat(60));
  assert.equal(quoted('x'.repeat(61)), `${'x'.repeat(60)}…`);
  assert.equal(quoted('1'.repeat(100), 20), `${'1'.repeat(20)}…`);
  assert.equal(quoted(`x${'🎉'.repeat(40)}`, 4), 'x🎉…');
  assert.equal(quoted('🎉'.repeat(40), 4), '🎉🎉…');
});
