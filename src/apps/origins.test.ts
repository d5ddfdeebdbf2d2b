import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { originAllowed } from './origins.js';

describe('originAllowed', () => {
  test('an empty list or * allows every origin', () => {
    assert.equal(originAllowed('https://anything.example', []), true);
    assert.equal(originAllowed('https://anything.example', ['https://shop.example', '*']), true);
    assert.equal(originAllowed('null', ['*']), true);
  });

  test('a client that sends no Origin (not a browser) is allowed', () => {
    assert.equal(originAllowed(undefined, ['https://shop.example']), true);
    assert.equal(originAllowed('', ['https://shop.example']), true);
  });

  test('a full origin matches exactly: scheme, host and port', () => {
    const allowed = ['https://shop.example', 'http://localhost:3000'];
    assert.equal(originAllowed('https://shop.example', allowed), true);
    assert.equal(originAllowed('http://localhost:3000', allowed), true);
    assert.equal(originAllowed('http://shop.example', allowed), false);
    assert.equal(originAllowed('https://shop.example:8443', allowed), false);
    assert.equal(originAllowed('http://localhost:3001', allowed), false);
    assert.equal(originAllowed('https://www.shop.example', allowed), false);
    assert.equal(originAllowed('https://shop.example.evil.test', allowed), false);
  });

  test('a trailing slash in the list does not matter', () => {
    assert.equal(originAllowed('https://shop.example', ['https://shop.example/']), true);
  });

  test('*.host matches subdomains at any depth, any scheme and port, but not the host itself', () => {
    const allowed = ['*.shop.example'];
    assert.equal(originAllowed('https://a.shop.example', allowed), true);
    assert.equal(originAllowed('http://a.b.shop.example:8080', allowed), true);
    assert.equal(originAllowed('https://shop.example', allowed), false);
    assert.equal(originAllowed('https://evilshop.example', allowed), false);
    assert.equal(originAllowed('https://shop.example.evil.test', allowed), false);
  });

  test('an Origin that is not a URL (sandboxed frames send "null") is refused', () => {
    assert.equal(originAllowed('null', ['https://shop.example', '*.shop.example']), false);
    assert.equal(originAllowed('not a url', ['*.shop.example']), false);
  });
});
