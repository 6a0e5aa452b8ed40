// The client's properties as seen in loaded rent rolls, each with its
// latest roll, a stale flag (from the portfolio summary: the property's
// newest roll is older than the month the dashboard shows) and a link to its
// own dashboard.
import { Link, useParams } from 'react-router';
import { useLoad, useSession } from '../api/context';
import { DataTable, EmptyState, ErrorState, Loading } from '../components/ui';
import { count } from '../format';

/** Properties lists the client's properties. */
export default function Properties() {
  const { api } = useSession();
  const { cid = '' } = useParams();
  const props = useLoad(() => api.properties(cid), [api, cid]);
  // The staleness is a courtesy: the list stands without it if the summary fails.
  const sum = useLoad(() => api.summary(cid).catch(() => null), [api, cid]);
  const stale = new Map((sum.data?.properties ?? []).map((p) => [p.property_id, p.stale]));
  const asOf = sum.data?.as_of;
  return (
    <>
      <h1>Properties</h1>
      {props.state === 'loading' && <Loading what="properties" />}
      {props.state === 'error' && <ErrorState error={props.error} retry={props.reload} />}
      {props.state === 'ok' && props.data.properties.length === 0 && <EmptyState cid={cid} />}
      {props.state === 'ok' && props.data.properties.length > 0 && (
        <DataTable caption="Properties" filename={`properties-${cid}.csv`} rows={props.data.properties} rowKey={(p) => p.property_id}
          columns={[
            { header: 'Property', cell: (p) => <Link to={`/clients/${encodeURIComponent(cid)}/dashboard?property=${encodeURIComponent(p.property_id)}`}>{p.property_name || p.property_id}</Link>, csv: (p) => p.property_name },
            { header: 'Id', cell: (p) => p.property_id, csv: (p) => p.property_id },
            { header: 'Latest roll', cell: (p) => p.as_of_date, csv: (p) => p.as_of_date },
            { header: 'Current', csv: (p) => (stale.has(p.property_id) ? (stale.get(p.property_id) ? 'stale' : 'current') : ''), cell: (p) => (
              stale.get(p.property_id)
                ? <span className="badge stale" title={`The newest roll is older than ${asOf ?? 'the latest month'}`}>stale</span>
                : stale.has(p.property_id) ? 'current' : '—'
            ) },
            { header: 'Units', cell: (p) => count(p.units), csv: (p) => p.units, numeric: true },
          ]} />
      )}
    </>
  );
}
