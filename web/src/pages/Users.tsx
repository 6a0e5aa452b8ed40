// A client's users (client admins and the super admin): invite by e-mail,
// change a role, disable or re-enable (sign-in is blocked at the provider
// too), remove. A client admin cannot grant super_admin; the API enforces it too.
import { type FormEvent, useState } from 'react';
import { useParams } from 'react-router';
import { ApiError } from '../api/client';
import { useLoad, useSession } from '../api/context';
import type { Invitation, Role, User } from '../api/types';
import { DataTable, ErrorState, Loading } from '../components/ui';
import { dateTime } from '../format';

const roles: Role[] = ['client_user', 'client_admin'];

/** Users manages who can use the client's data. */
export default function Users() {
  const { api, me } = useSession();
  const { cid = '' } = useParams();
  const users = useLoad(() => api.users(cid), [api, cid]);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('client_user');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<{ ok: boolean; text: string; invitation?: Invitation } | null>(null);

  async function act(what: () => Promise<unknown>, done: (r: unknown) => { text: string; invitation?: Invitation }) {
    setBusy(true);
    setNotice(null);
    try {
      const r = await what();
      setNotice({ ok: true, ...done(r) });
      users.reload();
    } catch (e) {
      setNotice({ ok: false, text: e instanceof ApiError ? e.message : 'The request failed.' });
    } finally {
      setBusy(false);
    }
  }

  function invite(e: FormEvent) {
    e.preventDefault();
    const to = email.trim();
    void act(() => api.inviteUser(cid, { email: to, role }), (r) => {
      setEmail('');
      const inv = (r as { invitation?: Invitation }).invitation;
      return { text: `Invited ${to} as ${role.replace('_', ' ')}.`, invitation: inv };
    });
  }

  return (
    <>
      <h1>Users</h1>
      <form className="card form-row" onSubmit={invite} aria-label="Invite a user">
        <label>E-mail <input type="email" required maxLength={254} value={email} onChange={(e) => setEmail(e.target.value)} autoComplete="off" /></label>
        <label>Role
          <select value={role} onChange={(e) => setRole(e.target.value as Role)}>
            {roles.map((r) => <option key={r} value={r}>{r.replace('_', ' ')}</option>)}
          </select>
        </label>
        <button type="submit" disabled={busy}>Invite</button>
      </form>
      {notice && (
        <div className={notice.ok ? 'notice ok' : 'notice error'} role={notice.ok ? 'status' : 'alert'}>
          <p>{notice.text}</p>
          {notice.invitation && (
            <p>Invitation link (also sent by e-mail), valid until {dateTime(notice.invitation.expires_at)}:{' '}
              <a className="invitation" href={notice.invitation.url}>{notice.invitation.url}</a></p>
          )}
        </div>
      )}
      {users.state === 'loading' && <Loading what="users" />}
      {users.state === 'error' && <ErrorState error={users.error} retry={users.reload} />}
      {users.state === 'ok' && (
        <DataTable<User> caption="Users" filename={`users-${cid}.csv`} rows={users.data.users} rowKey={(u) => u.sub}
          columns={[
            { header: 'E-mail', cell: (u) => u.email || u.sub, csv: (u) => u.email },
            { header: 'Role', csv: (u) => u.role, cell: (u) => u.sub === me.sub || u.role === 'super_admin' ? u.role.replace('_', ' ') : (
              <select aria-label={`Role of ${u.email || u.sub}`} value={u.role} disabled={busy}
                onChange={(e) => { const r = e.target.value as Role; void act(() => api.patchUser(cid, u.sub, { role: r }), () => ({ text: `${u.email} is now ${r.replace('_', ' ')}.` })); }}>
                {roles.map((r) => <option key={r} value={r}>{r.replace('_', ' ')}</option>)}
              </select>
            ) },
            { header: 'Status', cell: (u) => (u.disabled ? 'disabled' : 'active'), csv: (u) => (u.disabled ? 'disabled' : 'active') },
            { header: 'Added', cell: (u) => dateTime(u.created_at), csv: (u) => u.created_at },
            { header: 'Actions', csv: () => '', cell: (u) => u.sub === me.sub ? null : (<>
              <button type="button" className="secondary" disabled={busy}
                onClick={() => void act(() => api.patchUser(cid, u.sub, { disabled: !u.disabled }), () => ({ text: `${u.email || u.sub} is ${u.disabled ? 'enabled' : 'disabled'}.` }))}>
                {u.disabled ? 'Enable' : 'Disable'}<span className="visually-hidden"> {u.email || u.sub}</span>
              </button>{' '}
              <button type="button" className="danger" disabled={busy}
                onClick={() => { if (window.confirm(`Remove ${u.email || u.sub}? They lose access at once.`)) void act(() => api.removeUser(cid, u.sub), () => ({ text: `Removed ${u.email || u.sub}.` })); }}>
                Remove<span className="visually-hidden"> {u.email || u.sub}</span>
              </button>
            </>) },
          ]} />
      )}
    </>
  );
}
