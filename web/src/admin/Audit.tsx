// Super admin: the audit trail, optionally for one client, page by page.
import { useState } from 'react';
import { useLoad, useSession } from '../api/context';
import type { AuditEntry } from '../api/types';
import { DataTable, EmptyState, ErrorState, Loading } from '../components/ui';
import { dateTime } from '../format';

/** Audit lists who did what, newest first. */
export default function Audit() {
  const { api } = useSession();
  const [client, setClient] = useState('');
  const [applied, setApplied] = useState('');
  const [token, setToken] = useState<string | undefined>(undefined);
  const entries = useLoad(() => api.audit({ client_id: applied, limit: 100, page_token: token }), [api, applied, token]);
  return (
    <>
      <h1>Audit trail</h1>
      <form className="card form-row" onSubmit={(e) => { e.preventDefault(); setToken(undefined); setApplied(client.trim()); }}>
        <label>Client id <input value={client} maxLength={64} onChange={(e) => setClient(e.target.value)} placeholder="all clients" /></label>
        <button type="submit">Filter</button>
      </form>
      {entries.state === 'loading' && <Loading what="the audit trail" />}
      {entries.state === 'error' && <ErrorState error={entries.error} retry={entries.reload} />}
      {entries.state === 'ok' && entries.data.entries.length === 0 && <EmptyState>No entries.</EmptyState>}
      {entries.state === 'ok' && entries.data.entries.length > 0 && (
        <>
          <DataTable<AuditEntry> caption="Audit entries" filename="audit.csv" rows={entries.data.entries} rowKey={(e, i) => `${e.request_id}-${i}`}
            columns={[
              { header: 'Time', cell: (e) => dateTime(e.time), csv: (e) => e.time },
              { header: 'Actor', cell: (e) => e.actor_sub, csv: (e) => e.actor_sub },
              { header: 'Role', cell: (e) => e.actor_role, csv: (e) => e.actor_role },
              { header: 'Client', cell: (e) => e.client_id ?? '—', csv: (e) => e.client_id },
              { header: 'Action', cell: (e) => e.action, csv: (e) => e.action },
              { header: 'Resource', cell: (e) => <code>{e.resource}</code>, csv: (e) => e.resource },
              { header: 'Outcome', cell: (e) => <span className={`badge ${e.outcome}`}>{e.outcome} {e.status}</span>, csv: (e) => e.outcome },
            ]} />
          {entries.data.next_page_token && <button type="button" className="secondary" onClick={() => setToken(entries.data.next_page_token)}>Older entries</button>}
        </>
      )}
    </>
  );
}
