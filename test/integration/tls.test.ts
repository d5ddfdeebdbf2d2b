// wss:// and https:// from certificate and key files: a self-signed
// certificate made for the test, pusher-js with forceTLS, the SDK with useTLS.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSettings, SettingsError } from '../../src/config/settings.js';
import { startHerald } from '../helpers/herald.js';
import { connected, nextEvent, subscribed } from '../helpers/wait.js';

// The certificate is self-signed: this test process trusts it by not checking (it is what it just made).
process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';

function selfSignedCertificate(): { dir: string; certFile: string; keyFile: string } {
  const dir = mkdtempSync(join(tmpdir(), 'herald-tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { dir, certFile, keyFile };
}

test('pusher-js with forceTLS connects over wss and the SDK triggers over https', async (t) => {
  const { dir, certFile, keyFile } = selfSignedCertificate();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const h = await startHerald({ overrides: { tls: { certFile, keyFile } } });
  t.after(() => h.close());

  const client = h.client(t, { forceTLS: true, wssPort: h.port, enabledTransports: ['ws'] });
  await connected(client);
  const orders = await subscribed(client, 'orders');
  const got = nextEvent<{ id: number }>(orders, 'created');
  await h.sdk({ useTLS: true }).trigger('orders', 'created', { id: 7 });
  assert.deepEqual(await got, { id: 7 });

  const health = await fetch(`https://127.0.0.1:${h.port}/health`);
  assert.equal(health.status, 200);
  // Plain HTTP to the TLS port is not served.
  await assert.rejects(fetch(`http://127.0.0.1:${h.port}/health`));
});

test('a certificate without its key, or a file that cannot be read, stops the start', () => {
  assert.throws(() => loadSettings({ env: { HERALD_TLS_CERT: '/nonexistent/cert.pem' } }), SettingsError);
  assert.throws(() => loadSettings({ env: { HERALD_TLS_CERT: '/nonexistent/cert.pem', HERALD_TLS_KEY: '/nonexistent/key.pem' } }), /cannot read the certificate/);
});

