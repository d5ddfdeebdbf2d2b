// The container image's HEALTHCHECK: exits 0 when Herald's /health answers
// 200 on this machine, 1 otherwise. It reads the port, listen address and TLS
// settings from the same environment Herald does (a config file's `port` or
// `host` is not read: set HERALD_PORT / HERALD_HOST when they differ).
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import process from 'node:process';

const port = Number(process.env.HERALD_PORT ?? 6001);
const listen = process.env.HERALD_HOST ?? '0.0.0.0';
// A wildcard address listens on loopback too; a specific one must be asked by its address.
const host = listen === '0.0.0.0' || listen === '::' ? '127.0.0.1' : listen;
const tls = Boolean(process.env.HERALD_TLS_CERT && process.env.HERALD_TLS_KEY);
// With TLS the certificate names the public host, not 127.0.0.1: only liveness is checked here.
const get = tls ? httpsGet : httpGet;

const request = get({ host, port, path: '/health', timeout: 2000, rejectUnauthorized: false }, (res) => {
  res.resume();
  process.exit(res.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', (err) => {
  process.stderr.write(`health check failed: ${err.message}\n`);
  process.exit(1);
});
