// Reading a Herald's /metrics as Prometheus would: the text exposition, one
// series a line.
import assert from 'node:assert/strict';

/** Scrapes `baseUrl`/metrics, with the bearer token when one is set; anything but a 200 with text fails the test. */
export async function scrapeMetrics(baseUrl: string, token?: string): Promise<string> {
  const res = await fetch(`${baseUrl}/metrics`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, `/metrics answered ${res.status}`);
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return res.text();
}

/** The value of one series (its name and labels exactly as printed), or undefined when the text has no such line. */
export function seriesValue(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** One series scraped now. */
export async function metricValue(baseUrl: string, series: string, token?: string): Promise<number | undefined> {
  return seriesValue(await scrapeMetrics(baseUrl, token), series);
}
