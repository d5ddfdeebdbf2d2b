// Calls to the demo back end. Pages send their session cookie; the vendor
// page sends a Bearer token instead.
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: unknown;
  readonly bearerToken?: string | null;
}

export async function api<T>(path: string, options: ApiOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.bearerToken) headers.authorization = `Bearer ${options.bearerToken}`;
  const response = await fetch(path, {
    method: options.method ?? (options.body === undefined ? 'GET' : 'POST'),
    headers,
    body: options.body === undefined ? null : JSON.stringify(options.body),
    credentials: 'same-origin',
  });
  const payload = (await response.json().catch(() => ({}))) as { error?: string };
  if (!response.ok) throw new ApiError(response.status, payload.error ?? response.statusText);
  return payload as T;
}

export interface Me {
  readonly id: string;
  readonly name: string;
  readonly roles: string[];
  readonly vendorId: string | null;
}

/** The logged-in user, or a trip to the login page when there is none. */
export async function requireLogin(): Promise<Me> {
  try {
    return await api<Me>('/api/me');
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) location.assign(`/?next=${encodeURIComponent(location.pathname + location.search)}`);
    throw err;
  }
}
