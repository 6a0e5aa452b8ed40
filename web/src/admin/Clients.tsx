// Super admin: every client with its figures; open a client's pages,
// suspend or reactivate it.
import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../api/client';
import { useLoad, useSession } from '../api/context';
import type { AllClients } from '../api/types';
import { DataTable, EmptyState, ErrorState, Loading, Tile } from '../components/ui';
import { count, dateTime, money, percent } from '../format';

type Row = AllClients['clients'][number];

/** Clients is the super admin's client list. */
export default function Clients() {
  const { api } = useSession();
  const all = useLoad(() => api.adminSummary(), [api]);
  const [msg, setMsg] = useState<string | null>(null);
  async function toggle(r: Row) {
    const status = r.status === 'suspended' ? 'active' : 'suspended';
    if (status === 'suspended' && !window.confirm(`Suspend ${r.name}? Its users lose access and its uploads stop.`)) return;
    try {
      await api.patchClient(r.client_id, { status });
      setMsg(`${r.name} is now ${status}.`);
      all.reload();
    } catch (e) {
      setMsg(e instanceof ApiError ? e.message : 'The change failed.');
    }
  }
  return (
    <>
      <div className="page-head">
        <h1>Clients</h1>
        <Link className="button" to="/admin/onboard">Onboard a client</Link>
      </div>
      {msg && <p className="notice" role="status">{msg}</p>}
      {all.state === 'loading' && <Loading what="clients" />}
      {all.state === 'error' && <ErrorState error={all.error} retry={all.reload} />}
      {all.state === 'ok' && (
        <>
          <section className="tiles" aria-label="All clients">
            <Tile label="Clients" value={count(all.data.totals.clients)} />
            <Tile label="Units" value={count(all.data.totals.units)} />
            <Tile label="Occupancy" value={percent(all.data.totals.physical_occupancy)} />
            <Tile label="Gross potential rent" value={money(all.data.totals.gpr)} />
            <Tile label="Uploads this month" value={count(all.data.totals.uploads_this_month)} />
          </section>
          {all.data.clients.length === 0 ? <EmptyState>No client yet: onboard the first one.</EmptyState> : (
            <DataTable<Row> caption="Clients" filename="clients.csv" rows={all.data.clients} rowKey={(r) => r.client_id}
              columns={[
                { header: 'Client', cell: (r) => <Link to={`/clients/${encodeURIComponent(r.client_id)}/dashboard`}>{r.name}</Link>, csv: (r) => r.name },
                { header: 'Id', cell: (r) => r.client_id, csv: (r) => r.client_id },
                { header: 'Status', cell: (r) => <span className={`badge ${r.status}`}>{r.status}</span>, csv: (r) => r.status },
                { header: 'Units', cell: (r) => count(r.units), csv: (r) => r.units, numeric: true },
                { header: 'Occupancy', cell: (r) => percent(r.physical_occupancy), csv: (r) => r.physical_occupancy, numeric: true },
                { header: 'GPR', cell: (r) => money(r.gpr), csv: (r) => r.gpr, numeric: true },
                { header: 'Last upload', cell: (r) => dateTime(r.last_upload_at), csv: (r) => r.last_upload_at },
                { header: 'Actions', csv: () => '', cell: (r) => (
                  <button type="button" className="secondary" onClick={() => void toggle(r)}>
                    {r.status === 'suspended' ? 'Reactivate' : 'Suspend'}<span className="visually-hidden"> {r.name}</span>
                  </button>
                ) },
              ]} />
          )}
        </>
      )}
    </>
  );
}
