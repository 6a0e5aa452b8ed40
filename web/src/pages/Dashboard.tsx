// A client's dashboard: KPI tiles, then the charts and their tables. Its
// calls go out together (see dashboardLoad.ts), often before this page's
// code has even arrived. The page marks itself data-ready once every figure
// and chart is drawn, which the browser tests time.
import { memo, useCallback, useEffect, useMemo, useState } from 'react';
import { useParams, useSearchParams } from 'react-router';
import { useLoad, useSession } from '../api/context';
import type { Competition, Expirations, Summary, Trend } from '../api/types';
import { Column, DataTable, EmptyState, ErrorState, Loading, Tile } from '../components/ui';
import { count, money, percent } from '../format';
import { takeDashboard, takeProperties } from '../dashboardLoad';

// The chart module is fetched as soon as the API calls are out, rather than
// after the figures arrive: the draw then waits for the slower of the two
// instead of their sum, and running the module does not hold up the calls.
// It is rendered from the loaded module, not through React.lazy: a lazy
// component suspends on its first render even when its module is already
// here, and React holds a revealed Suspense boundary back for 300 ms after
// its fallback shows, which was a third of the dashboard's load time.
type ChartsModule = typeof import('../charts');
let chartsModule: Promise<ChartsModule> | undefined;
const loadCharts = () => (chartsModule ??= import('../charts').catch((e: unknown) => {
  chartsModule = undefined; // a retry fetches it again
  throw e;
}));
const startCharts = () => void loadCharts();

type Row = Summary['by_unit_type'][number];

/** Dashboard is a client's portfolio (or one property) at a glance. */
export default function Dashboard() {
  const { api } = useSession();
  const { cid = '' } = useParams();
  const [params, setParams] = useSearchParams();
  const property = params.get('property') ?? '';
  // The property list is asked for once per client; the dashboard's own
  // calls also read the as-of month from it.
  const propsP = useMemo(() => takeProperties(api, cid), [api, cid]);
  const props = useLoad(() => propsP, [propsP]);
  const data = useLoad(() => takeDashboard(api, cid, property, propsP, startCharts), [api, cid, property, propsP]);
  // Drawn: the figures are in and the charts have mounted (or there are none).
  const [drawnFor, setDrawnFor] = useState<unknown>(null);
  const onDrawn = useCallback(() => setDrawnFor(data.data), [data.data]);
  const ready = data.state === 'ok' && (!data.data.trend || drawnFor === data.data);
  useEffect(() => { if (ready) performance.mark('dashboard-drawn'); }, [ready]);

  return (
    <div className="dashboard" data-ready={ready ? 'true' : 'false'}>
      <div className="page-head">
        <h1>Dashboard</h1>
        {props.state === 'ok' && props.data.properties.length > 1 && (
          <label className="inline">
            Property{' '}
            <select value={property} onChange={(e) => setParams(e.target.value ? { property: e.target.value } : {})}>
              <option value="">All properties</option>
              {props.data.properties.map((p) => <option key={p.property_id} value={p.property_id}>{p.property_name || p.property_id}</option>)}
            </select>
          </label>
        )}
      </div>
      {data.state === 'loading' && <Loading what="the dashboard" />}
      {data.state === 'error' && <ErrorState error={data.error} retry={data.reload} />}
      {data.state === 'ok' && !data.data.summary.data && <EmptyState cid={cid} />}
      {data.state === 'ok' && data.data.summary.data && (
        <Body summary={data.data.summary} trend={data.data.trend} exp={data.data.exp} comp={data.data.comp} onDrawn={onDrawn} />
      )}
    </div>
  );
}

// Memoized: the page re-renders when the charts report they are drawn, and
// drawing them all again for it would double the work being timed.
const Body = memo(function Body({ summary, trend, exp, comp, onDrawn }: { summary: Summary; trend?: Trend; exp?: Expirations; comp?: Competition; onDrawn: () => void }) {
  const t = summary.totals;
  const n = summary.properties.length;
  // A stale property's figures come from a roll older than the month shown
  // (its newest roll is carried forward): say which, so nobody reads them as current.
  const stale = summary.properties.filter((p) => p.stale);
  return (
    <>
      <p className="as-of">As of <strong>{summary.as_of}</strong> · {count(n)} {n === 1 ? 'property' : 'properties'}
        {stale.length > 0 && (
          <> · <span className="badge stale" data-stale={stale.length}
            title={stale.map((p) => `${p.property_id} (roll of ${p.as_of})`).join(', ')}>
            {count(stale.length)} stale: {stale.slice(0, 3).map((p) => `${p.property_id} as of ${p.as_of}`).join(', ')}
            {stale.length > 3 ? ` and ${count(stale.length - 3)} more` : ''}
          </span></>
        )}
      </p>
      <section className="tiles" aria-label="Key figures">
        <Tile label="Units" value={count(t.units)} hint={`${count(t.occupied)} occupied · ${count(t.vacant)} vacant`} />
        <Tile label="Physical occupancy" value={percent(t.physical_occupancy)} />
        <Tile label="Leased" value={percent(t.leased_pct)} hint={`${count(t.leased)} units · ${count(t.preleased)} preleased`} />
        <Tile label="Exposure" value={percent(t.exposure_pct)} hint={`${count(t.exposure)} units without a next lease`} />
        <Tile label="Economic occupancy" value={percent(t.economic_occupancy)} />
        <Tile label="Gross potential rent" value={money(t.gpr)} />
        <Tile label="In-place rent" value={money(t.in_place_rent)} />
        <Tile label="Effective rent" value={money(t.effective_rent)} hint={`after ${money(t.concessions)} concessions`} />
        <Tile label="Loss to lease" value={money(t.loss_to_lease)} hint={percent(t.loss_to_lease_pct)} />
        <Tile label="Avg lease rent" value={money(t.avg_lease_rent)} hint={t.avg_lease_rent_psf != null ? `${money(t.avg_lease_rent_psf)} / sq ft` : undefined} />
      </section>
      <ChartsSection summary={summary} trend={trend} exp={exp} comp={comp} onDrawn={onDrawn} />
      <DataTable<Row> caption="Rent by floorplan" filename={`rent-by-floorplan-${summary.as_of}.csv`}
        rows={summary.by_unit_type as Row[]} rowKey={(r) => r.unit_type} columns={floorplanColumns} />
      {exp && exp.expirations.length > 0 && (
        <DataTable caption="Lease expirations" filename={`expirations-${exp.from}.csv`} rows={exp.expirations} rowKey={(r) => r.month}
          columns={[
            { header: 'Month', cell: (r) => r.month, csv: (r) => r.month },
            { header: 'Units', cell: (r) => count(r.units), csv: (r) => r.units, numeric: true },
            { header: 'Lease rent', cell: (r) => money(r.lease_rent), csv: (r) => r.lease_rent, numeric: true },
            { header: '% of occupied', cell: (r) => percent(r.pct_of_occupied), csv: (r) => r.pct_of_occupied, numeric: true },
          ]} />
      )}
      {comp && comp.data && (
        <DataTable caption="Competition" filename={`competition-${comp.as_of}.csv`} rows={comp.by_unit_type} limit={tableLimit}
          rowKey={(r) => `${r.property_id}\u0000${r.unit_type}`}
          columns={[
            { header: 'Property', cell: (r) => r.property_id, csv: (r) => r.property_id },
            { header: 'Unit type', cell: (r) => r.unit_type || '—', csv: (r) => r.unit_type },
            { header: 'Comps', cell: (r) => count(r.comps), csv: (r) => r.comps, numeric: true },
            { header: 'Comp effective rent', cell: (r) => money(r.comp_avg_effective_rent), csv: (r) => r.comp_avg_effective_rent, numeric: true },
            { header: 'Our lease rent', cell: (r) => money(r.subject_avg_lease_rent), csv: (r) => r.subject_avg_lease_rent, numeric: true },
            { header: 'Premium / discount', cell: (r) => percent(r.premium_pct), csv: (r) => r.premium_pct, numeric: true },
          ]} />
      )}
    </>
  );
});

// A portfolio's competition has a row per surveyed property and unit type
// (a thousand for 200 properties): the first rows are drawn, the rest on
// request, and the CSV has them all.
const tableLimit = 25;

const floorplanColumns: Column<Row>[] = [
  { header: 'Unit type', cell: (r) => r.unit_type || '—', csv: (r) => r.unit_type },
  { header: 'Units', cell: (r) => count(r.units), csv: (r) => r.units, numeric: true },
  { header: 'Occupancy', cell: (r) => percent(r.physical_occupancy), csv: (r) => r.physical_occupancy, numeric: true },
  { header: 'Avg market rent', cell: (r) => money(r.avg_market_rent), csv: (r) => r.avg_market_rent, numeric: true },
  { header: 'Avg lease rent', cell: (r) => money(r.avg_lease_rent), csv: (r) => r.avg_lease_rent, numeric: true },
  { header: 'Loss to lease', cell: (r) => money(r.loss_to_lease), csv: (r) => r.loss_to_lease, numeric: true },
];

function ChartsSection({ onDrawn, ...props }: { summary: Summary; trend?: Trend; exp?: Expirations; comp?: Competition; onDrawn: () => void }) {
  const charts = useLoad(loadCharts, []);
  return (
    <section className="charts" aria-label="Charts">
      {charts.state === 'loading' && <Loading what="charts" />}
      {charts.state === 'error' && <ErrorState error={charts.error} retry={charts.reload} />}
      {charts.state === 'ok' && <charts.data.default {...props} onDrawn={onDrawn} />}
    </section>
  );
}
