// Super admin: billed units per client for a month, running the count, and
// the finance export.
import { useState } from 'react';
import { ApiError } from '../api/client';
import { useLoad, useSession } from '../api/context';
import type { BillingRun, Usage } from '../api/types';
import { DataTable, download, EmptyState, ErrorState, Loading, Tile } from '../components/ui';
import { amountTotals, count, dateTime, month, moneyIn } from '../format';

type Row = Usage['clients'][number];

/** UsagePage shows one month's usage and its billing run. */
export default function UsagePage() {
  const { api } = useSession();
  const [m, setM] = useState(() => month(new Date(), -1));
  // A month without a completed run answers 404: nothing billed yet, not an error.
  const usage = useLoad(() => api.usage(m).catch((e: unknown) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }), [api, m]);
  const run = useLoad(() => api.billingRun(m).catch((e: unknown) => {
    if (e instanceof ApiError && e.status === 404) return null;
    throw e;
  }), [api, m]);
  const [busy, setBusy] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  async function runNow() {
    setBusy(true);
    setMsg(null);
    try {
      const r = await api.runBilling(m);
      setMsg(`Billing run ${r.run_id} for ${m}: ${r.status}, ${count(r.units_total)} units.`);
      usage.reload();
      run.reload();
    } catch (e) {
      setMsg(e instanceof ApiError ? e.message : 'The run failed.');
    } finally {
      setBusy(false);
    }
  }
  async function exportCSV() {
    try {
      download(`billing_units-${m}.csv`, await api.billingExport(m));
    } catch (e) {
      setMsg(e instanceof ApiError ? e.message : 'The export could not be downloaded.');
    }
  }
  return (
    <>
      <h1>Usage and billing</h1>
      <div className="card form-row">
        <label>Month <input type="month" value={m} onChange={(e) => e.target.value && setM(e.target.value)} /></label>
        <button type="button" onClick={() => void runNow()} disabled={busy}>{busy ? 'Running…' : 'Run the unit count'}</button>
        {run.state === 'ok' && run.data && <button type="button" className="secondary" onClick={() => void exportCSV()}>Download finance export</button>}
      </div>
      {msg && <p className="notice" role="status">{msg}</p>}
      {run.state === 'ok' && run.data && <RunLine run={run.data} />}
      {usage.state === 'loading' && <Loading what="usage" />}
      {usage.state === 'error' && <ErrorState error={usage.error} retry={usage.reload} />}
      {usage.state === 'ok' && !usage.data && <EmptyState>No units billed for {m}: run the unit count.</EmptyState>}
      {usage.state === 'ok' && usage.data && (
        <>
          <section className="tiles" aria-label="Usage totals">
            <Tile label="Billed units" value={count(usage.data.total_units)} />
            <Tile label="Clients" value={count(usage.data.clients.length)} />
            <Tile label="Amount" value={amountTotals(usage.data.amount_totals)} />
            <Tile label="Stale properties" value={count(usage.data.stale_properties)} hint="not billed: latest roll too old" />
          </section>
          {usage.data.clients.length === 0 ? <EmptyState>No units billed for {m}: run the unit count.</EmptyState> : (
            <DataTable<Row> caption={`Billed units, ${m}`} filename={`usage-${m}.csv`} rows={usage.data.clients} rowKey={(r) => r.client_id}
              columns={[
                { header: 'Client', cell: (r) => r.name, csv: (r) => r.name },
                { header: 'Id', cell: (r) => r.client_id, csv: (r) => r.client_id },
                { header: 'Units', cell: (r) => count(r.units), csv: (r) => r.units, numeric: true },
                { header: 'Properties', cell: (r) => count(r.properties), csv: (r) => r.properties, numeric: true },
                { header: 'Carried forward', cell: (r) => count(r.carried_forward_properties), csv: (r) => r.carried_forward_properties, numeric: true },
                { header: 'Stale', cell: (r) => r.stale_properties.length ? <span className="badge warn" title={r.stale_properties.join(', ')}>{count(r.stale_properties.length)}</span> : '0', csv: (r) => r.stale_properties.join(' '), numeric: true },
                { header: 'Plan', cell: (r) => r.plan_id || '—', csv: (r) => r.plan_id },
                { header: 'Unit price', cell: (r) => moneyIn(r.unit_price, r.currency), csv: (r) => r.unit_price, numeric: true },
                { header: 'Monthly minimum', cell: (r) => moneyIn(r.minimum_monthly, r.currency), csv: (r) => r.minimum_monthly, numeric: true },
                { header: 'Amount', cell: (r) => moneyIn(r.amount, r.currency), csv: (r) => r.amount, numeric: true },
                { header: 'Currency', cell: (r) => r.currency, csv: (r) => r.currency },
                { header: 'Run', cell: (r) => r.run_id, csv: (r) => r.run_id },
              ]} />
          )}
        </>
      )}
    </>
  );
}

function RunLine({ run }: { run: BillingRun }) {
  return (
    <p className="muted" data-run={run.run_id}>
      Run <strong>{run.run_id}</strong>: {run.status}, {count(run.clients)} clients, {count(run.units_total)} units
      {run.finished_at ? `, finished ${dateTime(run.finished_at)}` : ''}, amount <strong>{amountTotals(run.amount_totals)}</strong>
      {run.stale_properties ? `, ${count(run.stale_properties)} stale properties not billed` : ''}
      {run.report.status !== 'off' ? `; Stripe usage report ${run.report.status}` : ''}; export sha256 <code>{run.export.sha256.slice(0, 12)}…</code>
    </p>
  );
}
