// The console's entry: read /config.json, then sign in through the OpenID
// provider it names (Auth0 in production, the platform's own locally).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { loadConfig } from './config';
import { AuthRoot } from './AuthRoot';
import './styles.css';

const el = document.getElementById('root');
if (!el) throw new Error('index.html has no #root');
const root = createRoot(el);

// Most sessions open on the dashboard: fetch its code while sign-in is under
// way rather than after it. The charts' larger module is started once the
// dashboard's calls are out (AuthRoot), so that running it overlaps the wait
// for the data instead of delaying sign-in or the calls.
void import('./pages/Dashboard');

loadConfig().then(
  (cfg) => root.render(
    <StrictMode>
      <BrowserRouter>
        <AuthRoot cfg={cfg} />
      </BrowserRouter>
    </StrictMode>,
  ),
  (err: unknown) => root.render(
    <main className="state error" role="alert">
      <h1>RentRoll</h1>
      <p>The console could not read its configuration: {err instanceof Error ? err.message : String(err)}.</p>
    </main>,
  ),
);
