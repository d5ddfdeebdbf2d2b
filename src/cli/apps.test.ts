import assert from 'node:assert/strict';
import { test } from 'node:test';
import { appOptionsShape } from '../apps/app-schema.js';
import { APPS_USAGE } from './apps.js';

// Webhook targets are structured (a URL and its events): they are set in the config file or the store, not by a flag.
const WITHOUT_FLAG = new Set(['webhooks']);

test('every app option has a `herald apps` flag, listed in the usage', () => {
  for (const option of Object.keys(appOptionsShape)) {
    if (WITHOUT_FLAG.has(option)) continue;
    const flag = `--${option.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    assert.match(APPS_USAGE, new RegExp(`${flag} `), `${option} has no ${flag}`);
  }
});
