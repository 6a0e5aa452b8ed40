import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Principal } from './api/types';
import { clientAdmin, clientUser, renderAt, superAdmin } from './test/render';

describe('access mirrors the API', () => {
  const cases: [string, Principal, string, string][] = [
    ['a client user on their dashboard', clientUser, '/clients/c1/dashboard', 'Dashboard'],
    ['a client user on another client', clientUser, '/clients/c2/dashboard', 'Not found'],
    ['a client user on admin pages', clientUser, '/admin/clients', 'Not found'],
    ['a client user on users', clientUser, '/clients/c1/users', 'No access'],
    ['a client user on billing', clientUser, '/clients/c1/billing', 'No access'],
    ['a client admin on users', clientAdmin, '/clients/c1/users', 'Users'],
    ['a client admin on admin pages', clientAdmin, '/admin/usage', 'Not found'],
    ['the super admin on any client', superAdmin, '/clients/c2/properties', 'Properties'],
    ['the super admin on admin pages', superAdmin, '/admin/audit', 'Audit trail'],
  ];
  it.each(cases)('%s', async (_name, me, path, heading) => {
    renderAt(path, me);
    expect(await screen.findByRole('heading', { level: 1, name: heading })).toBeInTheDocument();
  });

  it('shows a client user only their sections', async () => {
    renderAt('/clients/c1/dashboard', clientUser);
    await screen.findByRole('heading', { name: 'Dashboard' });
    const nav = screen.getByRole('navigation', { name: 'Sections' });
    expect([...nav.querySelectorAll('a')].map((a) => a.textContent)).toEqual(['Dashboard', 'Properties', 'Uploads']);
    expect(screen.queryByRole('link', { name: 'Admin' })).toBeNull();
  });

  it('sends each role home', async () => {
    const { unmount } = renderAt('/', superAdmin);
    expect(await screen.findByRole('heading', { name: 'Clients' })).toBeInTheDocument();
    unmount();
    renderAt('/', clientUser);
    expect(await screen.findByRole('heading', { name: 'Dashboard' })).toBeInTheDocument();
  });
});
