/**
 * Whether an `Origin` header is allowed by an app's list. Entries are full
 * origins (`https://shop.example`) or host wildcards (`*.example.com`,
 * matching any scheme and port); `*` allows everything.
 */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.length === 0 || allowed.includes('*')) return true;
  // Non-browser clients (server SDKs, desktop agents) send no Origin.
  if (!origin) return true;
  let host: string;
  try {
    host = new URL(origin).hostname;
  } catch {
    return false;
  }
  return allowed.some((entry) => {
    if (entry.startsWith('*.')) {
      const suffix = entry.slice(1);
      return host.endsWith(suffix) && host.length > suffix.length;
    }
    return entry.replace(/\/+$/, '') === origin;
  });
}
