// The console's routes and frame. Access mirrors the API's rules so a user
// never sees a page the API would refuse: another client's pages answer
// "not found" (the API answers 404 and reveals nothing), pages above the
// user's role answer "no access" (403); the API enforces it regardless.
import { lazy, type ReactNode, Suspense } from 'react';
import { Navigate, NavLink, Outlet, Route, Routes, useParams } from 'react-router';
import { useSession } from './api/context';
import type { Role } from './api/types';
import { Loading } from './components/ui';

const Dashboard = lazy(() => import('./pages/Dashboard'));
const Properties = lazy(() => import('./pages/Properties'));
const Uploads = lazy(() => import('./pages/Uploads'));
const Users = lazy(() => import('./pages/Users'));
const Billing = lazy(() => import('./pages/Billing'));
const Clients = lazy(() => import('./admin/Clients'));
const Onboard = lazy(() => import('./admin/Onboard'));
const UsagePage = lazy(() => import('./admin/Usage'));
const Audit = lazy(() => import('./admin/Audit'));
const Status = lazy(() => import('./admin/Status'));

/** The console's client-side paths; the platform serves index.html for each. */
export const clientPages = ['dashboard', 'properties', 'uploads', 'users', 'billing'] as const;

/** App is everything behind sign-in. */
export function App() {
  return (
    <Routes>
      <Route path="/" element={<Home />} />
      <Route path="/callback" element={<Home />} />
      <Route path="/clients/:cid" element={<ClientFrame />}>
        <Route index element={<Navigate to="dashboard" replace />} />
        <Route path="dashboard" element={<Page><Dashboard /></Page>} />
        <Route path="properties" element={<Page><Properties /></Page>} />
        <Route path="uploads" element={<Page><Uploads /></Page>} />
        <Route path="users" element={<Page role="client_admin"><Users /></Page>} />
        <Route path="billing" element={<Page role="client_admin"><Billing /></Page>} />
      </Route>
      <Route path="/admin" element={<AdminFrame />}>
        <Route index element={<Navigate to="clients" replace />} />
        <Route path="clients" element={<Page><Clients /></Page>} />
        <Route path="onboard" element={<Page><Onboard /></Page>} />
        <Route path="usage" element={<Page><UsagePage /></Page>} />
        <Route path="audit" element={<Page><Audit /></Page>} />
        <Route path="status" element={<Page><Status /></Page>} />
      </Route>
      <Route path="*" element={<Frame><NotFound /></Frame>} />
    </Routes>
  );
}

/** Home sends each role to where it starts. */
function Home() {
  const { me } = useSession();
  if (me.role === 'super_admin') return <Navigate to="/admin/clients" replace />;
  if (!me.client_id) return <Frame><p className="state">Your account belongs to no client yet. Ask your administrator for an invitation.</p></Frame>;
  return <Navigate to={`/clients/${encodeURIComponent(me.client_id)}/dashboard`} replace />;
}

const rank: Record<Role, number> = { client_user: 0, client_admin: 1, super_admin: 2 };

/** allowed reports whether the principal's role reaches at least role. */
export function allowed(have: Role, need: Role): boolean {
  return rank[have] >= rank[need];
}

function Page({ role, children }: { role?: Role; children: ReactNode }) {
  const { me } = useSession();
  if (role && !allowed(me.role, role)) return <Forbidden />;
  return <Suspense fallback={<Loading what="the page" />}>{children}</Suspense>;
}

function Forbidden() {
  return (
    <div className="state error" role="alert">
      <h1>No access</h1>
      <p>Your role does not include this page. Ask your client administrator if you need it.</p>
    </div>
  );
}

function NotFound() {
  return (
    <div className="state">
      <h1>Not found</h1>
      <p>There is no such page, or it is not yours to see. <NavLink to="/">Go to your dashboard</NavLink>.</p>
    </div>
  );
}

function ClientFrame() {
  const { me } = useSession();
  const { cid = '' } = useParams();
  // Another client's pages do not exist for this user, as in the API.
  if (me.role !== 'super_admin' && me.client_id !== cid) return <Frame><NotFound /></Frame>;
  const base = `/clients/${encodeURIComponent(cid)}`;
  const links: [string, string, Role][] = [
    ['dashboard', 'Dashboard', 'client_user'], ['properties', 'Properties', 'client_user'],
    ['uploads', 'Uploads', 'client_user'], ['users', 'Users', 'client_admin'], ['billing', 'Billing', 'client_admin'],
  ];
  return (
    <Frame context={me.role === 'super_admin' ? <span className="context">Client <strong>{cid}</strong></span> : undefined}
      nav={links.filter(([, , r]) => allowed(me.role, r)).map(([p, label]) => <NavLink key={p} to={`${base}/${p}`}>{label}</NavLink>)} />
  );
}

function AdminFrame() {
  const { me } = useSession();
  if (me.role !== 'super_admin') return <Frame><NotFound /></Frame>;
  const links: [string, string][] = [['clients', 'Clients'], ['onboard', 'Onboard a client'], ['usage', 'Usage & billing'], ['audit', 'Audit trail'], ['status', 'System status']];
  return <Frame nav={links.map(([p, label]) => <NavLink key={p} to={`/admin/${p}`}>{label}</NavLink>)} />;
}

/** Frame is the header, navigation and main landmark of every page. */
function Frame({ nav, context, children }: { nav?: ReactNode; context?: ReactNode; children?: ReactNode }) {
  const { me, signOut } = useSession();
  return (
    <>
      <a className="skip" href="#main">Skip to content</a>
      <header className="top">
        <NavLink to="/" className="brand">RentRoll</NavLink>
        {me.role === 'super_admin' && <NavLink to="/admin/clients" className="admin-link">Admin</NavLink>}
        {context}
        <span className="who">
          <span className="visually-hidden">Signed in as </span>{me.email ?? me.sub} · {me.role.replace('_', ' ')}
        </span>
        <button type="button" className="secondary" onClick={signOut}>Sign out</button>
      </header>
      {nav && <nav className="tabs" aria-label="Sections">{nav}</nav>}
      <main id="main">{children ?? <Outlet />}</main>
    </>
  );
}
