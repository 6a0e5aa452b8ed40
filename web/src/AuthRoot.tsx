// Sign-in: @auth0/auth0-react against the provider of /config.json. Tokens
// stay in memory and are renewed with refresh tokens (no third-party
// cookies needed); the console never shows or stores a token itself.
import { Auth0Provider, useAuth0 } from '@auth0/auth0-react';
import { useEffect, useMemo } from 'react';
import { useLocation, useNavigate } from 'react-router';
import { HttpApi } from './api/client';
import { SessionProvider, useLoad } from './api/context';
import { App } from './App';
import { ErrorState, Loading } from './components/ui';
import type { RuntimeConfig } from './config';

/** AuthRoot wraps the app in the provider's session. */
export function AuthRoot({ cfg }: { cfg: RuntimeConfig }) {
  const navigate = useNavigate();
  return (
    <Auth0Provider
      domain={cfg.domain}
      clientId={cfg.client_id}
      authorizationParams={{ audience: cfg.audience, redirect_uri: cfg.redirect_uri, scope: 'openid profile email offline_access' }}
      useRefreshTokens
      onRedirectCallback={(state) => navigate((state?.returnTo as string | undefined) ?? '/', { replace: true })}
    >
      <Gate cfg={cfg} />
    </Auth0Provider>
  );
}

function Gate({ cfg }: { cfg: RuntimeConfig }) {
  const { isLoading, isAuthenticated, error, loginWithRedirect, getAccessTokenSilently, logout } = useAuth0();
  const location = useLocation();
  const onCallback = location.pathname === '/callback';
  useEffect(() => {
    if (!isLoading && !isAuthenticated && !error && !onCallback) {
      void loginWithRedirect({ appState: { returnTo: location.pathname + location.search } });
    }
  }, [isLoading, isAuthenticated, error, onCallback, loginWithRedirect, location.pathname, location.search]);
  const api = useMemo(() => new HttpApi(cfg.api || window.location.origin, async () => (await getAccessTokenSilently()) ?? ''), [cfg.api, getAccessTokenSilently]);
  if (error) {
    return (
      <main className="state error" role="alert">
        <h1>RentRoll</h1>
        <p>Sign-in failed: {error.message}</p>
        <button type="button" onClick={() => void loginWithRedirect()}>Sign in again</button>
      </main>
    );
  }
  if (isLoading || !isAuthenticated) return <main><Loading what="your session" /></main>;
  return <Signed api={api} signOut={() => void logout({ logoutParams: { returnTo: window.location.origin } })} />;
}

function Signed({ api, signOut }: { api: HttpApi; signOut: () => void }) {
  const me = useLoad(() => api.me(), [api]);
  if (me.state === 'loading') return <main><Loading what="your account" /></main>;
  if (me.state === 'error') return <main><ErrorState error={me.error} retry={me.reload} /></main>;
  return (
    <SessionProvider value={{ api, me: me.data, signOut }}>
      <App />
    </SessionProvider>
  );
}
