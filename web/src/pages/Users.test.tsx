import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { FakeApi } from '../test/fakeApi';
import { clientAdmin, renderAt } from '../test/render';

describe('Users', () => {
  it('invites by e-mail and shows the invitation link', async () => {
    const api = new FakeApi();
    api.data.users = [{ sub: 'admin-1', email: 'admin@c1.example', role: 'client_admin', client_id: 'c1', disabled: false, created_at: '', updated_at: '' }];
    renderAt('/clients/c1/users', clientAdmin, api);
    await screen.findByRole('cell', { name: 'admin@c1.example' });
    await userEvent.type(screen.getByLabelText('E-mail'), 'new@c1.example');
    await userEvent.selectOptions(screen.getByLabelText('Role', { selector: 'select' }), 'client_admin');
    await userEvent.click(screen.getByRole('button', { name: 'Invite' }));
    expect(await screen.findByText('Invited new@c1.example as client admin.')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'http://127.0.0.1/invitation?ticket=t' })).toBeInTheDocument();
    expect(api.calls).toContain('inviteUser c1 {"email":"new@c1.example","role":"client_admin"}');
  });

  it('changes a role and disables a user through PATCH', async () => {
    const api = new FakeApi();
    api.data.users = [{ sub: 'u2', email: 'u2@c1.example', role: 'client_user', client_id: 'c1', disabled: false, created_at: '', updated_at: '' }];
    renderAt('/clients/c1/users', clientAdmin, api);
    await userEvent.selectOptions(await screen.findByLabelText('Role of u2@c1.example'), 'client_admin');
    expect(await screen.findByText('u2@c1.example is now client admin.')).toBeInTheDocument();
    await userEvent.click(await screen.findByRole('button', { name: /^Disable/ }));
    expect(await screen.findByText('u2@c1.example is disabled.')).toBeInTheDocument();
    expect(api.calls.filter((c) => c.startsWith('patchUser'))).toEqual([
      'patchUser c1 u2 {"role":"client_admin"}',
      'patchUser c1 u2 {"disabled":true}',
    ]);
  });
});
