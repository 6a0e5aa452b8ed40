// A client's billed units per month (client admins and the super admin).
import { useState } from 'react';
import { useParams } from 'react-router';
import { useLoad, useSession } from '../api/context';
import type { MonthUnits } from '../api/types';
import { DataTable, EmptyState, ErrorState, Loading } from '../components/ui';
import { count, moneyIn, month } from '../format';

type MonthRow = MonthUnits;

/** Billing shows the last twelve months of billed units, each with its plan and amount. */
export default function Billing() {
  const { api } = useSession();
  const { cid = '' } = useParams();
  const [to] = useState(() => month(new Date()));
  const from = month(new Date(`${to}-01T00:00:00Z`), -11);
  const units = useLoad(() => api.billingUnits(cid, { from, to }), [api, cid, from, to]);
  const rows = units.state === 'ok' ? units.data.months : [];
  return (
    <>
      <h1>Billing</h1>
      <p>Billed units per month, {from} to {to}: each property's latest rent roll in the month (or carried forward from before).</p>
      {units.state === 'loading' && <Loading what="billing" />}
      {units.state === 'error' && <ErrorState error={units.error} retry={units.reload} />}
      {units.state === 'ok' && rows.length === 0 && <EmptyState cid={cid}>No month has been billed yet.</EmptyState>}
      {rows.length > 0 && (
        <DataTable<MonthRow> caption="Billed units" filename={`billing-${cid}-${from}-${to}.csv`} rows={rows} rowKey={(r) => r.month}
          columns={[
            { header: 'Month', cell: (r) => r.month, csv: (r) => r.month },
            { header: 'Units', cell: (r) => count(r.units), csv: (r) => r.units, numeric: true },
            { header: 'Properties', cell: (r) => count(r.properties), csv: (r) => r.properties, numeric: true },
            { header: 'Carried forward', cell: (r) => count(r.carried_forward_properties), csv: (r) => r.carried_forward_properties, numeric: true },
            { header: 'Not billed (stale)', cell: (r) => r.stale_properties.length ? <span className="badge warn" title={r.stale_properties.join(', ')}>{count(r.stale_properties.length)}</span> : '0', csv: (r) => r.stale_properties.join(' '), numeric: true },
            { header: 'Plan', cell: (r) => r.plan_id || '—', csv: (r) => r.plan_id },
            { header: 'Unit price', cell: (r) => moneyIn(r.unit_price, r.currency), csv: (r) => r.unit_price, numeric: true },
            { header: 'Monthly minimum', cell: (r) => moneyIn(r.minimum_monthly, r.currency), csv: (r) => r.minimum_monthly, numeric: true },
            { header: 'Amount', cell: (r) => moneyIn(r.amount, r.currency), csv: (r) => r.amount, numeric: true },
            { header: 'Currency', cell: (r) => r.currency, csv: (r) => r.currency },
          ]} />
      )}
    </>
  );
}
