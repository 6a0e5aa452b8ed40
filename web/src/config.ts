// The console reads where to sign in and where the API is from /config.json,
// served beside it (by rentroll dev locally, from the bucket in production),
// so one build runs against any deployment.

/** RuntimeConfig is /config.json. */
export interface RuntimeConfig {
  /** The OpenID provider: Auth0's domain, or the local provider's URL with its scheme. */
  domain: string;
  client_id: string;
  audience: string;
  redirect_uri: string;
  /** The API's base URL; empty means the console's own origin. */
  api: string;
}

/** loadConfig fetches and checks /config.json. */
export async function loadConfig(fetchFn: typeof fetch = fetch.bind(globalThis)): Promise<RuntimeConfig> {
  const res = await fetchFn('/config.json', { headers: { Accept: 'application/json' } });
  if (!res.ok) throw new Error(`/config.json answered ${res.status}`);
  const c = (await res.json()) as Partial<RuntimeConfig>;
  const need = (k: 'domain' | 'client_id' | 'audience'): string => {
    const v = c[k];
    if (typeof v !== 'string' || v === '') throw new Error(`/config.json has no ${k}`);
    return v;
  };
  return {
    domain: need('domain'), client_id: need('client_id'), audience: need('audience'),
    redirect_uri: c.redirect_uri || `${window.location.origin}/callback`,
    api: c.api ?? '',
  };
}
