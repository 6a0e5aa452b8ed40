// Renders the console's routes at a path with a fake API and a principal.
import { render } from '@testing-library/react';
import { MemoryRouter } from 'react-router';
import { SessionProvider } from '../api/context';
import type { Principal } from '../api/types';
import { App } from '../App';
import { FakeApi } from './fakeApi';

export function renderAt(path: string, me: Principal, api = new FakeApi()) {
  const r = render(
    <SessionProvider value={{ api, me, signOut: () => {} }}>
      <MemoryRouter initialEntries={[path]}>
        <App />
      </MemoryRouter>
    </SessionProvider>,
  );
  return { ...r, api };
}

export const clientAdmin: Principal = { sub: 'admin-1', role: 'client_admin', client_id: 'c1', email: 'admin@c1.example' };
export const clientUser: Principal = { sub: 'user-1', role: 'client_user', client_id: 'c1', email: 'user@c1.example' };
export const superAdmin: Principal = { sub: 'root', role: 'super_admin', client_id: '' };
