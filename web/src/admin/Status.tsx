// Super admin: is the platform up, how fast does it answer, and is any
// client's data unavailable.
import { useLoad, useSession } from '../api/context';
import { ErrorState, Loading, Tile } from '../components/ui';
import { count, dateTime } from '../format';

/** Status is the system status page. */
export default function Status() {
  const { api } = useSession();
  const health = useLoad(async () => {
    const t0 = performance.now();
    const h = await api.health();
    return { ...h, ms: Math.round(performance.now() - t0) };
  }, [api]);
  const summary = useLoad(() => api.adminSummary(), [api]);
  return (
    <>
      <h1>System status</h1>
      <section className="tiles" aria-label="Status">
        {health.state === 'ok' && <Tile label="API" value={health.data.status === 'ok' ? 'Up' : health.data.status} hint={`answered in ${health.data.ms} ms`} />}
        {health.state === 'error' && <Tile label="API" value="Down" />}
        {summary.state === 'ok' && (
          <>
            <Tile label="Clients" value={count(summary.data.totals.clients)} />
            <Tile label="Clients unavailable" value={count(summary.data.totals.unavailable)} hint="whose analytics could not be read" />
            <Tile label="Figures computed" value={dateTime(summary.data.generated_at)} />
          </>
        )}
      </section>
      {(health.state === 'loading' || summary.state === 'loading') && <Loading what="status" />}
      {summary.state === 'error' && <ErrorState error={summary.error} retry={summary.reload} />}
      {summary.state === 'ok' && summary.data.clients.some((c) => !c.available) && (
        <div className="notice error" role="alert">
          <p>Unavailable: {summary.data.clients.filter((c) => !c.available).map((c) => c.name).join(', ')}</p>
        </div>
      )}
    </>
  );
}
