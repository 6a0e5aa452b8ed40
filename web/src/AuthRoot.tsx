// Sign-in: @auth0/auth0-react against the provider of /config.json. Tokens
// stay in memory and are renewed with refresh tokens (no third-party
// cookies needed); the console never shows or stores a token itself.
//
// A new page (a reload, a link opened in a new tab) starts with an empty
// memory: rather than sending the whole page through the provider and back
// (two page loads), the SDK asks the provider in a hidden frame
// (prompt=none) whether its session is still valid, and gets tokens if so;
// only when it is not does the page go to the sign-in form. Keeping tokens
// in localStorage would skip even that call, but any script that ever ran on
// the page could then read a refresh token that outlives the tab; memory
// keeps them out of reach. Where the browser withholds the provider's
// cookie from the frame (a provider on another site, third-party cookies
// blocked), the frame answers login_required and the page falls back to
// the redirect, as before.
import { Auth0Provider, useAuth0 } from '@auth0/auth0-react';
import { useEffect, useMemo } from 'react';
import { dashboardPath, prefetchDashboard } from './dashboardLoad';
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
      cacheLocation="memory"
      useRefreshTokensFallback
      authorizeTimeoutInSeconds={10}
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
  // The page the browser opened on is most often a dashboard: its calls need
  // only the token, so they start now, alongside the principal, rather than
  // after it and the page's code. (Read once: later navigation is the page's.)
  useEffect(() => {
    const d = dashboardPath(window.location.pathname, window.location.search);
    // The charts' module runs once the calls are out, while their answers are awaited.
    if (d) prefetchDashboard(api, d.cid, d.property, () => void import('./charts'));
  }, [api]);
  if (me.state === 'loading') return <main><Loading what="your account" /></main>;
  if (me.state === 'error') return <main><ErrorState error={me.error} retry={me.reload} /></main>;
  return (
    <SessionProvider value={{ api, me: me.data, signOut }}>
      <App />
    </SessionProvider>
  );
}
